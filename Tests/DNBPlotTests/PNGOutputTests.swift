import Foundation
import Testing
import DNBTestSupport
import DNBSupport
@testable import DNBPlot

/// Files as the tool will write them: size, provenance text, atomic replacement and errors.
@Suite struct PNGOutputTests {
    @Test(arguments: [((8.0, 4.0), 100.0, 800, 400), ((6.4, 4.8), 100.0, 640, 480),
                      ((3.0, 2.0), 50.0, 150, 100), ((16.0, 6.0), 100.0, 1600, 600)])
    func sizeIsFigsizeTimesDPI(_ figsize: (Double, Double), _ dpi: Double, _ width: Int, _ height: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("size.png")
        let figure = try Figure(rows: 1, cols: 1, figsize: figsize, dpi: dpi)
        try figure.axes(0, 0).plot(y: [1, 2, 3])
        try figure.write(png: path)
        let png = try PNGReader(path: path)
        #expect(png.width == width)
        #expect(png.height == height)
        #expect(png.rgba.count == width * height * 4)
        #expect(png.pixel(x: 0, y: 0) == (255, 255, 255, 255))  // white, opaque figure background
    }

    @Test func provenanceTextRoundTrips() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("meta.png")
        let metadata = [
            "dnb:cell": "train 3",
            "dnb:seed": "42",
            "dnb:parameters": "{\"lr\": 0.001, \"epochs\": 5}\nline two",
            "dnb:note": "σ schedule ✓ (UTF-8 goes to iTXt)",
        ]
        try Figure.lossCurve([0.5, 0.4, 0.3]).write(png: path, metadata: metadata)
        let png = try PNGReader(path: path)
        #expect(png.textChunks.first?.key == "Software")
        #expect(png.text["Software"] == "dnb")
        for (key, value) in metadata {
            #expect(png.text[key] == value, "text chunk \(key)")
        }
        #expect(png.textChunks.count == metadata.count + 1)
    }

    @Test func callerMaySetSoftware() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("software.png")
        try Figure().write(png: path, metadata: ["Software": "dnb 0.1"])
        #expect(try PNGReader(path: path).text["Software"] == "dnb 0.1")
    }

    @Test func writeLeavesOnlyTheTargetAndReplacesAnOldFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("figure.png")
        try "old contents".write(toFile: path, atomically: false, encoding: .utf8)
        try Figure(figsize: (2, 1)).write(png: path, metadata: ["dnb:cell": "1"])
        #expect(directory.contents == ["figure.png"])
        let png = try PNGReader(path: path)
        #expect(png.width == 200 && png.height == 100)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
    }

    @Test func relativePathWritesInCurrentDirectory() throws {
        let directory = try TemporaryDirectory()
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        #expect(FileManager.default.changeCurrentDirectoryPath(directory.path))
        try Figure(figsize: (1, 1)).write(png: "relative.png")
        #expect(directory.contents == ["relative.png"])
    }

    @Test(arguments: ["/nonexistent-dnb-dir/figure.png", "/proc/dnb-figure.png"])
    func unwritableDirectoryThrowsClearError(_ path: String) {
        #expect {
            try Figure().write(png: path)
        } throws: { error in
            guard case let PlotError.file(fileError)? = error as? PlotError else { return false }
            // The message names the file and the system's reason.
            return fileError.message.contains(path) && fileError.code != nil && "\(error)" == fileError.message
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func targetThatIsADirectoryFailsWithoutLeftovers() throws {
        let directory = try TemporaryDirectory()
        let target = directory.url.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        #expect(throws: PlotError.self) { try Figure().write(png: target.path) }
        #expect(directory.contents == ["taken"])
        #expect(throws: PlotError.self) { try Figure().write(png: directory.path + "/") }
    }

    @Test(arguments: ["", " leading", "trailing ", "double  space", "tab\tkey", "ключ",
                      String(repeating: "k", count: 80)])
    func invalidKeysAreRejectedBeforeWriting(_ key: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("bad.png")
        #expect(throws: PlotError.invalidMetadataKey(key)) {
            try Figure().write(png: path, metadata: [key: "value"])
        }
        #expect(directory.contents.isEmpty)
    }

    @Test func valueWithNULIsRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nul.png")
        #expect(throws: PlotError.invalidMetadataValue(key: "dnb:cell")) {
            try Figure().write(png: path, metadata: ["dnb:cell": "a\u{0}b"])
        }
        #expect(directory.contents.isEmpty)
    }

    @Test func readerRejectsMissingAndNonPNGFiles() throws {
        let directory = try TemporaryDirectory()
        let text = directory.file("not.png")
        try "definitely not a png".write(toFile: text, atomically: false, encoding: .utf8)
        #expect { try PNGReader(path: text) } throws: { error in
            guard case let PlotError.cannotReadPNG(path, reason)? = error as? PlotError else { return false }
            return path == text && reason == "not a PNG file"
        }
        #expect(throws: PlotError.self) { try PNGReader(path: directory.file("missing.png")) }
    }

    @Test func readerRejectsTruncatedPNG() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("whole.png")
        try Figure.lossCurve(Fixtures.lossCurve(count: 50)).write(png: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let truncated = directory.file("cut.png")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: PlotError.self) { try PNGReader(path: truncated) }
    }

    @Test func identicalFiguresGiveIdenticalFiles() throws {
        let directory = try TemporaryDirectory()
        let a = directory.url.appendingPathComponent("a.png")
        let b = directory.url.appendingPathComponent("b.png")
        try Figure.lossCurve(Fixtures.lossCurve(count: 300)).write(png: a.path, metadata: ["dnb:seed": "1"])
        try Figure.lossCurve(Fixtures.lossCurve(count: 300)).write(png: b.path, metadata: ["dnb:seed": "1"])
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
    }
}

import Foundation
import Testing
@testable import DNBLanguage
import DNBSupport
import DNBTestSupport

/// The report as something to share: restored cells, folded logs, no machine paths (docs/cli.md).
@Suite struct ReportSharingTests {
    func report(_ results: [CellResult], notebook: Notebook) -> Report {
        Report(notebook: notebook, date: Date(timeIntervalSince1970: 1_700_000_000), environment: [], parameters: [],
               seeds: [], results: results, stop: nil, totalSeconds: 1)
    }

    @Test func aRestoredCellSaysWhenAndHowLongItOriginallyRan() throws {
        let notebook = try Notebook(parsing: "```dnb id=train\ntrain epochs=1\n```\n\n```dnb\nprint done\n```\n", file: "nb.dnb")
        let cells = notebook.codeCells
        // 2026-11-30 05:20:41 UTC; 192 s is 3 min 12.0 s.
        let origin = CacheOrigin(date: Date(timeIntervalSince1970: 1_796_016_041), seconds: 192)
        let results = [CellResult(cell: cells[0], status: .completed, outputs: [.text("trained\n")], seconds: 0.02, restored: origin),
                       CellResult(cell: cells[1], status: .completed, outputs: [.text("done\n")], seconds: 0.5)]
        let markdown = ReportWriter.render(report(results, notebook: notebook))
        #expect(markdown.contains("```output\ntrained\n```\n\n<sub class=\"dnb-restored\">cell 1 (train) · restored from the cache · originally ran 2026-11-30 05:20 UTC in 3 min 12.0 s</sub>"))
        #expect(markdown.contains("<sub>cell 2 · 500 ms</sub>"), "a cell that ran says only how long it took")
        #expect(markdown.contains("- **Status:** completed; 2 code cells run in 1.00 s (1 restored from the cache)"))
    }

    @Test func aLogIsShownLiveAndFoldedInTheReport() throws {
        var echoed: [OutputItem] = []
        let output = Output { echoed.append($0) }
        output.print("before")
        for index in 1...5 { output.log("looked in place \(index)", topic: "how the data was found") }
        output.print("source: the cache")
        output.log("one try", topic: "a short log")
        #expect(echoed.allSatisfy { if case .text = $0 { true } else { false } }, "live, a log is text like any other")
        #expect(echoed.count == 8)
        let items = output.takeItems()
        #expect(items.count == 4)
        #expect(items[1] == .log(Log(topic: "how the data was found", lines: (1...5).map { "looked in place \($0)" })))

        let notebook = try Notebook(parsing: "```dnb\ndataset load\n```\n", file: "nb.dnb")
        let markdown = ReportWriter.render(report([CellResult(cell: notebook.codeCells[0], status: .completed, outputs: items, seconds: 1)],
                                                  notebook: notebook))
        #expect(markdown.contains("""
            ```output
            before
            ```

            <details><summary>how the data was found (5 lines)</summary>

            ```output
            looked in place 1
            """))
        #expect(markdown.contains("looked in place 5\n```\n\n</details>\n\n```output\nsource: the cache\n```"))
        // Up to three lines are not worth a fold.
        #expect(markdown.contains("```output\none try\n```") && !markdown.contains("a short log"))
    }

    @Test func theReportNamesNoAbsolutePathOfThisMachine() throws {
        let directory = try TemporaryDirectory()
        let out = directory.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let home = try #require(ProcessInfo.processInfo.environment["HOME"])
        let notebook = try Notebook(parsing: "# Paths\n\n```dnb\nsave tensor\n```\n", file: directory.path + "/nb.dnb")
        let error = Diagnostic(message: "cannot write \(out)/figures/a.png: No space left on device",
                               location: SourceLocation(file: directory.path + "/nb.dnb", line: 4, column: 1))
        let outputs: [OutputItem] = [
            .text("saved 'samples' [4, 1, 16, 16] to \(out)/samples.npy\n"),
            .log(Log(topic: "how the data was found", lines: (1...4).map { "  looked in \(home)/.cache/dnb/mnist-\($0)" })),
            .table(Table(headers: ["file"], rows: [["\(out)/model"]])),
        ]
        let run = report([CellResult(cell: notebook.codeCells[0], status: .failed, outputs: outputs, seconds: 1, error: error)], notebook: notebook)
        try ReportWriter.write(run, to: out)
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        for absolute in [directory.path, home + "/"] {
            #expect(!markdown.contains(absolute), "the report names \(absolute)")
        }
        for relative in ["- **Notebook:** `../nb.dnb`", "to samples.npy", "looked in ~/.cache/dnb/mnist-4", "| model |",
                         "> **Error**: ../nb.dnb:4:1: cannot write figures/a.png: No space left on device"] {
            #expect(markdown.contains(relative), "the report lacks \(relative)")
        }
    }
}

/// The manifest of what a run wrote, and what the next run may remove (OutputManifest.swift).
@Suite struct OutputManifestTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("figures"), withIntermediateDirectories: true)
    }

    func figure(_ name: String, _ content: String) throws {
        try directory.write("figures/\(name)", content)
    }

    var figures: [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory.file("figures")).sorted()) ?? [] }

    @Test func theNextRunRemovesOnlyWhatThePreviousRunWroteAndNoLongerReferences() throws {
        for name in ["loss.png", "samples.png", "samples-2.png", "edited.png"] { try figure(name, "png \(name)") }
        #expect(OutputManifest.update(directory: directory.path, keeping: ["figures/loss.png", "figures/samples.png",
                                                                          "figures/samples-2.png", "figures/edited.png"]).isEmpty)
        // Between the runs: the user adds a file named like a figure and edits one of dnb's.
        try figure("samples-3.png", "the user's own")
        try figure("edited.png", "edited by the user")
        try figure("loss.png", "png loss.png, drawn again by the new run")
        #expect(OutputManifest.update(directory: directory.path, keeping: ["figures/loss.png"]).isEmpty)
        #expect(figures == ["edited.png", "loss.png", "samples-3.png"])
        let manifest = try OutputManifest.read(directory.file(OutputManifest.fileName))
        #expect(manifest.files.map(\.path) == ["figures/loss.png"])
        #expect(manifest.files[0].size == "png loss.png, drawn again by the new run".utf8.count)
    }

    @Test func aManifestCannotMakeDnbDeleteAnythingElse() throws {
        try directory.write("notes.txt", "mine")
        try figure("a.png", "a")
        let entries = ["../notes.txt", "notes.txt", "figures/../notes.txt", "figures/.hidden.png", "/etc/hostname"].map {
            #"{"path": "\#($0)", "size": 4, "fnv1a64": "\#(OutputManifest.fnv1a64(Data("mine".utf8)))"}"#
        }
        try directory.write(OutputManifest.fileName, #"{"version": 1, "files": [\#(entries.joined(separator: ", "))]}"#)
        #expect(OutputManifest.update(directory: directory.path, keeping: ["figures/a.png"]).isEmpty)
        #expect(try directory.read("notes.txt") == "mine")
        #expect(!OutputManifest.isRemovable("figures/sub/a.png") && OutputManifest.isRemovable("report.html"))
    }

    @Test func aDamagedManifestIsReportedAndNothingIsRemoved() throws {
        try figure("a.png", "a")
        try directory.write(OutputManifest.fileName, "{\"files\": [")
        let problems = OutputManifest.update(directory: directory.path, keeping: [])
        #expect(problems.count == 1 && problems[0].contains("is not a manifest dnb wrote"), "\(problems)")
        #expect(figures == ["a.png"])
        #expect(!FileManager.default.fileExists(atPath: directory.file(OutputManifest.fileName)), "no figures, no manifest")
    }

    @Test func fnvMatchesItsPublishedTestVectors() {
        // From the FNV reference (draft-eastlake-fnv): FNV-1a 64 of "" and "a".
        #expect(OutputManifest.fnv1a64(Data()) == "cbf29ce484222325")
        #expect(OutputManifest.fnv1a64(Data("a".utf8)) == "af63dc4c8601ec8c")
    }
}

import Foundation
import Testing
import DNBPlot
import DNBTestSupport
@testable import DNBTerminalGraphics

/// The kitty sequences' chunks: control keys and payload of each `ESC _G keys;payload ESC \`.
func kittyChunks(_ text: String) -> [(keys: String, payload: String)] {
    text.components(separatedBy: "\u{1B}_G").dropFirst().map { part in
        let body = part.components(separatedBy: "\u{1B}\\")[0]
        let semicolon = body.firstIndex(of: ";") ?? body.endIndex
        return (String(body[..<semicolon]), semicolon < body.endIndex ? String(body[body.index(after: semicolon)...]) : "")
    }
}

/// A real PNG from DNBPlot: a 64 × 64 viridis gradient, so it has colour. No text: with a line plot (tick labels) here,
/// DNBPlotTests' gridIsOffByDefault, run in the same process, counted 20 grid-gray text pixels against its `< 20` in 2 of
/// 4 runs (`swift test --filter "DNBPlotTests|DNBTerminalGraphicsTests"`), and 0 of 5 without text here.
func samplePNG(in dir: TemporaryDirectory, name: String = "gradient.png") throws -> String {
    let gradient = try GrayImage(width: 16, height: 16, pixels: (0..<256).map { Float($0) / 255 })
    let figure = Figure.imageGrid([[gradient]], cmap: .viridis, dpi: 32)  // 2 × 2 inches at 32 dpi
    let path = dir.file(name)
    try figure.write(png: path)
    return path
}

@Suite struct KittyTests {
    @Test func chunksAre4096BytesAndDecodeBackToThePNG() throws {
        // 10 000 bytes → 13 336 base64 bytes → chunks of 4096, 4096, 4096, 1048.
        var rng = SplitMix64(state: 7)
        let png = InlineImage.pngSignature + (0..<9992).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let chunks = kittyChunks(InlineImage.kitty(png: png, columns: 12, rows: 5))
        #expect(chunks.map(\.payload.count) == [4096, 4096, 4096, 1048])
        #expect(chunks[0].keys == "a=T,f=100,q=2,c=12,r=5,m=1")
        #expect(chunks.dropFirst().map(\.keys) == ["m=1", "m=1", "m=0"])
        #expect(Data(base64Encoded: chunks.map(\.payload).joined()).map([UInt8].init) == png)
    }

    @Test func aSmallPNGIsOneChunk() throws {
        let dir = try TemporaryDirectory()
        let path = try samplePNG(in: dir)
        let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(InlineImage.pngSize(png)! == (64, 64))
        let size = TerminalSize(columns: 80, rows: 24, widthPixels: 800, heightPixels: 480)
        let text = try InlineImage.sequence(forPNGAt: path, using: .kitty, size: size) { _ in Issue.record("kitty sends the PNG, it decodes nothing"); return (0, 0, []) }
        #expect(text.hasSuffix("\u{1B}\\\n"))
        let chunks = kittyChunks(text)
        // 64 px in 10-px cells: 6 columns (rounded down, never larger than the image); 60 × 60 px shown → 3 rows of 20 px.
        #expect(chunks.map(\.keys) == ["a=T,f=100,q=2,c=6,r=3,m=0"])
        #expect(Data(base64Encoded: chunks[0].payload).map([UInt8].init) == png)
    }
}

@Suite struct ITermTests {
    @Test func argumentsAndPayload() throws {
        let png = InlineImage.pngSignature + [1, 2, 3, 4, 5]
        let text = InlineImage.iterm(png: png, name: "loss.png", columns: 40)
        #expect(text.hasPrefix("\u{1B}]1337;File=") && text.hasSuffix("\u{07}"))
        let body = text.dropFirst("\u{1B}]1337;File=".count).dropLast()
        let parts = body.split(separator: ":", maxSplits: 1)
        let arguments = Dictionary(uniqueKeysWithValues: parts[0].split(separator: ";").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1); return (String(kv[0]), String(kv[1]))
        })
        #expect(arguments["size"] == "13")
        #expect(arguments["width"] == "40")
        #expect(arguments["inline"] == "1")
        #expect(arguments["name"].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } == "loss.png")
        #expect(Data(base64Encoded: String(parts[1])).map([UInt8].init) == png)
    }

    @Test func wideImagesAreFittedToTheWindow() {
        // 1000 px in a 40-column window of 8-px cells: 40 columns (320 px), 1000 × 500 → 160 px high → 10 rows of 16 px.
        let size = TerminalSize(columns: 40, rows: 30, widthPixels: 320, heightPixels: 480)
        #expect(size.cells(forImageWidth: 1000, height: 500) == (40, 10))
        // Without pixel sizes a 10 × 20 cell is assumed.
        #expect(TerminalSize(columns: 80, rows: 24).cells(forImageWidth: 95, height: 95) == (9, 5))
    }
}

/// A sixel decoder for the tests: palette, raster attributes, `#` colour selection, `!` repeats, `$` and `-`.
func decodeSixel(_ text: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
    var bytes = Array(text.utf8)
    guard bytes.starts(with: Array("\u{1B}P".utf8)), let q = bytes.firstIndex(of: UInt8(ascii: "q")) else { throw SixelDecodeError() }
    guard bytes.suffix(2).elementsEqual("\u{1B}\\".utf8) else { throw SixelDecodeError() }
    bytes = Array(bytes[(q + 1)..<(bytes.count - 2)])
    var i = 0
    func number() -> Int {
        var n = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { n = n * 10 + Int(bytes[i] - 48); i += 1 }
        return n
    }
    func numbers() -> [Int] {
        var list = [number()]
        while i < bytes.count, bytes[i] == UInt8(ascii: ";") { i += 1; list.append(number()) }
        return list
    }
    var width = 0, height = 0
    var palette: [Int: (Int, Int, Int)] = [:]
    var pixels: [Int: (Int, Int, Int)] = [:]
    var color = 0, x = 0, bandTop = 0
    while i < bytes.count {
        let c = bytes[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""): let a = numbers(); width = a[2]; height = a[3]
        case UInt8(ascii: "#"):
            let a = numbers()
            if a.count == 5 { palette[a[0]] = (a[2], a[3], a[4]) } else { color = a[0] }
        case UInt8(ascii: "$"): x = 0
        case UInt8(ascii: "-"): x = 0; bandTop += 6
        case UInt8(ascii: "!"):
            let n = number(); let s = bytes[i]; i += 1
            for _ in 0..<n { paint(s) }
        case 63...126: paint(c)
        default: throw SixelDecodeError()
        }
    }
    func paint(_ s: UInt8) {
        let bits = s - 63
        for r in 0..<6 where bits & (1 << r) != 0 { pixels[(bandTop + r) * width + x] = palette[color] ?? (0, 0, 0) }
        x += 1
    }
    var rgb = [UInt8](repeating: 0, count: width * height * 3)
    for p in 0..<(width * height) {
        let (r, g, b) = pixels[p] ?? (-1, -1, -1)
        guard r >= 0 else { throw SixelDecodeError() }  // every pixel must be painted
        rgb[p * 3] = UInt8((r * 255 + 50) / 100); rgb[p * 3 + 1] = UInt8((g * 255 + 50) / 100); rgb[p * 3 + 2] = UInt8((b * 255 + 50) / 100)
    }
    return (width, height, rgb)
}
struct SixelDecodeError: Error {}

@Suite struct SixelTests {
    /// The largest channel difference between the decoded sixel and the RGBA source (opaque).
    func maximumError(_ rgba: [UInt8], _ decoded: (width: Int, height: Int, rgb: [UInt8])) -> Int {
        (0..<(decoded.width * decoded.height)).flatMap { p in (0..<3).map { c in abs(Int(rgba[p * 4 + c]) - Int(decoded.rgb[p * 3 + c])) } }.max() ?? 0
    }

    @Test func grayRoundTripsWithinOnePercentStep() throws {
        // 7 rows (two bands, the second partial), every gray level across 37 columns.
        let (w, h) = (37, 7)
        var rgba = [UInt8](repeating: 255, count: w * h * 4)
        for p in 0..<(w * h) { let v = UInt8((p * 7) % 256); rgba[p * 4] = v; rgba[p * 4 + 1] = v; rgba[p * 4 + 2] = v }
        let decoded = try decodeSixel(Sixel.encode(rgba: rgba, width: w, height: h))
        #expect(decoded.width == w && decoded.height == h)
        // Gray is sent in percent: a level is off by at most half a percent step, 255 / 200 ≈ 1.3, plus rounding each way.
        #expect(maximumError(rgba, decoded) <= 2)
    }

    @Test func colourRoundTripsWithinTheCube() throws {
        let dir = try TemporaryDirectory()
        let png = try PNGReader(path: try samplePNG(in: dir))
        let decoded = try decodeSixel(Sixel.encode(rgba: png.rgba, width: png.width, height: png.height))
        #expect(decoded.width == png.width && decoded.height == png.height)
        // 6 levels per channel are 51 apart: at most half of that, 25.5, off (cairo's figure is opaque).
        #expect(maximumError(png.rgba, decoded) <= 26)
        #expect(maximumError(png.rgba, decoded) > 0, "viridis is not in the cube, so some error is expected")
    }

    @Test func runsAreCompressedAndWideImagesScaledDown() throws {
        let (w, h) = (100, 6)
        let rgba: [UInt8] = (0..<(w * h * 4)).map { $0 % 4 == 3 ? 255 : 0 }
        let text = Sixel.encode(rgba: rgba, width: w, height: h, maximumWidth: 50)
        // 6 rows scaled to 3: one black run of 50 sixels with the top three bits set ("F" = 63 + 0b111), and only black defined.
        #expect(text.hasSuffix("#0;2;0;0;0#0!50F\u{1B}\\"))
        let decoded = try decodeSixel(text)
        #expect((decoded.width, decoded.height) == (50, 3))
    }

    @Test func transparentPixelsAreDrawnOverWhite() throws {
        let decoded = try decodeSixel(Sixel.encode(rgba: [0, 0, 0, 0], width: 1, height: 1))
        #expect(decoded.rgb == [255, 255, 255])
    }
}

@Suite struct FileTests {
    @Test func notAPNGAndMissingFilesAreNamedErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.write("fake.png", "not a png")
        let size = TerminalSize(columns: 80, rows: 24)
        #expect(throws: InlineImageError.notPNG(path: dir.file("fake.png"))) {
            try InlineImage.sequence(forPNGAt: dir.file("fake.png"), using: .kitty, size: size) { _ in (0, 0, []) }
        }
        #expect(throws: InlineImageError.unreadable(path: dir.file("gone.png"), reason: "no such file")) {
            try InlineImage.sequence(forPNGAt: dir.file("gone.png"), using: .iterm, size: size) { _ in (0, 0, []) }
        }
        // A figure replaced by a FIFO must not block (opening it for reading would wait for a writer forever).
        #expect(mkfifo(dir.file("fifo.png"), 0o600) == 0)
        #expect(throws: InlineImageError.unreadable(path: dir.file("fifo.png"), reason: "it is not a regular file")) {
            try InlineImage.sequence(forPNGAt: dir.file("fifo.png"), using: .kitty, size: size) { _ in (0, 0, []) }
        }
    }

    @Test func sixelRefusesToDecodeHugeImages() throws {
        let dir = try TemporaryDirectory()
        // A PNG header claiming 100 000 × 100 000 pixels: 40 GB once decoded.
        let header = InlineImage.pngSignature + [0, 0, 0, 13] + Array("IHDR".utf8) + [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 6, 0, 0, 0]
        try Data(header).write(to: URL(fileURLWithPath: dir.file("huge.png")))
        #expect(throws: InlineImageError.tooManyPixels(path: dir.file("huge.png"), width: 100_000, height: 100_000, limit: 16 << 20)) {
            try InlineImage.sequence(forPNGAt: dir.file("huge.png"), using: .sixel, size: TerminalSize(columns: 80, rows: 24)) { _ in
                Issue.record("the image must be refused before it is decoded"); return (0, 0, [])
            }
        }
    }

    @Test func sixelOfAFileUsesTheDecoderAndTheWindowWidth() throws {
        let dir = try TemporaryDirectory()
        let path = try samplePNG(in: dir)
        let size = TerminalSize(columns: 4, rows: 24, widthPixels: 32, heightPixels: 480)
        let text = try InlineImage.sequence(forPNGAt: path, using: .sixel, size: size) { path in
            let png = try PNGReader(path: path); return (png.width, png.height, png.rgba)
        }
        let decoded = try decodeSixel(String(text.dropLast()))
        #expect((decoded.width, decoded.height) == (32, 32))  // 64 × 64 fitted into a 32-px window
    }
}

@Suite struct DetectionTests {
    func detect(_ environment: [String: String], stdout: Bool = true, stdin: Bool = true, answer: String? = nil) -> InlineDetection.Result {
        InlineDetection.detect(environment: environment, stdoutIsTerminal: stdout, stdinIsTerminal: stdin, queryDeviceAttributes: { answer })
    }

    @Test func fromTheEnvironment() {
        #expect(detect(["TERM": "xterm-kitty"]) == .on(.kitty))
        #expect(detect(["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"]) == .on(.kitty))
        #expect(detect(["TERM_PROGRAM": "iTerm.app"]) == .on(.iterm))
        #expect(detect(["TERM_PROGRAM": "WezTerm"]) == .on(.iterm))
        #expect(detect(["TERM": "xterm"]) == .off)
        #expect(detect(["TERM": "xterm", "KITTY_WINDOW_ID": ""]) == .off, "an empty variable is an unset one")
        #expect(detect(["TERM": "xterm"], answer: "\u{1B}[?62;4;22c") == .on(.sixel))
        #expect(detect(["TERM": "xterm"], answer: "\u{1B}[?64;1;2;6;9;15;18;21;22c") == .off)
        #expect(detect(["TERM": "xterm"], stdin: false, answer: "\u{1B}[?62;4c") == .off, "no query without a terminal to answer")
    }

    @Test func theSettingForcesAndStdoutMustBeATerminal() {
        #expect(detect(["DNB_INLINE": "sixel", "TERM": "xterm-kitty"]) == .on(.sixel))
        #expect(detect(["DNB_INLINE": "iterm"]) == .on(.iterm))
        #expect(detect(["DNB_INLINE": "off", "TERM": "xterm-kitty"]) == .off)
        #expect(detect(["DNB_INLINE": "kitty"], stdout: false) == .off)
        #expect(detect(["DNB_INLINE": "kity", "TERM": "xterm-kitty"]) == .invalidSetting("kity", then: .kitty))
    }

    @Test func deviceAttributesAnswers() {
        #expect(InlineDetection.answerAdvertisesSixel("\u{1B}[?4c"))
        #expect(InlineDetection.answerAdvertisesSixel("\u{1B}[?63;1;2;4;6c"))
        #expect(!InlineDetection.answerAdvertisesSixel("\u{1B}[?64;14c"))
        #expect(!InlineDetection.answerAdvertisesSixel("garbage;4;"))
    }

    @Test func viewerIsFoundOnPathOnly() throws {
        let dir = try TemporaryDirectory()
        #expect(DesktopViewer.find(path: dir.path) == nil)
        try dir.write("xdg-open", "#!/bin/sh\n")
        chmod(dir.file("xdg-open"), 0o755)
        #expect(DesktopViewer.find(path: "/nonexistent:" + dir.path) == dir.file("xdg-open"))
    }

    @Test func theQueryAnswerIsSeparatedFromKeysTypedAhead() {
        let esc: UInt8 = 0x1B
        let answer: [UInt8] = [esc] + Array("[?62;4;22c".utf8)
        let (found, typed) = InlineDetection.splitAnswer(Array("ls\r".utf8) + answer + Array("x".utf8))
        #expect(found == answer && typed == Array("ls\rx".utf8))
        let (none, all) = InlineDetection.splitAnswer(Array("print abc\r".utf8))
        #expect(none == nil && all == Array("print abc\r".utf8))
        let (partial, _) = InlineDetection.splitAnswer([esc] + Array("[?62;4".utf8))
        #expect(partial == nil, "an answer is complete only at its final c")
    }
}

import Foundation
import Testing
import DNBTestSupport
@testable import DNBCommands

/// Figures drawn in the terminal (docs/cli.md, "Figures in the terminal"): the REPL at a pseudo-terminal with
/// DNB_INLINE=kitty sends the PNG it wrote; a pipe gets only the `[figure] path` lines; `show` re-displays and opens.
@Suite("Inline figures", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct InlineFigureTests {
    /// Four 8 × 8 images (NCHW float32 .npy) for `load tensor`, so that `plot images` makes a figure without data or a model.
    func writeImages(in dir: TemporaryDirectory) throws {
        let values = (0..<(4 * 64)).map { Float($0 % 64) / 63 }
        try NumpyFile.encode(shape: [4, 1, 8, 8], values: values).write(to: URL(fileURLWithPath: dir.file("img.npy")))
    }

    /// No setting and nothing in the environment that names the terminal: dnb has to ask it.
    static let undetectedTerminal = ["DNB_INLINE": "", "KITTY_WINDOW_ID": "", "TERM_PROGRAM": ""]

    /// A REPL at a pseudo-terminal with `environment`, the images of `writeImages` kept as `img`.
    func replWithImages(environment: [String: String]) throws -> (TemporaryDirectory, TerminalSession) {
        let dir = try TemporaryDirectory("dnb-cli")
        try writeImages(in: dir)
        let repl = try TerminalSession(in: dir, environment: environment)
        try repl.waitFor("dnb> ")
        repl.type("load tensor name=img path=img.npy\r")
        return (dir, repl)
    }

    /// The payloads of every kitty image in `text`, each decoded from its chunks.
    func kittyImages(_ text: String) -> [[UInt8]] {
        var images: [[UInt8]] = [], payload = ""
        for part in text.components(separatedBy: "\u{1B}_G").dropFirst() {
            let body = part.components(separatedBy: "\u{1B}\\")[0]
            guard let semicolon = body.firstIndex(of: ";") else { continue }
            payload += body[body.index(after: semicolon)...]
            if body[..<semicolon].hasSuffix("m=0") {
                images.append(Data(base64Encoded: payload).map([UInt8].init) ?? [])
                payload = ""
            }
        }
        return images
    }

    @Test(.enabled(if: TerminalSession.scriptAvailable)) func kittyAtATerminalSendsThePNGThatWasWritten() throws {
        let (dir, repl) = try replWithImages(environment: ["DNB_INLINE": "kitty"])
        repl.type("plot images name=img\r")
        try repl.waitFor("[figure] out/repl/figures/img.png")
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("out/repl/figures/img.png"))))
        #expect(kittyImages(repl.raw) == [written])
        #expect(repl.raw.contains("\u{1B}_Ga=T,f=100,q=2,c="))
        // `show` draws the last figure again; completion offers the session's figure names.
        repl.type("show i\t\r")
        try repl.waitFor("[figure] out/repl/figures/img.png", after: "show img")
        #expect(kittyImages(repl.raw) == [written, written])
        repl.type("show imgg\r")
        try repl.waitFor("no figure named imgg in this session. Did you mean img? Figures: img")
        #expect(try repl.finish() == 0)
    }

    /// Without DNB_INLINE or a known TERM, dnb asks the terminal `ESC [ c`; the keystrokes after the entry play the
    /// terminal's answer (they wait in the pseudo-terminal's input until dnb reads them), and it advertises sixel.
    @Test(.enabled(if: TerminalSession.scriptAvailable)) func aTerminalThatAnswersSixelGetsSixel() throws {
        let (dir, repl) = try replWithImages(environment: Self.undetectedTerminal)
        repl.type("plot images name=img\r\u{1B}[?62;4;22c")
        try repl.waitFor("[figure] out/repl/figures/img.png")
        #expect(repl.raw.contains("\u{1B}[c"), "the device attributes query was sent")
        let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("out/repl/figures/img.png"))))
        let (width, height) = (png[16..<20].reduce(0) { $0 << 8 | Int($1) }, png[20..<24].reduce(0) { $0 << 8 | Int($1) })
        // The window `script` opens reports no pixels, so 80 columns of an assumed 10 px: the figure is narrower and kept whole.
        #expect(repl.raw.contains("\u{1B}P0;1;0q\"1;1;\(width);\(height)#"), "a sixel image of the figure's size")
        // The whole answer was read: nothing of it is left for the prompt.
        repl.type("print 5\r")
        try repl.waitFor("\n5\n")
        #expect(!repl.screen.contains("cprint"))
        #expect(try repl.finish() == 0)
    }

    /// A terminal that does not answer the query while the user has typed ahead: the typed entry is read while dnb
    /// waits for an answer, and must reach the prompt all the same (it was lost once).
    @Test(.enabled(if: TerminalSession.scriptAvailable)) func keysTypedAheadOfTheQueryAreNotLost() throws {
        let (dir, repl) = try replWithImages(environment: Self.undetectedTerminal)
        repl.type("plot images name=img\rprint typed-ahead\r")
        try repl.waitFor("[figure] out/repl/figures/img.png")
        try repl.waitFor("\ntyped-ahead\n")
        // The session's folder (dnb's working directory) must outlive it.
        let status = try withExtendedLifetime(dir) { try repl.finish() }
        #expect(status == 0)
    }

    @Test(.enabled(if: TerminalSession.scriptAvailable)) func showOpensTheViewerWhenTheTerminalCannotDraw() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try writeImages(in: dir)
        // A stand-in for xdg-open that records its arguments, one per line, to prove they arrive unsplit and unexpanded.
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        try dir.write("bin/xdg-open", "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"\(dir.file("opened.txt"))\"\n")
        chmod(dir.file("bin/xdg-open"), 0o755)
        let path = dir.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let repl = try TerminalSession(in: dir, environment: ["DNB_INLINE": "off", "PATH": path])
        try repl.waitFor("dnb> ")
        repl.type("show\r")
        try repl.waitFor("no figure yet in this session")
        repl.type("load tensor name=img path=img.npy\r")
        repl.type("plot images name=img figure=\"a b;$(x)\"\r")
        try repl.waitFor("[figure] out/repl/figures/a-b---x-.png")
        repl.type("show\r")
        try repl.waitFor("opened \(dir.file("out/repl/figures/a-b---x-.png")) with xdg-open")
        #expect(!repl.raw.contains("\u{1B}_G"), "DNB_INLINE=off draws nothing")
        #expect(try repl.finish() == 0)
        let deadline = Date().addingTimeInterval(10)
        while (try? dir.read("opened.txt")) == nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect((try? dir.read("opened.txt")) == dir.file("out/repl/figures/a-b---x-.png") + "\n")
    }

    @Test func aPipeGetsOnlyTheFigureLineEvenWhenForced() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try writeImages(in: dir)
        let result = try CLIBinary.run([], stdin: "load tensor name=img path=img.npy\nplot images name=img\nshow img\n",
                                       environment: ["DNB_INLINE": "kitty"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("\u{1B}"), "no escape sequence into a pipe: \(result.stdout.debugDescription)")
        #expect(result.stdout.components(separatedBy: "[figure] out/repl/figures/img.png").count == 3, "\(result)")
        // Piped input is not someone at a desktop: no viewer is started, the line says where the file is.
        #expect(!result.stdout.contains("opened"), "\(result)")

        try dir.write("fig.dnb", "```dnb\nload tensor name=img path=img.npy\nplot images name=img\nshow\n```\n")
        let run = try CLIBinary.run(["run", "fig.dnb", "--out", "res"], environment: ["DNB_INLINE": "sixel"], in: dir)
        #expect(run.status == 0, "\(run)")
        #expect(!run.stdout.contains("\u{1B}") && run.stdout.contains("[figure] res/figures/img.png"), "\(run)")
    }

    @Test func showNeedsAFigureOfThisSession() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let result = try CLIBinary.run([], stdin: "show\n", in: dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("<stdin>:1:1: no figure yet in this session"), "\(result)")
        let invalid = try CLIBinary.run([], stdin: "print 1\n", environment: ["DNB_INLINE": "kity"], in: dir)
        #expect(invalid.status == 0, "an unknown setting is not an error where no figure is drawn: \(invalid)")
    }
}

import Foundation
import Testing
import DNBTestSupport

/// The REPL as a person at a terminal meets it: keystrokes go through a pseudo-terminal, so readline
/// runs for real (completion, history, line editing) and Ctrl-C reaches dnb as SIGINT from the terminal.
/// util-linux `script` provides the pseudo-terminal and makes it dnb's controlling terminal.
@Suite("REPL at a pseudo-terminal", .enabled(if: CLIBinary.url != nil && TerminalSession.scriptAvailable, CLIBinary.missingMessage))
struct REPLTerminalTests {
    @Test func tabCompletesCommandsArgumentNamesValuesAndFiles() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("my-weights.safetensors", "")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        // "hel⇥" → "help ", "sampl⇥" → "sample ": the help of `sample` proves both completed.
        repl.type("hel\t")
        try repl.waitFor("help ")
        repl.type("sampl\t\r")
        try repl.waitFor("usage: sample [n=<int>]")
        // Argument name ("typ⇥" → "type=") then one of its allowed values ("ddi⇥" → "ddim").
        repl.type("scheduler create typ\t")
        try repl.waitFor("type=")
        repl.type("ddi\t\r")
        try repl.waitFor("DDIMScheduler: T = 1000")
        // File names for path arguments: the error names the whole file, so the completion happened.
        repl.type("load tensor name=w path=my-w\t")
        try repl.waitFor("my-weights.safetensors")
        repl.type("\r")
        try repl.waitFor("/my-weights.safetensors: file is 0 bytes")
        #expect(try repl.finish() == 0)
    }

    /// Ctrl-D typed while an entry runs reaches the terminal in canonical mode, where it is an end-of-file mark,
    /// not a key: it was lost. Now dnb runs what was typed before it and leaves.
    @Test func ctrlDTypedWhileAnEntryRunsLeavesAfterIt() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        // About 2.5 s in a debug build: the keys below arrive while the loop runs.
        repl.type("print started; for i in 1..2000000 { let x = $i }; print finished\r")
        try repl.waitFor("\nstarted\n")
        repl.type("print \"typed-ahead\"\r\u{4}")
        #expect(try repl.waitForExit() == 0)
        let screen = repl.screen
        // The terminal echoed the keys before the loop ended, so they were typed while it ran; then the line ran.
        let echoed = try #require(screen.range(of: "print \"typed-ahead\"\n"))
        let finished = try #require(screen.range(of: "\nfinished\n"))
        #expect(echoed.lowerBound < finished.lowerBound, "\(screen)")
        #expect(screen[finished.upperBound...].contains("\ntyped-ahead\n"), "\(screen)")
    }

    @Test func historyPersistsAcrossSessionsAndIsSharedByConcurrentOnes() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let first = try TerminalSession(in: dir), second = try TerminalSession(in: dir)
        try first.waitFor("dnb> ")
        try second.waitFor("dnb> ")
        first.type("print \"from-first\"\r")
        try first.waitFor("\nfrom-first\n")
        second.type("print \"from-second\"\r")
        try second.waitFor("\nfrom-second\n")
        #expect(try first.finish() == 0)
        #expect(try second.finish() == 0)
        let file = try dir.read("state/dnb/history")
        #expect(file.contains("print \"from-first\"") && file.contains("print \"from-second\""), "history file: \(file)")

        // A new session recalls the latest entry with the Up arrow, and the one before with another.
        let third = try TerminalSession(in: dir)
        try third.waitFor("dnb> ")
        third.type("\u{1B}[A\u{1B}[A\r")
        try third.waitFor("\nfrom-first\n")
        #expect(try third.finish() == 0)
    }

    @Test func multiLineBlocksUseTheContinuationPrompt() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        repl.type("for i in 1..3 {\r")
        try repl.waitFor("...> ")
        repl.type("print \"round\" $i\r}\r")
        try repl.waitFor("round 3\n")
        #expect(repl.screen.contains("round 1\n") && repl.screen.contains("round 2\n"))
        #expect(try repl.finish() == 0)
    }

    @Test func ctrlCStopsTrainingKeepsTheStateAndClearsAHalfTypedLine() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        repl.type("""
            dataset load name=synthetic count=64 image_size=16\r\
            model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] \
            up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4\r\
            scheduler create\r\
            train max_steps=1000000 batch_size=8\r
            """)
        try repl.waitFor("Finished epoch 1.")  // two epochs of 8 steps: training is under way
        repl.type("\u{3}")
        try repl.waitFor("the model and losses are kept")
        try repl.waitFor("dnb> ", after: "interrupted")
        // The losses of the interrupted run are still there to plot.
        repl.type("plot loss\r")
        try repl.waitFor("[figure] out/repl/figures/loss.png: Training loss over ")
        #expect(FileManager.default.fileExists(atPath: dir.file("out/repl/figures/loss.png")))
        // Ctrl-C at the prompt abandons the typed line: the Enter after it runs nothing.
        repl.type("print \"never\"")
        try repl.waitFor("print \"never\"")
        repl.type("\u{3}")
        try repl.waitFor("dnb> ", after: "never\"^C")
        repl.type("\rprint \"alive\"\r")
        try repl.waitFor("\nalive\n")
        #expect(!repl.screen.contains("never\n"))
        #expect(try repl.finish() == 0)
    }

    /// Ctrl-C during a Ctrl-R history search aborts the search and empties the line: the Enter after it
    /// runs nothing, and what is typed next runs as typed (before, readline stayed in the search and the
    /// Enter ran the older entry the search had found).
    @Test func ctrlCAbortsAHistorySearchAndRunsNothingUnseen() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        repl.type("print \"older-entry\"\r")
        try repl.waitFor("\nolder-entry\n")
        repl.type("\u{12}older")
        try repl.waitFor("reverse-i-search")
        repl.type("\u{3}")
        try repl.waitFor("dnb> ", after: "^C")
        repl.type("\r")
        repl.type("print \"typed-after\"\r")
        try repl.waitFor("\ntyped-after\n")
        let runs = repl.screen.components(separatedBy: "\nolder-entry\n").count - 1
        #expect(runs == 1, "the searched-for entry ran again; the terminal shows:\n\(repl.screen)")
        #expect(try repl.finish() == 0)
    }

    /// `save session` after a `train` stopped with Ctrl-C: the notebook keeps that train with the step it
    /// reached (and leaves out help, vars and print), so `dnb run` replays it to the same step and losses.
    /// Its result was to be held (`let r = train …`), which the stop prevented: the replay is the bare `train`.
    @Test func aSavedSessionReplaysAnInterruptedTrainToTheSameState() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        repl.type("""
            seed 5\r\
            dataset load name=synthetic count=64 image_size=16\r\
            model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] \
            up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4\r\
            scheduler create\r\
            let r = train max_steps=1000000 batch_size=8 lr_schedule=cosine\r
            """)
        try repl.waitFor("Finished epoch 1.")
        repl.type("\u{3}")
        try repl.waitFor("dnb> ", after: "the model and losses are kept")
        let stopped = try #require(repl.screen.firstMatch(of: /stopped at step (\d+) \(Ctrl-C\)/), "\(repl.screen)")
        let step = Int(stopped.1)!
        repl.type("help\rvars\rprint \"look\"\rsave session s.dnb\r")
        try repl.waitFor("saved 5 entries to \(dir.path)/out/repl/s.dnb")
        #expect(try repl.finish() == 0)
        let notebook = try dir.read("out/repl/s.dnb")
        // The cosine schedule keeps the length it was planned with, or every step's learning rate would change.
        #expect(notebook.contains("```dnb\ntrain max_steps=\(step) batch_size=8 lr_schedule=cosine schedule_steps=1000000\n```"), "\(notebook)")
        #expect(!notebook.contains("help") && !notebook.contains("vars") && !notebook.contains("look"), "\(notebook)")

        let replay = try CLIBinary.run(["run", "out/repl/s.dnb", "--out", "replay"], in: dir)
        #expect(replay.status == 0, "\(replay)")
        // The same epoch averages, to the printed digit: the replay draws the same numbers.
        // (On the terminal the progress bar's text comes before each line, erased by a control sequence.)
        let epochLines = { (text: String) in text.matches(of: /Finished epoch \d+\. Average loss: [0-9.]+/).map { String($0.output) } }
        let live = epochLines(repl.screen), replayed = epochLines(replay.stdout)
        #expect(!live.isEmpty && live == replayed, "REPL: \(live)\nreplay: \(replayed)")
        // And the same step: 8 steps per epoch, plus the batches of the unfinished one.
        let partial = replay.stdout.firstMatch(of: /stopped (\d+) batches into epoch/).map { Int($0.1)! } ?? 0
        #expect(8 * replayed.count + partial == step, "\(replay)")
    }

    /// `sample` shows a progress bar on the terminal (stderr) and Ctrl-C stops it between steps; the REPL stays.
    @Test func samplingShowsProgressAndStopsOnCtrlC() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        repl.type("""
            model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] \
            up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4\r\
            scheduler create\r\
            sample n=1 steps=1000\r
            """)
        try repl.waitFor("sample [")
        try repl.waitFor("/1000  ")
        repl.type("\u{3}")
        try repl.waitFor("interrupted: sample n=1 steps=1000")
        repl.type("print \"alive\"\r")
        try repl.waitFor("\nalive\n")
        #expect(!repl.screen.contains("generated 1 image"))
        #expect(try repl.finish() == 0)
    }

    /// Input that once killed the REPL (stack overflow, abort on allocation) or that it mishandled:
    /// after each, it answers the next entry. `exit` leaves with 0, and SIGTERM with 143.
    @Test func hostileEntriesLeaveTheREPLAliveAndAnswering() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let repl = try TerminalSession(in: dir)
        try repl.waitFor("dnb> ")
        // 150 nested `[` on one line: past the limit the REPL stops waiting for `]` and reports.
        repl.type("print " + String(repeating: "[", count: 150) + "\r")
        try repl.waitFor("nests deeper than 100 levels")
        repl.type("print \"alive-1\"\r")
        try repl.waitFor("\nalive-1\n")
        repl.type("for i in 1..9223372036854775807 { print $i }\r")
        try repl.waitFor("has 9223372036854775807 values; at most 10000000 are allowed")
        repl.type("param p: int = 1\rparam p: float = 2.0\r")
        try repl.waitFor("parameter 'p' is declared as float here but as int in an earlier entry")
        repl.type("print \"alive-2\"\r")
        try repl.waitFor("\nalive-2\n")
        #expect(try repl.finish() == 0)

        let second = try TerminalSession(in: dir)
        try second.waitFor("dnb> ")
        second.type("exit\r")
        #expect(try second.waitForExit() == 0)

        // SIGTERM at the prompt: readline restores the terminal, dnb ends with 128 + 15.
        let third = try TerminalSession(in: dir)
        try third.waitFor("dnb> ")
        third.signal(SIGTERM)
        #expect(try third.waitForExit() == 143)

        // SIGHUP while an entry runs: the entry stops at its next check, then dnb leaves with 128 + 1.
        let fourth = try TerminalSession(in: dir)
        try fourth.waitFor("dnb> ")
        fourth.type("print started; for i in 1..10000000 { let x = $i }\r")
        try fourth.waitFor("\nstarted\n")
        fourth.signal(SIGHUP)
        try fourth.waitFor("interrupted by SIGHUP (the terminal went away): print started")
        #expect(try fourth.waitForExit() == 129)
    }
}

/// dnb's REPL on a pseudo-terminal, driven by keystrokes; everything it draws is collected.
final class TerminalSession: @unchecked Sendable {
    static let script = "/usr/bin/script"
    static var scriptAvailable: Bool { FileManager.default.isExecutableFile(atPath: script) }

    private let process = Process()
    private let keys = Pipe(), output = Pipe()
    private let lock = NSLock()
    private var received = Data()

    init(in dir: TemporaryDirectory, environment extra: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Self.script)
        // -q: no banner; -e: dnb's exit status; -f: flush at once; the log goes nowhere.
        process.arguments = ["-q", "-e", "-f", "-c", "exec '\(CLIBinary.url!.path)'", "/dev/null"]
        process.currentDirectoryURL = dir.url
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = dir.file("state")
        environment["DNB_THREADS"] = "1"
        environment["TERM"] = "xterm"
        environment["INPUTRC"] = "/dev/null"  // the user's key bindings must not change what the keys do
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardInput = keys
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.received.append(data) }
        }
        try process.run()
    }

    func type(_ text: String) {
        keys.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Everything dnb wrote, escape sequences included.
    var raw: String { lock.withLock { String(decoding: received, as: UTF8.self) } }

    /// What a person would read: the output without terminal control sequences, line ends as "\n".
    var screen: String {
        let raw = lock.withLock { String(decoding: received, as: UTF8.self) }
        return raw.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "")
    }

    /// Waits until `text` appears (after the last occurrence of `marker`, when given).
    func waitFor(_ text: String, after marker: String? = nil, timeout: TimeInterval = 60,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var visible = screen[...]
            if let marker {
                guard let range = visible.range(of: marker, options: .backwards) else { Thread.sleep(forTimeInterval: 0.02); continue }
                visible = visible[range.upperBound...]
            }
            if visible.contains(text) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("no \(text.debugDescription) within \(Int(timeout)) s; the terminal shows:\n\(screen)", sourceLocation: sourceLocation)
        throw TerminalSessionError.timeout
    }

    /// Ctrl-D at an empty prompt, then dnb's exit status. It waits for the prompt: the text a test waited for is
    /// printed before the entry ends, and a key typed then reaches dnb through the terminal's canonical mode
    /// (`ctrlDTypedWhileAnEntryRunsLeavesAfterIt` tests that path on purpose).
    func finish(timeout: TimeInterval = 30) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while !screen.hasSuffix("dnb> "), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        type("\u{4}")
        return try waitForExit(timeout: max(1, deadline.timeIntervalSinceNow))
    }

    /// Sends `number` to dnb (the child of `script`), not to `script` itself.
    func signal(_ number: Int32) {
        let children = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children",
                                    encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, number) }
    }

    /// dnb's exit status once it ends by itself.
    func waitForExit(timeout: TimeInterval = 30) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            Issue.record("dnb did not exit; the terminal shows:\n\(screen)")
            throw TerminalSessionError.timeout
        }
        output.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

enum TerminalSessionError: Error { case timeout }

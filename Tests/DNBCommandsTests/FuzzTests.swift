import DNBCommands
import DNBLanguage
import DNBTestSupport
import Foundation
import Testing

/// Seeded fuzzing of the real `dnb` binary: generated REPL lines (piped, hundreds per
/// process) and generated notebooks (`dnb check`), mixing valid commands taken from the
/// registry with hostile values. A case fails on a death by signal, an exit status that
/// docs/cli.md does not document, or a hang (no output for `stallSeconds`). The binary runs
/// in its own process so a crash cannot take the test runner down, with its working
/// directory, HOME and caches inside a `TemporaryDirectory`; the test checks that nothing
/// appeared beside the sandbox.
///
/// `DNB_FUZZ_SEED=n` replays one seed, `DNB_FUZZ_SCALE=k` runs k times as many cases
/// (bench/README.md, "Fuzzing").
@Suite("fuzz the dnb binary", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct FuzzTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["DNB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20261130
    static let scale: Int = ProcessInfo.processInfo.environment["DNB_FUZZ_SCALE"].flatMap { Int($0) } ?? 1

    @Test func pipedREPLSurvivesGeneratedLines() throws {
        let sandbox = try FuzzSandbox()
        var generator = FuzzGenerator(seed: Self.seed, sandbox: sandbox)
        var report = FuzzReport()
        for batch in 0..<(16 * Self.scale) {
            let lines = (0..<150).map { _ in generator.replLine() }
            if let dump = ProcessInfo.processInfo.environment["DNB_FUZZ_DUMP"] {
                try (lines.joined(separator: "\n") + "\n").write(toFile: "\(dump)/batch\(batch).txt", atomically: true, encoding: .utf8)
            }
            try sandbox.runREPL(prelude: FuzzGenerator.prelude, lines: lines, label: "seed \(Self.seed) batch \(batch)", into: &report)
        }
        sandbox.expectNothingOutside()
        report.finish("piped REPL")
    }

    @Test func checkSurvivesGeneratedNotebooks() throws {
        let sandbox = try FuzzSandbox()
        var generator = FuzzGenerator(seed: Self.seed &+ 1, sandbox: sandbox)
        generator.checkOnly = true
        var report = FuzzReport()
        for index in 0..<(300 * Self.scale) {
            let notebook = generator.notebook()
            if let dump = ProcessInfo.processInfo.environment["DNB_FUZZ_DUMP"] {
                try notebook.write(toFile: "\(dump)/notebook\(index).dnb", atomically: true, encoding: .utf8)
            }
            try sandbox.runCheck(notebook, label: "seed \(Self.seed &+ 1) notebook \(index)", into: &report)
        }
        sandbox.expectNothingOutside()
        report.finish("dnb check")
    }
}

// MARK: - Former crashes

/// The shortest reproducer of every crash class the fuzzer found (bench/README.md, "Fuzzing"), run on
/// every test run: each must now end in a clean, located error (or succeed), never a signal or a hang.
@Suite("former fuzz crashes", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct FormerCrashes {
    static let replLines = [
        "progression steps=2 snapshots=1", "progression steps=2 snapshots=2 rows=9223372036854775807",
        "progression steps=2 snapshots=9223372036854775807",
        "model summary depth=0", "model summary -1", "model summary depth=9223372036854775807",
        "model create seed=-1", "model create norm_num_groups=0", "model create in_channels=9223372036854775807",
        "dataset transform 2147483648", "dataset transform image_size=9223372036854775807",
        "sample n=2147483648", "refine n=9223372036854775807", "sample n=9223372036854775807",
        "scheduler create num_train_timesteps=2147483648",
        "dataset load name=synthetic count=-9223372036854775808", "dataset load name=synthetic count=4294967296",
        "dataset load name=synthetic count=0 image_size=8", "corrupt n=2", "dataset subset n=1",
        "let r = -9223372036854775808..9223372036854775807",
    ]
    static let checkedCells = [
        "for i in -9223372036854775808..9223372036854775807 { print 1 }", "print 1..9223372036854775807",
        "plot images name=1..9223372036854775807", "print -9223372036854775808..9223372036854775807",
        String(repeating: "for i in 1..1 {\n", count: 3_000) + String(repeating: "}\n", count: 3_000),
        "print " + String(repeating: "[", count: 100_000), "print " + String(repeating: "(", count: 100_000),
    ]

    @Test func formerCrashesAreCleanErrors() throws {
        let sandbox = try FuzzSandbox()
        var report = FuzzReport()
        try sandbox.runREPL(prelude: FuzzGenerator.prelude, lines: Self.replLines, label: "former crashes (REPL)", into: &report)
        for (index, cell) in Self.checkedCells.enumerated() {
            try sandbox.runCheck("# Former crash\n\n```dnb\n\(cell)\n```\n", label: "former crash \(index) (dnb check)", into: &report)
        }
        sandbox.expectNothingOutside()
        report.finish("former crashes")
    }
}

// MARK: - Known failures

/// Crash classes found but not yet fixed, each with its shortest reproducer (after the prelude
/// `FuzzGenerator.prelude`, piped to `dnb`). A failure whose signature (how it ended, innermost
/// dnb source file, runtime message) contains `signature` and whose entry satisfies `entry` is
/// counted, not recorded, so a known class can be committed with its fix pending; the run prints
/// the entries it no longer sees. A fixed class moves to `FormerCrashes`.
struct KnownFuzzFailure: Sendable {
    let name: String
    let reproducer: String
    let signature: String
    let entry: @Sendable (String) -> Bool

    /// Empty: every class found so far is fixed, and its reproducer is a case of `formerCrashesAreCleanErrors`.
    static let all: [KnownFuzzFailure] = []

    static func matching(_ entry: String, _ outcome: FuzzOutcome) -> KnownFuzzFailure? {
        all.first { outcome.signature.contains($0.signature) && $0.entry(entry) }
    }
}

// MARK: - Running

/// How one process ended.
struct FuzzOutcome: CustomStringConvertible {
    var status: Int32
    var signaled: Bool
    var stalled: Bool
    var stdout: String
    var stderr: String

    var failed: Bool { stalled || signaled }

    var how: String {
        stalled ? "hang (killed after \(FuzzSandbox.stallSeconds) s without output)" : signaled ? "signal \(status)" : "exit \(status)"
    }

    /// The runtime's message (`Fatal error: …`, or the `Swift runtime failure: …` of a trap), if any.
    var fatalMessage: String? {
        let lines = stderr.split(separator: "\n")
        if let fatal = lines.first(where: { $0.contains("Fatal error") }) { return String(fatal) }
        // glibc's heap checks ("free(): invalid pointer") abort with their own message.
        if let heap = lines.first(where: { $0.hasPrefix("free(): ") || $0.hasPrefix("malloc(): ") || $0.contains("double free") }) {
            return "Fatal error: " + heap
        }
        for line in lines {
            if let trap = line.range(of: "Swift runtime failure: ") {
                return "Fatal error: " + (String(line[trap.upperBound...]).components(separatedBy: " in dnb at ").first ?? "").replacingOccurrences(of: " ***", with: "")
            }
        }
        return nil
    }

    /// The first frames in dnb's own sources of the crashed thread, from Swift's backtrace.
    var frames: [String] {
        let lines = stderr.split(separator: "\n")
        guard let start = lines.firstIndex(where: { $0.contains("crashed:") }) else { return [] }
        return lines[start...].filter { $0.contains("/Sources/") && !$0.contains("<compiler-generated>") }.prefix(4).map {
            var frame = String($0)
            if let hex = frame.range(of: " 0x") { frame = String(frame[hex.upperBound...]).split(separator: " ", maxSplits: 1).last.map(String.init) ?? frame }
            return frame.replacingOccurrences(of: FuzzSandbox.sourceRoot, with: "")
        }
    }

    /// What tells crash classes apart: how it ended, the message, and the innermost dnb frame's file.
    var signature: String {
        let site = frames.first.flatMap { $0.split(separator: "/").last.map { String($0.split(separator: ":").first ?? $0) } } ?? "?"
        // Numbers vary within a class ("failed to allocate 25769803808 bytes"), so they are left out.
        let message = fatalMessage.map { String($0.split(separator: ":").suffix(2).joined(separator: ":")) } ?? " no message"
        return "\(how) at \(site):" + message.replacing(/[0-9]+/, with: "N")
    }

    var description: String {
        "\(how)\n\(fatalMessage ?? "")\n" + frames.map { "    " + $0 }.joined(separator: "\n")
            + (frames.isEmpty ? "--- stderr (tail) ---\n" + stderr.suffix(800) : "")
    }
}

/// What went wrong: each new crash class (signature) is recorded as an issue once, with its
/// reproducer; repeats and known classes are counted and listed at the end.
struct FuzzReport {
    var cases = 0
    /// REPL lines whose marker came out: the entries that really ran (a line that leaves a
    /// bracket or string open takes the following lines with it).
    var linesReached = 0
    var seconds = 0.0
    var known: [String: Int] = [:]
    var unknown: [String: Int] = [:]

    /// Records `failure` unless its class is known or was already recorded.
    mutating func failure(_ outcome: FuzzOutcome, entry: String, describe: () throws -> String) rethrows {
        if let known = KnownFuzzFailure.matching(entry, outcome) {
            self.known[known.name, default: 0] += 1
        } else {
            unknown[outcome.signature, default: 0] += 1
            if unknown[outcome.signature] == 1 { Issue.record(Comment(rawValue: try describe())) }
        }
    }

    func finish(_ label: String) {
        let list = { (counts: [String: Int]) in counts.isEmpty ? " none" : counts.map { "\n  ×\($0.value) \($0.key)" }.sorted().joined() }
        let reached = linesReached > 0 ? ", \(linesReached) REPL lines reached their marker" : ""
        print("fuzz \(label): \(cases) processes, \(Int(seconds)) s in them\(reached)\nunexpected failure classes:\(list(unknown))\nknown failure classes seen:\(list(known))")
        let missing = KnownFuzzFailure.all.map(\.name).filter { known[$0] == nil }
        if !missing.isEmpty { print("known failure classes not seen by this test (fixed? remove them from KnownFuzzFailure.all): \(missing)") }
    }
}

/// The per-test sandbox: `root/work/a/b/cwd` is the working directory, so relative paths with up
/// to four `..` stay inside `root`; `root/home` is HOME and every cache; `root/logs` holds the
/// process's stdin and output.
final class FuzzSandbox {
    /// Seconds without new output after which a process counts as hung. Every generated entry is
    /// followed by a marker `print`, and the generator keeps each entry under about a second in a
    /// debug build (tiny model, max_steps ≤ 2, steps ≤ 3), so 20 s is only reached by a real hang
    /// (or a machine twenty times slower than the two shared cores this was measured on).
    static let stallSeconds: Double = 20

    /// 4 GiB: a debug dnb with one OpenBLAS thread maps well under 1 GiB to train and sample the
    /// tiny models generated here.
    static let addressSpaceKiB = 4 << 20

    let directory: TemporaryDirectory
    var root: String { directory.path }
    var cwd: String { root + "/work/a/b/cwd" }
    var home: String { root + "/home" }
    var logs: String { root + "/logs" }

    init() throws {
        directory = try TemporaryDirectory("dnb-fuzz")
        let manager = FileManager.default
        for folder in [cwd, home, logs, cwd + "/folder", cwd + "/nodata", home + "/tmp"] {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        // Things that are not what a command expects, for paths to point at.
        manager.createFile(atPath: cwd + "/empty.npy", contents: Data())
        var garbage = Data()
        var state: UInt64 = 7
        for _ in 0..<4096 { state = state &* 6364136223846793005 &+ 1442695040888963407; garbage.append(UInt8(truncatingIfNeeded: state >> 56)) }
        manager.createFile(atPath: cwd + "/garbage.npy", contents: Data("\u{93}NUMPY\u{1}\u{0}".utf8) + garbage)
        manager.createFile(atPath: cwd + "/garbage.safetensors", contents: Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + garbage)
        manager.createFile(atPath: cwd + "/text.dnb", contents: Data("```dnb\nprint 1\n".utf8))
        try manager.createDirectory(atPath: cwd + "/badmodel", withIntermediateDirectories: true)
        manager.createFile(atPath: cwd + "/badmodel/config.json", contents: Data("{\"sample_size\": -1, \"block_out_channels\": [1e999]".utf8))
        manager.createFile(atPath: cwd + "/badmodel/diffusion_pytorch_model.safetensors", contents: garbage)
        // A FIFO blocks a reader until a writer comes: dnb must refuse it rather than wait (it does:
        // "cannot read fifo").
        #expect(mkfifo(cwd + "/fifo", 0o600) == 0)
        try manager.createSymbolicLink(atPath: cwd + "/loop", withDestinationPath: cwd + "/loop")
        try manager.createSymbolicLink(atPath: cwd + "/dangling", withDestinationPath: cwd + "/nowhere/at/all")
    }

    /// The top level of the sandbox root must hold only what it was given. The generator's paths
    /// climb at most three folders from the working directory (or the output folder below it),
    /// which stays inside `root/work`; anything else at the top was written by a path that escaped.
    func expectNothingOutside() {
        #expect(directory.contents == ["home", "logs", "work"], "written outside the working directory: \(directory.contents)")
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_STATE_HOME"] = home + "/state"
        environment["XDG_CACHE_HOME"] = home + "/cache"
        environment["TMPDIR"] = home + "/tmp"
        // An empty folder: `dataset load name=mnist` fails at once instead of downloading.
        environment["DNB_DATA"] = cwd + "/nodata"
        environment["DNB_FASHION_DATA"] = cwd + "/nodata"
        environment["DNB_THREADS"] = "1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        return environment
    }

    /// Runs dnb until it exits, or kills it when its stdout has not grown for `stallSeconds`.
    func run(_ arguments: [String], stdin: String) throws -> FuzzOutcome {
        let input = logs + "/stdin.txt", output = logs + "/stdout.txt", errors = logs + "/stderr.txt"
        FileManager.default.createFile(atPath: input, contents: Data(stdin.utf8))
        FileManager.default.createFile(atPath: output, contents: nil)
        FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        // Under a 4 GiB address-space limit, so that an allocation no budget refused fails in the
        // child (a crash this test reports) instead of taking the memory of a shared machine.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(Self.addressSpaceKiB) && exec \"$0\" \"$@\"", CLIBinary.url?.path ?? "dnb"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.environment = environment
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        var lastSize = -1
        var lastProgress = Date()
        var stalled = false
        while process.isRunning {
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            if size != lastSize {
                lastSize = size
                lastProgress = Date()
            } else if Date().timeIntervalSince(lastProgress) > Self.stallSeconds {
                stalled = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        let read = { (path: String) in String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self) }
        return FuzzOutcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                           stalled: stalled, stdout: read(output), stderr: read(errors))
    }

    /// Frames are shown relative to the repository.
    static let sourceRoot = repositoryRoot + "/"

    static func marker(_ index: Int) -> String { "FUZZMARK_\(index)" }

    /// Feeds `prelude` then `lines` to the piped REPL, each line followed by a marker `print`,
    /// restarting after a crash with the line after the one that crashed.
    func runREPL(prelude: [String], lines: [String], label: String, into report: inout FuzzReport) throws {
        let preludeText = prelude.map { $0 + "\n" }.joined()
        var start = 0
        while start < lines.count {
            var script = preludeText
            for index in start..<lines.count { script += lines[index] + "\nprint \(Self.marker(index))\n" }
            let began = Date()
            let outcome = try run([], stdin: script)
            report.cases += 1
            report.seconds += Date().timeIntervalSince(began)
            report.linesReached += (start..<lines.count).filter { outcome.stdout.contains(Self.marker($0) + "\n") }.count
            guard outcome.failed || ![0, 1].contains(outcome.status) else { break }
            // The culprit is the entry after the last marker printed (a line that leaves a bracket
            // open swallows the following lines, markers included, into one entry).
            var culprit = start
            for index in stride(from: lines.count - 1, through: start, by: -1) where outcome.stdout.contains(Self.marker(index) + "\n") {
                culprit = index + 1
                break
            }
            guard culprit < lines.count else {
                Issue.record("fuzz \(label): dnb died after the last entry: \(outcome)")
                break
            }
            var end = culprit + 1
            while end < lines.count, Parser.needsMoreInput(lines[culprit..<end].joined(separator: "\n")) { end += 1 }
            let entry = lines[culprit..<end].joined(separator: "\n")
            try report.failure(outcome, entry: entry) {
                // Shortest reproducer: the prelude and the entry alone, if that is enough.
                let alone = try run([], stdin: preludeText + entry + "\n")
                let reproduces = alone.failed || ![0, 1].contains(alone.status)
                let shown = reproduces ? prelude + [entry] : prelude + Array(lines[start..<end])
                return """
                    fuzz \(label), line \(culprit): \(outcome)
                    --- reproducer (\(reproduces ? "prelude and the entry" : "prelude and every line before it")), piped to dnb ---
                    \(shown.map(FuzzSandbox.abbreviated).joined(separator: "\n"))
                    """
            }
            start = end
        }
    }

    /// `dnb check` on one generated notebook: 0, 64 or 65 (docs/cli.md), nothing else.
    func runCheck(_ notebook: String, label: String, into report: inout FuzzReport) throws {
        try Data(notebook.utf8).write(to: URL(fileURLWithPath: cwd + "/fuzz.dnb"))
        let began = Date()
        let outcome = try run(["check", "fuzz.dnb"], stdin: "")
        report.cases += 1
        report.seconds += Date().timeIntervalSince(began)
        guard outcome.failed || ![0, 64, 65].contains(outcome.status) else { return }
        report.failure(outcome, entry: notebook) {
            "fuzz \(label): dnb check \(outcome)\n--- notebook ---\n\(FuzzSandbox.abbreviated(notebook))"
        }
    }

    /// Long generated text shortened for printing, saying how long it was.
    static func abbreviated(_ text: String) -> String {
        guard text.utf8.count > 400 else { return text }
        return String(text.prefix(200)) + " …[\(text.utf8.count) bytes in all; replay with DNB_FUZZ_SEED]… " + String(text.suffix(100))
    }
}

import Foundation
import Testing

/// End-to-end tests of the `dnb` executable, run as a subprocess on small
/// notebooks that use only built-in commands. The binary is looked up next
/// to the test bundle (the build products directory) or taken from
/// `DNB_BINARY`; when it has not been built the tests are skipped.
@Suite("dnb command line", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct CLITests {
    // MARK: - dnb run

    @Test func runWritesReportWithSections() throws {
        let dir = try CLITempDir()
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("[1/2] setup (cell at tiny.dnb:5)"))
        #expect(result.stdout.contains("epoch 2 of hello"))
        #expect(result.stdout.contains("out/tiny/report.md"))
        let report = try dir.read("out/tiny/report.md")
        for section in ["# Tiny", "## Environment", "## Parameters", "| epochs | int | `2` | default |", "```output", "epoch 1 of hello"] {
            #expect(report.contains(section), "report lacks \(section)")
        }
        #expect(!report.contains("Run stopped"))
    }

    /// The diffusion commands end to end: a tiny model on synthetic digits, trained, sampled and plotted.
    @Test func diffusionNotebookWritesFiguresWithProvenance() throws {
        let dir = try CLITempDir()
        try dir.write("mini.dnb", """
            # Mini

            ```dnb id=setup
            param steps: int = 2 "training steps"
            seed 3
            dataset load name=synthetic count=32 image_size=16
            model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4
            scheduler create type=ddim
            ```

            Train, then look.

            ```dnb id=train-and-sample
            train max_steps=$steps batch_size=16
            plot loss
            sample n=4 steps=3
            save tensor name=samples path=samples.npy
            ```
            """)
        let result = try CLIBinary.run(["run", "mini.dnb"], in: dir)
        #expect(result.status == 0, "\(result)")
        let report = try dir.read("out/mini/report.md")
        #expect(report.contains("![Training loss over 2 steps"))
        #expect(report.contains("(figures/loss.png)"))
        #expect(report.contains("(figures/samples.png)"))
        #expect(report.contains("Train, then look."))
        #expect(report.contains("## Seeds") && report.contains("mini.dnb:5: seed 3"), "the header names the seed and where it was set")
        for figure in ["loss", "samples"] {
            let png = try Data(contentsOf: URL(fileURLWithPath: dir.path("out/mini/figures/\(figure).png")))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(figure).png is a PNG")
            // Provenance text chunks: the command, the seed and the notebook's parameters.
            let text = String(decoding: png.prefix(4096), as: UTF8.self)
            #expect(text.contains("dnb:seed") && text.contains("steps=2"), "\(figure).png provenance")
        }
        #expect(FileManager.default.fileExists(atPath: dir.path("out/mini/samples.npy")))
    }

    @Test func setOverridesAParameter() throws {
        let dir = try CLITempDir()
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb", "--set", "epochs=3", "--set", "title=two words", "--out", "custom"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("epoch 3 of two words"))
        let report = try dir.read("custom/report.md")
        #expect(report.contains("| epochs | int | `3` | --set |"))
        #expect(report.contains("| title | string | `\"two words\"` | --set |"))
    }

    @Test func unknownSetIsAUsageError() throws {
        let dir = try CLITempDir()
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb", "--set", "epoch=3"], in: dir)
        #expect(result.status == 64)
        #expect(result.stderr.contains("did you mean 'epochs'?"))
    }

    @Test func failingCellGivesExit1AndPartialReport() throws {
        let dir = try CLITempDir()
        try dir.write("bad.dnb", Notebooks.failing)
        let result = try CLIBinary.run(["run", "bad.dnb"], in: dir)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("bad.dnb:9:6: argument 'value' must be ≥ 0, got -1"), "\(result)")
        #expect(!result.stdout.contains("never"))
        let report = try dir.read("out/bad/report.md")
        #expect(report.contains("> **Run stopped at cell 2 (boom) (bad.dnb:7)**"))
        #expect(report.contains("not run"))
    }

    @Test func keepGoingRunsTheRest() throws {
        let dir = try CLITempDir()
        try dir.write("bad.dnb", Notebooks.failing)
        let result = try CLIBinary.run(["run", "bad.dnb", "--keep-going"], in: dir)
        #expect(result.status == 1)
        #expect(result.stdout.contains("never"))
    }

    @Test func runHelpListsTheNotebookParameters() throws {
        let dir = try CLITempDir()
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb", "--help"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("USAGE: dnb run"))
        #expect(result.stdout.contains("--set epochs=<int>"))
        #expect(result.stdout.contains("Number of epochs (default: 2)"))
        #expect(result.stdout.contains("--set title=<string>"))
        // Nothing ran.
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func sigintStopsTheRunWithAPartialReport() throws {
        let dir = try CLITempDir()
        try dir.write("long.dnb", Notebooks.long)
        let process = try CLIBinary.start(["run", "long.dnb"], in: dir)
        // Foundation may start children with signals blocked: SIGKILL always works.
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Wait until the long cell is running.
        let started = Date()
        while !((try? dir.read("stdout.txt"))?.contains("[2/3] spin") ?? false) {
            #expect(process.isRunning)
            guard process.isRunning, Date().timeIntervalSince(started) < 60 else { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        process.interrupt()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "dnb did not stop after SIGINT")
        guard !process.isRunning else { return }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130)
        let report = try dir.read("out/long/report.md")
        #expect(report.contains("> **Run interrupted at cell 2 (spin)"))
        #expect(!(try dir.read("stdout.txt")).contains("after"))
    }

    // MARK: - dnb check

    @Test func checkReportsEveryProblemWithPosition() throws {
        let dir = try CLITempDir()
        try dir.write("invalid.dnb", Notebooks.invalid)
        let result = try CLIBinary.run(["check", "invalid.dnb"], in: dir)
        #expect(result.status == 65)
        #expect(result.stderr.contains("invalid.dnb:2:1: unknown command 'prnt'; did you mean 'print'?"))
        #expect(result.stderr.contains("invalid.dnb:4:9: unknown variable '$j'"))
    }

    @Test func checkAcceptsAGoodNotebook() throws {
        let dir = try CLITempDir()
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["check", "tiny.dnb"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty)
    }

    @Test func runRefusesANotebookThatFailsCheck() throws {
        let dir = try CLITempDir()
        try dir.write("invalid.dnb", Notebooks.invalid)
        let result = try CLIBinary.run(["run", "invalid.dnb"], in: dir)
        #expect(result.status == 65)
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/invalid/report.md")))
    }

    // MARK: - piped REPL

    @Test func pipedCommandsRun() throws {
        let dir = try CLITempDir()
        let result = try CLIBinary.run([], stdin: "print 1\nlet n = 3\nfor i in 1..$n {\n  print \"i={i}\"\n}\n", in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "1\ni=1\ni=2\ni=3\n")
        #expect(!result.stdout.contains("dnb>"))
    }

    @Test func pipedBadLineFailsWithPosition() throws {
        let dir = try CLITempDir()
        let result = try CLIBinary.run(["repl"], stdin: "print 1\nprnt 2\nprint 3\n", in: dir)
        #expect(result.status == 1)
        #expect(result.stdout == "1\n3\n")
        #expect(result.stderr.contains("<stdin>:2:1: unknown command 'prnt'; did you mean 'print'?"))
        #expect(result.stderr.contains("first at <stdin>:2:1"))
    }

    @Test func threadsOptionReachesTheEngine() throws {
        let dir = try CLITempDir()
        let result = try CLIBinary.run(["--threads", "1"], stdin: "env\n", in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("(dnb uses 1)"))
    }

    @Test func versionFlag() throws {
        let dir = try CLITempDir()
        let result = try CLIBinary.run(["--version"], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout.first?.isNumber == true)
    }
}

// MARK: - Fixtures

private enum Notebooks {
    static let tiny = """
        # Tiny

        Some prose.

        ```dnb id=setup
        param epochs: int = 2 "Number of epochs"
        param title: string = "hello"
        seed 7
        env
        ```

        ```dnb id=loop
        for e in 1..$epochs {
          print "epoch {e} of {title}"
        }
        ```

        """

    static let failing = """
        # Bad

        ```dnb
        print "ok"
        ```

        ```dnb id=boom
        let x = -1
        seed $x
        ```

        ```dnb
        print "never"
        ```

        """

    static let invalid = """
        ```dnb
        prnt 1
        for i in 1..3 {
          print $j
        }
        ```

        """

    static let long = """
        # Long

        ```dnb id=first
        print "starting"
        ```

        ```dnb id=spin
        for i in 1..100000 {
          for j in 1..100000 {
            let x = $j
          }
        }
        ```

        ```dnb
        print "after"
        ```

        """
}

// MARK: - Running the binary

struct CLIResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

enum CLIBinary {
    /// `DNB_BINARY`, or `dnb` beside the running test bundle.
    static let url: URL? = {
        if let explicit = ProcessInfo.processInfo.environment["DNB_BINARY"] {
            return FileManager.default.isExecutableFile(atPath: explicit) ? URL(fileURLWithPath: explicit) : nil
        }
        var candidates: [URL] = []
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: resolved).deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            let binary = directory.appendingPathComponent("dnb")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: binary.path)
            {
                return binary
            }
        }
        return nil
    }()

    static let missingMessage: Comment =
        "the dnb executable is not built next to the tests: run `swift build --product dnb` (same configuration) or set DNB_BINARY"

    /// Starts dnb with stdout and stderr going to `stdout.txt` / `stderr.txt` in `dir`.
    static func start(_ arguments: [String], stdin: String? = nil, in dir: CLITempDir) throws -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = dir.url
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = dir.path("state")
        environment["DNB_THREADS"] = "1"
        process.environment = environment
        FileManager.default.createFile(atPath: dir.path("stdout.txt"), contents: nil)
        FileManager.default.createFile(atPath: dir.path("stderr.txt"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: dir.url.appendingPathComponent("stdout.txt"))
        process.standardError = try FileHandle(forWritingTo: dir.url.appendingPathComponent("stderr.txt"))
        if let stdin {
            let input = dir.path("stdin.txt")
            FileManager.default.createFile(atPath: input, contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    static func run(_ arguments: [String], stdin: String? = nil, in dir: CLITempDir) throws -> CLIResult {
        let process = try start(arguments, stdin: stdin, in: dir)
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: try dir.read("stdout.txt"), stderr: try dir.read("stderr.txt"))
    }
}

/// A fresh directory under the system's temporary directory, removed when released.
final class CLITempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dnb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: path(relative), atomically: true, encoding: .utf8)
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }
}

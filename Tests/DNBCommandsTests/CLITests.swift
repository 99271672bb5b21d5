import Foundation
import Testing
import DNBTestSupport

/// End-to-end tests of the `dnb` executable, run as a subprocess on small
/// notebooks that use only built-in commands. The binary is looked up next
/// to the test bundle (the build products directory) or taken from
/// `DNB_BINARY`; when it has not been built the tests are skipped.
@Suite("dnb command line", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct CLITests {
    // MARK: - dnb run

    @Test func runWritesReportWithSections() throws {
        let dir = try TemporaryDirectory("dnb-cli")
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
        let dir = try TemporaryDirectory("dnb-cli")
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
            let png = try Data(contentsOf: URL(fileURLWithPath: dir.file("out/mini/figures/\(figure).png")))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(figure).png is a PNG")
            // Provenance text chunks: the command, the seed and the notebook's parameters.
            let text = String(decoding: png.prefix(4096), as: UTF8.self)
            #expect(text.contains("dnb:seed") && text.contains("steps=2"), "\(figure).png provenance")
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("out/mini/samples.npy")))
    }

    @Test func setOverridesAParameter() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb", "--set", "epochs=3", "--set", "title=two words", "--out", "custom"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("epoch 3 of two words"))
        let report = try dir.read("custom/report.md")
        #expect(report.contains("| epochs | int | `3` | --set |"))
        #expect(report.contains("| title | string | `\"two words\"` | --set |"))
    }

    @Test func unknownSetIsAUsageError() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb", "--set", "epoch=3"], in: dir)
        #expect(result.status == 64)
        #expect(result.stderr.contains("did you mean 'epochs'?"))
    }

    @Test func failingCellGivesExit1AndPartialReport() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("bad.dnb", Notebooks.failing)
        let result = try CLIBinary.run(["run", "bad.dnb"], in: dir)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("bad.dnb:9:6: argument 'value' must be ≥ 0, ≤ 9223372036854775807, got -1"), "\(result)")
        #expect(!result.stdout.contains("never"))
        let report = try dir.read("out/bad/report.md")
        #expect(report.contains("> **Run stopped at cell 2 (boom) (bad.dnb:7)**"))
        #expect(report.contains("not run"))
    }

    @Test func keepGoingRunsTheRest() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("bad.dnb", Notebooks.failing)
        let result = try CLIBinary.run(["run", "bad.dnb", "--keep-going"], in: dir)
        #expect(result.status == 1)
        #expect(result.stdout.contains("never"))
    }

    @Test func runHelpListsTheNotebookParameters() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb", "--help"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("USAGE: dnb run"))
        #expect(result.stdout.contains("--set epochs=<int>"))
        #expect(result.stdout.contains("Number of epochs (default: 2)"))
        #expect(result.stdout.contains("--set title=<string>"))
        // Nothing ran.
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    }

    /// Ctrl-C, and the signals timeouts and batch schedulers (SIGTERM) or a closed terminal (SIGHUP)
    /// send, all stop the run at the next check with a partial report and 128 + the signal.
    @Test(arguments: [(SIGINT, "interrupted"), (SIGTERM, "interrupted by SIGTERM"), (SIGHUP, "interrupted by SIGHUP")])
    func aStopSignalEndsTheRunWithAPartialReport(signal: Int32, message: String) throws {
        let dir = try TemporaryDirectory("dnb-cli")
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
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "dnb did not stop after signal \(signal)")
        guard !process.isRunning else { return }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + signal)
        let report = try dir.read("out/long/report.md")
        #expect(report.contains("> **Run interrupted at cell 2 (spin)"))
        #expect(report.contains(": \(message)"), "report: \(report)")
        #expect(!(try dir.read("stdout.txt")).contains("after"))
    }

    /// `dnb run … | head -1` once died of SIGPIPE with no report at all.
    @Test func aClosedStdoutStillGetsTheReportWritten() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("chatty.dnb", "```dnb\nfor i in 1..2000 {\n  print $i\n}\n```\n\n```dnb id=last\nprint done\n```\n")
        let process = Process()
        // The test runner may ignore SIGPIPE, and children inherit that: env restores the default,
        // so this test fails unless dnb ignores SIGPIPE itself.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--default-signal=PIPE", CLIBinary.url!.path, "run", "chatty.dnb"]
        process.currentDirectoryURL = dir.url
        process.environment = ProcessInfo.processInfo.environment.merging(["DNB_THREADS": "1"]) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        try? pipe.fileHandleForWriting.close()
        // Read the first bytes, as `head -1` does, then close the pipe.
        _ = pipe.fileHandleForReading.readData(ofLength: 1)
        try pipe.fileHandleForReading.close()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "dnb died of signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 0)
        let report = try dir.read("out/chatty/report.md")
        #expect(report.contains("<sub>cell 2 (last)"), "the run went on to its last cell")
    }

    /// A full disk is found before the first cell (the report saying the run started is written
    /// first), not after every cell ran. RLIMIT_FSIZE makes every write to a file fail with EFBIG
    /// without root; stdout and stderr are pipes, which it does not limit.
    @Test func aFullDiskIsFoundBeforeAnyCellRuns() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.runWithFileSizeLimit(blocks: 0, ["run", "tiny.dnb", "--out", "res"], in: dir)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("cannot write res/report.md: File too large"), "\(result)")
        #expect(!result.stdout.contains("[1/2]"), "no cell ran")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("res")) == [], "no temporary file (nor the released lock) is left behind")
    }

    /// libpng reports a failed write as "Write Error"; the message must give the cause.
    @Test func aFigureThatCannotBeWrittenSaysWhy() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        // 16 images of 28×28 noise as float32 NHWC .npy: their grid is an 8 KB PNG, beyond stdio's
        // 4 KB buffer, so the failure comes from libpng's own write, not from the final flush.
        var generator = SystemRandomNumberGenerator()
        let values = (0..<(16 * 28 * 28)).map { _ in Float.random(in: 0...1, using: &generator) }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (16, 28, 28, 1), }"
        header += String(repeating: " ", count: 127 - 10 - header.utf8.count) + "\n"
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8))
        values.withUnsafeBufferPointer { npy.append(Data(buffer: $0)) }
        try npy.write(to: URL(fileURLWithPath: dir.file("noise.npy")))
        try dir.write("png.dnb", "```dnb\nload tensor name=img path=\(dir.file("noise.npy"))\nplot images name=img\n```\n")
        // 4 blocks of 512 bytes: the report saying the run started fits, the 8 KB figure does not.
        let result = try CLIBinary.runWithFileSizeLimit(blocks: 4, ["run", "png.dnb", "--out", "res"], in: dir)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("png.dnb:3:1: cannot write PNG \(dir.file("res/figures/img.png")): File too large"), "\(result)")
    }

    @Test func unusableOutputFoldersAreUsageErrors() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        try dir.write("afile", "not a folder")
        for (out, message) in [("", "the output folder is an empty path"), ("afile", "cannot create folder afile: a file of that name exists")] {
            let result = try CLIBinary.run(["run", "tiny.dnb", "--out", out], in: dir)
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains(message), "\(result)")
            #expect(!result.stdout.contains("[1/2]"), "no cell ran")
        }
    }

    /// Two runs on one folder once replaced each other's report and mixed their figures.
    @Test func aSecondRunOnTheSameOutputFolderIsRefused() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("long.dnb", Notebooks.long)
        try dir.write("tiny.dnb", Notebooks.tiny)
        let first = try CLIBinary.start(["run", "long.dnb", "--out", "shared"], in: dir)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let started = Date()
        while !((try? dir.read("stdout.txt"))?.contains("[2/3] spin") ?? false) {
            guard first.isRunning, Date().timeIntervalSince(started) < 60 else { Issue.record("the first run did not start"); return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // The second run works in a folder of its own, so that its stdout.txt is not the first run's.
        let other = try TemporaryDirectory("dnb-cli")
        try other.write("tiny.dnb", Notebooks.tiny)
        let second = try CLIBinary.run(["run", "tiny.dnb", "--out", dir.file("shared")], in: other)
        #expect(second.status == 64)
        #expect(second.stderr.contains("\(dir.file("shared")) is in use by another dnb process (as the output folder of a run)"), "\(second)")
        #expect(!second.stdout.contains("[1/2]"), "the second run ran nothing")
        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExit()
        #expect(first.terminationStatus == 143)
        let report = try dir.read("shared/report.md")
        #expect(report.hasPrefix("# Long\n") && report.contains("Run interrupted at cell 2 (spin)"), "the first run's report is whole")
        // Once the first run ended, the folder is free again.
        #expect(try CLIBinary.run(["run", "tiny.dnb", "--out", dir.file("shared")], in: other).status == 0)
    }

    @Test func tildeIsTheHomeFolderInOutAndPathValues() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("where.dnb", "```dnb\nparam data: path = \"~/mnist\"\nprint $data\n```\n")
        let home = dir.file("home")
        let result = try CLIBinary.run(["run", "where.dnb", "--out", "~/runs/w"], environment: ["HOME": home], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\n\(home)/mnist\n"), "\(result)")
        #expect(FileManager.default.fileExists(atPath: home + "/runs/w/report.md"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("~")), "no literal ~ folder")
    }

    @Test func aBadThreadsEnvironmentIsAUsageError() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["run", "tiny.dnb"], environment: ["DNB_THREADS": "abc"], in: dir)
        #expect(result.status == 64)
        #expect(result.stderr.contains("DNB_THREADS=abc is not a number of cores"), "\(result)")
        // --threads decides, so the variable is not consulted.
        #expect(try CLIBinary.run(["run", "tiny.dnb", "--threads", "1"], environment: ["DNB_THREADS": "abc"], in: dir).status == 0)
    }

    /// 10,000 nested `for` or 100,000 `[` overflowed the stack in check, run and the REPL.
    @Test func deepNestingAndHugeRangesAreLocatedErrors() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let loops = String(repeating: "for i in 1..1 {\n", count: 10_000) + String(repeating: "}\n", count: 10_000)
        try dir.write("loops.dnb", "```dnb\n" + loops + "```\n")
        try dir.write("lists.dnb", "```dnb\nprint " + String(repeating: "[", count: 100_000) + "\n```\n")
        try dir.write("range.dnb", "```dnb\nfor i in 1..9223372036854775807 {\n  print $i\n}\n```\n")
        let expected = [
            "loops.dnb": "loops.dnb:102:15: '{' nests deeper than 100 levels",
            "lists.dnb": "lists.dnb:2:107: '[' nests deeper than 100 levels",
            "range.dnb": "range.dnb:2:10: range 1..9223372036854775807 has 9223372036854775807 values",
        ]
        for (file, message) in expected {
            for subcommand in ["check", "run"] {
                let result = try CLIBinary.run([subcommand, file], in: dir)
                #expect(result.status == 65, "\(subcommand) \(file): \(result)")
                #expect(result.stderr.contains(message), "\(subcommand) \(file): \(result)")
            }
        }
        let piped = try CLIBinary.run([], stdin: "print " + String(repeating: "[", count: 100_000) + "\nprint alive\n", in: dir)
        #expect(piped.status == 1, "\(piped)")
        #expect(piped.stderr.contains("<stdin>:1:107: '[' nests deeper than 100 levels"))
        #expect(piped.stdout == "alive\n")
    }

    @Test func exitAndQuitEndPipedInput() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        for word in ["exit", "quit"] {
            let result = try CLIBinary.run([], stdin: "print 1\n\(word)\nprint 2\n", in: dir)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "1\n")
        }
    }

    /// `--verbose` adds the data locator's detail (every place looked in) under its status lines.
    @Test(.enabled(if: realMNISTDirectory != nil, "real MNIST not found (DNB_DATA or ../shared/data/mnist)"))
    func verboseShowsWhereTheDataWasLookedFor() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let load = "dataset load name=mnist limit=8 data=\"\(realMNISTDirectory!)\"\n"
        let quiet = try CLIBinary.run([], stdin: load, in: dir)
        let verbose = try CLIBinary.run(["--verbose"], stdin: load, in: dir)
        #expect(quiet.status == 0 && verbose.status == 0, "\(quiet) \(verbose)")
        #expect(!quiet.stdout.contains("  MNIST: using"))
        #expect(verbose.stdout.contains("  MNIST: using \(realMNISTDirectory!)"), "\(verbose.stdout)")
    }

    // MARK: - dnb check

    @Test func checkReportsEveryProblemWithPosition() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("invalid.dnb", Notebooks.invalid)
        let result = try CLIBinary.run(["check", "invalid.dnb"], in: dir)
        #expect(result.status == 65)
        #expect(result.stderr.contains("invalid.dnb:2:1: unknown command 'prnt'; did you mean 'print'?"))
        #expect(result.stderr.contains("invalid.dnb:4:9: unknown variable '$j'"))
    }

    @Test func checkAcceptsAGoodNotebook() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", Notebooks.tiny)
        let result = try CLIBinary.run(["check", "tiny.dnb"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty)
    }

    /// The repository's own notebooks (notebooks/, bench/) stay valid as commands change.
    @Test func repositoryNotebooksPassCheck() throws {
        var checked = 0
        for folder in ["notebooks", "bench"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/" + folder)
            for name in names.sorted() where name.hasSuffix(".dnb") {
                let result = try CLIBinary.run(["check", repositoryRoot + "/" + folder + "/" + name], in: try TemporaryDirectory("dnb-cli"))
                #expect(result.status == 0, "\(folder)/\(name): \(result)")
                checked += 1
            }
        }
        #expect(checked >= 5, "notebooks/ and bench/ hold the quickstart, the tutorial and the benchmark notebooks")
    }

    @Test func runRefusesANotebookThatFailsCheck() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("invalid.dnb", Notebooks.invalid)
        let result = try CLIBinary.run(["run", "invalid.dnb"], in: dir)
        #expect(result.status == 65)
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/invalid/report.md")))
    }

    // MARK: - piped REPL

    @Test func pipedCommandsRun() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let result = try CLIBinary.run([], stdin: "print 1\nlet n = 3\nfor i in 1..$n {\n  print \"i={i}\"\n}\n", in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "1\ni=1\ni=2\ni=3\n")
        #expect(!result.stdout.contains("dnb>"))
    }

    @Test func pipedBadLineFailsWithPosition() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let result = try CLIBinary.run(["repl"], stdin: "print 1\nprnt 2\nprint 3\n", in: dir)
        #expect(result.status == 1)
        #expect(result.stdout == "1\n3\n")
        #expect(result.stderr.contains("<stdin>:2:1: unknown command 'prnt'; did you mean 'print'?"))
        #expect(result.stderr.contains("first at <stdin>:2:1"))
    }

    @Test func threadsOptionReachesTheEngine() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let result = try CLIBinary.run(["--threads", "1"], stdin: "env\n", in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("(dnb uses 1)"))
    }

    /// OPENBLAS_CORETYPE is the user's choice of kernels: dnb keeps it even where it would replace
    /// OpenBLAS's own choice (COpenBLASCore.h), and `env` shows the kernels in use.
    @Test func userChosenOpenBLASKernelsAreKept() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let result = try CLIBinary.run([], stdin: "env\n", environment: ["OPENBLAS_CORETYPE": "Prescott"], in: dir)
        #expect(result.status == 0, "\(result)")
        let row = result.stdout.split(separator: "\n").first { $0.contains("BLAS") }.map(String.init) ?? ""
        #expect(!row.contains("chosen by dnb"), "\(row)")
        #if arch(x86_64)
        if dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_init") != nil {  // RTLD_DEFAULT; a DYNAMIC_ARCH build
            #expect(row.contains("(kernel Prescott)"), "\(row)")
        }
        #endif
    }

    @Test func versionFlag() throws {
        let dir = try TemporaryDirectory("dnb-cli")
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
    static func start(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:],
                      in dir: TemporaryDirectory) throws -> Process {
        try startProgram(nil, arguments, stdin: stdin, environment: extra, in: dir)
    }

    /// As `start`, with another program (`mpirun`) in front; nil: dnb itself.
    static func startProgram(_ program: String?, _ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:],
                             in dir: TemporaryDirectory) throws -> Process {
        let process = Process()
        process.executableURL = program.map { URL(fileURLWithPath: $0) } ?? url
        process.arguments = arguments
        process.currentDirectoryURL = dir.url
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = dir.file("state")
        environment["DNB_THREADS"] = "1"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        FileManager.default.createFile(atPath: dir.file("stdout.txt"), contents: nil)
        FileManager.default.createFile(atPath: dir.file("stderr.txt"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("stdout.txt")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("stderr.txt")))
        if let stdin {
            let input = dir.file("stdin.txt")
            FileManager.default.createFile(atPath: input, contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Runs dnb with RLIMIT_FSIZE set to `blocks` × 512 bytes, the way a full disk behaves without
    /// root: writes to files beyond it fail with EFBIG (`trap '' XFSZ` keeps the signal from killing
    /// dnb; the ignored disposition survives exec). stdout and stderr are pipes, which it does not limit.
    static func runWithFileSizeLimit(blocks: Int, _ arguments: [String], in dir: TemporaryDirectory) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(blocks); exec \"$@\"", "sh", url!.path] + arguments
        process.currentDirectoryURL = dir.url
        process.environment = ProcessInfo.processInfo.environment.merging(["DNB_THREADS": "1"]) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Outputs are a few lines, well within a pipe's buffer, so reading after the exit cannot block dnb.
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                         stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    in dir: TemporaryDirectory) throws -> CLIResult {
        try runProgram(nil, arguments, stdin: stdin, environment: environment, in: dir)
    }

    static func runProgram(_ program: String?, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                           in dir: TemporaryDirectory) throws -> CLIResult {
        let process = try startProgram(program, arguments, stdin: stdin, environment: environment, in: dir)
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: try dir.read("stdout.txt"), stderr: try dir.read("stderr.txt"))
    }
}


import DNBEngine
import DNBTestSupport
@testable import DNBCommands
import Foundation
import Testing

/// `mpirun -np N dnb …` (docs/distributed.md): data-parallel training and sampling give what one process gives,
/// checkpoints move between numbers of ranks, and a failure on any rank ends every rank without a hang.
/// Needs Open MPI's `mpirun` (`scripts/install-deps.sh --tests`); skipped without it unless DNB_REQUIRE_MPI=1.
@Suite(.serialized) struct DistributedTests {
    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["DNB_REQUIRE_MPI"] == "1"

    /// A tiny model on synthetic digits; each step's loss printed at full precision, the weights saved.
    static func notebook(steps: Int, extra: String = "", train: String = "") -> String {
        """
        # Data-parallel check

        ```dnb
        param steps: int = \(steps)
        seed 11
        dataset load name=synthetic count=40 image_size=16
        model create block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] norm_num_groups=4 layers_per_block=1 sample_size=16
        scheduler create
        sample n=5 steps=4 figure=before
        save tensor samples path=before.npy
        \(extra)
        let first = train batch_size=8 max_steps=1 progress=false \(train)
        print "loss 1 {first.last_loss}"
        for i in 2..$steps {
          let r = train max_steps=$i progress=false \(train)
          print "loss {i} {r.last_loss}"
        }
        model save path=model
        ```
        """
    }

    /// Runs dnb under `mpirun -np ranks` (nil: a plain process) in `dir`, one engine thread per rank.
    static func run(_ arguments: [String], ranks: Int?, stdin: String? = nil, environment: [String: String] = [:],
                    mpmd: [String] = [], in dir: TemporaryDirectory) throws -> CLIResult {
        guard let ranks, let mpirun else { return try CLIBinary.run(arguments, stdin: stdin, environment: environment, in: dir) }
        // --oversubscribe: more ranks than cores is fine for tiny models; root needs --allow-run-as-root (CI runs as root).
        var launcher = ["--oversubscribe", "-x", "DNB_THREADS", "-x", "XDG_STATE_HOME"] + environment.keys.sorted().flatMap { ["-x", $0] }
        if getuid() == 0 { launcher.insert("--allow-run-as-root", at: 0) }
        let binary = CLIBinary.url!.path
        let command = launcher + ["-np", String(ranks), binary] + arguments + mpmd.flatMap { [$0] }
        return try CLIBinary.runProgram(mpirun, command, stdin: stdin, environment: environment, in: dir)
    }

    static func losses(_ stdout: String) -> [Double] {
        stdout.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count == 3 && parts[0] == "loss" ? Double(parts[2]) : nil
        }
    }

    static func weights(_ folder: String) throws -> [String: [Float]] {
        let file = try SafetensorsFile.read(URL(fileURLWithPath: folder + "/diffusion_pytorch_model.safetensors"))
        return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.floats($0)) })
    }

    static func largestDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float {
        var worst: Float = 0
        for (name, x) in a {
            guard let y = b[name], y.count == x.count else { return .infinity }
            for i in x.indices { worst = max(worst, abs(x[i] - y[i])) }
        }
        return a.count == b.count ? worst : .infinity
    }

    static func readNumpyFloats(_ path: String) throws -> [Float] {
        try NumpyFile.decode(Data(contentsOf: URL(fileURLWithPath: path)), path: path).values
    }

    static func available() -> Bool {
        if mpirun == nil { #expect(!required, "DNB_REQUIRE_MPI=1 but mpirun is missing: apt-get install openmpi-bin") }
        return mpirun != nil && CLIBinary.url != nil
    }

    /// Tolerances, argued: the ranks compute the same per-image values and differ from one process only in the
    /// order float32 partial sums are added (each rank's gradient of 4 images, then the allreduce): relative
    /// differences of ~1e-7 per gradient. The printed loss is a sum of per-rank shares: 1e-5 relative leaves
    /// room for 20 steps of that drift. Adam divides each gradient by √v, so elements whose gradients are
    /// near zero can move by up to lr (1e-3) per step whatever the rounding; over 20 steps that is at most
    /// 2e-2, and 1e-3 (seen: ~2e-5) still catches a wrong shard, a missing average or a stale broadcast,
    /// which move weights by the learning rate on every element.
    static let lossTolerance = 1e-5, weightTolerance: Float = 1e-3

    @Test func twoRanksTrainAsOneProcessWithTheSameGlobalBatch() throws {
        guard Self.available() else { return }
        let one = try TemporaryDirectory(), two = try TemporaryDirectory(), three = try TemporaryDirectory()
        // An absolute path: rank 0 writes it; the other ranks write theirs inside their private folders.
        for dir in [one, two, three] { try dir.write("p.dnb", Self.notebook(steps: 20, extra: "save tensor samples path=\(dir.file("elsewhere/abs.npy"))")) }
        let single = try Self.run(["run", "p.dnb", "--out", "out", "--no-cache"], ranks: nil, in: one)
        let pair = try Self.run(["run", "p.dnb", "--out", "out"], ranks: 2, in: two)
        // Three ranks split a batch of 8 as 3, 3, 2.
        let triple = try Self.run(["run", "p.dnb", "--out", "out"], ranks: 3, in: three)
        for result in [single, pair, triple] { #expect(result.status == 0, "\(result)") }
        let reference = Self.losses(single.stdout)
        #expect(reference.count == 20)
        for (result, dir) in [(pair, two), (triple, three)] {
            let losses = Self.losses(result.stdout)
            #expect(losses.count == 20, "\(result)")
            for (a, b) in zip(reference, losses) { #expect(abs(a - b) <= Self.lossTolerance * abs(a), "loss \(b) vs \(a)") }
            let difference = Self.largestDifference(try Self.weights(one.file("out/model")), try Self.weights(dir.file("out/model")))
            #expect(difference <= Self.weightTolerance, "largest weight difference \(difference)")
            // Sampling split across ranks: the same images (untrained model; only float rounding differs).
            let a = try Self.readNumpyFloats(one.file("out/before.npy")), b = try Self.readNumpyFloats(dir.file("out/before.npy"))
            #expect(a.count == b.count && a.count == 5 * 16 * 16)
            #expect(zip(a, b).map { abs($0 - $1) }.max() ?? 1 <= 1e-4)
            // Rank 0 alone writes: one report, and no rank left its private folder behind.
            #expect(try Self.readNumpyFloats(dir.file("elsewhere/abs.npy")) == b)
            let report = try dir.read("out/report.md")
            #expect(report.contains("Open MPI") && report.contains("ranks"))
            #expect(!result.stdout.contains("loss 1 ") || result.stdout.components(separatedBy: "loss 1 ").count == 2, "one rank prints")
        }
    }

    @Test func aCheckpointFromTwoRanksResumesInOneProcess() throws {
        guard Self.available() else { return }
        let straight = try TemporaryDirectory(), split = try TemporaryDirectory()
        try straight.write("p.dnb", Self.notebook(steps: 12))
        let single = try Self.run(["run", "p.dnb", "--out", "out", "--no-cache"], ranks: nil, in: straight)
        #expect(single.status == 0, "\(single)")
        try split.write("p.dnb", Self.notebook(steps: 6, train: "checkpoint=ckpt"))
        let first = try Self.run(["run", "p.dnb", "--out", "out"], ranks: 2, in: split)
        #expect(first.status == 0, "\(first)")
        try split.write("resume.dnb", """
            ```dnb
            seed 11
            dataset load name=synthetic count=40 image_size=16
            scheduler create
            model load path=out/ckpt
            let r = train resume=out/ckpt max_steps=12 progress=false
            model save path=model
            ```
            """)
        let second = try Self.run(["run", "resume.dnb", "--out", "resumed", "--no-cache"], ranks: nil, in: split)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("resumed from") && second.stdout.contains("at step 6"), "\(second)")
        let difference = Self.largestDifference(try Self.weights(straight.file("out/model")), try Self.weights(split.file("resumed/model")))
        #expect(difference <= Self.weightTolerance, "largest weight difference \(difference)")
    }

    @Test func aFailureOnOneRankEndsEveryRankWithItsMessageOnRankZero() throws {
        guard Self.available() else { return }
        let dir = try TemporaryDirectory()
        try dir.write("p.dnb", Self.notebook(steps: 20))
        // Rank 1 alone gets a memory limit its model does not fit in (MPMD: a second app context).
        let binary = CLIBinary.url!.path
        let began = Date()
        let result = try Self.run(["run", "p.dnb", "--out", "out"], ranks: 1,
                                  mpmd: [":", "-np", "1", "-x", "DNB_MEMORY_LIMIT=300K", binary, "run", "p.dnb", "--out", "out"], in: dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("rank 1 failed") && result.stderr.contains("DNB_MEMORY_LIMIT"), "\(result)")
        #expect(Date().timeIntervalSince(began) < 60, "no rank waited for the failed one")
        #expect(try dir.read("out/report.md").contains("rank 1 failed"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/model")))
    }

    /// Rank 0 cannot claim its output folder (a file is in the way) while the others can claim their private ones:
    /// no rank starts a cell, and the run ends with the usage status.
    @Test func aRunThatCannotStartOnRankZeroStartsOnNoRank() throws {
        guard Self.available() else { return }
        let dir = try TemporaryDirectory()
        try dir.write("p.dnb", Self.notebook(steps: 3))
        try dir.write("out", "a file where the output folder would go\n")
        let began = Date()
        let result = try Self.run(["run", "p.dnb", "--out", "out"], ranks: 2, in: dir)
        #expect(result.status == 64, "\(result)")
        #expect(Date().timeIntervalSince(began) < 60)
        #expect(!result.stdout.contains("loss 1"), "no cell ran")
        #expect(try dir.read("out") == "a file where the output folder would go\n")
    }

    @Test func aLossThatBecomesNaNStopsEveryRankAtTheSameStep() throws {
        guard Self.available() else { return }
        let dir = try TemporaryDirectory()
        // lr 1e30: the weights explode within a few steps; the global loss is checked on every rank alike.
        try dir.write("p.dnb", Self.notebook(steps: 20, train: "lr=1e30"))
        let result = try Self.run(["run", "p.dnb", "--out", "out"], ranks: 2, in: dir)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("training stopped: the loss became"), "\(result)")
        #expect(!result.stderr.contains("rank 1 failed"), "both ranks failed alike: rank 0 reports its own error")
    }

    @Test func ctrlCAtMpirunStopsEveryRankAfterTheSameStepAndKeepsTheCheckpoint() throws {
        guard Self.available(), let mpirun = Self.mpirun else { return }
        let dir = try TemporaryDirectory()
        // One long `train` (the interrupt lands inside it): 5 steps per epoch, each epoch's loss printed.
        try dir.write("p.dnb", """
            ```dnb
            seed 11
            dataset load name=synthetic count=40 image_size=16
            model create block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] norm_num_groups=4 layers_per_block=1 sample_size=16
            scheduler create
            train batch_size=8 max_steps=1000000 checkpoint=ckpt checkpoint_every=100000 progress=false
            ```
            """)
        let root = getuid() == 0 ? "--allow-run-as-root " : ""
        // Spawned with no signal blocked (Foundation's Process passes on the test runner's mask, which blocks SIGINT).
        let pid = try Self.spawnWithSignalsOpen("cd '\(dir.path)' && DNB_THREADS=1 exec \(mpirun) \(root)--oversubscribe -x DNB_THREADS -np 2 '\(CLIBinary.url!.path)' run p.dnb --out out > stdout.txt 2> stderr.txt")
        var status: Int32 = 0
        defer { if waitpid(pid, &status, WNOHANG) == 0 { kill(pid, SIGKILL); waitpid(pid, &status, 0) } }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? dir.read("stdout.txt"))?.contains("Finished epoch 2.") != true { usleep(50_000) }
        kill(pid, SIGINT)
        var ended = false
        while !ended, Date() < deadline { ended = waitpid(pid, &status, WNOHANG) == pid; if !ended { usleep(100_000) } }
        #expect(ended, "mpirun did not end after Ctrl-C")
        let stdout = try dir.read("stdout.txt"), stderr = try dir.read("stderr.txt")
        #expect(stdout.contains("stopped at step"), "\(stdout)\n\(stderr)")
        // The checkpoint rank 0 wrote holds the step both ranks stopped at (they agreed through the allreduce).
        let state = try dir.read("out/ckpt/trainer_state.json")
        let stopped = stdout.split(separator: "\n").first { $0.hasPrefix("stopped at step") }.map { String($0.split(separator: " ")[3]) }
        #expect(stopped.map { state.contains("\"step\" : \($0),") } == true, "\(state) vs \(stopped ?? "?")")
        #expect(try dir.read("out/report.md").contains("interrupted"))
    }

    /// `/bin/sh -c command` with an empty signal mask and default dispositions, as a shell at a terminal starts it.
    static func spawnWithSignalsOpen(_ command: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { text in text.withCString { strdup($0) } } + [nil]
        defer { arguments.forEach { free($0) } }
        let code = posix_spawn(&pid, "/bin/sh", nil, &attributes, arguments, environ)
        guard code == 0 else { throw CocoaError(.executableLoad) }
        return pid
    }

    @Test func aStuckRankIsGivenUpAfterTheTimeout() throws {
        guard Self.available(), let mpirun = Self.mpirun else { return }
        let dir = try TemporaryDirectory()
        try dir.write("p.dnb", Self.notebook(steps: 100_000))
        var launcher = ["--oversubscribe", "-x", "DNB_THREADS", "-x", "DNB_MPI_TIMEOUT", "-np", "2", CLIBinary.url!.path, "run", "p.dnb", "--out", "out"]
        if getuid() == 0 { launcher.insert("--allow-run-as-root", at: 0) }
        let process = try CLIBinary.startProgram(mpirun, launcher, environment: ["DNB_MPI_TIMEOUT": "3"], in: dir)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Once training runs, stop rank 1 as a hung node would be (SIGSTOP): rank 0 waits in the allreduce.
        let deadline = Date().addingTimeInterval(60)
        var stopped: pid_t?
        while stopped == nil, Date() < deadline, process.isRunning {
            if (try? dir.read("stdout.txt"))?.contains("loss 2 ") == true { stopped = Self.rank(1, under: dir.path) }
            usleep(50_000)
        }
        guard let stopped else { Issue.record("training under mpirun did not start: \(try dir.read("stderr.txt"))"); return }
        kill(stopped, SIGSTOP)
        defer { kill(stopped, SIGCONT) }
        while process.isRunning, Date() < deadline { usleep(100_000) }
        #expect(!process.isRunning, "mpirun still waits for the stopped rank")
        #expect(process.terminationStatus != 0)
        // Rank 0 waits in whichever collective came next (the gradient allreduce, or a `train`'s weight broadcast).
        let stderr = try dir.read("stderr.txt")
        #expect(stderr.contains("rank 0 of 2: waited 3 s in") && stderr.contains("Stopping every rank"), "\(stderr)")
    }

    @Test func aScriptOnStdinRunsOnEveryRank() throws {
        guard Self.available() else { return }
        let script = """
            seed 3
            dataset load name=synthetic count=24 image_size=16
            model create block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] norm_num_groups=4 layers_per_block=1 sample_size=16
            scheduler create
            let r = train batch_size=6 max_steps=5 progress=false
            print "loss 5 {r.last_loss}"
            load tensor path=missing.npy
            print "after the failure"
            """
        let one = try TemporaryDirectory(), two = try TemporaryDirectory()
        let single = try Self.run([], ranks: nil, stdin: script, in: one)
        let pair = try Self.run([], ranks: 2, stdin: script, in: two)
        #expect(single.status == 1 && pair.status != 0)
        let a = Self.losses(single.stdout), b = Self.losses(pair.stdout)
        #expect(a.count == 1 && b.count == 1 && abs(a[0] - b[0]) <= Self.lossTolerance * a[0], "\(single)\n\(pair)")
        // The entry after the failing one ran on every rank (the piped REPL goes on after a failure).
        #expect(pair.stdout.components(separatedBy: "after the failure").count == 2, "\(pair)")
        #expect(pair.stderr.contains("missing.npy"))
    }

    /// The pid of rank `rank` of a job whose working directory is `directory` (read from /proc).
    static func rank(_ rank: Int, under directory: String) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd"),
                  cwd == URL(fileURLWithPath: directory).resolvingSymlinksInPath().path || cwd == directory,
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }) {
                return pid
            }
        }
        return nil
    }
}

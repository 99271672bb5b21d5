import Foundation
import Testing
import DNBLanguage
import DNBDiffusion
import DNBTestSupport
@testable import DNBCommands

/// Checkpoints and model folders as a user reaches them: `train checkpoint=`/`resume=`, `save checkpoint`,
/// `model save`, and a `dnb` process killed while it checkpoints.
struct CheckpointSafetyTests {
    static let setup = """
        seed 11
        dataset load name=synthetic count=40 image_size=16
        \(CommandTests.tinyModel)
        scheduler create
        """

    func session(_ directory: TemporaryDirectory) -> (Workspace, Interpreter) {
        let ws = Workspace()
        return (ws, Interpreter(registry: .dnb(workspace: ws), outputDirectory: directory.path, interrupt: Interrupt()))
    }

    func run(_ interpreter: Interpreter, _ source: String) throws -> String {
        let out = Output()
        try interpreter.run(source, output: out)
        return out.items.map { $0.plainText() }.joined(separator: "\n")
    }

    func failure(_ interpreter: Interpreter, _ source: String) -> String {
        do { _ = try run(interpreter, source); return "no error" } catch { return String(describing: error) }
    }

    /// `checkpoint=figures` used to delete the report's figures, and `checkpoint=.` the whole output folder.
    @Test func checkpointsAndModelFoldersNeverReplaceAnOrdinaryFolder() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("figures"), withIntermediateDirectories: true)
        try dir.write("figures/loss.png", "a figure")
        try dir.write("report.md", "a report")
        let (ws, interpreter) = session(dir)
        _ = try run(interpreter, Self.setup)
        for target in ["figures", ".", dir.path] {
            let message = failure(interpreter, "train max_steps=1 batch_size=8 checkpoint=\"\(target)\" progress=false")
            #expect(message.contains("refusing to replace") || message.contains("name a folder of its own"), "\(target): \(message)")
        }
        #expect(failure(interpreter, "train max_steps=1 batch_size=8 checkpoint=figures progress=false").contains(dir.file("figures")))
        #expect(ws.losses.isEmpty, "refused before the first step")
        _ = try run(interpreter, "train max_steps=1 batch_size=8 progress=false")
        #expect(failure(interpreter, "save checkpoint path=figures").contains("refusing to replace \(dir.file("figures"))"))
        #expect(failure(interpreter, "model save path=figures").contains("refusing to replace \(dir.file("figures"))"))
        #expect(failure(interpreter, "model save path=report.md").contains("is not a folder"))
        #expect(try dir.read("figures/loss.png") == "a figure")
        #expect(try dir.read("report.md") == "a report")
        // New, empty or dnb's own folders are fine, again and again; a checkpoint is not a model folder to overwrite.
        _ = try run(interpreter, "save checkpoint path=ck\nsave checkpoint path=ck\nmodel save path=model\nmodel save path=model")
        #expect(failure(interpreter, "model save path=ck").contains("refusing to replace"))
        #expect(dir.contents == ["ck", "figures", "model", "report.md"])
    }

    /// Resuming with another scheduler, batch size, dataset size or image size is refused, naming each difference.
    @Test func resumeRefusesADifferentRunNamingEveryDifference() throws {
        let dir = try TemporaryDirectory()
        let (_, first) = session(dir)
        _ = try run(first, Self.setup + "\ntrain max_steps=2 batch_size=8 checkpoint=ck progress=false")
        let (other, second) = session(dir)
        _ = try run(second, """
            seed 11
            dataset load name=synthetic count=48 image_size=8
            scheduler create num_train_timesteps=500 prediction_type=v_prediction
            """)
        let message = failure(second, "train resume=ck batch_size=16 progress=false")
        for difference in ["batch_size 8, this run asks for 16", "a dataset of 40 training images, this run asks for 48 training images",
                           "images of 16×16, this run asks for 8×8", "num_train_timesteps 1000, this run asks for 500",
                           "prediction_type epsilon, this run asks for v_prediction"] {
            #expect(message.contains(difference), "\(message)")
        }
        #expect(other.training == nil && other.losses.isEmpty)
        let (_, third) = session(dir)
        _ = try run(third, Self.setup.replacingOccurrences(of: "scheduler create", with: "scheduler create beta_schedule=squaredcos_cap_v2"))
        #expect(failure(third, "train resume=ck progress=false").contains("beta_schedule"))
        // Without batch_size the checkpoint's is used: the resumed run continues rather than starting afresh.
        let (resumed, fourth) = session(dir)
        _ = try run(fourth, Self.setup + "\ntrain resume=ck max_steps=3 progress=false")
        #expect(resumed.training?.batchSize == 8 && resumed.training?.trainer.step == 3)
    }

    /// An interrupted and resumed run prints the same epoch averages as an uninterrupted one (the resumed run
    /// used to average only the steps after the resume).
    @Test func epochAveragesAfterAResumeCoverTheWholeEpoch() throws {
        let dir = try TemporaryDirectory()
        func averages(_ log: String) -> [String] { log.split(separator: "\n").map(String.init).filter { $0.contains("Average loss") } }
        let (_, straight) = session(dir)
        let uninterrupted = averages(try run(straight, Self.setup + "\ntrain max_steps=7 batch_size=8 progress=false"))
        let (_, first) = session(dir)
        _ = try run(first, Self.setup + "\ntrain max_steps=3 batch_size=8 checkpoint=ck progress=false")
        let (_, second) = session(dir)
        let resumed = averages(try run(second, Self.setup + "\ntrain resume=ck max_steps=7 progress=false"))
        #expect(uninterrupted.count == 2)  // epoch 0 (5 batches of 8) and 2 batches into epoch 1
        #expect(resumed == uninterrupted)
    }

    @Test func aSecondWriterOnACheckpointIsRefused() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        _ = try run(interpreter, Self.setup)
        let other = try TrainingCheckpoint.lockForWriting(dir.file("ck"))
        let message = failure(interpreter, "train max_steps=1 batch_size=8 checkpoint=ck progress=false")
        #expect(message.contains("\(dir.file("ck")) is in use by another dnb process"), "\(message)")
        #expect(ws.losses.isEmpty)
        other.release()
        _ = try run(interpreter, "train max_steps=1 batch_size=8 checkpoint=ck progress=false")
    }

    /// A `dnb` that writes a checkpoint every step is killed (SIGKILL) at random times, four times in a row, each
    /// run resuming the previous one; every kill must leave a complete checkpoint that the next run resumes.
    @Test(.enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
    func killedWhileCheckpointingResumesFromACompleteCopy() throws {
        let dir = try TemporaryDirectory()
        let checkpoint = dir.file("ck")
        var generator = SystemRandomNumberGenerator()
        var steps: [Int] = []
        for round in 0..<4 {
            try dir.write("loop.dnb", """
                ```dnb
                \(Self.setup)
                train max_steps=100000 batch_size=4 checkpoint="\(checkpoint)" checkpoint_every=1 progress=false\(round == 0 ? "" : " resume=\"\(checkpoint)\"")
                ```
                """)
            let process = try CLIBinary.start(["run", "loop.dnb", "--out", dir.file("out")], in: dir)
            // Wait until this run has written a checkpoint of its own, then kill it within the next 0.4 s
            // (a checkpoint of this model takes a few milliseconds, so kills land before, inside and after writes).
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning, Date() < deadline,
                  (try? TrainingCheckpoint.read(from: checkpoint).checkpoint.step).map({ $0 <= (steps.last ?? 0) }) ?? true {
                usleep(5_000)
            }
            #expect(process.isRunning, "the run ended before it was killed: \(String(describing: try? dir.read("stderr.txt")))")
            usleep(UInt32.random(in: 0..<400_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            let (state, _) = try TrainingCheckpoint.read(from: checkpoint)
            #expect(state.step > (steps.last ?? 0), "round \(round) made progress")
            steps.append(state.step)
        }
        let interpreter = Interpreter(registry: .dnb(workspace: Workspace()), outputDirectory: dir.file("out"), interrupt: Interrupt())
        let out = Output()
        try interpreter.run(Self.setup + "\ntrain resume=\"\(checkpoint)\" checkpoint=\"\(checkpoint)\" max_steps=\(steps.last! + 1) progress=false", output: out)
        #expect(out.items.map { $0.plainText() }.joined().contains("resumed from \(checkpoint) at step \(steps.last!)"))
        // The last save cleaned every leftover the kills left beside the checkpoint.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix(".ck.") && $0 != ".ck.dnb-lock" }
        #expect(leftovers.isEmpty, "\(leftovers.map { ($0, (try? FileManager.default.contentsOfDirectory(atPath: dir.file($0))) ?? []) })")
    }
}

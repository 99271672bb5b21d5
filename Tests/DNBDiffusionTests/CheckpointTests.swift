import Foundation
import Testing
import DNBEngine
import DNBSupport
import DNBTestSupport
@testable import DNBDiffusion

/// Training checkpoints and the folder swap under them (Sources/DNBSupport/ReplaceableFolder.swift):
/// what is replaced, what survives a kill at each step, and what a corrupted state file does.
struct CheckpointTests {
    let schedule = try! NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: .linear)

    /// An 8×8 UNet with (8, 8) channels: a step takes milliseconds in a debug build.
    func trainer(steps: Int, ema: Float? = 0.9) throws -> NoisePredictionTrainer {
        let config = UNet2DConfig.tiny8
        let trainer = NoisePredictionTrainer(model: try UNet2DModel(config: config, seed: 3), schedule: schedule, emaDecay: ema)
        var rng = RandomGenerator(seed: 5)
        for _ in 0..<steps { try trainer.trainStep(rng.normalTensor([2, 8, 8, 1]), rng: &rng) }
        return trainer
    }

    /// The state of `trainer` as a run over 10 images in batches of 2 (5 per epoch) records it.
    func state(_ trainer: NoisePredictionTrainer) -> TrainingCheckpoint {
        TrainingCheckpoint(trainer: trainer, loader: .init(epoch: trainer.step / 5, batch: trainer.step % 5), loaderSeed: 1,
                           batchSize: 2, shuffle: true, dropLast: false, rng: RandomGenerator(seed: 9), seed: 9,
                           classConditional: false, dataset: "synthetic", losses: Array(repeating: 0.5, count: trainer.step),
                           epochLosses: [], datasetCount: 10, imageShape: [8, 8],
                           scheduler: .init(schedule, predictionType: .epsilon))
    }

    @Test func anOrdinaryFolderIsNeverReplaced() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("figures"), withIntermediateDirectories: true)
        try dir.write("figures/loss.png", "not a checkpoint")
        let t = try trainer(steps: 1)
        let error = #expect(throws: FileError.self) { try state(t).save(t, to: dir.file("figures")) }
        #expect(error?.message.contains("refusing to replace \(dir.file("figures"))") == true, "\(error!)")
        #expect(error?.message.contains("loss.png") == true)
        #expect(try dir.read("figures/loss.png") == "not a checkpoint")
        // A new path and an empty folder are fine; so is replacing a checkpoint dnb wrote.
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        try state(t).save(t, to: dir.file("empty"))
        try state(t).save(t, to: dir.file("new/ckpt"))
        try state(t).save(t, to: dir.file("new/ckpt"))
        #expect(FileManager.default.fileExists(atPath: dir.file("new/ckpt/\(TrainingCheckpoint.markerName)")))
        // Only the checkpoint and its lock file remain beside it: no staging or aside copies.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("new")).sorted() == ["ckpt"])
        // A model folder is replaced only over a model folder (or a new or empty one): not over a checkpoint.
        #expect(throws: FileError.self) { try ModelFolder.save(t.model, to: dir.url.appendingPathComponent("figures")) }
        #expect(throws: FileError.self) { try ModelFolder.save(t.model, to: dir.url.appendingPathComponent("new/ckpt")) }
        try ModelFolder.save(t.model, to: dir.url.appendingPathComponent("model"))
        try ModelFolder.save(t.model, to: dir.url.appendingPathComponent("model"))
        #expect(try TrainingCheckpoint.read(from: dir.file("new/ckpt")).checkpoint.step == 1)
    }

    /// A kill at each point of the swap (simulated by a throwing hook: nothing is cleaned up) leaves a complete
    /// checkpoint that `read` finds — the old one or the new one — and the next save cleans every leftover.
    @Test(arguments: ReplaceableFolder.Step.allCases)
    func aKillAtEveryStepOfTheSwapLeavesACompleteCheckpoint(step: ReplaceableFolder.Step) throws {
        struct Killed: Error {}
        let dir = try TemporaryDirectory()
        let path = dir.file("ckpt")
        let old = try trainer(steps: 1), new = try trainer(steps: 2)
        try state(old).save(old, to: path)
        #expect(throws: Killed.self) { try state(new).save(new, to: path) { if $0 == step { throw Killed() } } }
        let leftovers = dir.contents.filter { $0.hasPrefix(".ckpt.") && $0 != ".ckpt.dnb-lock" }
        #expect(!leftovers.isEmpty, "the kill leaves the swap's folders behind")
        if step == .movedAside { #expect(!FileManager.default.fileExists(atPath: path), "the window where the target is missing") }

        let (found, folder) = try TrainingCheckpoint.read(from: path)
        #expect(found.step == (step == .movedIn ? 2 : 1))
        let restored = try found.makeTrainer(folder: folder, schedule: schedule)
        let original = step == .movedIn ? new : old
        for (p, q) in zip(original.model.parameters.parameters, restored.model.parameters.parameters) {
            #expect(p.tensor.scalars == q.tensor.scalars, "\(p.name)")
        }
        #expect(try ModelFolder.load(URL(fileURLWithPath: path)).parameters.count == old.model.parameters.count)

        try state(new).save(new, to: path)
        #expect(dir.contents == ["ckpt"])
        #expect(try TrainingCheckpoint.read(from: path).checkpoint.step == 2)
    }

    /// A checkpoint written before markers existed (its four files only) is replaced too, and marked before it is
    /// moved aside: a kill then leaves it findable and, later, cleaned.
    @Test func aCheckpointWithoutMarkerIsReplacedAndFoundWhenStranded() throws {
        struct Killed: Error {}
        let dir = try TemporaryDirectory()
        let t = try trainer(steps: 1)
        try state(t).save(t, to: dir.file("ckpt"))
        try FileManager.default.removeItem(atPath: dir.file("ckpt/" + TrainingCheckpoint.markerName))
        #expect(throws: Killed.self) { try state(t).save(t, to: dir.file("ckpt")) { if $0 == .movedAside { throw Killed() } } }
        #expect(!FileManager.default.fileExists(atPath: dir.file("ckpt")))
        #expect(try TrainingCheckpoint.read(from: dir.file("ckpt")).checkpoint.step == 1)
        try state(t).save(t, to: dir.file("ckpt"))
        #expect(dir.contents == ["ckpt"])
    }

    /// A failing write (a full disk, here a throwing body) removes its staging folder and keeps the old checkpoint.
    @Test func aFailedWriteLeavesNothingBehind() throws {
        struct DiskFull: Error {}
        let dir = try TemporaryDirectory()
        let t = try trainer(steps: 1)
        try state(t).save(t, to: dir.file("ckpt"))
        #expect(throws: DiskFull.self) {
            try ReplaceableFolder.replace(dir.file("ckpt"), marker: TrainingCheckpoint.markerName, kind: "checkpoint") { _ in throw DiskFull() }
        }
        #expect(dir.contents == ["ckpt"])
        #expect(try TrainingCheckpoint.read(from: dir.file("ckpt")).checkpoint.step == 1)
    }

    @Test func aSecondWriterIsRefused() throws {
        let dir = try TemporaryDirectory()
        let t = try trainer(steps: 1)
        let first = try TrainingCheckpoint.lockForWriting(dir.file("ckpt"))
        let error = #expect(throws: FileError.self) { try state(t).save(t, to: dir.file("ckpt")) }
        #expect(error?.message.contains("in use by another dnb process") == true, "\(error!)")
        try state(t).save(t, to: dir.file("ckpt"), lock: first)
        first.release()
        try state(t).save(t, to: dir.file("ckpt"))
    }

    /// Each corruption is named; none traps or hangs (an all-zero xoshiro state made `randint` loop forever).
    @Test(arguments: [
        (["loader", "batch"], -1, "negative"),
        (["lr"], -1, "lr -1"),
        (["optimizerStep"], 4, "optimizer's step 4"),
        (["emaUpdates"], 7, "EMA has 7 updates"),
        (["loader", "epoch"], 1, "does not match step 3"),
        (["datasetCount"], 4, "beyond the 2 batches"),
        (["scheduler", "numTrainTimesteps"], 1, "scheduler record"),
        (["step"], -2, "step -2 is negative"),
        (["loader", "epoch"], Int.max, "does not match step 3"),
        (["batchSize"], Int.max, "batch_size \(Int.max) must lie in"),
    ])
    func aCorruptedStateIsRefusedNamingTheField(key: [String], value: Int, message: String) throws {
        let dir = try TemporaryDirectory()
        let t = try trainer(steps: 3)
        try state(t).save(t, to: dir.file("ckpt"))
        try editState(dir.file("ckpt")) { json in
            if key.count == 1 { json[key[0]] = value } else {
                var inner = json[key[0]] as! [String: Any]
                inner[key[1]] = value
                json[key[0]] = inner
            }
        }
        let error = #expect(throws: ModelError.self) { try TrainingCheckpoint.read(from: dir.file("ckpt")) }
        #expect(String(describing: error!).contains(message), "\(error!)")
    }

    func editState(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: folder + "/" + TrainingCheckpoint.stateName)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test func aCorruptedGeneratorStateIsRefused() throws {
        let dir = try TemporaryDirectory()
        let t = try trainer(steps: 1)
        try state(t).save(t, to: dir.file("ckpt"))
        for (words, message) in [([1, 2, 3], "4 words"), ([0, 0, 0, 0], "all zero")] {
            try editState(dir.file("ckpt")) { $0["rng"] = ["state": words] }
            let error = #expect(throws: ModelError.self) { try TrainingCheckpoint.read(from: dir.file("ckpt")) }
            #expect(String(describing: error!).contains(message), "\(error!)")
        }
        // A checkpoint with a missing optimiser tensor is an error naming it, not a silent partial restore.
        try state(t).save(t, to: dir.file("ckpt"))
        let optimizer = dir.url.appendingPathComponent("ckpt/" + TrainingCheckpoint.optimizerName)
        let file2 = try SafetensorsFile.read(optimizer)
        let kept = try file2.names.filter { !$0.hasPrefix("ema.") }.map { (name: $0, shape: try file2.entry($0).shape, values: try file2.floats($0)) }
        try SafetensorsFile.write(kept, to: optimizer)
        let (checkpoint, folder) = try TrainingCheckpoint.read(from: dir.file("ckpt"))
        let error = #expect(throws: ModelError.self) { try checkpoint.makeTrainer(folder: folder, schedule: schedule) }
        #expect(String(describing: error!).contains("has no ema."), "\(error!)")
    }

    @Test func resumingADifferentRunNamesEveryDifference() throws {
        let t = try trainer(steps: 1)
        let saved = state(t)
        let cosine = try NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: .squaredcosCapV2)
        let run = TrainingCheckpoint.Requirements(dataset: "synthetic", datasetCount: 12, imageShape: [16, 16],
                                                  scheduler: .init(cosine, predictionType: .vPrediction), batchSize: 4)
        let differences = saved.differences(from: run)
        #expect(differences.contains("the checkpoint was trained with batch_size 2, this run asks for 4"), "\(differences)")
        #expect(differences.contains("the checkpoint was trained with a dataset of 10 training images, this run asks for 12 training images"))
        #expect(differences.contains("the checkpoint was trained with images of 8×8, this run asks for 16×16"))
        #expect(differences.contains("the checkpoint was trained with prediction_type epsilon, this run asks for v_prediction"))
        #expect(differences.contains { $0.contains("beta_schedule") })
        let shorter = try NoiseSchedule(trainTimesteps: 500, betaStart: 0.0001, betaEnd: 0.02, schedule: .linear)
        #expect(saved.differences(from: .init(dataset: "mnist", datasetCount: 10, imageShape: [8, 8], scheduler: .init(shorter, predictionType: .epsilon)))
                == ["the checkpoint was trained with the dataset synthetic, this run asks for mnist",
                    "the checkpoint was trained with num_train_timesteps 1000, this run asks for 500"])
        #expect(saved.differences(from: .init(dataset: "synthetic", datasetCount: 10, imageShape: [8, 8], scheduler: .init(schedule, predictionType: .epsilon), batchSize: 2)).isEmpty)
    }

    @Test func theGeneratorRefusesAnAllZeroStateAndANonPositiveBound() throws {
        #expect(throws: EngineError.self) { try RandomGenerator(state: [0, 0, 0, 0]) }
        #expect(throws: EngineError.self) { try RandomGenerator(state: [1, 2]) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(RandomGenerator.self, from: Data(#"{"state":[0,0,0,0]}"#.utf8)) }
        var rng = RandomGenerator(seed: 1)
        #expect(throws: EngineError.self) { try rng.randint(below: 0) }
        #expect(throws: EngineError.self) { try rng.randint(below: -5) }
        #expect(try rng.randint(below: 1) == 0)
        let copy = try JSONDecoder().decode(RandomGenerator.self, from: JSONEncoder().encode(rng))
        #expect(copy == rng)
    }
}

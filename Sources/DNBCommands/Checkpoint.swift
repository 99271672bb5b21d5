import Foundation
import DNBEngine
import DNBDiffusion
import DNBData

/// A training checkpoint: a diffusers model folder (so the weights load anywhere) plus the
/// optimiser moments, the EMA weights, the random generator, the loader position and the loss
/// history, so that `train resume=DIR` continues with exactly the losses an uninterrupted run gives.
/// The folder is written beside the target and renamed into place: a crash never leaves half of one.
struct TrainingCheckpoint: Codable {
    var step: Int
    var optimizerStep: Int
    var loader: LoaderState
    var loaderSeed: UInt64
    var batchSize: Int
    var shuffle: Bool
    var dropLast: Bool
    var lr: Float
    var weightDecay: Float
    var schedule: ScheduleRecord?
    var emaDecay: Float?
    var emaUpdates: Int
    /// Absent in checkpoints written before min-SNR weighting existed (decoded as nil: the plain MSE).
    var snrGamma: Float?
    var rng: RandomGenerator
    var seed: UInt64
    var classConditional: Bool
    var dataset: String
    var losses: [Double]
    var epochLosses: [Double]

    struct ScheduleRecord: Codable { var peak: Float, warmupSteps: Int, totalSteps: Int, minimumFraction: Float }

    static let stateName = "trainer_state.json"
    static let optimizerName = "optimizer.safetensors"

    static func save(_ ws: Workspace, to path: String) throws {
        guard let model = ws.model, let training = ws.training, let data = ws.data else { return }
        let trainer = training.trainer
        let target = URL(fileURLWithPath: path)
        let parent = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        try ModelFolder.save(model, to: staging)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (p, moments) in zip(model.parameters.parameters, trainer.optimizer.moments) {
            tensors.append(("exp_avg." + p.name, p.tensor.shape, moments.m.scalars))
            tensors.append(("exp_avg_sq." + p.name, p.tensor.shape, moments.v.scalars))
        }
        if let ema = trainer.ema {
            for (p, s) in zip(model.parameters.parameters, ema.shadow) { tensors.append(("ema." + p.name, p.tensor.shape, s.scalars)) }
        }
        try SafetensorsFile.write(tensors, metadata: ["layout": "dnb (NHWC / HWIO)"], to: staging.appendingPathComponent(optimizerName))
        let state = TrainingCheckpoint(
            step: trainer.step, optimizerStep: trainer.optimizer.step, loader: training.loader.state, loaderSeed: training.loader.seed,
            batchSize: training.batchSize, shuffle: training.loader.shuffle, dropLast: training.loader.dropLast,
            lr: trainer.optimizer.lr, weightDecay: trainer.optimizer.weightDecay,
            schedule: trainer.learningRate.map { ScheduleRecord(peak: $0.peak, warmupSteps: $0.warmupSteps, totalSteps: $0.totalSteps, minimumFraction: $0.minimumFraction) },
            emaDecay: trainer.ema?.decay, emaUpdates: trainer.ema?.updates ?? 0, snrGamma: trainer.snrGamma, rng: ws.rng, seed: ws.seed,
            classConditional: training.classConditional, dataset: data.name, losses: ws.losses, epochLosses: ws.epochLosses)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: staging.appendingPathComponent(stateName), options: .atomic)
        // Swap the finished folder in: the old checkpoint stays until the new one is complete.
        let old = parent.appendingPathComponent(".\(target.lastPathComponent).old-\(getpid())")
        if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.moveItem(at: target, to: old) }
        try FileManager.default.moveItem(at: staging, to: target)
        try? FileManager.default.removeItem(at: old)
    }

    /// Restores model, optimiser, EMA, generator, loader position and history into `ws`.
    static func restore(_ ws: Workspace, from path: String, schedule: NoiseSchedule) throws {
        let dir = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: dir.appendingPathComponent(stateName)) else {
            throw ModelError.checkpoint("\(path) is not a dnb training checkpoint (no \(stateName))")
        }
        let state = try JSONDecoder().decode(TrainingCheckpoint.self, from: data)
        guard let loaded = ws.data, let train = loaded.train else {
            throw ModelError.checkpoint("load the dataset the checkpoint was trained on (\(state.dataset)) with `dataset load` first")
        }
        guard loaded.name == state.dataset else {
            throw ModelError.checkpoint("the checkpoint was trained on \(state.dataset), but \(loaded.name) is loaded")
        }
        let model = try ModelFolder.load(dir)
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: state.lr, weightDecay: state.weightDecay,
                                             learningRate: state.schedule.map { LearningRateSchedule(peak: $0.peak, warmupSteps: $0.warmupSteps, totalSteps: $0.totalSteps, minimumFraction: $0.minimumFraction) },
                                             emaDecay: state.emaDecay)
        let optimizer = try SafetensorsFile.read(dir.appendingPathComponent(optimizerName))
        let moments = try model.parameters.parameters.map { p in
            (m: try Tensor(shape: p.tensor.shape, scalars: try optimizer.floats("exp_avg." + p.name)),
             v: try Tensor(shape: p.tensor.shape, scalars: try optimizer.floats("exp_avg_sq." + p.name)))
        }
        try trainer.optimizer.restore(step: state.optimizerStep, moments: moments)
        if let ema = trainer.ema {
            ema.restore(shadow: try model.parameters.parameters.map { try Tensor(shape: $0.tensor.shape, scalars: try optimizer.floats("ema." + $0.name)) },
                        updates: state.emaUpdates)
        }
        trainer.restore(step: state.step)
        trainer.snrGamma = state.snrGamma
        let loader = try DataLoader(train, batchSize: state.batchSize, shuffle: state.shuffle, seed: state.loaderSeed,
                                    dropLast: state.dropLast, state: state.loader)
        ws.model = model
        ws.training = TrainingState(trainer: trainer, loader: loader, batchSize: state.batchSize, classConditional: state.classConditional)
        ws.reseed(state.seed)
        ws.rng = state.rng
        ws.losses = state.losses
        ws.epochLosses = state.epochLosses
    }
}

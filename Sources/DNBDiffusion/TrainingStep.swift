import Foundation
import DNBEngine
import DNBDistributed

/// The tutorial's noise-prediction objective, one optimiser step at a time:
/// noise ~ N(0, 1), t ~ U{0, …, T−1} per image, noisy = add_noise(x, noise, t),
/// loss = MSE(model(noisy, t), noise), backward, Adam step. As diffusers' training scripts, the target
/// follows the scheduler's prediction type (noise, clean sample or velocity) and the loss can be
/// weighted per timestep by min-SNR-γ.
public final class NoisePredictionTrainer {
    public let model: UNet2DModel
    public let schedule: NoiseSchedule
    public let optimizer: Adam
    /// Learning rate as a function of the 0-based step; nil keeps the optimiser's.
    public var learningRate: LearningRateSchedule?
    public var ema: ExponentialMovingAverage?
    /// What the model learns to output; must match the scheduler that samples from it.
    public var predictionType: PredictionType = .epsilon
    /// γ of min-SNR-γ weighting (5 in the paper); nil: the plain MSE.
    public var snrGamma: Float?
    /// Classifier-free guidance training: the share of images whose class label is replaced by the model's last
    /// class, which then means "no class" (`num_class_embeds` = the classes + 1); nil or 0: every label is kept.
    public var labelDropout: Float?
    /// Set under mpirun with more than one rank: each step takes this rank's shard of the batch and averages
    /// the gradients over the ranks (DataParallel).
    public var dataParallel: DataParallel?
    public private(set) var step = 0
    /// How many threads a step splits its batch over, each with a replica of its own (`ThreadShards`); nil:
    /// `Engine.threads` when `Engine.shardedTraining`, else one graph over the whole batch. Batches of fewer
    /// than 4 images a thread are not split.
    public var shardThreads: Int?
    /// Rows of the micro-batches a split batch is cut into; nil: `ThreadShards.microBatchRows` (tests set it
    /// small to cut small batches).
    var microBatchRows: Int?
    private let shards = ThreadShards()

    public init(model: UNet2DModel, schedule: NoiseSchedule, lr: Float = 1e-3, weightDecay: Float = 0,
                learningRate: LearningRateSchedule? = nil, emaDecay: Float? = nil) {
        self.model = model
        self.schedule = schedule
        optimizer = Adam(parameters: model.parameters.tensors, lr: lr, weightDecay: weightDecay)
        self.learningRate = learningRate
        ema = emaDecay.map { ExponentialMovingAverage(parameters: model.parameters, decay: $0) }
    }

    /// One step on a batch ([N, H, W, C]); returns the loss. Throws on a non-finite loss
    /// before the parameters are touched, so the model stays at its last good state.
    @discardableResult
    public func trainStep(_ batch: Tensor, labels: [Int]? = nil, rng: inout RandomGenerator) throws -> Float {
        let n = batch.shape[0]
        let noise = rng.normalTensor(batch.shape)
        let timesteps = try (0..<n).map { _ in try rng.randint(below: schedule.trainTimesteps) }
        var labels = labels
        if let p = labelDropout, p > 0, let given = labels, let classes = model.config.numClassEmbeds {
            // One draw per image after the timesteps (runs without dropout draw nothing, so they stay as they were).
            var dropped = given
            for i in 0..<n where rng.uniform() < p { dropped[i] = classes - 1 }
            labels = dropped
        }
        optimizer.zeroGrad()
        // Under mpirun every rank drew the whole batch's noise and timesteps above and keeps its rows: the global
        // batch is the same whatever the number of ranks (and of threads: `gradients` shards its rows again).
        let group = dataParallel.flatMap { $0.group.size > 1 ? $0 : nil }
        let mine = group.map { shard(of: n, rank: $0.group.rank, size: $0.group.size) } ?? 0..<n
        let share = try gradients(rows: mine, of: n, batch: batch, noise: noise, timesteps: timesteps, labels: labels)
        let value = try group.map { try $0.reduce(model.parameters.tensors, loss: share) } ?? share
        guard value.isFinite else { throw TrainingError.nonFiniteLoss(step: step + 1, value: value) }
        return try finishStep(value)
    }

    /// What a step of `batchSize` images holds at once with the engine's settings: the images whose activations
    /// are alive (a micro-batch per thread when the batch is split, `ThreadShards`; else the whole batch) and the
    /// replicas of the model (weights and gradients) beside it.
    public static func footprint(batchSize: Int) -> (images: Int, replicas: Int) {
        let plan = plan(rows: batchSize, shardThreads: nil, microBatchRows: nil)
        guard plan.shards > 1 else { return (batchSize, 0) }
        return (plan.runners * ((batchSize + plan.shards - 1) / plan.shards), plan.runners - 1)
    }

    /// How a step's `rows` run: over `shardThreads` (nil: the engine's threads when `Engine.shardedTraining`,
    /// else one graph) in micro-batches of `microBatchRows` (nil: `ThreadShards.microBatchRows`).
    private static func plan(rows: Int, shardThreads: Int?, microBatchRows: Int?) -> ThreadShards.Plan {
        guard shardThreads != nil || Engine.shardedTraining else { return ThreadShards.Plan(runners: 1, shards: 1) }
        return ThreadShards.plan(rows: rows, threads: shardThreads ?? Engine.threads, microBatch: microBatchRows ?? ThreadShards.microBatchRows)
    }

    /// Backward of the loss over `rows` of the batch, scaled by rows / n, into the parameters' gradients;
    /// returns that share of the loss. Split over the engine's threads and cut into micro-batches when the rows
    /// are many enough (`ThreadShards`; `Engine.shardedTraining`).
    private func gradients(rows: Range<Int>, of n: Int, batch: Tensor, noise: Tensor, timesteps: [Int], labels: [Int]?) throws -> Float {
        guard !rows.isEmpty else { return 0 }
        let plan = Self.plan(rows: rows.count, shardThreads: shardThreads, microBatchRows: microBatchRows)
        // One shard's loss, scaled so that the shards' gradients sum to the mean over the batch.
        func shardLoss(_ model: UNet2DModel, _ r: Range<Int>) throws -> Tensor {
            let whole = r.count == n
            let loss = try objective(model, whole ? batch : DNBDiffusion.rows(batch, r), noise: whole ? noise : DNBDiffusion.rows(noise, r),
                                     timesteps: Array(timesteps[r]), labels: labels.map { Array($0[r]) })
            return whole ? loss : try scale(loss, Float(r.count) / Float(n))
        }
        guard plan.shards > 1 else {
            let loss = try shardLoss(model, rows)
            try loss.backward()
            return loss.item
        }
        let models = try shards.models(model, count: plan.runners)
        let losses = UnsafeMutableBufferPointer<Float>.allocate(capacity: plan.shards)
        defer { losses.deallocate() }
        var failures = [(any Error)?](repeating: nil, count: plan.shards)
        try failures.withUnsafeMutableBufferPointer { failed in
            let (lp, fp) = (SendablePointer(losses.baseAddress!), SendablePointer(failed.baseAddress!))
            // Runner t's micro-batches one after another on its replica; each graph is freed before the next.
            func run(_ t: Int) {
                for s in plan.shards(ofRunner: t) {
                    let part = shard(of: rows.count, rank: s, size: plan.shards)
                    let r = (rows.lowerBound + part.lowerBound)..<(rows.lowerBound + part.upperBound)
                    do {
                        let loss = try shardLoss(models[t], r)
                        try loss.backward()
                        lp.p[s] = loss.item
                    } catch {
                        fp.p[s] = error
                        return
                    }
                }
            }
            // One runner keeps the engine's threads for its ops.
            if plan.runners == 1 { run(0) } else { parallelShards(plan.runners, run) }
            if let error = failed.lazy.compactMap({ $0 }).first { throw error }
        }
        shards.sumGradients(into: model, from: models.dropFirst())
        return losses.reduce(0, +)
    }

    /// The loss of one batch: noised at `timesteps`, the model's prediction against the scheduler's target.
    private func objective(_ model: UNet2DModel, _ batch: Tensor, noise: Tensor, timesteps: [Int], labels: [Int]?) throws -> Tensor {
        let noisy = try schedule.addNoise(batch, noise: noise, timesteps: timesteps)
        let prediction = try model(noisy, timesteps: timesteps.map(Float.init), classLabels: labels)
        let target = switch predictionType {
        case .epsilon: noise
        case .sample: batch
        case .vPrediction: try schedule.velocity(batch, noise: noise, timesteps: timesteps)
        }
        return if let snrGamma {
            try mseLoss(prediction, target, sampleWeights: timesteps.map {
                schedule.minSNRWeight($0, gamma: snrGamma, predictionType: predictionType)
            })
        } else {
            try mseLoss(prediction, target)
        }
    }

    /// The optimiser's step from the gradients in place.
    private func finishStep(_ value: Float) throws -> Float {
        if let learningRate { optimizer.lr = learningRate.rate(at: step) }
        optimizer.update()
        try ema?.update()
        step += 1
        return value
    }

    /// Restores the step counter (checkpoint resume); the optimiser's own state is restored separately.
    public func restore(step: Int) { self.step = step }
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(step: Int, value: Float)
    public var description: String {
        switch self {
        case .nonFiniteLoss(let step, let value):
            return "training stopped: the loss became \(value) at step \(step); the model keeps the weights of step \(step - 1) (try a lower lr)"
        }
    }
}

/// Linear warm-up then cosine decay to `minimum` (a fraction of the peak), the usual recipe for short runs.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minimumFraction: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minimumFraction: Float = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = max(totalSteps, 1)
        self.minimumFraction = minimumFraction
    }

    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let progress = min(1, Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps)))
        let cosine = 0.5 * (1 + cos(Float.pi * progress))
        return peak * (minimumFraction + (1 - minimumFraction) * cosine)
    }
}

/// An exponential moving average of the weights, the copy sampled from in short runs:
/// averaging over the last ~1/(1−decay) steps smooths out the optimiser's noise.
public final class ExponentialMovingAverage {
    public let decay: Float
    public let parameters: ParameterStore
    public private(set) var shadow: [Tensor]
    public private(set) var updates = 0

    public init(parameters: ParameterStore, decay: Float) {
        self.decay = decay
        self.parameters = parameters
        shadow = parameters.tensors.map { $0.copy() }
    }

    public func update() throws {
        updates += 1
        // Warm-up as in common EMA implementations: early averages do not drag in the random initialisation.
        let d = min(decay, Float(1 + updates) / Float(10 + updates))
        for (s, p) in zip(shadow, parameters.tensors) { try updateMovingAverage(s, toward: p, decay: d) }
    }

    /// Runs `body` with the averaged weights in place, then puts the trained weights back.
    public func withAveragedWeights<T>(_ body: () throws -> T) rethrows -> T {
        let saved = parameters.tensors.map { $0.copy() }
        for (s, p) in zip(shadow, parameters.tensors) { p.data.update(from: s.data, count: p.count) }
        defer { for (s, p) in zip(saved, parameters.tensors) { p.data.update(from: s.data, count: p.count) } }
        return try body()
    }

    public func restore(shadow values: [Tensor], updates: Int) {
        for (s, v) in zip(shadow, values) { s.data.update(from: v.data, count: s.count) }
        self.updates = updates
    }
}

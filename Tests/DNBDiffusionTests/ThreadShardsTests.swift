import Testing
import DNBEngine
@testable import DNBDiffusion

/// A training step with its batch split over threads (`NoisePredictionTrainer.shardThreads`) against the same
/// step on one graph.
struct ThreadShardsTests {
    let schedule = try! NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: .linear)

    /// Three steps at batch 13 — shards of 4, 4 and 5 rows: uneven, the last shard's share of the loss weighted
    /// 5/13 — with class labels, label dropout, min-SNR weights and an EMA, against the same steps on one graph.
    /// - Gradients (those of the last step, left on the parameters): the shards' are summed in another order
    ///   than one backward sums them. Rounding is relative to the terms summed, not to their sum: where they
    ///   cancel (measured: two tensors at 1e-5 of their largest gradient; a bias ahead of a group norm, whose
    ///   gradient is zero but for rounding, at ~1e-11) the difference is larger relative to the result. So
    ///   1e-4 of a tensor's largest gradient plus 1e-6 of the model's: far below what a shard weighted
    ///   wrongly (a quarter of its gradient off) gives.
    /// - Losses: steps 2 and 3 are computed at the weights the steps before left, in every replica: a replica
    ///   not refreshed from the model would give its rows' loss at older weights (lr 1e-2 moves them by ~1e-2
    ///   a step), a difference far above 1e-6 relative.
    /// - Weights: Adam divides a gradient by its own running RMS, so a rounding difference δ in a gradient g
    ///   moves the update by ~lr·δ/|g|, large where |g| is tiny: 2e-4 (2 % of one step) bounds that.
    @Test func shardedStepsMatchOneGraph() throws {
        let one = try train(threads: 1)
        let sharded = try train(threads: 3)
        expectClose(sharded, one)
    }

    /// The same three steps cut into micro-batches of 3 rows: two threads running two micro-batches each (rows
    /// 3 + 3 and 3 + 4) on their replicas, and one thread running four on the model itself. A runner whose
    /// replica lost the gradient of its first micro-batch, or a micro-batch weighted as a whole thread's part,
    /// is off by a quarter or more of the gradient: far outside the tolerances argued above.
    @Test func microBatchesMatchOneGraph() throws {
        #expect(ThreadShards.plan(rows: 13, threads: 2, microBatch: 3) == .init(runners: 2, shards: 4))
        #expect(ThreadShards.plan(rows: 13, threads: 1, microBatch: 3) == .init(runners: 1, shards: 4))
        let one = try train(threads: 1)
        expectClose(try train(threads: 2, microBatch: 3), one)
        expectClose(try train(threads: 1, microBatch: 3), one)
    }

    private func train(threads: Int, microBatch: Int? = nil) throws -> (losses: [Float], grads: [[Float]], weights: [[Float]]) {
        var config = UNet2DConfig.tiny8
        config.numClassEmbeds = 4
        let model = try UNet2DModel(config: config, seed: 3)
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: 1e-2, emaDecay: 0.9)
        trainer.shardThreads = threads
        trainer.microBatchRows = microBatch
        trainer.labelDropout = 0.2
        trainer.snrGamma = 5
        var rng = RandomGenerator(seed: 7)
        var losses: [Float] = []
        for _ in 0..<3 {
            let batch = rng.normalTensor([13, 8, 8, 1])
            let labels = (0..<13).map { $0 % 3 }
            losses.append(try trainer.trainStep(batch, labels: labels, rng: &rng))
        }
        let tensors = model.parameters.tensors
        return (losses, tensors.map { $0.grad!.scalars }, tensors.map(\.scalars) + trainer.ema!.shadow.map(\.scalars))
    }

    private func expectClose(_ sharded: (losses: [Float], grads: [[Float]], weights: [[Float]]),
                             _ one: (losses: [Float], grads: [[Float]], weights: [[Float]])) {
        for (a, b) in zip(sharded.losses, one.losses) { #expect(abs(a - b) <= 1e-6 * abs(b), "loss \(a) vs \(b)") }
        let modelScale = one.grads.flatMap { $0 }.map(abs).max() ?? 0
        #expect(modelScale > 0)
        for (k, (x, y)) in zip(sharded.grads, one.grads).enumerated() {
            let scale = y.map(abs).max() ?? 0
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale + 1e-6 * modelScale, "gradient of parameter \(k): \(worst) against a largest \(scale)")
        }
        let worst = zip(sharded.weights, one.weights).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        #expect(worst <= 2e-4, "weights differ by \(worst)")
    }

    /// How a batch is cut: not below 4 rows a thread, never more runners than threads, micro-batches of at
    /// least 16 rows, the same number on every runner.
    @Test func howBatchesAreCut() {
        #expect(ThreadShards.plan(rows: 7, threads: 2) == .init(runners: 1, shards: 1))
        #expect(ThreadShards.plan(rows: 8, threads: 2) == .init(runners: 2, shards: 2))
        #expect(ThreadShards.plan(rows: 32, threads: 2) == .init(runners: 2, shards: 2))
        #expect(ThreadShards.plan(rows: 128, threads: 2) == .init(runners: 2, shards: 8))
        #expect(ThreadShards.plan(rows: 100, threads: 2) == .init(runners: 2, shards: 6))
        #expect(ThreadShards.plan(rows: 128, threads: 1) == .init(runners: 1, shards: 8))
        #expect(ThreadShards.plan(rows: 12, threads: 8) == .init(runners: 3, shards: 3))
        #expect(ThreadShards.plan(rows: 1, threads: 1) == .init(runners: 1, shards: 1))
        let plan = ThreadShards.Plan(runners: 2, shards: 6)
        #expect(plan.shards(ofRunner: 0) == 0..<3 && plan.shards(ofRunner: 1) == 3..<6)
    }

    /// A shard's error reaches the caller and leaves the model as it was.
    @Test func aFailingShardThrowsAndKeepsTheWeights() throws {
        var config = UNet2DConfig.tiny8
        config.numClassEmbeds = 4
        let model = try UNet2DModel(config: config, seed: 3)
        let before = model.parameters.tensors.map(\.scalars)
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: 1e-2)
        trainer.shardThreads = 2
        var rng = RandomGenerator(seed: 7)
        let batch = rng.normalTensor([8, 8, 8, 1])
        // Label 9 is outside the 4 class embeddings; it sits in the second shard.
        #expect(throws: (any Error).self) { try trainer.trainStep(batch, labels: [0, 1, 2, 0, 1, 2, 9, 0], rng: &rng) }
        #expect(model.parameters.tensors.map(\.scalars) == before)
        #expect(trainer.step == 0)
    }
}

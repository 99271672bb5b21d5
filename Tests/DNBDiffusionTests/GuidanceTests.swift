import Testing
import DNBEngine
@testable import DNBDiffusion

/// Classifier-free guidance: label dropout in training (the model's last class means "no class") and the guided
/// sampling step ε_uncond + w · (ε_cond − ε_uncond).
struct GuidanceTests {
    let schedule = try! NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: .linear)

    static var conditional: UNet2DConfig {
        var config = UNet2DConfig.tiny8
        config.numClassEmbeds = 4  // classes 0, 1, 2 and "no class" 3
        return config
    }

    /// The step drops exactly the labels whose uniform draw (after the noise and the timesteps) falls below p,
    /// to the last class: the loss equals the one recomputed from a replay of the generator.
    @Test(arguments: [Float(0.5), 0.0])
    func labelDropoutReplacesTheDrawnLabelsWithTheLastClass(p: Float) throws {
        let model = try UNet2DModel(config: Self.conditional)
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: 1e-3)
        trainer.labelDropout = p
        // One graph: split over two threads the step's loss is the sum of two halves' scaled means, which
        // equals the mean over all eight images only up to rounding (it did by chance until the exponential
        // of SiLU changed in the last bits; the shards are ThreadShardsTests' subject).
        trainer.shardThreads = 1
        var rng = RandomGenerator(seed: 5)
        let batch = rng.normalTensor([8, 8, 8, 1])
        let labels = [0, 1, 2, 0, 1, 2, 0, 1]

        var replay = rng
        let noise = replay.normalTensor(batch.shape)
        let t = try (0..<8).map { _ in try replay.randint(below: 1000) }
        var expectedLabels = labels
        if p > 0 { for i in 0..<8 where replay.uniform() < p { expectedLabels[i] = 3 } }
        if p > 0 { #expect(expectedLabels.contains(3) && expectedLabels != labels.map { _ in 3 }, "seed 5 drops some labels, not all") }
        let output = try withNoGrad {
            try model(try schedule.addNoise(batch, noise: noise, timesteps: t), timesteps: t.map(Float.init), classLabels: expectedLabels)
        }
        let expected = try mseLoss(output, noise).item

        #expect(try trainer.trainStep(batch, labels: labels, rng: &rng) == expected)
        // p = 0 draws nothing: the generator is where a run without dropout leaves it.
        if p == 0 { #expect(rng == replay) }
    }

    // Exact: one multiply-add per element in the order written.
    @Test func theGuidedPredictionMixesTheTwoHalves() throws {
        let both = try Tensor(shape: [4, 1, 1, 2], scalars: [1, 2, 3, 4, /* unconditional */ 0, 1, -1, 5])
        #expect(guided(both, scale: 1).scalars == [1, 2, 3, 4])
        #expect(guided(both, scale: 0).scalars == [0, 1, -1, 5])
        #expect(guided(both, scale: 3).scalars == [3, 4, 11, 2])
        #expect(guided(both, scale: 3).shape == [2, 1, 1, 2])
    }

    /// Guidance 1 samples what the conditional model samples alone; the model then runs on a batch twice the
    /// size, whose per-image values differ from the single batch's by float rounding only (1e-5 after 4 steps).
    @Test func guidanceOneIsTheConditionalModel() throws {
        let model = try UNet2DModel(config: Self.conditional, seed: 3)
        let scheduler = try DDIMScheduler()
        var rng = RandomGenerator(seed: 9)
        let start = rng.normalTensor([3, 8, 8, 1])
        var a = rng, b = rng, c = rng
        let plain = try denoiseLoop(model: model, scheduler: scheduler, start: start, steps: 4, classLabels: [0, 1, 2], rng: &a)
        let one = try denoiseLoop(model: model, scheduler: scheduler, start: start, steps: 4, classLabels: [0, 1, 2], guidance: 1, rng: &b)
        let strong = try denoiseLoop(model: model, scheduler: scheduler, start: start, steps: 4, classLabels: [0, 1, 2], guidance: 4, rng: &c)
        #expect(zip(plain.scalars, one.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        #expect(zip(plain.scalars, strong.scalars).contains { abs($0 - $1) > 1e-3 }, "guidance 4 moves the samples")
    }
}

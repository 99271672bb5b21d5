import Testing
import DNBEngine
@testable import DNBDiffusion

/// The training target per prediction type and min-SNR-γ weighting, against diffusers 0.32.2:
///   s = DDPMScheduler(num_train_timesteps=1000); t = torch.tensor([0, 500, 999])
///   x = tensor([[0.5, -1], [0.25, 2], [1, 0]]).reshape(3, 1, 1, 2); e = tensor([[1, 0.5], [-0.5, -1.5], [0.75, 0.1]]).reshape(3, 1, 1, 2)
///   s.get_velocity(x, e, t); snr = diffusers.training_utils.compute_snr(s, t)
///   w = torch.stack([snr, 5 * torch.ones_like(t)], dim=1).min(dim=1)[0]; w / snr (ε), w / (snr + 1) (v)
struct TrainingObjectiveTests {
    let schedule = try! NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: .linear)
    let timesteps = [0, 500, 999]

    // 1e-6: one float32 multiply-add per element from identical ᾱ tables (bit-equal to diffusers').
    @Test func velocityMatchesDiffusers() throws {
        let x = try Tensor(shape: [3, 1, 2, 1], scalars: [0.5, -1, 0.25, 2, 1, 0])
        let e = try Tensor(shape: [3, 1, 2, 1], scalars: [1, 0.5, -0.5, -1.5, 0.75, 0.1])
        let v = try schedule.velocity(x, noise: e, timesteps: timesteps)
        let expected: [Float] = [0.9949495792388916, 0.5099758505821228, -0.37953880429267883, -2.3390092849731445,
                                 -0.9952152371406555, 0.0006352818454615772]
        for (a, b) in zip(v.scalars, expected) { #expect(abs(a - b) < 1e-6) }
        #expect(throws: SchedulerError.self) { try schedule.velocity(x, noise: e, timesteps: [0, 1000, 2]) }
    }

    // Relative 1e-5: the SNR at t = 999 is 4e-5, a ratio of float32 values computed in the same order.
    @Test func minSNRWeightsMatchDiffusers() {
        let snr: [Float] = [9997.3408203125, 0.08435952663421631, 4.035992969875224e-05]
        let epsilon: [Float] = [0.000500132970046252, 1, 1]
        let velocity: [Float] = [0.0005000829696655273, 0.07779663801193237, 4.035829988424666e-05]
        for (i, t) in timesteps.enumerated() {
            #expect(abs(schedule.signalToNoise(t) / snr[i] - 1) < 1e-5)
            #expect(abs(schedule.minSNRWeight(t, gamma: 5, predictionType: .epsilon) / epsilon[i] - 1) < 1e-5)
            #expect(abs(schedule.minSNRWeight(t, gamma: 5, predictionType: .vPrediction) / velocity[i] - 1) < 1e-5)
            #expect(schedule.minSNRWeight(t, gamma: 5, predictionType: .sample) == min(schedule.signalToNoise(t), 5))
        }
    }

    /// The loss a training step reports is the (weighted) MSE between the model's output before the step and
    /// the target of the prediction type, recomputed here from the same random draws.
    @Test(arguments: [(PredictionType.epsilon, Float?.none), (.vPrediction, nil), (.sample, nil), (.epsilon, 5), (.vPrediction, 5)])
    func trainStepLearnsTheTargetOfThePredictionType(prediction: PredictionType, gamma: Float?) throws {
        let config = UNet2DConfig.tiny8
        let model = try UNet2DModel(config: config)
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: 1e-3)
        trainer.predictionType = prediction
        trainer.snrGamma = gamma
        var rng = RandomGenerator(seed: 11)
        let batch = rng.normalTensor([4, 8, 8, 1])

        var replay = rng
        let noise = replay.normalTensor(batch.shape)
        let t = try (0..<4).map { _ in try replay.randint(below: 1000) }
        let output = try withNoGrad { try model(try schedule.addNoise(batch, noise: noise, timesteps: t), timesteps: t.map(Float.init)) }
        let target = switch prediction {
        case .epsilon: noise
        case .sample: batch
        case .vPrediction: try schedule.velocity(batch, noise: noise, timesteps: t)
        }
        let weights = t.map { step in gamma.map { schedule.minSNRWeight(step, gamma: $0, predictionType: prediction) } ?? 1 }
        let expected = try mseLoss(output, target, sampleWeights: weights).item

        let loss = try trainer.trainStep(batch, rng: &rng)
        #expect(loss == expected)
        #expect(trainer.step == 1)
    }
}

import Foundation
import DNBEngine

/// diffusers' EulerDiscreteScheduler (0.32.2): Euler's method on the probability-flow ODE in σ (Karras et al.
/// 2022, Algorithm 2 without churn). Its sample is x_t / √ᾱₜ = x₀ + σ·ε, so the loop starts from noise · σ_max
/// (`initNoiseSigma`) and the model sees the sample divided by √(σ² + 1) (`scaleModelInput`). Its timesteps
/// are fractional (linspace spacing, Karras σ's): the model is conditioned on `modelTimesteps`, and `timesteps`
/// holds them rounded to whole numbers for display and for `step`'s first lookup.
/// Churn (s_churn), the log-linear interpolation and continuous timesteps are not implemented.
public final class EulerDiscreteScheduler {
    public let schedule: NoiseSchedule
    public let predictionType: PredictionType
    public let timestepSpacing: TimestepSpacing
    public let stepsOffset: Int
    public let useKarrasSigmas: Bool
    public let finalSigmasType: DPMSolverMultistepScheduler.FinalSigmasType
    /// diffusers' `timesteps` (float32), what the model is conditioned on.
    public private(set) var modelTimesteps: [Float]
    public private(set) var timesteps: [Int]
    /// σ of each inference timestep, then the final σ (0 or σ of t = 0).
    public private(set) var sigmas: [Float]
    public private(set) var numInferenceSteps: Int?
    public private(set) var stepIndex: Int?
    private let trainSigmas: [Float]
    /// The configuration it was made from with `init(config:)` (nil when made from arguments).
    public internal(set) var config: SchedulerConfig?

    public init(numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, predictionType: PredictionType = .epsilon, useKarrasSigmas: Bool = false,
                timestepSpacing: TimestepSpacing = .linspace, stepsOffset: Int = 0,
                finalSigmasType: DPMSolverMultistepScheduler.FinalSigmasType = .zero) throws {
        schedule = try NoiseSchedule(trainTimesteps: numTrainTimesteps, betaStart: betaStart, betaEnd: betaEnd, schedule: betaSchedule)
        (self.predictionType, self.useKarrasSigmas, self.finalSigmasType) = (predictionType, useKarrasSigmas, finalSigmasType)
        (self.timestepSpacing, self.stepsOffset) = (timestepSpacing, stepsOffset)
        trainSigmas = SigmaSchedule.sigmas(schedule)
        timesteps = Array((0..<numTrainTimesteps).reversed())
        modelTimesteps = timesteps.map(Float.init)
        sigmas = trainSigmas.reversed() + [0]
    }

    public var numTrainTimesteps: Int { schedule.trainTimesteps }

    public func setTimesteps(_ n: Int) throws {
        let T = numTrainTimesteps
        var steps: [Double]
        if timestepSpacing == .linspace {
            guard n >= 1, n <= T else { throw SchedulerError.invalid("num_inference_steps must be between 1 and num_train_timesteps (\(T)), got \(n)") }
            // np.linspace(0, T − 1, n, dtype=float32)[::-1]: computed in float64, stored as float32.
            steps = SigmaSchedule.numpyLinspace(0, Double(T - 1), n).reversed().map { Double(Float($0)) }
        } else {
            steps = try inferenceTimesteps(count: n, trainTimesteps: T, spacing: timestepSpacing, stepsOffset: stepsOffset).map(Double.init)
        }
        var stepSigmas = steps.map { SigmaSchedule.interpolate($0, trainSigmas) }
        if useKarrasSigmas, let high = stepSigmas.first, let low = stepSigmas.last {
            let logSigmas = trainSigmas.map { Foundation.log($0) }
            stepSigmas = SigmaSchedule.karras(sigmaMin: low, sigmaMax: high, steps: n)
            steps = stepSigmas.map { SigmaSchedule.timestep(forSigma: $0, logSigmas: logSigmas) }
        }
        sigmas = stepSigmas.map { Float($0) } + [finalSigmasType == .zero ? 0 : trainSigmas[0]]
        modelTimesteps = steps.map { Float($0) }
        timesteps = modelTimesteps.map { Int($0.rounded(.toNearestOrEven)) }
        (numInferenceSteps, stepIndex) = (n, nil)
    }

    /// diffusers' `init_noise_sigma`: σ_max for linspace and trailing spacing, √(σ_max² + 1) for leading.
    public var initNoiseSigma: Float {
        let high = sigmas.max() ?? 1
        return timestepSpacing == .leading ? (high * high + 1).squareRoot() : high
    }

    /// The sample divided by √(σ² + 1) at step `index`: x_t / √ᾱₜ back to the variance the model was trained on.
    public func scaleModelInput(_ sample: Tensor, index: Int) throws -> Tensor {
        guard index >= 0, index < sigmas.count else { throw SchedulerError.invalid("scale_model_input: step \(index) is outside 0..<\(sigmas.count)") }
        let sigma = sigmas[index]
        return divided(sample, by: (sigma * sigma + 1).squareRoot())
    }

    public func addNoise(_ original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        try schedule.addNoise(original, noise: noise, timesteps: timesteps)
    }

    /// One Euler step from σᵢ to σᵢ₊₁: x + (x − x₀)/σᵢ · (σᵢ₊₁ − σᵢ).
    public func step(modelOutput: Tensor, timestep t: Int, sample: Tensor) throws -> (prevSample: Tensor, predOriginalSample: Tensor) {
        let i = try stepPosition(t, modelOutput: modelOutput, sample: sample)
        let sigma = sigmas[i], dt = sigmas[i + 1] - sigma
        let root = (sigma * sigma + 1).squareRoot(), vScale = -sigma / root, vDivisor = sigma * sigma + 1
        let x0 = Tensor(uninitialized: sample.shape), prev = Tensor(uninitialized: sample.shape)
        for k in 0..<sample.count {
            let x = sample.data[k], m = modelOutput.data[k]
            let original: Float
            switch predictionType {
            case .epsilon: original = x - sigma * m
            case .sample: original = m
            case .vPrediction: original = m * vScale + x / vDivisor
            }
            x0.data[k] = original
            prev.data[k] = x + (x - original) / sigma * dt
        }
        stepIndex = i + 1
        return (prev, x0)
    }
}

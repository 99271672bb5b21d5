import DNBEngine

/// diffusers' DDIMScheduler (0.32.2): deterministic at eta 0, so few-step
/// sampling follows the model's own estimate of the clean image instead of
/// re-injecting noise at every step.
public final class DDIMScheduler {
    public struct Output {
        public let prevSample: Tensor
        public let predOriginalSample: Tensor
    }

    public let schedule: NoiseSchedule
    public let predictionType: PredictionType
    public let clipSample: Bool
    public let clipSampleRange: Float
    public let timestepSpacing: TimestepSpacing
    public let stepsOffset: Int
    /// ᾱ used past the last step: 1 (`set_alpha_to_one`) or ᾱ₀.
    public let finalAlphaCumprod: Float
    /// Noise weight of the sampling loop (0: deterministic DDIM, 1: DDPM-like).
    public var eta: Float = 0
    public private(set) var timesteps: [Int]
    public private(set) var numInferenceSteps: Int?
    /// The configuration it was made from with `init(config:)`, as diffusers' `scheduler.config` (nil when made from arguments).
    public internal(set) var config: SchedulerConfig?

    public init(numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, predictionType: PredictionType = .epsilon,
                clipSample: Bool = true, clipSampleRange: Float = 1, setAlphaToOne: Bool = true,
                timestepSpacing: TimestepSpacing = .leading, stepsOffset: Int = 0) throws {
        schedule = try NoiseSchedule(trainTimesteps: numTrainTimesteps, betaStart: betaStart, betaEnd: betaEnd, schedule: betaSchedule)
        self.predictionType = predictionType
        self.clipSample = clipSample
        self.clipSampleRange = clipSampleRange
        self.timestepSpacing = timestepSpacing
        self.stepsOffset = stepsOffset
        finalAlphaCumprod = setAlphaToOne ? 1 : schedule.alphasCumprod[0]
        timesteps = Array((0..<numTrainTimesteps).reversed())
    }

    public var numTrainTimesteps: Int { schedule.trainTimesteps }

    public func setTimesteps(_ n: Int) throws {
        timesteps = try inferenceTimesteps(count: n, trainTimesteps: numTrainTimesteps, spacing: timestepSpacing, stepsOffset: stepsOffset)
        numInferenceSteps = n
    }

    /// diffusers uses T / n for every spacing here, even where the timesteps are not T / n apart.
    public func previousTimestep(_ t: Int) -> Int { t - numTrainTimesteps / (numInferenceSteps ?? numTrainTimesteps) }


    public func addNoise(_ original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        try schedule.addNoise(original, noise: noise, timesteps: timesteps)
    }

    public func step(modelOutput: Tensor, timestep t: Int, sample: Tensor, eta: Float = 0, noise: Tensor? = nil,
                     rng: inout RandomGenerator) throws -> Output {
        guard numInferenceSteps != nil else { throw SchedulerError.invalid("step: call setTimesteps(n) first") }
        // Above 1, σ can exceed √(1 − ᾱ_prev) and the direction term takes √ of a negative number: NaN images.
        guard eta >= 0, eta <= 1 else { throw SchedulerError.invalid("step: eta must be between 0 and 1, got \(eta)") }
        guard modelOutput.shape == sample.shape else {
            throw SchedulerError.invalid("step: model output \(modelOutput.shape) and sample \(sample.shape) differ")
        }
        guard t >= 0, t < numTrainTimesteps else { throw SchedulerError.invalid("step: timestep \(t) is outside 0..<\(numTrainTimesteps)") }
        let prevT = previousTimestep(t)
        let aT = schedule.alphasCumprod[t], aPrev = prevT >= 0 ? schedule.alphasCumprod[prevT] : finalAlphaCumprod
        let betaT = 1 - aT, betaPrev = 1 - aPrev
        let sa = aT.squareRoot(), sb = betaT.squareRoot()
        let variance = (betaPrev / betaT) * (1 - aT / aPrev)
        let std = eta * variance.squareRoot()
        let directionCoeff = (1 - aPrev - std * std).squareRoot(), prevCoeff = aPrev.squareRoot()
        let original = Tensor(uninitialized: sample.shape), prev = Tensor(uninitialized: sample.shape)
        let z = eta > 0 ? (noise ?? rng.normalTensor(sample.shape)) : nil
        if let z, z.shape != sample.shape { throw SchedulerError.invalid("step: variance noise \(z.shape) vs sample \(sample.shape)") }
        for i in 0..<sample.count {
            let x = sample.data[i], m = modelOutput.data[i]
            var x0: Float, eps: Float
            switch predictionType {
            case .epsilon: x0 = (x - sb * m) / sa; eps = m
            case .sample: x0 = m; eps = (x - sa * x0) / sb
            case .vPrediction: x0 = sa * x - sb * m; eps = sa * m + sb * x
            }
            if clipSample { x0 = min(max(x0, -clipSampleRange), clipSampleRange) }
            original.data[i] = x0
            var p = prevCoeff * x0 + directionCoeff * eps
            if let z { p = p + std * z.data[i] }
            prev.data[i] = p
        }
        return Output(prevSample: prev, predOriginalSample: original)
    }
}

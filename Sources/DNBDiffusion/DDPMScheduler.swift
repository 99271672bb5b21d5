import DNBEngine

/// diffusers' DDPMScheduler (0.32.2 semantics and defaults).
///
/// `previousTimestep(t)` is the next entry of `timesteps` once inference steps
/// are set (−1, the clean image, after the last) and t − 1 before, exactly as
/// diffusers computes it. With the default "leading" spacing this explains the
/// tutorial's puzzle: `setTimesteps(1)` gives [0], so one "step" only asks the
/// model about t = 0 (almost no noise) whatever the input's real noise level;
/// `setTimesteps(2)` gives [500, 0], so the first step treats every input as
/// noised to t = 500, jumps straight to t = 0 and adds fresh variance noise
/// of that size on the way.
public final class DDPMScheduler {
    public struct Output {
        public let prevSample: Tensor
        public let predOriginalSample: Tensor
    }

    public enum VarianceType: String, CaseIterable, Sendable {
        case fixedSmall = "fixed_small"
        case fixedLarge = "fixed_large"
    }

    public let schedule: NoiseSchedule
    public let betaStart: Double, betaEnd: Double
    public let betaSchedule: BetaSchedule
    public let predictionType: PredictionType
    public let varianceType: VarianceType
    public let clipSample: Bool
    public let clipSampleRange: Float
    public let timestepSpacing: TimestepSpacing
    public let stepsOffset: Int
    public private(set) var timesteps: [Int]
    public private(set) var numInferenceSteps: Int?
    /// The configuration it was made from with `init(config:)`, as diffusers' `scheduler.config` (nil when made from arguments).
    public internal(set) var config: SchedulerConfig?

    public init(numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, predictionType: PredictionType = .epsilon,
                varianceType: VarianceType = .fixedSmall, clipSample: Bool = true, clipSampleRange: Float = 1,
                timestepSpacing: TimestepSpacing = .leading, stepsOffset: Int = 0) throws {
        schedule = try NoiseSchedule(trainTimesteps: numTrainTimesteps, betaStart: betaStart, betaEnd: betaEnd, schedule: betaSchedule)
        (self.betaStart, self.betaEnd, self.betaSchedule) = (betaStart, betaEnd, betaSchedule)
        self.predictionType = predictionType
        self.varianceType = varianceType
        self.clipSample = clipSample
        self.clipSampleRange = clipSampleRange
        self.timestepSpacing = timestepSpacing
        self.stepsOffset = stepsOffset
        timesteps = Array((0..<numTrainTimesteps).reversed())
    }

    public var numTrainTimesteps: Int { schedule.trainTimesteps }

    public func setTimesteps(_ n: Int) throws {
        timesteps = try inferenceTimesteps(count: n, trainTimesteps: numTrainTimesteps, spacing: timestepSpacing, stepsOffset: stepsOffset)
        numInferenceSteps = n
    }

    public func previousTimestep(_ t: Int) throws -> Int {
        guard numInferenceSteps != nil else { return t - 1 }
        guard let i = timesteps.firstIndex(of: t) else {
            throw SchedulerError.invalid("timestep \(t) is not one of the \(timesteps.count) inference timesteps \(summarize(timesteps))")
        }
        return i == timesteps.count - 1 ? -1 : timesteps[i + 1]
    }

    public func addNoise(_ original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        try schedule.addNoise(original, noise: noise, timesteps: timesteps)
    }

    func alphaProduct(_ t: Int) -> Float { t >= 0 ? schedule.alphasCumprod[t] : 1 }

    /// The variance σ²ₜ of the step from t.
    public func variance(at t: Int) throws -> Float {
        let aT = alphaProduct(t), aPrev = alphaProduct(try previousTimestep(t))
        let currentBeta = 1 - aT / aPrev
        let v = max((1 - aPrev) / (1 - aT) * currentBeta, 1e-20)
        switch varianceType {
        case .fixedSmall: return v
        case .fixedLarge: return currentBeta
        }
    }

    /// One reverse step from t. `noise` is the variance noise added when t > 0
    /// (drawn from `rng` when not given); for t = 0 nothing is added.
    public func step(modelOutput: Tensor, timestep t: Int, sample: Tensor, noise: Tensor? = nil,
                     rng: inout RandomGenerator) throws -> Output {
        guard modelOutput.shape == sample.shape else {
            throw SchedulerError.invalid("step: model output \(modelOutput.shape) and sample \(sample.shape) differ")
        }
        guard t >= 0, t < numTrainTimesteps else { throw SchedulerError.invalid("step: timestep \(t) is outside 0..<\(numTrainTimesteps)") }
        let aT = alphaProduct(t), aPrev = alphaProduct(try previousTimestep(t))
        let betaT = 1 - aT, betaPrev = 1 - aPrev
        let currentAlpha = aT / aPrev, currentBeta = 1 - currentAlpha
        let original = predictOriginal(modelOutput, sample, alphaProduct: aT)
        let originalCoeff = aPrev.squareRoot() * currentBeta / betaT
        let sampleCoeff = currentAlpha.squareRoot() * betaPrev / betaT
        let prev = Tensor(uninitialized: sample.shape)
        for i in 0..<sample.count { prev.data[i] = originalCoeff * original.data[i] + sampleCoeff * sample.data[i] }
        if t > 0 {
            let z = noise ?? rng.normalTensor(sample.shape)
            guard z.shape == sample.shape else { throw SchedulerError.invalid("step: variance noise \(z.shape) vs sample \(sample.shape)") }
            let sigma = try variance(at: t).squareRoot()
            for i in 0..<sample.count { prev.data[i] = prev.data[i] + sigma * z.data[i] }
        }
        return Output(prevSample: prev, predOriginalSample: original)
    }

    func predictOriginal(_ output: Tensor, _ sample: Tensor, alphaProduct aT: Float) -> Tensor {
        let x0 = Tensor(uninitialized: sample.shape)
        let sa = aT.squareRoot(), sb = (1 - aT).squareRoot()
        for i in 0..<sample.count {
            var v: Float
            switch predictionType {
            case .epsilon: v = (sample.data[i] - sb * output.data[i]) / sa
            case .sample: v = output.data[i]
            case .vPrediction: v = sa * sample.data[i] - sb * output.data[i]
            }
            if clipSample { v = min(max(v, -clipSampleRange), clipSampleRange) }
            x0.data[i] = v
        }
        return x0
    }
}

func summarize(_ ts: [Int]) -> String {
    ts.count <= 12 ? "[" + ts.map(String.init).joined(separator: ", ") + "]"
        : "[" + ts.prefix(5).map(String.init).joined(separator: ", ") + ", …, " + ts.suffix(3).map(String.init).joined(separator: ", ") + "]"
}

import Foundation
import DNBEngine

/// diffusers' DPMSolverMultistepScheduler (0.32.2) with algorithm_type "dpmsolver++" (Lu et al. 2022): an ODE
/// solver in log-SNR λ = log(α/σ) on the model's clean-image estimates. Order 2 reuses the previous step's
/// estimate (kept between steps, cleared by `setTimesteps`), so 15–20 steps do what DDIM needs ~50 for.
/// `thresholding` clips the clean-image estimates as DDIM's clip_sample does (diffusers' dynamic thresholding): it
/// matters for a briefly trained model, whose estimates at high noise are far outside the data's range (bench/README.md).
/// Third order, the SDE variants and λ clipping are not implemented (solver_order ≤ 2).
public final class DPMSolverMultistepScheduler {
    public enum SolverType: String, CaseIterable, Sendable { case midpoint, heun }
    public enum FinalSigmasType: String, CaseIterable, Sendable {
        case zero
        case sigmaMin = "sigma_min"
    }

    public let schedule: NoiseSchedule
    public let predictionType: PredictionType
    public let timestepSpacing: TimestepSpacing
    public let stepsOffset: Int
    public let solverOrder: Int
    public let solverType: SolverType
    public let lowerOrderFinal: Bool
    public let eulerAtFinal: Bool
    public let useKarrasSigmas: Bool
    public let finalSigmasType: FinalSigmasType
    public let thresholding: Bool
    public let dynamicThresholdingRatio: Float
    public let sampleMaxValue: Float
    public private(set) var timesteps: [Int]
    /// σ of each inference timestep, then the final σ (0 or σ of t = 0): one more than `timesteps`.
    public private(set) var sigmas: [Float]
    public private(set) var numInferenceSteps: Int?
    /// Where the next step starts in `timesteps` (nil until the first step, as diffusers' `step_index`).
    public private(set) var stepIndex: Int?
    /// The clean-image estimates of the last `solverOrder` steps, oldest first.
    private var modelOutputs: [Tensor] = []
    private var lowerOrderNums = 0
    private let trainSigmas: [Float]
    /// The configuration it was made from with `init(config:)` (nil when made from arguments).
    public internal(set) var config: SchedulerConfig?

    public init(numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, solverOrder: Int = 2, predictionType: PredictionType = .epsilon,
                solverType: SolverType = .midpoint, lowerOrderFinal: Bool = true, eulerAtFinal: Bool = false,
                useKarrasSigmas: Bool = false, finalSigmasType: FinalSigmasType = .zero,
                timestepSpacing: TimestepSpacing = .linspace, stepsOffset: Int = 0,
                thresholding: Bool = false, dynamicThresholdingRatio: Float = 0.995, sampleMaxValue: Float = 1) throws {
        guard (1...2).contains(solverOrder) else { throw SchedulerError.invalid("solver_order must be 1 or 2, got \(solverOrder)") }
        schedule = try NoiseSchedule(trainTimesteps: numTrainTimesteps, betaStart: betaStart, betaEnd: betaEnd, schedule: betaSchedule)
        (self.solverOrder, self.predictionType, self.solverType) = (solverOrder, predictionType, solverType)
        (self.lowerOrderFinal, self.eulerAtFinal, self.useKarrasSigmas) = (lowerOrderFinal, eulerAtFinal, useKarrasSigmas)
        (self.finalSigmasType, self.timestepSpacing, self.stepsOffset) = (finalSigmasType, timestepSpacing, stepsOffset)
        (self.thresholding, self.dynamicThresholdingRatio, self.sampleMaxValue) = (thresholding, dynamicThresholdingRatio, sampleMaxValue)
        trainSigmas = SigmaSchedule.sigmas(schedule)
        timesteps = Array((0..<numTrainTimesteps).reversed())
        sigmas = trainSigmas.reversed() + [0]
    }

    public var numTrainTimesteps: Int { schedule.trainTimesteps }

    /// n timesteps and their σ's; forgets the previous loop's model outputs.
    public func setTimesteps(_ n: Int) throws {
        let T = numTrainTimesteps
        guard n >= 1, n <= T else { throw SchedulerError.invalid("num_inference_steps must be between 1 and num_train_timesteps (\(T)), got \(n)") }
        var steps: [Int]
        var stepSigmas: [Float]
        if useKarrasSigmas {
            let logSigmas = trainSigmas.map { Foundation.log($0) }
            let karras = SigmaSchedule.karras(sigmaMin: Double(trainSigmas[0]), sigmaMax: Double(trainSigmas[T - 1]), steps: n)
            steps = karras.map { Int(SigmaSchedule.timestep(forSigma: $0, logSigmas: logSigmas).rounded(.toNearestOrEven)) }
            stepSigmas = karras.map { Float($0) }
        } else {
            steps = try Self.spacedTimesteps(n, trainTimesteps: T, spacing: timestepSpacing, stepsOffset: stepsOffset)
            stepSigmas = steps.map { trainSigmas[$0] }
        }
        stepSigmas.append(finalSigmasType == .zero ? 0 : trainSigmas[0])
        (timesteps, sigmas, numInferenceSteps) = (steps, stepSigmas, steps.count)
        (modelOutputs, lowerOrderNums, stepIndex) = ([], 0, nil)
    }

    /// DPM-Solver's own spacing (n + 1 points, the last dropped): not DDPM's for linspace and leading.
    static func spacedTimesteps(_ n: Int, trainTimesteps T: Int, spacing: TimestepSpacing, stepsOffset: Int) throws -> [Int] {
        switch spacing {
        case .linspace:
            return SigmaSchedule.numpyLinspace(0, Double(T - 1), n + 1).map { Int($0.rounded(.toNearestOrEven)) }.reversed().dropLast()
        case .leading:
            let ratio = T / (n + 1)
            let steps = (0...n).map { $0 * ratio + stepsOffset }.reversed().dropLast()
            if let first = steps.first, first >= T {
                throw SchedulerError.invalid("steps_offset \(stepsOffset) with \(n) leading steps reaches timestep \(first), past num_train_timesteps − 1 (\(T - 1))")
            }
            return Array(steps)
        case .trailing:
            return try inferenceTimesteps(count: n, trainTimesteps: T, spacing: .trailing, stepsOffset: 0)
        }
    }

    public func addNoise(_ original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        try schedule.addNoise(original, noise: noise, timesteps: timesteps)
    }

    /// (α, σ) of the VP process at noise-to-signal ratio s, in float32 as diffusers: α = 1/√(s² + 1), σ = s·α.
    static func alphaSigma(_ s: Float) -> (alpha: Float, sigma: Float, lambda: Float) {
        let alpha = 1 / (s * s + 1).squareRoot(), sigma = s * alpha
        return (alpha, sigma, Foundation.log(alpha) - Foundation.log(sigma))
    }

    /// One step from `timestep`; returns the sample at the next timestep and the clean-image estimate.
    public func step(modelOutput: Tensor, timestep t: Int, sample: Tensor) throws -> (prevSample: Tensor, predOriginalSample: Tensor) {
        let i = try stepPosition(t, modelOutput: modelOutput, sample: sample)
        let n = timesteps.count
        let lowerFinal = i == n - 1 && (eulerAtFinal || (lowerOrderFinal && n < 15) || finalSigmasType == .zero)
        let x0 = convert(modelOutput, sample: sample, sigma: sigmas[i])
        modelOutputs.append(x0)
        if modelOutputs.count > solverOrder { modelOutputs.removeFirst() }
        let prev: Tensor
        if solverOrder == 1 || lowerOrderNums < 1 || lowerFinal || modelOutputs.count < 2 {
            prev = firstOrder(x0, sample: sample, index: i)
        } else {
            prev = secondOrder(modelOutputs[1], modelOutputs[0], sample: sample, index: i)
        }
        lowerOrderNums = min(lowerOrderNums + 1, solverOrder)
        stepIndex = i + 1
        return (prev, x0)
    }

    /// The model output as a clean-image estimate (DPM-Solver++ integrates the data prediction).
    private func convert(_ output: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        let (alpha, s, _) = Self.alphaSigma(sigma)
        let x0 = Tensor(uninitialized: sample.shape)
        for k in 0..<sample.count {
            let x = sample.data[k], m = output.data[k]
            switch predictionType {
            case .epsilon: x0.data[k] = (x - s * m) / alpha
            case .sample: x0.data[k] = m
            case .vPrediction: x0.data[k] = alpha * x - s * m
            }
        }
        if thresholding { threshold(x0) }
        return x0
    }

    /// Dynamic thresholding (Saharia et al. 2022; diffusers' `_threshold_sample`), per image: s = the
    /// `dynamicThresholdingRatio` quantile of |x₀| clamped to [1, sampleMaxValue], then x₀ = clamp(x₀, −s, s) / s.
    /// With sample_max_value 1 (the default) this is clip_sample to [−1, 1].
    private func threshold(_ x0: Tensor) {
        let images = x0.shape.first ?? 0
        guard images > 0 else { return }
        let per = x0.count / images
        for i in 0..<images {
            let p = x0.data + i * per
            let s = min(max(quantile((0..<per).map { abs(p[$0]) }, dynamicThresholdingRatio), 1), sampleMaxValue)
            for k in 0..<per { p[k] = min(max(p[k], -s), s) / s }
        }
    }

    /// torch.quantile's linear interpolation in float32: rank q·(n − 1), torch.lerp between its neighbours.
    private func quantile(_ values: [Float], _ q: Float) -> Float {
        let sorted = values.sorted()
        let rank = q * Float(sorted.count - 1), below = Int(rank), weight = rank - Float(below)
        let a = sorted[below], b = sorted[min(below + 1, sorted.count - 1)]
        return weight < 0.5 ? a + weight * (b - a) : b - (b - a) * (1 - weight)
    }

    /// x_t = (σ_t/σ_s)·x − α_t·(e^(−h) − 1)·D₀ (DDIM in λ).
    private func firstOrder(_ d0: Tensor, sample: Tensor, index i: Int) -> Tensor {
        let to = Self.alphaSigma(sigmas[i + 1]), from = Self.alphaSigma(sigmas[i])
        let h = to.lambda - from.lambda
        let a = to.sigma / from.sigma, b = to.alpha * (Foundation.exp(-h) - 1)
        let out = Tensor(uninitialized: sample.shape)
        for k in 0..<sample.count { out.data[k] = a * sample.data[k] - b * d0.data[k] }
        return out
    }

    /// The 2M update with D₁ = (m₀ − m₁)/r₀, r₀ = h₀/h: midpoint or Heun's correction.
    private func secondOrder(_ m0: Tensor, _ m1: Tensor, sample: Tensor, index i: Int) -> Tensor {
        let to = Self.alphaSigma(sigmas[i + 1]), s0 = Self.alphaSigma(sigmas[i]), s1 = Self.alphaSigma(sigmas[i - 1])
        let h = to.lambda - s0.lambda, h0 = s0.lambda - s1.lambda
        let invR0 = 1 / (h0 / h)
        let a = to.sigma / s0.sigma, b = to.alpha * (Foundation.exp(-h) - 1)
        let c: Float
        switch solverType {
        case .midpoint: c = -(0.5 * b)
        case .heun: c = to.alpha * ((Foundation.exp(-h) - 1) / h + 1)
        }
        let out = Tensor(uninitialized: sample.shape)
        for k in 0..<sample.count {
            let d1 = invR0 * (m0.data[k] - m1.data[k])
            out.data[k] = a * sample.data[k] - b * m0.data[k] + c * d1
        }
        return out
    }
}

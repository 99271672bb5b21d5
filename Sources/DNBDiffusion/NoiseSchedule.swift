import Foundation
import DNBEngine

/// The β schedule shared by DDPM and DDIM, computed as diffusers does in float32.
public enum BetaSchedule: String, CaseIterable, Sendable {
    case linear
    case scaledLinear = "scaled_linear"
    case squaredcosCapV2 = "squaredcos_cap_v2"
}

public enum PredictionType: String, CaseIterable, Sendable {
    case epsilon, sample
    case vPrediction = "v_prediction"
}

public enum TimestepSpacing: String, CaseIterable, Sendable {
    case leading, trailing, linspace
}

public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let s): return "scheduler: \(s)" }
    }
}

/// Training-time quantities: βₜ, αₜ = 1 − βₜ and ᾱₜ = Παₛ.
public struct NoiseSchedule: Sendable {
    public let betas: [Float]
    public let alphas: [Float]
    public let alphasCumprod: [Float]

    /// β bounds are doubles, as the Python floats diffusers receives (√ of them is taken before rounding).
    public init(trainTimesteps n: Int, betaStart: Double, betaEnd: Double, schedule: BetaSchedule) throws {
        guard n > 1 else { throw SchedulerError.invalid("num_train_timesteps must be at least 2, got \(n)") }
        guard betaStart > 0, betaEnd > betaStart, betaEnd < 1 else {
            throw SchedulerError.invalid("need 0 < beta_start < beta_end < 1, got \(betaStart) and \(betaEnd)")
        }
        switch schedule {
        case .linear: betas = torchLinspace(Float(betaStart), Float(betaEnd), n)
        case .scaledLinear: betas = torchLinspace(Float(betaStart.squareRoot()), Float(betaEnd.squareRoot()), n).map { $0 * $0 }
        case .squaredcosCapV2:
            // betas_for_alpha_bar: computed in double by Python, then stored as float32.
            func alphaBar(_ t: Double) -> Double { let c = cos((t + 0.008) / 1.008 * Double.pi / 2); return c * c }
            betas = (0..<n).map { i in Float(min(1 - alphaBar(Double(i + 1) / Double(n)) / alphaBar(Double(i) / Double(n)), 0.999)) }
        }
        alphas = betas.map { 1 - $0 }
        // torch.cumprod accumulates float32 products in double on the CPU.
        var acc = 1.0
        alphasCumprod = alphas.map { acc *= Double($0); return Float(acc) }
    }

    public var trainTimesteps: Int { betas.count }

    /// noisy = √ᾱₜ · x + √(1 − ᾱₜ) · noise, one timestep per image (first dimension).
    public func addNoise(_ original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        try mix("add_noise", original, noise, timesteps) { (x: $0, noise: $1) }
    }
}

extension NoiseSchedule {
    /// v = √ᾱₜ · noise − √(1 − ᾱₜ) · x, the v-prediction target (diffusers' `get_velocity`), one timestep per image.
    public func velocity(_ original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        try mix("get_velocity", original, noise, timesteps) { (x: -$1, noise: $0) }
    }

    /// cx · x + ce · noise per image, where (cx, ce) = coefficients(√ᾱₜ, √(1 − ᾱₜ)) for the image's timestep.
    private func mix(_ op: String, _ original: Tensor, _ noise: Tensor, _ timesteps: [Int],
                     coefficients: (Float, Float) -> (x: Float, noise: Float)) throws -> Tensor {
        guard original.shape == noise.shape else {
            throw SchedulerError.invalid("\(op): sample \(original.shape) and noise \(noise.shape) differ")
        }
        let n = original.shape.first ?? 0
        guard n > 0, timesteps.count == n else {
            throw SchedulerError.invalid("\(op): \(timesteps.count) timesteps for \(n) images")
        }
        if let bad = timesteps.first(where: { $0 < 0 || $0 >= trainTimesteps }) {
            throw SchedulerError.invalid("\(op): timestep \(bad) is outside 0..<\(trainTimesteps)")
        }
        let per = original.count / n
        let out = Tensor(uninitialized: original.shape)
        for (i, t) in timesteps.enumerated() {
            let c = coefficients(alphasCumprod[t].squareRoot(), (1 - alphasCumprod[t]).squareRoot())
            let x = original.data + i * per, e = noise.data + i * per, o = out.data + i * per
            for j in 0..<per { o[j] = c.x * x[j] + c.noise * e[j] }
        }
        return out
    }

    /// Signal-to-noise ratio ᾱₜ / (1 − ᾱₜ) (diffusers' `compute_snr`).
    public func signalToNoise(_ t: Int) -> Float { alphasCumprod[t] / (1 - alphasCumprod[t]) }

    /// Min-SNR-γ loss weight of timestep t (Hang et al. 2023; diffusers' `--snr_gamma`): min(SNR, γ) divided by
    /// what the prediction type's MSE already weights by (SNR for ε, SNR + 1 for v, 1 for the clean sample).
    public func minSNRWeight(_ t: Int, gamma: Float, predictionType: PredictionType) -> Float {
        let snr = signalToNoise(t), clipped = min(snr, gamma)
        switch predictionType {
        case .epsilon: return clipped / snr
        case .vPrediction: return clipped / (snr + 1)
        case .sample: return clipped
        }
    }
}

/// torch.linspace in float32: the first half counts up from start, the second
/// half down from end, with step (end − start)/(n − 1) in float32 and a fused
/// multiply-add (its vectorised kernel); the double expression below rounds once, as the FMA does.
func torchLinspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
    let step = Double((end - start) / Float(n - 1))
    return (0..<n).map { i in
        i < n / 2 ? Float(Double(start) + step * Double(i)) : Float(Double(end) - step * Double(n - 1 - i))
    }
}

/// Inference timesteps for each spacing, as diffusers computes them with numpy.
func inferenceTimesteps(count: Int, trainTimesteps: Int, spacing: TimestepSpacing, stepsOffset: Int) throws -> [Int] {
    guard count >= 1, count <= trainTimesteps else {
        throw SchedulerError.invalid("num_inference_steps must be between 1 and num_train_timesteps (\(trainTimesteps)), got \(count)")
    }
    switch spacing {
    case .linspace:
        // np.linspace(0, T−1, n).round()[::-1]; numpy rounds half to even.
        if count == 1 { return [0] }
        let step = Double(trainTimesteps - 1) / Double(count - 1)
        return (0..<count).map { Int((Double($0) * step).rounded(.toNearestOrEven)) }.reversed()
    case .leading:
        let ratio = trainTimesteps / count
        let last = (count - 1) * ratio + stepsOffset
        guard last < trainTimesteps else {
            throw SchedulerError.invalid("steps_offset \(stepsOffset) with \(count) leading steps reaches timestep \(last), past num_train_timesteps − 1 (\(trainTimesteps - 1)); use fewer steps or a smaller steps_offset")
        }
        return (0..<count).map { $0 * ratio + stepsOffset }.reversed()
    case .trailing:
        // np.round(np.arange(T, 0, −T/n)) − 1
        let step = -Double(trainTimesteps) / Double(count)
        let length = Int((-Double(trainTimesteps) / step).rounded(.up))  // numpy's arange length
        return (0..<length).map { Int((Double(trainTimesteps) + Double($0) * step).rounded(.toNearestOrEven)) - 1 }
    }
}

/// The config of DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler and EulerDiscreteScheduler under
/// diffusers' keys and defaults (DDPM's where they differ: see `defaults(for:)`), each key declared once
/// (`keys`): `scheduler create`'s arguments and the JSON form are generated from them.
public struct SchedulerConfig: Equatable, Sendable, DiffusersConfig {
    public static let className = "DDPMScheduler"

    public var numTrainTimesteps = 1000
    public var betaStart = 0.0001
    public var betaEnd = 0.02
    public var betaSchedule = BetaSchedule.linear.rawValue
    public var predictionType = PredictionType.epsilon.rawValue
    public var varianceType = DDPMScheduler.VarianceType.fixedSmall.rawValue
    public var clipSample = true
    public var clipSampleRange = 1.0
    public var setAlphaToOne = true
    public var timestepSpacing = TimestepSpacing.leading.rawValue
    public var stepsOffset = 0
    public var solverOrder = 2
    public var solverType = DPMSolverMultistepScheduler.SolverType.midpoint.rawValue
    public var lowerOrderFinal = true
    public var eulerAtFinal = false
    public var useKarrasSigmas = false
    public var finalSigmasType = DPMSolverMultistepScheduler.FinalSigmasType.zero.rawValue
    public var thresholding = false
    public var dynamicThresholdingRatio = 0.995
    public var sampleMaxValue = 1.0

    public init() {}

    /// diffusers' defaults of scheduler class `type` (ddpm, ddim, dpm, euler): the solvers space timesteps by linspace.
    public static func defaults(for type: String) -> SchedulerConfig {
        var c = SchedulerConfig()
        if type == "dpm" || type == "euler" { c.timestepSpacing = TimestepSpacing.linspace.rawValue }
        return c
    }

    /// Upper limits on sizes are left to the memory budget (`tableBytes`); the limits here are what the arithmetic needs.
    public static var keys: [ConfigKey<SchedulerConfig>] {
        [
            .int("num_train_timesteps", \.numTrainTimesteps, [.atLeast(2)], help: "T, the number of training timesteps"),
            .float("beta_start", \.betaStart, [.above(0), .below(1)], help: "β at t = 0 (below beta_end)"),
            .float("beta_end", \.betaEnd, [.above(0), .below(1)], help: "β at t = T − 1"),
            .string("beta_schedule", \.betaSchedule, allowed: BetaSchedule.allCases.map(\.rawValue), help: "how β grows"),
            .string("prediction_type", \.predictionType, allowed: PredictionType.allCases.map(\.rawValue), help: "what the model predicts"),
            .string("variance_type", \.varianceType, allowed: DDPMScheduler.VarianceType.allCases.map(\.rawValue), help: "DDPM only: the variance of each sampling step"),
            .bool("clip_sample", \.clipSample, help: "clip the predicted clean image to ±clip_sample_range"),
            .float("clip_sample_range", \.clipSampleRange, [.above(0)], help: "the clipping bound"),
            .bool("set_alpha_to_one", \.setAlphaToOne, help: "DDIM only: ᾱ past the last step is 1 (else ᾱ₀)"),
            .string("timestep_spacing", \.timestepSpacing, allowed: TimestepSpacing.allCases.map(\.rawValue), help: "how inference timesteps are spread over 0..T−1"),
            .int("steps_offset", \.stepsOffset, [.atLeast(0)], help: "added to leading timesteps (below num_train_timesteps)"),
            // diffusers also has order 3; its extra model-output history is not implemented.
            .int("solver_order", \.solverOrder, [.atLeast(1), .atMost(2)], help: "DPM-Solver only: 2 reuses the previous step's estimate (2M), 1 is DDIM in log-SNR"),
            .fixed("algorithm_type", "dpmsolver++", help: "DPM-Solver only: the data-prediction solver"),
            .string("solver_type", \.solverType, allowed: DPMSolverMultistepScheduler.SolverType.allCases.map(\.rawValue), help: "DPM-Solver only: the second-order correction"),
            .bool("lower_order_final", \.lowerOrderFinal, help: "DPM-Solver only: first order for the last step below 15 steps"),
            .bool("euler_at_final", \.eulerAtFinal, help: "DPM-Solver only: first order for the last step always"),
            .bool("use_karras_sigmas", \.useKarrasSigmas, help: "DPM-Solver and Euler: Karras et al.'s σ spacing (ρ = 7) instead of timestep_spacing"),
            .bool("thresholding", \.thresholding, help: "DPM-Solver only: clip its clean-image estimates (dynamic thresholding; at sample_max_value 1, clip_sample's ±1)"),
            .float("dynamic_thresholding_ratio", \.dynamicThresholdingRatio, [.above(0), .atMost(1)], help: "DPM-Solver only: the quantile of |x₀| that sets the clipping bound"),
            .float("sample_max_value", \.sampleMaxValue, [.atLeast(1)], help: "DPM-Solver only: the largest clipping bound"),
            .string("final_sigmas_type", \.finalSigmasType, allowed: DPMSolverMultistepScheduler.FinalSigmasType.allCases.map(\.rawValue), help: "DPM-Solver and Euler: σ after the last step, 0 or σ at t = 0"),
        ]
    }

    public func validate() throws {
        var copy = self
        for key in Self.keys { try key.set(key.value(in: self), in: &copy) }
        guard betaStart < betaEnd else { throw ModelError.invalidConfig("beta_start \(betaStart) must be below beta_end \(betaEnd)") }
        guard stepsOffset < numTrainTimesteps else {
            throw ModelError.invalidConfig("steps_offset \(stepsOffset) must be below num_train_timesteps \(numTrainTimesteps)")
        }
    }

    /// Bytes of the β, α, ᾱ tables (float32), the timesteps (Int) and their double intermediates: ~40 per timestep.
    public var tableBytes: Double { Double(numTrainTimesteps) * 40 }
}

extension DDPMScheduler {
    public convenience init(config c: SchedulerConfig) throws {
        try c.validate()
        try self.init(numTrainTimesteps: c.numTrainTimesteps, betaStart: c.betaStart, betaEnd: c.betaEnd,
                      betaSchedule: BetaSchedule(rawValue: c.betaSchedule) ?? .linear, predictionType: PredictionType(rawValue: c.predictionType) ?? .epsilon,
                      varianceType: VarianceType(rawValue: c.varianceType) ?? .fixedSmall, clipSample: c.clipSample,
                      clipSampleRange: Float(c.clipSampleRange), timestepSpacing: TimestepSpacing(rawValue: c.timestepSpacing) ?? .leading,
                      stepsOffset: c.stepsOffset)
        config = c
    }
}

extension DDIMScheduler {
    public convenience init(config c: SchedulerConfig) throws {
        try c.validate()
        try self.init(numTrainTimesteps: c.numTrainTimesteps, betaStart: c.betaStart, betaEnd: c.betaEnd,
                      betaSchedule: BetaSchedule(rawValue: c.betaSchedule) ?? .linear, predictionType: PredictionType(rawValue: c.predictionType) ?? .epsilon,
                      clipSample: c.clipSample, clipSampleRange: Float(c.clipSampleRange), setAlphaToOne: c.setAlphaToOne,
                      timestepSpacing: TimestepSpacing(rawValue: c.timestepSpacing) ?? .leading, stepsOffset: c.stepsOffset)
        config = c
    }
}

extension DPMSolverMultistepScheduler {
    public convenience init(config c: SchedulerConfig) throws {
        try c.validate()
        try self.init(numTrainTimesteps: c.numTrainTimesteps, betaStart: c.betaStart, betaEnd: c.betaEnd,
                      betaSchedule: BetaSchedule(rawValue: c.betaSchedule) ?? .linear, solverOrder: c.solverOrder,
                      predictionType: PredictionType(rawValue: c.predictionType) ?? .epsilon,
                      solverType: SolverType(rawValue: c.solverType) ?? .midpoint, lowerOrderFinal: c.lowerOrderFinal,
                      eulerAtFinal: c.eulerAtFinal, useKarrasSigmas: c.useKarrasSigmas,
                      finalSigmasType: FinalSigmasType(rawValue: c.finalSigmasType) ?? .zero,
                      timestepSpacing: TimestepSpacing(rawValue: c.timestepSpacing) ?? .linspace, stepsOffset: c.stepsOffset,
                      thresholding: c.thresholding, dynamicThresholdingRatio: Float(c.dynamicThresholdingRatio),
                      sampleMaxValue: Float(c.sampleMaxValue))
        config = c
    }
}

extension EulerDiscreteScheduler {
    public convenience init(config c: SchedulerConfig) throws {
        try c.validate()
        try self.init(numTrainTimesteps: c.numTrainTimesteps, betaStart: c.betaStart, betaEnd: c.betaEnd,
                      betaSchedule: BetaSchedule(rawValue: c.betaSchedule) ?? .linear,
                      predictionType: PredictionType(rawValue: c.predictionType) ?? .epsilon, useKarrasSigmas: c.useKarrasSigmas,
                      timestepSpacing: TimestepSpacing(rawValue: c.timestepSpacing) ?? .linspace, stepsOffset: c.stepsOffset,
                      finalSigmasType: DPMSolverMultistepScheduler.FinalSigmasType(rawValue: c.finalSigmasType) ?? .zero)
        config = c
    }
}

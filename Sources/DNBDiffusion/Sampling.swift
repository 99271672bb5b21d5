import DNBEngine

/// A reverse-diffusion scheduler as the sampling loop uses it.
public protocol DenoisingScheduler: AnyObject {
    var timesteps: [Int] { get }
    var numTrainTimesteps: Int { get }
    var schedule: NoiseSchedule { get }
    var timestepSpacing: TimestepSpacing { get }
    /// What the model's output means (ε, x₀ or v); training must use the same.
    var predictionType: PredictionType { get }
    /// The timestep a step from t lands on (−1: the clean image).
    func previousTimestep(_ t: Int) throws -> Int
    func setTimesteps(_ n: Int) throws
    /// One step from t; returns (previous sample, predicted clean sample).
    func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor)
    /// diffusers' `init_noise_sigma`: the loop's start (unit noise) is multiplied by it. 1 except for σ-space
    /// schedulers (Euler), whose samples are x_t / √ᾱₜ.
    var initNoiseSigma: Float { get }
    /// diffusers' `scale_model_input`: what the model sees of the sample at timesteps[index] (the sample itself
    /// except for σ-space schedulers).
    func scaleModelInput(_ sample: Tensor, index: Int) throws -> Tensor
    /// The timestep the model is conditioned on at each step: `timesteps` except where diffusers' are fractional (Euler).
    var modelTimesteps: [Float] { get }
}

extension DenoisingScheduler {
    public var initNoiseSigma: Float { 1 }
    public func scaleModelInput(_ sample: Tensor, index: Int) throws -> Tensor { sample }
    public var modelTimesteps: [Float] { timesteps.map(Float.init) }
}

extension DDPMScheduler: DenoisingScheduler {
    public func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor) {
        let r = try step(modelOutput: modelOutput, timestep: timestep, sample: sample, rng: &rng)
        return (r.prevSample, r.predOriginalSample)
    }
}

/// Schedulers that walk their own `timesteps` list and step without noise (DPM-Solver++, Euler): the step after t
/// is the next entry of the list, and denoising is their `step`.
public protocol TimestepListScheduler: DenoisingScheduler {
    func step(modelOutput: Tensor, timestep t: Int, sample: Tensor) throws -> (prevSample: Tensor, predOriginalSample: Tensor)
}

extension TimestepListScheduler {
    /// The timestep after t in `timesteps` (−1 after the last).
    public func previousTimestep(_ t: Int) throws -> Int {
        let i = try SigmaSchedule.startIndex(of: t, in: timesteps)
        return i + 1 < timesteps.count ? timesteps[i + 1] : -1
    }

    public func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor) {
        let r = try step(modelOutput: modelOutput, timestep: timestep, sample: sample)
        return (r.prevSample, r.predOriginalSample)
    }
}

extension DPMSolverMultistepScheduler: TimestepListScheduler {}
extension EulerDiscreteScheduler: TimestepListScheduler {}

extension DDIMScheduler: DenoisingScheduler {
    public func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor) {
        let r = try step(modelOutput: modelOutput, timestep: timestep, sample: sample, eta: eta, rng: &rng)
        return (r.prevSample, r.predOriginalSample)
    }
}

/// The tutorial's inference loop: for t in scheduler.timesteps, predict the
/// noise, step back. `onStep(i, t, sample)` sees every intermediate sample
/// (for progressions) and may throw to stop (interruption).
///
/// With `dataParallel` (mpirun, several ranks) each rank evaluates the model on its shard of the images and the
/// predictions are gathered on every rank; the scheduler's steps (and any noise they draw) run on the whole
/// batch everywhere, so the samples are those of one process up to float rounding.
public func denoiseLoop(model: UNet2DModel, scheduler: DenoisingScheduler, start: Tensor, steps: Int,
                        classLabels: [Int]? = nil, rng: inout RandomGenerator, dataParallel: DataParallel? = nil,
                        onStep: (Int, Int, Tensor) throws -> Void = { _, _, _ in }) throws -> Tensor {
    return try withNoGrad {
        try denoiseLoop(scheduler: scheduler, start: start, steps: steps, rng: &rng, onStep: onStep) { input, t in
            guard let dataParallel, dataParallel.group.size > 1 else {
                return try model(input, timesteps: [t], classLabels: classLabels)
            }
            return try dataParallel.shardedRows(input) { part, range in
                try model(part, timesteps: [t], classLabels: classLabels.map { Array($0[range]) })
            }
        }
    }
}

/// The loop with any model: `predict(model input, model timestep)`. Starts from `start` · init_noise_sigma and
/// gives the model scale_model_input of the sample, as diffusers' pipelines do.
func denoiseLoop(scheduler: DenoisingScheduler, start: Tensor, steps: Int, rng: inout RandomGenerator,
                 onStep: (Int, Int, Tensor) throws -> Void = { _, _, _ in },
                 predict: (Tensor, Float) throws -> Tensor) throws -> Tensor {
    try scheduler.setTimesteps(steps)
    var sample = scaled(start, by: scheduler.initNoiseSigma)
    let modelTimesteps = scheduler.modelTimesteps
    for (i, t) in scheduler.timesteps.enumerated() {
        let prediction = try predict(try scheduler.scaleModelInput(sample, index: i), modelTimesteps[i])
        sample = try scheduler.denoise(modelOutput: prediction, timestep: t, sample: sample, rng: &rng).prev
        try onStep(i, t, sample)
    }
    return sample
}

func scaled(_ x: Tensor, by factor: Float) -> Tensor {
    guard factor != 1 else { return x }
    let out = Tensor(uninitialized: x.shape)
    for i in 0..<x.count { out.data[i] = x.data[i] * factor }
    return out
}

/// x / divisor elementwise (as torch divides: x · (1/d) can differ in the last bit).
func divided(_ x: Tensor, by divisor: Float) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    for i in 0..<x.count { out.data[i] = x.data[i] / divisor }
    return out
}

/// A plain-language account of a scheduler's current inference timesteps, for
/// `scheduler timesteps`: where the steps start, where each one lands, and why
/// few leading-spaced steps under-denoise (the tutorial's puzzle).
public func explainTimesteps(_ s: DenoisingScheduler) -> String {
    let ts = s.timesteps, T = s.numTrainTimesteps, a = s.schedule.alphasCumprod
    var lines = ["\(ts.count) timestep\(ts.count == 1 ? "" : "s") (\(s.timestepSpacing.rawValue) spacing, T = \(T)): \(summarize(ts))"]
    lines.append("each step goes from its t to the next t in the list; the last one lands on the clean image (ᾱ = 1)")
    if let first = ts.first, first < T - 1 {
        lines.append("the first step starts at t = \(first), not at T − 1 = \(T - 1): the model is told its input still holds √ᾱ = \(a[first].squareRoot()) of the signal, so pure noise (or an image noised beyond t = \(first)) is under-denoised, and an image noised less is treated as noisier than it is; with few steps use timestep_spacing=trailing, or DDIM, to start at T − 1")
    }
    for t in ts.prefix(4) {
        let next = (try? s.previousTimestep(t)) ?? -1
        lines.append("  t = \(t): signal √ᾱ = \(a[t].squareRoot()), noise √(1−ᾱ) = \((1 - a[t]).squareRoot()), next t = \(next)")
    }
    return lines.joined(separator: "\n")
}

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
    var numInferenceSteps: Int? { get }
    /// The index of the next step once stepping began (diffusers' `step_index`); nil before the first.
    var stepIndex: Int? { get }
}

extension TimestepListScheduler {
    /// The index in `timesteps` a step from t takes, after the checks every step makes: timesteps set, output
    /// and sample of one shape, steps not yet done.
    func stepPosition(_ t: Int, modelOutput: Tensor, sample: Tensor) throws -> Int {
        guard numInferenceSteps != nil else { throw SchedulerError.invalid("step: call setTimesteps(n) first") }
        guard modelOutput.shape == sample.shape else {
            throw SchedulerError.invalid("step: model output \(modelOutput.shape) and sample \(sample.shape) differ")
        }
        let i = try stepIndex ?? SigmaSchedule.startIndex(of: t, in: timesteps)
        guard i < timesteps.count else { throw SchedulerError.invalid("step: the \(timesteps.count) steps are done; call setTimesteps(n) again") }
        return i
    }

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
///
/// With `guidance` w (classifier-free guidance, diffusers' `guidance_scale`), each step evaluates the model on
/// the images with their labels and with the unconditional label (the model's last class) in one batch of twice
/// the size, and steps with ε_uncond + w · (ε_cond − ε_uncond): w = 1 is the plain conditional model.
public func denoiseLoop(model: UNet2DModel, scheduler: DenoisingScheduler, start: Tensor, steps: Int,
                        classLabels: [Int]? = nil, guidance: Float? = nil, rng: inout RandomGenerator, dataParallel: DataParallel? = nil,
                        onStep: (Int, Int, Tensor) throws -> Void = { _, _, _ in }) throws -> Tensor {
    let evaluate: (Tensor, Float, [Int]?) throws -> Tensor = { input, t, labels in
        guard let guidance, let labels, let classes = model.config.numClassEmbeds else {
            return try model(input, timesteps: [t], classLabels: labels)
        }
        return try guided(model(concatRows(input, input), timesteps: [t], classLabels: labels + Array(repeating: classes - 1, count: labels.count)),
                          scale: guidance)
    }
    // The weights stay as they are for the whole loop: each convolution's kernel is transformed once.
    return try withNoGrad { try KernelTransformCache.scope(for: model.parameters.tensors) {
        try denoiseLoop(scheduler: scheduler, start: start, steps: steps, rng: &rng, onStep: onStep) { input, t in
            guard let dataParallel, dataParallel.group.size > 1 else {
                return try evaluate(input, t, classLabels)
            }
            return try dataParallel.shardedRows(input) { part, range in
                try evaluate(part, t, classLabels.map { Array($0[range]) })
            }
        }
    } }
}

/// [a; b] along the batch dimension (no gradient: sampling only).
func concatRows(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = Tensor(uninitialized: [a.shape[0] + b.shape[0]] + Array(a.shape.dropFirst()))
    out.data.update(from: a.data, count: a.count)
    (out.data + a.count).update(from: b.data, count: b.count)
    return out
}

/// The guided prediction from a batch [conditional; unconditional] of 2N rows: u + w · (c − u), N rows.
func guided(_ both: Tensor, scale w: Float) -> Tensor {
    let half = both.count / 2
    let out = Tensor(uninitialized: [both.shape[0] / 2] + Array(both.shape.dropFirst()))
    let c = both.data, u = both.data + half
    for i in 0..<half { out.data[i] = u[i] + w * (c[i] - u[i]) }
    return out
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

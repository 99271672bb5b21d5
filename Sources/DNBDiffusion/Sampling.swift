import DNBEngine

/// A reverse-diffusion scheduler as the sampling loop uses it.
public protocol DenoisingScheduler: AnyObject {
    var timesteps: [Int] { get }
    var numTrainTimesteps: Int { get }
    func setTimesteps(_ n: Int) throws
    /// One step from t; returns (previous sample, predicted clean sample).
    func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor)
}

extension DDPMScheduler: DenoisingScheduler {
    public func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor) {
        let r = try step(modelOutput: modelOutput, timestep: timestep, sample: sample, rng: &rng)
        return (r.prevSample, r.predOriginalSample)
    }
}

extension DDIMScheduler: DenoisingScheduler {
    public func denoise(modelOutput: Tensor, timestep: Int, sample: Tensor, rng: inout RandomGenerator) throws -> (prev: Tensor, original: Tensor) {
        let r = try step(modelOutput: modelOutput, timestep: timestep, sample: sample, eta: eta, rng: &rng)
        return (r.prevSample, r.predOriginalSample)
    }
}

/// The tutorial's inference loop: for t in scheduler.timesteps, predict the
/// noise, step back. `onStep(i, t, sample)` sees every intermediate sample
/// (for progressions) and may throw to stop (interruption).
public func denoiseLoop(model: UNet2DModel, scheduler: DenoisingScheduler, start: Tensor, steps: Int,
                        classLabels: [Int]? = nil, rng: inout RandomGenerator,
                        onStep: (Int, Int, Tensor) throws -> Void = { _, _, _ in }) throws -> Tensor {
    try scheduler.setTimesteps(steps)
    var sample = start
    try withNoGrad {
        for (i, t) in scheduler.timesteps.enumerated() {
            let prediction = try model(sample, timesteps: [Float(t)], classLabels: classLabels)
            sample = try scheduler.denoise(modelOutput: prediction, timestep: t, sample: sample, rng: &rng).prev
            try onStep(i, t, sample)
        }
    }
    return sample
}

import DNBEngine
import DNBDiffusion

/// Everything a dnb session holds between commands: the data, the model, its
/// scheduler and optimiser, the loss history and the random generator.
/// Commands read and replace these; nothing else keeps state.
public final class Workspace {
    public var seed: UInt64 = 0
    public var rng = RandomGenerator(seed: 0)
    public var model: UNet2DModel?
    public var scheduler: SchedulerChoice?
    public var losses: [Double] = []

    public init() {}

    /// Reseeds every source of randomness the session uses.
    public func reseed(_ seed: UInt64) {
        self.seed = seed
        rng = RandomGenerator(seed: seed)
    }
}

/// The scheduler a session samples with; both share diffusers' training schedule.
public enum SchedulerChoice {
    case ddpm(DDPMScheduler)
    case ddim(DDIMScheduler)
}

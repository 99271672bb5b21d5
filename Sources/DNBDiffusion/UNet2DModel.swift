import DNBSupport
import DNBEngine

/// diffusers' UNet2DModel: a noise-prediction UNet conditioned on the timestep
/// (and optionally a class label). Activations are NHWC; parameters carry
/// diffusers' state-dict names, so checkpoints move between the two unchanged.
public final class UNet2DModel {
    public let config: UNet2DConfig
    public let parameters = ParameterStore()
    let convIn: Conv2d
    let timeLinear1: Linear, timeLinear2: Linear
    let classEmbedding: Embedding?
    public let downBlocks: [DownBlock2D]
    public let midBlock: UNetMidBlock2D
    public let upBlocks: [UpBlock2D]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    public init(config: UNet2DConfig, seed: UInt64 = 0) throws {
        try config.validate()
        // Before any weight is allocated, for `model create`, `model load` and checkpoints alike: the weights in
        // float32, and as much again for the initialisation's random draws.
        try MemoryBudget.check(config.estimatedParameterCount * 4 * 2, for: "a UNet2DModel with block_out_channels \(config.blockOutChannels)",
                               advice: "use fewer or smaller block_out_channels or fewer layers_per_block")
        self.config = config
        var rng = RandomGenerator(seed: seed)
        let root = ParameterScope(parameters)
        let channels = config.blockOutChannels
        let tembChannels = config.timeEmbeddingChannels
        convIn = Conv2d(root("conv_in"), inChannels: config.inChannels, outChannels: channels[0], kernelSize: 3, padding: 1, rng: &rng)
        timeLinear1 = Linear(root("time_embedding")("linear_1"), inFeatures: channels[0], outFeatures: tembChannels, rng: &rng)
        timeLinear2 = Linear(root("time_embedding")("linear_2"), inFeatures: tembChannels, outFeatures: tembChannels, rng: &rng)
        classEmbedding = config.numClassEmbeds.map { Embedding(root("class_embedding"), count: $0, dimension: tembChannels, rng: &rng) }

        var downs: [DownBlock2D] = []
        var output = channels[0]
        for (i, type) in config.downBlockTypes.enumerated() {
            let input = output
            output = channels[i]
            downs.append(try DownBlock2D(root("down_blocks")(i), typeName: type, layers: config.layersPerBlock,
                                         inChannels: input, outChannels: output, tembChannels: tembChannels,
                                         addDownsample: i < channels.count - 1, config: config, rng: &rng))
        }
        downBlocks = downs
        midBlock = try UNetMidBlock2D(root("mid_block"), channels: channels.last!, tembChannels: tembChannels, config: config, rng: &rng)

        var ups: [UpBlock2D] = []
        let reversed = Array(channels.reversed())
        output = reversed[0]
        for (i, type) in config.upBlockTypes.enumerated() {
            let previous = output
            output = reversed[i]
            let input = reversed[min(i + 1, channels.count - 1)]
            ups.append(try UpBlock2D(root("up_blocks")(i), typeName: type, layers: config.layersPerBlock + 1,
                                     inChannels: input, prevOutputChannels: previous, outChannels: output,
                                     tembChannels: tembChannels, addUpsample: i < channels.count - 1, config: config, rng: &rng))
        }
        upBlocks = ups
        convNormOut = try GroupNorm(root("conv_norm_out"), groups: config.normNumGroups, channels: channels[0], eps: Float(config.normEps))
        convOut = Conv2d(root("conv_out"), inChannels: channels[0], outChannels: config.outChannels, kernelSize: 3, padding: 1, rng: &rng)
    }

    /// Predicts the noise in `sample` ([N, H, W, in_channels]) at `timesteps`
    /// (one per image, or a single one for all), optionally for `classLabels`.
    public func callAsFunction(_ sample: Tensor, timesteps: [Float], classLabels: [Int]? = nil) throws -> Tensor {
        guard sample.rank == 4, sample.shape[3] == config.inChannels else {
            throw ModelError.input("expected a sample of shape [N, H, W, \(config.inChannels)], got \(sample.shape)")
        }
        let n = sample.shape[0], downFactor = 1 << (config.blockOutChannels.count - 1)
        guard sample.shape[1] % downFactor == 0, sample.shape[2] % downFactor == 0 else {
            throw ModelError.input("height and width must be divisible by \(downFactor), got \(sample.shape[1])×\(sample.shape[2])")
        }
        guard timesteps.count == n || timesteps.count == 1 else {
            throw ModelError.input("\(timesteps.count) timesteps for a batch of \(n)")
        }
        let t = timesteps.count == n ? timesteps : Array(repeating: timesteps[0], count: n)
        // (Labels of another count than the images go the unchunked way, which refuses them.)
        if n > Self.inferenceChunkRows, !GradMode.isEnabled, Engine.fusedInference, classLabels.map({ $0.count == n }) ?? true {
            return try chunked(sample, timesteps: t, classLabels: classLabels)
        }

        var x = sample
        if config.centerInputSample { x = try add(try scale(x, 2), Tensor(shape: [1], repeating: -1)) }
        let projected = try timestepEmbedding(t, dimension: config.blockOutChannels[0], flipSinToCos: config.flipSinToCos,
                                              downscaleFreqShift: Float(config.freqShift))
        var emb = try timeLinear2(try silu(try timeLinear1(projected)))
        if let classEmbedding {
            let k = classEmbedding.weight.shape[0]
            guard let labels = classLabels, labels.count == n else {
                throw ModelError.input("this model is class-conditional (num_class_embeds \(k)): give one class label per image")
            }
            if let bad = labels.first(where: { $0 < 0 || $0 >= k }) {
                throw ModelError.input("class label \(bad) is outside 0…\(k - 1) (num_class_embeds \(k))")
            }
            emb = try add(emb, try classEmbedding(labels))
        } else if classLabels != nil {
            throw ModelError.input("class labels given, but the model has no class embedding (num_class_embeds is null)")
        }
        let temb = try silu(emb)

        // Without gradients the blocks run their fused forward (records nothing, fewer passes over
        // the activations: bench/README.md); Engine.fusedInference = false keeps the recorded ops.
        let fused = !GradMode.isEnabled && Engine.fusedInference
        var h = try convIn(x)
        var skips = [h]
        for block in downBlocks { h = try block(h, temb, skips: &skips, fused: fused) }
        h = try midBlock(h, temb, fused: fused)
        for block in upBlocks { h = try block(h, temb, skips: &skips, fused: fused) }
        return try convOut(h, normalizedBy: convNormOut, thenSiLU: true)
    }

    /// Images a no-grad forward runs at once: a larger batch goes through in chunks of this many, one after
    /// another, each op still split over the engine's threads, the chunks sharing the kernel transforms. A
    /// chunk's activations stay in cache: the tutorial's UNet sampling 64 images −4 to −10 %, peak memory 240 →
    /// 120 MB; chunks of 8 and 32 gained less (bench/README.md, "Training step and sampling, session 10"). Each
    /// image's prediction depends on the others only through rounding (how the kernels block their work).
    public static let inferenceChunkRows = 16

    private func chunked(_ sample: Tensor, timesteps: [Float], classLabels: [Int]?) throws -> Tensor {
        let n = sample.shape[0]
        // The chunks share each convolution's kernel transform (computed per chunk: 5.5 % of sampling's CPU time).
        return try KernelTransformCache.scope(for: parameters.tensors) {
            var out: Tensor?
            for lo in stride(from: 0, to: n, by: Self.inferenceChunkRows) {
                let r = lo..<min(n, lo + Self.inferenceChunkRows)
                let labels = classLabels.map { Array($0[r]) }
                let part = try self(rows(sample, r), timesteps: Array(timesteps[r]), classLabels: labels)
                let whole = out ?? Tensor(uninitialized: [n] + Array(part.shape.dropFirst()))
                (whole.data + lo * (part.count / r.count)).update(from: part.data, count: part.count)
                out = whole
            }
            return out!
        }
    }
}

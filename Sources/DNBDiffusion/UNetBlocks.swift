import DNBEngine

/// DownBlock2D / AttnDownBlock2D: `layers_per_block` ResNet blocks (each followed by
/// attention in the Attn variant), then a strided-convolution downsampler except
/// in the last block. Every intermediate output is kept as a skip connection.
public struct DownBlock2D {
    public let typeName: String
    public let resnets: [ResnetBlock2D]
    public let attentions: [Attention]
    public let downsampler: Downsample2D?

    init(_ scope: ParameterScope, typeName: String, layers: Int, inChannels: Int, outChannels: Int,
         tembChannels: Int, addDownsample: Bool, config: UNet2DConfig, rng: inout RandomGenerator) throws {
        self.typeName = typeName
        (resnets, attentions) = try resnetStack(scope, layers: layers, inChannels: { i in i == 0 ? inChannels : outChannels },
                                                outChannels: outChannels, tembChannels: tembChannels,
                                                attention: typeName == "AttnDownBlock2D", config: config, rng: &rng)
        downsampler = addDownsample ? Downsample2D(scope("downsamplers")(0), channels: outChannels, rng: &rng) : nil
    }

    /// `fused`: the inference path (no gradients; UNet2DModel decides).
    func callAsFunction(_ x: Tensor, _ temb: Tensor, skips: inout [Tensor], fused: Bool = false) throws -> Tensor {
        var h = x
        for (i, resnet) in resnets.enumerated() {
            if fused {
                h = try resnet.inference(h, skip: nil, activatedEmbedding: temb)
                if !attentions.isEmpty { h = try attentions[i].inference(h) }
            } else {
                h = try resnet(h, activatedEmbedding: temb)
                if !attentions.isEmpty { h = try attentions[i](h) }
            }
            skips.append(h)
        }
        if let downsampler {
            h = try downsampler(h)
            skips.append(h)
        }
        return h
    }
}

/// UpBlock2D / AttnUpBlock2D: `layers_per_block + 1` ResNet blocks, each fed the
/// previous output concatenated with the most recent unused skip connection.
public struct UpBlock2D {
    public let typeName: String
    public let resnets: [ResnetBlock2D]
    public let attentions: [Attention]
    public let upsampler: Upsample2D?

    init(_ scope: ParameterScope, typeName: String, layers: Int, inChannels: Int, prevOutputChannels: Int,
         outChannels: Int, tembChannels: Int, addUpsample: Bool, config: UNet2DConfig, rng: inout RandomGenerator) throws {
        self.typeName = typeName
        // Resnet i sees the previous output (or the block below's, for i = 0) concatenated with a skip:
        // the last one's skip comes from the level's input, the others from this level.
        (resnets, attentions) = try resnetStack(scope, layers: layers, inChannels: { i in
            (i == 0 ? prevOutputChannels : outChannels) + (i == layers - 1 ? inChannels : outChannels)
        }, outChannels: outChannels, tembChannels: tembChannels, attention: typeName == "AttnUpBlock2D", config: config, rng: &rng)
        upsampler = addUpsample ? Upsample2D(scope("upsamplers")(0), channels: outChannels, rng: &rng) : nil
    }

    /// `fused`: the inference path (no gradients; UNet2DModel decides).
    func callAsFunction(_ x: Tensor, _ temb: Tensor, skips: inout [Tensor], fused: Bool = false) throws -> Tensor {
        var h = x
        for (i, resnet) in resnets.enumerated() {
            if fused {
                h = try resnet.inference(h, skip: skips.removeLast(), activatedEmbedding: temb)
                if !attentions.isEmpty { h = try attentions[i].inference(h) }
            } else {
                h = try resnet(try concatChannels(h, skips.removeLast()), activatedEmbedding: temb)
                if !attentions.isEmpty { h = try attentions[i](h) }
            }
        }
        if let upsampler { h = try fused ? upsampler.inference(h) : upsampler(h) }
        return h
    }
}

/// UNetMidBlock2D: ResNet, attention (unless add_attention is false), ResNet. Only this attention takes
/// attn_norm_num_groups, as in diffusers 0.32.2 (UNet2DModel passes attn_groups to the middle block alone).
public struct UNetMidBlock2D {
    public let resnets: [ResnetBlock2D]
    public let attention: Attention?

    init(_ scope: ParameterScope, channels: Int, tembChannels: Int, config: UNet2DConfig, rng: inout RandomGenerator) throws {
        let eps = Float(config.normEps), scale = Float(config.midBlockScaleFactor)
        let first = try ResnetBlock2D(scope("resnets")(0), inChannels: channels, outChannels: channels, tembChannels: tembChannels,
                                      groups: config.normNumGroups, eps: eps, outputScaleFactor: scale, rng: &rng)
        attention = config.addAttention
            ? try Attention(scope("attentions")(0), channels: channels, headDimension: config.attentionHeadDim ?? channels,
                            groups: config.attnNormNumGroups ?? config.normNumGroups, eps: eps, rescaleOutputFactor: scale, rng: &rng)
            : nil
        let second = try ResnetBlock2D(scope("resnets")(1), inChannels: channels, outChannels: channels, tembChannels: tembChannels,
                                       groups: config.normNumGroups, eps: eps, outputScaleFactor: scale, rng: &rng)
        resnets = [first, second]
    }

    func callAsFunction(_ x: Tensor, _ temb: Tensor, fused: Bool = false) throws -> Tensor {
        if fused {
            var h = try resnets[0].inference(x, skip: nil, activatedEmbedding: temb)
            if let attention { h = try attention.inference(h) }
            return try resnets[1].inference(h, skip: nil, activatedEmbedding: temb)
        }
        var h = try resnets[0](x, activatedEmbedding: temb)
        if let attention { h = try attention(h) }
        return try resnets[1](h, activatedEmbedding: temb)
    }
}

/// The ResNet blocks of a UNet block (input channels of block i from `inChannels(i)`), each
/// followed by an attention layer when `attention` is set, under diffusers' names.
func resnetStack(_ scope: ParameterScope, layers: Int, inChannels: (Int) -> Int, outChannels: Int, tembChannels: Int,
                 attention: Bool, config: UNet2DConfig, rng: inout RandomGenerator) throws -> ([ResnetBlock2D], [Attention]) {
    var resnets: [ResnetBlock2D] = [], attentions: [Attention] = []
    let eps = Float(config.normEps)
    for i in 0..<layers {
        resnets.append(try ResnetBlock2D(scope("resnets")(i), inChannels: inChannels(i), outChannels: outChannels,
                                         tembChannels: tembChannels, groups: config.normNumGroups, eps: eps, rng: &rng))
        if attention {
            attentions.append(try Attention(scope("attentions")(i), channels: outChannels,
                                            headDimension: config.attentionHeadDim ?? outChannels,
                                            groups: config.normNumGroups, eps: eps, rng: &rng))
        }
    }
    return (resnets, attentions)
}

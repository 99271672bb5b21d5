import DNBEngine

/// diffusers' ResnetBlock2D with the defaults UNet2DModel uses: pre-norm,
/// SiLU, timestep projection added between the two convolutions
/// (time_embedding_norm "default"), output scale 1, and a 1×1
/// `conv_shortcut` when the channel count changes.
public struct ResnetBlock2D {
    public let norm1: GroupNorm, conv1: Conv2d, timeEmbProj: Linear
    public let norm2: GroupNorm, conv2: Conv2d
    public let convShortcut: Conv2d?
    public let outputScaleFactor: Float

    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, tembChannels: Int,
                groups: Int, eps: Float, outputScaleFactor: Float = 1, rng: inout RandomGenerator) throws {
        norm1 = try GroupNorm(scope("norm1"), groups: groups, channels: inChannels, eps: eps)
        conv1 = Conv2d(scope("conv1"), inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1, rng: &rng)
        timeEmbProj = Linear(scope("time_emb_proj"), inFeatures: tembChannels, outFeatures: outChannels, rng: &rng)
        norm2 = try GroupNorm(scope("norm2"), groups: groups, channels: outChannels, eps: eps)
        conv2 = Conv2d(scope("conv2"), inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1, rng: &rng)
        convShortcut = inChannels != outChannels
            ? Conv2d(scope("conv_shortcut"), inChannels: inChannels, outChannels: outChannels, kernelSize: 1, rng: &rng)
            : nil
        self.outputScaleFactor = outputScaleFactor
    }

    /// `activatedEmbedding` is SiLU(temb), shared by every block of the model.
    public func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor) throws -> Tensor {
        // The time embedding is conv1's per-image bias (h + temb[:, :, None, None] in diffusers).
        let h = try conv1(x, normalizedBy: norm1, thenSiLU: true, perImageBias: try timeEmbProj(activatedEmbedding))
        let shortcut = try convShortcut.map { try $0(x) } ?? x
        // shortcut + conv2(…) in conv2's output transform (diffusers: input_tensor + hidden_states).
        let sum = try conv2(h, normalizedBy: norm2, thenSiLU: true, residual: shortcut)
        return outputScaleFactor == 1 ? sum : try scale(sum, 1 / outputScaleFactor)
    }

    /// The same block without gradients, on [x | skip] when `skip` is given (an up block's input,
    /// never concatenated): the time embedding is a per-image bias of conv1's output transform and the
    /// shortcut conv2's residual, so neither add is a pass of its own (Engine's inference ops).
    func inference(_ x: Tensor, skip: Tensor?, activatedEmbedding: Tensor) throws -> Tensor {
        let h1 = try groupNormInference(x, concatenatedWith: skip, groups: norm1.groups, weight: norm1.weight, bias: norm1.bias,
                                        eps: norm1.eps, silu: true)
        let temb = try withNoGrad { try timeEmbProj(activatedEmbedding) }
        let c1 = try conv2dInference(h1, weight: conv1.weight, bias: conv1.bias, stride: conv1.stride, padding: conv1.padding,
                                     sampleBias: temb)
        let h2 = try groupNormInference(c1, groups: norm2.groups, weight: norm2.weight, bias: norm2.bias, eps: norm2.eps, silu: true)
        let shortcut: Tensor
        if let convShortcut {
            shortcut = try pointwiseConv2dInference(x, concatenatedWith: skip, weight: convShortcut.weight, bias: convShortcut.bias)
        } else if let skip {
            shortcut = try withNoGrad { try concatChannels(x, skip) }  // not in diffusers' configs: in + skip > out channels
        } else {
            shortcut = x
        }
        let sum = try conv2dInference(h2, weight: conv2.weight, bias: conv2.bias, stride: conv2.stride, padding: conv2.padding,
                                      residual: shortcut)
        return outputScaleFactor == 1 ? sum : try withNoGrad { try scale(sum, 1 / outputScaleFactor) }
    }
}

import DNBEngine

/// diffusers' `Attention` as UNet2DModel builds it for its attention blocks
/// (`_from_deprecated_attn_block`): group norm, q/k/v projections, multi-head
/// scaled dot-product self-attention over the H·W tokens, output projection
/// (`to_out.0`), residual connection, rescale.
///
/// In NHWC the [N, H, W, C] activation already is [N, H·W, C] tokens, so the
/// transposes diffusers performs around the projections disappear.
public struct Attention {
    public let groupNorm: GroupNorm
    public let toQ: Linear, toK: Linear, toV: Linear, toOut: Linear
    public let heads: Int
    public let rescaleOutputFactor: Float

    public init(_ scope: ParameterScope, channels: Int, headDimension: Int, groups: Int, eps: Float,
                rescaleOutputFactor: Float = 1, rng: inout RandomGenerator) throws {
        guard headDimension > 0, channels % headDimension == 0 else {
            throw ModelError.invalidConfig("attention_head_dim \(headDimension) does not divide \(channels) channels")
        }
        heads = channels / headDimension
        groupNorm = try GroupNorm(scope("group_norm"), groups: groups, channels: channels, eps: eps)
        toQ = Linear(scope("to_q"), inFeatures: channels, outFeatures: channels, rng: &rng)
        toK = Linear(scope("to_k"), inFeatures: channels, outFeatures: channels, rng: &rng)
        toV = Linear(scope("to_v"), inFeatures: channels, outFeatures: channels, rng: &rng)
        toOut = Linear(scope("to_out")(0), inFeatures: channels, outFeatures: channels, rng: &rng)
        self.rescaleOutputFactor = rescaleOutputFactor
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = try groupNorm(x).reshaped([n, h * w, c])
        let attended: Tensor
        if c / heads <= Engine.fusedAttentionMaxHeadDimension {
            // q, k, v as one GEMM each way and one packed gradient (bench/README.md, issue 15).
            let qkv = try linear(tokens, weights: [toQ.weight, toK.weight, toV.weight], biases: [toQ.bias, toK.bias, toV.bias])
            attended = try scaledDotProductAttention(packed: qkv, heads: heads)
        } else {
            attended = try scaledDotProductAttention(query: try toQ(tokens), key: try toK(tokens), value: try toV(tokens), heads: heads)
        }
        // to_out(attended) + x, the residual added by the projection (the same floats as the add).
        let out = try linear(attended, weights: [toOut.weight], biases: [toOut.bias],
                             residual: try x.reshaped([n, h * w, c])).reshaped([n, h, w, c])
        return rescaleOutputFactor == 1 ? out : try scale(out, 1 / rescaleOutputFactor)
    }

    /// The same block without gradients: q, k, v from one GEMM, attention reading them in place,
    /// the residual added by the output projection (Engine's inference ops).
    func inference(_ x: Tensor) throws -> Tensor {
        let tokens = try groupNormInference(x, groups: groupNorm.groups, weight: groupNorm.weight, bias: groupNorm.bias, eps: groupNorm.eps)
        let qkv = try linearInference(tokens, weights: [toQ.weight, toK.weight, toV.weight], biases: [toQ.bias, toK.bias, toV.bias])
        let attended = try attentionInference(packed: qkv, heads: heads)
        let out = try linearInference(attended, weights: [toOut.weight], biases: [toOut.bias], residual: x)
        return rescaleOutputFactor == 1 ? out : try withNoGrad { try scale(out, 1 / rescaleOutputFactor) }
    }
}

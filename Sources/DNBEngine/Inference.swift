import CKernels
import CRowKernels
import DNBSupport
import Synchronization

// Forward-only ops for inference (sampling): they record nothing, whatever GradMode says, and
// fold into one pass what the recorded ops do in several — a ResNet block's time-embedding add
// and residual add go into its convolutions' output transform, the attention block's q, k and v
// are one GEMM whose packed output the attention kernel reads in place, the output projection
// adds its residual while each row block is in cache, and an up block's channel concatenation
// is never formed (group norm and the 1×1 shortcut read both halves).
//
// Each is checked against the recorded ops it replaces (Tests/DNBEngineTests/InferenceOpsTests.swift);
// bench/README.md has the measurements.

extension Engine {
    /// On unless DNB_FUSED_INFERENCE is 0 (to time both paths with one binary).
    private static let fusedInferenceSetting = Atomic<Bool>(environmentSetting("DNB_FUSED_INFERENCE", allowed: [0, 1]) != 0)

    /// Whether models run their fused forward (the ops below) when gradients are off (`withNoGrad`).
    /// false runs the recorded ops instead: the reference the fused path is tested and timed against.
    public static var fusedInference: Bool {
        get { fusedInferenceSetting.load(ordering: .relaxed) }
        set { fusedInferenceSetting.store(newValue, ordering: .relaxed) }
    }
}

/// conv2d(x) (+ bias) + sampleBias[n] + residual, NHWC / HWIO as `conv2d`; forward only.
///
/// - sampleBias: [N, Cout], one bias per image (a ResNet block's projected time embedding).
/// - residual: [N, Hout, Wout, Cout], added last (a ResNet block's shortcut).
///
/// Stride-1 3×3 convolutions run Winograd F(m,3) with m = `Engine.winogradTile` (as the recorded conv2d)
/// and add both in its output transform, in the order of the recorded ops
/// (residual + ((conv + bias) + sampleBias)): with the same tile the result is the same floats as
/// conv2d, add, add. Other geometries run conv2d's kernels and add them in one extra pass.
public func conv2dInference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                            sampleBias: Tensor? = nil, residual: Tensor? = nil) throws -> Tensor {
    try conv2dInference(x, weight: weight, bias: bias, stride: stride, padding: padding, sampleBias: sampleBias,
                        residual: residual, path: .fast)
}

/// conv2dInference of `upsampleNearest2x(x)` (diffusers' Upsample2D): a Winograd convolution reads the
/// upsampled pixels straight from x (no upsampled copy); other geometries upsample first.
public func upsampledConv2dInference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) throws -> Tensor {
    try upsampledConv2dInference(x, weight: weight, bias: bias, stride: stride, padding: padding,
                                 path: .fast)
}

func upsampledConv2dInference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, path: ConvPath) throws -> Tensor {
    try requireRank("upsampled_conv2d_inference", x, 4, "input [N, H, W, C]")
    let up = [x.shape[0], 2 * x.shape[1], 2 * x.shape[2], x.shape[3]]
    let g = try convGeometry("upsampled_conv2d_inference", x, inputShape: up, weight: weight, bias: bias, stride: stride,
                             padding: padding)
    guard path.usesWinograd(g) else {
        let upsampled = try withNoGrad { try upsampleNearest2x(x) }
        return try conv2dInference(upsampled, weight: weight, bias: bias, stride: stride, padding: padding,
                                   sampleBias: nil, residual: nil, path: path)
    }
    let out = Tensor(uninitialized: [g.n, g.ho, g.wo, g.co])
    let u = winogradKernel(m: path.winogradTile, weight.data, ci: g.ci, co: g.co)
    winogradConvolve(m: path.winogradTile, n: g.n, h: g.h, w: g.w, src: x.data, srcC: g.ci, u: u.data, bias: bias?.data,
                     dst: out.data, dstC: g.co, accumulate: false, chunkTiles: path.chunk, upsampledSource: true)
    return out
}

func conv2dInference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int,
                     sampleBias: Tensor?, residual: Tensor?, path: ConvPath) throws -> Tensor {
    let g = try convGeometry("conv2d_inference", x, weight: weight, bias: bias, stride: stride, padding: padding)
    if let sampleBias, sampleBias.shape != [g.n, g.co] {
        throw EngineError.shapeMismatch(op: "conv2d_inference", detail: "per-sample bias \(describeShape(sampleBias.shape)) vs [\(g.n), \(g.co)]")
    }
    let outShape = [g.n, g.ho, g.wo, g.co]
    if let residual, residual.shape != outShape {
        throw EngineError.shapeMismatch(op: "conv2d_inference", detail: "residual \(describeShape(residual.shape)) vs output \(describeShape(outShape))")
    }
    let out = Tensor(uninitialized: outShape)
    convForward(g, x.data, weight.data, bias?.data, out.data, sampleBias: sampleBias?.data, residual: residual?.data, path: path)
    return out
}

/// The 1×1 convolution (stride 1, no padding) of the channel concatenation [a | b] (+ bias),
/// without forming it: each row block of [a | b] is gathered into a cache-sized scratch just
/// before its GEMM (the UNet's up-block shortcuts). Without `b`, conv2d's 1×1 kernel.
public func pointwiseConv2dInference(_ a: Tensor, concatenatedWith b: Tensor?, weight: Tensor, bias: Tensor?) throws -> Tensor {
    guard let b else { return try conv2dInference(a, weight: weight, bias: bias) }
    try requireNonEmpty("pointwise_conv2d_inference", a, b, weight)
    try requireRank("pointwise_conv2d_inference", a, 4, "input [N, H, W, C]")
    try requireRank("pointwise_conv2d_inference", b, 4, "input [N, H, W, C]")
    guard a.shape.dropLast() == b.shape.dropLast() else {
        throw EngineError.shapeMismatch(op: "pointwise_conv2d_inference", detail: "\(describeShape(a.shape)) and \(describeShape(b.shape)) differ outside the channel dimension")
    }
    let ca = a.shape[3], cb = b.shape[3], k = ca + cb
    guard weight.shape.count == 4, weight.shape[0] == 1, weight.shape[1] == 1, weight.shape[2] == k else {
        throw EngineError.shapeMismatch(op: "pointwise_conv2d_inference", detail: "weight \(describeShape(weight.shape)) vs [1, 1, \(k), Cout]")
    }
    let co = weight.shape[3]
    if let bias, bias.shape != [co] {
        throw EngineError.shapeMismatch(op: "pointwise_conv2d_inference", detail: "bias \(describeShape(bias.shape)) vs \(co) output channels")
    }
    let rows = a.count / ca
    let out = Tensor(uninitialized: Array(a.shape.dropLast()) + [co])
    let block = blockRows(n: co, k: k)  // as conv2d's 1×1 path: OpenBLAS's small-matrix kernels
    let ap = SendablePointer(a.data), bp = SendablePointer(b.data), wp = SendablePointer(weight.data)
    let op = SendablePointer(out.data), biasp = bias.map { SendablePointer($0.data) }
    parallelChunks(rows, minimumPerThread: block) { _, range in
        guard !range.isEmpty else { return }
        let scratch = Tensor(uninitialized: [block, k])
        var r0 = range.lowerBound
        while r0 < range.upperBound {
            let m = min(block, range.upperBound - r0)
            for r in 0..<m {
                (scratch.data + r * k).update(from: ap.p + (r0 + r) * ca, count: ca)
                (scratch.data + r * k + ca).update(from: bp.p + (r0 + r) * cb, count: cb)
            }
            let dst = op.p + r0 * co
            if let biasp { for r in 0..<m { (dst + r * co).update(from: biasp.p, count: co) } }
            sgemm(m: m, n: co, k: k, a: scratch.data, lda: k, b: wp.p, ldb: co, beta: biasp == nil ? 0 : 1, c: dst, ldc: co)
            r0 += m
        }
    }
    return out
}

/// x · [W₁; W₂; …]ᵀ + [b₁; b₂; …] (+ residual): the linear layers of `weights` ([outᵢ, in] each,
/// PyTorch's layout) side by side in one GEMM, output [x.shape without its last, Σ outᵢ]; forward only.
/// The attention block's q, k, v projections are one [3C, C] GEMM; its output projection adds the
/// block's input (`residual`, the output's shape) to each row block right after that block's GEMM,
/// while it is in cache. Rows go in blocks sized for OpenBLAS's small-matrix kernels.
public func linearInference(_ x: Tensor, weights: [Tensor], biases: [Tensor?], residual: Tensor? = nil) throws -> Tensor {
    try linearForward("linear_inference", x, weights: weights, biases: biases, residual: residual)
}

/// Multi-head self-attention on packed projections: `qkv` is [B, …, 3·C] holding q, k, v side by side
/// (linearInference's output for [W_q; W_k; W_v]), the result [B, …, C] is what
/// `scaledDotProductAttention` gives on the three [B, L, C] parts (L = the middle dimensions).
/// The fused kernel reads q, k, v in place (row stride 3·C) and skips the log-sum-exp backward needs.
public func attentionInference(packed qkv: Tensor, heads: Int) throws -> Tensor {
    try requireNonEmpty("attention_inference", qkv)
    guard qkv.rank >= 3, qkv.shape[qkv.rank - 1] % 3 == 0 else {
        throw EngineError.shapeMismatch(op: "attention_inference", detail: "expected packed q, k, v [B, L, 3·C], got \(describeShape(qkv.shape))")
    }
    let width = qkv.shape[qkv.rank - 1] / 3
    guard heads > 0, width % heads == 0 else {
        throw EngineError.invalidArgument(op: "attention_inference", detail: "width \(width) does not split into \(heads) heads")
    }
    let b = qkv.shape[0], l = qkv.count / (b * 3 * width), d = width / heads
    let outShape = Array(qkv.shape.dropLast()) + [width]
    guard d <= Engine.fusedAttentionMaxHeadDimension else {
        // Large heads: the sgemm path on unpacked copies (no GEMM kernel reads a row stride of 3·C here).
        let parts = (0..<3).map { _ in Tensor(uninitialized: [b, l, width]) }
        for r in 0..<(b * l) {
            for (i, part) in parts.enumerated() { (part.data + r * width).update(from: qkv.data + r * 3 * width + i * width, count: width) }
        }
        let out = try withNoGrad { try scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2], heads: heads, path: .gemm) }
        return try withNoGrad { try out.reshaped(outShape) }
    }
    return PackedAttention(b: b, l: l, width: width, heads: heads).forward(qkv.data, into: outShape, lse: nil)
}

/// Group norm (+ SiLU) of the channel concatenation [a | b] without forming it: the same floats as
/// `groupNorm(concatChannels(a, b), …)`; forward only. Without `b`, `groupNorm` itself.
public func groupNormInference(_ a: Tensor, concatenatedWith b: Tensor? = nil, groups: Int, weight: Tensor?, bias: Tensor?,
                               eps: Float = 1e-5, silu: Bool = false) throws -> Tensor {
    guard let b else {
        return try withNoGrad { try groupNorm(a, groups: groups, weight: weight, bias: bias, eps: eps, fusedSiLU: silu) }
    }
    try requireNonEmpty("group_norm_inference", a, b)
    guard a.rank >= 2, a.rank == b.rank, a.shape.dropLast() == b.shape.dropLast() else {
        throw EngineError.shapeMismatch(op: "group_norm_inference", detail: "\(describeShape(a.shape)) and \(describeShape(b.shape)) differ outside the channel dimension")
    }
    let n = a.shape[0], ca = a.shape[a.rank - 1], cb = b.shape[b.rank - 1], c = ca + cb, s = a.count / (n * ca)
    guard groups > 0, c % groups == 0 else {
        throw EngineError.invalidArgument(op: "group_norm_inference", detail: "\(c) channels do not split into \(groups) groups")
    }
    for p in [weight, bias].compactMap({ $0 }) where p.shape != [c] {
        throw EngineError.shapeMismatch(op: "group_norm_inference", detail: "affine parameter \(describeShape(p.shape)) vs \(c) channels")
    }
    let out = Tensor(uninitialized: Array(a.shape.dropLast()) + [c])
    let stats = Tensor(uninitialized: [n, groups, 2])
    let ap = SendablePointer(a.data), bp = SendablePointer(b.data), op = SendablePointer(out.data), st = SendablePointer(stats.data)
    let gamma = weight.map { SendablePointer($0.data) }, beta = bias.map { SendablePointer($0.data) }
    parallelFor(n) { i in
        dnb_group_norm_forward2(ap.p + i * s * ca, ca, bp.p + i * s * cb, cb, s, groups, gamma?.p, beta?.p, eps, silu ? 1 : 0,
                                op.p + i * s * c, st.p + i * groups * 2)
    }
    return out
}

import Testing
@testable import DNBEngine

/// The forward-only inference ops (Inference.swift) against the recorded ops they replace.
///
/// Where the fused op does the same float operations in the same order as the recorded ops
/// (the Winograd epilogue adds residual + ((conv + bias) + sample bias) exactly as conv2d, add,
/// add do; group norm of [a | b] sums the same channels in the same order as of the
/// concatenation; the attention kernel reads the same values at another row stride) the results
/// are compared for equality: any difference there is a bug, not rounding.
/// Where the GEMMs are blocked differently (linear layers side by side, row blocks sized for
/// OpenBLAS's small-matrix kernels) the sums of products can round differently: the error is
/// the largest difference over the tensor divided by the largest reference value, bound 1e-6 —
/// a few float32 ulps (6e-8) for dot products of ≤ 40 N(0, 1) terms, measured ≤ 2.4e-7 here —
/// while a wrong index or a missing term errs by O(0.1) or more.
struct InferenceOpsTests {
    let tolerance: Float = 1e-6

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        var d: Float = 0
        for i in 0..<a.count { d = max(d, abs(a.data[i] - b.data[i])) }
        return d
    }

    /// The recorded path: conv2d, then add the per-sample bias as [N, 1, 1, C], then residual + that.
    func recordedConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, pad: Int, sampleBias: Tensor?, residual: Tensor?,
                      path: ConvPath) throws -> Tensor {
        var y = try conv2d(x, weight: w, bias: b, stride: stride, padding: pad, path: path)
        if let sampleBias { y = try add(y, try sampleBias.reshaped([y.shape[0], 1, 1, y.shape[3]])) }
        if let residual { y = try add(residual, y) }
        return y
    }

    /// Winograd F(2,3) and F(4,3) (border tiles, chunks of 1 and 7 tiles that split images, the default)
    /// and the im2col geometries (stride 2, 1×1, 5×5), with and without each epilogue term, on odd
    /// sizes and channel counts around the kernels' vector widths.
    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (5, 1, 2)])
    func convEpilogue(k: Int, stride: Int, pad: Int) throws {
        for (n, h, w, ci, co) in [(3, 7, 5, 3, 5), (1, 1, 1, 2, 3), (2, 4, 9, 11, 17), (2, 6, 6, 16, 33)] {
            guard h + 2 * pad >= k, w + 2 * pad >= k else { continue }
            let x = randn([n, h, w, ci], seed: 1), wt = randn([k, k, ci, co], seed: 2), b = randn([co], seed: 3)
            let ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1
            let t = randn([n, co], seed: 4), r = randn([n, ho, wo, co], seed: 5)
            var paths = [ConvPath(fastKernels: true)]
            if k == 3 && stride == 1 {
                for m in [2, 4] { for chunk in [nil, 1, 7] as [Int?] { paths.append(ConvPath(fastKernels: true, winogradTile: m, chunk: chunk)) } }
            }
            for path in paths {
                for (sb, res, bias) in [(t, r, b), (t, nil, b), (nil, r, b), (nil, nil, b), (t, r, nil)] as [(Tensor?, Tensor?, Tensor?)] {
                    let fused = try conv2dInference(x, weight: wt, bias: bias, stride: stride, padding: pad, sampleBias: sb,
                                                    residual: res, path: path)
                    let ref = try recordedConv(x, wt, bias, stride: stride, pad: pad, sampleBias: sb, residual: res, path: path)
                    #expect(fused.shape == ref.shape)
                    let label = "n\(n) \(h)×\(w) \(ci)→\(co) k\(k) s\(stride) m\(path.winogradTile) chunk \(String(describing: path.chunk)) sampleBias \(sb != nil) residual \(res != nil) bias \(bias != nil)"
                    #expect(maxDifference(fused, ref) == 0, "\(label): differs by \(maxDifference(fused, ref))")
                }
            }
        }
    }

    /// A convolution of the nearest 2× upsampling read from the source (Upsample2D): F(2,3) and F(4,3)
    /// with chunks that split images, odd source sizes (partial tiles at every border), and the
    /// geometries without Winograd (1×1, stride 2: upsampled first) — all equal to conv2d(upsample(x)).
    @Test(arguments: [(3, 1, 1), (1, 1, 0), (3, 2, 1)])
    func convOfUpsampled(k: Int, stride: Int, pad: Int) throws {
        for (n, h, w, ci, co) in [(2, 3, 5, 3, 5), (1, 1, 1, 2, 3), (2, 4, 4, 17, 16)] {
            let x = randn([n, h, w, ci], seed: 1), wt = randn([k, k, ci, co], seed: 2), b = randn([co], seed: 3)
            for m in [2, 4] {
                for chunk in [nil, 1, 7] as [Int?] {
                    let path = ConvPath(fastKernels: true, winogradTile: m, chunk: chunk)
                    let fused = try upsampledConv2dInference(x, weight: wt, bias: b, stride: stride, padding: pad, path: path)
                    let ref = try conv2d(try upsampleNearest2x(x), weight: wt, bias: b, stride: stride, padding: pad, path: path)
                    #expect(fused.shape == ref.shape)
                    #expect(maxDifference(fused, ref) == 0, "n\(n) \(h)×\(w) \(ci)→\(co) k\(k) s\(stride) m\(m) chunk \(String(describing: chunk))")
                }
            }
        }
        #expect(throws: EngineError.self) { try upsampledConv2dInference(randn([2, 3, 3], seed: 1), weight: randn([3, 3, 3, 2], seed: 2), bias: nil) }
        #expect(throws: EngineError.self) { try upsampledConv2dInference(randn([1, 3, 3, 2], seed: 1), weight: randn([3, 3, 3, 2], seed: 2), bias: nil, padding: 1) }
    }

    /// Nothing is recorded, even with grad mode on and inputs that want gradients.
    @Test func convEpilogueRecordsNothing() throws {
        let x = randn([2, 5, 5, 4], seed: 1), wt = randn([3, 3, 4, 4], seed: 2), b = randn([4], seed: 3)
        for t in [x, wt, b] { t.requiresGrad = true }
        let y = try conv2dInference(x, weight: wt, bias: b, padding: 1, residual: x)
        #expect(!y.isRecorded)
        #expect(!y.requiresGrad)
    }

    @Test func convEpilogueRejectsBadShapes() throws {
        let x = randn([2, 5, 5, 4], seed: 1), wt = randn([3, 3, 4, 6], seed: 2)
        #expect(throws: EngineError.self) { try conv2dInference(x, weight: wt, bias: nil, padding: 1, sampleBias: randn([2, 4], seed: 3)) }
        #expect(throws: EngineError.self) { try conv2dInference(x, weight: wt, bias: nil, padding: 1, sampleBias: randn([6], seed: 3)) }
        #expect(throws: EngineError.self) { try conv2dInference(x, weight: wt, bias: nil, padding: 1, residual: randn([2, 5, 5, 4], seed: 3)) }
        #expect(throws: EngineError.self) { try conv2dInference(x, weight: wt, bias: randn([4], seed: 3), padding: 1) }
    }

    /// 1×1 convolution of [a | b] against conv2d of the concatenation: row counts that do not divide
    /// the GEMM blocks, channel splits on and off the vector widths.
    @Test(arguments: [(3, 7, 5, 3, 5, 4), (1, 1, 1, 1, 1, 2), (2, 16, 16, 64, 32, 64), (2, 9, 9, 17, 16, 33)])
    func pointwiseOfConcatenation(n: Int, h: Int, w: Int, ca: Int, cb: Int, co: Int) throws {
        let a = randn([n, h, w, ca], seed: 1), b = randn([n, h, w, cb], seed: 2)
        let wt = randn([1, 1, ca + cb, co], seed: 3), bias = randn([co], seed: 4)
        for bs in [bias, nil] as [Tensor?] {
            let fused = try pointwiseConv2dInference(a, concatenatedWith: b, weight: wt, bias: bs)
            let ref = try conv2d(try concatChannels(a, b), weight: wt, bias: bs)
            #expect(fused.shape == ref.shape)
            let e = relError(fused, ref)
            #expect(e < tolerance, "n\(n) \(h)×\(w) \(ca)+\(cb)→\(co) bias \(bs != nil): relative error \(e)")
        }
        #expect(throws: EngineError.self) { try pointwiseConv2dInference(a, concatenatedWith: b, weight: randn([1, 1, ca, co], seed: 3), bias: nil) }
        #expect(throws: EngineError.self) { try pointwiseConv2dInference(a, concatenatedWith: randn([n, h + 1, w, cb], seed: 2), weight: wt, bias: nil) }
    }

    /// Linear layers side by side (q, k, v) against each run alone, and the output projection with
    /// its residual against linear + add; with and without biases, rows that do not divide the blocks.
    @Test(arguments: [(1, 1, 3), (2, 7, 5), (3, 64, 64), (2, 256, 24)])
    func linearsSideBySide(b: Int, l: Int, c: Int) throws {
        let x = randn([b, l, c], seed: 1)
        let ws = (0..<3).map { randn([c, c], seed: 10 + UInt64($0), scale: 0.2) }
        let bs: [Tensor?] = [randn([c], seed: 20), nil, randn([c], seed: 22)]
        let packed = try linearInference(x, weights: ws, biases: bs)
        #expect(packed.shape == [b, l, 3 * c])
        for i in 0..<3 {
            let ref = try linear(x, weight: ws[i], bias: bs[i])
            let part = Tensor(uninitialized: ref.shape)
            for r in 0..<(b * l) { (part.data + r * c).update(from: packed.data + r * 3 * c + i * c, count: c) }
            let e = relError(part, ref)
            #expect(e < tolerance, "B\(b) L\(l) C\(c) projection \(i): relative error \(e)")
        }
        let residual = randn([b, l, c], seed: 30)
        let out = try linearInference(x, weights: [ws[0]], biases: [bs[0]], residual: residual)
        let ref = try add(try linear(x, weight: ws[0], bias: bs[0]), residual)
        let e = relError(out, ref)
        #expect(e < tolerance, "B\(b) L\(l) C\(c) with residual: relative error \(e)")
        #expect(throws: EngineError.self) { try linearInference(x, weights: ws, biases: [nil]) }
        #expect(throws: EngineError.self) { try linearInference(x, weights: [randn([c, c + 1], seed: 1)], biases: [nil]) }
        #expect(throws: EngineError.self) { try linearInference(x, weights: [ws[0]], biases: [nil], residual: randn([b, l, c + 1], seed: 1)) }
    }

    /// Attention on packed q, k, v against the recorded op on the three parts: the tutorial's shapes,
    /// token counts off the kernel's 16-key and 4-row blocks, head sizes the fused kernel takes (3–8)
    /// and one it does not (16: the sgemm path on unpacked copies).
    @Test(arguments: [(2, 256, 8, 8), (3, 64, 8, 8), (2, 7, 2, 3), (1, 17, 4, 4), (1, 1, 1, 8), (2, 20, 1, 5), (2, 33, 2, 16)])
    func attentionOnPackedProjections(b: Int, l: Int, heads: Int, d: Int) throws {
        let c = heads * d
        let qkv = randn([b, l, 3 * c], seed: 7, scale: 2)
        let parts = (0..<3).map { i in
            let t = Tensor(uninitialized: [b, l, c])
            for r in 0..<(b * l) { (t.data + r * c).update(from: qkv.data + r * 3 * c + i * c, count: c) }
            return t
        }
        let fused = try attentionInference(packed: qkv, heads: heads)
        let ref = try withNoGrad { try scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2], heads: heads) }
        #expect(fused.shape == ref.shape)
        #expect(maxDifference(fused, ref) == 0, "B\(b) L\(l) heads \(heads) D\(d): differs by \(maxDifference(fused, ref))")
        #expect(throws: EngineError.self) { try attentionInference(packed: randn([b, l, 3 * c + 1], seed: 1), heads: heads) }
        #expect(throws: EngineError.self) { try attentionInference(packed: qkv, heads: c + 1) }
    }

    /// Group norm (± SiLU) of [a | b] against group norm of the concatenation, with groups that
    /// straddle the boundary between a and b (96 = 64 + 32 channels in 32 groups of 3). 24 + 8 sums
    /// with the scalar loops, its concatenation (32) with the vector ones: they must agree exactly.
    @Test(arguments: [(2, 4, 4, 64, 32, 32), (3, 5, 3, 3, 5, 4), (1, 1, 1, 1, 1, 2), (2, 8, 8, 64, 64, 32), (2, 6, 5, 24, 8, 8),
                      (1, 3, 3, 80, 48, 16)])
    func groupNormOfConcatenation(n: Int, h: Int, w: Int, ca: Int, cb: Int, groups: Int) throws {
        let a = randn([n, h, w, ca], seed: 1, scale: 3), b = randn([n, h, w, cb], seed: 2)
        for (t, v) in [(a, Float(0.5)), (b, Float(-2))] { for i in 0..<t.count { t.data[i] += v } }
        let gamma = randn([ca + cb], seed: 3), beta = randn([ca + cb], seed: 4)
        for silu in [false, true] {
            let fused = try groupNormInference(a, concatenatedWith: b, groups: groups, weight: gamma, bias: beta, eps: 1e-5, silu: silu)
            let ref = try groupNorm(try concatChannels(a, b), groups: groups, weight: gamma, bias: beta, eps: 1e-5, fusedSiLU: silu)
            #expect(fused.shape == ref.shape)
            #expect(maxDifference(fused, ref) == 0, "n\(n) \(h)×\(w) \(ca)+\(cb) groups \(groups) silu \(silu): differs by \(maxDifference(fused, ref))")
        }
        #expect(throws: EngineError.self) { try groupNormInference(a, concatenatedWith: b, groups: ca + cb + 1, weight: nil, bias: nil) }
        #expect(throws: EngineError.self) { try groupNormInference(a, concatenatedWith: randn([n, h, w + 1, cb], seed: 2), groups: 1, weight: nil, bias: nil) }
    }
}

import Testing
@testable import DNBEngine

/// The fast convolution kernels (Winograd F(2,3), F(4,3); chunked) against the
/// im2col reference, through the public autograd path: forward, input gradient,
/// weight gradient and bias gradient.
///
/// Tolerance: the error is the largest |fast − reference| over a tensor divided by the
/// tensor's largest reference value. Both paths sum the same products of N(0, 1)
/// values in float32 in different orders, so they differ by rounding only: a few
/// float32 ulps (6e-8) times √(terms). Measured on these shapes: ≤ 3.6e-7 for
/// F(2,3) (its transforms use only ±1 and ½) and ≤ 2.7e-6 for F(4,3) (coefficients
/// up to 8 and 1/24). The bounds, 5e-6 and 3e-5, leave ~10× headroom, while a
/// wrong index, tap or missing term errs by O(1).
struct ConvFastPathTests {
    struct Grads { let y, dx, dw, db: Tensor }

    func run(_ path: ConvPath, n: Int, h: Int, w: Int, ci: Int, co: Int, k: Int, stride: Int, pad: Int,
             preexisting: Bool = true) throws -> Grads {
        let x = randn([n, h, w, ci], seed: 1), wt = randn([k, k, ci, co], seed: 2), b = randn([co], seed: 3)
        for t in [x, wt, b] { t.requiresGrad = true }
        let y = try conv2d(x, weight: wt, bias: b, stride: stride, padding: pad, path: path)
        let seed = randn(y.shape, seed: 4)
        // Pre-existing gradients: both passes must accumulate, not overwrite. Without them the input
        // gradient is written into an uninitialised buffer (the pool's, holding earlier values).
        if preexisting { x.grad = Tensor(shape: x.shape, repeating: 0.5) }
        wt.grad = Tensor(shape: wt.shape, repeating: 0.5)
        b.grad = Tensor(shape: b.shape, repeating: 0.5)
        try y.backward(seed: seed)
        return Grads(y: y.detached(), dx: x.grad!, dw: wt.grad!, db: b.grad!)
    }

    func compare(_ path: ConvPath, tolerance: Float, n: Int, h: Int, w: Int, ci: Int, co: Int, k: Int, stride: Int, pad: Int,
                 preexisting: Bool = true) throws {
        let fast = try run(path, n: n, h: h, w: w, ci: ci, co: co, k: k, stride: stride, pad: pad, preexisting: preexisting)
        let ref = try run(.reference, n: n, h: h, w: w, ci: ci, co: co, k: k, stride: stride, pad: pad, preexisting: preexisting)
        #expect(fast.y.shape == ref.y.shape)
        let label = "n\(n) \(h)×\(w) \(ci)→\(co) k\(k) s\(stride) p\(pad) m\(path.winogradTile) chunk \(path.chunk.map(String.init) ?? "auto")" +
            (preexisting ? "" : " first gradient")
        for (name, a, b) in [("y", fast.y, ref.y), ("dx", fast.dx, ref.dx), ("dw", fast.dw, ref.dw), ("db", fast.db, ref.db)] {
            let e = relError(a, b)
            #expect(e < tolerance, "\(name) \(label): relative error \(e)")
        }
    }

    /// Every kernel/stride/padding combination of the UNet and a few beyond, on odd sizes
    /// (channel counts below, at and above the C kernels' vector widths of 4, 8 and 16), with
    /// the default blocking and with GEMM row blocks (im2col path) or tile chunks (Winograd)
    /// of 1 and 7 that split images and do not divide the row count; onto earlier gradients and as
    /// the first.
    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (3, 2, 0), (3, 1, 0), (1, 2, 0), (5, 1, 2)])
    func combos(k: Int, stride: Int, pad: Int) throws {
        for chunk in [nil, 1, 7] as [Int?] {
            for (n, h, w, ci, co) in [(3, 7, 5, 3, 5), (1, 1, 1, 2, 3), (2, 4, 9, 11, 9), (1, 5, 3, 16, 33)] {
                guard h + 2 * pad >= k, w + 2 * pad >= k else { continue }
                for preexisting in [true, false] {
                    try compare(ConvPath(fastKernels: true, chunk: chunk), tolerance: 5e-6,
                                n: n, h: h, w: w, ci: ci, co: co, k: k, stride: stride, pad: pad, preexisting: preexisting)
                }
            }
        }
    }

    /// Winograd F(2,3) and F(4,3) on sizes that leave partial border tiles, with chunks
    /// that split images and do not divide the tile count (1, 7 tiles) or hold it all.
    /// 13 × 14 has F(4,3) input tiles wholly inside the image (read without per-pixel tests) beside
    /// border tiles, and output tiles cut by the bottom edge beside whole ones.
    @Test(arguments: [2, 4])
    func winogradTilesAndChunks(m: Int) throws {
        let tolerance: Float = m == 2 ? 5e-6 : 3e-5
        for chunk in [nil, 1, 7] as [Int?] {
            let path = ConvPath(fastKernels: true, winogradTile: m, chunk: chunk)
            for (n, h, w, ci, co) in [(3, 5, 7, 8, 3), (2, 6, 6, 17, 9), (5, 2, 3, 4, 16), (1, 9, 4, 32, 19), (2, 13, 14, 5, 6)] {
                try compare(path, tolerance: tolerance, n: n, h: h, w: w, ci: ci, co: co, k: 3, stride: 1, pad: 1)
            }
        }
    }

    /// Without bias and without a gradient wanted for some inputs.
    @Test func partialGradients() throws {
        let x = randn([2, 6, 5, 4], seed: 5), wt = randn([3, 3, 4, 6], seed: 6)
        wt.requiresGrad = true
        let yf = try conv2d(x, weight: wt, bias: nil, stride: 1, padding: 1)
        try yf.backward(seed: Tensor(shape: yf.shape, repeating: 1))
        let w2 = wt.detached()
        w2.requiresGrad = true
        let yr = try conv2dReference(x, weight: w2, bias: nil, stride: 1, padding: 1)
        try yr.backward(seed: Tensor(shape: yr.shape, repeating: 1))
        #expect(relError(yf, yr) < 5e-6)
        #expect(relError(wt.grad!, w2.grad!) < 5e-6)
        #expect(x.grad == nil)
    }
}

import Testing
@testable import DNBEngine

/// groupNormConv2d against groupNorm then conv2d recorded apart: the output and every gradient (x, the
/// norm's γ and β, the convolution's weight and bias) are the same floats — the composite runs the same
/// kernels on the same inputs, recomputing h in backward instead of keeping it — over odd sizes, both
/// Winograd tiles, im2col geometries (stride 2, 1×1, 5×5), with and without SiLU, bias and affine
/// parameters, parameters that want no gradient, and gradients already present. With a per-image bias
/// (a ResNet block's time embedding) against `add(conv, bias.reshaped([N, 1, 1, Co]))`: the same floats
/// too, but for that bias's own gradient, which the two sum in another order (tolerance argued below).
/// With a residual (a ResNet block's shortcut) against `add(residual, conv)`: the same floats, the residual's
/// gradient included, also when the residual is x itself (then without preset gradients: x's gradient is
/// the sum of two terms, which the two paths add in the other order onto a preset one).
struct NormConvTests {
    struct Case: CustomStringConvertible {
        var n = 2, h = 5, w = 7, ci = 6, co = 5, groups = 3, k = 3, stride = 1, pad = 1
        var silu = true, bias = true, affine = true, normGrads = true, xGrad = true, preset = false, tile = 4
        var imageBias = false, weightGrad = true
        enum Residual { case none, separate, input }
        var residual = Residual.none
        var description: String {
            "n\(n) \(h)×\(w) \(ci)→\(co) g\(groups) k\(k) s\(stride) p\(pad) silu \(silu) bias \(bias) affine \(affine) " +
                "normGrads \(normGrads) xGrad \(xGrad) preset \(preset) F(\(tile),3) imageBias \(imageBias) weightGrad \(weightGrad) " +
                "residual \(residual)"
        }
    }

    static let cases: [Case] = {
        var all: [Case] = [Case()]
        all.append(Case(silu: false))
        all.append(Case(tile: 2))
        all.append(Case(h: 8, w: 8, ci: 16, co: 32, groups: 8, tile: 4))
        all.append(Case(n: 1, h: 1, w: 1, ci: 4, co: 3, groups: 2))
        all.append(Case(k: 3, stride: 2, pad: 1))
        all.append(Case(k: 1, pad: 0))
        all.append(Case(k: 5, pad: 2, bias: false))
        all.append(Case(affine: false))
        all.append(Case(normGrads: false))
        all.append(Case(normGrads: false, xGrad: false))
        all.append(Case(preset: true))
        all.append(Case(n: 3, h: 9, w: 4, ci: 12, co: 7, groups: 4, preset: true, tile: 2))
        all.append(Case(imageBias: true))
        all.append(Case(n: 3, h: 9, w: 11, ci: 12, co: 7, groups: 4, imageBias: true))
        all.append(Case(tile: 2, imageBias: true))
        all.append(Case(bias: false, imageBias: true))
        all.append(Case(normGrads: false, xGrad: false, preset: true, imageBias: true))
        all.append(Case(k: 3, stride: 2, pad: 1, imageBias: true))
        all.append(Case(tile: 0, imageBias: true))
        all.append(Case(normGrads: false, xGrad: false, imageBias: true, weightGrad: false))  // the biases alone
        all.append(Case(normGrads: false, xGrad: false, tile: 0, weightGrad: false))
        all.append(Case(residual: .separate))
        all.append(Case(preset: true, imageBias: true, residual: .separate))
        all.append(Case(n: 3, h: 9, w: 11, ci: 12, co: 7, groups: 4, tile: 2, residual: .separate))
        all.append(Case(k: 3, stride: 2, pad: 1, residual: .separate))
        all.append(Case(tile: 0, residual: .separate))
        all.append(Case(normGrads: false, xGrad: false, weightGrad: false, residual: .separate))  // the residual alone
        all.append(Case(ci: 6, co: 6, residual: .input))
        all.append(Case(h: 8, w: 8, ci: 16, co: 16, groups: 8, imageBias: true, residual: .input))
        return all
    }()

    /// Output and gradients [x, γ, β, weight, bias, per-image bias, separate residual] (nil where none is
    /// wanted) of one path.
    func run(_ c: Case, composite: Bool) throws -> (Tensor, [Tensor?]) {
        let x = randn([c.n, c.h, c.w, c.ci], seed: 1)
        let gamma = c.affine ? randn([c.ci], seed: 2) : nil, beta = c.affine ? randn([c.ci], seed: 3) : nil
        let weight = randn([c.k, c.k, c.ci, c.co], seed: 4, scale: 0.3), bias = c.bias ? randn([c.co], seed: 5) : nil
        let imageBias = c.imageBias ? randn([c.n, c.co], seed: 6) : nil
        let ho = (c.h + 2 * c.pad - c.k) / c.stride + 1, wo = (c.w + 2 * c.pad - c.k) / c.stride + 1
        let separate = c.residual == .separate ? randn([c.n, ho, wo, c.co], seed: 7) : nil
        let residual = c.residual == .input ? x : separate
        separate?.requiresGrad = true
        x.requiresGrad = c.xGrad
        for p in [gamma, beta].compactMap({ $0 }) { p.requiresGrad = c.normGrads }
        weight.requiresGrad = c.weightGrad
        for p in [bias, imageBias].compactMap({ $0 }) { p.requiresGrad = true }
        let all = [x, gamma, beta, weight, bias, imageBias, separate]
        if c.preset { for (i, t) in all.enumerated() { if let t { t.grad = randn(t.shape, seed: 40 + UInt64(i)) } } }
        let path = ConvPath(fastKernels: true, winogradTile: c.tile)
        let y: Tensor
        if composite {
            y = try groupNormConv2d(x, groups: c.groups, normWeight: gamma, normBias: beta, eps: 1e-5, silu: c.silu,
                                    weight: weight, bias: bias, stride: c.stride, padding: c.pad, sampleBias: imageBias,
                                    residual: residual, path: path)
        } else {
            let h = try groupNorm(x, groups: c.groups, weight: gamma, bias: beta, eps: 1e-5, fusedSiLU: c.silu)
            let conv = try conv2d(h, weight: weight, bias: bias, stride: c.stride, padding: c.pad, path: path)
            let biased = try imageBias.map { try add(conv, try $0.reshaped([c.n, 1, 1, c.co])) } ?? conv
            y = try residual.map { try add($0, biased) } ?? biased
        }
        try mean(try mul(y, randn(y.shape, seed: 9))).backward()
        return (y, all.map { $0?.grad })
    }

    @Test(arguments: cases)
    func sameFloatsAsTheOpsApart(_ c: Case) throws {
        let (y, grads) = try run(c, composite: true)
        let (yRef, gradsRef) = try run(c, composite: false)
        #expect(y.shape == yRef.shape)
        #expect(y.scalars == yRef.scalars, "output")
        for (i, name) in [(0, "x"), (1, "γ"), (2, "β"), (3, "weight"), (4, "bias"), (6, "residual")] {
            #expect((grads[i] == nil) == (gradsRef[i] == nil), "\(name): gradient present on one side only")
            if let g = grads[i], let r = gradsRef[i] { #expect(g.scalars == r.scalars, "\(name) gradient") }
        }
        // The per-image bias's gradient: each side sums an image's ≤ 99 output-gradient values (here
        // O(1/size), |Σ| ≤ 1) in its own order in float32 (the composite in double after float blocks of 64),
        // so they may differ by a few roundings of the running sum: 99 · 2⁻²⁴ ≈ 6e-6, held to 1e-5.
        #expect((grads[5] == nil) == (gradsRef[5] == nil), "per-image bias: gradient present on one side only")
        if let g = grads[5], let r = gradsRef[5] {
            let worst = zip(g.scalars, r.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "per-image bias gradient differs by \(worst)")
        }
    }

    @Test func refusesWhatTheOpsApartRefuse() {
        let x = randn([2, 4, 4, 6], seed: 1), w = randn([3, 3, 6, 4], seed: 2)
        #expect(throws: EngineError.self) { try groupNormConv2d(x, groups: 4, normWeight: nil, normBias: nil, silu: true, weight: w, bias: nil, padding: 1) }
        #expect(throws: EngineError.self) { try groupNormConv2d(x, groups: 3, normWeight: nil, normBias: nil, silu: true, weight: randn([3, 3, 5, 4], seed: 3), bias: nil) }
        #expect(throws: EngineError.self) { try groupNormConv2d(x, groups: 3, normWeight: randn([5], seed: 4), normBias: nil, silu: true, weight: w, bias: nil) }
        #expect(throws: EngineError.self) { try groupNormConv2d(randn([6], seed: 1), groups: 3, normWeight: nil, normBias: nil, silu: true, weight: w, bias: nil) }
        #expect(throws: EngineError.self) { try groupNormConv2d(x, groups: 3, normWeight: nil, normBias: nil, silu: true, weight: w, bias: nil, padding: 1, residual: randn([2, 4, 4, 6], seed: 5)) }
    }
}

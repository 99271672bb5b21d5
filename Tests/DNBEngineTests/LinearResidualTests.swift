import Testing
@testable import DNBEngine

/// `linear(x, …, residual:)` (an attention block's output projection with its residual connection) against
/// `add(linear(x, …), residual)`: the same floats — the output and the gradients of x, the weight, the bias
/// and the residual — with gradients already present or not, with a residual that wants no gradient, and
/// with the residual being x itself (then without preset gradients: x's gradient is a sum of two terms,
/// which the two paths add onto a preset one in the other order).
struct LinearResidualTests {
    enum Residual: CaseIterable { case separate, withoutGradient, input }

    func run(rows: Int, inF: Int, outF: Int, residual kind: Residual, preset: Bool, fused: Bool) throws -> [Tensor?] {
        let x = randn([rows, inF], seed: 1), w = randn([outF, inF], seed: 2, scale: 0.4), b = randn([outF], seed: 3)
        let r = kind == .input ? x : randn([rows, outF], seed: 4)
        for t in [x, w, b] { t.requiresGrad = true }
        if kind == .separate { r.requiresGrad = true }
        if preset {
            for (i, t) in [x, w, b, r].enumerated() where t.requiresGrad { t.grad = randn(t.shape, seed: 10 + UInt64(i)) }
        }
        let y = fused ? try linear(x, weights: [w], biases: [b], residual: r)
                      : try add(try linear(x, weight: w, bias: b), r)
        try mean(try mul(y, randn(y.shape, seed: 9))).backward()
        return [y.detached(), x.grad, w.grad, b.grad, kind == .separate ? r.grad : nil]
    }

    @Test(arguments: [(5, 3, 3), (37, 8, 8), (300, 16, 24), (1, 4, 4), (700, 64, 64)])
    func sameFloatsAsTheAdd(rows: Int, inF: Int, outF: Int) throws {
        for kind in Residual.allCases where kind != .input || inF == outF {
            for preset in [false, true] where !(preset && kind == .input) {
                let got = try run(rows: rows, inF: inF, outF: outF, residual: kind, preset: preset, fused: true)
                let want = try run(rows: rows, inF: inF, outF: outF, residual: kind, preset: preset, fused: false)
                for (i, name) in ["output", "dx", "dW", "db", "d residual"].enumerated() {
                    #expect((got[i] == nil) == (want[i] == nil), "\(name): present on one side only")
                    if let g = got[i], let w = want[i] {
                        #expect(g.scalars == w.scalars, "\(rows)×\(inF)→\(outF) \(kind) preset \(preset): \(name)")
                    }
                }
            }
        }
    }

    @Test func refusesAResidualOfAnotherShape() {
        #expect(throws: EngineError.self) {
            try linear(randn([4, 3], seed: 1), weights: [randn([5, 3], seed: 2)], biases: [nil], residual: randn([4, 3], seed: 3))
        }
    }
}

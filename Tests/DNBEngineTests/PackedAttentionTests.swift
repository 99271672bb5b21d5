import Testing
@testable import DNBEngine

/// The attention block's packed form — q, k, v from one side-by-side `linear` and
/// `scaledDotProductAttention(packed:)` reading them in place — against three linears and the sgemm
/// reference attention: output and the gradients of x, the three weights and biases.
///
/// Tolerance 1e-5 of each tensor's largest value: the fused kernel differs from the sgemm path by ≤ 1e-6
/// relative (bench/README.md, attention), and the GEMMs group their sums differently (one [C, 3C]
/// product and one dx with K = 3C instead of three): a few float32 ulps of O(1) sums. A wrong offset,
/// stride or head split errs by O(1).
struct PackedAttentionTests {
    func run(b: Int, l: Int, heads: Int, d: Int, packed: Bool, reuse: Bool, preset: Bool) throws -> [Tensor] {
        let c = heads * d
        let x = randn([b, l, c], seed: 1)
        let ws = (0..<3).map { randn([c, c], seed: 10 + UInt64($0), scale: 0.4) }
        let bs = (0..<3).map { randn([c], seed: 20 + UInt64($0)) }
        for t in [x] + ws + bs { t.requiresGrad = true }
        if preset { x.grad = randn(x.shape, seed: 30); ws[1].grad = randn(ws[1].shape, seed: 31) }
        var loss: Tensor
        if packed {
            let qkv = try linear(x, weights: ws, biases: bs)
            let y = try scaledDotProductAttention(packed: qkv, heads: heads)
            loss = try mean(try mul(y, randn(y.shape, seed: 40)))
            // qkv used again: its gradient is then added to, not written, by the attention's backward.
            if reuse { loss = try add(loss, try mean(try mul(qkv, randn(qkv.shape, seed: 41)))) }
        } else {
            let (q, k, v) = (try linear(x, weight: ws[0], bias: bs[0]), try linear(x, weight: ws[1], bias: bs[1]),
                             try linear(x, weight: ws[2], bias: bs[2]))
            let y = try scaledDotProductAttentionReference(query: q, key: k, value: v, heads: heads)
            loss = try mean(try mul(y, randn(y.shape, seed: 40)))
            if reuse {
                // The same extra term, its [B, L, 3C] weights split by column block.
                let r = randn([b, l, 3 * c], seed: 41)
                let parts = (0..<3).map { p in
                    try! Tensor(shape: [b, l, c], scalars: (0..<(b * l)).flatMap { row in (0..<c).map { r.data[row * 3 * c + p * c + $0] } })
                }
                let scale = Float(c) / Float(3 * c)
                for (t, part) in zip([q, k, v], parts) { loss = try add(loss, DNBEngine.scale(try mean(try mul(t, part)), scale)) }
            }
        }
        try loss.backward()
        return [loss] + ([x] + ws + bs).map { $0.grad! }
    }

    @Test(arguments: [(2, 16, 2, 8), (1, 7, 3, 4), (3, 33, 1, 8), (2, 5, 2, 5), (1, 9, 2, 16), (2, 1, 4, 2)])
    func packedMatchesThreeLinears(b: Int, l: Int, heads: Int, d: Int) throws {
        for (reuse, preset) in [(false, false), (true, false), (false, true)] {
            let got = try run(b: b, l: l, heads: heads, d: d, packed: true, reuse: reuse, preset: preset)
            let want = try run(b: b, l: l, heads: heads, d: d, packed: false, reuse: reuse, preset: preset)
            for (i, name) in ["loss", "dx", "dWq", "dWk", "dWv", "dbq", "dbk", "dbv"].enumerated() {
                if name == "dbk" && !reuse {
                    // The key bias's gradient vanishes (softmax ignores a shift shared by all keys): both are rounding noise.
                    let noise = (got[i].scalars + want[i].scalars).map { abs($0) }.max()!
                    #expect(noise < 1e-6, "b\(b) l\(l) heads\(heads) d\(d) preset \(preset): dbk should vanish, \(noise)")
                    continue
                }
                #expect(relError(got[i], want[i]) <= 1e-5, "b\(b) l\(l) heads\(heads) d\(d) reuse \(reuse) preset \(preset): \(name) \(relError(got[i], want[i]))")
            }
        }
    }

    @Test func refusesBadPackedShapes() {
        #expect(throws: EngineError.self) { try scaledDotProductAttention(packed: randn([2, 3, 8], seed: 1), heads: 2) }
        #expect(throws: EngineError.self) { try scaledDotProductAttention(packed: randn([2, 3, 9], seed: 1), heads: 2) }
        #expect(throws: EngineError.self) { try scaledDotProductAttention(packed: randn([6, 9], seed: 1), heads: 1) }
        #expect(throws: EngineError.self) { try linear(randn([2, 3], seed: 1), weights: [randn([4, 3], seed: 2), randn([4, 2], seed: 3)], biases: [nil, nil]) }
        #expect(throws: EngineError.self) { try linear(randn([2, 3], seed: 1), weights: [randn([4, 3], seed: 2)], biases: [nil, nil]) }
    }
}

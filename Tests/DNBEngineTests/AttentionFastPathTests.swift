import Testing
@testable import DNBEngine

/// The fused attention kernel (CRowKernels/attention.c) against the sgemm reference path,
/// through the public autograd path: output and the three input gradients.
///
/// Tolerance: the error is the largest |fused − reference| over a tensor divided by the
/// tensor's largest reference value. Both paths compute the same sums of products of N(0, 1)
/// values in float32, in different orders and with different (1–2 ulp) exponentials, so they
/// differ by rounding only. Measured: ≤ 1.0e-6 on these shapes (≈ 5e-7 on the tutorial's
/// L = 256, D = 8). The bound, 1e-5, leaves ~10× headroom, while a wrong index, a missing key
/// or a mis-scaled term errs by O(1e-2) or more.
struct AttentionFastPathTests {
    let tolerance: Float = 1e-5

    struct Result { let y, dq, dk, dv: Tensor }

    func run(_ path: AttentionPath, b: Int, l: Int, heads: Int, d: Int, inputScale: Float,
             preexisting: Bool = true) throws -> Result {
        let shape = [b, l, heads * d]
        let q = randn(shape, seed: 1, scale: inputScale), k = randn(shape, seed: 2, scale: inputScale)
        let v = randn(shape, seed: 3)
        for t in [q, k, v] {
            t.requiresGrad = true
            // Pre-existing gradients: backward must accumulate, not overwrite. Without them the fused
            // path writes fresh gradient buffers instead (no zero fill): both are checked.
            if preexisting { t.grad = Tensor(shape: shape, repeating: 0.5) }
        }
        let y = try scaledDotProductAttention(query: q, key: k, value: v, heads: heads, path: path)
        try y.backward(seed: randn(shape, seed: 4))
        return Result(y: y.detached(), dq: q.grad!, dk: k.grad!, dv: v.grad!)
    }

    func compare(b: Int, l: Int, heads: Int, d: Int, inputScale: Float = 1, preexisting: Bool = true) throws {
        let fused = try run(.fused, b: b, l: l, heads: heads, d: d, inputScale: inputScale, preexisting: preexisting)
        let ref = try run(.gemm, b: b, l: l, heads: heads, d: d, inputScale: inputScale, preexisting: preexisting)
        let label = "B\(b) L\(l) heads \(heads) D\(d) input scale \(inputScale) preexisting grads \(preexisting)"
        for (name, a, r) in [("y", fused.y, ref.y), ("dq", fused.dq, ref.dq), ("dk", fused.dk, ref.dk), ("dv", fused.dv, ref.dv)] {
            #expect(a.shape == r.shape)
            let e = relError(a, r)
            #expect(e < tolerance, "\(name) \(label): relative error \(e)")
        }
    }

    /// The tutorial's shapes (8 heads of 8 at 16×16 and 8×8 tokens), the specialised head
    /// dimensions 4 and 16, and run-time ones (3, 5, 32) with token counts that are not a
    /// multiple of the kernel's 16-key blocks or of its 4-row blocks (1, 7, 17, 33, 37; with D = 8, whose keys
    /// and values are transposed 16 at a time by shuffles, 37 = two such blocks and a scalar tail).
    @Test(arguments: [(2, 256, 8, 8), (3, 64, 8, 8), (2, 7, 2, 3), (1, 17, 4, 4), (2, 33, 2, 16),
                      (1, 1, 1, 8), (2, 20, 1, 5), (1, 18, 2, 32), (1, 16, 3, 8), (2, 37, 3, 8)])
    func matchesReference(b: Int, l: Int, heads: Int, d: Int) throws {
        try compare(b: b, l: l, heads: heads, d: d, preexisting: true)
        try compare(b: b, l: l, heads: heads, d: d, preexisting: false)
    }

    /// The same tensor as query, key and value: its gradient gets all three contributions.
    @Test func selfAttentionOnOneTensor() throws {
        var results: [Tensor] = []
        for path in [AttentionPath.fused, .gemm] {
            let x = randn([2, 12, 16], seed: 20)
            x.requiresGrad = true
            let y = try scaledDotProductAttention(query: x, key: x, value: x, heads: 2, path: path)
            try y.backward(seed: randn([2, 12, 16], seed: 21))
            results.append(x.grad!)
        }
        #expect(relError(results[0], results[1]) < tolerance)
    }

    /// Scores of ±50 and more: the softmax must subtract the row maximum (no overflow, no NaN)
    /// and the backward pass must rebuild the same probabilities from the saved log-sum-exp.
    @Test func largeScores() throws {
        try compare(b: 1, l: 40, heads: 2, d: 8, inputScale: 6)
        let r = try run(.fused, b: 1, l: 40, heads: 2, d: 8, inputScale: 6)
        for t in [r.y, r.dq, r.dk, r.dv] { #expect(t.buffer.allSatisfy { $0.isFinite }) }
    }

    /// Query rows on both sides of the bound under which the forward kernel skips the row max
    /// (|q|·max|k|·scale·log2 e < 60): N(0, 1) rows stay below it, rows scaled by 40 (picked by an irregular
    /// pattern) go above, so blocks of 4 rows and the single rows after them fall on either side, next to each
    /// other in one head.
    @Test func rowsOnBothSidesOfTheMaxFreeBound() throws {
        for (l, d) in [(37, 8), (23, 5), (64, 16)] {
            let shape = [2, l, 2 * d]
            var results: [[Tensor]] = []
            for path in [AttentionPath.fused, .gemm] {
                let q = randn(shape, seed: 30), k = randn(shape, seed: 31), v = randn(shape, seed: 32)
                for i in 0..<l where (i / (1 + i % 9)) % 2 == 1 {
                    for b in 0..<2 { for c in 0..<(2 * d) { q.data[(b * l + i) * 2 * d + c] *= 40 } }
                }
                for t in [q, k, v] { t.requiresGrad = true }
                let y = try scaledDotProductAttention(query: q, key: k, value: v, heads: 2, path: path)
                try y.backward(seed: randn(shape, seed: 33))
                results.append([y.detached(), q.grad!, k.grad!, v.grad!])
            }
            for (j, name) in ["y", "dq", "dk", "dv"].enumerated() {
                let a = results[0][j], e = relError(a, results[1][j])
                #expect(e < tolerance, "\(name) L\(l) D\(d): relative error \(e)")
                #expect(a.buffer.allSatisfy { $0.isFinite })
            }
        }
    }

    /// Under withNoGrad nothing is recorded and the output is the same.
    @Test func inference() throws {
        let q = randn([2, 9, 16], seed: 5), k = randn([2, 9, 16], seed: 6), v = randn([2, 9, 16], seed: 7)
        q.requiresGrad = true
        let y = try withNoGrad { try scaledDotProductAttention(query: q, key: k, value: v, heads: 2, path: .fused) }
        let ref = try scaledDotProductAttention(query: q, key: k, value: v, heads: 2, path: .gemm)
        #expect(!y.isRecorded)
        #expect(relError(y, ref) < tolerance)
    }

    /// The public entry point picks the fused kernel up to `Engine.fusedAttentionMaxHeadDimension`.
    @Test func pathSelection() throws {
        let q = randn([1, 5, 8], seed: 8), k = randn([1, 5, 8], seed: 9), v = randn([1, 5, 8], seed: 10)
        let saved = Engine.fusedAttentionMaxHeadDimension
        defer { Engine.fusedAttentionMaxHeadDimension = saved }
        Engine.fusedAttentionMaxHeadDimension = 0
        let viaGemm = try scaledDotProductAttention(query: q, key: k, value: v, heads: 2)
        let reference = try scaledDotProductAttentionReference(query: q, key: k, value: v, heads: 2)
        #expect(viaGemm.scalars == reference.scalars)
        Engine.fusedAttentionMaxHeadDimension = 64
        let viaFused = try scaledDotProductAttention(query: q, key: k, value: v, heads: 2)
        let fused = try scaledDotProductAttention(query: q, key: k, value: v, heads: 2, path: .fused)
        #expect(viaFused.scalars == fused.scalars)
    }
}

/// The coalesced, threaded broadcast add/sub/mul (Broadcast.swift, Elementwise.swift) against
/// a direct index-by-index evaluation, forward and both gradients. Sums of at most a few
/// hundred terms in a different order: 1e-5 relative is rounding-level.
struct BroadcastFastPathTests {
    /// Offset of out index `idx` in an operand of shape `s` (right-aligned, size-1 dims broadcast).
    func offset(_ idx: [Int], _ s: [Int]) -> Int {
        var off = 0, step = 1
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            let j = idx[idx.count - s.count + i]
            off += (s[i] == 1 ? 0 : j) * step
            step *= s[i]
        }
        return off
    }

    @Test(arguments: [
        ([64, 16, 16, 32], [64, 1, 1, 32]), ([2, 3, 3, 4], [4]), ([4], [2, 3, 3, 4]), ([5, 1, 7], [1, 6, 1]),
        ([3, 1], [3, 700]), ([1], [2, 3]), ([2, 1, 1, 5], [2, 40, 40, 5]), ([300, 200], [300, 1]), ([6, 1, 9], [6, 9]),
    ])
    func matchesDirectEvaluation(aShape: [Int], bShape: [Int]) throws {
        for (opIndex, op) in [BinaryOp.add, .sub, .mul].enumerated() {
            let a = randn(aShape, seed: 11), b = randn(bShape, seed: 12)
            a.requiresGrad = true
            b.requiresGrad = true
            let y = try binary("test", a, b, op)
            let rank = max(aShape.count, bShape.count)
            let pa = Array(repeating: 1, count: rank - aShape.count) + aShape
            let pb = Array(repeating: 1, count: rank - bShape.count) + bShape
            let outShape = zip(pa, pb).map { max($0, $1) }
            #expect(y.shape == outShape)
            let g = randn(outShape, seed: 13)
            try y.backward(seed: g)
            // Direct evaluation, gradients summed in double.
            var ga = [Double](repeating: 0, count: a.count), gb = [Double](repeating: 0, count: b.count)
            var worst: Float = 0
            var idx = [Int](repeating: 0, count: rank)
            for o in 0..<y.count {
                var rest = o
                for i in stride(from: rank - 1, through: 0, by: -1) { idx[i] = rest % outShape[i]; rest /= outShape[i] }
                let ia = offset(idx, aShape), ib = offset(idx, bShape)
                let x = a.data[ia], z = b.data[ib], gv = Double(g.data[o])
                let expected: Float
                switch op {
                case .add: expected = x + z; ga[ia] += gv; gb[ib] += gv
                case .sub: expected = x - z; ga[ia] += gv; gb[ib] -= gv
                case .mul: expected = x * z; ga[ia] += gv * Double(z); gb[ib] += gv * Double(x)
                }
                worst = max(worst, abs(y.data[o] - expected))
            }
            #expect(worst == 0, "op \(opIndex) \(aShape) \(bShape): forward differs by \(worst)")
            for (name, grad, exact) in [("da", a.grad!, ga), ("db", b.grad!, gb)] {
                var err = 0.0
                for i in 0..<exact.count { err = max(err, abs(Double(grad.data[i]) - exact[i]) / (1 + abs(exact[i]))) }
                #expect(err < 1e-5, "op \(opIndex) \(aShape) \(bShape) \(name): error \(err)")
            }
        }
    }
}

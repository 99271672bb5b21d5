import Testing
@testable import DNBEngine

/// The blocked GEMMs of GEMM.swift against a double-precision product: `parallelSgemm` (rows in blocks
/// for OpenBLAS's small-matrix kernels) and `parallelSgemmATB` (the long K in chunks, each added to C),
/// on shapes that span several blocks and chunks, with row strides wider than the matrices, alpha ≠ 1
/// and C's previous contents kept (beta = 1) or not.
///
/// Tolerance: a K-term float32 dot product errs by ~√K · 6e-8 of Σ_k |a·b| (K ≤ 2,001: ≤ 3e-6), by at most
/// K · 6e-8 (1.2e-4) were every rounding to fall the same way; the test allows 1e-4 of it. A block or
/// chunk skipped, done twice or misaligned moves an element by ~√(its terms) ≥ 1, against a tolerance of
/// at most ~0.05 (Σ|a·b| ≈ 0.64 · K).
struct GEMMBlockingTests {
    /// C = beta · C + alpha · op(A) · op(B) in double, for a row-major [m × k]·[k × n] (transA: A is [k × m]).
    func reference(transA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: Tensor, lda: Int, b: Tensor, ldb: Int,
                   beta: Float, c: [Float], ldc: Int) -> (value: [Double], magnitude: [Double]) {
        var value = [Double](repeating: 0, count: m * ldc), magnitude = value
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, mag = 0.0
                for p in 0..<k {
                    let x = Double(transA ? a.data[p * lda + i] : a.data[i * lda + p]) * Double(b.data[p * ldb + j])
                    s += x
                    mag += abs(x)
                }
                value[i * ldc + j] = Double(beta) * Double(c[i * ldc + j]) + Double(alpha) * s
                magnitude[i * ldc + j] = abs(Double(alpha)) * mag + abs(Double(c[i * ldc + j]))
            }
        }
        return (value, magnitude)
    }

    func check(_ got: UnsafePointer<Float>, _ want: (value: [Double], magnitude: [Double]), m: Int, n: Int, ldc: Int,
               _ label: String) {
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let e = abs(Double(got[i * ldc + j]) - want.value[i * ldc + j]) / max(1, want.magnitude[i * ldc + j])
                worst = max(worst, e)
            }
        }
        #expect(worst <= 1e-4, "\(label): error \(worst) of the terms' magnitude")
    }

    /// dx = dY · W of a linear layer: rows beyond one block ([rows × 192]·[192 × 64] goes in blocks of 81).
    @Test(arguments: [(1, 192, 64), (81, 192, 64), (82, 192, 64), (1_000, 192, 64), (333, 70, 9), (40, 3, 5)])
    func rowBlocks(m: Int, k: Int, n: Int) {
        let (lda, ldb, ldc) = (k + 3, n + 1, n + 5)
        let a = randn([m, lda], seed: 1), b = randn([k, ldb], seed: 2)
        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1)] {
            let c = randn([m, ldc], seed: 3)
            let before = Array(UnsafeBufferPointer(start: c.data, count: c.count))
            parallelSgemm(m: m, n: n, k: k, alpha: alpha, a: a.data, lda: lda, b: b.data, ldb: ldb, beta: beta, c: c.data, ldc: ldc)
            let want = reference(transA: false, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                 beta: beta, c: before, ldc: ldc)
            check(c.data, want, m: m, n: n, ldc: ldc, "[\(m) × \(k)]·[\(k) × \(n)] alpha \(alpha) beta \(beta)")
        }
    }

    /// dW += dYᵀ · x: K (the batch's rows) in chunks (81 for [192 × 64]), on one thread (K < 512) and split
    /// over threads (K ≥ 512); K = 0 leaves C as it was.
    @Test(arguments: [(192, 64, 0), (192, 64, 80), (192, 64, 81), (192, 64, 300), (192, 64, 1_000), (7, 300, 2_001)])
    func kChunks(m: Int, n: Int, k: Int) {
        let (lda, ldb, ldc) = (m + 2, n + 3, n + 1)
        let a = randn([max(k, 1), lda], seed: 4), b = randn([max(k, 1), ldb], seed: 5), c = randn([m, ldc], seed: 6)
        let before = Array(UnsafeBufferPointer(start: c.data, count: c.count))
        parallelSgemmATB(m: m, n: n, k: k, alpha: 0.25, a: a.data, lda: lda, b: b.data, ldb: ldb, c: c.data, ldc: ldc)
        let want = reference(transA: true, m: m, n: n, k: k, alpha: 0.25, a: a, lda: lda, b: b, ldb: ldb,
                             beta: 1, c: before, ldc: ldc)
        check(c.data, want, m: m, n: n, ldc: ldc, "C += 0.25 · [\(k) × \(m)]ᵀ·[\(k) × \(n)]")
    }
}

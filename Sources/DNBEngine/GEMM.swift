import CBLAS

/// Row-major C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C through OpenBLAS.
/// Every matrix product in dnb goes through here.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Rows of an [rows × k]·[k × n] product per call that keep M·N·K within OpenBLAS 0.3.21's limit for its
/// small-matrix kernels (10⁶), or nil when fewer than 32 rows fit (no gain there).
func smallKernelRows(n: Int, k: Int) -> Int? {
    let rows = 1_000_000 / max(1, n * k)
    return rows >= 32 ? rows : nil
}

/// A GEMM whose M dimension is split across the engine's threads, each
/// calling single-threaded OpenBLAS on its block of rows. With B untransposed each thread's rows go
/// in blocks for OpenBLAS's small-matrix kernels where they fit (`smallKernelRows`): a linear layer's
/// input gradient ([4096 × 192]·[192 × 64], one thread) 100 → 116 GFLOP/s; with Bᵀ those kernels were
/// slower (93 → 83 GFLOP/s), so it stays one call.
func parallelSgemm(transB: Bool = false, m: Int, n: Int, k: Int,
                   alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                   b: UnsafePointer<Float>, ldb: Int,
                   beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let ap = SendablePointer(UnsafeMutablePointer(mutating: a))
    let bp = SendablePointer(UnsafeMutablePointer(mutating: b))
    let cp = SendablePointer(c)
    parallelChunks(m, minimumPerThread: 64) { _, rows in
        let block = (transB ? nil : smallKernelRows(n: n, k: k)) ?? max(1, rows.count)
        for r0 in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
            sgemm(transB: transB, m: min(block, rows.upperBound - r0), n: n, k: k, alpha: alpha,
                  a: ap.p + r0 * lda, lda: lda, b: bp.p, ldb: ldb, beta: beta, c: cp.p + r0 * ldc, ldc: ldc)
        }
    }
}

/// C[M,N] = beta · C + alpha · A[K,M]ᵀ · B[K,N] with K in chunks sized for OpenBLAS's small-matrix
/// kernels, each chunk's product added to C in order: a linear layer's weight gradient ([192 × 64] over
/// 4096 rows, one thread) 98 → 113 GFLOP/s against one call, which runs the general kernel.
func sgemmATBInChunks(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let chunk = smallKernelRows(n: n, k: m) ?? max(1, k)
    for k0 in stride(from: 0, to: max(k, 1), by: chunk) {  // k = 0: one call, C = beta · C
        sgemm(transA: true, m: m, n: n, k: min(chunk, k - k0), alpha: alpha, a: a + k0 * lda, lda: lda,
              b: b + k0 * ldb, ldb: ldb, beta: k0 == 0 ? beta : 1, c: c, ldc: ldc)
    }
}

/// C[M,N] += alpha · A[K,M]ᵀ · B[K,N] with the long K dimension split across
/// threads (weight gradients: K is the number of rows in the batch). Each thread
/// sums into its own scratch; the partials are added in a fixed order so the
/// result does not depend on scheduling.
func parallelSgemmATB(m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      c: UnsafeMutablePointer<Float>, ldc: Int) {
    let threads = max(1, min(Engine.threads, k / 256))
    if threads == 1 {
        sgemmATBInChunks(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: c, ldc: ldc)
        return
    }
    let scratch = Tensor(uninitialized: [threads, m, n])
    let sp = SendablePointer(scratch.data)
    let ap = SendablePointer(UnsafeMutablePointer(mutating: a)), bp = SendablePointer(UnsafeMutablePointer(mutating: b))
    parallelFor(threads) { t in
        let lo = k * t / threads, hi = k * (t + 1) / threads
        sgemmATBInChunks(m: m, n: n, k: hi - lo, alpha: alpha, a: ap.p + lo * lda, lda: lda,
                         b: bp.p + lo * ldb, ldb: ldb, beta: 0, c: sp.p + t * m * n, ldc: n)
    }
    for t in 0..<threads {
        let part = sp.p + t * m * n
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] += part[i * n + j] } }
    }
}

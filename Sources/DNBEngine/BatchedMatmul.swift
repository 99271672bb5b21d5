import DNBSupport

/// Batched matrix product a[B, M, K] · b[B, K, N] → [B, M, N] (torch.bmm).
public func bmm(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try requireNonEmpty("bmm", a, b)
    try requireRank("bmm", a, 3, "left operand [B, M, K]")
    try requireRank("bmm", b, 3, "right operand [B, K, N]")
    guard a.shape[0] == b.shape[0], a.shape[2] == b.shape[1] else {
        throw EngineError.shapeMismatch(op: "bmm", detail: "\(describeShape(a.shape)) · \(describeShape(b.shape))")
    }
    let (batch, m, k, n) = (a.shape[0], a.shape[1], a.shape[2], b.shape[2])
    let out = Tensor(uninitialized: [batch, m, n])
    let ap = SendablePointer(a.data), bp = SendablePointer(b.data), op = SendablePointer(out.data)
    parallelFor(batch) { i in
        sgemm(m: m, n: n, k: k, a: ap.p + i * m * k, lda: k, b: bp.p + i * k * n, ldb: n, c: op.p + i * m * n, ldc: n)
    }
    record(out, inputs: [a, b]) { g in
        let gp = SendablePointer(g.data)
        let ga = a.requiresGrad ? SendablePointer(a.gradBuffer()) : nil
        let gb = b.requiresGrad ? SendablePointer(b.gradBuffer()) : nil
        parallelFor(batch) { i in
            if let ga {  // dA = dC · Bᵀ
                sgemm(transB: true, m: m, n: k, k: n, a: gp.p + i * m * n, lda: n, b: bp.p + i * k * n, ldb: n,
                      beta: 1, c: ga.p + i * m * k, ldc: k)
            }
            if let gb {  // dB = Aᵀ · dC
                sgemm(transA: true, m: k, n: n, k: m, a: ap.p + i * m * k, lda: k, b: gp.p + i * m * n, ldb: n,
                      beta: 1, c: gb.p + i * k * n, ldc: n)
            }
        }
    }
    return out
}

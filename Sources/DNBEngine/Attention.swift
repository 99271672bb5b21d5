import CRowKernels

/// Multi-head scaled dot-product attention on packed tokens:
/// q, k, v are [B, L, heads·D] (the outputs of to_q/to_k/to_v), and so is the result,
/// exactly `F.scaled_dot_product_attention` on the [B, heads, L, D] views.
///
/// Backward recomputes each head's probability matrix instead of keeping it:
/// at the tutorial's 16×16 resolution with 8 heads those matrices alone would
/// take over 1 GB for a batch of 128.
public func scaledDotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int) throws -> Tensor {
    try requireNonEmpty("attention", q, k, v)
    try requireRank("attention", q, 3, "query [B, L, heads·D]")
    try requireSameShape("attention", q, k)
    try requireSameShape("attention", q, v)
    let (b, l, width) = (q.shape[0], q.shape[1], q.shape[2])
    guard heads > 0, width % heads == 0 else {
        throw EngineError.invalidArgument(op: "attention", detail: "width \(width) does not split into \(heads) heads")
    }
    let d = width / heads
    let scale = 1 / Float(d).squareRoot()
    let out = Tensor(uninitialized: q.shape)
    let qp = SendablePointer(q.data), kp = SendablePointer(k.data), vp = SendablePointer(v.data)
    let op = SendablePointer(out.data)
    let tasks = b * heads
    parallelChunks(tasks) { _, range in
        guard !range.isEmpty else { return }
        let probs = Tensor(uninitialized: [l, l])
        for task in range {
            let offset = (task / heads) * l * width + (task % heads) * d
            attentionProbabilities(qp.p + offset, kp.p + offset, l: l, d: d, ld: width, scale: scale, into: probs.data)
            sgemm(m: l, n: d, k: l, a: probs.data, lda: l, b: vp.p + offset, ldb: width, c: op.p + offset, ldc: width)
        }
    }
    record(out, inputs: [q, k, v]) { g in
        let gp = SendablePointer(g.data)
        let dq = SendablePointer(q.gradBuffer()), dk = SendablePointer(k.gradBuffer()), dv = SendablePointer(v.gradBuffer())
        parallelChunks(tasks) { _, range in
            guard !range.isEmpty else { return }
            let probs = Tensor(uninitialized: [l, l]), dprobs = Tensor(uninitialized: [l, l])
            let p = probs.data, ds = dprobs.data
            for task in range {
                let offset = (task / heads) * l * width + (task % heads) * d
                attentionProbabilities(qp.p + offset, kp.p + offset, l: l, d: d, ld: width, scale: scale, into: p)
                // dV += Pᵀ · dO
                sgemm(transA: true, m: l, n: d, k: l, a: p, lda: l, b: gp.p + offset, ldb: width,
                      beta: 1, c: dv.p + offset, ldc: width)
                // dP = dO · Vᵀ, then dS = scale · P ⊙ (dP − rowsum(dP ⊙ P))
                sgemm(transB: true, m: l, n: l, k: d, a: gp.p + offset, lda: width, b: vp.p + offset, ldb: width,
                      c: ds, ldc: l)
                dnb_softmax_backward_rows(p, ds, l, l)
                // dQ += scale · dS · K ; dK += scale · dSᵀ · Q
                sgemm(m: l, n: d, k: l, alpha: scale, a: ds, lda: l, b: kp.p + offset, ldb: width,
                      beta: 1, c: dq.p + offset, ldc: width)
                sgemm(transA: true, m: l, n: d, k: l, alpha: scale, a: ds, lda: l, b: qp.p + offset, ldb: width,
                      beta: 1, c: dk.p + offset, ldc: width)
            }
        }
    }
    return out
}

/// P = softmax(scale · Q Kᵀ) for one head; Q and K rows are `ld` apart.
@inline(__always)
func attentionProbabilities(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, l: Int, d: Int, ld: Int,
                            scale: Float, into p: UnsafeMutablePointer<Float>) {
    sgemm(transB: true, m: l, n: l, k: d, a: q, lda: ld, b: k, ldb: ld, c: p, ldc: l)
    dnb_softmax_rows(p, l, l, scale)
}

import CRowKernels
import DNBSupport
import Synchronization

/// Which kernels `scaledDotProductAttention` runs.
enum AttentionPath: Sendable, Equatable {
    /// One C kernel per (batch, head): Qkᵀ, softmax and P·V row by row with Kᵀ and Vᵀ in L1
    /// (attention.c); backward recomputes P row by row from the saved log-sum-exp.
    case fused
    /// Per (batch, head) sgemm calls with a materialised [L, L] probability matrix: the reference.
    case gemm
}

extension Engine {
    private static let fusedAttentionSetting = Atomic<Int>(8)

    /// Head dimensions up to this run the fused attention kernel; larger ones the sgemm path.
    /// Measured (1 thread, B·heads = 256 at L = 256): fused 1.3–1.5× faster for D = 4 and 8,
    /// even at D = 16, 0.6× at D = 32 and 64, where OpenBLAS's register blocking wins.
    /// 0 always uses sgemm.
    public static var fusedAttentionMaxHeadDimension: Int {
        get { fusedAttentionSetting.load(ordering: .relaxed) }
        set { fusedAttentionSetting.store(max(0, newValue), ordering: .relaxed) }
    }
}

/// Multi-head scaled dot-product attention on packed tokens:
/// q, k, v are [B, L, heads·D] (the outputs of to_q/to_k/to_v), and so is the result,
/// exactly `F.scaled_dot_product_attention` on the [B, heads, L, D] views.
///
/// Small head dimensions (the tutorial's D = 8) run a fused kernel; see `AttentionPath`.
/// Neither path keeps the [B, heads, L, L] probabilities for backward: at the tutorial's
/// 16×16 resolution with 8 heads they alone would take over 1 GB for a batch of 128.
public func scaledDotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int) throws -> Tensor {
    let d = q.rank == 3 && heads > 0 ? q.shape[2] / heads : 0
    let path: AttentionPath = d <= Engine.fusedAttentionMaxHeadDimension ? .fused : .gemm
    return try scaledDotProductAttention(query: q, key: k, value: v, heads: heads, path: path)
}

/// The reference implementation (per-head sgemm, softmax, sgemm), kept for tests and comparisons.
public func scaledDotProductAttentionReference(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int) throws -> Tensor {
    try scaledDotProductAttention(query: q, key: k, value: v, heads: heads, path: .gemm)
}

func scaledDotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int,
                               path: AttentionPath) throws -> Tensor {
    try requireNonEmpty("attention", q, k, v)
    try requireRank("attention", q, 3, "query [B, L, heads·D]")
    try requireSameShape("attention", q, k)
    try requireSameShape("attention", q, v)
    let width = q.shape[2]
    guard heads > 0, width % heads == 0 else {
        throw EngineError.invalidArgument(op: "attention", detail: "width \(width) does not split into \(heads) heads")
    }
    switch path {
    case .fused: return fusedAttention(q, k, v, heads: heads)
    case .gemm: return gemmAttention(q, k, v, heads: heads)
    }
}

private func fusedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int) -> Tensor {
    let (b, l, width) = (q.shape[0], q.shape[1], q.shape[2])
    let d = width / heads
    let scale = 1 / Float(d).squareRoot()
    let out = Tensor(uninitialized: q.shape)
    // Per (batch, head, query) log2 Σ exp of the scaled scores: all backward needs to rebuild P.
    let lse = Tensor(uninitialized: [b * heads, l])
    let qp = SendablePointer(q.data), kp = SendablePointer(k.data), vp = SendablePointer(v.data)
    let op = SendablePointer(out.data), lp = SendablePointer(lse.data)
    let tasks = b * heads
    let scratchCount = dnb_attention_scratch_floats(l, d)
    parallelChunks(tasks) { _, range in
        guard !range.isEmpty else { return }
        let scratch = Tensor(uninitialized: [scratchCount])
        for task in range {
            let offset = (task / heads) * l * width + (task % heads) * d
            dnb_attention_forward(qp.p + offset, kp.p + offset, vp.p + offset, op.p + offset, lp.p + task * l,
                                  l, d, width, width, scale, scratch.data)
        }
    }
    // Backward reads the output itself (D_i = dO_i · O_i). Holding its storage, not the tensor,
    // avoids a reference cycle through `out.node`; the next layer (to_out) keeps it alive anyway.
    let saved = out.storage
    record(out, inputs: [q, k, v]) { g in
        let gp = SendablePointer(g.data), sp = SendablePointer(saved.pointer), lp = SendablePointer(lse.data)
        // The kernel takes one flag for all three: it writes when none has a gradient yet (the UNet's
        // case, no zero fill); otherwise the fresh ones are cleared and it adds (also when q, k or v are
        // one tensor: its second gradTarget finds the first's buffer).
        let targets = [q, k, v].map { $0.autograd.gradTarget() }
        let accumulate = targets.contains { $0.accumulate }
        if accumulate { for t in targets where !t.accumulate { t.pointer.update(repeating: 0, count: q.count) } }
        let (dq, dk, dv) = (SendablePointer(targets[0].pointer), SendablePointer(targets[1].pointer), SendablePointer(targets[2].pointer))
        parallelChunks(tasks) { _, range in
            guard !range.isEmpty else { return }
            let scratch = Tensor(uninitialized: [scratchCount])
            for task in range {
                let offset = (task / heads) * l * width + (task % heads) * d
                dnb_attention_backward(qp.p + offset, kp.p + offset, vp.p + offset, sp.p + offset, gp.p + offset,
                                       lp.p + task * l, dq.p + offset, dk.p + offset, dv.p + offset,
                                       l, d, width, width, scale, scratch.data, accumulate ? 1 : 0)
            }
        }
    }
    return out
}

/// Multi-head self-attention on packed projections, recorded: `qkv` is [B, L, 3·C] with q, k, v side by
/// side (`linear(x, weights: [W_q, W_k, W_v], …)`), the result [B, L, C] is what
/// `scaledDotProductAttention` gives on the three parts. The fused kernel reads q, k, v in place (row
/// stride 3·C) and backward writes their gradients into one packed gradient, which the projections'
/// backward then reads as one [rows, 3C] matrix. Every head size runs the fused kernel (its generic D is
/// correct but slower than sgemm above D = 16: callers with large heads use the unpacked form).
public func scaledDotProductAttention(packed qkv: Tensor, heads: Int) throws -> Tensor {
    try requireNonEmpty("attention", qkv)
    try requireRank("attention", qkv, 3, "packed q, k, v [B, L, 3·C]")
    guard qkv.shape[2] % 3 == 0 else {
        throw EngineError.shapeMismatch(op: "attention", detail: "packed q, k, v need 3·C columns, got \(describeShape(qkv.shape))")
    }
    let (b, l, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    guard heads > 0, width % heads == 0 else {
        throw EngineError.invalidArgument(op: "attention", detail: "width \(width) does not split into \(heads) heads")
    }
    let geometry = PackedAttention(b: b, l: l, width: width, heads: heads)
    let (d, ld, scale, tasks, scratchCount) = (geometry.d, 3 * width, geometry.scale, b * heads, geometry.scratchCount)
    let lse = Tensor(uninitialized: [b * heads, l])
    let out = geometry.forward(qkv.data, into: [b, l, width], lse: lse.data)
    let inOffset = geometry.inOffset, outOffset = geometry.outOffset
    let qp = SendablePointer(qkv.data)
    let saved = out.storage, meta = qkv.autograd  // as in fusedAttention: the output's storage, not the tensor
    record(out, inputs: [qkv]) { g in
        let gp = SendablePointer(g.data), sp = SendablePointer(saved.pointer), lp = SendablePointer(lse.data)
        let (target, accumulate) = meta.gradTarget()  // the kernel covers every column of q, k and v
        let dp = SendablePointer(target)
        parallelChunks(tasks) { _, range in
            guard !range.isEmpty else { return }
            let scratch = Tensor(uninitialized: [scratchCount])
            for task in range {
                let (i, o) = (inOffset(task), outOffset(task))
                let q = qp.p + i, dq = dp.p + i
                dnb_attention_backward(q, q + width, q + 2 * width, sp.p + o, gp.p + o, lp.p + task * l,
                                       dq, dq + width, dq + 2 * width, l, d, ld, width, scale, scratch.data,
                                       accumulate ? 1 : 0)
            }
        }
        withExtendedLifetime(qkv) {}
    }
    return out
}

/// The fused kernel over packed q, k, v ([B, L, 3·C], row stride 3·C) for every (image, head) task:
/// the forward of `scaledDotProductAttention(packed:)` and of `attentionInference(packed:)`.
struct PackedAttention {
    let b, l, width, heads: Int
    var d: Int { width / heads }
    var scale: Float { 1 / Float(d).squareRoot() }
    var scratchCount: Int { dnb_attention_scratch_floats(l, d) }
    /// Offsets of task (image i, head h) in the packed input and in the [B, L, C] output.
    func inOffset(_ task: Int) -> Int { (task / heads) * l * 3 * width + (task % heads) * d }
    func outOffset(_ task: Int) -> Int { (task / heads) * l * width + (task % heads) * d }

    /// The attention output, of `shape` ([B, L, C] or [B, …, C]); `lse` ([B·heads, L]) for backward, or nil.
    func forward(_ qkv: UnsafePointer<Float>, into shape: [Int], lse: UnsafeMutablePointer<Float>?) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let qp = SendablePointer(UnsafeMutablePointer(mutating: qkv)), op = SendablePointer(out.data)
        let lp = lse.map { SendablePointer($0) }
        let (l, d, width, scale, scratchCount) = (l, d, width, scale, scratchCount)
        parallelChunks(b * heads) { _, range in
            guard !range.isEmpty else { return }
            let scratch = Tensor(uninitialized: [scratchCount])
            for task in range {
                let q = qp.p + inOffset(task)
                dnb_attention_forward(q, q + width, q + 2 * width, op.p + outOffset(task), lp.map { $0.p + task * l },
                                      l, d, 3 * width, width, scale, scratch.data)
            }
        }
        return out
    }
}

/// Backward recomputes each head's probability matrix instead of keeping it.
private func gemmAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int) -> Tensor {
    let (b, l, width) = (q.shape[0], q.shape[1], q.shape[2])
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

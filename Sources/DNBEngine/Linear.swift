import DNBSupport

/// y = x · Wᵀ + b over the last dimension, PyTorch's `nn.Linear` with its
/// weight layout [out, in] (so diffusers' weights load as they are).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
    try linear(x, weights: [weight], biases: [bias])
}

/// x · [W₁; W₂; …]ᵀ + [b₁; b₂; …] (+ residual): the linear layers of `weights` ([outᵢ, in] each) side by
/// side, output [x.shape without its last, Σ outᵢ], recorded for backward. An attention block's q, k and v
/// projections are one GEMM forward ([rows, C]·[C, 3C]) and one each way in backward (dx with K = 3C,
/// written once; the weights' gradients as row blocks of one dYᵀ·x), instead of three of each. A `residual`
/// (the output's shape) is added as `add(linear(x), residual)` adds it, block by block after the GEMM: the
/// same floats without the add's pass, and the residual takes the incoming gradient as an add's operand does.
public func linear(_ x: Tensor, weights: [Tensor], biases: [Tensor?], residual: Tensor? = nil) throws -> Tensor {
    let out = try linearForward("linear", x, weights: weights, biases: biases, residual: residual)
    let inF = x.shape.last!, outF = out.shape.last!, rows = x.count / inF
    let residualMeta = residual?.autograd  // its values are not needed for backward
    record(out, inputs: [x] + weights + biases.compactMap { $0 } + (residual.map { [$0] } ?? [])) { g in
        // Last, when nothing here reads `g` any more: a residual without a gradient yet takes its storage.
        defer { if let residualMeta, residualMeta.requiresGrad { residualMeta.addGradient(g) } }
        if x.requiresGrad {
            // dx = dY · [W₁; W₂; …], the stacked [Σ out, in] weights (a copy only when there are several).
            let stacked = weights.count == 1 ? weights[0] : Tensor(uninitialized: [outF, inF])
            if weights.count > 1 {
                var row = 0
                for w in weights { (stacked.data + row * inF).update(from: w.data, count: w.count); row += w.shape[0] }
            }
            let (dx, accumulate) = x.autograd.gradTarget()
            parallelSgemm(m: rows, n: inF, k: outF, a: g.data, lda: outF, b: stacked.data, ldb: inF,
                          beta: accumulate ? 1 : 0, c: dx, ldc: inF)
        }
        var col = 0
        for (w, bias) in zip(weights, biases) {
            let n = w.shape[0]
            if w.requiresGrad {
                parallelSgemmATB(m: n, n: inF, k: rows, a: g.data + col, lda: outF, b: x.data, ldb: inF,
                                 c: w.gradBuffer(), ldc: inF)
            }
            if let bias, bias.requiresGrad { sumRows(g.data + col, rows: rows, cols: n, ld: outF, into: bias.gradBuffer()) }
            col += n
        }
    }
    return out
}

/// The forward pass of `linear` and `linearInference`, recording nothing: x · [W₁; W₂; …]ᵀ + [b₁; …]
/// (+ residual, added to each row block right after its GEMM, while it is in cache), with the shapes checked.
/// The weights are copied once per call into one transposed [in, Σ out] matrix (a few thousand floats):
/// with the [out, in] weights as a transposed GEMM operand OpenBLAS 0.3.21 runs its general kernel
/// (37 ms + packing per tutorial sampling step at batch 64), untransposed its small-matrix kernels (27–29 ms).
/// Rows go in blocks sized for those kernels.
func linearForward(_ op: String, _ x: Tensor, weights: [Tensor], biases: [Tensor?], residual: Tensor?) throws -> Tensor {
    guard !weights.isEmpty, biases.count == weights.count else {
        throw EngineError.invalidArgument(op: op, detail: "\(weights.count) weights and \(biases.count) biases")
    }
    try requireNonEmpty(op, x)
    for w in weights { try requireNonEmpty(op, w) }
    let inF = x.shape.last ?? 0
    for (w, bias) in zip(weights, biases) {
        try requireRank(op, w, 2, "weight [out, in]")
        guard w.shape[1] == inF else {
            throw EngineError.shapeMismatch(op: op, detail: "input \(describeShape(x.shape)) vs weight \(describeShape(w.shape))")
        }
        if let bias, bias.shape != [w.shape[0]] {
            throw EngineError.shapeMismatch(op: op, detail: "bias \(describeShape(bias.shape)) vs weight \(describeShape(w.shape))")
        }
    }
    let outF = weights.reduce(0) { $0 + $1.shape[0] }
    let outShape = Array(x.shape.dropLast()) + [outF]
    if let residual, residual.shape != outShape {
        throw EngineError.shapeMismatch(op: op, detail: "residual \(describeShape(residual.shape)) vs output \(describeShape(outShape))")
    }
    let w = Tensor(uninitialized: [inF, outF])
    let hasBias = biases.contains { $0 != nil }
    let bias: Tensor? = hasBias ? Tensor.zeros([outF]) : nil
    var col = 0
    for (wi, bi) in zip(weights, biases) {
        let n = wi.shape[0]
        for o in 0..<n { for i in 0..<inF { w.data[i * outF + col + o] = wi.data[o * inF + i] } }
        if let bi, let bias { (bias.data + col).update(from: bi.data, count: n) }
        col += n
    }
    let rows = x.count / inF
    let out = Tensor(uninitialized: outShape)
    let block = blockRows(n: outF, k: inF)
    let xp = SendablePointer(x.data), wp = SendablePointer(w.data), op = SendablePointer(out.data)
    let bp = bias.map { SendablePointer($0.data) }, rp = residual.map { SendablePointer($0.data) }
    parallelChunks(rows, minimumPerThread: block) { _, range in
        var r0 = range.lowerBound
        while r0 < range.upperBound {
            let m = min(block, range.upperBound - r0)
            let dst = op.p + r0 * outF
            if let bp { for r in 0..<m { (dst + r * outF).update(from: bp.p, count: outF) } }
            sgemm(m: m, n: outF, k: inF, a: xp.p + r0 * inF, lda: inF, b: wp.p, ldb: outF,
                  beta: bp == nil ? 0 : 1, c: dst, ldc: outF)
            // As add(linear(x), residual) adds them: output first.
            if let rp { let res = rp.p + r0 * outF; for i in 0..<(m * outF) { dst[i] = dst[i] + res[i] } }
            r0 += m
        }
    }
    withExtendedLifetime((w, bias)) {}
    return out
}

/// into[j] += Σ_r m[r·ld + j] for j < cols (bias gradients). Each thread sums its share of the rows in
/// blocks of 64 in float (a vectorised pass over the columns), each block's sums into double, so long
/// batches lose no precision; the threads' partials are added in thread order (deterministic for a given
/// thread count). The scalar all-double loop took 1–2 % of a tutorial training step.
func sumRows(_ m: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int? = nil, into: UnsafeMutablePointer<Float>) {
    let ld = ld ?? cols
    let threads = max(1, min(Engine.threads, rows / 1024))
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: threads * cols)
    partial.initialize(repeating: 0, count: threads * cols)
    defer { partial.deallocate() }
    let pp = SendablePointer(partial), mp = SendablePointer(UnsafeMutablePointer(mutating: m))
    parallelFor(threads) { t in
        accumulateRows(mp.p, (rows * t / threads)..<(rows * (t + 1) / threads), cols: cols, ld: ld, into: pp.p + t * cols)
    }
    for j in 0..<cols {
        var s = 0.0
        for t in 0..<threads { s += partial[t * cols + j] }
        into[j] += Float(s)
    }
}

/// acc[j] += Σ_{r ∈ rows} m[r·ld + j] for j < cols: in float over blocks of 64 rows (a vectorised pass over
/// the columns), each block's sums into double. The row sums of `sumRows` and `convImageSums`.
func accumulateRows(_ m: UnsafePointer<Float>, _ rows: Range<Int>, cols: Int, ld: Int, into acc: UnsafeMutablePointer<Double>) {
    let block = 64
    let f = UnsafeMutablePointer<Float>.allocate(capacity: cols)
    defer { f.deallocate() }
    var r = rows.lowerBound
    while r < rows.upperBound {
        f.initialize(repeating: 0, count: cols)
        for row in r..<min(r + block, rows.upperBound) {
            let src = m + row * ld
            for j in 0..<cols { f[j] += src[j] }
        }
        for j in 0..<cols { acc[j] += Double(f[j]) }
        r += block
    }
}

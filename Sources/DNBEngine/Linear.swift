import DNBSupport

/// y = x · Wᵀ + b over the last dimension, PyTorch's `nn.Linear` with its
/// weight layout [out, in] (so diffusers' weights load as they are).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
    try requireNonEmpty("linear", x, weight)
    try requireRank("linear", weight, 2, "weight [out, in]")
    let outF = weight.shape[0], inF = weight.shape[1]
    guard x.shape.last == inF else {
        throw EngineError.shapeMismatch(op: "linear", detail: "input \(describeShape(x.shape)) vs weight \(describeShape(weight.shape))")
    }
    if let bias, bias.shape != [outF] {
        throw EngineError.shapeMismatch(op: "linear", detail: "bias \(describeShape(bias.shape)) vs weight \(describeShape(weight.shape))")
    }
    let rows = x.count / inF
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outF])
    if let bias {
        for r in 0..<rows { (out.data + r * outF).update(from: bias.data, count: outF) }
    }
    parallelSgemm(transB: true, m: rows, n: outF, k: inF, a: x.data, lda: inF, b: weight.data, ldb: inF,
                  beta: bias == nil ? 0 : 1, c: out.data, ldc: outF)
    record(out, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        if x.requiresGrad {
            let (dx, accumulate) = x.autograd.gradTarget()
            parallelSgemm(m: rows, n: inF, k: outF, a: g.data, lda: outF, b: weight.data, ldb: inF,
                          beta: accumulate ? 1 : 0, c: dx, ldc: inF)
        }
        if weight.requiresGrad {
            parallelSgemmATB(m: outF, n: inF, k: rows, a: g.data, lda: outF, b: x.data, ldb: inF,
                             c: weight.gradBuffer(), ldc: inF)
        }
        if let bias, bias.requiresGrad { sumRows(g.data, rows: rows, cols: outF, into: bias.gradBuffer()) }
    }
    return out
}

/// into[j] += Σ_r m[r, j], in double so long batches do not lose precision.
func sumRows(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into: UnsafeMutablePointer<Float>) {
    var acc = [Double](repeating: 0, count: cols)
    acc.withUnsafeMutableBufferPointer { a in
        for r in 0..<rows {
            let row = m + r * cols
            for j in 0..<cols { a[j] += Double(row[j]) }
        }
    }
    for j in 0..<cols { into[j] += Float(acc[j]) }
}

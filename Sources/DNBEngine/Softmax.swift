import CRowKernels

/// Softmax over the last dimension.
public func softmax(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("softmax", x)
    let n = x.shape.last ?? 1, rows = x.count / n
    let out = x.copy()
    let op = SendablePointer(out.data)
    parallelChunks(rows, minimumPerThread: 64) { _, r in
        dnb_softmax_rows(op.p + r.lowerBound * n, r.count, n, 1)
    }
    record(out, inputs: [x]) { g in
        let scratch = g.copy()
        let sp = SendablePointer(scratch.data)
        parallelChunks(rows, minimumPerThread: 64) { _, r in
            dnb_softmax_backward_rows(op.p + r.lowerBound * n, sp.p + r.lowerBound * n, r.count, n)
        }
        let gx = x.gradBuffer()
        for i in 0..<x.count { gx[i] += scratch.data[i] }
    }
    return out
}

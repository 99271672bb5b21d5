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
    // Backward reads the output, not the input; holding the storage (not the tensor) avoids a cycle through out's node.
    let xm = x.autograd, saved = out.storage
    record(out, inputs: [x]) { g in
        let op = SendablePointer(saved.pointer)
        let scratch = g.copy()
        let sp = SendablePointer(scratch.data)
        parallelChunks(rows, minimumPerThread: 64) { _, r in
            dnb_softmax_backward_rows(op.p + r.lowerBound * n, sp.p + r.lowerBound * n, r.count, n)
        }
        let gx = xm.gradBuffer()
        for i in 0..<scratch.count { gx[i] += scratch.data[i] }
    }
    return out
}

import CRowKernels

/// SiLU (x · sigmoid(x)), the UNet's only activation.
public func silu(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("silu", x)
    let out = Tensor(uninitialized: x.shape)
    let o = SendablePointer(out.data), xp = SendablePointer(x.data)
    parallelChunks(x.count, minimumPerThread: 1 << 15) { _, r in
        dnb_silu(xp.p + r.lowerBound, o.p + r.lowerBound, r.count)
    }
    record(out, inputs: [x]) { g in
        let (target, acc) = x.autograd.gradTarget()
        let gx = SendablePointer(target), gp = SendablePointer(g.data)
        parallelChunks(x.count, minimumPerThread: 1 << 15) { _, r in
            dnb_silu_backward(xp.p + r.lowerBound, gp.p + r.lowerBound, gx.p + r.lowerBound, r.count, acc ? 1 : 0)
        }
    }
    return out
}

/// ReLU, max(x, 0) elementwise. The backward pass passes the gradient where the output is positive
/// (at x = 0 it passes none, PyTorch's convention).
public func relu(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("relu", x)
    let out = Tensor(uninitialized: x.shape)
    let o = SendablePointer(out.data), xp = SendablePointer(x.data)
    parallelChunks(x.count, minimumPerThread: 1 << 15) { _, r in
        for i in r { o.p[i] = xp.p[i] > 0 ? xp.p[i] : (xp.p[i].isNaN ? xp.p[i] : 0) }
    }
    // Backward reads the output's sign; holding its storage (not the tensor) avoids a cycle through out's node.
    let xm = x.autograd, saved = out.storage
    record(out, inputs: [x]) { g in
        let gx = xm.gradBuffer(), y = saved.pointer
        for i in 0..<g.count where y[i] > 0 { gx[i] += g.data[i] }
    }
    return out
}

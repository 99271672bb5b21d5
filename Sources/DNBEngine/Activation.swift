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
        let gx = SendablePointer(x.gradBuffer()), gp = SendablePointer(g.data)
        parallelChunks(x.count, minimumPerThread: 1 << 15) { _, r in
            dnb_silu_backward(xp.p + r.lowerBound, gp.p + r.lowerBound, gx.p + r.lowerBound, r.count)
        }
    }
    return out
}

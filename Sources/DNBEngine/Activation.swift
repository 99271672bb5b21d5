import Foundation

/// SiLU (x · sigmoid(x)), the UNet's only activation.
public func silu(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("silu", x)
    let out = Tensor(uninitialized: x.shape)
    let o = SendablePointer(out.data), xp = SendablePointer(x.data)
    parallelChunks(x.count, minimumPerThread: 1 << 15) { _, r in
        for i in r { let v = xp.p[i]; o.p[i] = v / (1 + expf(-v)) }
    }
    record(out, inputs: [x]) { g in
        let gx = SendablePointer(x.gradBuffer()), gp = SendablePointer(g.data)
        parallelChunks(x.count, minimumPerThread: 1 << 15) { _, r in
            for i in r { gx.p[i] += gp.p[i] * siluDerivative(xp.p[i]) }
        }
    }
    return out
}

@inline(__always)
func siluDerivative(_ v: Float) -> Float {
    let s = 1 / (1 + expf(-v))
    return s * (1 + v * (1 - s))
}

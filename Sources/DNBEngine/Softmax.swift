import Foundation

/// Softmax over the last dimension.
public func softmax(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("softmax", x)
    let n = x.shape.last ?? 1, rows = x.count / n
    let out = Tensor(uninitialized: x.shape)
    let xp = SendablePointer(x.data), op = SendablePointer(out.data)
    parallelChunks(rows, minimumPerThread: 64) { _, r in
        for i in r { softmaxRow(xp.p + i * n, op.p + i * n, n, scale: 1) }
    }
    record(out, inputs: [x]) { g in
        let gx = SendablePointer(x.gradBuffer()), gp = SendablePointer(g.data)
        parallelChunks(rows, minimumPerThread: 64) { _, r in
            for i in r { softmaxBackwardRow(op.p + i * n, gp.p + i * n, gx.p + i * n, n, accumulate: true) }
        }
    }
    return out
}

/// dst = softmax(scale · src) for one row; max-subtracted for stability.
@inline(__always)
func softmaxRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, scale: Float) {
    var m = -Float.infinity
    for j in 0..<n { m = max(m, src[j]) }
    var sum: Float = 0
    for j in 0..<n { let e = expf((src[j] - m) * scale); dst[j] = e; sum += e }
    let inv = 1 / sum
    for j in 0..<n { dst[j] *= inv }
}

/// dx (+)= p ⊙ (dy − ⟨dy, p⟩) for one row.
@inline(__always)
func softmaxBackwardRow(_ p: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                        _ n: Int, accumulate: Bool) {
    var dot: Float = 0
    for j in 0..<n { dot += dy[j] * p[j] }
    if accumulate { for j in 0..<n { dx[j] += p[j] * (dy[j] - dot) } }
    else { for j in 0..<n { dx[j] = p[j] * (dy[j] - dot) } }
}

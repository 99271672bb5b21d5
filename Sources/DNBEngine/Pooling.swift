import DNBSupport

/// Max pooling over NHWC tensors, PyTorch's `F.max_pool2d(x, kernel_size=k, stride=k)` (no padding,
/// floor mode: a last partial row or column is dropped). Layout: input [N, H, W, C] →
/// output [N, H/k, W/k, C]. The backward pass routes each output gradient to the position of its
/// window's maximum (the first one in row-major window order on ties, as PyTorch's CPU kernel).
public func maxPool2d(_ x: Tensor, kernel k: Int = 2) throws -> Tensor {
    try requireNonEmpty("max_pool2d", x)
    try requireRank("max_pool2d", x, 4, "input [N, H, W, C]")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    guard k >= 1 else { throw EngineError.invalidArgument(op: "max_pool2d", detail: "kernel \(k) must be ≥ 1") }
    let ho = h / k, wo = w / k
    guard ho > 0, wo > 0 else {
        throw EngineError.shapeMismatch(op: "max_pool2d", detail: "kernel \(k)×\(k) does not fit input \(describeShape(x.shape))")
    }
    let out = Tensor(uninitialized: [n, ho, wo, c])
    // Index into x of each output's maximum: what backward needs, 4 bytes per output.
    var argmax = [Int32](repeating: 0, count: out.count)
    argmax.withUnsafeMutableBufferPointer { am in
        let amp = SendablePointer(am.baseAddress!), xp = SendablePointer(x.data), op = SendablePointer(out.data)
        parallelChunks(n * ho, minimumPerThread: 16) { _, rows in
            for row in rows { poolRow(row, xp.p, op.p, amp.p, h: h, w: w, c: c, k: k, ho: ho, wo: wo) }
        }
    }
    let xm = x.autograd
    record(out, inputs: [x]) { g in
        let gx = xm.gradBuffer()
        for i in 0..<g.count { gx[Int(argmax[i])] += g.data[i] }
    }
    return out
}

/// One output row (image `row / ho`, output y `row % ho`): every channel's maximum over each k×k window.
@inline(__always)
private func poolRow(_ row: Int, _ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                     _ argmax: UnsafeMutablePointer<Int32>, h: Int, w: Int, c: Int, k: Int, ho: Int, wo: Int) {
    let img = row / ho, oy = row % ho
    for ox in 0..<wo {
        let o = (row * wo + ox) * c
        for ch in 0..<c {
            var best = -Float.infinity, bestIndex = -1
            for ky in 0..<k {
                for kx in 0..<k {
                    let i = ((img * h + oy * k + ky) * w + ox * k + kx) * c + ch
                    let v = x[i]
                    // NaN wins, as in PyTorch, so a NaN input is not silently pooled away.
                    if bestIndex < 0 || v > best || v.isNaN { best = v; bestIndex = i; if v.isNaN { break } }
                }
                if best.isNaN { break }
            }
            out[o + ch] = best
            argmax[o + ch] = Int32(bestIndex)
        }
    }
}

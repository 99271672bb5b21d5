/// Nearest-neighbour 2× upsampling of an NHWC tensor (diffusers' Upsample2D
/// interpolation before its convolution).
public func upsampleNearest2x(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("upsample_nearest", x)
    try requireRank("upsample_nearest", x, 4, "input [N, H, W, C]")
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let out = Tensor(uninitialized: [n, 2 * h, 2 * w, c])
    let xp = SendablePointer(x.data), op = SendablePointer(out.data)
    parallelFor(n * h) { row in
        let src = xp.p + row * w * c
        let dst0 = op.p + row * 4 * w * c, dst1 = dst0 + 2 * w * c
        for j in 0..<w {
            let s = src + j * c
            (dst0 + 2 * j * c).update(from: s, count: c)
            (dst0 + (2 * j + 1) * c).update(from: s, count: c)
        }
        dst1.update(from: dst0, count: 2 * w * c)
    }
    let xm = x.autograd  // the values are not needed for backward
    record(out, inputs: [x]) { g in
        let (target, acc) = xm.gradTarget()
        let gx = SendablePointer(target), gp = SendablePointer(g.data)
        parallelFor(n * h) { row in
            let dst = gx.p + row * w * c
            let src0 = gp.p + row * 4 * w * c, src1 = src0 + 2 * w * c
            for j in 0..<w {
                for ch in 0..<c {
                    let sum = src0[2 * j * c + ch] + src0[(2 * j + 1) * c + ch] + src1[2 * j * c + ch] + src1[(2 * j + 1) * c + ch]
                    dst[j * c + ch] = acc ? dst[j * c + ch] + sum : sum
                }
            }
        }
    }
    return out
}

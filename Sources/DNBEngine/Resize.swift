/// Bilinear resize of an NHWC tensor with PyTorch's align_corners=False rule
/// (source = (dst + ½)·in/out − ½, clamped at 0), as `F.interpolate(mode="bilinear")`.
/// For upsampling this is also what torchvision's `Resize` computes; no gradient.
public func resizeBilinear(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
    try requireNonEmpty("resize", x)
    try requireRank("resize", x, 4, "input [N, H, W, C]")
    guard height > 0, width > 0 else {
        throw EngineError.invalidArgument(op: "resize", detail: "target size \(height)×\(width) must be positive")
    }
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let out = Tensor(uninitialized: [n, height, width, c])
    let ys = bilinearTaps(input: h, output: height), xs = bilinearTaps(input: w, output: width)
    for img in 0..<n {
        let src = x.data + img * h * w * c, dst = out.data + img * height * width * c
        for oy in 0..<height {
            let (y0, y1, ly) = ys[oy]
            for ox in 0..<width {
                let (x0, x1, lx) = xs[ox]
                for ch in 0..<c {
                    let top = (1 - lx) * src[(y0 * w + x0) * c + ch] + lx * src[(y0 * w + x1) * c + ch]
                    let bottom = (1 - lx) * src[(y1 * w + x0) * c + ch] + lx * src[(y1 * w + x1) * c + ch]
                    dst[(oy * width + ox) * c + ch] = (1 - ly) * top + ly * bottom
                }
            }
        }
    }
    return out
}

/// (i0, i1, λ) per output index, in float32 like PyTorch's CPU kernel.
func bilinearTaps(input: Int, output: Int) -> [(Int, Int, Float)] {
    let scale = Float(input) / Float(output)
    return (0..<output).map { o in
        let src = max(0, (Float(o) + 0.5) * scale - 0.5)
        let i0 = min(Int(src), input - 1)
        let i1 = min(i0 + 1, input - 1)
        return (i0, i1, src - Float(i0))
    }
}

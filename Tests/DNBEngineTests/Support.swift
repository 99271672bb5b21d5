import DNBEngine

/// Standard normal values from dnb's generator, times `scale`.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let t = rng.normalTensor(shape)
    if scale != 1 { for i in 0..<t.count { t.data[i] *= scale } }
    return t
}

/// max |a − b| / max |b|: the error of `a` relative to the largest value of the reference `b`.
func relError(_ a: Tensor, _ b: Tensor) -> Float {
    var maxDiff: Float = 0, maxRef: Float = 0
    for i in 0..<a.count {
        maxDiff = max(maxDiff, abs(a.data[i] - b.data[i]))
        maxRef = max(maxRef, abs(b.data[i]))
    }
    return maxDiff / max(maxRef, 1e-30)
}

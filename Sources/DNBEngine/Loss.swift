/// Mean of all elements, as a one-element tensor (accumulated in double).
public func mean(_ x: Tensor) throws -> Tensor {
    try requireNonEmpty("mean", x)
    let n = x.count
    var s = 0.0
    for i in 0..<n { s += Double(x.data[i]) }
    let out = try Tensor(shape: [], scalars: [Float(s / Double(n))])
    let xm = x.autograd
    record(out, inputs: [x]) { g in
        let gx = xm.gradBuffer(), v = g.data[0] / Float(n)
        for i in 0..<n { gx[i] += v }
    }
    return out
}

/// Mean squared error over all elements, PyTorch's `F.mse_loss(prediction, target)`.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) throws -> Tensor {
    try requireSameShape("mse_loss", prediction, target)
    try requireNonEmpty("mse_loss", prediction)
    let n = prediction.count, p = prediction.data, t = target.data
    var s = 0.0
    for i in 0..<n { let d = Double(p[i] - t[i]); s += d * d }
    let out = try Tensor(shape: [], scalars: [Float(s / Double(n))])
    record(out, inputs: [prediction, target]) { g in
        let k = 2 * g.data[0] / Float(n)
        if prediction.requiresGrad {
            let gp = prediction.gradBuffer()
            for i in 0..<n { gp[i] += k * (p[i] - t[i]) }
        }
        if target.requiresGrad {
            let gt = target.gradBuffer()
            for i in 0..<n { gt[i] -= k * (p[i] - t[i]) }
        }
    }
    return out
}

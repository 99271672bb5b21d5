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

/// Mean squared error with one weight per sample (first dimension): the mean over each sample's elements,
/// times its weight, averaged over the batch — `(F.mse_loss(p, t, reduction="none").mean(dims) * w).mean()`,
/// as diffusers' training scripts weight the loss by timestep (min-SNR-γ).
public func mseLoss(_ prediction: Tensor, _ target: Tensor, sampleWeights weights: [Float]) throws -> Tensor {
    try weightedMSE(prediction, target, weights)
}

/// Mean squared error over all elements, PyTorch's `F.mse_loss(prediction, target)`.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) throws -> Tensor {
    try weightedMSE(prediction, target, nil)
}

/// Without weights the whole tensor is one sample of weight 1: the same sums, in the same order, as an
/// unweighted MSE.
private func weightedMSE(_ prediction: Tensor, _ target: Tensor, _ weights: [Float]?) throws -> Tensor {
    try requireSameShape("mse_loss", prediction, target)
    try requireNonEmpty("mse_loss", prediction)
    let count = weights == nil ? 1 : prediction.shape[0]
    if let weights, weights.count != count {
        throw EngineError.invalidArgument(op: "mse_loss", detail: "\(weights.count) sample weights for \(count) samples")
    }
    let per = prediction.count / count, p = prediction.data, t = target.data
    var s = 0.0
    for n in 0..<count {
        var sample = 0.0
        for i in n * per..<(n + 1) * per { let d = Double(p[i] - t[i]); sample += d * d }
        s += Double(weights?[n] ?? 1) * sample
    }
    let out = try Tensor(shape: [], scalars: [Float(s / Double(count * per))])
    record(out, inputs: [prediction, target]) { g in
        let scale = 2 * g.data[0] / Float(count * per)
        for n in 0..<count {
            let k = scale * (weights?[n] ?? 1)
            if prediction.requiresGrad {
                let gp = prediction.gradBuffer()
                for i in n * per..<(n + 1) * per { gp[i] += k * (p[i] - t[i]) }
            }
            if target.requiresGrad {
                let gt = target.gradBuffer()
                for i in n * per..<(n + 1) * per { gt[i] -= k * (p[i] - t[i]) }
            }
        }
    }
    return out
}

import Foundation

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

/// Cross-entropy of logits [N, C] against class indices, averaged over the batch: PyTorch's
/// `F.cross_entropy(logits, labels)` (log-softmax and negative log-likelihood in one, computed in
/// double with the row maximum subtracted, so large logits do not overflow). Backward:
/// ∂L/∂logits = (softmax(logits) − onehot(label)) / N.
public func crossEntropy(_ logits: Tensor, labels: [Int]) throws -> Tensor {
    try requireNonEmpty("cross_entropy", logits)
    try requireRank("cross_entropy", logits, 2, "logits [N, C]")
    let n = logits.shape[0], c = logits.shape[1]
    guard labels.count == n else {
        throw EngineError.shapeMismatch(op: "cross_entropy", detail: "\(labels.count) labels for \(n) rows of logits")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
        throw EngineError.invalidArgument(op: "cross_entropy", detail: "label \(bad) is outside 0..<\(c) classes")
    }
    let probabilities = Tensor(uninitialized: [n, c])
    var total = 0.0
    for r in 0..<n {
        let row = logits.data + r * c, p = probabilities.data + r * c
        var top = -Double.infinity
        for j in 0..<c { top = max(top, Double(row[j])) }
        var z = 0.0
        for j in 0..<c { z += exp(Double(row[j]) - top) }
        for j in 0..<c { p[j] = Float(exp(Double(row[j]) - top) / z) }
        total += top + log(z) - Double(row[labels[r]])
    }
    let out = try Tensor(shape: [], scalars: [Float(total / Double(n))])
    let lm = logits.autograd
    record(out, inputs: [logits]) { g in
        let gl = lm.gradBuffer(), scale = g.data[0] / Float(n)
        for r in 0..<n {
            for j in 0..<c { gl[r * c + j] += scale * (probabilities.data[r * c + j] - (j == labels[r] ? 1 : 0)) }
        }
    }
    return out
}

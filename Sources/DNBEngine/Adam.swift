import Foundation
import DNBSupport

/// Adam with PyTorch's update (torch.optim.Adam, single-tensor path):
/// m ← lerp(m, g, 1−β1); v ← β2·v + (1−β2)·g²; p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε),
/// with L2 weight decay added to the gradient (not AdamW's decoupled decay).
public final class Adam {
    public let parameters: [Tensor]
    public var lr: Float
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public private(set) var step = 0
    /// First and second moments, one pair per parameter.
    public private(set) var moments: [(m: Tensor, v: Tensor)]

    public init(parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 0) {
        self.parameters = parameters
        self.lr = lr
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        moments = parameters.map { (Tensor.zeros($0.shape), Tensor.zeros($0.shape)) }
    }

    /// One update from the accumulated gradients; parameters without a gradient are skipped.
    public func update() {
        step += 1
        // The bias corrections are computed in double, as Python does for PyTorch.
        let bc1 = 1 - pow(Double(beta1), Double(step)), bc2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(lr) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let lerpWeight = 1 - beta1
        let (beta2, eps, weightDecay) = (beta2, eps, weightDecay)
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let m = SendablePointer(moments[i].m.data), v = SendablePointer(moments[i].v.data)
            let w = SendablePointer(p.data), gd = SendablePointer(g.data)
            // Elementwise: the same floats however the elements are split (small tensors stay on one thread).
            parallelChunks(p.count, minimumPerThread: 1 << 14) { _, range in
                for j in range {
                    var grad = gd.p[j]
                    if weightDecay != 0 { grad += weightDecay * w.p[j] }
                    m.p[j] += lerpWeight * (grad - m.p[j])
                    v.p[j] = v.p[j] * beta2 + (1 - beta2) * (grad * grad)
                    w.p[j] -= stepSize * (m.p[j] / (v.p[j].squareRoot() / bc2Sqrt + eps))
                }
            }
        }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Restores moments and step count (checkpoint resume).
    public func restore(step: Int, moments: [(m: Tensor, v: Tensor)]) throws {
        guard moments.count == parameters.count,
              zip(moments, parameters).allSatisfy({ $0.m.shape == $1.shape && $0.v.shape == $1.shape }) else {
            throw EngineError.shapeMismatch(op: "Adam.restore", detail: "optimizer state does not match the parameters")
        }
        self.step = step
        self.moments = moments
    }
}

/// average = decay · average + (1 − decay) · value, elementwise in place: one step of an exponential moving
/// average of weights. The same floats however the elements are split (small tensors stay on one thread).
public func updateMovingAverage(_ average: Tensor, toward value: Tensor, decay: Float) throws {
    guard average.shape == value.shape else {
        throw EngineError.shapeMismatch(op: "moving_average", detail: "\(describeShape(average.shape)) vs \(describeShape(value.shape))")
    }
    let s = SendablePointer(average.data), p = SendablePointer(value.data)
    parallelChunks(average.count, minimumPerThread: 1 << 14) { _, range in
        for i in range { s.p[i] = decay * s.p[i] + (1 - decay) * p.p[i] }
    }
}

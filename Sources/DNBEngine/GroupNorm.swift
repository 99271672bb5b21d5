import CRowKernels
import DNBSupport

/// Group normalisation over NHWC (or any [N, …, C]) tensors, PyTorch's
/// `nn.GroupNorm(groups, C, eps, affine=True)`, optionally followed by SiLU
/// in the same pass. The fused form keeps only the input and the per-group
/// statistics for backward; the normalised values are recomputed there,
/// which saves storing one activation per ResNet norm. The per-sample work is
/// in CRowKernels (vectorised over the contiguous channels).
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5,
                      fusedSiLU: Bool = false) throws -> Tensor {
    let norm = try GroupNormOp(x, groups: groups, weight: weight, bias: bias, eps: eps, silu: fusedSiLU)
    let out = Tensor(uninitialized: x.shape)
    let stats = norm.forward(into: out)
    record(out, inputs: [x] + [weight, bias].compactMap { $0 }) { grad in
        norm.backward(grad.data, stats: stats)  // the closure keeps the statistics alive until backward
    }
    return out
}

/// One group normalisation (+ SiLU) of x [N, …, C]: the checked geometry, and the forward and backward
/// passes that `groupNorm` records and `groupNormConv2d` runs again in its backward.
struct GroupNormOp {
    let x: Tensor, weight: Tensor?, bias: Tensor?
    let n, c, s, groups: Int
    let eps: Float, silu: Bool

    init(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, silu: Bool) throws {
        try requireNonEmpty("group_norm", x)
        guard x.rank >= 2 else {
            throw EngineError.shapeMismatch(op: "group_norm", detail: "expected [N, …, C], got \(describeShape(x.shape))")
        }
        let n = x.shape[0], c = x.shape[x.rank - 1]
        guard groups > 0, c % groups == 0 else {
            throw EngineError.invalidArgument(op: "group_norm", detail: "\(c) channels do not split into \(groups) groups")
        }
        for p in [weight, bias].compactMap({ $0 }) where p.shape != [c] {
            throw EngineError.shapeMismatch(op: "group_norm", detail: "affine parameter \(describeShape(p.shape)) vs \(c) channels")
        }
        (self.x, self.weight, self.bias) = (x, weight, bias)
        (self.n, self.c, self.s, self.groups, self.eps, self.silu) = (n, c, x.count / (n * c), groups, eps, silu)
    }

    /// Writes the normalised x into `out` (x's shape); returns the statistics, [N, groups, (mean, rstd)].
    func forward(into out: Tensor) -> Tensor {
        let stats = Tensor(uninitialized: [n, groups, 2])
        let (s, c, groups, eps) = (self.s, self.c, self.groups, self.eps), silu: Int32 = self.silu ? 1 : 0
        let xp = SendablePointer(x.data), op = SendablePointer(out.data), st = SendablePointer(stats.data)
        let gamma = weight.map { SendablePointer($0.data) }, beta = bias.map { SendablePointer($0.data) }
        parallelFor(n) { i in
            dnb_group_norm_forward(xp.p + i * s * c, s, c, groups, gamma?.p, beta?.p, eps, silu,
                                   op.p + i * s * c, st.p + i * groups * 2)
        }
        return stats
    }

    /// forward's output again from the statistics it returned: the same floats, one pass instead of three.
    func apply(into out: Tensor, stats: Tensor) {
        let (s, c, groups) = (self.s, self.c, self.groups), silu: Int32 = self.silu ? 1 : 0
        let xp = SendablePointer(x.data), op = SendablePointer(out.data), st = SendablePointer(stats.data)
        let gamma = weight.map { SendablePointer($0.data) }, beta = bias.map { SendablePointer($0.data) }
        parallelFor(n) { i in
            dnb_group_norm_apply(xp.p + i * s * c, s, c, groups, gamma?.p, beta?.p, silu, st.p + i * groups * 2, op.p + i * s * c)
        }
    }

    /// Pushes the output gradient `grad` back into x's, the weight's and the bias's gradients (those that want one).
    func backward(_ grad: UnsafePointer<Float>, stats: Tensor) {
        backward(UnsafeMutablePointer(mutating: grad), stats: stats, recomputing: nil)
    }

    /// `backward`, with `grad` (x's shape, a temporary of the caller's) overwritten, and the forward's output
    /// written into `output` again (the floats `apply` writes) in the same pass: for a norm → convolution
    /// pair's backward, which needs both, one SiLU per element instead of one for each and one pass over x fewer.
    func backwardRecomputing(_ grad: UnsafeMutablePointer<Float>, stats: Tensor, output: Tensor) {
        backward(grad, stats: stats, recomputing: output)
    }

    private func backward(_ grad: UnsafeMutablePointer<Float>, stats: Tensor, recomputing output: Tensor?) {
        let (n, s, c, groups) = (self.n, self.s, self.c, self.groups), silu: Int32 = self.silu ? 1 : 0
        let st = SendablePointer(stats.data), xp = SendablePointer(x.data)
        let gamma = weight.map { SendablePointer($0.data) }, beta = bias.map { SendablePointer($0.data) }
        let threads = max(1, min(Engine.threads, n))
        let partial = Tensor.zeros([threads, 2, c])  // per-thread dγ, dβ
        let pp = SendablePointer(partial.data), gp = SendablePointer(grad)
        let yp = output.map { SendablePointer($0.data) }
        let target = x.requiresGrad ? x.autograd.gradTarget() : nil
        let dxp = target.map { SendablePointer($0.pointer) }, accumulate: Int32 = target?.accumulate == false ? 0 : 1
        parallelFor(threads) { t in
            let scratch = yp == nil ? Tensor(uninitialized: [s, c]) : nil
            for i in (n * t / threads)..<(n * (t + 1) / threads) {
                let (o, dx, dgamma, dbeta) = (i * s * c, dxp.map { $0.p + i * s * c }, pp.p + t * 2 * c, pp.p + t * 2 * c + c)
                if let yp {
                    dnb_group_norm_backward_recomputing(xp.p + o, gp.p + o, s, c, groups, gamma?.p, beta?.p,
                                                        st.p + i * groups * 2, silu, dx, accumulate, dgamma, dbeta, yp.p + o)
                } else {
                    dnb_group_norm_backward(xp.p + o, gp.p + o, s, c, groups, gamma?.p, beta?.p, st.p + i * groups * 2,
                                            silu, dx, accumulate, dgamma, dbeta, scratch!.data)
                }
            }
        }
        for t in 0..<threads {
            if let weight, weight.requiresGrad { let g = weight.gradBuffer(); for ch in 0..<c { g[ch] += pp.p[t * 2 * c + ch] } }
            if let bias, bias.requiresGrad { let g = bias.gradBuffer(); for ch in 0..<c { g[ch] += pp.p[t * 2 * c + c + ch] } }
        }
    }
}

import DNBSupport

/// conv2d(groupNorm(x) [then SiLU]) — a ResNet block's norm → SiLU → convolution — recorded as one op
/// that keeps x and the group statistics for backward but not the normalised activation h.
///
/// Layout: x [N, H, W, Ci] NHWC, norm parameters [Ci], weight [KH, KW, Ci, Co] HWIO, out [N, Ho, Wo, Co].
/// Forward: h = GN(x) into a temporary, out = conv(h) + bias; h is released.
/// Backward: dh = conv's input gradient (a temporary, written not added), then group norm's backward from
/// dh into x, γ and β, which also writes h = GN(x) again from the saved statistics (the forward's floats,
/// in the same pass: one SiLU per element for both), then conv's weight and bias gradients from h. The
/// result and every gradient are the floats
/// `conv2d(groupNorm(x))` gives; what changes is memory: with groupNorm and conv2d recorded apart, the
/// graph holds x for the norm *and* h for the convolution until backward reaches them. At batch 128 the
/// tutorial UNet's norm → convolution pairs keep ~370 MB of such h, for one more group-norm forward each
/// in backward (bench/README.md).
///
/// `sampleBias` [N, Co] is added to every pixel of its image after the convolution's bias (a ResNet
/// block's projected time embedding, `h + temb[:, :, None, None]` in diffusers): in the output transform,
/// and its gradient and the bias's come from the per-image sums of the output gradient (on the Winograd
/// path a by-product of the weight gradient), instead of an add op with a pass of its own each way. The
/// output is the same floats as `add(conv, sampleBias.reshaped([N, 1, 1, Co]))`; the per-image bias's
/// gradient is the same sum in another order (within float rounding of the separate ops').
public func groupNormConv2d(_ x: Tensor, groups: Int, normWeight: Tensor?, normBias: Tensor?, eps: Float = 1e-5,
                            silu: Bool, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                            sampleBias: Tensor? = nil, residual: Tensor? = nil) throws -> Tensor {
    try groupNormConv2d(x, groups: groups, normWeight: normWeight, normBias: normBias, eps: eps, silu: silu,
                        weight: weight, bias: bias, stride: stride, padding: padding, sampleBias: sampleBias,
                        residual: residual, path: .fast)
}

/// `residual` (the output's shape; a ResNet block's shortcut) is added as `add(residual, conv)` adds it, in the
/// convolution's output transform: the same floats, without the add's pass over the output in forward and
/// its copy of the gradient in backward (the residual takes the incoming gradient itself, as an add's first
/// operand does).
func groupNormConv2d(_ x: Tensor, groups: Int, normWeight: Tensor?, normBias: Tensor?, eps: Float, silu: Bool,
                     weight: Tensor, bias: Tensor?, stride: Int, padding: Int, sampleBias: Tensor? = nil,
                     residual: Tensor? = nil, path: ConvPath) throws -> Tensor {
    let norm = try GroupNormOp(x, groups: groups, weight: normWeight, bias: normBias, eps: eps, silu: silu)
    let g = try convGeometry("group_norm_conv2d", x, weight: weight, bias: bias, stride: stride, padding: padding)
    if let sampleBias, sampleBias.shape != [g.n, g.co] {
        throw EngineError.shapeMismatch(op: "group_norm_conv2d", detail: "per-image bias \(describeShape(sampleBias.shape)) vs [\(g.n), \(g.co)]")
    }
    if let residual, residual.shape != [g.n, g.ho, g.wo, g.co] {
        throw EngineError.shapeMismatch(op: "group_norm_conv2d", detail: "residual \(describeShape(residual.shape)) vs output [\(g.n), \(g.ho), \(g.wo), \(g.co)]")
    }
    let out = Tensor(uninitialized: [g.n, g.ho, g.wo, g.co])
    let stats: Tensor
    do {
        let h = Tensor(uninitialized: x.shape)
        stats = norm.forward(into: h)
        convForward(g, h.data, weight.data, bias?.data, out.data, sampleBias: sampleBias?.data, residual: residual?.data, path: path)
    }
    let inputs = [x, weight] + [normWeight, normBias, bias, sampleBias, residual].compactMap { $0 }
    let residualMeta = residual?.autograd  // its values are not needed for backward
    record(out, inputs: inputs) { grad in
        // Last, when nothing here reads `grad` any more: a residual without a gradient yet takes its storage.
        defer { if let residualMeta, residualMeta.requiresGrad { residualMeta.addGradient(grad) } }
        let biases = ConvBiasGradients(bias: bias, sampleBias: sampleBias)
        let normWants = x.requiresGrad || normWeight?.requiresGrad == true || normBias?.requiresGrad == true
        guard normWants || weight.requiresGrad else {
            // Only biases: no h needed (the weight's gradient is not taken, so x is not read).
            return convParameterGradients(g, x.data, grad.data, weight: weight, biases: biases, path: path)
        }
        let h = Tensor(uninitialized: x.shape)
        if normWants {
            // dh first: group norm's backward then writes h as it goes (one SiLU per element for both).
            let dh = Tensor(uninitialized: x.shape)
            convInputGradient(g, weight.data, grad.data, dh.data, accumulate: false, path: path)
            norm.backwardRecomputing(dh.data, stats: stats, output: h)
        } else {
            norm.apply(into: h, stats: stats)
        }
        convParameterGradients(g, h.data, grad.data, weight: weight, biases: biases, path: path)
    }
    return out
}

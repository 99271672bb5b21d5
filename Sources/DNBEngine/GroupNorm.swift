import Foundation

/// Group normalisation over NHWC (or any [N, …, C]) tensors, PyTorch's
/// `nn.GroupNorm(groups, C, eps, affine=True)`, optionally followed by SiLU
/// in the same pass. The fused form keeps only the input and the per-group
/// statistics for backward; the normalised values are recomputed there,
/// which saves storing one activation per ResNet norm.
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5,
                      fusedSiLU: Bool = false) throws -> Tensor {
    try requireNonEmpty("group_norm", x)
    guard x.rank >= 2 else {
        throw EngineError.shapeMismatch(op: "group_norm", detail: "expected [N, …, C], got \(describe(x.shape))")
    }
    let n = x.shape[0], c = x.shape[x.rank - 1], s = x.count / (n * c)
    guard groups > 0, c % groups == 0 else {
        throw EngineError.invalidArgument(op: "group_norm", detail: "\(c) channels do not split into \(groups) groups")
    }
    for p in [weight, bias].compactMap({ $0 }) where p.shape != [c] {
        throw EngineError.shapeMismatch(op: "group_norm", detail: "affine parameter \(describe(p.shape)) vs \(c) channels")
    }
    let cg = c / groups
    let out = Tensor(uninitialized: x.shape)
    let stats = Tensor(uninitialized: [n, groups, 2])  // mean, rstd
    let xp = SendablePointer(x.data), op = SendablePointer(out.data), st = SendablePointer(stats.data)
    let gamma = weight.map { SendablePointer($0.data) }, beta = bias.map { SendablePointer($0.data) }

    parallelFor(n) { i in
        let xs = xp.p + i * s * c, ys = op.p + i * s * c
        var sum = [Float](repeating: 0, count: c)
        sum.withUnsafeMutableBufferPointer { acc in
            for p in 0..<s { let row = xs + p * c; for ch in 0..<c { acc[ch] += row[ch] } }
            var scaleC = [Float](repeating: 0, count: c), shiftC = [Float](repeating: 0, count: c)
            for g in 0..<groups {
                var m = 0.0
                for ch in (g * cg)..<((g + 1) * cg) { m += Double(acc[ch]) }
                let mean = Float(m / Double(s * cg))
                var v = 0.0
                for ch in (g * cg)..<((g + 1) * cg) {
                    var partial: Float = 0
                    for p in 0..<s { let d = xs[p * c + ch] - mean; partial += d * d }
                    v += Double(partial)
                }
                let rstd = Float(1 / (v / Double(s * cg) + Double(eps)).squareRoot())
                st.p[(i * groups + g) * 2] = mean
                st.p[(i * groups + g) * 2 + 1] = rstd
                for ch in (g * cg)..<((g + 1) * cg) {
                    let gm = gamma?.p[ch] ?? 1
                    scaleC[ch] = rstd * gm
                    shiftC[ch] = (beta?.p[ch] ?? 0) - mean * rstd * gm
                }
            }
            scaleC.withUnsafeBufferPointer { sc in shiftC.withUnsafeBufferPointer { sh in
                for p in 0..<s {
                    let row = xs + p * c, dst = ys + p * c
                    if fusedSiLU {
                        for ch in 0..<c { let v = row[ch] * sc[ch] + sh[ch]; dst[ch] = v / (1 + expf(-v)) }
                    } else {
                        for ch in 0..<c { dst[ch] = row[ch] * sc[ch] + sh[ch] }
                    }
                }
            } }
        }
    }

    record(out, inputs: [x] + [weight, bias].compactMap { $0 }) { grad in
        // Taken from `stats` here so the closure keeps the statistics alive until backward.
        let st = SendablePointer(stats.data)
        let threads = max(1, min(Engine.threads, n))
        let partial = Tensor.zeros([threads, 2, c])  // per-thread dγ, dβ
        let pp = SendablePointer(partial.data), gp = SendablePointer(grad.data)
        let dxp = x.requiresGrad ? SendablePointer(x.gradBuffer()) : nil
        parallelFor(threads) { t in
            let dgamma = pp.p + t * 2 * c, dbeta = dgamma + c
            let dyBuf = Tensor(uninitialized: [s, c])
            let dy = dyBuf.data
            var sdy = [Float](repeating: 0, count: c), sdyx = [Float](repeating: 0, count: c)
            for i in (n * t / threads)..<(n * (t + 1) / threads) {
                let xs = xp.p + i * s * c, gs = gp.p + i * s * c
                for ch in 0..<c { sdy[ch] = 0; sdyx[ch] = 0 }
                // Pass 1: gradient w.r.t. the affine output, and its channel sums.
                for p in 0..<s {
                    let row = xs + p * c, g = gs + p * c, d = dy + p * c
                    for ch in 0..<c {
                        let grp = ch / cg
                        let mean = st.p[(i * groups + grp) * 2], rstd = st.p[(i * groups + grp) * 2 + 1]
                        let xhat = (row[ch] - mean) * rstd
                        var v = g[ch]
                        if fusedSiLU { v *= siluDerivative(xhat * (gamma?.p[ch] ?? 1) + (beta?.p[ch] ?? 0)) }
                        d[ch] = v
                        sdy[ch] += v
                        sdyx[ch] += v * xhat
                    }
                }
                for ch in 0..<c { dbeta[ch] += sdy[ch]; dgamma[ch] += sdyx[ch] }
                guard let dxp else { continue }
                // Pass 2: dx = rstd · (γ·dy − mean(γ·dy) − x̂ · mean(γ·dy·x̂)) per group.
                for grp in 0..<groups {
                    let mean = st.p[(i * groups + grp) * 2], rstd = st.p[(i * groups + grp) * 2 + 1]
                    var a: Float = 0, b: Float = 0
                    for ch in (grp * cg)..<((grp + 1) * cg) {
                        let gm = gamma?.p[ch] ?? 1
                        a += gm * sdy[ch]; b += gm * sdyx[ch]
                    }
                    let m = Float(s * cg)
                    a /= m; b /= m
                    for p in 0..<s {
                        let row = xs + p * c, d = dy + p * c, out = dxp.p + i * s * c + p * c
                        for ch in (grp * cg)..<((grp + 1) * cg) {
                            let xhat = (row[ch] - mean) * rstd
                            out[ch] += rstd * ((gamma?.p[ch] ?? 1) * d[ch] - a - xhat * b)
                        }
                    }
                }
            }
        }
        for t in 0..<threads {
            if let weight, weight.requiresGrad { let g = weight.gradBuffer(); for ch in 0..<c { g[ch] += pp.p[t * 2 * c + ch] } }
            if let bias, bias.requiresGrad { let g = bias.gradBuffer(); for ch in 0..<c { g[ch] += pp.p[t * 2 * c + c + ch] } }
        }
    }
    return out
}

/// The fast path's im2col + sgemm for the convolutions Winograd does not take (stride 2,
/// 1×1, other kernels): the same algorithm as the reference, but the GEMMs run on blocks
/// of output rows small enough (M·N·K ≤ 10⁶) for OpenBLAS 0.3.21's small-matrix kernels,
/// and the patches of one block are built just before its GEMM, so they stay in L1/L2.
/// Measured 25–60 % faster than 4096-row GEMMs for N = 32–96 outputs (bench/README.md).

/// Rows per GEMM call for an [rows × k]·[k × n] product (forward, weight gradient): the most
/// that keeps M·N·K within OpenBLAS's small-matrix limit, or 256 when even 32 rows exceed it
/// (no gain there; the blocks then only keep a block's patches in cache).
func blockRows(n: Int, k: Int) -> Int { smallKernelRows(n: n, k: k) ?? 256 }

/// Rows per block of the input gradient's dy·wᵀ GEMMs: their transposed-B small-matrix kernel
/// measured no faster, so blocks only keep the [rows × width] result within ~512 KB of L2.
func inputGradientBlockRows(width: Int) -> Int { max(64, (128 << 10) / max(1, width)) }

/// Patch rows for global output rows [first, first + count): cols[row, (ky, kx, c)].
func im2colRows(_ g: ConvGeometry, _ src: UnsafePointer<Float>, first: Int, count: Int, into cols: UnsafeMutablePointer<Float>) {
    let c = g.ci, k = g.k, perImage = g.ho * g.wo
    var img = first / perImage
    let rest = first - img * perImage
    var oy = rest / g.wo, ox = rest - oy * g.wo
    for r in 0..<count {
        var dst = cols + r * k
        let base = src + img * g.h * g.w * c
        for ky in 0..<g.kh {
            let iy = oy * g.stride - g.pad + ky
            if iy < 0 || iy >= g.h { dst.update(repeating: 0, count: g.kw * c); dst += g.kw * c; continue }
            for kx in 0..<g.kw {
                let ix = ox * g.stride - g.pad + kx
                if ix < 0 || ix >= g.w { dst.update(repeating: 0, count: c) }
                else { dst.update(from: base + (iy * g.w + ix) * c, count: c) }
                dst += c
            }
        }
        ox += 1
        if ox == g.wo { ox = 0; oy += 1; if oy == g.ho { oy = 0; img += 1 } }
    }
}

/// The adjoint of im2colRows: adds the patch rows back onto dx.
func col2imAddRows(_ g: ConvGeometry, _ cols: UnsafePointer<Float>, first: Int, count: Int, into dx: UnsafeMutablePointer<Float>) {
    let c = g.ci, k = g.k, perImage = g.ho * g.wo
    var img = first / perImage
    let rest = first - img * perImage
    var oy = rest / g.wo, ox = rest - oy * g.wo
    for r in 0..<count {
        var s = cols + r * k
        let base = dx + img * g.h * g.w * c
        for ky in 0..<g.kh {
            let iy = oy * g.stride - g.pad + ky
            if iy < 0 || iy >= g.h { s += g.kw * c; continue }
            for kx in 0..<g.kw {
                let ix = ox * g.stride - g.pad + kx
                if ix >= 0 && ix < g.w {
                    let d = base + (iy * g.w + ix) * c
                    for j in 0..<c { d[j] += s[j] }
                }
                s += c
            }
        }
        ox += 1
        if ox == g.wo { ox = 0; oy += 1; if oy == g.ho { oy = 0; img += 1 } }
    }
}

/// out = conv(x, w) + bias: output rows split evenly across threads, GEMMs in small row blocks.
func im2colForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, block: Int? = nil) {
    let block = block ?? blockRows(n: g.co, k: g.k)
    let xp = SendablePointer(UnsafeMutablePointer(mutating: x)), wp = SendablePointer(UnsafeMutablePointer(mutating: wt))
    let op = SendablePointer(out), bp = bias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
    parallelChunks(g.rows, minimumPerThread: block) { _, rows in
        guard !rows.isEmpty else { return }
        let scratch = g.isPointwise ? nil : Tensor(uninitialized: [block, g.k])
        var r0 = rows.lowerBound
        while r0 < rows.upperBound {
            let m = min(block, rows.upperBound - r0)
            let dst = op.p + r0 * g.co
            if let bp { for r in 0..<m { (dst + r * g.co).update(from: bp.p, count: g.co) } }
            let a: UnsafePointer<Float>
            if let scratch {
                im2colRows(g, xp.p, first: r0, count: m, into: scratch.data)
                a = UnsafePointer(scratch.data)
            } else {
                a = UnsafePointer(xp.p + r0 * g.ci)
            }
            sgemm(m: m, n: g.co, k: g.k, a: a, lda: g.k, b: wp.p, ldb: g.co, beta: bp == nil ? 0 : 1, c: dst, ldc: g.co)
            r0 += m
        }
    }
}

/// dw += ∂L/∂w: one partial per thread over its rows (summed in thread order: deterministic for a
/// given thread count), transposed GEMMs in small row blocks.
func im2colWeightGradient(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ grad: UnsafePointer<Float>,
                          _ dw: UnsafeMutablePointer<Float>, block: Int? = nil) {
    let block = block ?? blockRows(n: g.co, k: g.k)
    let threads = max(1, min(Engine.threads, g.rows / block))
    let partials = Tensor.zeros([threads, g.k, g.co])
    let pp = SendablePointer(partials.data)
    let xp = SendablePointer(UnsafeMutablePointer(mutating: x)), gp = SendablePointer(UnsafeMutablePointer(mutating: grad))
    parallelFor(threads) { t in
        let lo = g.rows * t / threads, hi = g.rows * (t + 1) / threads
        let scratch = g.isPointwise ? nil : Tensor(uninitialized: [block, g.k])
        var r0 = lo
        while r0 < hi {
            let m = min(block, hi - r0)
            let a: UnsafePointer<Float>
            if let scratch {
                im2colRows(g, xp.p, first: r0, count: m, into: scratch.data)
                a = UnsafePointer(scratch.data)
            } else {
                a = UnsafePointer(xp.p + r0 * g.ci)
            }
            sgemm(transA: true, m: g.k, n: g.co, k: m, a: a, lda: g.k, b: gp.p + r0 * g.co, ldb: g.co,
                  beta: 1, c: pp.p + t * g.k * g.co, ldc: g.co)
            r0 += m
        }
    }
    let size = g.k * g.co
    for t in 0..<threads { let p = pp.p + t * size; for i in 0..<size { dw[i] += p[i] } }
}

/// dx (= or +=) ∂L/∂x. Pointwise: dx (+)= dy·wᵀ in row blocks. Otherwise the patch gradients dy·wᵀ
/// of a row block are added back with col2im; threads own whole images, whose pixels no
/// other thread's patches touch (and which each thread clears first when not accumulating).
func im2colInputGradient(_ g: ConvGeometry, _ wt: UnsafePointer<Float>, _ grad: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, accumulate: Bool = true, block: Int? = nil) {
    let gp = SendablePointer(UnsafeMutablePointer(mutating: grad)), dxp = SendablePointer(dx)
    let wp = SendablePointer(UnsafeMutablePointer(mutating: wt))
    if g.isPointwise {
        let block = block ?? inputGradientBlockRows(width: g.ci)
        parallelChunks(g.rows, minimumPerThread: block) { _, rows in
            var r0 = rows.lowerBound
            while r0 < rows.upperBound {
                let m = min(block, rows.upperBound - r0)
                sgemm(transB: true, m: m, n: g.ci, k: g.co, a: gp.p + r0 * g.co, lda: g.co, b: wp.p, ldb: g.co,
                      beta: accumulate ? 1 : 0, c: dxp.p + r0 * g.ci, ldc: g.ci)
                r0 += m
            }
        }
        return
    }
    let block = block ?? inputGradientBlockRows(width: g.k), perImage = g.ho * g.wo
    parallelChunks(g.n) { _, images in
        guard !images.isEmpty else { return }
        if !accumulate {
            (dxp.p + images.lowerBound * g.h * g.w * g.ci).update(repeating: 0, count: images.count * g.h * g.w * g.ci)
        }
        let scratch = Tensor(uninitialized: [block, g.k])
        var r0 = images.lowerBound * perImage
        let end = images.upperBound * perImage
        while r0 < end {
            let m = min(block, end - r0)
            sgemm(transB: true, m: m, n: g.k, k: g.co, a: gp.p + r0 * g.co, lda: g.co, b: wp.p, ldb: g.co,
                  beta: 0, c: scratch.data, ldc: g.k)
            col2imAddRows(g, scratch.data, first: r0, count: m, into: dxp.p)
            r0 += m
        }
    }
}

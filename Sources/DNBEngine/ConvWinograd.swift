import CKernels
import Synchronization

/// Winograd F(m×m, 3×3) convolution for stride-1, pad-1, 3×3 convolutions (NHWC, HWIO).
///
/// The output is cut into m×m tiles; each tile reads an α×α input tile (α = m + 2).
/// Per chunk of tiles:
///   V[ξ][t][ci] = (Bᵀ d_t B)[ξ]            input transform, ξ = one of the α² positions
///   M[ξ] = V[ξ] · U[ξ]                      α² GEMMs [tiles × Ci]·[Ci × Co] through cblas_sgemm
///   y_t = Aᵀ M_t A (+ bias)                 output transform
/// with U[ξ] = (G g Gᵀ)[ξ] per (ci, co), computed once per call.
///
/// - Input gradient: the convolution of the output gradient with the spatially
///   flipped, transposed kernel — the same code with U of that kernel.
/// - Weight gradient: dU[ξ] = Σ_t V[ξ][t]ᵀ · Ŷ[ξ][t] with Ŷ_t = A dy_t Aᵀ, then
///   dg = Gᵀ dU G (the adjoint of U = G g Gᵀ).
///
/// m = 4 (F(4,3), α = 6) is the default: it does 4× fewer multiplications than direct
/// convolution instead of F(2,3)'s 2.25× (a training step −14 %, a sampling run −12 %),
/// and its transforms' coefficients (up to 8 and 1/24) cost ~10× im2col's float32 error:
/// 1.5–2.6e-5 abs on O(1) outputs per convolution, 8e-6 on the whole tutorial UNet against
/// PyTorch, far below a training step's gradient noise (bench/README.md, "Numerical error").
/// m = 2 (F(2,3), α = 4) has transforms exact in binary (±1, ½) and im2col's error.
/// The tile transforms are C kernels (Sources/CKernels).
struct WinogradPlan {
    let m: Int
    var alpha: Int { m + 2 }
    var positions: Int { alpha * alpha }
    let n, h, w: Int
    let tilesH, tilesW: Int
    var tilesPerImage: Int { tilesH * tilesW }
    var tiles: Int { n * tilesPerImage }

    init(m: Int, n: Int, h: Int, w: Int) {
        self.m = m
        (self.n, self.h, self.w) = (n, h, w)
        tilesH = (h + m - 1) / m
        tilesW = (w + m - 1) / m
    }

    /// Tiles per chunk: the chunk's transformed operands (α²·T·(cin + cout) floats)
    /// take about `bytes`. Measured best: ~512 KB for the convolutions (GEMM K = cin),
    /// ~256 KB for the weight gradient (GEMM K = T), a quarter and an eighth of a
    /// core's L2; 1 MB and more ran 10–30 % slower.
    func tilesPerChunk(cin: Int, cout: Int, bytes: Int) -> Int {
        let perTile = positions * (cin + cout) * 4
        return max(16, min(tiles, bytes / perTile))
    }
}

extension Engine {
    /// F(4,3) unless DNB_WINOGRAD_TILE is 0 or 2 (for measuring the other settings in any command).
    private static let winogradSetting = Atomic<Int>(environmentSetting("DNB_WINOGRAD_TILE", allowed: [0, 2, 4]) ?? 4)

    /// The Winograd tile of stride-1 3×3 convolutions, in training and in the fused no-grad forward alike
    /// (so both give the same floats): 4 = F(4,3) (the default: ~30 % less convolution time than F(2,3),
    /// ~10× its float32 rounding error, ~2e-5 abs on O(1) outputs per convolution), 2 = F(2,3) (as
    /// accurate as im2col), 0 = im2col everywhere.
    public static var winogradTile: Int { winogradSetting.load(ordering: .relaxed) }

    /// Sets `winogradTile`; any other value than 0, 2 or 4 is an error (it selects kernels that exist only for those).
    public static func setWinogradTile(_ m: Int) throws {
        guard [0, 2, 4].contains(m) else {
            throw EngineError.invalidArgument(op: "winogradTile", detail: "must be 0 (im2col), 2 (F(2,3)) or 4 (F(4,3)), got \(m)")
        }
        winogradSetting.store(m, ordering: .relaxed)
    }
}

extension ConvGeometry {
    /// Geometries the Winograd path handles: 3×3, stride 1, padding 1.
    var isWinograd3x3: Bool { kh == 3 && kw == 3 && stride == 1 && pad == 1 }
}

// MARK: - Kernel transforms (once per call; ci·co·α² values).

/// U[ξ][ci][co] = (G g Gᵀ)[ξ] of the HWIO kernel `wt` ([3][3][ci][co]). With `forInputGradient`,
/// the kernel of the input gradient instead: the spatially flipped kernel
/// g'[ky][kx] = g[2 − ky][2 − kx], transposed to U[ξ][co][ci] so its GEMMs need no transposed operand.
/// The transform is a C kernel vectorised over the output channels (G g as columns, then · Gᵀ as
/// rows): in Swift, with a multiply-add per (ξ, tap) pair, it was 5.6 % of the quickstart's training
/// step (bench/README.md, session 9).
/// Inside a `KernelTransformCache` scope covering the weight, computed once per scope.
func winogradKernel(m: Int, _ wt: UnsafePointer<Float>, ci: Int, co: Int, forInputGradient: Bool = false) -> Tensor {
    guard let cache = KernelTransformCache.current else {
        return computeWinogradKernel(m: m, wt, ci: ci, co: co, forInputGradient: forInputGradient)
    }
    return cache.transform(wt, tile: m, inputGradient: forInputGradient) {
        computeWinogradKernel(m: m, wt, ci: ci, co: co, forInputGradient: forInputGradient)
    }
}

private func computeWinogradKernel(m: Int, _ wt: UnsafePointer<Float>, ci: Int, co: Int, forInputGradient: Bool) -> Tensor {
    let a = m + 2
    if forInputGradient {
        let flipped = Tensor(uninitialized: [9, co, ci])
        dnb_kernel_flip_transpose(wt, ci, co, flipped.data)
        return computeWinogradKernel(m: m, flipped.data, ci: co, co: ci, forInputGradient: false)
    }
    let u = Tensor(uninitialized: [a * a, ci, co])
    let up = SendablePointer(u.data), wp = SendablePointer(UnsafeMutablePointer(mutating: wt))
    // Split only from 32 K transformed floats a thread on: the quickstart's kernels (≤ 147 K floats) mostly stay on one.
    parallelChunks(ci, minimumPerThread: max(1, (1 << 15) / (a * a * co))) { _, range in
        if m == 2 { dnb_wino2_kernel(wp.p, ci, co, up.p, range.lowerBound, range.upperBound) }
        else { dnb_wino4_kernel(wp.p, ci, co, up.p, range.lowerBound, range.upperBound) }
    }
    return u
}

// MARK: - Drivers.

/// Per-worker scratch of the tile transforms: pointer tables and the zero / discard pixels they point at.
final class WinogradScratch {
    let plan: WinogradPlan
    let zeros: Tensor, discard: Tensor
    let inPtrs: UnsafeMutablePointer<UnsafePointer<Float>?>
    let outPtrs: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    let resPtrs: UnsafeMutablePointer<UnsafePointer<Float>?>
    /// The source is the nearest-neighbour 2× downscale of the convolution's input: pixel (y, x) of
    /// the input is pixel (y/2, x/2) of the source (Upsample2D without the upsampled copy).
    var upsampledSource = false

    init(plan: WinogradPlan, channels: Int) {
        self.plan = plan
        zeros = Tensor.zeros([channels])
        discard = Tensor.zeros([channels])
        inPtrs = .allocate(capacity: 36)
        outPtrs = .allocate(capacity: 16)
        resPtrs = .allocate(capacity: 16)
    }

    deinit {
        inPtrs.deallocate()
        outPtrs.deallocate()
        resPtrs.deallocate()
    }

    /// Pointers to the size×size pixels at (iy, ix) of `image` (c channels), the zero pixel outside it.
    /// In C: the same loop in Swift, with its overflow checks, was 3–4 % of the quickstart's training step.
    @inline(__always)
    func gather(_ image: UnsafePointer<Float>, c: Int, iy: Int, ix: Int, size: Int) {
        dnb_wino_gather(image, plan.h, plan.w, c, iy, ix, Int32(size), upsampledSource ? 1 : 0, zeros.data, inPtrs)
    }

    /// Pointers to the m×m output pixels at (y0, x0) of `image`, the discard pixel outside it.
    @inline(__always)
    func scatter(_ image: UnsafeMutablePointer<Float>, c: Int, y0: Int, x0: Int) {
        dnb_wino_scatter(image, plan.h, plan.w, c, y0, x0, Int32(plan.m), discard.data, outPtrs)
    }

    /// V[ξ·vs + c] = (Bᵀ d B)[ξ] of the α×α input tile at (iy, ix).
    @inline(__always)
    func inputTransform(_ image: UnsafePointer<Float>, c: Int, iy: Int, ix: Int, into v: UnsafeMutablePointer<Float>, vs: Int) {
        gather(image, c: c, iy: iy, ix: ix, size: plan.alpha)
        if plan.m == 2 { dnb_wino2_input(inPtrs, c, v, vs) } else { dnb_wino4_input(inPtrs, c, v, vs) }
    }

    /// Ŷ[ξ·vs + c] = (A y Aᵀ)[ξ] of the m×m output-gradient tile at (y0, x0).
    @inline(__always)
    func gradTransform(_ image: UnsafePointer<Float>, c: Int, y0: Int, x0: Int, into v: UnsafeMutablePointer<Float>, vs: Int) {
        gather(image, c: c, iy: y0, ix: x0, size: plan.m)
        if plan.m == 2 { dnb_wino2_grad(inPtrs, c, v, vs) } else { dnb_wino4_grad(inPtrs, c, v, vs) }
    }

    /// The output tile at (y0, x0) = residual + ((Aᵀ M A + bias) + sampleBias), written (inference;
    /// `residual` is an image of the output's shape or nil, `sampleBias` C floats).
    @inline(__always)
    func outputEpilogue(_ mm: UnsafePointer<Float>, ms: Int, c: Int, image: UnsafeMutablePointer<Float>,
                        residual: UnsafePointer<Float>?, y0: Int, x0: Int, bias: UnsafePointer<Float>,
                        sampleBias: UnsafePointer<Float>) {
        scatter(image, c: c, y0: y0, x0: x0)
        let m = plan.m, zero = UnsafePointer(zeros.data)
        if let residual {
            dnb_wino_gather(residual, plan.h, plan.w, c, y0, x0, Int32(m), 0, zero, resPtrs)
        } else {
            for k in 0..<(m * m) { resPtrs[k] = zero }
        }
        if m == 2 { dnb_wino2_output_epilogue(mm, ms, c, outPtrs, resPtrs, bias, sampleBias) }
        else { dnb_wino4_output_epilogue(mm, ms, c, outPtrs, resPtrs, bias, sampleBias) }
    }

    /// The output tile at (y0, x0) = Aᵀ M A + bias, written or added.
    @inline(__always)
    func outputTransform(_ mm: UnsafePointer<Float>, ms: Int, c: Int, image: UnsafeMutablePointer<Float>, y0: Int, x0: Int,
                         bias: UnsafePointer<Float>, accumulate: Bool) {
        scatter(image, c: c, y0: y0, x0: x0)
        if plan.m == 2 { dnb_wino2_output(mm, ms, c, outPtrs, bias, accumulate ? 1 : 0) }
        else { dnb_wino4_output(mm, ms, c, outPtrs, bias, accumulate ? 1 : 0) }
    }
}

/// The inference epilogue of `winogradConvolve`: a per-sample bias ([n][dstC]) and a residual
/// image ([n][h][w][dstC], may be `dst` itself), added in the output transform.
struct WinogradEpilogue {
    var sampleBias: UnsafePointer<Float>?
    var residual: UnsafePointer<Float>?
}

/// dst (= or +=) conv3×3(src, kernel) (+ bias): `u` is the transformed kernel, [α²][srcC][dstC].
/// With an `epilogue` (inference; `accumulate` false), dst = residual + ((conv + bias) + sampleBias[image]).
/// With `upsampledSource`, src is [n][h/2][w/2][srcC] and the convolution reads its nearest 2× upsampling.
func winogradConvolve(m: Int, n: Int, h: Int, w: Int, src: UnsafePointer<Float>, srcC: Int,
                      u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      dst: UnsafeMutablePointer<Float>, dstC: Int, accumulate: Bool, chunkTiles: Int? = nil,
                      epilogue: WinogradEpilogue? = nil, upsampledSource: Bool = false) {
    let plan = WinogradPlan(m: m, n: n, h: h, w: w)
    let chunk = chunkTiles.map { min($0, plan.tiles) } ?? plan.tilesPerChunk(cin: srcC, cout: dstC, bytes: 512 << 10)
    let pos = plan.positions
    let sp = SendablePointer(UnsafeMutablePointer(mutating: src)), dp = SendablePointer(dst)
    let upp = SendablePointer(UnsafeMutablePointer(mutating: u))
    let noBias = Tensor.zeros([dstC]), zp = SendablePointer(noBias.data)
    let bp = SendablePointer(UnsafeMutablePointer(mutating: bias ?? UnsafePointer(zp.p)))
    let sbp = epilogue?.sampleBias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
    let rp = epilogue?.residual.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
    let fused = epilogue != nil
    // Each thread takes an equal share of the tiles and cuts it into chunks: splitting whole chunks
    // instead left one thread a chunk more than the other (10–19 chunks at 8×8 and 16×16), ~1 % of a
    // training step with both cores waiting for it (bench/README.md).
    parallelChunks(plan.tiles, minimumPerThread: 16) { _, tileRange in
        guard !tileRange.isEmpty else { return }
        let vBuf = Tensor(uninitialized: [pos, chunk, srcC]), mBuf = Tensor(uninitialized: [pos, chunk, dstC])
        let scratch = WinogradScratch(plan: plan, channels: max(srcC, dstC))
        scratch.upsampledSource = upsampledSource
        let srcImage = upsampledSource ? (h / 2) * (w / 2) * srcC : h * w * srcC
        let v = vBuf.data, mm = mBuf.data
        for t0 in stride(from: tileRange.lowerBound, to: tileRange.upperBound, by: chunk) {
            let count = min(chunk, tileRange.upperBound - t0)
            for t in 0..<count {
                let (img, y0, x0) = plan.origin(t0 + t)
                scratch.inputTransform(sp.p + img * srcImage, c: srcC, iy: y0 - 1, ix: x0 - 1,
                                       into: v + t * srcC, vs: chunk * srcC)
            }
            for p in 0..<pos {
                sgemm(m: count, n: dstC, k: srcC, a: v + p * chunk * srcC, lda: srcC,
                      b: upp.p + p * srcC * dstC, ldb: dstC, c: mm + p * chunk * dstC, ldc: dstC)
            }
            for t in 0..<count {
                let (img, y0, x0) = plan.origin(t0 + t)
                if fused {
                    scratch.outputEpilogue(mm + t * dstC, ms: chunk * dstC, c: dstC, image: dp.p + img * h * w * dstC,
                                           residual: rp.map { UnsafePointer($0.p + img * h * w * dstC) }, y0: y0, x0: x0,
                                           bias: bp.p, sampleBias: sbp.map { UnsafePointer($0.p + img * dstC) } ?? UnsafePointer(zp.p))
                } else {
                    scratch.outputTransform(mm + t * dstC, ms: chunk * dstC, c: dstC, image: dp.p + img * h * w * dstC,
                                            y0: y0, x0: x0, bias: bp.p, accumulate: accumulate)
                }
            }
        }
    }
    withExtendedLifetime(noBias) {}  // zp points into it
}

/// dw += ∂L/∂w for a 3×3 stride-1 pad-1 convolution of x [n,h,w,ci] with output gradient dy [n,h,w,co].
/// With `imageSums`, also the per-image sums of dy written into it ([n][co], double): position (1,1) of a
/// tile's transformed gradient A·dy·Aᵀ is the plain sum of its m×m pixels (row 1 of A is all ones, for
/// m = 2 and 4), so the bias gradients cost a pass over 1/m² of dy's floats, already in cache.
func winogradWeightGradient(m: Int, n: Int, h: Int, w: Int, x: UnsafePointer<Float>, ci: Int,
                            dy: UnsafePointer<Float>, co: Int, dw: UnsafeMutablePointer<Float>,
                            imageSums: UnsafeMutablePointer<Double>? = nil, chunkTiles: Int? = nil) {
    let plan = WinogradPlan(m: m, n: n, h: h, w: w)
    let chunk = chunkTiles.map { min($0, plan.tiles) } ?? plan.tilesPerChunk(cin: ci, cout: co, bytes: 256 << 10)
    let chunks = (plan.tiles + chunk - 1) / chunk
    let a = plan.alpha, pos = plan.positions
    let threads = max(1, min(Engine.threads, chunks))
    // One partial dU (and partial image sums) per thread, summed in thread order: deterministic for a
    // given thread count.
    let partials = Tensor(uninitialized: [threads, pos, ci, co])  // each thread's first chunk writes its own
    let pp = SendablePointer(partials.data)
    let sumParts = imageSums.map { _ in UnsafeMutablePointer<Double>.allocate(capacity: threads * n * co) }
    sumParts?.initialize(repeating: 0, count: threads * n * co)
    defer { sumParts?.deallocate() }
    let spp = sumParts.map { SendablePointer($0) }
    let xp = SendablePointer(UnsafeMutablePointer(mutating: x)), gp = SendablePointer(UnsafeMutablePointer(mutating: dy))
    parallelFor(threads) { th in
        let du = pp.p + th * pos * ci * co
        // An equal share of the tiles per thread, cut into chunks (as in winogradConvolve).
        let lo = plan.tiles * th / threads, hi = plan.tiles * (th + 1) / threads
        guard lo < hi else { du.update(repeating: 0, count: pos * ci * co); return }
        let vBuf = Tensor(uninitialized: [pos, chunk, ci]), yBuf = Tensor(uninitialized: [pos, chunk, co])
        let scratch = WinogradScratch(plan: plan, channels: max(ci, co))
        let v = vBuf.data, yh = yBuf.data
        let sums = spp.map { $0.p + th * n * co }
        for t0 in stride(from: lo, to: hi, by: chunk) {
            let count = min(chunk, hi - t0)
            for t in 0..<count {
                let (img, y0, x0) = plan.origin(t0 + t)
                scratch.inputTransform(xp.p + img * h * w * ci, c: ci, iy: y0 - 1, ix: x0 - 1, into: v + t * ci, vs: chunk * ci)
                scratch.gradTransform(gp.p + img * h * w * co, c: co, y0: y0, x0: x0, into: yh + t * co, vs: chunk * co)
                if let sums {
                    let tileSum = yh + (a + 1) * chunk * co + t * co, acc = sums + img * co
                    for j in 0..<co { acc[j] += Double(tileSum[j]) }
                }
            }
            for p in 0..<pos {
                // The first chunk writes the partial (no separate clearing pass: 0.3 % of a training step).
                sgemm(transA: true, m: ci, n: co, k: count, a: v + p * chunk * ci, lda: ci,
                      b: yh + p * chunk * co, ldb: co, beta: t0 == lo ? 0 : 1, c: du + p * ci * co, ldc: co)
            }
        }
    }
    if let imageSums, let sumParts {
        imageSums.update(from: sumParts, count: n * co)
        for th in 1..<threads {
            let src = sumParts + th * n * co
            for i in 0..<(n * co) { imageSums[i] += src[i] }
        }
    }
    // Sum the partials, then dg[ky][kx] = Σ_{r,s} G[r][ky] G[s][kx] dU[r·α+s].
    let plane = ci * co
    if threads > 1 {
        parallelChunks(pos * plane, minimumPerThread: 1 << 14) { _, range in
            for th in 1..<threads {  // in thread order for every element, however the elements are split
                let src = pp.p + th * pos * plane
                for i in range { pp.p[i] += src[i] }
            }
        }
    }
    let dwp = SendablePointer(dw)
    parallelChunks(plane, minimumPerThread: 1 << 12) { _, range in
        if m == 2 { dnb_wino2_kernel_adjoint(pp.p, plane, dwp.p, range.lowerBound, range.upperBound) }
        else { dnb_wino4_kernel_adjoint(pp.p, plane, dwp.p, range.lowerBound, range.upperBound) }
    }
}

extension WinogradPlan {
    /// Image index and the top-left output pixel of global tile `t`.
    @inline(__always)
    func origin(_ t: Int) -> (Int, Int, Int) {
        let img = t / tilesPerImage, r = t - img * tilesPerImage
        let ty = r / tilesW
        return (img, ty * m, (r - ty * tilesW) * m)
    }
}

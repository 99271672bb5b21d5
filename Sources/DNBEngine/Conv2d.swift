import DNBSupport

/// 2-D convolution over NHWC tensors with HWIO weights ([KH, KW, Cin, Cout]).
///
/// Stride-1 3×3 'same' convolutions (all but the down-sampling convolutions of
/// the UNet) run Winograd F(4,3) in all three passes (ConvWinograd.swift;
/// `Engine.winogradTile` selects F(2,3) or none); the others run im2col + sgemm.
/// `conv2dReference` is the plain im2col path, kept as the reference the fast
/// path is tested against.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) throws -> Tensor {
    try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, path: .fast)
}

/// The reference implementation: im2col + sgemm in all three passes.
public func conv2dReference(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) throws -> Tensor {
    try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, path: .reference)
}

/// Which kernels a convolution runs. `fast` picks the best measured path per geometry;
/// tests and benchmarks vary the Winograd tile and chunk size through the other fields.
struct ConvPath: Sendable, Equatable {
    /// false: im2col + sgemm everywhere (the reference).
    var fastKernels: Bool
    /// Winograd output tile m of F(m,3) for stride-1 3×3 convolutions: 2 or 4; 0 for im2col.
    var winogradTile = 2
    /// Tiles per Winograd chunk, or output rows per GEMM block of the im2col path;
    /// nil sizes them for the cache and OpenBLAS (tests set small odd values).
    var chunk: Int? = nil

    static let reference = ConvPath(fastKernels: false)
    /// The engine's setting (`Engine.winogradTile`, F(4,3) unless changed).
    static var fast: ConvPath { ConvPath(fastKernels: true, winogradTile: Engine.winogradTile) }

    func usesWinograd(_ g: ConvGeometry) -> Bool { fastKernels && winogradTile != 0 && g.isWinograd3x3 }
}

/// The checked geometry of a convolution of x with weight (and bias).
/// `inputShape` replaces x's shape when the convolution reads a view of x (the upsampled input of
/// upsampledConv2dInference).
func convGeometry(_ op: String, _ x: Tensor, inputShape: [Int]? = nil, weight: Tensor, bias: Tensor?, stride: Int,
                  padding: Int) throws -> ConvGeometry {
    try requireNonEmpty(op, x, weight)
    try requireRank(op, x, 4, "input [N, H, W, C]")
    try requireRank(op, weight, 4, "weight [KH, KW, Cin, Cout]")
    let g = try ConvGeometry(input: inputShape ?? x.shape, weight: weight.shape, stride: stride, padding: padding)
    if let bias, bias.shape != [g.co] {
        throw EngineError.shapeMismatch(op: op, detail: "bias \(describeShape(bias.shape)) vs \(g.co) output channels")
    }
    return g
}

func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, path: ConvPath) throws -> Tensor {
    let g = try convGeometry("conv2d", x, weight: weight, bias: bias, stride: stride, padding: padding)
    let out = Tensor(uninitialized: [g.n, g.ho, g.wo, g.co])
    convForward(g, x.data, weight.data, bias?.data, out.data, path: path)
    record(out, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { grad in
        convParameterGradients(g, x.data, grad.data, weight: weight, biases: ConvBiasGradients(bias: bias), path: path)
        if x.requiresGrad {
            let (dx, accumulate) = x.autograd.gradTarget()
            convInputGradient(g, weight.data, grad.data, dx, accumulate: accumulate, path: path)
        }
    }
    return out
}

/// out = conv(x, w) + bias (written, not accumulated).
func convForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>,
                 _ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, path: ConvPath) {
    if path.usesWinograd(g) {
        let m = path.winogradTile
        let u = winogradKernel(m: m, wt, ci: g.ci, co: g.co)
        winogradConvolve(m: m, n: g.n, h: g.h, w: g.w, src: x, srcC: g.ci, u: u.data,
                         bias: bias, dst: out, dstC: g.co, accumulate: false, chunkTiles: path.chunk)
    } else if path.fastKernels {
        im2colForward(g, x, wt, bias, out, block: path.chunk)
    } else {
        convForwardReference(g, x, wt, bias, out)
    }
}

/// out = residual + ((conv(x, w) + bias) + sampleBias[image]), written: `sampleBias` is [N][Co] (a ResNet
/// block's time embedding), `residual` an image of the output's shape; either may be nil.
/// The Winograd path adds them in its output transform; the others in one pass after the convolution
/// (not on the UNet's path: its stride-2 and 1×1 convolutions take neither). The same floats either way.
func convForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 _ out: UnsafeMutablePointer<Float>, sampleBias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                 path: ConvPath) {
    guard sampleBias != nil || residual != nil else { return convForward(g, x, wt, bias, out, path: path) }
    if path.usesWinograd(g) {
        let m = path.winogradTile
        let u = winogradKernel(m: m, wt, ci: g.ci, co: g.co)
        winogradConvolve(m: m, n: g.n, h: g.h, w: g.w, src: x, srcC: g.ci, u: u.data, bias: bias, dst: out, dstC: g.co,
                         accumulate: false, chunkTiles: path.chunk,
                         epilogue: WinogradEpilogue(sampleBias: sampleBias, residual: residual))
        return
    }
    convForward(g, x, wt, bias, out, path: path)
    let op = SendablePointer(out), co = g.co, perImage = g.ho * g.wo
    let tp = sampleBias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
    let rp = residual.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
    parallelChunks(g.rows, minimumPerThread: 1024) { _, rows in
        for r in rows {
            let o = op.p + r * co
            if let tp { let t = tp.p + (r / perImage) * co; for j in 0..<co { o[j] = o[j] + t[j] } }
            if let rp { let res = rp.p + r * co; for j in 0..<co { o[j] = res[j] + o[j] } }
        }
    }
}

/// The bias gradients a convolution's backward owes: the convolution's own bias (db += Σ over every output
/// pixel) and a per-image bias (`sampleBias` [N][Co], added to every pixel of its image: dsb[n] = Σ over
/// image n's pixels, written into a first gradient or added). Both come from the per-image sums of the
/// output gradient.
struct ConvBiasGradients {
    var bias: UnsafeMutablePointer<Float>?
    var sampleBias: (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)?

    /// The gradients of those of `bias` and `sampleBias` that require one (claimed now, so call it in backward).
    init(bias: Tensor?, sampleBias: Tensor? = nil) {
        self.bias = bias?.requiresGrad == true ? bias?.gradBuffer() : nil
        self.sampleBias = sampleBias?.requiresGrad == true ? sampleBias?.autograd.gradTarget() : nil
    }

    /// The convolution's bias gradient alone (benchmarks).
    init(biasGradient db: UnsafeMutablePointer<Float>) { bias = db }

    var isEmpty: Bool { bias == nil && sampleBias == nil }

    /// Adds (or writes) the gradients from `sums`, the per-image sums of the output gradient ([N][Co]).
    func apply(_ sums: UnsafePointer<Double>, n: Int, co: Int) {
        if let (dsb, accumulate) = sampleBias {
            for i in 0..<(n * co) { dsb[i] = accumulate ? dsb[i] + Float(sums[i]) : Float(sums[i]) }
        }
        if let db = bias {
            for j in 0..<co {
                var s = 0.0
                for img in 0..<n { s += sums[img * co + j] }
                db[j] += Float(s)
            }
        }
    }
}

/// dw += ∂L/∂w (when `weight` requires it) and the bias gradients of `biases`. The Winograd path takes the
/// biases' per-image sums from its transformed output gradient (the weight gradient's pass over dy); the
/// others, or a weight that needs no gradient, sum dy in a pass of its own (`convImageSums`).
func convParameterGradients(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ grad: UnsafePointer<Float>, weight: Tensor,
                            biases: ConvBiasGradients, path: ConvPath) {
    let sums = biases.isEmpty ? nil : UnsafeMutablePointer<Double>.allocate(capacity: g.n * g.co)
    defer { sums?.deallocate() }
    if weight.requiresGrad {
        convWeightGradient(g, x, grad, weight.gradBuffer(), imageSums: sums, path: path)
    } else if let sums {
        convImageSums(g, grad, into: sums)
    }
    if let sums { biases.apply(sums, n: g.n, co: g.co) }
}

/// dw += ∂L/∂w, and with `imageSums` the per-image sums of the output gradient written into it ([N][Co]).
func convWeightGradient(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ grad: UnsafePointer<Float>,
                        _ dw: UnsafeMutablePointer<Float>, imageSums: UnsafeMutablePointer<Double>? = nil, path: ConvPath) {
    if path.usesWinograd(g) {
        winogradWeightGradient(m: path.winogradTile, n: g.n, h: g.h, w: g.w, x: x, ci: g.ci, dy: grad, co: g.co, dw: dw,
                               imageSums: imageSums, chunkTiles: path.chunk)
        return
    }
    if path.fastKernels {
        im2colWeightGradient(g, x, grad, dw, block: path.chunk)
    } else {
        convWeightGradientReference(g, x, grad, dw)
    }
    if let imageSums { convImageSums(g, grad, into: imageSums) }
}

/// sums[n][c] = Σ over image n's output pixels of grad (written). Each image is summed by one thread
/// (float blocks of 64 pixels into double), so the result does not depend on the thread count.
func convImageSums(_ g: ConvGeometry, _ grad: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Double>) {
    let co = g.co, perImage = g.ho * g.wo
    let sp = SendablePointer(sums), gp = SendablePointer(UnsafeMutablePointer(mutating: grad))
    parallelChunks(g.n) { _, images in
        for img in images {
            let acc = sp.p + img * co
            acc.initialize(repeating: 0, count: co)
            accumulateRows(gp.p + img * perImage * co, 0..<perImage, cols: co, ld: co, into: acc)
        }
    }
}

/// dx += ∂L/∂x, or dx = ∂L/∂x when `accumulate` is false (dx may then hold anything: the Winograd
/// path writes every pixel, the others scatter-add and so clear it first).
func convInputGradient(_ g: ConvGeometry, _ wt: UnsafePointer<Float>, _ grad: UnsafePointer<Float>,
                       _ dx: UnsafeMutablePointer<Float>, accumulate: Bool = true, path: ConvPath) {
    if path.usesWinograd(g) {
        let m = path.winogradTile
        let u = winogradKernel(m: m, wt, ci: g.ci, co: g.co, forInputGradient: true)
        winogradConvolve(m: m, n: g.n, h: g.h, w: g.w, src: grad, srcC: g.co, u: u.data,
                         bias: nil, dst: dx, dstC: g.ci, accumulate: accumulate, chunkTiles: path.chunk)
        return
    }
    if path.fastKernels {
        im2colInputGradient(g, wt, grad, dx, accumulate: accumulate, block: path.chunk)
    } else {
        if !accumulate { dx.update(repeating: 0, count: g.n * g.h * g.w * g.ci) }
        convInputGradientReference(g, wt, grad, dx)
    }
}

struct ConvGeometry {
    let n, h, w, ci, kh, kw, co, stride, pad, ho, wo: Int
    var k: Int { kh * kw * ci }
    var rows: Int { n * ho * wo }
    var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && pad == 0 }
    /// Stride-1 convolutions whose input gradient is again a 'same' convolution.
    var isSame: Bool { stride == 1 && kh % 2 == 1 && kw == kh && pad == (kh - 1) / 2 }
    /// Whole images per chunk: about 4096 patch rows keeps the im2col block in L2.
    var imagesPerChunk: Int { max(1, 4096 / (ho * wo)) }
    var chunks: Int { (n + imagesPerChunk - 1) / imagesPerChunk }

    init(input: [Int], weight: [Int], stride: Int, padding: Int) throws {
        (n, h, w, ci) = (input[0], input[1], input[2], input[3])
        (kh, kw, co) = (weight[0], weight[1], weight[3])
        self.stride = stride
        self.pad = padding
        guard weight[2] == ci else {
            throw EngineError.shapeMismatch(op: "conv2d", detail: "input \(describeShape(input)) has \(ci) channels, weight \(describeShape(weight)) expects \(weight[2])")
        }
        guard stride >= 1, padding >= 0 else {
            throw EngineError.invalidArgument(op: "conv2d", detail: "stride \(stride) and padding \(padding) must be ≥ 1 and ≥ 0")
        }
        ho = (h + 2 * padding - kh) / stride + 1
        wo = (w + 2 * padding - kw) / stride + 1
        guard ho > 0, wo > 0 else {
            throw EngineError.shapeMismatch(op: "conv2d", detail: "kernel \(kh)×\(kw) does not fit input \(describeShape(input)) with padding \(padding)")
        }
    }

    func images(ofChunk c: Int) -> Range<Int> { (c * imagesPerChunk)..<min(n, (c + 1) * imagesPerChunk) }
}

/// Patch rows of `count` images starting at `first`: cols[row, (kh, kw, c)].
@inline(__always)
func im2col(_ src: UnsafePointer<Float>, h: Int, w: Int, c: Int, kh: Int, kw: Int, stride: Int, pad: Int,
            ho: Int, wo: Int, first: Int, count: Int, into cols: UnsafeMutablePointer<Float>) {
    let k = kh * kw * c
    var row = cols
    for img in first..<(first + count) {
        let base = src + img * h * w * c
        for oy in 0..<ho {
            for ox in 0..<wo {
                var dst = row
                for ky in 0..<kh {
                    let iy = oy * stride - pad + ky
                    if iy < 0 || iy >= h { dst.update(repeating: 0, count: kw * c); dst += kw * c; continue }
                    for kx in 0..<kw {
                        let ix = ox * stride - pad + kx
                        if ix < 0 || ix >= w { dst.update(repeating: 0, count: c) }
                        else { dst.update(from: base + (iy * w + ix) * c, count: c) }
                        dst += c
                    }
                }
                row += k
            }
        }
    }
}

/// The adjoint of im2col: adds patch columns back onto the image they came from.
@inline(__always)
func col2imAdd(_ cols: UnsafePointer<Float>, h: Int, w: Int, c: Int, kh: Int, kw: Int, stride: Int, pad: Int,
               ho: Int, wo: Int, first: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
    let k = kh * kw * c
    var row = cols
    for img in first..<(first + count) {
        let base = dst + img * h * w * c
        for oy in 0..<ho {
            for ox in 0..<wo {
                var s = row
                for ky in 0..<kh {
                    let iy = oy * stride - pad + ky
                    if iy < 0 || iy >= h { s += kw * c; continue }
                    for kx in 0..<kw {
                        let ix = ox * stride - pad + kx
                        if ix >= 0 && ix < w {
                            let d = base + (iy * w + ix) * c
                            for j in 0..<c { d[j] += s[j] }
                        }
                        s += c
                    }
                }
                row += k
            }
        }
    }
}

func convForwardReference(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>,
                 _ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
    let xp = SendablePointer(UnsafeMutablePointer(mutating: x)), wp = SendablePointer(UnsafeMutablePointer(mutating: wt))
    let op = SendablePointer(out), bp = bias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
    let rowsPerImage = g.ho * g.wo
    parallelChunks(g.chunks) { _, chunkRange in
        guard !chunkRange.isEmpty else { return }
        let scratch = g.isPointwise ? nil : Tensor(uninitialized: [g.imagesPerChunk * rowsPerImage, g.k])
        for c in chunkRange {
            let imgs = g.images(ofChunk: c)
            let rows = imgs.count * rowsPerImage
            let dst = op.p + imgs.lowerBound * rowsPerImage * g.co
            if let bp { for r in 0..<rows { (dst + r * g.co).update(from: bp.p, count: g.co) } }
            let a: UnsafePointer<Float>
            if let scratch {
                im2col(xp.p, h: g.h, w: g.w, c: g.ci, kh: g.kh, kw: g.kw, stride: g.stride, pad: g.pad,
                       ho: g.ho, wo: g.wo, first: imgs.lowerBound, count: imgs.count, into: scratch.data)
                a = UnsafePointer(scratch.data)
            } else {
                a = UnsafePointer(xp.p + imgs.lowerBound * rowsPerImage * g.ci)
            }
            sgemm(m: rows, n: g.co, k: g.k, a: a, lda: g.k, b: wp.p, ldb: g.co,
                  beta: bp == nil ? 0 : 1, c: dst, ldc: g.co)
        }
    }
}

func convWeightGradientReference(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ grad: UnsafePointer<Float>,
                        _ dw: UnsafeMutablePointer<Float>) {
    let rowsPerImage = g.ho * g.wo
    let threads = max(1, min(Engine.threads, g.chunks))
    // One partial dW per thread, summed in thread order: deterministic for a given thread count.
    let partials = Tensor.zeros([threads, g.k, g.co])
    let pp = SendablePointer(partials.data)
    let xp = SendablePointer(UnsafeMutablePointer(mutating: x)), gp = SendablePointer(UnsafeMutablePointer(mutating: grad))
    parallelFor(threads) { t in
        let lo = g.chunks * t / threads, hi = g.chunks * (t + 1) / threads
        guard lo < hi else { return }
        let scratch = g.isPointwise ? nil : Tensor(uninitialized: [g.imagesPerChunk * rowsPerImage, g.k])
        for c in lo..<hi {
            let imgs = g.images(ofChunk: c)
            let rows = imgs.count * rowsPerImage
            let a: UnsafePointer<Float>
            if let scratch {
                im2col(xp.p, h: g.h, w: g.w, c: g.ci, kh: g.kh, kw: g.kw, stride: g.stride, pad: g.pad,
                       ho: g.ho, wo: g.wo, first: imgs.lowerBound, count: imgs.count, into: scratch.data)
                a = UnsafePointer(scratch.data)
            } else {
                a = UnsafePointer(xp.p + imgs.lowerBound * rowsPerImage * g.ci)
            }
            sgemm(transA: true, m: g.k, n: g.co, k: rows, a: a, lda: g.k,
                  b: gp.p + imgs.lowerBound * rowsPerImage * g.co, ldb: g.co, beta: 1, c: pp.p + t * g.k * g.co, ldc: g.co)
        }
    }
    let size = g.k * g.co
    for t in 0..<threads { let p = pp.p + t * size; for i in 0..<size { dw[i] += p[i] } }
}

func convInputGradientReference(_ g: ConvGeometry, _ wt: UnsafePointer<Float>, _ grad: UnsafePointer<Float>,
                       _ dx: UnsafeMutablePointer<Float>) {
    let rowsPerImage = g.ho * g.wo
    let gp = SendablePointer(UnsafeMutablePointer(mutating: grad)), dxp = SendablePointer(dx)
    let wp = SendablePointer(UnsafeMutablePointer(mutating: wt))
    if g.isPointwise {
        parallelSgemm(transB: true, m: g.rows, n: g.ci, k: g.co, a: grad, lda: g.co, b: wt, ldb: g.co,
                      beta: 1, c: dx, ldc: g.ci)
        return
    }
    if g.isSame {
        // Flipped, transposed kernel: wf[ky, kx, co, ci] = w[KH-1-ky, KW-1-kx, ci, co].
        let flipped = Tensor(uninitialized: [g.kh, g.kw, g.co, g.ci])
        for ky in 0..<g.kh { for kx in 0..<g.kw { for o in 0..<g.co { for i in 0..<g.ci {
            flipped.data[((ky * g.kw + kx) * g.co + o) * g.ci + i] =
                wt[(((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.ci + i) * g.co + o]
        } } } }
        let fp = SendablePointer(flipped.data)
        let kFlipped = g.kh * g.kw * g.co
        parallelChunks(g.chunks) { _, chunkRange in
            guard !chunkRange.isEmpty else { return }
            let scratch = Tensor(uninitialized: [g.imagesPerChunk * rowsPerImage, kFlipped])
            for c in chunkRange {
                let imgs = g.images(ofChunk: c)
                im2col(gp.p, h: g.ho, w: g.wo, c: g.co, kh: g.kh, kw: g.kw, stride: 1, pad: g.pad,
                       ho: g.h, wo: g.w, first: imgs.lowerBound, count: imgs.count, into: scratch.data)
                sgemm(m: imgs.count * g.h * g.w, n: g.ci, k: kFlipped, a: scratch.data, lda: kFlipped,
                      b: fp.p, ldb: g.ci, beta: 1, c: dxp.p + imgs.lowerBound * g.h * g.w * g.ci, ldc: g.ci)
            }
        }
        return
    }
    parallelChunks(g.chunks) { _, chunkRange in
        guard !chunkRange.isEmpty else { return }
        let scratch = Tensor(uninitialized: [g.imagesPerChunk * rowsPerImage, g.k])
        for c in chunkRange {
            let imgs = g.images(ofChunk: c)
            sgemm(transB: true, m: imgs.count * rowsPerImage, n: g.k, k: g.co,
                  a: gp.p + imgs.lowerBound * rowsPerImage * g.co, lda: g.co, b: wp.p, ldb: g.co,
                  beta: 0, c: scratch.data, ldc: g.k)
            col2imAdd(scratch.data, h: g.h, w: g.w, c: g.ci, kh: g.kh, kw: g.kw, stride: g.stride, pad: g.pad,
                      ho: g.ho, wo: g.wo, first: imgs.lowerBound, count: imgs.count, into: dxp.p)
        }
    }
}

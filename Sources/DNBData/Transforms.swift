import DNBEngine

/// PIL's bilinear resampling of an 8-bit grayscale ("L") image, bit for bit — what torchvision's
/// `transforms.Resize((h, w))` does to a PIL image (Pillow's `Resample.c`):
/// - per axis, scale = in/out; filterscale = max(scale, 1) (antialiasing when shrinking);
///   support = 1·filterscale; output i is centred at (i + ½)·scale; taps
///   xmin = int(center − support + ½) … int(center + support + ½) (clamped to the image), weights
///   triangle((x − center + ½)/filterscale), normalised to sum 1, all in double;
/// - weights become fixed point with 22 fractional bits (PRECISION_BITS = 32 − 8 − 2), rounded half
///   away from zero;
/// - a horizontal pass, then a vertical pass (vertical first when the height shrinks by more than
///   twice as many pixels as the width: `verticalFirst`), each accumulating in integers from ½
///   (1 << 21), shifting right by 22 and clamping to 0…255 — so the intermediate image is uint8 too.
/// A pass is skipped when its size does not change. Checked against Pillow 13.0.0's Resample.c.
public struct PILBilinearResizer: Sendable {
    public let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let horizontal: Taps, vertical: Taps

    struct Taps: Sendable {
        let start: [Int]        // first input index per output
        let count: [Int]        // number of taps per output
        let ksize: Int
        let weights: [Int32]    // outSize × ksize, fixed point
    }

    static let precisionBits = 22

    public init(inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int) throws {
        guard inputHeight > 0 && inputWidth > 0 && outputHeight > 0 && outputWidth > 0 else {
            throw DataError(.invalidArgument, "resize", "sizes \(inputHeight)×\(inputWidth) → \(outputHeight)×\(outputWidth) must be positive")
        }
        self.inputHeight = inputHeight; self.inputWidth = inputWidth
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        horizontal = Self.taps(inSize: inputWidth, outSize: outputWidth)
        vertical = Self.taps(inSize: inputHeight, outSize: outputHeight)
    }

    static func triangle(_ x: Double) -> Double {
        let a = x < 0 ? -x : x
        return a < 1 ? 1 - a : 0
    }

    static func taps(inSize: Int, outSize: Int) -> Taps {
        // PIL passes the box edges as float; (in1 - in0) is exact for image sizes.
        let scale = Double(Float(inSize) - Float(0)) / Double(outSize)
        let filterscale = max(scale, 1.0)
        let support = 1.0 * filterscale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](), count = [Int](), weights = [Int32](repeating: 0, count: outSize * ksize)
        for xx in 0..<outSize {
            let center = 0 + (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterscale
            var xmin = Int(center - support + 0.5)          // C (int): truncation toward zero
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            var k = [Double](repeating: 0, count: ksize)
            var ww = 0.0
            for x in 0..<xmax {
                let w = triangle((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            if ww != 0 { for x in 0..<xmax { k[x] /= ww } }
            let one = Double(1 << precisionBits)
            for x in 0..<ksize {
                weights[xx * ksize + x] = k[x] < 0 ? Int32(-0.5 + k[x] * one) : Int32(0.5 + k[x] * one)
            }
            start.append(xmin); count.append(xmax)
        }
        return Taps(start: start, count: count, ksize: ksize, weights: weights)
    }

    @inline(__always) static func clip8(_ v: Int) -> UInt8 {
        let s = v >> precisionBits
        return s < 0 ? 0 : s > 255 ? 255 : UInt8(s)
    }

    /// Pillow runs the vertical pass first when the height shrinks by more than twice as many
    /// pixels as the width does (`Resample.c`, `ImagingResampleInner`); the order changes the result,
    /// since each pass rounds to bytes.
    public var verticalFirst: Bool {
        let dy = inputHeight - outputHeight, dx = inputWidth - outputWidth
        return dy > 0 && dy > dx * 2
    }

    /// Bytes of scratch space `resize(_:into:scratch:)` needs.
    public var scratchCount: Int { max(inputHeight * outputWidth, outputHeight * inputWidth) }

    /// One horizontal pass over `rows` lines of width `inputWidth` into lines of width `outputWidth`.
    func horizontalPass(_ src: UnsafePointer<UInt8>, rows: Int, into dst: UnsafeMutablePointer<UInt8>) {
        let half = 1 << (Self.precisionBits - 1)
        horizontal.weights.withUnsafeBufferPointer { kk in
            for y in 0..<rows {
                let line = src + y * inputWidth, out = dst + y * outputWidth
                for xx in 0..<outputWidth {
                    let xmin = horizontal.start[xx], n = horizontal.count[xx], k = kk.baseAddress! + xx * horizontal.ksize
                    var ss = half
                    for x in 0..<n { ss += Int(line[x + xmin]) * Int(k[x]) }
                    out[xx] = Self.clip8(ss)
                }
            }
        }
    }

    /// One vertical pass over columns of `width` bytes, `inputHeight` rows into `outputHeight` rows.
    func verticalPass(_ src: UnsafePointer<UInt8>, width: Int, into dst: UnsafeMutablePointer<UInt8>) {
        let half = 1 << (Self.precisionBits - 1)
        vertical.weights.withUnsafeBufferPointer { kk in
            for yy in 0..<outputHeight {
                let ymin = vertical.start[yy], n = vertical.count[yy], k = kk.baseAddress! + yy * vertical.ksize
                let out = dst + yy * width
                for xx in 0..<width {
                    var ss = half
                    for y in 0..<n { ss += Int(src[(y + ymin) * width + xx]) * Int(k[y]) }
                    out[xx] = Self.clip8(ss)
                }
            }
        }
    }

    /// Resizes one image: `src` holds inputHeight·inputWidth bytes, `dst` receives
    /// outputHeight·outputWidth, `scratch` must hold `scratchCount` bytes.
    public func resize(_ src: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>) {
        let needH = outputWidth != inputWidth, needV = outputHeight != inputHeight
        switch (needH, needV) {
        case (false, false): dst.update(from: src, count: inputHeight * inputWidth)
        case (true, false): horizontalPass(src, rows: inputHeight, into: dst)
        case (false, true): verticalPass(src, width: inputWidth, into: dst)
        case (true, true):
            if verticalFirst {
                verticalPass(src, width: inputWidth, into: scratch)
                horizontalPass(scratch, rows: outputHeight, into: dst)
            } else {
                // (Pillow resamples only the rows the vertical pass uses; the others do not matter.)
                horizontalPass(src, rows: inputHeight, into: scratch)
                verticalPass(scratch, width: outputWidth, into: dst)
            }
        }
    }

    /// Resizes one image given as bytes (row-major, inputHeight × inputWidth).
    public func resize(_ image: some Collection<UInt8>) throws -> [UInt8] {
        let src = Array(image)
        guard src.count == inputHeight * inputWidth else {
            throw DataError(.wrongShape, "resize", "image has \(src.count) bytes, expected \(inputHeight)×\(inputWidth) = \(inputHeight * inputWidth)")
        }
        var out = [UInt8](repeating: 0, count: outputHeight * outputWidth)
        var scratch = [UInt8](repeating: 0, count: scratchCount)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { t in resize(s.baseAddress!, into: o.baseAddress!, scratch: t.baseAddress!) }
            }
        }
        return out
    }
}

/// How images are resized.
public enum ResizeMethod: String, Sendable, Codable, CaseIterable {
    /// PIL's bilinear on uint8, bit-exact with torchvision `Resize` on PIL images (the tutorial's).
    case pilBilinear
    /// The engine's float bilinear (`resizeBilinear`, PyTorch `F.interpolate` align_corners=False) on [0, 1] floats.
    case floatBilinear
}

/// The value range of the float pixels handed to the model.
public enum PixelRange: String, Sendable, Codable, CaseIterable {
    /// `ToTensor()`: byte / 255 (float32) — the tutorial's, and the default.
    case zeroToOne
    /// Then `Normalize([0.5], [0.5])`: (x − 0.5) / 0.5.
    case minusOneToOne
}

/// Resize + range: how a dataset becomes model input.
public struct Preprocessing: Sendable, Equatable, Codable {
    public var height: Int
    public var width: Int
    public var resize: ResizeMethod
    public var range: PixelRange

    public init(size: Int = 32, resize: ResizeMethod = .pilBilinear, range: PixelRange = .zeroToOne) {
        self.init(height: size, width: size, resize: resize, range: range)
    }

    public init(height: Int, width: Int, resize: ResizeMethod = .pilBilinear, range: PixelRange = .zeroToOne) {
        self.height = height; self.width = width; self.resize = resize; self.range = range
    }

    /// The float value of a byte under this range (bit-exact with torchvision's ToTensor / Normalize).
    public func value(ofByte b: UInt8) -> Float { convert(Float(b) / 255) }

    @inline(__always) func convert(_ x: Float) -> Float {
        switch range {
        case .zeroToOne: return x
        case .minusOneToOne: return (x - 0.5) / 0.5
        }
    }
}

/// A dataset resized once and kept in memory at the target size.
///
/// With `.pilBilinear` the resized images are stored as uint8 (exact: PIL's output is uint8), so
/// all of MNIST at 32×32 takes 61 MB, and bytes become floats per batch. With `.floatBilinear`
/// the resized [0, 1] floats are stored.
public struct PreparedDataset: @unchecked Sendable {
    public let name: String
    public let preprocessing: Preprocessing
    public let labels: [UInt8]
    public var height: Int { preprocessing.height }
    public var width: Int { preprocessing.width }
    public var count: Int { labels.count }

    enum Pixels { case bytes([UInt8]), floats([Float]) }
    let pixels: Pixels
    let table: [Float]          // byte → float under the range

    public init(_ dataset: ImageDataset, _ preprocessing: Preprocessing = DNBData.tutorialPreprocessing) throws {
        guard preprocessing.height > 0, preprocessing.width > 0 else {
            throw DataError(.invalidArgument, dataset.name, "target size \(preprocessing.height)×\(preprocessing.width) must be positive")
        }
        self.name = dataset.name
        self.preprocessing = preprocessing
        self.labels = dataset.labels
        self.table = (0...255).map { preprocessing.value(ofByte: UInt8($0)) }
        let (h, w, oh, ow, n) = (dataset.height, dataset.width, preprocessing.height, preprocessing.width, dataset.count)
        if h == oh && w == ow {
            pixels = .bytes(dataset.pixels)
            return
        }
        switch preprocessing.resize {
        case .pilBilinear:
            let r = try PILBilinearResizer(inputHeight: h, inputWidth: w, outputHeight: oh, outputWidth: ow)
            var out = [UInt8](repeating: 0, count: n * oh * ow)
            var scratch = [UInt8](repeating: 0, count: r.scratchCount)
            dataset.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    scratch.withUnsafeMutableBufferPointer { t in
                        for i in 0..<n { r.resize(src.baseAddress! + i * h * w, into: dst.baseAddress! + i * oh * ow, scratch: t.baseAddress!) }
                    }
                }
            }
            pixels = .bytes(out)
        case .floatBilinear:
            var out = [Float]()
            out.reserveCapacity(n * oh * ow)
            let chunk = 1024
            var i = 0
            while i < n {
                let m = min(chunk, n - i)
                let t = Tensor(uninitialized: [m, h, w, 1])
                for j in 0..<(m * h * w) { t.data[j] = Float(dataset.pixels[i * h * w + j]) / 255 }
                let r = try resizeBilinear(t, height: oh, width: ow)
                out.append(contentsOf: r.buffer)
                i += m
            }
            pixels = .floats(out)
        }
    }

    /// The stored uint8 image `i` at the target size (nil for `.floatBilinear`).
    public func bytes(_ i: Int) -> ArraySlice<UInt8>? {
        if case .bytes(let b) = pixels, i >= 0, i < count { return b[i * height * width ..< (i + 1) * height * width] }
        return nil
    }

    /// Writes image `i` as height·width floats in the configured range.
    public func write(_ i: Int, to dst: UnsafeMutablePointer<Float>) {
        let n = height * width
        switch pixels {
        case .bytes(let b):
            b.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { t in
                    let s = src.baseAddress! + i * n
                    for j in 0..<n { dst[j] = t[Int(s[j])] }
                }
            }
        case .floats(let f):
            f.withUnsafeBufferPointer { src in
                let s = src.baseAddress! + i * n
                for j in 0..<n { dst[j] = preprocessing.convert(s[j]) }
            }
        }
    }

    /// The images at `indices` as an NHWC tensor [B, H, W, 1]. Every caller passes positions of
    /// its own permutation of 0..<count (never a number a user typed), so a bad index is a bug.
    public func images(_ indices: [Int]) -> Tensor {
        let t = Tensor(uninitialized: [indices.count, height, width, 1])
        for (b, i) in indices.enumerated() {
            precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)")
            write(i, to: t.data + b * height * width)
        }
        return t
    }
}

/// A single-channel image of `Float` values in row-major order (row 0 is the top row),
/// the shape an MNIST digit or a model sample has before it is colour-mapped.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var pixels: [Float]

    /// `pixels.count` must equal `width * height`; a mismatch is a programming error.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0, "GrayImage size must not be negative")
        precondition(pixels.count == width * height,
                     "GrayImage needs \(width * height) pixels, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill value: Float = 0) {
        self.init(width: width, height: height,
                  pixels: [Float](repeating: value, count: max(0, width) * max(0, height)))
    }

    public subscript(x: Int, y: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Smallest and largest finite values, or nil when there are none;
    /// this is what imshow autoscales to.
    var finiteRange: (min: Float, max: Float)? {
        var lo = Float.infinity
        var hi = -Float.infinity
        for v in pixels where v.isFinite {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return lo <= hi ? (lo, hi) : nil
    }
}

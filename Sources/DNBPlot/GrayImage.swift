/// A single-channel image of `Float` values in row-major order (row 0 is the top row),
/// the shape an MNIST digit or a model sample has before it is colour-mapped.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var pixels: [Float]

    /// Throws `PlotError.invalidImageSize` unless width, height ≥ 0 and `pixels.count == width * height`.
    public init(width: Int, height: Int, pixels: [Float]) throws {
        try Self.checkSize(width: width, height: height, pixels: pixels.count)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// width × height pixels of `value`; throws `PlotError.invalidImageSize` for a negative or overflowing size.
    public init(width: Int, height: Int, fill value: Float = 0) throws {
        let count = try Self.checkSize(width: width, height: height, pixels: nil)
        self.width = width
        self.height = height
        self.pixels = [Float](repeating: value, count: count)
    }

    /// The pixel count of a width × height image, checked against `pixels` when given.
    @discardableResult
    private static func checkSize(width: Int, height: Int, pixels: Int?) throws -> Int {
        let (count, overflow) = width.multipliedReportingOverflow(by: height)
        guard width >= 0, height >= 0, !overflow, pixels == nil || pixels == count else {
            throw PlotError.invalidImageSize(width: width, height: height, pixels: pixels)
        }
        return count
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

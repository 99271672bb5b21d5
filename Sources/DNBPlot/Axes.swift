/// How data values map onto an axis.
public enum AxisScale: Sendable, Equatable {
    case linear
    /// Base-10 logarithmic; non-positive values are left out, like matplotlib's masking.
    case log
}

/// Where a legend goes; `.best` picks the corner (or edge centre) that covers
/// the fewest data points, in matplotlib's order of preference.
public enum LegendLocation: Sendable, CaseIterable, Equatable {
    case best
    case upperRight, upperLeft, lowerLeft, lowerRight
    case right, centerLeft, centerRight, lowerCenter, upperCenter, center
}

/// A mark drawn at every point of a line (matplotlib's `marker="o"`, `markersize`): a filled circle
/// `size` points across, in the line's colour.
public struct Marker: Sendable, Equatable {
    public var size: Double
    public init(size: Double) { self.size = size }
    /// matplotlib's default marker size, 6 points.
    public static let circle = Marker(size: 6)
}

/// One subplot: what to draw and how its axes look. Its position is decided
/// by the owning `Figure` when it is rendered.
public final class Axes {
    public var title: String?
    public var xlabel: String?
    public var ylabel: String?
    public var yScale: AxisScale = .linear
    /// Fixed view limits (first value at the left / bottom); nil autoscales.
    public var xLimits: (Double, Double)?
    public var yLimits: (Double, Double)?
    /// Fixed x ticks, each a position and its label, in place of the default locator (matplotlib's
    /// `set_xticks(ticks, labels)`), for categories; those outside the view are left out. nil: the locator.
    public var xTickLabels: [(position: Double, label: String)]?

    public private(set) var isAxisVisible = true
    public private(set) var isGridVisible = false
    public private(set) var legendLocation: LegendLocation?

    struct Line {
        var x: [Double]
        var y: [Double]
        var label: String?
        var color: Color
        var lineWidth: Double
        var marker: Marker?
    }

    struct Image {
        var image: GrayImage
        var colormap: Colormap
        var vmin: Double?
        var vmax: Double?
    }

    private(set) var lines: [Line] = []
    private(set) var images: [Image] = []

    init() {}

    /// A line through `(x[i], y[i])`; without `x` the indices 0, 1, 2, … are
    /// used. Points with a NaN or infinite coordinate break the line, as in
    /// matplotlib. Colours follow matplotlib's cycle C0, C1, … unless given.
    /// With a `marker`, each drawable point is marked; a `lineWidth` of 0 draws the marks alone.
    public func plot(y: [Double], x: [Double]? = nil, label: String? = nil,
                     color: Color? = nil, lineWidth: Double = 1.5, marker: Marker? = nil) {
        let xs = x ?? y.indices.map(Double.init)
        let count = min(xs.count, y.count)
        lines.append(Line(x: Array(xs.prefix(count)), y: Array(y.prefix(count)), label: label,
                          color: color ?? Color.cycle(lines.count), lineWidth: max(0, lineWidth), marker: marker))
    }

    /// Shows `image` with pixel (0, 0) at the top left, square pixels, centred
    /// in the axes. Without `vmin`/`vmax` the colour range is the image's own
    /// finite min/max; values beyond the range take the end colours, NaN
    /// pixels stay background.
    public func imshow(_ image: GrayImage, cmap: Colormap = .viridis,
                       vmin: Double? = nil, vmax: Double? = nil) {
        images.append(Image(image: image, colormap: cmap, vmin: vmin, vmax: vmax))
    }

    /// Hides spines, ticks, tick labels and axis labels; the title stays.
    public func axisOff() {
        isAxisVisible = false
    }

    public func axisOn() {
        isAxisVisible = true
    }

    public func grid(_ visible: Bool = true) {
        isGridVisible = visible
    }

    /// Shows a legend of the labelled lines (nothing if no line has a label).
    public func legend(location: LegendLocation = .best) {
        legendLocation = location
    }

}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// View limits of one axis: `low` maps to the left/bottom edge, `high` to the
/// right/top (an image's y axis has low > high, row 0 on top).
struct AxisLimits: Equatable {
    var low: Double
    var high: Double
    var scale: AxisScale

    /// Data value → 0…1 along the axis.
    func fraction(_ value: Double) -> Double {
        switch scale {
        case .linear: return (value - low) / (high - low)
        case .log: return (log10(value) - log10(low)) / (log10(high) - log10(low))
        }
    }
}

extension Axes {
    /// Autoscaling as matplotlib does it: images are shown exactly (no margins),
    /// lines get 5% margins after widening a degenerate range; log axes do the
    /// same in log space over positive values only.
    func limits() -> (x: AxisLimits, y: AxisLimits) {
        var x = autoscale(lineValues: lines.flatMap { finitePoints($0).map(\.x) },
                          imageExtents: images.map { (-0.5, Double($0.image.width) - 0.5) }, scale: .linear)
        var y = autoscale(lineValues: lines.flatMap { finitePoints($0).map(\.y) },
                          imageExtents: images.map { (Double($0.image.height) - 0.5, -0.5) }, scale: yScale)
        if let fixed = xLimits, validLimits(fixed, scale: .linear) {
            x = AxisLimits(low: fixed.0, high: fixed.1, scale: .linear)
        }
        if let fixed = yLimits, validLimits(fixed, scale: yScale) {
            y = AxisLimits(low: fixed.0, high: fixed.1, scale: yScale)
        }
        return (x, y)
    }

    /// The drawable vertices of a line: finite, and positive on a log y axis.
    func finitePoints(_ line: Line) -> [(x: Double, y: Double)] {
        zip(line.x, line.y).compactMap { px, py in
            guard px.isFinite, py.isFinite, yScale == .linear || py > 0 else { return nil }
            return (px, py)
        }
    }

    private func validLimits(_ limits: (Double, Double), scale: AxisScale) -> Bool {
        guard limits.0.isFinite, limits.1.isFinite, limits.0 != limits.1 else { return false }
        return scale == .linear || (limits.0 > 0 && limits.1 > 0)
    }

    private func autoscale(lineValues: [Double], imageExtents: [(Double, Double)],
                           scale: AxisScale) -> AxisLimits {
        if let first = imageExtents.first {
            // An image axis keeps the image's orientation and ignores margins.
            let descending = first.0 > first.1
            var lo = min(first.0, first.1)
            var hi = max(first.0, first.1)
            for extent in imageExtents.dropFirst() {
                lo = min(lo, extent.0, extent.1)
                hi = max(hi, extent.0, extent.1)
            }
            for v in lineValues {
                lo = min(lo, v)
                hi = max(hi, v)
            }
            let limits = scale == .log && lo <= 0 ? (1.0, 10.0) : (lo, hi)
            return descending ? AxisLimits(low: limits.1, high: limits.0, scale: scale)
                              : AxisLimits(low: limits.0, high: limits.1, scale: scale)
        }
        guard let lo = lineValues.min(), let hi = lineValues.max() else {
            return scale == .log ? AxisLimits(low: 1, high: 10, scale: .log)
                                 : AxisLimits(low: 0, high: 1, scale: .linear)
        }
        switch scale {
        case .linear:
            let (a, b) = nonsingular(lo, hi, expander: 0.05)
            let pad = (b - a) * Style.margin
            guard (b + pad - (a - pad)).isFinite else {
                // Values near Double's limits: a span that overflows would turn every
                // coordinate into NaN, so give up margins and the outermost values.
                let limit = Double.greatestFiniteMagnitude / 4
                return AxisLimits(low: max(a, -limit), high: min(b, limit), scale: .linear)
            }
            return AxisLimits(low: a - pad, high: b + pad, scale: .linear)
        case .log:
            var (la, lb) = (log10(lo), log10(hi))
            if lb - la <= 1e-12 * max(1, abs(la)) {
                // LogLocator.nonsingular: widen to the surrounding decades
                // (kept inside Double's range, where 10^309 would overflow).
                la = (la - 1e-12).rounded(.up) - 1
                lb = min((lb + 1e-12).rounded(.down) + 1, 308)
                if la >= lb { la = lb - 1 }
            }
            let pad = (lb - la) * Style.margin
            return AxisLimits(low: pow(10, la - pad), high: pow(10, min(lb + pad, 308.25)), scale: .log)
        }
    }
}

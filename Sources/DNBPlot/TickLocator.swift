import CCairo
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tick on an axis: where it is in data units, whether it is a major
/// tick, and its label (nil for unlabelled minor ticks).
struct Tick {
    var value: Double
    var isMajor: Bool
    var label: RichText?
}

/// matplotlib's AutoLocator (MaxNLocator with steps 1, 2, 2.5, 5, 10): the
/// largest "nice" step giving at most `bins` intervals over the view, so the
/// ticks look like those matplotlib would choose for the same axis length.
enum LinearTickLocator {
    private static let steps: [Double] = [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20]
    private static let minimumTicks = 2

    /// Axis.get_tick_space clipped to 1...9: one bin per three (x) or two (y)
    /// font sizes of axis length.
    static func bins(axisLengthPixels: Double, dpi: Double, horizontal: Bool) -> Int {
        let lengthPoints = axisLengthPixels * 72 / dpi
        let perBin = Style.tickLabelSize * (horizontal ? 3 : 2)
        let space = (lengthPoints / perBin).rounded(.down)
        guard space.isFinite else { return 1 }
        return Int(min(9, max(1, space)))
    }

    /// Tick values covering [low, high] (plus one step beyond each end, as
    /// matplotlib returns them; callers keep the ones inside the view).
    static func ticks(low: Double, high: Double, bins: Int) -> [Double] {
        var vmin = min(low, high)
        var vmax = max(low, high)
        (vmin, vmax) = nonsingular(vmin, vmax, expander: 1e-13, tiny: 1e-14)
        let (scale, offset) = scaleRange(vmin, vmax, bins: bins)
        let lo = vmin - offset
        let hi = vmax - offset
        let scaled = steps.map { $0 * scale }
        let rawStep = (hi - lo) / Double(bins)
        let firstLarge = scaled.firstIndex { $0 >= rawStep } ?? (scaled.count - 1)

        var ticks: [Double] = []
        for step in scaled[...firstLarge].reversed() {
            let best = divmod(lo, step).quotient * step
            let edge = EdgeInteger(step: step, offset: offset)
            let first = edge.le(lo - best)
            let last = edge.ge(hi - best)
            guard last >= first, last - first < 10_000 else { continue }
            ticks = stride(from: first, through: last, by: 1).map { $0 * step + best }
            let visible = ticks.filter { $0 >= lo && $0 <= hi }.count
            if visible >= minimumTicks { break }
        }
        return ticks.map { $0 + offset }
    }

    /// matplotlib.ticker.scale_range: the power of ten of one bin, and an
    /// offset when the range is tiny relative to its centre.
    private static func scaleRange(_ vmin: Double, _ vmax: Double, bins: Int) -> (Double, Double) {
        let span = abs(vmax - vmin)
        let mean = (vmax + vmin) / 2
        var offset = 0.0
        if abs(mean) / span >= 100 {
            offset = copysign(pow(10, log10(abs(mean)).rounded(.down)), mean)
        }
        let scale = pow(10, log10(span / Double(bins)).rounded(.down))
        return (scale, offset)
    }

    /// matplotlib.ticker._Edge_integer: floor/ceil of x/step that forgive the
    /// rounding error accumulated when a large offset was subtracted.
    private struct EdgeInteger {
        let step: Double
        let offset: Double

        private func closeTo(_ ms: Double, _ edge: Double) -> Bool {
            var tolerance = 1e-10
            if offset > 0 {
                let digits = log10(offset / step)
                tolerance = min(0.4999, max(1e-10, pow(10, digits - 12)))
            }
            return abs(ms - edge) < tolerance
        }

        func le(_ x: Double) -> Double {
            let (d, m) = divmod(x, step)
            return closeTo(m / step, 1) ? d + 1 : d
        }

        func ge(_ x: Double) -> Double {
            let (d, m) = divmod(x, step)
            return closeTo(m / step, 0) ? d : d + 1
        }
    }
}

/// Python's float divmod: the remainder has the divisor's sign.
func divmod(_ x: Double, _ y: Double) -> (quotient: Double, remainder: Double) {
    var m = fmod(x, y)
    if m != 0 && (m < 0) != (y < 0) { m += y }
    return (((x - m) / y).rounded(), m)
}

/// matplotlib.transforms.nonsingular: widens an empty or non-finite interval
/// so there is always something to put ticks on.
func nonsingular(_ v0: Double, _ v1: Double, expander: Double = 0.001, tiny: Double = 1e-15) -> (Double, Double) {
    guard v0.isFinite, v1.isFinite else { return (-expander, expander) }
    var (lo, hi) = (min(v0, v1), max(v0, v1))
    let maxAbs = max(abs(lo), abs(hi))
    if maxAbs < (1e6 / tiny) * Double.leastNormalMagnitude {
        return (-expander, expander)
    }
    if hi - lo <= maxAbs * tiny {
        if hi == 0 && lo == 0 {
            return (-expander, expander)
        }
        lo -= expander * abs(lo)
        hi += expander * abs(hi)
    }
    return (lo, hi)
}

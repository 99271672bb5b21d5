import CCairo
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// matplotlib's default ScalarFormatter: one fixed number of decimals for all
/// labels of an axis (as few as keep them distinct), plus an offset / power of
/// ten shown once at the end of the axis when the numbers get long.
struct ScalarTickFormatter {
    /// Scientific notation below 1e-5 and from 1e6 on (axes.formatter.limits).
    private static let powerLimits = (-5, 6)
    /// An offset must save at least this many digits (axes.formatter.offset_threshold).
    private static let offsetThreshold = 4

    let offset: Double
    let orderOfMagnitude: Int
    let decimals: Int

    /// `ticks` are all locator ticks; `view` the axis limits (either order).
    init(ticks: [Double], view: (Double, Double)) {
        let lower = min(view.0, view.1)
        let upper = max(view.0, view.1)
        let visible = ticks.filter { $0 >= lower && $0 <= upper }
        let offset = Self.offset(visible: visible)
        let order = Self.orderOfMagnitude(visible: visible, offset: offset, span: upper - lower)
        self.offset = offset
        self.orderOfMagnitude = order
        self.decimals = Self.decimals(ticks: ticks.count < 2 ? ticks + [lower, upper] : ticks,
                                      dropEnds: ticks.count < 2, offset: offset, order: order)
    }

    func label(_ value: Double) -> String {
        var scaled = (value - offset) / pow(10, Double(orderOfMagnitude))
        if abs(scaled) < 1e-8 { scaled = 0 }  // no "−0.0" from rounding noise
        return unicodeMinus(formatFixed(scaled, decimals: decimals))
    }

    /// "1e−5", "+1e3" or "1e6+1e3" as matplotlib's offset text, nil when unused.
    var offsetText: String? {
        var text = ""
        if orderOfMagnitude != 0 { text += scientific(pow(10, Double(orderOfMagnitude))) }
        if offset != 0 { text += (offset > 0 ? "+" : "") + scientific(offset) }
        return text.isEmpty ? nil : unicodeMinus(text)
    }

    private static func offset(visible: [Double]) -> Double {
        guard let lmin = visible.min(), let lmax = visible.max(), lmin != lmax, !(lmin <= 0 && 0 <= lmax)
        else { return 0 }
        let absMin = min(abs(lmin), abs(lmax))
        let absMax = max(abs(lmin), abs(lmax))
        let sign: Double = lmin < 0 ? -1 : 1
        let oomMax = log10(absMax).rounded(.up)
        func firstDiffering(_ differs: (Double) -> Bool) -> Double {
            var oom = oomMax
            while !differs(oom) && oom > -400 { oom -= 1 }
            return oom + 1
        }
        func floorDiv(_ a: Double, _ oom: Double) -> Double { (a / pow(10, oom)).rounded(.down) }
        var oom = firstDiffering { floorDiv(absMin, $0) != floorDiv(absMax, $0) }
        if (absMax - absMin) / pow(10, oom) <= 1e-2 {
            oom = firstDiffering { floorDiv(absMax, $0) - floorDiv(absMin, $0) > 1 }
        }
        let n = Double(offsetThreshold - 1)
        return floorDiv(absMax, oom) >= pow(10, n) ? sign * floorDiv(absMax, oom) * pow(10, oom) : 0
    }

    private static func orderOfMagnitude(visible: [Double], offset: Double, span: Double) -> Int {
        guard let largest = visible.map(abs).max() else { return 0 }
        let oom: Int
        if offset != 0 {
            oom = Int(log10(span).rounded(.down))
        } else {
            oom = largest == 0 ? 0 : Int(log10(largest).rounded(.down))
        }
        return oom <= powerLimits.0 || oom >= powerLimits.1 ? oom : 0
    }

    private static func decimals(ticks: [Double], dropEnds: Bool, offset: Double, order: Int) -> Int {
        var locs = ticks.map { ($0 - offset) / pow(10, Double(order)) }
        var range = (locs.max() ?? 0) - (locs.min() ?? 0)
        if range == 0 { range = locs.map(abs).max() ?? 0 }
        if range == 0 { range = 1 }
        if dropEnds { locs.removeLast(2) }
        guard range.isFinite, !locs.isEmpty else { return 0 }
        let rangeOOM = Int(log10(range).rounded(.down))
        var sigfigs = max(0, 3 - rangeOOM)
        let threshold = 1e-3 * pow(10, Double(rangeOOM))
        while sigfigs >= 0 {
            let p = pow(10, Double(sigfigs))
            let worst = locs.map { abs($0 - ($0 * p).rounded(.toNearestOrEven) / p) }.max() ?? 0
            if worst < threshold { sigfigs -= 1 } else { break }
        }
        return sigfigs + 1
    }

    /// Formatter.format_data: "1e-05" style without padding, "%g"-like mantissa.
    private func scientific(_ value: Double) -> String {
        let exponent = Int(log10(abs(value)).rounded(.down))
        let mantissa = (value / pow(10, Double(exponent)) * 1e10).rounded() / 1e10
        let mantissaText = mantissa == mantissa.rounded() ? "\(Int(mantissa))" : formatG(mantissa)
        return exponent == 0 ? mantissaText : "\(mantissaText)e\(exponent)"
    }
}

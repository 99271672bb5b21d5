#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// matplotlib's LogLocator + LogFormatterSciNotation for a base-10 axis:
/// labelled decades ("10^k"), unlabelled minor ticks at 2…9 × 10^k, and on
/// views spanning about a decade or less, labelled minor ticks ("2×10^k").
enum LogTicks {
    /// `low`/`high` are the positive view limits; `bins` the axis tick space.
    static func ticks(low: Double, high: Double, bins: Int) -> [Tick] {
        let vmin = min(low, high)
        let vmax = max(low, high)
        guard vmin > 0, vmin.isFinite, vmax.isFinite else { return [] }
        let logMin = log10(vmin)
        let logMax = log10(vmax)
        let numdec = Int(logMax.rounded(.down) - logMin.rounded(.up))
        let numticks = max(2, min(9, bins))
        var stride = numdec / numticks + 1
        if stride >= numdec { stride = max(1, numdec - 1) }

        let firstDecade = Int(logMin.rounded(.down)) - stride
        let lastDecade = Int(logMax.rounded(.up)) + 2 * stride
        let decades = Swift.stride(from: firstDecade, to: lastDecade, by: stride).map { $0 }

        // Which coefficients carry labels, from how many decades the view spans
        // (LogFormatter.set_locs with minor_thresholds = (1, 0.4)).
        let span = logMax - logMin
        let labelled: Set<Int>
        if span > 1 {
            labelled = [1]
        } else if span > 0.4 {
            labelled = [1, 2, 3, 4, 6]
        } else {
            labelled = Set(1...9)
        }

        var ticks = decades.map { Tick(value: pow(10, Double($0)), isMajor: true,
                                       label: RichText.power(of: 10, exponent: $0)) }
        // Minor ticks exist only when every decade has a major tick and the
        // view is not too wide (LogLocator with subs="auto").
        if stride == 1 && numdec <= 10 {
            for decade in decades {
                for coefficient in 2...9 {
                    let value = Double(coefficient) * pow(10, Double(decade))
                    let label = labelled.contains(coefficient)
                        ? RichText.power(of: 10, exponent: decade, coefficient: coefficient) : nil
                    ticks.append(Tick(value: value, isMajor: false, label: label))
                }
            }
        }
        return ticks.filter { $0.value >= vmin * (1 - 1e-10) && $0.value <= vmax * (1 + 1e-10) }
    }
}

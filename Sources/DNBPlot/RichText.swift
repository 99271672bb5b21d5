/// A one-line label made of runs, enough for the mathtext matplotlib puts on
/// log axes ("10" with a raised, smaller "−2").
struct RichText: Equatable {
    struct Run: Equatable {
        var text: String
        /// Multiplies the label's font size.
        var scale: Double = 1
        /// Baseline shift upwards, in units of the label's font size.
        var rise: Double = 0
    }

    var runs: [Run]

    init(_ text: String) {
        runs = [Run(text: text)]
    }

    init(runs: [Run]) {
        self.runs = runs
    }

    /// "10^exponent", optionally "coefficient×10^exponent", as LogFormatterSciNotation shows it.
    static func power(of base: Int, exponent: Int, coefficient: Int? = nil) -> RichText {
        let mantissa = coefficient.map { "\($0)×\(base)" } ?? "\(base)"
        return RichText(runs: [
            Run(text: mantissa),
            Run(text: unicodeMinus(String(exponent)), scale: 0.7, rise: 0.45),
        ])
    }

    var isEmpty: Bool { runs.allSatisfy { $0.text.isEmpty } }

    var plainText: String { runs.map(\.text).joined() }
}

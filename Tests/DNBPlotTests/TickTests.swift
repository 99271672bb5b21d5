import Testing
@testable import DNBPlot

/// Tick positions and labels against values matplotlib 3.11 produced for the
/// same view limits and bin counts (MaxNLocator steps 1, 2, 2.5, 5, 10 and
/// the default ScalarFormatter).
@Suite struct TickTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var low: Double
        var high: Double
        var bins: Int
        var labels: [String]
        var offset: String?
        var testDescription: String { "\(low)…\(high) in \(bins) bins" }
    }

    static let matplotlibCases: [Case] = [
        Case(low: -99.95, high: 2098.95, bins: 9,
             labels: ["0", "250", "500", "750", "1000", "1250", "1500", "1750", "2000"]),
        Case(low: -0.0134, high: 0.99, bins: 6, labels: ["0.0", "0.2", "0.4", "0.6", "0.8"]),
        Case(low: 0, high: 1, bins: 9, labels: ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        Case(low: 0.47, high: 0.53, bins: 5, labels: ["0.48", "0.50", "0.52"]),
        Case(low: -1.05, high: 1.05, bins: 7, labels: ["\u{2212}1.0", "\u{2212}0.5", "0.0", "0.5", "1.0"]),
        Case(low: 999_999, high: 1_000_050, bins: 8, labels: ["0", "10", "20", "30", "40", "50"],
             offset: "+1e6"),
        Case(low: -4.95e-6, high: 1.0395e-4, bins: 7,
             labels: ["0.00000", "0.00002", "0.00004", "0.00006", "0.00008", "0.00010"]),
        Case(low: 3, high: 3.0000001, bins: 5, labels: ["0", "2", "4", "6", "8"],
             offset: "1e\u{2212}8+3"),
        Case(low: -2.5, high: 27.5, bins: 5, labels: ["0", "10", "20"]),
    ]

    @Test(arguments: matplotlibCases)
    func linearTicksMatchMatplotlib(_ c: Case) {
        let values = LinearTickLocator.ticks(low: c.low, high: c.high, bins: c.bins)
        let formatter = ScalarTickFormatter(ticks: values, view: (c.low, c.high))
        let tolerance = (c.high - c.low) * 1e-9
        let visible = values.filter { $0 >= c.low - tolerance && $0 <= c.high + tolerance }
        #expect(visible.map(formatter.label) == c.labels)
        #expect(formatter.offsetText == c.offset)
    }

    @Test func binsFollowAxisLength() {
        // An 8-inch-wide loss plot has room for the maximum of 9 bins on x,
        // a short y axis gets fewer.
        #expect(LinearTickLocator.bins(axisLengthPixels: 700, dpi: 100, horizontal: true) == 9)
        #expect(LinearTickLocator.bins(axisLengthPixels: 100, dpi: 100, horizontal: false) == 3)
        #expect(LinearTickLocator.bins(axisLengthPixels: 0, dpi: 100, horizontal: true) == 1)
    }

    @Test func degenerateRangesStillGetTicks() {
        for (low, high) in [(5.0, 5.0), (0.0, 0.0), (-1e-300, 1e-300), (1e300, 1.0000001e300)] {
            let ticks = LinearTickLocator.ticks(low: low, high: high, bins: 5)
            #expect(!ticks.isEmpty, "no ticks for \(low)…\(high)")
            let finite = ticks.allSatisfy { $0.isFinite }
            #expect(finite)
        }
    }

    @Test func logAxisLabelsDecadesAndKeepsMinorTicksUnlabelled() {
        let ticks = LogTicks.ticks(low: 0.018, high: 1.1, bins: 6)
        let labelled = ticks.filter { $0.label != nil }
        #expect(labelled.map(\.value) == [0.1, 1])
        #expect(labelled.first?.label == RichText.power(of: 10, exponent: -1))
        #expect(labelled.first?.label?.plainText == "10\u{2212}1")
        let minor = ticks.filter { !$0.isMajor }.map(\.value)
        let hasEnds = minor.contains { abs($0 - 0.02) < 1e-12 } && minor.contains { abs($0 - 0.9) < 1e-12 }
        #expect(hasEnds)
    }

    @Test func narrowLogViewLabelsMinorTicks() {
        let ticks = LogTicks.ticks(low: 0.15, high: 0.95, bins: 6)
        let labels = ticks.compactMap { $0.label?.plainText }
        #expect(labels.contains("2×10\u{2212}1"))
        #expect(!labels.contains("5×10\u{2212}1"))  // span 0.8 decades: only the 1, 2, 3, 4, 6 subset
    }

    @Test func logAxisWithinOneDecadeFallsBackToPlainNumbers() {
        let axis = AxisTicks(limits: AxisLimits(low: 0.031, high: 0.039, scale: .log),
                             lengthPixels: 300, dpi: 100, horizontal: false)
        let labels = axis.ticks.compactMap { $0.label?.plainText }
        #expect(labels.count >= 2)
        let plain = labels.allSatisfy { $0.hasPrefix("0.03") }
        #expect(plain)
    }
}

/// The ticks an axis shows for its view limits and length: matplotlib's
/// default locator and formatter for the scale, keeping only ticks in view.
struct AxisTicks {
    var ticks: [Tick]
    /// Offset / power-of-ten text shown once at the axis end ("1e−5"), if any.
    var offsetText: String?

    init(limits: AxisLimits, lengthPixels: Double, dpi: Double, horizontal: Bool,
         fixed: [(position: Double, label: String)]? = nil) {
        let bins = LinearTickLocator.bins(axisLengthPixels: lengthPixels, dpi: dpi, horizontal: horizontal)
        let lower = min(limits.low, limits.high)
        let upper = max(limits.low, limits.high)
        let tolerance = (upper - lower) * 1e-10
        func inView(_ v: Double) -> Bool { v >= lower - tolerance && v <= upper + tolerance }

        if let fixed {
            ticks = fixed.filter { $0.position.isFinite && inView($0.position) }
                .map { Tick(value: $0.position, isMajor: true, label: RichText($0.label)) }
            offsetText = nil
            return
        }

        if limits.scale == .log {
            let logTicks = LogTicks.ticks(low: lower, high: upper, bins: bins)
            if logTicks.filter({ $0.label != nil }).count >= 2 {
                ticks = logTicks
                offsetText = nil
                return
            }
            // Less than a couple of labelled powers in view: plain numbers
            // read better, as matplotlib's AutoLocator fallback gives.
        }
        let values = LinearTickLocator.ticks(low: lower, high: upper, bins: bins)
        let formatter = ScalarTickFormatter(ticks: values, view: (lower, upper))
        ticks = values.filter(inView).map { Tick(value: $0, isMajor: true, label: RichText(formatter.label($0))) }
        offsetText = formatter.offsetText
    }
}

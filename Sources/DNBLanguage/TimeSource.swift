/// Where the interpreter and runner read the time. Tests inject a fake one
/// so timings in reports are deterministic.
public struct TimeSource {
    /// Seconds since an arbitrary fixed origin; only differences matter.
    public var now: () -> Double

    public init(now: @escaping () -> Double) {
        self.now = now
    }

    /// The system's monotonic clock, unaffected by wall-clock changes.
    public static var monotonic: TimeSource {
        let clock = ContinuousClock()
        let origin = clock.now
        return TimeSource {
            let elapsed = origin.duration(to: clock.now).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        }
    }

    /// Runs `body` and returns how long it took in seconds.
    func measure(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }
}

/// `12 ms`, `3.40 s`, `2 min 5.0 s`: precise for short cells, readable for long ones.
public func formatDuration(_ seconds: Double) -> String {
    let seconds = max(0, seconds)
    if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
    if seconds < 60 { return fixed(seconds, decimals: 2) + " s" }
    let minutes = Int(seconds / 60)
    return "\(minutes) min " + fixed(seconds - Double(minutes * 60), decimals: 1) + " s"
}

/// Fixed-point formatting without Foundation's `String(format:)`.
func fixed(_ value: Double, decimals: Int) -> String {
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((abs(value) * Double(scale)).rounded())
    let whole = scaled / scale
    let fraction = String(scaled % scale)
    let padded = String(repeating: "0", count: decimals - fraction.count) + fraction
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(padded)"
}

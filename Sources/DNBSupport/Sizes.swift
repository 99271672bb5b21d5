/// The product of `shape` (1 for none), or nil when a dimension is negative or the product overflows Int:
/// for sizes read from a file header or typed by a user, which may claim anything (`reduce(1, *)` would trap).
public func elementCount(_ shape: [Int]) -> Int? {
    var total = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        total = product
    }
    return total
}

/// A limit on a number (or on each number of a list): declared once on a command argument or a config key,
/// checked where the value is read, and shown in help as `≥ 1, ≤ 4096`.
public enum NumericBound: Hashable, Sendable, CustomStringConvertible {
    case atLeast(Double)
    case above(Double)
    case atMost(Double)
    case below(Double)

    public func admits(_ x: Double) -> Bool {
        switch self {
        case .atLeast(let b): x >= b
        case .above(let b): x > b
        case .atMost(let b): x <= b
        case .below(let b): x < b
        }
    }

    public var description: String {
        switch self {
        case .atLeast(let b): "≥ \(NumericBound.number(b))"
        case .above(let b): "> \(NumericBound.number(b))"
        case .atMost(let b): "≤ \(NumericBound.number(b))"
        case .below(let b): "< \(NumericBound.number(b))"
        }
    }

    static func number(_ x: Double) -> String {
        // Double(Int.max) rounds up to 2⁶³; as a bound it stands for Int.max.
        if x == Double(Int.max) { return String(Int.max) }
        return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

/// An sRGB colour with components in 0...1, as matplotlib specifies colours.
public struct Color: Sendable, Equatable {
    public var red: Double
    public var green: Double
    public var blue: Double

    public init(red: Double, green: Double, blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `hex` is "#rrggbb" or "rrggbb"; anything else is a programming error.
    public init(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else {
            preconditionFailure("Color(hex:) needs six hex digits, got \(hex)")
        }
        self.init(red: Double((value >> 16) & 0xff) / 255,
                  green: Double((value >> 8) & 0xff) / 255,
                  blue: Double(value & 0xff) / 255)
    }

    /// matplotlib's grey shorthand, e.g. "0.8" for legend frames.
    init(gray level: Double) {
        self.init(red: level, green: level, blue: level)
    }

    public static let black = Color(red: 0, green: 0, blue: 0)
    public static let white = Color(red: 1, green: 1, blue: 1)

    /// matplotlib's default property cycle ("tab10"): C0, C1, ... in order.
    public static let cycle: [Color] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ].map { Color(hex: $0) }

    /// The n-th colour of the cycle, wrapping like "C10" == "C0".
    public static func cycle(_ index: Int) -> Color {
        cycle[((index % cycle.count) + cycle.count) % cycle.count]
    }
}

/// The colormaps the notebook uses, reproduced the way matplotlib applies them:
/// a 256-entry lookup table, normalised values indexed by `Int(x * 256)`,
/// and the float table truncated to bytes (`(lut * 255).astype(uint8)`).
public enum Colormap: Sendable, Equatable {
    /// Light to dark: 0 → white, 1 → black ("Greys").
    case greys
    /// Dark to light: 0 → black, 1 → white ("gray").
    case gray
    /// matplotlib's default for imshow.
    case viridis

    /// Packed 0xRRGGBB entries, index 0 for the lowest value.
    var table: [UInt32] {
        switch self {
        case .greys: return ColormapTables.greys
        case .gray: return ColormapTables.gray
        case .viridis: return ColormapTables.viridis
        }
    }

    /// Maps an already normalised value (0...1 is the range; outside clips to
    /// the end colours) to 0xRRGGBB; NaN has no colour (matplotlib's "bad" is transparent).
    func rgb(normalized x: Double) -> UInt32? {
        guard !x.isNaN else { return nil }
        let lut = table
        if x <= 0 { return lut[0] }
        if x >= 1 { return lut[lut.count - 1] }
        return lut[min(Int(x * Double(lut.count)), lut.count - 1)]
    }
}

enum ColormapTables {
    static let greys: [UInt32] = sampled(nodes: [
        0xffffff, 0xf0f0f0, 0xd9d9d9, 0xbdbdbd, 0x969696, 0x737373, 0x525252, 0x252525, 0x000000,
    ])

    static let gray: [UInt32] = sampled(nodes: [0x000000, 0xffffff])

    static let viridis: [UInt32] = {
        // Exported once from matplotlib 3.11 as bytes; storing the bytes avoids
        // re-deriving them from the 256 float triples in matplotlib's source.
        let hex = Array(viridisHex.utf8)
        return (0..<256).map { i in
            var value: UInt32 = 0
            for byte in hex[(i * 6)..<(i * 6 + 6)] {
                let digit = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
                value = value << 4 | UInt32(digit)
            }
            return value
        }
    }()

    /// LinearSegmentedColormap.from_list followed by _create_lookup_table,
    /// step by step in the same floating-point order as numpy, so that the
    /// truncation to bytes lands exactly where matplotlib's does.
    static func sampled(nodes: [UInt32], count: Int = 256) -> [UInt32] {
        let n = Double(count - 1)
        let nodeStep = 1.0 / Double(nodes.count - 1)          // np.linspace(0, 1, len(colors))
        let positions = nodes.indices.map { Double($0) * nodeStep * n }
        let sampleStep = 1.0 / n                              // np.linspace(0, 1, N)
        func channel(_ node: UInt32, _ shift: UInt32) -> Double { Double((node >> shift) & 0xff) / 255 }
        return (0..<count).map { i in
            var packed: UInt32 = 0
            for shift: UInt32 in [16, 8, 0] {
                let value: Double
                if i == 0 {
                    value = channel(nodes[0], shift)
                } else if i == count - 1 {
                    value = channel(nodes[nodes.count - 1], shift)
                } else {
                    let x = n * (Double(i) * sampleStep)
                    let upper = positions.firstIndex { $0 >= x } ?? (positions.count - 1)  // searchsorted
                    let lower = max(upper - 1, 0)
                    let distance = (x - positions[lower]) / (positions[upper] - positions[lower])
                    let a = channel(nodes[lower], shift)
                    value = distance * (channel(nodes[upper], shift) - a) + a
                }
                packed |= UInt32(min(255, max(0, value * 255))) << shift  // astype(uint8) truncates
            }
            return packed
        }
    }
}

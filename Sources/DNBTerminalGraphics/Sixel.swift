/// A small DEC sixel encoder. dnb's figures are mostly gray, so a gray image gets a ramp of 101 grays (sixel colours are
/// given in percent, so 101 is every gray a terminal can be told: error ≤ 1.3 of 255); anything with colour gets a
/// 6 × 6 × 6 cube (error ≤ 25.5 of 255 per channel, like xterm's 216-colour cube). Transparent pixels are drawn over white.
public enum Sixel {
    public struct Palette: Equatable, Sendable {
        /// Colours in percent (0…100), as sixel's `#i;2;r;g;b` takes them.
        public var colors: [(red: Int, green: Int, blue: Int)]
        public static func == (a: Palette, b: Palette) -> Bool { a.colors.elementsEqual(b.colors) { $0 == $1 } }
    }

    /// Pixels composited over white, then mapped to palette indices.
    static func quantize(rgba: [UInt8], count: Int) -> (palette: Palette, indices: [UInt8]) {
        var rgb = [UInt8](repeating: 255, count: count * 3)
        var gray = true
        for p in 0..<count {
            let a = Int(rgba[p * 4 + 3])
            for c in 0..<3 {
                rgb[p * 3 + c] = UInt8((Int(rgba[p * 4 + c]) * a + 255 * (255 - a) + 127) / 255)
            }
            if rgb[p * 3] != rgb[p * 3 + 1] || rgb[p * 3] != rgb[p * 3 + 2] { gray = false }
        }
        var indices = [UInt8](repeating: 0, count: count)
        if gray {
            let palette = Palette(colors: (0...100).map { ($0, $0, $0) })
            for p in 0..<count { indices[p] = UInt8((Int(rgb[p * 3]) * 100 + 127) / 255) }
            return (palette, indices)
        }
        var colors: [(red: Int, green: Int, blue: Int)] = []
        for r in 0..<6 { for g in 0..<6 { for b in 0..<6 { colors.append((r * 20, g * 20, b * 20)) } } }
        func level(_ v: UInt8) -> Int { (Int(v) * 5 + 127) / 255 }
        for p in 0..<count {
            indices[p] = UInt8(level(rgb[p * 3]) * 36 + level(rgb[p * 3 + 1]) * 6 + level(rgb[p * 3 + 2]))
        }
        return (Palette(colors: colors), indices)
    }

    /// Nearest-neighbour scaling down to `maximumWidth` pixels (never up), keeping the aspect ratio.
    static func fit(rgba: [UInt8], width: Int, height: Int, maximumWidth: Int) -> (rgba: [UInt8], width: Int, height: Int) {
        guard maximumWidth > 0, width > maximumWidth else { return (rgba, width, height) }
        let newWidth = maximumWidth
        let newHeight = max(1, height * newWidth / width)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 4)
        for y in 0..<newHeight {
            let sy = y * height / newHeight
            for x in 0..<newWidth {
                let sx = x * width / newWidth
                for c in 0..<4 { out[(y * newWidth + x) * 4 + c] = rgba[(sy * width + sx) * 4 + c] }
            }
        }
        return (out, newWidth, newHeight)
    }

    /// The DCS sequence for an RGBA image: raster attributes (1:1 aspect, width, height), the palette, then one
    /// band per 6 rows with each colour's run-length-encoded sixels (`!n` repeats), `$` between colours and `-` between bands.
    public static func encode(rgba: [UInt8], width: Int, height: Int, maximumWidth: Int = 0) -> String {
        guard width > 0, height > 0, rgba.count >= width * height * 4 else { return "" }
        let image = fit(rgba: rgba, width: width, height: height, maximumWidth: maximumWidth)
        let (w, h) = (image.width, image.height)
        let (palette, indices) = quantize(rgba: image.rgba, count: w * h)
        var out: [UInt8] = Array("\u{1B}P0;1;0q\"1;1;\(w);\(h)".utf8)
        // Only the colours used are defined: a figure uses a few dozen of the 101 grays, and every definition is ~14 bytes.
        var used = [Bool](repeating: false, count: palette.colors.count)
        for index in indices { used[Int(index)] = true }
        for (i, color) in palette.colors.enumerated() where used[i] {
            out += Array("#\(i);2;\(color.red);\(color.green);\(color.blue)".utf8)
        }
        // One pass over a band sets each colour's sixel bits column by column; only the colours present are then written.
        let colorCount = palette.colors.count
        var bits = [UInt8](repeating: 0, count: colorCount * w)
        var present = [Bool](repeating: false, count: colorCount)
        for bandTop in stride(from: 0, to: h, by: 6) {
            let bandRows = min(6, h - bandTop)
            var colors: [Int] = []
            for r in 0..<bandRows {
                let row = (bandTop + r) * w
                for x in 0..<w {
                    let color = Int(indices[row + x])
                    if !present[color] { present[color] = true; colors.append(color) }
                    bits[color * w + x] |= 1 << UInt8(r)
                }
            }
            colors.sort()
            for (n, color) in colors.enumerated() {
                out += Array("#\(color)".utf8)
                let base = color * w
                var x = 0
                while x < w {
                    var run = 1
                    while x + run < w, bits[base + x + run] == bits[base + x] { run += 1 }
                    let char = 63 + bits[base + x]
                    if run > 3 { out += Array("!\(run)".utf8); out.append(char) } else { out += [UInt8](repeating: char, count: run) }
                    x += run
                }
                if n < colors.count - 1 { out.append(UInt8(ascii: "$")) }
                for x in 0..<w { bits[base + x] = 0 }
                present[color] = false
            }
            if bandTop + 6 < h { out.append(UInt8(ascii: "-")) }
        }
        out += Array("\u{1B}\\".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}

import CCairo

/// A PNG read back through libpng: size, pixels as 8-bit RGBA whatever the
/// file's colour type, and its text chunks (tEXt, zTXt, iTXt) in file order.
public struct PNGReader: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGBA, 4 bytes per pixel.
    public let rgba: [UInt8]
    public let textChunks: [(key: String, value: String)]

    public init(path: String) throws {
        var image = dnb_png_image()
        defer { dnb_png_image_free(&image) }
        guard dnb_png_read_rgba(path, &image) == 0 else {
            let reason = withUnsafeBytes(of: image.error) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw PlotError.cannotReadPNG(path: path, reason: reason)
        }
        width = Int(image.width)
        height = Int(image.height)
        rgba = Array(UnsafeBufferPointer(start: image.rgba, count: width * height * 4))
        var chunks: [(key: String, value: String)] = []
        for i in 0..<Int(image.text_count) {
            let key = latin1(image.keys[i]!)
            let value = image.utf8[i] != 0 ? String(cString: image.values[i]!) : latin1(image.values[i]!)
            chunks.append((key, value))
        }
        textChunks = chunks
    }

    /// Text chunks by key; with repeated keys the last one wins.
    public var text: [String: String] {
        Dictionary(textChunks.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The pixel at column `x`, row `y` (0-based from the top left).
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
        let i = (y * width + x) * 4
        return (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3])
    }
}

/// tEXt and zTXt are Latin-1 by the PNG specification, not UTF-8.
private func latin1(_ pointer: UnsafePointer<CChar>) -> String {
    var scalars = String.UnicodeScalarView()
    var p = pointer
    while p.pointee != 0 {
        scalars.append(Unicode.Scalar(UInt8(bitPattern: p.pointee)))
        p += 1
    }
    return String(scalars)
}

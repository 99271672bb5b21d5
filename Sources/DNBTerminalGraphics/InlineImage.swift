import Foundation

/// The inline image protocols dnb can speak (docs/cli.md, "Figures in the terminal").
public enum InlineProtocol: String, CaseIterable, Sendable {
    /// kitty's graphics protocol: the PNG itself, base64, in APC chunks.
    case kitty
    /// iTerm2's inline images (OSC 1337 File=…), also understood by WezTerm.
    case iterm
    /// DEC sixel: decoded pixels, quantised to a palette.
    case sixel
}

/// What the image is sized against: the window in character cells and, when the terminal reports it, in pixels.
public struct TerminalSize: Hashable, Sendable {
    public var columns: Int
    public var rows: Int
    /// 0 when the terminal does not report pixels (many do not over TIOCGWINSZ).
    public var widthPixels: Int
    public var heightPixels: Int

    public init(columns: Int, rows: Int, widthPixels: Int = 0, heightPixels: Int = 0) {
        self.columns = columns
        self.rows = rows
        self.widthPixels = widthPixels
        self.heightPixels = heightPixels
    }

    /// Pixels per cell; without pixel sizes a 10 × 20 cell is assumed, roughly a 13-point monospace font.
    var cellWidth: Double { columns > 0 && widthPixels > 0 ? Double(widthPixels) / Double(columns) : 10 }
    var cellHeight: Double { rows > 0 && heightPixels > 0 ? Double(heightPixels) / Double(rows) : 20 }

    /// Cells an image of `width` × `height` pixels takes: as wide as the image or the window, whichever is narrower
    /// (rounded down, so never larger than the image), and as many rows as keep its aspect ratio.
    public func cells(forImageWidth width: Int, height: Int) -> (columns: Int, rows: Int) {
        let fitting = max(1, min(max(columns, 1), Int((Double(width) / cellWidth).rounded(.down))))
        let shownWidth = min(Double(width), Double(fitting) * cellWidth)
        let shownHeight = width > 0 ? shownWidth * Double(height) / Double(width) : 0
        return (fitting, max(1, Int((shownHeight / cellHeight).rounded(.up))))
    }
}

public enum InlineImageError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notPNG(path: String)
    case tooLarge(path: String, bytes: Int, limit: Int)
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot show \(path) inline: \(reason)"
        case .notPNG(let path): "cannot show \(path) inline: it is not a PNG file (it does not start with the PNG signature)"
        case .tooLarge(let path, let bytes, let limit):
            "not shown inline: \(path) is \(bytes) bytes, more than the \(limit) bytes dnb sends to a terminal; open the file instead"
        case .tooManyPixels(let path, let width, let height, let limit):
            "not shown inline: \(path) is \(width) × \(height) pixels, more than the \(limit) dnb decodes for sixel; open the file instead"
        }
    }
}

/// Escape sequences that draw an image in the terminal. Pure functions of their input, so they are tested byte for byte.
public enum InlineImage {
    /// kitty splits the base64 payload into chunks of at most 4096 bytes (its graphics protocol documentation).
    public static let kittyChunkSize = 4096
    /// A figure dnb writes is well under 1 MB (a 28×28 grid of 64 digits is ~60 kB); 16 MB keeps a stray huge
    /// PNG from flooding the terminal with tens of megabytes of base64.
    public static let maximumFileBytes = 16 << 20

    public static let maximumSixelPixels = 16 << 20

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Width and height from a PNG's IHDR chunk, or nil when `png` is not a PNG.
    public static func pngSize(_ png: [UInt8]) -> (width: Int, height: Int)? {
        guard png.count >= 24, Array(png.prefix(8)) == pngSignature, png[12..<16].elementsEqual("IHDR".utf8) else { return nil }
        func be32(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// kitty: transmit and display (`a=T`) a PNG (`f=100`) over `columns` × `rows` cells, quietly (`q=2`: no
    /// "OK" answer that would land in the REPL's input). Chunks after the first carry only `m=`.
    public static func kitty(png: [UInt8], columns: Int, rows: Int) -> String {
        let payload = Data(png).base64EncodedString()
        var chunks: [Substring] = []
        var start = payload.startIndex
        while start < payload.endIndex {
            let end = payload.index(start, offsetBy: kittyChunkSize, limitedBy: payload.endIndex) ?? payload.endIndex
            chunks.append(payload[start..<end])
            start = end
        }
        if chunks.isEmpty { chunks = [""] }
        var out = ""
        for (i, chunk) in chunks.enumerated() {
            let more = i < chunks.count - 1 ? 1 : 0
            let keys = i == 0 ? "a=T,f=100,q=2,c=\(columns),r=\(rows),m=\(more)" : "m=\(more)"
            out += "\u{1B}_G\(keys);\(chunk)\u{1B}\\"
        }
        return out
    }

    /// iTerm2: `OSC 1337 ; File=name=…;size=…;width=N;inline=1 : base64 BEL`, `width` in cells, aspect ratio kept.
    public static func iterm(png: [UInt8], name: String, columns: Int) -> String {
        let encodedName = Data(name.utf8).base64EncodedString()
        return "\u{1B}]1337;File=name=\(encodedName);size=\(png.count);width=\(columns);preserveAspectRatio=1;inline=1:"
            + Data(png).base64EncodedString() + "\u{07}"
    }

    /// The sequence that shows the PNG at `path` with `inlineProtocol` in a window of `size`, followed by a newline.
    /// `decode` turns the file into RGBA pixels for sixel (DNBPlot's PNGReader; passed in so that this module needs no PNG library).
    public static func sequence(forPNGAt path: String, using inlineProtocol: InlineProtocol, size: TerminalSize,
                                decode: (String) throws -> (width: Int, height: Int, rgba: [UInt8])) throws -> String
    {
        let png = try readRegularFile(path)
        guard let (width, height) = pngSize(png) else { throw InlineImageError.notPNG(path: path) }
        let cells = size.cells(forImageWidth: width, height: height)
        switch inlineProtocol {
        case .kitty:
            return kitty(png: png, columns: cells.columns, rows: cells.rows) + "\n"
        case .iterm:
            return iterm(png: png, name: (path as NSString).lastPathComponent, columns: cells.columns) + "\n"
        case .sixel:
            // Decoding takes width × height × 4 bytes whatever the file's size (a few kB of PNG can claim 10⁵ × 10⁵);
            // 16 M pixels (64 MB) is 6 times `plot images` of 64 images (8 × 8 at 2 inches, 100 dpi: 1600 × 1600).
            guard width.multipliedReportingOverflow(by: height).partialValue <= maximumSixelPixels, width <= maximumSixelPixels, height <= maximumSixelPixels else {
                throw InlineImageError.tooManyPixels(path: path, width: width, height: height, limit: maximumSixelPixels)
            }
            let image: (width: Int, height: Int, rgba: [UInt8])
            do { image = try decode(path) } catch { throw InlineImageError.unreadable(path: path, reason: "\(error)") }
            let maximumWidth = size.widthPixels > 0 ? size.widthPixels : Int(Double(max(size.columns, 1)) * size.cellWidth)
            return Sixel.encode(rgba: image.rgba, width: image.width, height: image.height, maximumWidth: maximumWidth) + "\n"
        }
    }

    /// The file's bytes, refusing anything but a regular file of at most `maximumFileBytes` (checked on the open
    /// descriptor, so a figure replaced by a FIFO or a link to /dev/zero cannot block dnb or fill its memory).
    static func readRegularFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InlineImageError.unreadable(path: path, reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw InlineImageError.unreadable(path: path, reason: "it is not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= maximumFileBytes else { throw InlineImageError.tooLarge(path: path, bytes: size, limit: maximumFileBytes) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, size - filled) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }
}

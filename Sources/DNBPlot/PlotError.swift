import DNBSupport

/// Everything that can go wrong when building or writing a figure. Messages
/// name the file and the reason so the REPL can print them as they are.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// The file system refused (no folder, no permission, disk full); the message names file and cause.
    case file(FileError)
    case cannotEncodePNG(path: String, reason: String)
    case cannotReadPNG(path: String, reason: String)
    case invalidMetadataKey(String)
    case invalidMetadataValue(key: String)
    case invalidFigureSize(width: Int, height: Int)
    case renderingFailed(String)
    case emptyImageList
    case mismatchedImageSizes(expected: (Int, Int), found: (Int, Int))
    case invalidGridArgument(String)
    /// `Figure(rows:cols:)` with fewer than one row or column, or more subplots than an `Int` counts.
    case invalidSubplotGrid(rows: Int, cols: Int)
    /// `axes(row, col)` outside the figure's rows × cols.
    case subplotOutOfRange(row: Int, col: Int, rows: Int, cols: Int)
    /// A gray image with a negative size, a size whose pixel count overflows, or `pixels` pixels
    /// that do not fill width × height (nil: no pixel list given).
    case invalidImageSize(width: Int, height: Int, pixels: Int?)

    public var description: String {
        switch self {
        case let .file(error):
            return error.message
        case let .cannotEncodePNG(path, reason):
            return "cannot write PNG \(path): \(reason)"
        case let .cannotReadPNG(path, reason):
            return "cannot read PNG \(path): \(reason)"
        case let .invalidMetadataKey(key):
            return "invalid PNG text key \"\(key)\": keys need 1-79 printable ASCII characters, no leading, trailing or double spaces"
        case let .invalidMetadataValue(key):
            return "invalid PNG text value for \"\(key)\": it contains a NUL character"
        case let .invalidFigureSize(width, height):
            return "invalid figure size \(width)x\(height) pixels"
        case let .renderingFailed(reason):
            return "cannot render figure: \(reason)"
        case .emptyImageList:
            return "cannot make a grid of no images"
        case let .mismatchedImageSizes(expected, found):
            return "all images of a grid need the same size: expected \(expected.0)x\(expected.1), found \(found.0)x\(found.1)"
        case let .invalidGridArgument(reason):
            return "invalid grid argument: \(reason)"
        case let .invalidSubplotGrid(rows, cols):
            if rows < 1 || cols < 1 {
                return "a figure needs at least 1 row and 1 column of subplots, got rows=\(rows) cols=\(cols)"
            }
            return "a figure of \(rows)x\(cols) subplots is too large"
        case let .subplotOutOfRange(row, col, rows, cols):
            return "axes(\(row), \(col)) is outside a \(rows)x\(cols) figure: row must be in 0..<\(rows), col in 0..<\(cols)"
        case let .invalidImageSize(width, height, pixels):
            if width < 0 || height < 0 {
                return "invalid image size \(width)x\(height): width and height must not be negative"
            }
            let (count, overflow) = width.multipliedReportingOverflow(by: height)
            if overflow { return "invalid image size \(width)x\(height): too many pixels" }
            return "a \(width)x\(height) image needs \(count) pixels, got \(pixels ?? 0)"
        }
    }

    public static func == (lhs: PlotError, rhs: PlotError) -> Bool {
        lhs.description == rhs.description
    }
}

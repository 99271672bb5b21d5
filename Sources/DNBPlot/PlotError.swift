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
        }
    }

    public static func == (lhs: PlotError, rhs: PlotError) -> Bool {
        lhs.description == rhs.description
    }
}

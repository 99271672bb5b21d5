import Foundation

/// The process's inline-figure setting, decided once (the device attributes query costs up to 100 ms) on first use.
/// The REPL and `dnb run` ask it to draw each figure; `show` asks it whether figures can be drawn.
public final class InlineDisplay: @unchecked Sendable {
    public static let shared = InlineDisplay()

    private let lock = NSLock()
    private var decided: InlineDetection.Result?
    private var _viewerAllowed = false

    /// Decodes a PNG to RGBA for sixel; set by whoever links a PNG reader (dnb uses DNBPlot's PNGReader).
    public var decodePNG: @Sendable (String) throws -> (width: Int, height: Int, rgba: [UInt8]) = { path in
        throw InlineImageError.unreadable(path: path, reason: "no PNG decoder is linked")
    }

    /// Whether `show` may start the desktop viewer: only in an interactive REPL, never in `dnb run` or piped input.
    public var viewerAllowed: Bool {
        get { lock.withLock { _viewerAllowed } }
        set { lock.withLock { _viewerAllowed = newValue } }
    }

    /// Gives keys the user typed ahead back to the line editor (they were read while waiting for the terminal's
    /// answer to the device attributes query); set by the REPL (readline's `rl_stuff_char`).
    public var returnTypedInput: @Sendable ([UInt8]) -> Void = { _ in }

    public init() {}

    /// The detection result, computed from the real environment and terminal on first call.
    public var result: InlineDetection.Result {
        lock.withLock {
            if let decided { return decided }
            let result = InlineDetection.detect(
                environment: ProcessInfo.processInfo.environment,
                stdoutIsTerminal: isatty(STDOUT_FILENO) != 0, stdinIsTerminal: isatty(STDIN_FILENO) != 0,
                queryDeviceAttributes: { InlineDetection.queryDeviceAttributes(typedAhead: returnTypedInput) })
            decided = result
            return result
        }
    }

    public var activeProtocol: InlineProtocol? {
        switch result {
        case .on(let p): p
        case .off: nil
        case .invalidSetting(_, let then): then
        }
    }

    /// The escape sequence that draws the PNG at `path`, or nil when inline figures are off.
    public func sequence(forPNGAt path: String) throws -> String? {
        guard let inlineProtocol = activeProtocol else { return nil }
        let size = InlineDetection.terminalSize() ?? TerminalSize(columns: 80, rows: 24)
        return try InlineImage.sequence(forPNGAt: path, using: inlineProtocol, size: size, decode: decodePNG)
    }
}

/// A position in dnb source text. Lines and columns are 1-based; columns count
/// characters, so a caret lines up in a terminal for ordinary text.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file the text came from, when there is one (the REPL has none).
    public var file: String?
    public var line: Int
    public var column: Int

    public init(file: String? = nil, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`, or `line:col` without a file.
    public var description: String {
        if let file { return "\(file):\(line):\(column)" }
        return "\(line):\(column)"
    }
}

/// A message tied to a place in the source, printed the way compilers do:
///
///     train.dnb:12:7: unknown argument 'epoch'; did you mean 'epochs'?
///     train epoch=3
///           ^
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation
    /// The text of the offending line, shown under the message with a caret.
    public var sourceLine: String?

    public init(message: String, location: SourceLocation, sourceLine: String? = nil) {
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
    }

    /// Just `file:line:col: message`, for one-line contexts such as report banners.
    public var summary: String { "\(location): \(message)" }

    /// Source lines longer than this are shown as a window around the caret:
    /// a 100,000-character line once filled the terminal (and the report).
    static let shownLineLength = 160

    public var description: String {
        guard let sourceLine else { return summary }
        var shown = Array(sourceLine)
        var caret = max(0, location.column - 1)
        if shown.count > Diagnostic.shownLineLength {
            let start = max(0, min(caret - Diagnostic.shownLineLength / 2, shown.count - Diagnostic.shownLineLength))
            let end = min(shown.count, start + Diagnostic.shownLineLength)
            shown = (start > 0 ? Array("…") : []) + shown[start..<end] + (end < shown.count ? Array("…") : [])
            caret += (start > 0 ? 1 : 0) - start
        }
        // Keep tabs in the caret line so it stays aligned under tab-indented code.
        var lead = ""
        for character in shown.prefix(caret) {
            lead.append(character == "\t" ? "\t" : " ")
        }
        return summary + "\n" + String(shown) + "\n" + lead + "^"
    }
}

/// The lines of a source text, for attaching the offending line to a diagnostic.
struct SourceLines {
    private let lines: [Substring]
    /// The file line number of the text's first line.
    let firstLine: Int
    let file: String?

    init(_ text: String, file: String?, firstLine: Int) {
        // "\r\n" is a single Character in Swift, so it must be named explicitly.
        self.lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        self.firstLine = firstLine
        self.file = file
    }

    func line(_ number: Int) -> String? {
        let index = number - firstLine
        guard lines.indices.contains(index) else { return nil }
        return String(lines[index])
    }

    func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(message: message, location: location, sourceLine: line(location.line))
    }
}

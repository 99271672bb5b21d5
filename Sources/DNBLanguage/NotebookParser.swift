import DNBSupport

extension Notebook {
    static let cellOptionNames = ["id", "echo", "allow-error", "skip", "cache"]

    /// Splits a `.dnb` file into prose and code cells, remembering the file
    /// line where each starts. Throws `ParseError` for an unclosed code cell
    /// or bad cell options; the code itself is parsed later, per cell.
    public init(parsing text: String, file: String? = nil) throws {
        var reader = NotebookReader(text: text, file: file)
        try reader.read()
        self.init(file: file, cells: reader.cells, title: reader.title, titleLine: reader.titleLine)
    }
}

private struct NotebookReader {
    let lines: [Substring]
    let source: SourceLines
    let file: String?
    var cells: [Cell] = []
    var title: String?
    var titleLine: Int?
    private var prose: [Substring] = []
    private var proseStart = 1
    private var codeCount = 0
    private var ids: [String: Int] = [:]

    init(text: String, file: String?) {
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        // A final newline ends the last line; it does not start an empty one.
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        self.lines = lines
        self.source = SourceLines(text, file: file, firstLine: 1)
        self.file = file
    }

    mutating func read() throws {
        var index = 0
        // A fence in prose (```python …) hides any ```dnb inside it.
        var proseFence: (character: Character, length: Int)?
        while index < lines.count {
            let line = lines[index]
            let lineNumber = index + 1
            if let fence = proseFence {
                if NotebookReader.closes(line, fence.character, fence.length) { proseFence = nil }
                appendProse(line, at: lineNumber)
                index += 1
                continue
            }
            if let opener = NotebookReader.fence(line) {
                if opener.info.first == "dnb", opener.character == "`" {
                    index = try readCode(from: index, fenceLength: opener.length, info: opener.info, infoText: opener.infoText)
                    continue
                }
                proseFence = (opener.character, opener.length)
            } else if title == nil, line.hasPrefix("# ") {
                title = line.dropFirst(2).trimmingSpaces()
                titleLine = lineNumber
            }
            appendProse(line, at: lineNumber)
            index += 1
        }
        flushProse()
    }

    private mutating func appendProse(_ line: Substring, at lineNumber: Int) {
        if prose.isEmpty { proseStart = lineNumber }
        prose.append(line)
    }

    private mutating func flushProse() {
        defer { prose = [] }
        guard prose.contains(where: { !$0.allSatisfy(\.isWhitespace) }) else { return }
        cells.append(Cell(kind: .prose, text: prose.joined(separator: "\n"), startLine: proseStart,
                          fenceLine: proseStart, number: 0))
    }

    /// Reads a code cell whose opening fence is at `index`; returns the index after its closing fence.
    private mutating func readCode(from index: Int, fenceLength: Int, info: [Substring], infoText: Substring) throws -> Int {
        flushProse()
        let fenceLine = index + 1
        codeCount += 1
        let options = try parseOptions(infoText, line: fenceLine)
        if let id = options.id {
            if let previous = ids[id] {
                throw error("cell id '\(id)' is already used by the cell at line \(previous)", line: fenceLine, column: 1)
            }
            ids[id] = fenceLine
        }
        var end = index + 1
        while end < lines.count, !NotebookReader.closes(lines[end], "`", fenceLength) { end += 1 }
        guard end < lines.count else {
            throw error("code cell opened here is never closed; add a line with ``` after its code", line: fenceLine, column: 1)
        }
        let body = lines[(index + 1)..<end].joined(separator: "\n")
        cells.append(Cell(kind: .code(options), text: body, startLine: fenceLine + 1, fenceLine: fenceLine, number: codeCount))
        return end + 1
    }

    /// Reads `id=train echo=false skip` from the info string after `dnb`.
    private func parseOptions(_ infoText: Substring, line: Int) throws -> CellOptions {
        var options = CellOptions()
        let fenceText = lines[line - 1]
        for word in infoText.split(whereSeparator: \.isWhitespace).dropFirst() {
            // Slices share their base string's indices, so this is the word's column.
            let column = fenceText.distance(from: fenceText.startIndex, to: word.startIndex) + 1
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : nil
            func flag() throws -> Bool {
                switch value {
                case nil, "true": return true
                case "false": return false
                default: throw error("cell option '\(name)' must be true or false, got '\(value!)'", line: line, column: column)
                }
            }
            switch name {
            case "id":
                // Ids name figures and anchors: letters, digits, _ and - (e.g. id=loss-curve).
                guard let value, let first = value.first, first.isLetter || first == "_",
                      value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw error("cell option 'id' needs a name made of letters, digits, _ and -, e.g. id=loss-curve", line: line, column: column)
                }
                options.id = value
            case "echo": options.echo = try flag()
            case "allow-error": options.allowError = try flag()
            case "skip": options.skip = try flag()
            case "cache": options.cache = try flag()
            default:
                var message = "unknown cell option '\(name)'"
                if let near = Suggestions.nearest(to: name, in: Notebook.cellOptionNames) {
                    message += "; did you mean '\(near)'?"
                } else {
                    message += "; known options: " + Notebook.cellOptionNames.joined(separator: ", ")
                }
                throw error(message, line: line, column: column)
            }
        }
        return options
    }

    private func error(_ message: String, line: Int, column: Int) -> ParseError {
        ParseError(source.diagnostic(message, at: SourceLocation(file: file, line: line, column: column)))
    }

    /// A fence opener: up to three spaces, then three or more ` or ~.
    static func fence(_ line: Substring) -> (character: Character, length: Int, info: [Substring], infoText: Substring)? {
        let indent = line.prefix { $0 == " " }.count
        guard indent <= 3 else { return nil }
        let rest = line.dropFirst(indent)
        guard let character = rest.first, character == "`" || character == "~" else { return nil }
        let length = rest.prefix { $0 == character }.count
        guard length >= 3 else { return nil }
        let infoText = rest.dropFirst(length)
        return (character, length, infoText.split(whereSeparator: \.isWhitespace), infoText)
    }

    /// A closing fence: the same character, at least as long, nothing after.
    static func closes(_ line: Substring, _ character: Character, _ length: Int) -> Bool {
        let trimmed = line.trimmingSpaces()
        return trimmed.count >= length && trimmed.allSatisfy { $0 == character }
            && line.prefix { $0 == " " }.count <= 3
    }
}

import DNBLanguage

/// A `.dnb` file as an nbformat 4.5 notebook: prose becomes markdown cells, code cells become code cells
/// with their options (`id`, `echo`, `allow-error`, `skip`) in `metadata.dnb`. What Markdown cannot carry
/// (blank lines between cells, a fence written another way, a missing final newline) is kept in metadata
/// only where it differs from the usual layout, so `IPynbToDNB` gives back the very same text.
public struct DNBToIPynb {
    /// The version written into `language_info`.
    public var version: String

    public init(version: String) { self.version = version }

    /// Throws `ParseError` when the text is not a valid `.dnb` notebook.
    public func convert(_ text: String, file: String? = nil) throws -> JSON {
        let notebook = try Notebook(parsing: text, file: file)
        let layout = NotebookLayout(text: text, notebook: notebook)
        var ids = CellIDs()
        var cells: [JSON] = []
        for (index, cell) in notebook.cells.enumerated() {
            cells.append(convert(cell, span: layout.spans[index], first: index == 0, ids: &ids))
        }
        var dnb: [String: JSON] = [:]
        if !layout.trailing.isEmpty { dnb["lines_after"] = Self.gapJSON(layout.trailing) }
        if !layout.finalNewline { dnb["final_newline"] = false }
        return IPynb.document(cells: cells, version: version, dnbMetadata: dnb)
    }

    private func convert(_ cell: Cell, span: NotebookLayout.Span, first: Bool, ids: inout CellIDs) -> JSON {
        var dnb: [String: JSON] = [:]
        if span.before != Array(repeating: "", count: first ? 0 : 1) { dnb["lines_before"] = Self.gapJSON(span.before) }
        guard let options = cell.options else {
            return cellJSON("markdown", id: ids.next(preferred: nil, kind: "md"), source: span.prose, dnb: dnb)
        }
        dnb.merge(CodeFence.metadata(options)) { _, new in new }
        if span.opening != CodeFence.opening(options) { dnb["fence"] = .string(span.opening) }
        if span.closing != CodeFence.closing(for: span.opening) { dnb["close"] = .string(span.closing) }
        // One blank line of code and no line at all are both the empty source.
        if span.codeLines == 1 && cell.text.isEmpty { dnb["blank_line"] = true }
        var json = cellJSON("code", id: ids.next(preferred: options.id, kind: "cell"), source: cell.text, dnb: dnb)
        if case .object(var members) = json {
            members["execution_count"] = .null
            members["outputs"] = []
            json = .object(members)
        }
        return json
    }

    private func cellJSON(_ type: String, id: String, source: String, dnb: [String: JSON]) -> JSON {
        ["cell_type": .string(type), "id": .string(id), "source": IPynb.sourceLines(source),
         "metadata": dnb.isEmpty ? [:] : ["dnb": .object(dnb)]]
    }

    /// Blank lines as a count; lines holding spaces as the lines themselves.
    static func gapJSON(_ lines: [String]) -> JSON {
        lines.allSatisfy(\.isEmpty) ? .int(lines.count) : .array(lines.map(JSON.string))
    }
}

/// Unique nbformat cell ids: the dnb `id` where it is a valid one, else `cell-3`, `md-2`.
struct CellIDs {
    private var used: Set<String> = []
    private var counts: [String: Int] = [:]

    mutating func next(preferred: String?, kind: String) -> String {
        if let preferred, IPynb.isValidCellID(preferred), used.insert(preferred).inserted { return preferred }
        while true {
            counts[kind, default: 0] += 1
            let id = "\(kind)-\(counts[kind, default: 0])"
            if used.insert(id).inserted { return id }
        }
    }
}

/// Where each cell of a `.dnb` file lies in its lines: the blank lines before it and, for code, its fences;
/// for prose, the text without the blank lines around it.
struct NotebookLayout {
    struct Span {
        var before: [String] = []
        var prose = ""
        var opening = ""
        var closing = ""
        var codeLines = 0
    }

    var spans: [Span] = []
    var trailing: [String] = []
    var finalNewline = true

    init(text: String, notebook: Notebook) {
        // Split as the notebook reader does, so line numbers agree; an empty file has no line at all.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }.map(String.init)
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        if text.isEmpty { lines = [] }
        finalNewline = text.isEmpty || text.utf8.last == UInt8(ascii: "\n")
        var next = 0  // the first line not yet given to a cell
        var gap: [String] = []  // blank lines waiting for the next cell: between cells, or around prose
        for cell in notebook.cells {
            var span = Span()
            let first = cell.fenceLine - 1
            gap += lines[next..<first]
            let last: Int
            if cell.isCode {
                span.opening = lines[first]
                last = CodeFence.closingLine(in: lines, after: first) ?? lines.count - 1
                span.closing = lines[last]
                span.codeLines = last - first - 1
                span.before = gap
                gap = []
            } else {
                last = first + cell.text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
                let body = lines[first...last]
                let isBlank: (String) -> Bool = { $0.allSatisfy(\.isWhitespace) }
                let start = body.firstIndex { !isBlank($0) } ?? body.endIndex
                let end = (body.lastIndex { !isBlank($0) } ?? start - 1) + 1
                span.before = gap + body[..<start]
                span.prose = body[start..<end].joined(separator: "\n")
                gap = Array(body[end...])
            }
            spans.append(span)
            next = last + 1
        }
        trailing = gap + lines[min(next, lines.count)...]
    }

    /// The text these spans describe, with `cells` (markdown and code) in order: the inverse of `init`.
    static func text(lines: [String], finalNewline: Bool) -> String {
        lines.joined(separator: "\n") + (finalNewline && !lines.isEmpty ? "\n" : "")
    }
}

/// An image a command wrote, for the report.
public struct Figure: Hashable, Sendable, Codable {
    /// Relative to the output directory, e.g. `figures/loss.png`.
    public var path: String
    public var caption: String

    public init(path: String, caption: String) {
        self.path = path
        self.caption = caption
    }
}

/// Rows of text under a header; rendered as a Markdown table in reports.
public struct Table: Hashable, Sendable, Codable {
    public var headers: [String]
    public var rows: [[String]]
    public var caption: String?

    public init(headers: [String], rows: [[String]], caption: String? = nil) {
        self.headers = headers
        self.rows = rows
        self.caption = caption
    }

    /// Columns padded to equal width, for terminals.
    public var plainText: String {
        let columnCount = max(headers.count, rows.map(\.count).max() ?? 0)
        func cell(_ row: [String], _ column: Int) -> String { column < row.count ? row[column] : "" }
        let widths = (0..<columnCount).map { column in
            ([headers] + rows).map { cell($0, column).count }.max() ?? 0
        }
        func render(_ row: [String]) -> String {
            (0..<columnCount).map { column in
                let text = cell(row, column)
                return text + String(repeating: " ", count: widths[column] - text.count)
            }.joined(separator: "  ").replacingTrailingSpaces()
        }
        var lines = [render(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(render)
        if let caption { lines.append(caption) }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func replacingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// One thing a command produced, in the order produced.
public enum OutputItem: Hashable, Sendable {
    case text(String)
    case figure(Figure)
    case table(Table)
}

extension OutputItem {
    /// How the item reads in a terminal, e.g. for the REPL's live echo. Figures are named by their path
    /// under `outputDirectory` when given, so that the user can open the file from where they are.
    public func plainText(outputDirectory: String? = nil) -> String {
        switch self {
        case .text(let text): return text
        case .table(let table): return table.plainText
        case .figure(let figure):
            let path = outputDirectory.map { $0.hasSuffix("/") ? $0 + figure.path : $0 + "/" + figure.path } ?? figure.path
            return "[figure] \(path)" + (figure.caption.isEmpty ? "" : ": \(figure.caption)") + "\n"
        }
    }
}

/// Where commands send their results. The runner keeps the items for the
/// report; the REPL also shows each as it arrives via `onEmit`.
public final class Output {
    public private(set) var items: [OutputItem] = []
    /// Called for every item as it is emitted, before it is stored.
    public var onEmit: ((OutputItem) -> Void)?

    public init(onEmit: ((OutputItem) -> Void)? = nil) {
        self.onEmit = onEmit
    }

    /// Like Swift's `print`: items separated by spaces, ending with a newline.
    public func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
        write(items.map { "\($0)" }.joined(separator: separator) + terminator)
    }

    public func write(_ text: String) {
        guard !text.isEmpty else { return }
        onEmit?(.text(text))
        // Consecutive writes form one block of text in the report.
        if case .text(let previous)? = items.last {
            items[items.count - 1] = .text(previous + text)
        } else {
            items.append(.text(text))
        }
    }

    public func figure(path: String, caption: String) {
        emit(.figure(Figure(path: path, caption: caption)))
    }

    public func table(_ table: Table) {
        emit(.table(table))
    }

    /// Files a command wrote besides figures (a saved model, a tensor, a checkpoint), by the path it wrote:
    /// the cell cache keeps them with the cell's outputs and puts them back when it restores the cell.
    public private(set) var writtenFiles: [String] = []

    public func noteWritten(_ path: String) {
        writtenFiles.append(path)
    }

    /// Files or folders a command read (a model, a tensor, a checkpoint), by the path it read: the cell cache
    /// reuses the cell's result only while they hold the same bytes.
    public private(set) var readFiles: [String] = []

    public func noteRead(_ path: String) {
        readFiles.append(path)
    }

    public func emit(_ item: OutputItem) {
        if case .text(let text) = item { return write(text) }
        onEmit?(item)
        items.append(item)
    }

    /// A front end that shows warnings apart (the Jupyter kernel's stderr stream) sets this; otherwise a
    /// warning is ordinary text. Either way the report keeps it as text, where it was said.
    public var onWarning: ((String) -> Void)?

    /// Text the user should not miss though the command went on: an argument not applied, NaN weights.
    public func warn(_ text: String) {
        guard let onWarning else { return write(text) }
        onWarning(text)
        let handler = onEmit
        onEmit = nil
        write(text)
        onEmit = handler
    }

    /// Returns the items so far and starts afresh, e.g. at a cell boundary.
    public func takeItems() -> [OutputItem] {
        defer { items = [] }
        return items
    }
}

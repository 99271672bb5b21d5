/// Options written after ```` ```dnb ```` on a code cell's opening fence.
public struct CellOptions: Hashable, Sendable {
    /// A name for the cell in messages and reports.
    public var id: String?
    /// Show the code in the report.
    public var echo = true
    /// A failure in this cell is shown in the report but does not stop the run.
    public var allowError = false
    /// Do not run this cell.
    public var skip = false
    /// `cache=false`: always run this cell, never restore it from the cell cache (for cells with effects outside
    /// dnb's workspace and output folder).
    public var cache = true

    public init(id: String? = nil, echo: Bool = true, allowError: Bool = false, skip: Bool = false, cache: Bool = true) {
        self.id = id
        self.echo = echo
        self.allowError = allowError
        self.skip = skip
        self.cache = cache
    }
}

/// A stretch of a notebook: Markdown prose or a dnb code cell.
public struct Cell: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case prose
        case code(CellOptions)
    }

    public var kind: Kind
    /// Prose as written, or the code between the fences.
    public var text: String
    /// The file line of the first line of `text`.
    public var startLine: Int
    /// For code cells, the line of the opening fence; otherwise `startLine`.
    public var fenceLine: Int
    /// Code cells are numbered 1, 2, … in file order; prose has 0.
    public var number: Int

    public var options: CellOptions? {
        if case .code(let options) = kind { return options }
        return nil
    }

    public var isCode: Bool { options != nil }

    /// `cell 3 (train)` – how messages and reports name a code cell.
    public var label: String {
        if let id = options?.id { return "cell \(number) (\(id))" }
        return "cell \(number)"
    }
}

/// A parsed `.dnb` file: Markdown whose ```` ```dnb ```` fenced blocks are
/// code cells. See docs/language.md.
public struct Notebook: Hashable, Sendable {
    public var file: String?
    public var cells: [Cell]
    /// The text of the first `# ` heading outside code, if any.
    public var title: String?
    /// The file line of that heading, so the report can avoid repeating it.
    public var titleLine: Int?

    public var codeCells: [Cell] { cells.filter(\.isCode) }

    /// Code cells not marked `skip`.
    public var runnableCells: [Cell] { codeCells.filter { $0.options?.skip == false } }
}

import DNBSupport

/// `dnb run --only ID | --from ID | --until ID`: part of a notebook, named by a cell id or number.
public struct CellSelection: Equatable, Sendable {
    public enum Mode: String, Sendable { case only, from, until }
    public var mode: Mode
    /// A cell's id or its number (1 for the first code cell).
    public var cell: String

    public init(_ mode: Mode, _ cell: String) {
        self.mode = mode
        self.cell = cell
    }
}

/// Where each of a notebook's cells stands relative to a selection.
struct CellRange {
    enum Place { case before, inside, after }

    /// Index in `notebook.cells` of the first reported cell, and of the last (nil: to the end).
    private let first: Int
    private let last: Int?
    let description: String?

    init(_ selection: CellSelection?, in notebook: Notebook) throws {
        guard let selection else {
            (first, last, description) = (0, nil, nil)
            return
        }
        let target = try Self.cell(selection.cell, option: selection.mode.rawValue, in: notebook)
        let index = notebook.cells.firstIndex(of: target)!
        // The prose just above the cell introduces it: it starts the reported part.
        var start = index
        while start > 0, !notebook.cells[start - 1].isCode { start -= 1 }
        switch selection.mode {
        case .only: (first, last) = (start, index)
        case .from: (first, last) = (start, nil)
        case .until: (first, last) = (0, index)
        }
        let before = target.number - 1
        let restoredNote = before > 0 && selection.mode != .until
            ? "; code cells 1–\(before) ran first for their state (from the cell cache where it holds them) and are not shown" : ""
        description = "--\(selection.mode.rawValue) \(target.label)" + restoredNote
    }

    /// The code cell a command-line option names by id or number; an unknown one is an `ArgumentError` with
    /// "did you mean" (or the cells there are).
    static func cell(_ name: String, option: String, in notebook: Notebook) throws -> Cell {
        let code = notebook.codeCells
        if let cell = code.first(where: { $0.options?.id == name || String($0.number) == name }) { return cell }
        let ids = code.compactMap { $0.options?.id }
        var message = "--\(option) \(name): the notebook has no cell with that id or number"
        if let near = Suggestions.nearest(to: name, in: ids) {
            message += "; did you mean '\(near)'?"
        } else {
            message += " (cells: 1–\(code.count)" + (ids.isEmpty ? "" : "; ids: " + ids.joined(separator: ", ")) + ")"
        }
        throw ArgumentError(argument: option, message)
    }

    func place(_ index: Int) -> Place {
        if index < first { return .before }
        if let last, index > last { return .after }
        return .inside
    }
}

import DNBLanguage

/// The fences of a dnb code cell: written from its options, and found in a file's lines.
enum CodeFence {
    /// ```` ```dnb id=train echo=false ```` – the options that differ from their defaults, in a fixed order.
    static func opening(_ options: CellOptions, backticks: Int = 3) -> String {
        var words = [String(repeating: "`", count: backticks) + "dnb"]
        if let id = options.id { words.append("id=\(id)") }
        if !options.echo { words.append("echo=false") }
        if options.allowError { words.append("allow-error=true") }
        if options.skip { words.append("skip=true") }
        return words.joined(separator: " ")
    }

    /// The plain closing fence for an opening one: as many backticks.
    static func closing(for opening: String) -> String {
        String(repeating: "`", count: backticks(opening))
    }

    static func backticks(_ line: String) -> Int {
        line.drop { $0 == " " }.prefix { $0 == "`" }.count
    }

    /// The line that closes the code cell opened at `index` (the notebook reader's rule: the same
    /// character, at least as many, nothing else, at most three spaces of indentation).
    static func closingLine(in lines: [String], after index: Int) -> Int? {
        let length = backticks(lines[index])
        return lines.indices.dropFirst(index + 1).first { closes(lines[$0], length) }
    }

    static func closes(_ line: String, _ length: Int) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count >= length && trimmed.allSatisfy { $0 == "`" } && line.prefix { $0 == " " }.count <= 3
    }

    /// The options as `metadata.dnb` holds them: only those that differ from their defaults.
    static func metadata(_ options: CellOptions) -> [String: JSON] {
        var dnb: [String: JSON] = [:]
        if let id = options.id { dnb["id"] = .string(id) }
        if !options.echo { dnb["echo"] = false }
        if options.allowError { dnb["allow-error"] = true }
        if options.skip { dnb["skip"] = true }
        return dnb
    }

    /// The options `metadata.dnb` describes; a value of the wrong type is an error naming the cell.
    static func options(_ dnb: [String: JSON], cell: Int) throws -> CellOptions {
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let value = dnb[name] else { return fallback }
            guard let bool = value.bool else { throw JSONError("cell \(cell): metadata.dnb.\(name) must be true or false") }
            return bool
        }
        var options = CellOptions(echo: try flag("echo", true), allowError: try flag("allow-error", false), skip: try flag("skip", false))
        if let id = dnb["id"] {
            // The notebook reader's rule for ids; anything else would read back as other options.
            guard let text = id.string, let first = text.first, first.isLetter || first == "_",
                  text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw JSONError("cell \(cell): metadata.dnb.id must be a name made of letters, digits, _ and -, e.g. loss-curve")
            }
            options.id = text
        }
        return options
    }

    /// The options an opening fence line declares, nil when it is not one the notebook reader accepts.
    static func options(ofFence line: String) -> CellOptions? {
        let closing = closing(for: line)
        guard !closing.isEmpty, let notebook = try? Notebook(parsing: line + "\n" + closing + "\n"),
              notebook.cells.count == 1 else { return nil }
        return notebook.cells[0].options
    }

    /// A fence that `body` cannot close: one backtick more than the longest run that stands alone on a line.
    static func backticksNeeded(for body: String) -> Int {
        let longest = body.split(separator: "\n").map { line -> Int in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.allSatisfy { $0 == "`" } && line.prefix { $0 == " " }.count <= 3 ? trimmed.count : 0
        }.max() ?? 0
        return max(3, longest + 1)
    }
}

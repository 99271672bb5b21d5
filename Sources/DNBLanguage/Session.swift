import DNBSupport

/// The REPL entries that changed the session's state, in order, so a session can be
/// saved as a notebook (`save session FILE.dnb`) and replayed with `dnb run`.
public struct Session {
    public private(set) var entries: [String] = []

    /// Commands that only show things (`help`, `vars`, `print`, `env`): a replay does not need them,
    /// so they are not recorded.
    public static let inspectionCommands: Set<String> = ["help", "vars", "print", "env"]

    public init() {}

    /// Records one complete entry (possibly several lines, e.g. a loop), unless it is blank or
    /// only inspects (every statement is an inspection command).
    public mutating func record(_ entry: String) {
        var entry = entry
        while entry.hasSuffix("\n") { entry.removeLast() }
        guard !entry.allSatisfy(\.isWhitespace), !Self.onlyInspects(entry) else { return }
        entries.append(entry)
    }

    /// True when every statement of the entry is a call of an inspection command.
    public static func onlyInspects(_ entry: String) -> Bool {
        guard let script = try? Parser.parse(entry), !script.statements.isEmpty else { return false }
        return script.statements.allSatisfy { statement in
            if case .command(let call) = statement.kind { return inspectionCommands.contains(call.name) }
            return false
        }
    }

    public mutating func clear() { entries = [] }

    /// A valid `.dnb` file: a title and one code cell per entry, so the report of a replay shows
    /// each entry's output under it.
    public func notebookText(title: String = "Saved session") -> String {
        var text = "# \(title)\n"
        for entry in entries { text += "\n```dnb\n" + entry + "\n```\n" }
        return text
    }

    /// Writes the notebook atomically, so an existing file is never left half-replaced.
    public func save(to path: String, title: String = "Saved session") throws {
        try AtomicFile.write(notebookText(title: title), to: path)
    }
}

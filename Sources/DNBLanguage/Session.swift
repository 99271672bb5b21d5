import DNBSupport

/// The REPL entries that ran successfully, in order, so a session can be
/// saved as a notebook (`save session FILE.dnb`) and replayed with `dnb run`.
public struct Session {
    public private(set) var entries: [String] = []

    public init() {}

    /// Records one complete entry (possibly several lines, e.g. a loop).
    public mutating func record(_ entry: String) {
        var entry = entry
        while entry.hasSuffix("\n") { entry.removeLast() }
        guard !entry.allSatisfy(\.isWhitespace) else { return }
        entries.append(entry)
    }

    public mutating func clear() { entries = [] }

    /// A valid `.dnb` file: a title and one code cell holding every entry.
    public func notebookText(title: String = "Saved session") -> String {
        var text = "# \(title)\n\n```dnb\n"
        for entry in entries { text += entry + "\n" }
        return text + "```\n"
    }

    /// Writes the notebook atomically, so an existing file is never left half-replaced.
    public func save(to path: String, title: String = "Saved session") throws {
        try AtomicFile.write(notebookText(title: title), to: path)
    }
}

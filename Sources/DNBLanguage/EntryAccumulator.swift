/// Joins the lines of a REPL entry until it is complete: a `{`, `[` or `(` left open, or a line ending in `\`,
/// waits for more. Shared by the terminal REPL and the piped one.
public struct EntryAccumulator {
    /// The lines so far of an unfinished entry (nil: none is open).
    public private(set) var pending: String?
    private var waits: Parser.Unfinished?

    public init() {}

    /// Adds a line; returns the whole entry when it is complete, nil while it waits for more.
    public mutating func add(_ line: String) -> String? {
        let text = pending.map { $0 + "\n" + line } ?? line
        // A line that cannot close the open bracket spares re-lexing the whole entry (Parser.keepsBracketOpen).
        if waits == .openBracket, Parser.keepsBracketOpen(line) {
            pending = text
            return nil
        }
        waits = Parser.waitsFor(text)
        if waits != nil {
            pending = text
            return nil
        }
        pending = nil
        return text
    }

    /// Drops an unfinished entry (Ctrl-C at the prompt).
    public mutating func reset() {
        pending = nil
        waits = nil
    }
}

import DNBJupyter

/// The inputs (and text results) of this kernel's cells that asked to be stored, for `history_request`:
/// the last n (`tail`), a range of execution counts (`range`) or those matching a glob (`search`).
/// Kept in memory for the kernel's life: a restarted kernel starts a new history, as its workspace does.
struct KernelHistory {
    struct Entry {
        var line: Int
        var input: String
        var output: String?
    }

    private(set) var entries: [Entry] = []

    mutating func record(line: Int, input: String, output: String?) {
        entries.append(Entry(line: line, input: input, output: output))
    }

    func reply(to request: JSON, session: Int) -> JSON {
        let selected: [Entry]
        let n = request["n"]?.int
        switch request["hist_access_type"]?.string {
        case "tail":
            selected = Array(entries.suffix(max(0, n ?? 10)))
        case "range":
            let start = request["start"]?.int ?? 0
            let stop = request["stop"]?.int ?? Int.max
            selected = entries.filter { $0.line >= start && $0.line < stop }
        case "search":
            selected = search(pattern: request["pattern"]?.string ?? "*", unique: request["unique"]?.bool ?? false, n: n)
        default:
            selected = []
        }
        let withOutput = request["output"]?.bool ?? false
        return ["status": "ok", "history": .array(selected.map { entry in
            let input: JSON = withOutput ? [.string(entry.input), entry.output.map(JSON.string) ?? .null] : .string(entry.input)
            return [.int(session), .int(entry.line), input]
        })]
    }

    /// IPython's rules: a glob over the whole input; `unique` keeps the latest of equal inputs; `n` the last n.
    private func search(pattern: String, unique: Bool, n: Int?) -> [Entry] {
        var matches = entries.filter { Glob.matches(pattern, $0.input) }
        if unique {
            var seen: Set<String> = []
            matches = matches.reversed().filter { seen.insert($0.input).inserted }.reversed()
        }
        if let n, n > 0 { matches = Array(matches.suffix(n)) }
        return matches
    }
}

/// Shell-style `*` and `?` matching (no character classes), iterative so a long input cannot recurse deeply.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var i = 0, j = 0, star = -1, mark = 0
        while j < t.count {
            if i < p.count, p[i] == "?" || p[i] == t[j] { i += 1; j += 1 }
            else if i < p.count, p[i] == "*" { star = i; mark = j; i += 1 }
            else if star >= 0 { i = star + 1; mark += 1; j = mark }
            else { return false }
        }
        while i < p.count, p[i] == "*" { i += 1 }
        return i == p.count
    }
}

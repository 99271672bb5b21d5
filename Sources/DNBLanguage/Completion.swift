/// Candidates for completing the word under the cursor in the REPL.
public struct Completion: Hashable, Sendable {
    /// Character offset in the line where the text being completed starts;
    /// a candidate replaces the characters from here to the cursor.
    public var replacementStart: Int
    /// The text being completed (from `replacementStart` to the cursor).
    public var partial: String
    /// Full replacements for `partial`, sorted.
    public var candidates: [String]
    /// The value being typed is (or looks like) a file path: the caller
    /// should offer file names as well.
    public var wantsFilePaths: Bool
}

/// Computes completions from the registry and the variables in scope:
/// command names at the start of a statement, verbs after a command with
/// verbs, `name=` for the command's arguments not yet given, allowed values
/// (and true/false) after `name=`, and `$variables`.
public struct Completer {
    public let registry: CommandRegistry
    public var variableNames: [String]
    /// Variables holding records, whose fields complete after `$name.`.
    public var records: [String: Record] = [:]

    public init(registry: CommandRegistry, variableNames: [String]) {
        self.registry = registry
        self.variableNames = variableNames
    }

    public func complete(line: String, cursor: Int) -> Completion {
        let text = Array(line.prefix(max(0, cursor)))
        let scan = StatementScan(text)
        let partial = String(text[scan.currentStart...])

        if scan.isInComment {
            return Completion(replacementStart: text.count, partial: "", candidates: [], wantsFilePaths: false)
        }
        if let quote = scan.openQuote {
            // Strings are where file names live.
            return Completion(replacementStart: quote + 1, partial: String(text[(quote + 1)...]), candidates: [], wantsFilePaths: true)
        }
        var words = scan.words
        if words.first == "time" || words.first == "timeit" { words.removeFirst() }
        // `let r = train …` completes as `train …`.
        if words.count >= 3, words[0] == "let", words[2] == "=" { words.removeFirst(3) }

        if words.isEmpty {
            return result(scan.currentStart, partial, registry.commandNames + Parser.keywords)
        }
        if let fields = fieldCompletion(partial, start: scan.currentStart) { return fields }
        // `$n`, and a variable inside an expression written without spaces: `len($x`, `$a*$b`.
        if let dollar = partial.lastIndex(of: "$"), partial[partial.index(after: dollar)...].allSatisfy(Lexer.isWordPart) {
            let start = scan.currentStart + partial.distance(from: partial.startIndex, to: dollar)
            return result(start, String(partial[dollar...]), variableNames.map { "$" + $0 })
        }
        switch words[0] {
        case "let", "for", "param":
            return result(scan.currentStart, partial, [])
        case "help":
            if words.count == 1 { return result(scan.currentStart, partial, registry.commandNames + Parser.keywords) }
            let verbs = words.count == 2 ? registry.command(named: words[1])?.verbs.map(\.name) ?? [] : []
            return result(scan.currentStart, partial, verbs)
        default:
            break
        }
        guard var spec = registry.command(named: words[0]) else { return result(scan.currentStart, partial, []) }
        var given = Array(words.dropFirst())
        if spec.hasVerbs {
            if given.isEmpty { return result(scan.currentStart, partial, spec.verbs.map(\.name)) }
            guard let verb = spec.verb(named: given[0]) else { return result(scan.currentStart, partial, []) }
            spec = verb
            given.removeFirst()
        }

        if let equals = partial.firstIndex(of: "=") {
            let name = String(partial[..<equals])
            guard let argument = spec.argument(named: name) else { return result(scan.currentStart, partial, []) }
            // Inside a list, complete the element being typed.
            let valueText = partial[partial.index(after: equals)...]
            let elementStart = valueText.lastIndex { "[(,".contains($0) }.map { valueText.index(after: $0) } ?? valueText.startIndex
            var offset = scan.currentStart + partial.distance(from: partial.startIndex, to: elementStart)
            var element = String(partial[elementStart...])
            while element.first == " " {
                element.removeFirst()
                offset += 1
            }
            return valueCompletion(for: argument, element: element, at: offset)
        }

        let namedArguments = Set(given.compactMap { word in word.firstIndex(of: "=").map { String(word[..<$0]) } })
        let open = spec.arguments.filter { $0.isPlain && !namedArguments.contains($0.name) }
        var candidates = open.map { $0.name + "=" }
        // The next positional argument's allowed values are likely what comes next.
        let positionalCount = given.filter { !$0.contains("=") }.count
        if positionalCount < open.count, let allowed = open[positionalCount].allowedValues {
            candidates += allowed.map(\.literal)
        }
        if positionalCount == 0, let suggestions = spec.suggestions { candidates += suggestions() }
        var completion = result(scan.currentStart, partial, candidates)
        completion.wantsFilePaths = Completer.looksLikePath(partial)
        return completion
    }

    /// `$r.lo` → `$r.loss`, `$m.config.sa` → `$m.config.sample_size`: the fields of a record variable.
    private func fieldCompletion(_ partial: String, start: Int) -> Completion? {
        guard let dollar = partial.lastIndex(of: "$") else { return nil }
        let path = partial[partial.index(after: dollar)...]
        guard path.contains("."), path.allSatisfy({ Lexer.isWordPart($0) || $0 == "." }) else { return nil }
        let names = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var record = records[names[0]]
        for name in names.dropFirst().dropLast() {
            guard case .record(let inner)? = record?[name] else { record = nil; break }
            record = inner
        }
        let prefix = "$" + names.dropLast().joined(separator: ".") + "."
        let offset = start + partial.distance(from: partial.startIndex, to: dollar)
        return result(offset, String(partial[dollar...]), record?.names.map { prefix + $0 } ?? [])
    }

    private func valueCompletion(for argument: ArgumentSpec, element: String, at offset: Int) -> Completion {
        if element.hasPrefix("$") { return result(offset, element, variableNames.map { "$" + $0 }) }
        var elementType = argument.type
        if case .list(let inner) = elementType { elementType = inner }
        var candidates = argument.allowedValues?.map(\.literal) ?? []
        if elementType == .bool { candidates += ["true", "false"] }
        var completion = result(offset, element, candidates)
        completion.wantsFilePaths = argument.allowedValues == nil && (elementType == .path || Completer.looksLikePath(element))
        return completion
    }

    private func result(_ start: Int, _ partial: String, _ candidates: [String]) -> Completion {
        let matches = Set(candidates.filter { $0.hasPrefix(partial) }).sorted()
        return Completion(replacementStart: start, partial: partial, candidates: matches, wantsFilePaths: false)
    }

    static func looksLikePath(_ text: String) -> Bool {
        text.contains("/") || text.hasPrefix(".") || text.hasPrefix("~")
    }
}

/// The words of the statement under the cursor, read leniently since the
/// line is unfinished: no errors, strings and brackets only tracked enough
/// to know what the cursor is in.
private struct StatementScan {
    /// Finished words of the current statement, before the cursor's word.
    var words: [String] = []
    /// Offset where the cursor's word starts.
    var currentStart = 0
    /// Offset of the opening quote when the cursor is inside a string.
    var openQuote: Int?
    var isInComment = false

    init(_ text: [Character]) {
        var current = ""
        var depth = 0
        var index = 0
        func finishWord() {
            if !current.isEmpty { words.append(current) }
            current = ""
        }
        while index < text.count {
            let character = text[index]
            if openQuote != nil {
                if character == "\\" {
                    current.append(character)
                    index += 1
                } else if character == "\"" {
                    openQuote = nil
                }
                if index < text.count { current.append(text[index]) }
                index += 1
                continue
            }
            switch character {
            case "\"":
                if current.isEmpty { currentStart = index }
                openQuote = index
                current.append(character)
            case "#":
                // A comment runs to the end of the line: nothing to complete in it.
                isInComment = true
                return
            case "\\" where index + 1 < text.count && text[index + 1] == "\n":
                // A continuation joins the lines of one statement.
                finishWord()
                index += 1
            case ";", "{", "}":
                words = []
                current = ""
                depth = 0
            case "\n" where depth == 0:
                words = []
                current = ""
            case " " where depth == 0, "\t" where depth == 0:
                finishWord()
            case "[", "(":
                if current.isEmpty { currentStart = index }
                depth += 1
                current.append(character)
            case "]", ")":
                depth = max(0, depth - 1)
                current.append(character)
            default:
                if current.isEmpty { currentStart = index }
                current.append(character)
            }
            index += 1
        }
        if current.isEmpty { currentStart = text.count }
    }
}

extension Interpreter {
    /// Completions against this interpreter's commands and visible variables.
    public func completions(line: String, cursor: Int) -> Completion {
        var completer = Completer(registry: registry, variableNames: variables.keys.sorted())
        for (name, value) in variables { if case .record(let record) = value { completer.records[name] = record } }
        return completer.complete(line: line, cursor: cursor)
    }
}

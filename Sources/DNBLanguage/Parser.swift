/// Reads dnb source into statements. See docs/language.md for the grammar.
public struct Parser {
    /// Words that start a statement of their own instead of a command.
    public static let keywords = ["let", "for", "param", "time", "if", "timeit"]

    private let tokens: [Token]
    private let source: SourceLines
    private var position = 0
    /// Nesting depth of `{…}` blocks; `param` is only allowed at depth 0.
    private var depth = 0
    /// Blocks and lists open around the current token, counted together.
    private var nesting = 0

    /// The deepest nesting of `{`, `[` and `(` (counted together) the parser
    /// accepts. The parser, the checker and the interpreter recurse once per
    /// level; without a limit 10,000 nested `for` overflowed the stack (see
    /// docs/language.md). No real notebook nests more than a few levels.
    public static let maximumNesting = 100

    private init(tokens: [Token], source: SourceLines) {
        self.tokens = tokens
        self.source = source
    }

    /// Parses a whole text. `firstLine` is the file line of the text's first
    /// line, so errors in a notebook cell point at the real file line.
    /// Throws `ParseError`.
    public static func parse(_ text: String, file: String? = nil, firstLine: Int = 1) throws -> Script {
        let lexed = try Lexer.tokenize(text, file: file, firstLine: firstLine)
        var parser = Parser(tokens: lexed.tokens, source: SourceLines(text, file: file, firstLine: firstLine))
        let statements = try parser.parseBlock(closedByBrace: false)
        return Script(statements: statements, source: text, file: file, firstLine: firstLine)
    }

    /// True when `text` is an unfinished entry: a `{`, `[` or `(` is still
    /// open or the last line ends with `\`. The REPL keeps reading lines
    /// while this holds. Text with other errors returns false so the caller
    /// parses it and reports the error.
    public static func needsMoreInput(_ text: String) -> Bool {
        waitsFor(text) != nil
    }

    /// Why an entry is unfinished: an open `{`, `[` or `(`, or a line ending in `\`; nil when it is complete
    /// (or cannot be, as when it does not lex: then it runs, to report the error).
    public enum Unfinished: Sendable { case openBracket, continuation }

    public static func waitsFor(_ text: String) -> Unfinished? {
        guard let lexed = try? Lexer.tokenize(text) else { return nil }
        // Deeper than the parser accepts: stop reading so the error shows now (the REPL
        // re-lexes the whole entry per line, so waiting on 10,000 open `{` took minutes).
        guard lexed.openBrackets.count <= maximumNesting else { return nil }
        if !lexed.openBrackets.isEmpty { return .openBracket }
        return lexed.endsWithContinuation ? .continuation : nil
    }

    /// Whether an entry unfinished for an open bracket stays unfinished with `line` added, known from the line
    /// alone: it has no bracket and lexes by itself (so it opens no string that could swallow what follows).
    /// Spares the REPL re-lexing a long unfinished entry for every line (measured: 25 lines of 180 KB each took
    /// 11–16 s before).
    public static func keepsBracketOpen(_ line: String) -> Bool {
        !line.contains(where: { "{}[]()".contains($0) }) && (try? Lexer.tokenize(line)) != nil
    }

    // MARK: - Token access

    private var current: Token { tokens[position] }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private func error(_ message: String, at location: SourceLocation) -> ParseError {
        ParseError(source.diagnostic(message, at: location))
    }

    private func unexpected(_ expectation: String) -> ParseError {
        error("expected \(expectation), found \(current.spelling)", at: current.location)
    }

    /// Enters one more level of `{`, `[` or `(` opened by `opener`.
    private mutating func enterNesting(_ opener: Token) throws {
        guard nesting < Parser.maximumNesting else {
            switch opener.kind {
            case .leftBrace, .leftBracket, .leftParen:
                throw error("\(opener.spelling) nests deeper than \(Parser.maximumNesting) levels of '{', '[' and '('; "
                                + "flatten the loops or lists", at: opener.location)
            default:
                throw error("\(opener.spelling) nests deeper than \(Parser.maximumNesting) levels of '{', '[', '(' and operators; "
                                + "split the expression with let", at: opener.location)
            }
        }
        nesting += 1
    }

    private mutating func skipSeparators() {
        while current.kind == .separator { advance() }
    }

    private mutating func expect(_ kind: Token.Kind, _ expectation: String) throws {
        guard current.kind == kind else { throw unexpected(expectation) }
        advance()
    }

    private mutating func expectWord(_ expectation: String) throws -> String {
        guard case .word(let word) = current.kind else { throw unexpected(expectation) }
        advance()
        return word
    }

    // MARK: - Statements

    private mutating func parseBlock(closedByBrace: Bool) throws -> [Statement] {
        var statements: [Statement] = []
        skipSeparators()
        while true {
            switch current.kind {
            case .end:
                if closedByBrace { throw unexpected("'}' to close the block") }
                return statements
            case .rightBrace:
                guard closedByBrace else { throw error("unexpected '}' with no open block", at: current.location) }
                advance()
                return statements
            default:
                statements.append(try parseStatement())
                switch current.kind {
                case .separator: skipSeparators()
                case .end, .rightBrace: break
                default: throw unexpected("end of statement")
                }
            }
        }
    }

    private mutating func parseStatement() throws -> Statement {
        let start = current.location
        if let help = try parseHelpShortcut() { return help }
        guard case .word(let word) = current.kind else {
            throw unexpected("a command")
        }
        switch word {
        case "let":
            advance()
            let name = try expectWord("a variable name after 'let'")
            try expect(.equals, "'=' after 'let \(name)'")
            if startsCommand {
                return Statement(kind: .commandAssignment(name: name, call: try parseCommand()), location: start)
            }
            let value = try parseValue()
            return Statement(kind: .assignment(name: name, value: value), location: start)
        case "for":
            return try parseLoop()
        case "param":
            return try parseParameter()
        case "time", "timeit":
            advance()
            guard case .word(let next) = current.kind, !["let", "param", "time", "timeit", "else"].contains(next) else {
                throw unexpected("a command, loop or 'if' after '\(word)'")
            }
            var inner = try parseStatement()
            guard word == "timeit" else { return Statement(kind: .timed(inner), location: start) }
            let repeatCount = try takeRepeat(from: &inner)
            return Statement(kind: .timeit(inner, repeat: repeatCount), location: start)
        case "if":
            return try parseConditional()
        case "else":
            throw error("'else' must follow the '}' of an 'if' on the same line: `} else {`", at: start)
        default:
            return Statement(kind: .command(try parseCommand()), location: start)
        }
    }

    /// After `let NAME =`: a bare word followed by an argument is a command (`let m = model summary`,
    /// `let r = train epochs=1`). A lone word stays a value here; the interpreter and `check` run it
    /// when it names a command (`let s = sample`), since only the registry knows the names.
    private var startsCommand: Bool {
        guard case .word(let word) = current.kind, !["true", "false", "none", "not"].contains(word) else { return false }
        let next = tokens[position + 1]
        if Operators.functions.contains(word), next.kind == .leftParen, !next.spaceBefore { return false }
        switch next.kind {
        case .word("and"), .word("or"): return false
        case .word, .variable, .int, .float, .string, .leftBracket, .leftParen, .leftBrace: return true
        default: return false
        }
    }

    private mutating func parseLoop() throws -> Statement {
        let start = current.location
        advance()
        let variable = try expectWord("a loop variable after 'for'")
        guard current.kind == .word("in") else { throw unexpected("'in' after 'for \(variable)'") }
        advance()
        let sequence = try parseValue()
        let body = try parseBody("'{' on the same line to start the loop body")
        return Statement(kind: .loop(variable: variable, sequence: sequence, body: body), location: start)
    }

    /// IPython's help shortcuts: `?`, `?train`, `train?`, `model create?` and
    /// `?model create` are `help`, `help train`, … . Only whole statements of one
    /// or two words qualify, so a `?` elsewhere stays an error.
    private mutating func parseHelpShortcut() throws -> Statement? {
        let start = current.location
        let leading = current.kind == .question
        var index = position + (leading ? 1 : 0)
        var words: [Argument] = []
        while words.count < 2, case .word(let word) = tokens[index].kind {
            let location = tokens[index].location
            words.append(Argument(name: nil, value: Expression(kind: .word(word), location: location), location: location))
            index += 1
        }
        if !leading {
            guard !words.isEmpty, tokens[index].kind == .question else { return nil }
            index += 1
        }
        switch tokens[index].kind {
        case .separator, .end, .rightBrace: break
        default: return nil
        }
        position = index
        return Statement(kind: .command(CommandCall(name: "help", arguments: words, location: start)), location: start)
    }

    /// Parses `{ statements }` as a block: one more level of nesting and scope.
    private mutating func parseBody(_ expectation: String) throws -> [Statement] {
        guard current.kind == .leftBrace else { throw unexpected(expectation) }
        try enterNesting(current)
        advance()
        depth += 1
        let body = try parseBlock(closedByBrace: true)
        depth -= 1
        nesting -= 1
        return body
    }

    /// `if c { … } else if d { … } else { … }`; the chain is a loop, not a recursion,
    /// so a long `else if` chain does not deepen the stack.
    private mutating func parseConditional() throws -> Statement {
        let start = current.location
        var branches: [ConditionalBranch] = []
        while true {
            advance()
            let condition = try parseExpression(after: "'if'")
            let body = try parseBody("'{' on the same line to start the 'if' body")
            branches.append(ConditionalBranch(condition: condition, body: body))
            guard current.kind == .word("else") else { break }
            advance()
            if current.kind == .word("if") { continue }
            let otherwise = try parseBody("'{' or 'if' after 'else'")
            return Statement(kind: .conditional(branches: branches, otherwise: otherwise), location: start)
        }
        return Statement(kind: .conditional(branches: branches, otherwise: nil), location: start)
    }

    /// The `repeat=N` of `timeit`: the last argument of its command, or after the `}`
    /// of its loop or `if`.
    private mutating func takeRepeat(from statement: inout Statement) throws -> Expression? {
        if case .command(var call) = statement.kind {
            guard let last = call.arguments.last, last.name == "repeat" else { return nil }
            call.arguments.removeLast()
            statement.kind = .command(call)
            return last.value
        }
        guard current.kind == .word("repeat"), tokens[position + 1].kind == .equals else { return nil }
        advance()
        advance()
        return try parseValue(after: "'repeat='")
    }

    private mutating func parseParameter() throws -> Statement {
        let start = current.location
        guard depth == 0 else { throw error("'param' is only allowed at the top level, not inside a block", at: start) }
        advance()
        let name = try expectWord("a parameter name after 'param'")
        try expect(.colon, "':' and a type after 'param \(name)'")
        let typeLocation = current.location
        var typeName = try expectWord("a type (int, float, string, path, bool, list)")
        if current.kind == .leftBracket {
            advance()
            typeName += "[" + (try expectWord("an element type")) + "]"
            try expect(.rightBracket, "']' after the element type")
        }
        guard let type = ValueType(name: typeName) else {
            throw error("unknown type '\(typeName)'; expected int, float, string, path, bool, any, list or list[T]", at: typeLocation)
        }
        try expect(.equals, "'=' and a default value: param \(name): \(type) = …")
        let value = try parseValue()
        guard let constant = value.constantValue else {
            throw error("a parameter default must be a literal, not use variables", at: value.location)
        }
        guard let converted = type.coerce(constant) else {
            throw error("default for parameter '\(name)' must be \(type), got \(constant.typedLiteral)", at: value.location)
        }
        var help: String?
        if case .string = current.kind {
            let helpLocation = current.location
            guard let text = try parsePrimary(after: nil).constantValue else {
                throw error("parameter help text cannot interpolate variables", at: helpLocation)
            }
            help = text.description
        }
        let declaration = ParameterDeclaration(name: name, type: type, defaultValue: converted, help: help, location: start)
        return Statement(kind: .parameter(declaration), location: start)
    }

    private mutating func parseCommand() throws -> CommandCall {
        let start = current.location
        let name = try expectWord("a command")
        var arguments: [Argument] = []
        while true {
            switch current.kind {
            case .separator, .end, .rightBrace:
                return CommandCall(name: name, arguments: arguments, location: start)
            case .word(let word) where tokens[position + 1].kind == .equals:
                let location = current.location
                advance()
                advance()
                let value = try parseValue(after: "'\(word)='")
                arguments.append(Argument(name: word, value: value, location: location))
            case .rightBracket, .rightParen, .comma, .equals, .colon, .range:
                throw unexpected("an argument or end of statement")
            default:
                let value = try parseValue()
                arguments.append(Argument(name: nil, value: value, location: value.location))
            }
        }
    }

    // MARK: - Values and expressions

    /// `expression [ ".." expression ]`
    private mutating func parseValue(after context: String? = nil) throws -> Expression {
        let low = try parseExpression(after: context)
        guard current.kind == .range else { return low }
        advance()
        let high = try parseExpression(after: "'..'")
        if case .literal(.int(let from)) = low.kind, case .literal(.int(let to)) = high.kind {
            do {
                _ = try Expression.rangeBounds(from, to)
            } catch let tooLong as LanguageError {
                throw error(tooLong.message, at: low.location)
            }
        }
        return Expression(kind: .range(low, high), location: low.location)
    }

    /// Binding strength of the binary operators, as in Python; `**` binds
    /// tighter than unary minus and is handled by `parsePower`.
    private static let precedence: [String: Int] = [
        "or": 1, "and": 2,
        "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
        "+": 5, "-": 5,
        "*": 6, "/": 6, "//": 6, "%": 6,
    ]
    private static let notPrecedence = 3, comparisonPrecedence = 4

    /// The binary operator at the current token, if it is one. A `-` counts only with
    /// whitespace on both sides or neither (`$n - 1`, `$n-1`); `$n -$m` is two values.
    private var binaryOperator: String? {
        switch current.kind {
        case .symbol("**"): return nil
        case .symbol("-"):
            return current.spaceBefore == tokens[position + 1].spaceBefore ? "-" : nil
        case .symbol(let symbol): return symbol
        case .word("and"): return "and"
        case .word("or"): return "or"
        default: return nil
        }
    }

    /// Precedence climbing: one call per binding level that actually nests, so
    /// `(((…)))` costs a few frames per level. Every operator counts as a level
    /// of nesting until the expression ends, which bounds the depth of the tree
    /// the checker and interpreter recurse through (`1+1+…+1` is as deep as it is long).
    private mutating func parseExpression(after context: String? = nil, minimum: Int = 1) throws -> Expression {
        var left: Expression
        var levels = 0
        defer { nesting -= levels }
        if minimum <= Parser.notPrecedence, current.kind == .word("not"), startsOperand(tokens[position + 1]) {
            let token = current
            try enterNesting(token)
            levels += 1
            advance()
            // `not` binds looser than comparisons and may repeat: `not not $a == 1` is not (not ($a == 1)).
            let operand = try parseExpression(after: "'not'", minimum: Parser.notPrecedence)
            left = Expression(kind: .unary("not", operand), location: token.location)
        } else {
            left = try parseUnary(after: context)
        }
        while let symbol = binaryOperator, let level = Parser.precedence[symbol], level >= minimum {
            if left.word != nil {
                // `and`/`or` after a bare word stay words (`print cats and dogs`).
                if symbol == "and" || symbol == "or" { break }
                throw error("'\(left.word!)' is a bare word, so a string that takes no operators; "
                                + "write $\(left.word!) for a variable or quote the string", at: left.location)
            }
            let token = current
            try enterNesting(token)
            levels += 1
            advance()
            let right = try parseExpression(after: "'\(symbol)'", minimum: level + 1)
            if level == Parser.comparisonPrecedence, let next = binaryOperator,
               Parser.precedence[next] == Parser.comparisonPrecedence
            {
                throw error("comparisons do not chain; write `a < b and b < c`", at: current.location)
            }
            left = Expression(kind: .binary(symbol, left, right), location: token.location)
        }
        return left
    }

    /// Whether `token` can start an operand (so `not` before it is the operator).
    private func startsOperand(_ token: Token) -> Bool {
        switch token.kind {
        case .variable, .int, .float, .string, .leftParen, .leftBracket, .symbol("-"): true
        case .word(let word): ["true", "false", "none", "not"].contains(word) || Operators.functions.contains(word)
        default: false
        }
    }

    /// `-x` (a minus before a number literal folds into it) or a power.
    private mutating func parseUnary(after context: String?) throws -> Expression {
        guard current.kind == .symbol("-") else { return try parsePower(after: context) }
        let token = current
        try enterNesting(token)
        defer { nesting -= 1 }
        advance()
        let operand = try parseUnary(after: "'-'")
        switch operand.kind {
        case .literal(.int(let value)) where value != Int.min: return Expression(kind: .literal(.int(-value)), location: token.location)
        case .literal(.float(let value)): return Expression(kind: .literal(.float(-value)), location: token.location)
        default: return Expression(kind: .unary("-", operand), location: token.location)
        }
    }

    /// `base ** exponent`, right-associative; the exponent may have a sign (`2 ** -1`).
    private mutating func parsePower(after context: String?) throws -> Expression {
        let first = current
        let base = try parsePostfix(after: context)
        guard current.kind == .symbol("**") else { return base }
        guard base.word == nil else {
            throw error("'\(base.word!)' is a bare word, so a string that takes no operators; "
                            + "write $\(base.word!) for a variable or quote the string", at: base.location)
        }
        let token = current
        try enterNesting(token)
        defer { nesting -= 1 }
        advance()
        let exponent = try parseUnary(after: "'**'")
        // The lexer reads `-2` as one number, but `-2 ** 2` is -(2 ** 2) as in Python.
        if isNegativeNumber(first.kind), case .literal(let value) = base.kind, let positive = negated(value) {
            let power = Expression(kind: .binary("**", Expression(kind: .literal(positive), location: base.location), exponent),
                                   location: token.location)
            return Expression(kind: .unary("-", power), location: base.location)
        }
        return Expression(kind: .binary("**", base, exponent), location: token.location)
    }

    private func isNegativeNumber(_ kind: Token.Kind) -> Bool {
        switch kind {
        case .int(let value): value < 0
        case .float(let value): value.sign == .minus
        default: false
        }
    }

    private func negated(_ value: Value) -> Value? {
        switch value {
        case .int(let number) where number != Int.min: .int(-number)
        case .float(let number): .float(-number)
        default: nil
        }
    }

    /// A primary followed by indexes and fields written right after it: `$xs[0][1]`, `$m.config.sample_size`
    /// (`$xs [0]`, with a space, is two values).
    private mutating func parsePostfix(after context: String?) throws -> Expression {
        var value = try parsePrimary(after: context)
        guard value.word == nil else { return value }
        var levels = 0
        defer { nesting -= levels }
        while true {
            if case .member(let name) = current.kind {
                try enterNesting(current)
                levels += 1
                value = Expression(kind: .field(value, name), location: current.location)
                advance()
                continue
            }
            guard current.kind == .leftBracket, !current.spaceBefore else { break }
            let open = current
            try enterNesting(open)
            levels += 1
            advance()
            let index = try parseExpression(after: "'['")
            guard current.kind == .rightBracket else {
                throw current.kind == .end ? error("'[' is never closed; expected ']'", at: open.location) : unexpected("']'")
            }
            advance()
            value = Expression(kind: .index(value, index), location: open.location)
        }
        return value
    }

    private mutating func parsePrimary(after context: String?) throws -> Expression {
        let token = current
        let kind: Expression.Kind
        switch token.kind {
        case .int(let value): kind = .literal(.int(value))
        case .float(let value): kind = .literal(.float(value))
        case .string(let parts):
            try enterNesting(token)
            defer { nesting -= 1 }
            var converted: [StringPart] = []
            for part in parts { converted.append(try parseStringPart(part)) }
            kind = .string(converted)
        case .variable(let name): kind = .variable(name)
        case .word("true"): kind = .literal(.bool(true))
        case .word("false"): kind = .literal(.bool(false))
        case .word("none"): kind = .literal(.none)
        case .word(let name) where Operators.functions.contains(name)
            && tokens[position + 1].kind == .leftParen && !tokens[position + 1].spaceBefore:
            advance()
            let open = current
            try enterNesting(open)
            advance()
            let (arguments, _) = try parseElements(until: .rightParen, openedAt: open)
            nesting -= 1
            return Expression(kind: .call(name, arguments), location: token.location)
        case .word(let word): kind = .word(word)
        case .leftBrace:
            return try parseRecord()
        case .leftBracket, .leftParen:
            let closer: Token.Kind = token.kind == .leftBracket ? .rightBracket : .rightParen
            try enterNesting(token)
            advance()
            let (elements, sawComma) = try parseElements(until: closer, openedAt: token)
            nesting -= 1
            // `(x)` groups as in Python; `(x,)`, `()` and `(a, b)` are lists.
            if token.kind == .leftParen, elements.count == 1, !sawComma { return elements[0] }
            return Expression(kind: .list(elements), location: token.location)
        default:
            throw unexpected(context.map { "a value after \($0)" } ?? "a value")
        }
        advance()
        return Expression(kind: kind, location: token.location)
    }

    /// `{name: value, …}`; newlines may separate the fields, a trailing comma is allowed.
    private mutating func parseRecord() throws -> Expression {
        let open = current
        try enterNesting(open)
        defer { nesting -= 1 }
        advance()
        var entries: [RecordEntry] = []
        var names: Set<String> = []
        skipSeparators()
        while current.kind != .rightBrace {
            if current.kind == .end { throw error("'{' is never closed; expected '}'", at: open.location) }
            let location = current.location
            let name = try expectWord("a field name (`{steps: 10, loss: 0.5}`) or '}'")
            guard names.insert(name).inserted else {
                throw error("field '\(name)' is given twice in this record", at: location)
            }
            try expect(.colon, "':' after the field name '\(name)'")
            entries.append(RecordEntry(name: name, value: try parseValue(after: "'\(name):'"), location: location))
            skipSeparators()
            guard current.kind == .comma else { break }
            advance()
            skipSeparators()
        }
        guard current.kind == .rightBrace else {
            throw current.kind == .end ? error("'{' is never closed; expected '}'", at: open.location) : unexpected("',' or '}'")
        }
        advance()
        return Expression(kind: .record(entries), location: open.location)
    }

    /// Parses the code of a `{…}` interpolation with the same nesting budget.
    private mutating func parseStringPart(_ part: LexedStringPart) throws -> StringPart {
        switch part {
        case .text(let text): return .text(text)
        case .variable(let name, let location): return .variable(name, location)
        case .code(let code):
            var parser = Parser(tokens: code, source: source)
            parser.nesting = nesting
            parser.depth = depth
            let expression = try parser.parseExpression()
            guard parser.current.kind == .end else { throw parser.unexpected("'}' to end the interpolation") }
            return .expression(expression)
        }
    }

    private mutating func parseElements(until closer: Token.Kind, openedAt opener: Token) throws -> ([Expression], Bool) {
        var elements: [Expression] = []
        var sawComma = false
        let closing = closer == .rightBracket ? "']'" : "')'"
        while current.kind != closer {
            if current.kind == .end {
                throw error("\(opener.spelling) is never closed; expected \(closing)", at: opener.location)
            }
            elements.append(try parseValue())
            if current.kind == .comma {
                sawComma = true
                advance()
            } else if current.kind == .end {
                throw error("\(opener.spelling) is never closed; expected \(closing)", at: opener.location)
            } else if current.kind != closer {
                throw unexpected("',' or \(closing)")
            }
        }
        advance()
        return (elements, sawComma)
    }
}

extension Parser {
    /// Parses text that must be exactly one value, such as a `--set` override.
    static func parseValue(_ text: String) throws -> Expression {
        let lexed = try Lexer.tokenize(text)
        var parser = Parser(tokens: lexed.tokens, source: SourceLines(text, file: nil, firstLine: 1))
        return try parser.parseSingleValue()
    }

    private mutating func parseSingleValue() throws -> Expression {
        skipSeparators()
        let value = try parseValue()
        skipSeparators()
        guard current.kind == .end else { throw unexpected("end of value") }
        return value
    }
}

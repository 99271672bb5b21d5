/// Reads dnb source into statements. See docs/language.md for the grammar.
public struct Parser {
    /// Words that start a statement of their own instead of a command.
    public static let keywords = ["let", "for", "param", "time"]

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
        guard let lexed = try? Lexer.tokenize(text) else { return false }
        // Deeper than the parser accepts: stop reading so the error shows now (the REPL
        // re-lexes the whole entry per line, so waiting on 10,000 open `{` took minutes).
        guard lexed.openBrackets.count <= maximumNesting else { return false }
        return lexed.endsWithContinuation || !lexed.openBrackets.isEmpty
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
            throw error("\(opener.spelling) nests deeper than \(Parser.maximumNesting) levels of '{', '[' and '('; "
                            + "flatten the loops or lists", at: opener.location)
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
        guard case .word(let word) = current.kind else {
            throw unexpected("a command")
        }
        switch word {
        case "let":
            advance()
            let name = try expectWord("a variable name after 'let'")
            try expect(.equals, "'=' after 'let \(name)'")
            let value = try parseValue()
            return Statement(kind: .assignment(name: name, value: value), location: start)
        case "for":
            return try parseLoop()
        case "param":
            return try parseParameter()
        case "time":
            advance()
            guard case .word(let next) = current.kind, next != "let", next != "param", next != "time" else {
                throw unexpected("a command or loop after 'time'")
            }
            return Statement(kind: .timed(try parseStatement()), location: start)
        default:
            return Statement(kind: .command(try parseCommand()), location: start)
        }
    }

    private mutating func parseLoop() throws -> Statement {
        let start = current.location
        advance()
        let variable = try expectWord("a loop variable after 'for'")
        guard current.kind == .word("in") else { throw unexpected("'in' after 'for \(variable)'") }
        advance()
        let sequence = try parseValue()
        guard current.kind == .leftBrace else {
            throw unexpected("'{' on the same line to start the loop body")
        }
        try enterNesting(current)
        advance()
        depth += 1
        let body = try parseBlock(closedByBrace: true)
        depth -= 1
        nesting -= 1
        return Statement(kind: .loop(variable: variable, sequence: sequence, body: body), location: start)
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
        if case .string(let parts) = current.kind {
            let helpLocation = current.location
            guard let text = Expression(kind: .string(parts), location: helpLocation).constantValue else {
                throw error("parameter help text cannot interpolate variables", at: helpLocation)
            }
            help = text.description
            advance()
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

    // MARK: - Values

    private mutating func parseValue(after context: String? = nil) throws -> Expression {
        let low = try parsePrimary(after: context)
        guard current.kind == .range else { return low }
        advance()
        let high = try parsePrimary(after: "'..'")
        if case .literal(.int(let from)) = low.kind, case .literal(.int(let to)) = high.kind {
            do {
                _ = try Expression.rangeBounds(from, to)
            } catch let tooLong as LanguageError {
                throw error(tooLong.message, at: low.location)
            }
        }
        return Expression(kind: .range(low, high), location: low.location)
    }

    private mutating func parsePrimary(after context: String?) throws -> Expression {
        let token = current
        let kind: Expression.Kind
        switch token.kind {
        case .int(let value): kind = .literal(.int(value))
        case .float(let value): kind = .literal(.float(value))
        case .string(let parts): kind = .string(parts)
        case .variable(let name): kind = .variable(name)
        case .word("true"): kind = .literal(.bool(true))
        case .word("false"): kind = .literal(.bool(false))
        case .word("none"): kind = .literal(.none)
        case .word(let word): kind = .word(word)
        case .leftBracket, .leftParen:
            let closer: Token.Kind = token.kind == .leftBracket ? .rightBracket : .rightParen
            try enterNesting(token)
            advance()
            let elements = try parseElements(until: closer, openedAt: token)
            nesting -= 1
            return Expression(kind: .list(elements), location: token.location)
        default:
            throw unexpected(context.map { "a value after \($0)" } ?? "a value")
        }
        advance()
        return Expression(kind: kind, location: token.location)
    }

    private mutating func parseElements(until closer: Token.Kind, openedAt opener: Token) throws -> [Expression] {
        var elements: [Expression] = []
        let closing = closer == .rightBracket ? "']'" : "')'"
        while current.kind != closer {
            if current.kind == .end {
                throw error("\(opener.spelling) is never closed; expected \(closing)", at: opener.location)
            }
            elements.append(try parseValue())
            if current.kind == .comma {
                advance()
            } else if current.kind == .end {
                throw error("\(opener.spelling) is never closed; expected \(closing)", at: opener.location)
            } else if current.kind != closer {
                throw unexpected("',' or \(closing)")
            }
        }
        advance()
        return elements
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

/// Turns source text into tokens. Newlines end statements except inside
/// `[…]` and `(…)`, where lists may span lines; a trailing `\` joins lines.
struct Lexer {
    struct Result {
        var tokens: [Token]
        /// Brackets still open at the end, innermost last; non-empty means the
        /// text is an unfinished prefix of a longer statement.
        var openBrackets: [Character]
        var endsWithContinuation: Bool
    }

    private let characters: [Character]
    private let source: SourceLines
    private var index = 0
    private var line: Int
    private var column = 1
    private var tokens: [Token] = []
    private var openBrackets: [(Character, SourceLocation)] = []
    private var endsWithContinuation = false
    /// Whitespace, a comment or the start of the text since the last token.
    private var sawSpace = true

    init(_ text: String, file: String?, firstLine: Int) {
        characters = Array(text)
        source = SourceLines(text, file: file, firstLine: firstLine)
        line = firstLine
    }

    /// Lexes the code of a `{…}` interpolation, placed where it stands in `source`.
    private init(code: [Character], source: SourceLines, line: Int, column: Int) {
        characters = code
        self.source = source
        self.line = line
        self.column = column
    }

    static func tokenize(_ text: String, file: String? = nil, firstLine: Int = 1) throws -> Result {
        var lexer = Lexer(text, file: file, firstLine: firstLine)
        return try lexer.run()
    }

    /// True for strings that read back as the same string when written bare.
    static func isBareWord(_ text: String) -> Bool {
        guard let first = text.first, isWordStart(first) else { return false }
        guard text.allSatisfy(isWordPart) else { return false }
        return !["true", "false", "none"].contains(text)
    }

    static func isWordStart(_ character: Character) -> Bool {
        character == "_" || character.isLetter
    }

    static func isWordPart(_ character: Character) -> Bool {
        isWordStart(character) || isDigit(character)
    }

    static func isDigit(_ character: Character) -> Bool {
        character.isASCII && character.isWholeNumber
    }

    private var location: SourceLocation { SourceLocation(file: source.file, line: line, column: column) }
    private var current: Character? { index < characters.count ? characters[index] : nil }
    private func peek(_ offset: Int = 1) -> Character? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    private static func isNewline(_ character: Character) -> Bool {
        character == "\n" || character == "\r\n"
    }

    private mutating func advance() {
        guard let character = current else { return }
        index += 1
        if Lexer.isNewline(character) {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }

    private func error(_ message: String, at location: SourceLocation) -> ParseError {
        ParseError(source.diagnostic(message, at: location))
    }

    private mutating func emit(_ kind: Token.Kind, at location: SourceLocation) {
        tokens.append(Token(kind: kind, location: location, spaceBefore: sawSpace))
        sawSpace = false
    }

    /// The last token can end an operand (`$n`, `$r.loss`, `2`, `"s"`, `)`, `]`, `true`), so a
    /// `-` or `/` right after it may be an operator. Bare words are strings that take
    /// no operators: `out /tmp` stays two words.
    private var afterOperand: Bool {
        switch tokens.last?.kind {
        case .variable, .member, .int, .float, .string, .rightParen, .rightBracket: true
        case .word(let word): ["true", "false", "none"].contains(word)
        default: false
        }
    }

    /// The last token can have fields: `$m.parameters`, `$m.config.sample_size`, `$rows[0].loss`.
    /// A `.` after a bare word stays part of the word (`model.safetensors`).
    private var afterFieldBase: Bool {
        switch tokens.last?.kind {
        case .variable, .member, .rightBracket, .rightParen: true
        default: false
        }
    }

    /// Swift's rule for operators: one with whitespace on both sides or on neither
    /// is binary (`$n - 1`, `$n-1`); one with whitespace only before is a prefix
    /// (`$n -1` is two values, `/tmp` a path).
    private var binaryPosition: Bool {
        guard afterOperand else { return false }
        let next = peek(current == "/" && peek() == "/" ? 2 : 1)
        let spaceAfter = next == nil || next == " " || next == "\t" || Lexer.isNewline(next!)
        return sawSpace == spaceAfter
    }

    private mutating func emitSymbol(_ symbol: String, at location: SourceLocation) {
        for _ in symbol { advance() }
        emit(.symbol(symbol), at: location)
    }

    private mutating func run() throws -> Result {
        while let character = current {
            let start = location
            endsWithContinuation = false
            switch character {
            case " ", "\t":
                advance()
                sawSpace = true
            case "#":
                while let next = current, !Lexer.isNewline(next) { advance() }
                sawSpace = true
            case "\\":
                try lexContinuation(at: start)
                sawSpace = true
            case _ where Lexer.isNewline(character):
                advance()
                sawSpace = true
                if let open = openBrackets.last?.0, open != "{" { continue }
                emit(.separator, at: start)
            case ";":
                advance()
                emit(.separator, at: start)
            case "\"":
                emit(.string(try lexString()), at: start)
            case "$":
                advance()
                guard let next = current, Lexer.isWordStart(next) else {
                    throw error("expected a variable name after '$'", at: start)
                }
                emit(.variable(lexWord()), at: start)
            case "-" where (peek().map(Lexer.isDigit) ?? false) && !(afterOperand && !sawSpace):
                emit(try lexNumber(), at: start)
            case "-", "+", "%":
                emitSymbol(String(character), at: start)
            case "*":
                emitSymbol(peek() == "*" ? "**" : "*", at: start)
            case "/" where binaryPosition:
                emitSymbol(peek() == "/" ? "//" : "/", at: start)
            case "<", ">":
                emitSymbol(peek() == "=" ? "\(character)=" : String(character), at: start)
            case "!":
                guard peek() == "=" else { throw error("unexpected '!'; negation is written 'not'", at: start) }
                emitSymbol("!=", at: start)
            case "=" where peek() == "=":
                emitSymbol("==", at: start)
            case _ where Lexer.isDigit(character):
                emit(try lexNumber(), at: start)
            case "." where !sawSpace && afterFieldBase && (peek().map(Lexer.isWordStart) ?? false):
                advance()
                emit(.member(lexWord()), at: start)
            case "." where peek() == "/" || (peek() == "." && peek(2) == "/"), "/", "~":
                // A bare path (./x, ../x, /x, ~/x) is a word, as in a shell.
                emit(.word(lexPathTail(after: "")), at: start)
            case ".":
                guard peek() == "." else { throw error("unexpected '.'", at: start) }
                advance()
                advance()
                emit(.range, at: start)
            case _ where Lexer.isWordStart(character):
                emit(.word(lexPathTail(after: lexWord())), at: start)
            case "?":
                advance()
                emit(.question, at: start)
            case "=", ":", ",":
                advance()
                emit(character == "=" ? .equals : character == ":" ? .colon : .comma, at: start)
            case "[", "(", "{":
                advance()
                openBrackets.append((character, start))
                emit(character == "[" ? .leftBracket : character == "(" ? .leftParen : .leftBrace, at: start)
            case "]", ")", "}":
                advance()
                // Mismatches are left for the parser, which knows what it expected.
                let opener: Character = character == "]" ? "[" : character == ")" ? "(" : "{"
                if openBrackets.last?.0 == opener { openBrackets.removeLast() }
                emit(character == "]" ? .rightBracket : character == ")" ? .rightParen : .rightBrace, at: start)
            default:
                throw error("unexpected character '\(character)'", at: start)
            }
        }
        emit(.end, at: location)
        return Result(tokens: tokens, openBrackets: openBrackets.map(\.0), endsWithContinuation: endsWithContinuation)
    }

    private mutating func lexContinuation(at start: SourceLocation) throws {
        advance()
        while current == " " || current == "\t" { advance() }
        guard let next = current else {
            endsWithContinuation = true
            return
        }
        guard Lexer.isNewline(next) else {
            throw error("a line continuation '\\' must be the last character on its line", at: start)
        }
        advance()
        // A continuation at the very end still asks the REPL for another line.
        if current == nil { endsWithContinuation = true }
    }

    private mutating func lexWord() -> String {
        var word = ""
        while let character = current, Lexer.isWordPart(character) {
            word.append(character)
            advance()
        }
        return word
    }

    /// Continues a word with file-name characters (`model.safetensors`, `out/run-1`), stopping
    /// at `..` unless it starts a parent directory (`../`), so `a..b` stays a range.
    private mutating func lexPathTail(after word: String) -> String {
        var text = word
        while let character = current, Lexer.isWordPart(character) || "./-~".contains(character) {
            if character == ".", peek() == ".", peek(2) != "/" { break }
            text.append(character)
            advance()
        }
        return text
    }

    private mutating func lexDigits(into text: inout String) {
        while let character = current, Lexer.isDigit(character) || character == "_" {
            if character != "_" { text.append(character) }
            advance()
        }
    }

    private mutating func lexNumber() throws -> Token.Kind {
        let start = location
        var text = ""
        if current == "-" {
            text.append("-")
            advance()
        }
        lexDigits(into: &text)
        var isFloat = false
        // `1..5` is a range, so a dot only starts a fraction when a digit follows.
        if current == ".", let next = peek(), Lexer.isDigit(next) {
            isFloat = true
            text.append(".")
            advance()
            lexDigits(into: &text)
        }
        if current == "e" || current == "E" {
            let sign = peek()
            let hasSign = sign == "+" || sign == "-"
            if let digit = peek(hasSign ? 2 : 1), Lexer.isDigit(digit) {
                isFloat = true
                text.append("e")
                advance()
                if hasSign {
                    text.append(sign!)
                    advance()
                }
                lexDigits(into: &text)
            }
        }
        if let next = current, Lexer.isWordPart(next) {
            throw error("unexpected '\(next)' after number '\(text)'", at: location)
        }
        if isFloat {
            guard let value = Double(text) else { throw error("invalid number '\(text)'", at: start) }
            return .float(value)
        }
        guard let value = Int(text) else { throw error("integer '\(text)' is too large", at: start) }
        return .int(value)
    }

    private mutating func lexString() throws -> [LexedStringPart] {
        let start = location
        advance()
        var parts: [LexedStringPart] = []
        var text = ""
        while true {
            guard let character = current, !Lexer.isNewline(character) else {
                throw error("unterminated string", at: start)
            }
            let here = location
            advance()
            switch character {
            case "\"":
                if !text.isEmpty || parts.isEmpty { parts.append(.text(text)) }
                return parts
            case "\\":
                guard let escaped = current, !Lexer.isNewline(escaped) else {
                    throw error("unterminated string", at: start)
                }
                advance()
                switch escaped {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "\"", "\\", "{", "}", "$": text.append(escaped)
                default: throw error("unknown escape '\\\(escaped)' in string", at: here)
                }
            case "{":
                if !text.isEmpty { parts.append(.text(text)) }
                text = ""
                parts.append(try lexInterpolation(openedAt: here))
            case "}":
                throw error("unmatched '}' in string; write \\} for a literal brace", at: here)
            default:
                text.append(character)
            }
        }
    }

    /// Reads what follows a `{` inside a string up to its `}`: `name}` or
    /// `$name}` is a variable (the form older notebooks use); anything else is
    /// an expression with the usual rules (`{$n * 2}`, `{len($xs)}`), lexed
    /// here and parsed by the parser. It may not contain `"`, `{` or a newline.
    private mutating func lexInterpolation(openedAt open: SourceLocation) throws -> LexedStringPart {
        let (startIndex, startColumn) = (index, column)
        while current == " " { advance() }
        if current == "$" { advance() }
        let nameLocation = location
        if let first = current, Lexer.isWordStart(first) {
            let name = lexWord()
            // `{m.parameters}` reads a field as `{$m.parameters}` does (a bare `m.parameters` would be a string).
            var fields: [Token] = []
            while current == ".", let next = peek(), Lexer.isWordStart(next) {
                let fieldLocation = location
                advance()
                fields.append(Token(kind: .member(lexWord()), location: fieldLocation, spaceBefore: false))
            }
            while current == " " { advance() }
            if current == "}" {
                advance()
                guard !fields.isEmpty else { return .variable(name, nameLocation) }
                let variable = Token(kind: .variable(name), location: nameLocation, spaceBefore: true)
                return .code([variable] + fields + [Token(kind: .end, location: location, spaceBefore: false)])
            }
        }
        (index, column) = (startIndex, startColumn)
        let codeLocation = location
        var code: [Character] = []
        while current != "}" {
            guard let character = current, !Lexer.isNewline(character) else {
                throw error("expected '}' to close the '{' of this interpolation", at: open)
            }
            guard character != "\"", character != "{" else {
                throw error("'\(character)' cannot appear inside '{…}'; bind the value with let first, "
                                + "or write \\{ for a literal brace", at: location)
            }
            code.append(character)
            advance()
        }
        advance()
        guard code.contains(where: { $0 != " " && $0 != "\t" }) else {
            throw error("expected an expression inside '{…}'; write \\{ for a literal brace", at: open)
        }
        var lexer = Lexer(code: code, source: source, line: codeLocation.line, column: codeLocation.column)
        return .code(try lexer.run().tokens)
    }
}

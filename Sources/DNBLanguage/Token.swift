/// A piece of a string literal: literal text, a `{name}` interpolation, or a
/// `{$n * 2}` interpolation of a whole expression.
public indirect enum StringPart: Hashable, Sendable {
    case text(String)
    case variable(String, SourceLocation)
    case expression(Expression)
}

/// A piece of a string as lexed: `{…}` holding more than a name is kept as
/// tokens for the parser.
enum LexedStringPart: Equatable {
    case text(String)
    case variable(String, SourceLocation)
    case code([Token])
}

struct Token: Equatable {
    enum Kind: Equatable {
        /// An identifier: a keyword, command name, argument name or bare-word value.
        case word(String)
        /// `$name`
        case variable(String)
        /// `.name` right after a value (`$m.parameters`, `$rows[0].loss`): a record's field.
        case member(String)
        case int(Int)
        case float(Double)
        case string([LexedStringPart])
        /// `+ - * / // % ** == != < <= > >=`
        case symbol(String)
        case equals, colon, comma, range
        /// `?` of `train?` and `?train` (help, as in IPython)
        case question
        case leftBracket, rightBracket, leftParen, rightParen, leftBrace, rightBrace
        /// A newline or `;` ending a statement.
        case separator
        case end
    }

    var kind: Kind
    var location: SourceLocation
    /// Whitespace (or the start of the text) comes right before the token: `$n -1` is two
    /// values, `$n - 1` and `$n-1` one difference; `$xs[0]` indexes, `$xs [0]` is two values.
    var spaceBefore = true

    /// How the token is named in "expected …, found …" messages.
    var spelling: String {
        switch kind {
        case .word(let word): "'\(word)'"
        case .variable(let name): "'$\(name)'"
        case .member(let name): "'.\(name)'"
        case .int(let value): "'\(value)'"
        case .float(let value): "'\(value)'"
        case .string: "a string"
        case .symbol(let symbol): "'\(symbol)'"
        case .equals: "'='"
        case .colon: "':'"
        case .comma: "','"
        case .range: "'..'"
        case .question: "'?'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .separator: "end of line"
        case .end: "end of input"
        }
    }
}

/// A piece of a string literal: literal text or a `{name}` interpolation.
public enum StringPart: Hashable, Sendable {
    case text(String)
    case variable(String, SourceLocation)
}

struct Token: Equatable {
    enum Kind: Equatable {
        /// An identifier: a keyword, command name, argument name or bare-word value.
        case word(String)
        /// `$name`
        case variable(String)
        case int(Int)
        case float(Double)
        case string([StringPart])
        case equals, colon, comma, range
        case leftBracket, rightBracket, leftParen, rightParen, leftBrace, rightBrace
        /// A newline or `;` ending a statement.
        case separator
        case end
    }

    var kind: Kind
    var location: SourceLocation

    /// How the token is named in "expected …, found …" messages.
    var spelling: String {
        switch kind {
        case .word(let word): "'\(word)'"
        case .variable(let name): "'$\(name)'"
        case .int(let value): "'\(value)'"
        case .float(let value): "'\(value)'"
        case .string: "a string"
        case .equals: "'='"
        case .colon: "':'"
        case .comma: "','"
        case .range: "'..'"
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

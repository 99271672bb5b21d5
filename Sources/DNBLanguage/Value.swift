/// A value in the dnb language. Bare words (`AttnDownBlock2D`) are strings;
/// ranges and tuples evaluate to lists, so commands only ever see these cases.
public enum Value: Hashable, Sendable {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case list([Value])
    /// Named fields in order: a command's result (`let m = model summary`, then `$m.parameters`)
    /// or a literal `{steps: 10, loss: 0.5}`.
    case record(Record)
    case none

    /// The name used in type errors and in `vars`.
    public var typeName: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .bool: "bool"
        case .list: "list"
        case .record: "record"
        case .none: "none"
        }
    }

    /// How the value reads in source form: strings that are not plain words
    /// are quoted, so the text parses back to the same value.
    public var literal: String {
        switch self {
        case .int(let value): String(value)
        case .float(let value): Value.format(value)
        case .string(let value): Lexer.isBareWord(value) ? value : Value.quote(value)
        case .bool(let value): value ? "true" : "false"
        case .list(let values): "[" + values.map(\.literal).joined(separator: ", ") + "]"
        case .record(let record): "{" + record.fields.map { "\($0.name): \($0.value.literal)" }.joined(separator: ", ") + "}"
        case .none: "none"
        }
    }

    /// The literal form cut to at most `limit` characters, the last of them `…` when cut, without spelling
    /// out the rest: `vars` of a 10,000,000-element list would otherwise build ~100 MB of text first.
    func literal(limit: Int) -> String {
        var text = ""
        var remaining = limit + 1
        appendLiteral(to: &text, remaining: &remaining)
        guard remaining < 0 || text.count > limit else { return text }
        return String(text.prefix(max(0, limit - 1))) + "…"
    }

    private func appendLiteral(to text: inout String, remaining: inout Int) {
        func append(_ piece: String) {
            guard remaining > 0 else { return }
            text += piece.prefix(remaining)
            remaining -= piece.count
        }
        switch self {
        case .list(let values):
            append("[")
            for (index, value) in values.enumerated() where remaining > 0 {
                if index > 0 { append(", ") }
                value.appendLiteral(to: &text, remaining: &remaining)
            }
            append("]")
        case .record(let record):
            append("{")
            for (index, field) in record.fields.enumerated() where remaining > 0 {
                if index > 0 { append(", ") }
                append(field.name + ": ")
                field.value.appendLiteral(to: &text, remaining: &remaining)
            }
            append("}")
        case .string(let value) where value.count > remaining:
            append(Value.quote(String(value.prefix(remaining))))
            remaining = -1
        default:
            append(literal)
        }
    }

    /// Type and literal together, for error messages: `string "five"`.
    var typedLiteral: String {
        if case .none = self { return "none" }
        var text = literal
        if text.count > 40 { text = String(text.prefix(37)) + "..." }
        return "\(typeName) \(text)"
    }

    static func format(_ value: Double) -> String {
        // Swift's shortest round-trip form; "inf"/"nan" are not literals, but
        // they only appear when a command computes them, never in source.
        value.description
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "{": result += "\\{"
            case "}": result += "\\}"
            default: result.append(character)
            }
        }
        return result + "\""
    }
}

extension Value: CustomStringConvertible {
    /// The display form used by `print` and string interpolation: strings
    /// appear without quotes, everything else as its literal.
    public var description: String {
        if case .string(let text) = self { return text }
        return literal
    }
}

extension Value: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
}

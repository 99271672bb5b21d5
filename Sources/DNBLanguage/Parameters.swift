/// A declared parameter and the value it has in this run.
public struct ParameterBinding: Hashable, Sendable {
    public enum Source: String, Hashable, Sendable {
        case defaultValue = "default"
        case override = "--set"
    }

    public var declaration: ParameterDeclaration
    public var value: Value
    public var source: Source

    public var name: String { declaration.name }
    public var type: ValueType { declaration.type }
    public var help: String? { declaration.help }
}

/// A `--set name=value` from outside the script.
public struct ParameterOverride: Hashable, Sendable {
    public var name: String
    /// The text after `=`, read with the value grammar once the type is known.
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    /// Splits `name=value`; throws `ArgumentError` when there is no `=` or no name.
    public init(parsing assignment: String) throws {
        guard let equals = assignment.firstIndex(of: "="),
            case let name = assignment[..<equals].trimmingSpaces(), !name.isEmpty
        else {
            throw ArgumentError("--set expects name=value, got '\(assignment)'")
        }
        self.init(name: name, text: String(assignment[assignment.index(after: equals)...]))
    }

    /// The override read as a value of `type`. For string and path
    /// parameters unquoted text is taken as is (`--set title=two words`),
    /// so shell users need not nest quotes.
    public func value(for type: ValueType) throws -> Value {
        let parsed = try? Value(parsing: text)
        if type == .string || type == .path {
            if case .string? = parsed { return parsed! }
            return .string(text)
        }
        guard let parsed else {
            throw ArgumentError(argument: name, "--set \(name)=\(text): '\(text)' is not a valid \(type) value")
        }
        guard let converted = type.coerce(parsed) else {
            throw ArgumentError(argument: name, "--set \(name)=\(text): parameter '\(name)' expects \(type), got \(parsed.typedLiteral)")
        }
        // `1e999` reads as infinity: refused here, where the user typed it, not cells later where it is used.
        if converted.containsNonFiniteNumber {
            throw ArgumentError(argument: name, "--set \(name)=\(text): '\(text)' is not a finite number")
        }
        return converted
    }
}

extension Value {
    /// Reads one literal value with the language's value grammar:
    /// `5`, `1e-3`, `"text"`, `word`, `[1, 2]`, `1..4`, `true`, `none`.
    /// Variables are not allowed. Throws `ParseError`.
    public init(parsing text: String) throws {
        let expression = try Parser.parseValue(text)
        guard let value = expression.constantValue else {
            throw ParseError(Diagnostic(message: "a literal value cannot refer to variables", location: expression.location, sourceLine: text))
        }
        self = value
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return String(slice)
    }
}

extension Value {
    /// True for an infinite or NaN float, at any depth of a list.
    var containsNonFiniteNumber: Bool {
        switch self {
        case .float(let x): !x.isFinite
        case .list(let items): items.contains { $0.containsNonFiniteNumber }
        default: false
        }
    }
}

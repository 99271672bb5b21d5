import DNBSupport

/// One argument a command accepts. Arguments can be given by name
/// (`epochs=5`) or by position, in the order the command declares them.
public struct ArgumentSpec: Hashable, Sendable {
    public enum Requirement: Hashable, Sendable {
        case required
        /// Optional; `default` may be `.none` for "not given".
        case optional(default: Value)
        /// Collects all remaining positional values into a list whose
        /// elements have the argument's type (`print a b c`). Must be last.
        case variadic
        /// Collects every `name=value` whose name the command does not declare, in the order written,
        /// into a record whose values have the argument's type (`table row steps=10 loss=0.5`).
        case keywords
    }

    public var name: String
    public var type: ValueType
    public var requirement: Requirement
    public var help: String
    /// When set, the value (or each element, for list types) must be one of
    /// these; shown in help and offered by completion.
    public var allowedValues: [Value]?
    /// Limits on a number (or on each number of a list), checked by `check`, by the
    /// binder before a handler runs, and shown in help. Numbers must be finite either way.
    public var bounds: [Bound]

    /// A limit on a numeric argument (shared with config keys).
    public typealias Bound = NumericBound

    /// `default: nil` makes the argument required.
    public init(_ name: String, _ type: ValueType, default defaultValue: Value? = nil,
                allowed allowedValues: [Value]? = nil, bounds: [Bound] = [], help: String)
    {
        self.name = name
        self.type = type
        self.requirement = defaultValue.map { .optional(default: $0) } ?? .required
        self.help = help
        self.allowedValues = allowedValues
        self.bounds = bounds
    }

    /// Integers whose spec declares no upper bound are limited to ±(2³¹ − 1): no count, size or step number
    /// dnb could act on is larger, and a handler can then add or multiply two of them (`steps + 1`,
    /// `n × size`) without overflowing Int. A spec that needs more declares its own `.atMost`.
    public static let integerLimit: UInt = UInt(Int32.max)

    var implicitIntegerLimit: UInt? {
        bounds.contains { if case .atMost = $0 { true } else if case .below = $0 { true } else { false } } ? nil : ArgumentSpec.integerLimit
    }

    /// The bounds as help shows them: `≥ 0, < 1`.
    public var boundsText: String? { bounds.isEmpty ? nil : bounds.map(\.description).joined(separator: ", ") }

    public static func variadic(_ name: String, _ elementType: ValueType, help: String) -> ArgumentSpec {
        var spec = ArgumentSpec(name, elementType, help: help)
        spec.requirement = .variadic
        return spec
    }

    public var isRequired: Bool { requirement == .required }
    public var isVariadic: Bool { requirement == .variadic }
    public var isKeywords: Bool { requirement == .keywords }
    /// Filled by position or by its own name: neither variadic nor keywords.
    var isPlain: Bool { !isVariadic && !isKeywords }

    public static func keywords(_ name: String, _ valueType: ValueType, help: String) -> ArgumentSpec {
        var spec = ArgumentSpec(name, valueType, help: help)
        spec.requirement = .keywords
        return spec
    }

    public var defaultValue: Value? {
        switch requirement {
        case .optional(let value): value
        case .variadic: .list([])
        case .keywords: .record(Record())
        case .required: nil
        }
    }

    /// The value converted to the argument's type, or an error saying what was expected.
    func convert(_ value: Value) throws -> Value {
        if value.isNone, requirement == .optional(default: .none) { return value }
        guard let converted = type.coerce(value) else {
            throw ArgumentError(argument: name, "argument '\(name)' expects \(type), got \(value.typedLiteral)")
        }
        let items: [Value]
        if case .list = type, case .list(let elements) = converted { items = elements } else { items = [converted] }
        for item in items {
            let number: Double
            switch item {
            case .int(let n): number = Double(n)
            case .float(let x): number = x
            default: continue
            }
            guard number.isFinite else {
                throw ArgumentError(argument: name, "argument '\(name)' must be a finite number, got \(item.literal)")
            }
            if let broken = bounds.first(where: { !$0.admits(number) }) {
                throw ArgumentError(argument: name, "argument '\(name)' must be \(boundsText ?? broken.description), got \(item.literal)")
            }
            if case .int(let n) = item, let limit = implicitIntegerLimit, n.magnitude > limit {
                throw ArgumentError(argument: name, "argument '\(name)' must be at most \(limit) in size, got \(item.literal)")
            }
        }
        if let allowedValues {
            for item in items where !allowedValues.contains(item) {
                let choices = allowedValues.map(\.literal).joined(separator: ", ")
                var message = "argument '\(name)' does not accept \(item.literal); expected one of: \(choices)"
                if case .string(let text) = item, let near = Suggestions.nearest(to: text, in: allowedValues.map(\.description)) {
                    message += " (did you mean '\(near)'?)"
                }
                throw ArgumentError(argument: name, message)
            }
        }
        return converted
    }
}

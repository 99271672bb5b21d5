/// A value as written in source, evaluated against the variables in scope.
public struct Expression: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        /// Numbers, booleans and `none`.
        case literal(Value)
        /// A bare word; evaluates to a string.
        case word(String)
        case string([StringPart])
        /// `$name`
        case variable(String)
        /// `[a, b]` and `(a, b)`
        case list([Expression])
        /// `a..b`, both ends included.
        case range(Expression, Expression)
        /// `-x`, `not x`
        case unary(String, Expression)
        /// `a + b`, `a and b`, … (see `Operators`)
        case binary(String, Expression, Expression)
        /// `$xs[0]`
        case index(Expression, Expression)
        /// `len($xs)`: one of `Operators.functions`
        case call(String, [Expression])
        /// `$m.parameters`: a field of a record
        case field(Expression, String)
        /// `{steps: 10, loss: $l}`
        case record([RecordEntry])
    }

    public var kind: Kind
    public var location: SourceLocation

    /// The value when it does not depend on any variable, else nil.
    public var constantValue: Value? {
        switch kind {
        case .literal(let value): return value
        case .word(let word): return .string(word)
        case .string(let parts):
            var text = ""
            for part in parts {
                guard case .text(let piece) = part else { return nil }
                text += piece
            }
            return .string(text)
        case .variable, .unary, .binary, .index, .call, .field: return nil
        case .record(let entries):
            var fields: [Record.Field] = []
            for entry in entries {
                guard let value = entry.value.constantValue else { return nil }
                fields.append(Record.Field(entry.name, value))
            }
            return .record(Record(fields))
        case .list(let elements):
            var values: [Value] = []
            for element in elements {
                guard let value = element.constantValue else { return nil }
                values.append(value)
            }
            return .list(values)
        case .range(let low, let high):
            guard case .int(let from)? = low.constantValue, case .int(let to)? = high.constantValue else { return nil }
            return try? Expression.range(from, to)
        }
    }

    /// The most values a range may have. A `for` loop walks its range without
    /// building it, but a range used as a value becomes a list of this many
    /// `Value`s (24 bytes each: 240 MB at the limit); `1..9223372036854775807`
    /// once aborted `dnb check` with "failed to allocate". See docs/language.md.
    public static let maximumRangeLength = 10_000_000

    /// `from...to` as a Swift range, nil when empty (`to < from`, so `1..0`
    /// loops zero times). Throws when it has more than `maximumRangeLength` values.
    static func rangeBounds(_ from: Int, _ to: Int) throws -> ClosedRange<Int>? {
        guard from <= to else { return nil }
        // The difference as UInt cannot overflow, unlike `to - from` for -1..Int.max.
        let steps = UInt(bitPattern: to &- from)
        guard steps < UInt(maximumRangeLength) else {
            let count = steps == UInt.max ? "18446744073709551616" : String(steps + 1)
            throw LanguageError("range \(from)..\(to) has \(count) values; at most \(maximumRangeLength) are allowed")
        }
        return from...to
    }

    /// Inclusive; empty when `to < from`. Throws when longer than `maximumRangeLength`.
    static func range(_ from: Int, _ to: Int) throws -> Value {
        guard let bounds = try rangeBounds(from, to) else { return .list([]) }
        return .list(bounds.map(Value.int))
    }

    var isRange: Bool {
        if case .range = kind { return true }
        return false
    }

    /// The bare word, when the expression is just one.
    var word: String? {
        if case .word(let word) = kind { return word }
        return nil
    }
}

/// `name: value` in a record literal.
public struct RecordEntry: Hashable, Sendable {
    public var name: String
    public var value: Expression
    public var location: SourceLocation
}

/// `name=value`, or a positional value when `name` is nil.
public struct Argument: Hashable, Sendable {
    public var name: String?
    public var value: Expression
    /// Where the argument starts: its name, or the value for positionals.
    public var location: SourceLocation
}

public struct CommandCall: Hashable, Sendable {
    public var name: String
    public var arguments: [Argument]
    public var location: SourceLocation
}

/// `param name: type = default "help"`
public struct ParameterDeclaration: Hashable, Sendable {
    public var name: String
    public var type: ValueType
    /// Already converted to `type`; defaults are literals, so they are known before running.
    public var defaultValue: Value
    public var help: String?
    public var location: SourceLocation
}

public struct Statement: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case command(CommandCall)
        /// `let name = value`
        case assignment(name: String, value: Expression)
        /// `let name = command …`: runs the command and binds its result record.
        case commandAssignment(name: String, call: CommandCall)
        /// `for name in sequence { body }`
        case loop(variable: String, sequence: Expression, body: [Statement])
        case parameter(ParameterDeclaration)
        /// `time statement`
        case timed(Statement)
        /// `if c { … } else if d { … } else { … }`: the first branch whose condition is true runs.
        case conditional(branches: [ConditionalBranch], otherwise: [Statement]?)
        /// `timeit statement [repeat=N]`
        case timeit(Statement, repeat: Expression?)
    }

    public var kind: Kind
    public var location: SourceLocation
}

/// `if condition { body }` or `else if condition { body }`.
public struct ConditionalBranch: Hashable, Sendable {
    public var condition: Expression
    public var body: [Statement]
}

/// A parsed piece of source: a REPL entry or the code of one cell.
public struct Script: Hashable, Sendable {
    public var statements: [Statement]
    /// The text it came from, for showing the offending line in runtime errors.
    public var source: String
    public var file: String?
    public var firstLine: Int
}

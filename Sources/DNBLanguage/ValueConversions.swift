/// Typed access for command handlers. Each conversion throws an
/// `ArgumentError` naming the argument, so users see which one was wrong.
extension Value {
    public func asInt(argument: String? = nil) throws -> Int {
        if case .int(let value) = self { return value }
        throw mismatch(expected: .int, argument: argument)
    }

    public func asDouble(argument: String? = nil) throws -> Double {
        switch self {
        case .float(let value): return value
        case .int(let value): return Double(value)
        default: throw mismatch(expected: .float, argument: argument)
        }
    }

    public func asString(argument: String? = nil) throws -> String {
        if case .string(let value) = self { return value }
        throw mismatch(expected: .string, argument: argument)
    }

    public func asBool(argument: String? = nil) throws -> Bool {
        if case .bool(let value) = self { return value }
        throw mismatch(expected: .bool, argument: argument)
    }

    public func asList(argument: String? = nil) throws -> [Value] {
        if case .list(let values) = self { return values }
        throw mismatch(expected: .list(.any), argument: argument)
    }

    public func asIntList(argument: String? = nil) throws -> [Int] {
        try list(of: .int, argument: argument) { try $0.asInt() }
    }

    public func asDoubleList(argument: String? = nil) throws -> [Double] {
        try list(of: .float, argument: argument) { try $0.asDouble() }
    }

    public func asStringList(argument: String? = nil) throws -> [String] {
        try list(of: .string, argument: argument) { try $0.asString() }
    }

    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    private func list<T>(of element: ValueType, argument: String?, _ convert: (Value) throws -> T) throws -> [T] {
        guard case .list(let values) = self else {
            throw mismatch(expected: .list(element), argument: argument)
        }
        do {
            return try values.map(convert)
        } catch {
            throw mismatch(expected: .list(element), argument: argument)
        }
    }

    func mismatch(expected: ValueType, argument: String?) -> ArgumentError {
        let subject = argument.map { "argument '\($0)' expects" } ?? "expected"
        return ArgumentError(argument: argument, "\(subject) \(expected), got \(typedLiteral)")
    }
}

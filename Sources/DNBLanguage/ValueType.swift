#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The declared type of an argument or parameter.
public indirect enum ValueType: Hashable, Sendable {
    case int
    /// Accepts ints too, converting them: `lr=1` means 1.0.
    case float
    case string
    /// A string naming a file; the REPL completes file names for it.
    case path
    case bool
    case any
    /// `list` alone is `list(.any)`.
    case list(ValueType)
    /// Named fields (`{steps: 10, loss: 0.5}`, a command's result); which fields, a `ResultSpec` says.
    case record

    /// Reads a type name as written in `param` declarations:
    /// int, float, string (or str), path, bool, any, list, list[T].
    public init?(name: String) {
        switch name {
        case "int": self = .int
        case "float": self = .float
        case "string", "str": self = .string
        case "path": self = .path
        case "bool": self = .bool
        case "any": self = .any
        case "list": self = .list(.any)
        case "record": self = .record
        default:
            guard name.hasPrefix("list["), name.hasSuffix("]"),
                let element = ValueType(name: String(name.dropFirst(5).dropLast()))
            else { return nil }
            self = .list(element)
        }
    }

    /// The value converted to this type, or nil when it does not fit.
    /// Only widening happens: int to float, element by element in lists.
    public func coerce(_ value: Value) -> Value? {
        switch (self, value) {
        case (.any, _): return value
        case (.int, .int), (.float, .float), (.bool, .bool), (.record, .record): return value
        case (.float, .int(let number)): return .float(Double(number))
        case (.string, .string): return value
        case (.path, .string(let path)): return .string(ValueType.expandingTilde(path))
        case (.list(let element), .list(let values)):
            var converted: [Value] = []
            converted.reserveCapacity(values.count)
            for item in values {
                guard let item = element.coerce(item) else { return nil }
                converted.append(item)
            }
            return .list(converted)
        default: return nil
        }
    }

    public func accepts(_ value: Value) -> Bool { coerce(value) != nil }

    /// `~` and `~/…` with the home folder (`$HOME`, else the password database),
    /// as a shell would: path values, `--out` and file arguments never reach the
    /// shell, and a literal `~` folder in the output directory surprised users.
    /// Other text, `~user` included, is returned unchanged.
    public static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        var home = getenv("HOME").map { String(cString: $0) } ?? ""
        if home.isEmpty, let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            home = String(cString: directory)
        }
        guard !home.isEmpty else { return path }
        if home.count > 1, home.hasSuffix("/") { home.removeLast() }
        return home + path.dropFirst()
    }
}

extension ValueType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .path: "path"
        case .bool: "bool"
        case .any: "any"
        case .list(.any): "list"
        case .list(let element): "list[\(element)]"
        case .record: "record"
        }
    }
}

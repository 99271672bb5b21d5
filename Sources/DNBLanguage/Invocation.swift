/// A command's resolved arguments: names bound, defaults applied, values
/// converted to the declared types. Accessors throw `ArgumentError`.
public struct Invocation {
    public let command: String
    public let verb: String?
    /// Where the command starts in the source.
    public let location: SourceLocation
    private let values: [String: Value]
    private let given: Set<String>

    init(command: String, verb: String?, location: SourceLocation, values: [String: Value], given: Set<String>) {
        self.command = command
        self.verb = verb
        self.location = location
        self.values = values
        self.given = given
    }

    /// `model create`, or just `train`.
    public var commandPath: String { verb.map { "\(command) \($0)" } ?? command }

    /// All arguments, defaults included.
    public var arguments: [String: Value] { values }

    /// True when the user wrote the argument rather than taking its default.
    public func isGiven(_ name: String) -> Bool { given.contains(name) }

    public func value(_ name: String) throws -> Value {
        guard let value = values[name] else {
            throw ArgumentError(argument: name, "'\(commandPath)' has no argument '\(name)'")
        }
        return value
    }

    public func int(_ name: String) throws -> Int { try value(name).asInt(argument: name) }
    public func double(_ name: String) throws -> Double { try value(name).asDouble(argument: name) }
    public func string(_ name: String) throws -> String { try value(name).asString(argument: name) }
    public func bool(_ name: String) throws -> Bool { try value(name).asBool(argument: name) }
    public func list(_ name: String) throws -> [Value] { try value(name).asList(argument: name) }
    public func intList(_ name: String) throws -> [Int] { try value(name).asIntList(argument: name) }
    public func doubleList(_ name: String) throws -> [Double] { try value(name).asDoubleList(argument: name) }
    public func stringList(_ name: String) throws -> [String] { try value(name).asStringList(argument: name) }

    /// nil when the argument is `none`.
    public func optionalInt(_ name: String) throws -> Int? {
        let value = try value(name)
        return value.isNone ? nil : try value.asInt(argument: name)
    }

    public func optionalDouble(_ name: String) throws -> Double? {
        let value = try value(name)
        return value.isNone ? nil : try value.asDouble(argument: name)
    }

    public func optionalString(_ name: String) throws -> String? {
        let value = try value(name)
        return value.isNone ? nil : try value.asString(argument: name)
    }
}

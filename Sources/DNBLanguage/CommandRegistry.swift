import DNBSupport

/// The commands available to scripts. The executable registers its commands
/// here; the language's own built-ins (`print`, `help`, `vars`) are present
/// from the start.
public final class CommandRegistry {
    private var specs: [String: CommandSpec] = [:]
    /// Registration order, which `help` uses for listing.
    private var order: [String] = []

    public init(includingBuiltins: Bool = true) {
        if includingBuiltins {
            for spec in Builtins.commands { register(spec) }
        }
    }

    /// Adds a command; registering a name again replaces the earlier one.
    public func register(_ spec: CommandSpec) {
        if specs[spec.name] == nil { order.append(spec.name) }
        specs[spec.name] = spec
    }

    public func command(named name: String) -> CommandSpec? { specs[name] }

    public var commands: [CommandSpec] { order.compactMap { specs[$0] } }

    public var commandNames: [String] { order }

    /// What `vars` shows after the language's variables: tables describing what the executable's
    /// commands hold (the model, the data, kept tensors …), contributed from outside the language.
    private var sessionDescriptions: [() -> [Table]] = []

    public func addSessionDescription(_ describe: @escaping () -> [Table]) {
        sessionDescriptions.append(describe)
    }

    func describeSession() -> [Table] {
        sessionDescriptions.flatMap { $0() }
    }

    /// The command, or an error naming the closest known one.
    func lookup(_ name: String, at location: SourceLocation) throws -> CommandSpec {
        if let spec = specs[name] { return spec }
        var message = "unknown command '\(name)'"
        if let near = Suggestions.nearest(to: name, in: order + Parser.keywords) {
            message += "; did you mean '\(near)'?"
        } else {
            message += "; type `help` to list commands"
        }
        throw LanguageError(message, at: location)
    }
}

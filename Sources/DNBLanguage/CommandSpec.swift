/// Runs a command once its arguments are resolved. Handlers run on the
/// interpreter's thread and report results through `context.out`.
public typealias CommandHandler = (Invocation, CommandContext) throws -> Void

/// Throws `MissingPrerequisite` when the command cannot run yet.
public typealias PrerequisiteCheck = () throws -> Void

/// A command the language knows: its arguments, help text and handler.
/// A command with verbs (`model create`, `model summary`) dispatches to the
/// verb named by its first word; each verb is itself a `CommandSpec`.
public struct CommandSpec {
    public var name: String
    /// One line, shown in `help` listings.
    public var summary: String
    /// Longer explanation, shown by `help NAME`.
    public var help: String
    public var arguments: [ArgumentSpec]
    /// The record `let NAME = COMMAND …` binds; nil for a command that gives none (`print`, `help`).
    /// The handler sets it with `context.setResult([...])`.
    public var result: ResultSpec?
    public var verbs: [CommandSpec]
    /// Checked after the arguments are resolved and before the handler runs;
    /// for a verb, the command's check runs first.
    public var prerequisite: PrerequisiteCheck?
    public var handler: CommandHandler?
    /// Values completion offers for the first positional argument that depend on the session (e.g. `show`'s figure
    /// names); unlike `allowedValues` they are not enforced.
    public var suggestions: (() -> [String])?

    /// A command that does one thing.
    public init(_ name: String, summary: String, help: String = "", arguments: [ArgumentSpec] = [],
                result: ResultSpec? = nil, prerequisite: PrerequisiteCheck? = nil, handler: @escaping CommandHandler)
    {
        self.name = name
        self.summary = summary
        self.help = help
        self.arguments = arguments
        self.result = result
        self.verbs = []
        self.prerequisite = prerequisite
        self.handler = handler
    }

    /// A command whose work is done by its verbs.
    public init(_ name: String, summary: String, help: String = "", verbs: [CommandSpec],
                prerequisite: PrerequisiteCheck? = nil)
    {
        self.name = name
        self.summary = summary
        self.help = help
        self.arguments = []
        self.result = nil
        self.verbs = verbs
        self.prerequisite = prerequisite
        self.handler = nil
    }

    public var hasVerbs: Bool { !verbs.isEmpty }

    public func verb(named name: String) -> CommandSpec? {
        verbs.first { $0.name == name }
    }

    public func argument(named name: String) -> ArgumentSpec? {
        arguments.first { $0.name == name }
    }
}

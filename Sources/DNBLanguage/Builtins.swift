import DNBSupport

/// The commands the language itself provides. `let`, `for`, `param` and
/// `time` are statements handled by the parser and interpreter instead.
enum Builtins {
    static var commands: [CommandSpec] { [print, help, vars, TableCommand.spec] }

    static var print: CommandSpec {
        CommandSpec("print", summary: "Print values, separated by spaces",
                    help: "Strings interpolate variables: print \"{n} steps\".",
                    arguments: [.variadic("values", .any, help: "Values to print.")])
        { invocation, context in
            let values = try invocation.list("values")
            context.out.print(values.map(\.description).joined(separator: " "))
        }
    }

    static var help: CommandSpec {
        CommandSpec("help", summary: "List commands, or show how to use one",
                    arguments: [
                        ArgumentSpec("command", .string, default: Value.none, help: "A command or statement name."),
                        ArgumentSpec("verb", .string, default: Value.none, help: "A verb of that command."),
                    ])
        { invocation, context in
            guard let name = try invocation.optionalString("command") else {
                context.out.write(HelpFormatter.overview(context.registry))
                return
            }
            if let text = HelpFormatter.statementHelp(name) {
                context.out.write(text)
                return
            }
            guard let spec = context.registry.command(named: name) else {
                var message = "no command named '\(name)'"
                if let near = Suggestions.nearest(to: name, in: context.registry.commandNames + Parser.keywords) {
                    message += "; did you mean '\(near)'?"
                }
                throw ArgumentError(argument: "command", message)
            }
            guard let verbName = try invocation.optionalString("verb") else {
                context.out.write(HelpFormatter.usage(of: spec, path: name))
                return
            }
            guard let verb = spec.verb(named: verbName) else {
                var message = "'\(name)' has no verb '\(verbName)'"
                if let near = Suggestions.nearest(to: verbName, in: spec.verbs.map(\.name)) {
                    message += "; did you mean '\(near)'?"
                }
                throw ArgumentError(argument: "verb", message)
            }
            context.out.write(HelpFormatter.usage(of: verb, path: "\(name) \(verbName)"))
        }
    }

    static var vars: CommandSpec {
        CommandSpec("vars", summary: "List what the session holds: variables, parameters, tables being collected, and the workspace",
                    help: "The language's variables and parameters with type, value and kind, the tables `table row` is collecting, then what the commands hold (for dnb: the model, scheduler, dataset, training state and kept tensors). Values longer than \(maximumValueWidth) characters are cut with '…'.")
        { _, context in
            var tables: [Table] = []
            if !context.variables.isEmpty { tables.append(variableTable(context)) }
            if !context.tables.names.isEmpty {
                tables.append(Table(headers: ["table", "rows", "columns"], rows: context.tables.summaryRows,
                                    caption: "tables being collected (`table show TABLE` shows one)"))
            }
            tables += context.registry.describeSession()
            guard !tables.isEmpty else {
                context.out.print("no variables")
                return
            }
            for table in tables { context.out.table(table) }
        }
    }

    /// A `vars` row stays on one line of a terminal: a model's config record alone is ~600 characters.
    static let maximumValueWidth = 80

    private static func variableTable(_ context: CommandContext) -> Table {
        let parameters = Dictionary(context.parameters.map { ($0.name, $0) }) { first, _ in first }
        let rows = context.variables.sorted { $0.key < $1.key }.map { name, value -> [String] in
            let kind = parameters[name].map { "param (\($0.source.rawValue))" } ?? "variable"
            return [name, value.typeName, value.literal(limit: maximumValueWidth), kind]
        }
        return Table(headers: ["name", "type", "value", "kind"], rows: rows)
    }
}

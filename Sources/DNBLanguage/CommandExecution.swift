extension Interpreter {
    /// Resolves a call against the registry and runs its handler. Errors
    /// about one argument point at that argument in the source. With `holdingResult`
    /// (`let NAME = COMMAND …`) the command must declare a result, and its record is returned.
    @discardableResult
    func executeCommand(_ call: CommandCall, in execution: Execution, holdingResult: Bool = false) throws -> Value {
        let command = try registry.lookup(call.name, at: call.location)
        let selection = try VerbSelection(command: command, arguments: call.arguments, location: call.location)
        let spec = selection.spec
        if holdingResult, spec.result == nil {
            throw LanguageError(Interpreter.noResultMessage(selection.path), at: call.location)
        }
        let binding = ArgumentBinding(binding: selection.arguments, to: spec, path: selection.path, location: call.location)
        if let problem = binding.problems.first { throw problem }

        var values: [String: Value] = [:]
        for argumentSpec in spec.arguments {
            if argumentSpec.isKeywords {
                values[argumentSpec.name] = .record(Record(try binding.keywords.map { try keywordField($0, of: argumentSpec) }))
                continue
            }
            do {
                if argumentSpec.isVariadic {
                    values[argumentSpec.name] = .list(try binding.variadic.map {
                        try argumentSpec.convert(evaluate($0.value))
                    })
                } else if let argument = binding.named[argumentSpec.name] {
                    values[argumentSpec.name] = try argumentSpec.convert(evaluate(argument.value))
                } else if let defaultValue = argumentSpec.defaultValue {
                    values[argumentSpec.name] = defaultValue
                }
            } catch let error as ArgumentError {
                throw LanguageError(error.message, at: binding.named[argumentSpec.name]?.location)
            }
        }

        let invocation = Invocation(command: command.name, verb: selection.verb, location: call.location,
                                    values: values, given: Set(binding.named.keys))
        let context = CommandContext(out: execution.output, outputDirectory: outputDirectory, sharedOutputDirectory: sharedOutputDirectory, registry: registry,
                                     interrupt: interrupt, variables: variables, parameters: parameters, tables: tables,
                                     declaredResult: spec.result)
        do {
            try command.prerequisite?()
            if selection.verb != nil { try spec.prerequisite?() }
            guard let handler = spec.handler else {
                throw LanguageError("'\(selection.path)' has no handler")
            }
            try handler(invocation, context)
        } catch let error as ArgumentError {
            // A handler rejecting one argument's value: point at that argument.
            let location = error.argument.flatMap { binding.named[$0]?.location }
            throw LanguageError(error.message, at: location)
        }
        // Unassigned, a command behaves as it always did: its result is only built for `let`.
        guard holdingResult, let result = spec.result else { return .none }
        return .record(try result.record(from: context.result, command: selection.path))
    }

    /// One `name=value` of a keywords argument, converted to its type and named as written.
    private func keywordField(_ argument: Argument, of spec: ArgumentSpec) throws -> Record.Field {
        var named = spec
        named.name = argument.name ?? spec.name
        do {
            return Record.Field(named.name, try named.convert(evaluate(argument.value)))
        } catch let error as ArgumentError {
            throw LanguageError(error.message, at: argument.location)
        }
    }

    static func noResultMessage(_ path: String) -> String {
        "'\(path)' gives no result to hold in a variable; run it without `let` (`help \(path)` lists what a command gives)"
    }
}

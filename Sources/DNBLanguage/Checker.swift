/// Finds problems without running anything: unknown commands, verbs,
/// arguments and variables, missing required arguments, and literal values
/// of the wrong type. Keeps going after a problem so one pass reports them all.
///
/// Variables bound by `let`, `for` and `param` are tracked with the same
/// scoping as the interpreter, so state carries across the scripts (cells)
/// checked by one checker.
public struct Checker {
    public let registry: CommandRegistry
    private var scopes: [Set<String>]
    /// The first declaration of each parameter.
    private var parameters: [String: ParameterDeclaration] = [:]
    /// Cleared when part of the program could not be parsed: the variables
    /// it would have bound are unknown, so reporting them would be noise.
    public var reportsUnknownVariables = true

    public init(registry: CommandRegistry, predefinedVariables: Set<String> = []) {
        self.registry = registry
        self.scopes = [predefinedVariables]
    }

    /// Problems in `script`, in source order. With `reporting` false the
    /// script only contributes its variables (for cells allowed to fail).
    public mutating func check(_ script: Script, reporting: Bool = true) -> [Diagnostic] {
        var problems: [LanguageError] = []
        check(script.statements, into: &problems)
        guard reporting else { return [] }
        let source = SourceLines(script.source, file: script.file, firstLine: script.firstLine)
        let start = SourceLocation(file: script.file, line: script.firstLine, column: 1)
        return problems.map { source.diagnostic($0.message, at: $0.location ?? start) }
    }

    private mutating func check(_ statements: [Statement], into problems: inout [LanguageError]) {
        for statement in statements { check(statement, into: &problems) }
    }

    private mutating func check(_ statement: Statement, into problems: inout [LanguageError]) {
        switch statement.kind {
        case .command(let call):
            check(call, into: &problems)
        case .assignment(let name, let value):
            checkVariables(in: value, into: &problems)
            if parameters[name] != nil {
                problems.append(LanguageError("'\(name)' is a parameter; change it from outside with --set \(name)=… instead of let",
                                              at: statement.location))
            }
            scopes[scopes.count - 1].insert(name)
        case .loop(let variable, let sequence, let body):
            checkVariables(in: sequence, into: &problems)
            // A range is always a list (the parser checked its length when both bounds are literals):
            // building it just to look at its type could take 240 MB.
            if !sequence.isRange, let value = sequence.constantValue, value.typeName != "list" {
                problems.append(LanguageError("'for' needs a list or range to loop over, got \(value.typedLiteral)",
                                              at: sequence.location))
            }
            scopes.append([variable])
            check(body, into: &problems)
            scopes.removeLast()
        case .parameter(let declaration):
            if let first = parameters[declaration.name] {
                if first.type != declaration.type {
                    problems.append(LanguageError(Interpreter.redeclarationMessage(declaration, first: first), at: declaration.location))
                }
            } else {
                parameters[declaration.name] = declaration
            }
            scopes[0].insert(declaration.name)
        case .timed(let inner):
            check(inner, into: &problems)
        }
    }

    private func check(_ call: CommandCall, into problems: inout [LanguageError]) {
        for argument in call.arguments { checkVariables(in: argument.value, into: &problems) }
        let selection: VerbSelection
        do {
            let command = try registry.lookup(call.name, at: call.location)
            selection = try VerbSelection(command: command, arguments: call.arguments, location: call.location)
        } catch {
            problems.append(error as? LanguageError ?? LanguageError("\(error)", at: call.location))
            return
        }
        let binding = ArgumentBinding(binding: selection.arguments, to: selection.spec, path: selection.path,
                                      location: call.location)
        problems += binding.problems
        for spec in selection.spec.arguments {
            let written = spec.isVariadic ? binding.variadic : binding.named[spec.name].map { [$0] } ?? []
            for argument in written {
                guard let value = argument.value.constantValue else { continue }
                do {
                    _ = try spec.convert(value)
                } catch {
                    problems.append(LanguageError("\(error)", at: argument.location))
                }
            }
        }
    }

    private func checkVariables(in expression: Expression, into problems: inout [LanguageError]) {
        guard reportsUnknownVariables else { return }
        switch expression.kind {
        case .literal, .word:
            break
        case .variable(let name):
            checkVariable(name, at: expression.location, into: &problems)
        case .string(let parts):
            for case .variable(let name, let location) in parts {
                checkVariable(name, at: location, into: &problems)
            }
        case .list(let elements):
            for element in elements { checkVariables(in: element, into: &problems) }
        case .range(let low, let high):
            checkVariables(in: low, into: &problems)
            checkVariables(in: high, into: &problems)
        }
    }

    private func checkVariable(_ name: String, at location: SourceLocation, into problems: inout [LanguageError]) {
        guard !scopes.contains(where: { $0.contains(name) }) else { return }
        let known = scopes.reduce(into: Set<String>()) { $0.formUnion($1) }
        problems.append(LanguageError(Interpreter.unknownVariableMessage(name, known: known), at: location))
    }
}

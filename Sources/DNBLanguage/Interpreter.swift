import DNBSupport

/// Runs dnb statements against one persistent state: variables, declared
/// parameters and the registry of commands. The REPL keeps one interpreter
/// for the session; the runner keeps one per notebook run.
///
/// Scoping: top-level `let` and `param` bind globals that later entries and
/// cells see. Each `{…}` block (a loop body, once per iteration) opens a new
/// scope; `let` binds in the innermost scope, so names bound inside a block,
/// including the loop variable, disappear when it ends and may shadow outer
/// names meanwhile.
public final class Interpreter {
    public let registry: CommandRegistry
    /// Passed to commands for writing figures and other files.
    public var outputDirectory: String
    /// See `RunOptions.sharedOutputDirectory`.
    public var sharedOutputDirectory: String?
    public let interrupt: Interrupt
    public var timeSource: TimeSource
    /// Values from outside (`--set`) that win over `param` defaults.
    public private(set) var overrides: [String: ParameterOverride] = [:]
    /// Parameters in the order they were first declared.
    public private(set) var parameters: [ParameterBinding] = []
    /// Innermost scope last; the first is the global scope.
    private var scopes: [[String: Value]] = [[:]]
    /// The tables `table row` collects until `table show`; they outlive statements, cells and REPL entries.
    public let tables = TableCollector()

    public init(registry: CommandRegistry = CommandRegistry(), outputDirectory: String = ".",
                overrides: [ParameterOverride] = [], interrupt: Interrupt = .shared,
                timeSource: TimeSource = .monotonic)
    {
        self.registry = registry
        self.outputDirectory = outputDirectory
        self.interrupt = interrupt
        self.timeSource = timeSource
        for override in overrides { self.overrides[override.name] = override }
    }

    /// Parses and runs `text`. Throws `ParseError` for malformed text (and
    /// then runs nothing) or `RuntimeError` for the first failing statement.
    public func run(_ text: String, file: String? = nil, firstLine: Int = 1, output: Output) throws {
        try execute(Parser.parse(text, file: file, firstLine: firstLine), output: output)
    }

    /// Runs parsed statements in order. Throws `RuntimeError`.
    public func execute(_ script: Script, output: Output) throws {
        let execution = Execution(source: SourceLines(script.source, file: script.file, firstLine: script.firstLine),
                                  output: output)
        try execute(script.statements, in: execution)
    }

    // MARK: - Variables

    /// The visible value of a variable, innermost binding first.
    public func variable(_ name: String) -> Value? {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return nil
    }

    /// Every visible variable with its innermost value.
    public var variables: [String: Value] {
        scopes.reduce(into: [:]) { visible, scope in visible.merge(scope) { _, inner in inner } }
    }

    /// Binds a global from outside the language, e.g. a value the executable provides.
    public func define(_ name: String, _ value: Value) {
        scopes[0][name] = value
    }

    /// Sets or replaces an override; it applies when the parameter is next
    /// declared. Throws when an already declared parameter would get a
    /// value of the wrong type.
    public func setOverride(_ override: ParameterOverride) throws {
        if let index = parameters.firstIndex(where: { $0.name == override.name }) {
            let value = try override.value(for: parameters[index].type)
            parameters[index].value = value
            parameters[index].source = .override
            scopes[0][override.name] = value
        }
        overrides[override.name] = override
    }

    // MARK: - State, for the cell cache

    /// What the language holds between cells: the globals, which parameters were declared (in order), and the
    /// tables `table row` is collecting.
    public struct State: Codable, Equatable, Sendable {
        public var globals: [String: Value]
        public var parameterNames: [String]
        public var tables: TableCollector.Snapshot

        public init(globals: [String: Value] = [:], parameterNames: [String] = [], tables: TableCollector.Snapshot = .empty) {
            self.globals = globals
            self.parameterNames = parameterNames
            self.tables = tables
        }
    }

    public var state: State {
        State(globals: scopes[0], parameterNames: parameters.map(\.name), tables: tables.snapshot())
    }

    /// Puts the interpreter back in `state`; the parameters' bindings come from `bindings` (the run's, by name).
    public func restore(_ state: State, bindings: [ParameterBinding]) {
        scopes = [state.globals]
        parameters = state.parameterNames.compactMap { name in bindings.first { $0.name == name } }
        tables.restore(state.tables)
    }

    // MARK: - Statements

    struct Execution {
        var source: SourceLines
        var output: Output
    }

    func execute(_ statements: [Statement], in execution: Execution) throws {
        for statement in statements {
            do {
                try interrupt.check()
                try execute(statement, in: execution)
            } catch {
                throw locate(error, at: statement.location, in: execution)
            }
        }
    }

    private func execute(_ statement: Statement, in execution: Execution) throws {
        switch statement.kind {
        case .command(let call):
            try executeCommand(call, in: execution)
        case .assignment(let name, let expression):
            try checkAssignable(name)
            if let call = commandCall(expression) {
                scopes[scopes.count - 1][name] = try executeCommand(call, in: execution, holdingResult: true)
            } else {
                scopes[scopes.count - 1][name] = try evaluate(expression)
            }
        case .commandAssignment(let name, let call):
            try checkAssignable(name)
            scopes[scopes.count - 1][name] = try executeCommand(call, in: execution, holdingResult: true)
        case .loop(let variable, let sequence, let body):
            try executeLoop(variable: variable, sequence: sequence, body: body, in: execution)
        case .parameter(let declaration):
            try declare(declaration)
        case .timed(let inner):
            let seconds = try timeSource.measure { try execute([inner], in: execution) }
            execution.output.print("wall time: \(formatDuration(seconds))")
        case .conditional(let branches, let otherwise):
            for branch in branches {
                let condition = try evaluate(branch.condition)
                guard case .bool(let holds) = condition else {
                    throw LanguageError("'if' needs a bool condition, got \(condition.typedLiteral); "
                                            + "compare explicitly, e.g. `$n > 0`", at: branch.condition.location)
                }
                if holds { return try executeBlock(branch.body, in: execution) }
            }
            if let otherwise { try executeBlock(otherwise, in: execution) }
        case .timeit(let inner, let repeatCount):
            try executeTimeit(inner, repeatCount: repeatCount, in: execution)
        }
    }

    private func checkAssignable(_ name: String) throws {
        if parameters.contains(where: { $0.name == name }) {
            throw LanguageError("'\(name)' is a parameter; change it from outside with --set \(name)=… instead of let")
        }
    }

    /// `let s = sample`: a lone bare word that names a command runs it (quote it to bind the string).
    func commandCall(_ expression: Expression) -> CommandCall? {
        guard let word = expression.word, registry.command(named: word) != nil else { return nil }
        return CommandCall(name: word, arguments: [], location: expression.location)
    }

    /// Runs a block in a scope of its own, like one loop iteration.
    private func executeBlock(_ body: [Statement], in execution: Execution) throws {
        scopes.append([:])
        defer { scopes.removeLast() }
        try execute(body, in: execution)
    }

    /// Without `repeat=`, `timeit` runs the statement once, then as often as fits in
    /// about `timeitBudget` seconds in all, at most `maximumTimeitRuns` times, like
    /// IPython's %timeit, which also aims at a total of a fraction of a second to seconds.
    static let timeitBudget = 1.0
    static let maximumTimeitRuns = 100

    private func executeTimeit(_ inner: Statement, repeatCount: Expression?, in execution: Execution) throws {
        var runs: Int?
        if let repeatCount {
            let value = try evaluate(repeatCount)
            guard case .int(let count) = value, (1...Interpreter.maximumTimeitRuns).contains(count) else {
                throw LanguageError("'repeat' must be an int from 1 to \(Interpreter.maximumTimeitRuns), got \(value.typedLiteral)",
                                    at: repeatCount.location)
            }
            runs = count
        }
        var times: [Double] = []
        repeat {
            try interrupt.check()
            times.append(try timeSource.measure { try execute([inner], in: execution) })
            if runs == nil {
                let first = max(times[0], 1e-9)
                runs = max(1, min(Interpreter.maximumTimeitRuns, Int(Interpreter.timeitBudget / first)))
            }
        } while times.count < runs!
        let sorted = times.sorted()
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        execution.output.print("\(sorted.count) run\(sorted.count == 1 ? "" : "s"): min \(Interpreter.formatRun(sorted[0])), "
                                   + "median \(Interpreter.formatRun(median)), max \(Interpreter.formatRun(sorted[sorted.count - 1]))")
    }

    /// `formatDuration` with three significant digits below a second: `timeit` is for short statements.
    static func formatRun(_ seconds: Double) -> String {
        if seconds < 1e-3 { return fixed(seconds * 1e6, decimals: 1) + " µs" }
        if seconds < 1 { return fixed(seconds * 1e3, decimals: seconds < 0.1 ? 2 : 1) + " ms" }
        return formatDuration(seconds)
    }

    private func executeLoop(variable: String, sequence: Expression, body: [Statement], in execution: Execution) throws {
        func iterate(_ element: Value) throws {
            try interrupt.check()
            scopes.append([variable: element])
            defer { scopes.removeLast() }
            try execute(body, in: execution)
        }
        // A range is walked without building its list: memory stays flat however long the loop.
        if sequence.isRange {
            guard let bounds = try rangeBounds(sequence) else { return }
            for number in bounds { try iterate(.int(number)) }
            return
        }
        let value = try evaluate(sequence)
        guard case .list(let elements) = value else {
            throw LanguageError("'for' needs a list or range to loop over, got \(value.typedLiteral)", at: sequence.location)
        }
        for element in elements { try iterate(element) }
    }

    private func declare(_ declaration: ParameterDeclaration) throws {
        if let first = parameters.first(where: { $0.name == declaration.name }), first.type != declaration.type {
            throw LanguageError(Interpreter.redeclarationMessage(declaration, first: first.declaration))
        }
        var binding = ParameterBinding(declaration: declaration, value: declaration.defaultValue, source: .defaultValue)
        if let override = overrides[declaration.name] {
            binding.value = try override.value(for: declaration.type)
            binding.source = .override
        }
        // Declaring again (re-running a REPL line or cell) updates in place,
        // keeping the first declaration's position for reports.
        if let index = parameters.firstIndex(where: { $0.name == declaration.name }) {
            parameters[index] = binding
        } else {
            parameters.append(binding)
        }
        scopes[0][declaration.name] = binding.value
    }

    /// A parameter may be declared again (re-running a cell) but only with its first type:
    /// values already computed from it, and any `--set`, assume that type.
    static func redeclarationMessage(_ declaration: ParameterDeclaration, first: ParameterDeclaration) -> String {
        // REPL entries have no file and each starts at line 1, so their positions would mislead.
        let place = first.location.file == nil ? "in an earlier entry" : "at \(first.location)"
        return "parameter '\(declaration.name)' is declared as \(declaration.type) here but as \(first.type) \(place); "
            + "a parameter keeps its first type (rename one of them)"
    }

    /// Attaches a source position to an error, preferring the most precise
    /// one the error knows about.
    func locate(_ error: any Error, at location: SourceLocation, in execution: Execution) -> RuntimeError {
        if let error = error as? RuntimeError { return error }
        var place = location
        if let error = error as? LanguageError, let precise = error.location { place = precise }
        return RuntimeError(execution.source.diagnostic(describeError(error), at: place), underlying: error)
    }
}

/// Finds problems without running anything: unknown commands, verbs,
/// arguments and variables, missing required arguments, literal values
/// of the wrong type, and expressions whose operand types are known to be
/// wrong (`"a" - 1`, `if 3 {`) or whose literal operands fail (`1 / 0`).
/// Keeps going after a problem so one pass reports them all.
///
/// Variables bound by `let`, `for` and `param` are tracked with the same
/// scoping as the interpreter, so state carries across the scripts (cells)
/// checked by one checker.
public struct Checker {
    public let registry: CommandRegistry
    /// What is known of each visible variable: its type, when `let`, `for` or `param` tells.
    private var scopes: [[String: Known]]
    /// The first declaration of each parameter.
    private var parameters: [String: ParameterDeclaration] = [:]
    /// Cleared when part of the program could not be parsed: the variables
    /// it would have bound are unknown, so reporting them would be noise.
    public var reportsUnknownVariables = true

    public init(registry: CommandRegistry, predefinedVariables: Set<String> = []) {
        self.registry = registry
        self.scopes = [Dictionary(uniqueKeysWithValues: predefinedVariables.map { ($0, Known.unknown) })]
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
            if let word = value.word, registry.command(named: word) != nil {
                let call = CommandCall(name: word, arguments: [], location: value.location)
                return check(.init(kind: .commandAssignment(name: name, call: call), location: statement.location), into: &problems)
            }
            let known = infer(value, into: &problems)
            checkAssignable(name, at: statement.location, into: &problems)
            scopes[scopes.count - 1][name] = known.stored
        case .commandAssignment(let name, let call):
            var known = Known.unknown
            if let spec = check(call, into: &problems) {
                if let result = spec.result {
                    known = .fields(result.fields)
                } else {
                    problems.append(LanguageError(Interpreter.noResultMessage(spec.path), at: call.location))
                }
            }
            checkAssignable(name, at: statement.location, into: &problems)
            scopes[scopes.count - 1][name] = known
        case .loop(let variable, let sequence, let body):
            let known = infer(sequence, into: &problems)
            var element = Known.unknown
            if sequence.isRange {
                element = .type("int")
            } else if let type = known.typeName, type != "list" {
                problems.append(LanguageError("'for' needs a list or range to loop over, got \(known.describe)",
                                              at: sequence.location))
            } else if case .value(.list(let values)) = known, let first = values.first,
                      values.allSatisfy({ $0.typeName == first.typeName })
            {
                element = .type(first.typeName)
            }
            scopes.append([variable: element])
            check(body, into: &problems)
            scopes.removeLast()
        case .conditional(let branches, let otherwise):
            for branch in branches {
                let known = infer(branch.condition, into: &problems)
                if let type = known.typeName, type != "bool" {
                    problems.append(LanguageError("'if' needs a bool condition, got \(known.describe); "
                                                      + "compare explicitly, e.g. `$n > 0`", at: branch.condition.location))
                }
                scopes.append([:])
                check(branch.body, into: &problems)
                scopes.removeLast()
            }
            if let otherwise {
                scopes.append([:])
                check(otherwise, into: &problems)
                scopes.removeLast()
            }
        case .timeit(let inner, let repeatCount):
            check(inner, into: &problems)
            if let repeatCount {
                let known = infer(repeatCount, into: &problems)
                let allowed = 1...Interpreter.maximumTimeitRuns
                if let type = known.typeName, type != "int" {
                    problems.append(LanguageError("'repeat' must be an int from 1 to \(allowed.upperBound), got \(known.describe)",
                                                  at: repeatCount.location))
                } else if case .value(.int(let count)) = known, !allowed.contains(count) {
                    problems.append(LanguageError("'repeat' must be an int from 1 to \(allowed.upperBound), got \(count)",
                                                  at: repeatCount.location))
                }
            }
        case .parameter(let declaration):
            if let first = parameters[declaration.name] {
                if first.type != declaration.type {
                    problems.append(LanguageError(Interpreter.redeclarationMessage(declaration, first: first), at: declaration.location))
                }
            } else {
                parameters[declaration.name] = declaration
            }
            scopes[0][declaration.name] = Checker.known(declaration.type)
        case .timed(let inner):
            check(inner, into: &problems)
        }
    }

    private func checkAssignable(_ name: String, at location: SourceLocation, into problems: inout [LanguageError]) {
        if parameters[name] != nil {
            problems.append(LanguageError("'\(name)' is a parameter; change it from outside with --set \(name)=… instead of let",
                                          at: location))
        }
    }

    /// Checks the call; returns the command (or verb) it selects, with its path, when that much resolves.
    @discardableResult
    private func check(_ call: CommandCall, into problems: inout [LanguageError]) -> (result: ResultSpec?, path: String)? {
        var values: [SourceLocation: Value] = [:]
        for argument in call.arguments {
            if case .value(let value) = infer(argument.value, into: &problems) { values[argument.location] = value }
        }
        let selection: VerbSelection
        do {
            let command = try registry.lookup(call.name, at: call.location)
            selection = try VerbSelection(command: command, arguments: call.arguments, location: call.location)
        } catch {
            problems.append(error as? LanguageError ?? LanguageError("\(error)", at: call.location))
            return nil
        }
        let binding = ArgumentBinding(binding: selection.arguments, to: selection.spec, path: selection.path,
                                      location: call.location)
        problems += binding.problems
        for spec in selection.spec.arguments {
            let written = spec.isVariadic ? binding.variadic : spec.isKeywords ? binding.keywords
                : binding.named[spec.name].map { [$0] } ?? []
            for argument in written {
                guard let value = values[argument.location] else { continue }
                var named = spec
                if spec.isKeywords { named.name = argument.name ?? spec.name }
                do {
                    _ = try named.convert(value)
                } catch {
                    problems.append(LanguageError("\(error)", at: argument.location))
                }
            }
        }
        return (selection.spec.result, selection.path)
    }

    /// What `check` knows of an expression: its value when every leaf is a
    /// literal, else its type when the operand types are known.
    enum Known {
        case value(Value)
        case type(String)
        /// A record whose fields are known: a command's result, or a record literal bound by `let`.
        case fields([ResultField])
        case unknown

        var typeName: String? {
            switch self {
            case .value(let value): value.typeName
            case .type(let name): name
            case .fields: "record"
            case .unknown: nil
            }
        }

        /// What a variable keeps: the type, not the value (a variable's value may be a long list),
        /// and a record's fields.
        var stored: Known {
            switch self {
            case .value(.record(let record)): .fields(Checker.fields(of: record))
            case .value(let value): .type(value.typeName)
            case .fields, .type, .unknown: self
            }
        }

        /// The known side of a field: its type, and its fields when it is a record that declares them.
        static func of(_ field: ResultField) -> Known {
            field.type == .record && !field.fields.isEmpty ? .fields(field.fields) : Checker.known(field.type)
        }

        /// `int 3`, or just `int` when only the type is known.
        var describe: String {
            switch self {
            case .value(let value): value.typedLiteral
            case .type(let name): name
            case .fields: "record"
            case .unknown: "a value"
            }
        }

        /// A stand-in of the known type for running an operator to learn its
        /// result type; errors about its value (an index out of range) are not reported.
        var sample: Value? {
            switch self {
            case .value(let value): value
            case .type("int"): .int(1)
            case .type("float"): .float(1)
            case .type("string"): .string("s")
            case .type("bool"): .bool(true)
            case .type("list"): .list([])
            case .type("none"): Value.none
            case .type("record"), .fields: .record(Record())
            default: nil
            }
        }
    }

    static func known(_ type: ValueType) -> Known {
        switch type {
        case .int: .type("int")
        case .float: .type("float")
        case .string, .path: .type("string")
        case .bool: .type("bool")
        case .list: .type("list")
        case .record: .type("record")
        case .any: .unknown
        }
    }

    /// The fields of a record value as `check` knows them, nested records included.
    static func fields(of record: Record) -> [ResultField] {
        record.fields.map { field in
            if case .record(let inner) = field.value { return ResultField(field.name, .record, fields: fields(of: inner), help: "") }
            return ResultField(field.name, valueType(of: field.value), help: "")
        }
    }

    /// The declared type a value has, for the fields of a record literal.
    static func valueType(of value: Value) -> ValueType {
        switch value {
        case .int: .int
        case .float: .float
        case .string: .string
        case .bool: .bool
        case .list: .list(.any)
        case .record: .record
        case .none: .any
        }
    }

    /// Lists with literal bounds up to this length are built to check argument
    /// values; longer ones are known only as lists (the limit is 240 MB).
    private static let builtRangeLength = 10_000

    /// Walks an expression as the interpreter would, reporting unknown variables,
    /// operand types known to be wrong, and failures of all-literal operations.
    private func infer(_ expression: Expression, into problems: inout [LanguageError]) -> Known {
        switch expression.kind {
        case .literal(let value):
            return .value(value)
        case .word(let word):
            return .value(.string(word))
        case .variable(let name):
            return checkVariable(name, at: expression.location, into: &problems)
        case .string(let parts):
            var text: String? = ""
            for part in parts {
                switch part {
                case .text(let piece):
                    text? += piece
                case .variable(let name, let location):
                    _ = checkVariable(name, at: location, into: &problems)
                    text = nil
                case .expression(let inner):
                    if case .value(let value) = infer(inner, into: &problems) { text? += value.description } else { text = nil }
                }
            }
            return text.map { .value(.string($0)) } ?? .type("string")
        case .list(let elements):
            let known = elements.map { infer($0, into: &problems) }
            var values: [Value] = []
            for case .value(let value) in known { values.append(value) }
            return values.count == known.count ? .value(.list(values)) : .type("list")
        case .range(let low, let high):
            for bound in [low, high] {
                let known = infer(bound, into: &problems)
                if let type = known.typeName, type != "int" {
                    problems.append(LanguageError("range bounds must be ints, got \(known.describe)", at: bound.location))
                }
            }
            if case .literal(.int(let from)) = low.kind, case .literal(.int(let to)) = high.kind,
               to < from || to - from < Checker.builtRangeLength, let value = try? Expression.range(from, to)
            {
                return .value(value)
            }
            return .type("list")
        case .unary(let symbol, let operand):
            return apply([infer(operand, into: &problems)], at: expression.location, into: &problems) {
                (values) throws(OperatorError) in try Operators.unary(symbol, values[0])
            }
        case .binary(let symbol, let left, let right):
            let operands = [infer(left, into: &problems), infer(right, into: &problems)]
            return apply(operands, at: expression.location, into: &problems) { (values) throws(OperatorError) in
                try Operators.binary(symbol, values[0], values[1])
            }
        case .index(let base, let index):
            let operands = [infer(base, into: &problems), infer(index, into: &problems)]
            return apply(operands, at: index.location, into: &problems) { (values) throws(OperatorError) in
                try Operators.index(values[0], values[1])
            }
        case .call(let name, let arguments):
            var operands = arguments.map { infer($0, into: &problems) }
            // `range` is only type-checked: building range(10_000_000) would take 240 MB.
            if name == "range" { operands = operands.map { $0.typeName.map(Known.type) ?? .unknown } }
            let result = apply(operands, at: expression.location, into: &problems) { (values) throws(OperatorError) in
                try Operators.call(name, values)
            }
            return name == "range" ? result.typeName.map(Known.type) ?? .unknown : result
        case .field(let base, let name):
            return field(name, of: infer(base, into: &problems), at: expression.location, into: &problems)
        case .record(let entries):
            let known = entries.map { infer($0.value, into: &problems) }
            var fields: [Record.Field] = []
            for (entry, known) in zip(entries, known) {
                if case .value(let value) = known { fields.append(Record.Field(entry.name, value)) }
            }
            if fields.count == entries.count { return .value(.record(Record(fields))) }
            return .fields(zip(entries, known).map { entry, known in
                if case .fields(let inner) = known { return ResultField(entry.name, .record, fields: inner, help: "") }
                return ResultField(entry.name, known.typeName.flatMap(ValueType.init(name:)) ?? .any, help: "")
            })
        }
    }

    /// `$m.name`: a declared field's type, or a problem naming the nearest field when there is none.
    private func field(_ name: String, of base: Known, at location: SourceLocation, into problems: inout [LanguageError]) -> Known {
        switch base {
        case .fields(let fields):
            if let field = fields.first(where: { $0.name == name }) { return .of(field) }
            problems.append(LanguageError(Operators.missingFieldMessage(name, in: fields.map(\.name)), at: location))
            return .unknown
        case .type(let type):
            if type != "record" { problems.append(LanguageError("only records have fields, got \(type) (.\(name))", at: location)) }
            return .unknown
        case .value:
            return apply([base], at: location, into: &problems) { (values) throws(OperatorError) in try Operators.field(values[0], name) }
        case .unknown:
            return .unknown
        }
    }

    /// Runs an operator on literal operands (reporting any failure) or on
    /// samples of known types (reporting only type errors).
    private func apply(_ operands: [Known], at location: SourceLocation, into problems: inout [LanguageError],
                       _ operation: ([Value]) throws(OperatorError) -> Value) -> Known
    {
        var literals: [Value] = []
        for case .value(let value) in operands { literals.append(value) }
        if literals.count == operands.count {
            do {
                return .value(try operation(literals))
            } catch {
                problems.append(LanguageError(error.message, at: location))
                return .unknown
            }
        }
        let samples = operands.compactMap(\.sample)
        guard samples.count == operands.count else { return .unknown }
        do {
            return .type(try operation(samples).typeName)
        } catch {
            if error.isTypeError { problems.append(LanguageError(error.message, at: location)) }
            return .unknown
        }
    }

    private func checkVariable(_ name: String, at location: SourceLocation, into problems: inout [LanguageError]) -> Known {
        for scope in scopes.reversed() {
            if let known = scope[name] { return known }
        }
        if reportsUnknownVariables {
            let known = scopes.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
            problems.append(LanguageError(Interpreter.unknownVariableMessage(name, known: known), at: location))
        }
        return .unknown
    }
}

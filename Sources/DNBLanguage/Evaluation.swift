import DNBSupport

extension Interpreter {
    func evaluate(_ expression: Expression) throws -> Value {
        switch expression.kind {
        case .literal(let value):
            return value
        case .word(let word):
            return .string(word)
        case .string(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let piece): text += piece
                case .variable(let name, let location): text += try lookup(name, at: location).description
                case .expression(let inner): text += try evaluate(inner).description
                }
                guard text.count <= Operators.maximumStringLength else {
                    throw LanguageError("the string would have \(text.count) characters; at most "
                                            + "\(Operators.maximumStringLength) are allowed", at: expression.location)
                }
            }
            return .string(text)
        case .variable(let name):
            return try lookup(name, at: expression.location)
        case .list(let elements):
            return .list(try elements.map(evaluate))
        case .range(let low, let high):
            guard let bounds = try rangeBounds(expression) else { return .list([]) }
            return .list(bounds.map(Value.int))
        case .unary(let symbol, let operand):
            let value = try evaluate(operand)
            return try located(at: expression.location) { () throws(OperatorError) in try Operators.unary(symbol, value) }
        case .binary(let symbol, let left, let right):
            let first = try evaluate(left)
            // `and`/`or` short-circuit as in Python: `$n > 0 and 10 / $n > 1` never divides by zero.
            if symbol == "and" || symbol == "or", case .bool(let decided) = first, decided == (symbol == "or") {
                return first
            }
            let second = try evaluate(right)
            return try located(at: expression.location) { () throws(OperatorError) in
                try Operators.binary(symbol, first, second)
            }
        case .index(let base, let index):
            let (list, position) = (try evaluate(base), try evaluate(index))
            return try located(at: index.location) { () throws(OperatorError) in try Operators.index(list, position) }
        case .call(let name, let arguments):
            let values = try arguments.map(evaluate)
            return try located(at: expression.location) { () throws(OperatorError) in try Operators.call(name, values) }
        case .field(let base, let name):
            let record = try evaluate(base)
            return try located(at: expression.location) { () throws(OperatorError) in try Operators.field(record, name) }
        case .record(let entries):
            return .record(Record(try entries.map { Record.Field($0.name, try evaluate($0.value)) }))
        }
    }

    private func located(at location: SourceLocation, _ body: () throws(OperatorError) -> Value) throws -> Value {
        do {
            return try body()
        } catch {
            throw LanguageError(error.message, at: location)
        }
    }

    /// The ints a `low..high` expression covers, nil when empty; throws when
    /// a bound is not an int or the range is longer than `Expression.maximumRangeLength`.
    func rangeBounds(_ expression: Expression) throws -> ClosedRange<Int>? {
        guard case .range(let low, let high) = expression.kind else { return nil }
        let from = try rangeBound(low), to = try rangeBound(high)
        do {
            return try Expression.rangeBounds(from, to)
        } catch let error as LanguageError {
            throw LanguageError(error.message, at: expression.location)
        }
    }

    private func rangeBound(_ expression: Expression) throws -> Int {
        let value = try evaluate(expression)
        guard case .int(let bound) = value else {
            throw LanguageError("range bounds must be ints, got \(value.typedLiteral)", at: expression.location)
        }
        return bound
    }

    private func lookup(_ name: String, at location: SourceLocation) throws -> Value {
        if let value = variable(name) { return value }
        throw LanguageError(Interpreter.unknownVariableMessage(name, known: Set(variables.keys)), at: location)
    }

    static func unknownVariableMessage(_ name: String, known: Set<String>) -> String {
        var message = "unknown variable '$\(name)'"
        if let near = Suggestions.nearest(to: name, in: known.sorted()) {
            message += "; did you mean '$\(near)'?"
        } else {
            message += "; define it with `let \(name) = …` first"
        }
        return message
    }
}

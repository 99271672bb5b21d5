import DNBSupport

extension Interpreter {
    /// Loops over more elements than this are surely a typo, and building
    /// the list would exhaust memory before anything useful happened.
    static let maximumRangeLength = 10_000_000

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
                }
            }
            return .string(text)
        case .variable(let name):
            return try lookup(name, at: expression.location)
        case .list(let elements):
            return .list(try elements.map(evaluate))
        case .range(let low, let high):
            let from = try rangeBound(low), to = try rangeBound(high)
            guard to < from || to - from < Interpreter.maximumRangeLength else {
                throw LanguageError("range \(from)..\(to) is too long (over \(Interpreter.maximumRangeLength) values)", at: expression.location)
            }
            return Expression.range(from, to)
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

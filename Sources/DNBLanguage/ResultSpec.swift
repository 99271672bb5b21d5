/// One field of a command's result: `parameters` of `model summary`, `loss` of `train`.
public struct ResultField: Hashable, Sendable {
    public var name: String
    public var type: ValueType
    public var help: String
    /// For a `.record` field whose fields are known (`$m.config.sample_size`): `check` and help use them.
    public var fields: [ResultField]

    public init(_ name: String, _ type: ValueType, fields: [ResultField] = [], help: String) {
        self.name = name
        self.type = type
        self.help = help
        self.fields = fields
    }
}

/// What `let NAME = COMMAND …` binds: a record with these fields, in this order. Declared once in the
/// command's `CommandSpec(…, result:)`, so `help CMD` lists the fields and `check` knows `$NAME.FIELD`.
/// The handler fills it with `context.setResult([...])`; a field it does not set is `none`
/// ("does not apply this time", e.g. `train`'s loss when no step ran).
public struct ResultSpec: Hashable, Sendable {
    public var fields: [ResultField]

    public init(_ fields: [ResultField]) {
        self.fields = fields
    }

    public func field(named name: String) -> ResultField? {
        fields.first { $0.name == name }
    }

    /// The record a handler's values make, in declared order. A value the spec does not declare, or of
    /// another type, is a mistake in the command rather than the user's: it is refused with a message
    /// naming the command instead of handing the user a record that `check` described differently.
    func record(from values: [String: Value], command path: String) throws -> Record {
        if let undeclared = values.keys.sorted().first(where: { field(named: $0) == nil }) {
            throw LanguageError("'\(path)' set the result field '\(undeclared)', which its result does not declare")
        }
        return Record(try fields.map { field in
            let value = values[field.name] ?? .none
            guard value.isNone || field.type.accepts(value) else {
                throw LanguageError("'\(path)' set its result field '\(field.name)' to \(value.typedLiteral), but declares \(field.type)")
            }
            return Record.Field(field.name, field.type.coerce(value) ?? value)
        })
    }
}

/// The value of `Value.record`: fields with unique names, in the order they were given.
/// Commands declare the fields of their result in `ResultSpec`; `table row` collects its
/// `name=value` pairs as one.
public struct Record: Hashable, Sendable {
    public struct Field: Hashable, Sendable, Codable {
        public var name: String
        public var value: Value

        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    /// A name given twice keeps its first position and its last value, as a Python dict does.
    public init(_ fields: [Field] = []) {
        self.fields = []
        self.fields.reserveCapacity(fields.count)
        // An index of positions keeps a record of many fields (a hostile literal) linear to build.
        var positions: [String: Int] = [:]
        for field in fields {
            if let index = positions[field.name] {
                self.fields[index].value = field.value
            } else {
                positions[field.name] = self.fields.count
                self.fields.append(field)
            }
        }
    }

    public init(_ pairs: KeyValuePairs<String, Value>) {
        self.init(pairs.map { Field($0.key, $0.value) })
    }

    public var names: [String] { fields.map(\.name) }

    public var isEmpty: Bool { fields.isEmpty }

    /// The field's value, nil when there is no such field. Setting nil removes the field;
    /// setting a new name appends it.
    public subscript(name: String) -> Value? {
        get { fields.first { $0.name == name }?.value }
        set {
            let index = fields.firstIndex { $0.name == name }
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append(Field(name, value))
            case (nil, nil): break
            }
        }
    }
}

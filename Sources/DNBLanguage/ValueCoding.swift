import Foundation

// JSON forms of values and outputs, for the cell cache (and anything else that keeps them on disk).
// A value is a one-key object naming its type, so that 1 and 1.0 and "1" stay apart:
// {"int": 1}, {"float": 1.0}, {"string": "1"}, {"bool": true}, {"list": [...]}, {"none": true},
// {"record": [{"name": "loss", "value": {"float": 0.5}}, …]} (an array, so the fields keep their order).
// Non-finite floats never occur (the language refuses them), so plain JSON numbers suffice.

extension Value: Codable {
    private enum Key: String, CodingKey { case int, float, string, bool, list, record, none }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "a value is an object with exactly one of int, float, string, bool, list, record, none"))
        }
        switch key {
        case .int: self = .int(try container.decode(Int.self, forKey: key))
        case .float: self = .float(try container.decode(Double.self, forKey: key))
        case .string: self = .string(try container.decode(String.self, forKey: key))
        case .bool: self = .bool(try container.decode(Bool.self, forKey: key))
        case .list: self = .list(try container.decode([Value].self, forKey: key))
        case .record: self = .record(try container.decode(Record.self, forKey: key))
        case .none: self = .none
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .int(let value): try container.encode(value, forKey: .int)
        case .float(let value): try container.encode(value, forKey: .float)
        case .string(let value): try container.encode(value, forKey: .string)
        case .bool(let value): try container.encode(value, forKey: .bool)
        case .list(let values): try container.encode(values, forKey: .list)
        case .record(let record): try container.encode(record, forKey: .record)
        case .none: try container.encode(true, forKey: .none)
        }
    }
}

/// A record is the array of its fields, `[{"name": "loss", "value": {"float": 0.5}}, …]`; a name given twice is refused.
extension Record: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let fields = try container.decode([Field].self)
        guard Set(fields.map(\.name)).count == fields.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "a record names a field twice"))
        }
        self.init(fields)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fields)
    }
}

extension OutputItem: Codable {
    private enum Key: String, CodingKey { case text, figure, table }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "an output item is an object with exactly one of text, figure, table"))
        }
        switch key {
        case .text: self = .text(try container.decode(String.self, forKey: key))
        case .figure: self = .figure(try container.decode(Figure.self, forKey: key))
        case .table: self = .table(try container.decode(Table.self, forKey: key))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .text(let text): try container.encode(text, forKey: .text)
        case .figure(let figure): try container.encode(figure, forKey: .figure)
        case .table(let table): try container.encode(table, forKey: .table)
        }
    }
}

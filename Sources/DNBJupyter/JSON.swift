import Foundation
import DNBSupport

/// A JSON document as nbformat and the Jupyter messaging protocol exchange them. Written by hand rather
/// than through JSONSerialization so that the output is stable (sorted keys, nbformat's one-space indent,
/// `/` and non-ASCII text left as they are) and ints stay ints on the way through.
public enum JSON: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? { if case .string(let text) = self { return text }; return nil }
    public var bool: Bool? { if case .bool(let value) = self { return value }; return nil }
    public var array: [JSON]? { if case .array(let items) = self { return items }; return nil }
    public var object: [String: JSON]? { if case .object(let members) = self { return members }; return nil }
    public var int: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value == value.rounded() && abs(value) < 1e15: return Int(value)
        default: return nil
        }
    }

    /// Parses UTF-8 JSON text; throws `JSONError` naming what is wrong.
    public init(parsing bytes: some Collection<UInt8>) throws {
        do {
            self = try JSONDecoder().decode(JSON.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw JSONError(Self.describe(error))
        }
    }

    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON" + (underlying.map { ": \($0)" } ?? "")
        default:
            return "not valid JSON"
        }
    }

    /// Compact text, for the wire.
    public var compact: String {
        var text = ""
        write(to: &text, indent: nil, level: 0)
        return text
    }

    /// nbformat's layout: one space per level, keys sorted, a final newline.
    public var pretty: String {
        var text = ""
        write(to: &text, indent: " ", level: 0)
        return text + "\n"
    }

    private func write(to text: inout String, indent: String?, level: Int) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .int(let value): text += String(value)
        case .double(let value):
            // JSON has no NaN or infinity; nothing dnb writes holds one, but a wire value must still parse.
            text += value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(format: "%.1f", value) : "\(value)") : "null"
        case .string(let value): JSON.quote(value, into: &text)
        case .array(let items):
            writeContainer(items.map { ($0, nil as String?) }, open: "[", close: "]", to: &text, indent: indent, level: level)
        case .object(let members):
            writeContainer(members.sorted { $0.key < $1.key }.map { ($0.value, $0.key) }, open: "{", close: "}", to: &text, indent: indent, level: level)
        }
    }

    private func writeContainer(_ items: [(JSON, String?)], open: String, close: String, to text: inout String, indent: String?, level: Int) {
        text += open
        guard !items.isEmpty else { text += close; return }
        for (index, (value, key)) in items.enumerated() {
            if index > 0 { text += "," }
            if let indent { text += "\n" + String(repeating: indent, count: level + 1) }
            if let key {
                JSON.quote(key, into: &text)
                text += indent == nil ? ":" : ": "
            }
            value.write(to: &text, indent: indent, level: level + 1)
        }
        if let indent { text += "\n" + String(repeating: indent, count: level) }
        text += close
    }

    private static func quote(_ value: String, into text: inout String) {
        appendJSONString(value, to: &text)
    }
}

extension JSON: Decodable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSON].self)) }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
                ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Dictionary(elements) { _, last in last }) }
    public init(nilLiteral: ()) { self = .null }
}

/// Text that is not the JSON it should be.
public struct JSONError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

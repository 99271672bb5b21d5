import Foundation

/// Appends `value` to `text` as a JSON string literal, with the escapes JSON requires (RFC 8259 §7): for writers
/// that lay JSON out themselves (safetensors headers, nbformat's layout). Strings that need no escape (a
/// figure's base64 never does) are copied whole, not scalar by scalar.
public func appendJSONString(_ value: String, to text: inout String) {
    text += "\""
    if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
        text += value
        text += "\""
        return
    }
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": text += "\\\""
        case "\\": text += "\\\\"
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case let control where control.value < 0x20: text += String(format: "\\u%04x", control.value)
        default: text.unicodeScalars.append(scalar)
        }
    }
    text += "\""
}

/// `value` as a JSON string literal (see `appendJSONString`).
public func jsonStringLiteral(_ value: String) -> String {
    var text = ""
    appendJSONString(value, to: &text)
    return text
}

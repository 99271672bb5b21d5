import Foundation
import Testing
@testable import DNBLanguage

@Suite struct ValueCodingTests {
    @Test func valuesRoundTripKeepingTheirTypes() throws {
        let values: [Value] = [.int(1), .float(1), .string("1"), .bool(true), .none,
                               .list([.int(-3), .list([.string("a\n{b}"), .none]), .float(2.5e-7)])]
        let data = try JSONEncoder().encode(values)
        let decoded = try JSONDecoder().decode([Value].self, from: data)
        #expect(decoded == values)
        // 1, 1.0 and "1" stay apart on disk, not only after decoding.
        #expect(String(decoding: data, as: UTF8.self).hasPrefix(#"[{"int":1},{"float":1},{"string":"1"}"#))
    }

    @Test func malformedValuesAreRefused() {
        for json in [#"{}"#, #"{"int":1,"float":2}"#, #"{"int":"x"}"#, #"{"colour":1}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Value.self, from: Data(json.utf8)) }
        }
    }

    @Test func outputItemsRoundTrip() throws {
        let items: [OutputItem] = [.text("loss 0.1\n"), .figure(Figure(path: "figures/a.png", caption: "A")),
                                   .table(Table(headers: ["n"], rows: [["1"]], caption: nil)),
                                   .log(Log(topic: "how the data was found", lines: ["looked in a", "found in b"]))]
        #expect(try JSONDecoder().decode([OutputItem].self, from: JSONEncoder().encode(items)) == items)
    }
}

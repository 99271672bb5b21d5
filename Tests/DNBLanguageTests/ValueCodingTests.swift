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

    @Test func recordsRoundTripInFieldOrder() throws {
        let values: [Value] = [
            .record(Record()),
            .record(Record(["z": 1, "a": .list([.record(Record(["inner": .none]))]), "m": "two words", "f": 0.1])),
        ]
        let data = try JSONEncoder().encode(values)
        #expect(try JSONDecoder().decode([Value].self, from: data) == values)
        // The fields are an array, so their order survives any JSON reader, not only this one.
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        #expect(String(decoding: try sorted.encode(values), as: UTF8.self).contains(#"{"record":[{"name":"z","value":{"int":1}},{"name":"a","#))
    }

    @Test func malformedValuesAreRefused() {
        for json in [#"{}"#, #"{"int":1,"float":2}"#, #"{"int":"x"}"#, #"{"colour":1}"#,
                     #"{"record":[{"name":"a","value":{"int":1}},{"name":"a","value":{"int":2}}]}"#,
                     #"{"record":[{"name":"a"}]}"#, #"{"record":{"a":{"int":1}}}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Value.self, from: Data(json.utf8)) }
        }
    }

    @Test func outputItemsRoundTrip() throws {
        let items: [OutputItem] = [.text("loss 0.1\n"), .figure(Figure(path: "figures/a.png", caption: "A")),
                                   .table(Table(headers: ["n"], rows: [["1"]], caption: nil))]
        #expect(try JSONDecoder().decode([OutputItem].self, from: JSONEncoder().encode(items)) == items)
    }
}

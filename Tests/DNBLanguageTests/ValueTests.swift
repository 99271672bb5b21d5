import Foundation
import Testing
@testable import DNBLanguage

@Suite struct ValueTests {
    @Test func conversionsNameTheArgumentInErrors() throws {
        #expect(try Value.int(3).asInt(argument: "epochs") == 3)
        #expect(try Value.int(3).asDouble() == 3.0)
        #expect(try Value.list([1, 2]).asIntList() == [1, 2])
        #expect(try Value.list([1, 2.5]).asDoubleList() == [1.0, 2.5])
        #expect(try Value.list(["a", "b"]).asStringList() == ["a", "b"])
        let error = try #require(throws: ArgumentError.self) { try Value.string("five").asInt(argument: "epochs") }
        #expect(error.description == "argument 'epochs' expects int, got string five")
        #expect(error.argument == "epochs")
        let list = try #require(throws: ArgumentError.self) { try Value.list([1, "x"]).asIntList(argument: "channels") }
        #expect(list.description == "argument 'channels' expects list[int], got list [1, x]")
        #expect(throws: ArgumentError.self) { try Value.float(1.0).asInt() }
        #expect(throws: ArgumentError.self) { try Value.none.asString() }
    }

    @Test func literalsReadBackAsTheSameValue() throws {
        let values: [Value] = [5, -2, 0.001, 2.0, "word", "two words", "brace {x}", "true", true, .none, [1, ["a", "b c"]]]
        for value in values {
            #expect(try Value(parsing: value.literal) == value, "\(value.literal)")
        }
        #expect(Value.string("two words").description == "two words")
        #expect(Value.list(["a", 1.5]).description == "[a, 1.5]")
    }

    @Test func typesWidenIntsOnly() {
        #expect(ValueType.float.coerce(2) == .float(2))
        #expect(ValueType.list(.float).coerce([1, 2.5]) == [1.0, 2.5])
        #expect(ValueType.int.coerce(2.0) == nil)
        #expect(ValueType.string.coerce(1) == nil)
        #expect(ValueType(name: "list[int]") == .list(.int))
        #expect(ValueType(name: "str") == .string)
        #expect(ValueType(name: "tensor") == nil)
        #expect(ValueType.list(.any).description == "list")
    }

    @Test func durationsAndDatesFormatStably() {
        #expect(formatDuration(0.0123) == "12 ms")
        #expect(formatDuration(1.5) == "1.50 s")
        #expect(formatDuration(125.25) == "2 min 5.3 s")
        #expect(Markdown.utcTimestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00 UTC")
        #expect(Markdown.utcTimestamp(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29 00:00:00 UTC")
    }

    @Test func outputMergesConsecutiveText() {
        var seen: [OutputItem] = []
        let output = Output { seen.append($0) }
        output.print("a", 1)
        output.write("b\n")
        output.figure(path: "figures/x.png", caption: "X")
        output.print("c")
        #expect(output.items == [.text("a 1\nb\n"), .figure(Figure(path: "figures/x.png", caption: "X")), .text("c\n")])
        #expect(seen.count == 4)
        #expect(output.takeItems().count == 3)
        #expect(output.items.isEmpty)
    }

    @Test func tablesRenderAsPlainText() {
        let table = Table(headers: ["name", "v"], rows: [["a", "10"], ["long", "2"]])
        #expect(table.plainText == "name  v\n----  --\na     10\nlong  2\n")
        #expect(OutputItem.table(table).plainText() == table.plainText)
        #expect(OutputItem.figure(Figure(path: "figures/a.png", caption: "A")).plainText() == "[figure] figures/a.png: A\n")
        #expect(OutputItem.figure(Figure(path: "figures/a.png", caption: "")).plainText(outputDirectory: "out/run") == "[figure] out/run/figures/a.png\n")
    }
}

@Suite struct ArgumentBoundsTests {
    let epochs = ArgumentSpec("epochs", .float, default: .float(1), bounds: [.above(0)], help: "passes")
    let channels = ArgumentSpec("block_out_channels", .list(.int), default: .none, bounds: [.atLeast(1), .atMost(4096)], help: "widths")

    @Test func boundsAreCheckedForNumbersAndEachListElement() throws {
        #expect(try epochs.convert(.int(2)) == .float(2))
        let zero = #expect(throws: ArgumentError.self) { try epochs.convert(.float(0)) }
        #expect(zero?.message == "argument 'epochs' must be > 0, got 0.0")
        let infinite = #expect(throws: ArgumentError.self) { try epochs.convert(.float(.infinity)) }
        #expect(infinite?.message.contains("finite") == true)
        #expect(try channels.convert(.list([.int(16), .int(32)])) == .list([.int(16), .int(32)]))
        let wide = #expect(throws: ArgumentError.self) { try channels.convert(.list([.int(16), .int(65536)])) }
        #expect(wide?.message == "argument 'block_out_channels' must be ≥ 1, ≤ 4096, got 65536")
    }

    /// Without a declared upper bound an int is at most ±(2³¹ − 1), so handlers may add or multiply two.
    @Test func integersWithoutAnUpperBoundAreLimited() throws {
        let steps = ArgumentSpec("steps", .int, default: .int(50), bounds: [.atLeast(1)], help: "steps")
        #expect(try steps.convert(.int(2_147_483_647)) == .int(2_147_483_647))
        let huge = #expect(throws: ArgumentError.self) { try steps.convert(.int(Int.max)) }
        #expect(huge?.message == "argument 'steps' must be at most 2147483647 in size, got 9223372036854775807")
        let seed = ArgumentSpec("seed", .int, bounds: [.atLeast(0), .atMost(Double(Int.max))], help: "seed")
        #expect(try seed.convert(.int(Int.max)) == .int(Int.max))
    }

    @Test func boundsShowInHelp() {
        #expect(channels.boundsText == "≥ 1, ≤ 4096")
        #expect(ArgumentSpec.Bound.below(0.5).description == "< 0.5")
    }
}

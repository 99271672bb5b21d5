import Testing
@testable import DNBLanguage

/// Records: `{a: 1}` literals, `$r.field`, their printed forms, and the parse errors around them.
@Suite struct RecordTests: InterpreterHarness {
    let interpreter = Interpreter(registry: CommandRegistry(), interrupt: Interrupt())
    let output = Output()

    @Test func literalsKeepTheirFieldOrderAndPrintAsTheyAreWritten() throws {
        #expect(try run("print {steps: 10, loss: 0.5, name: \"two words\", xs: [1, 2], inner: {a: none}}")
                    == "{steps: 10, loss: 0.5, name: \"two words\", xs: [1, 2], inner: {a: none}}\n")
        #expect(try run("print {}") == "{}\n")
        // Newlines may separate fields, as inside a list; a trailing comma is allowed.
        #expect(try run("let r = {\n  b: 2,\n  a: 1,\n}\nprint $r") == "{b: 2, a: 1}\n")
        #expect(interpreter.variable("r") == .record(Record(["b": 2, "a": 1])))
    }

    @Test func aFieldTakesEveryBinaryOperator() throws {
        // `/` after a field was once lexed as the start of a path (`4.0 / 2` printed as text).
        #expect(try run("let r = {a: 4.0, n: 7}\nprint $r.a / 2 $r.n // 2 $r.n % 4 $r.a - 1 $r.a * 2 $r.n ** 2") == "2.0 3 3 3.0 8.0 49\n")
        #expect(try run("print round($r.a / 3, 2)") == "1.33\n")
    }

    @Test func theLiteralFormReadsBackAsTheSameValue() throws {
        let value = Value.record(Record(["s": "a \"b\" {c}", "f": 2.5, "l": [1, "x y"], "r": .record(Record(["n": .none]))]))
        let script = try Parser.parse("let v = " + value.literal)
        guard case .assignment(_, let expression) = script.statements[0].kind else { Issue.record("not an assignment"); return }
        #expect(expression.constantValue == value)
    }

    @Test func aCutLiteralStopsAtItsLimit() {
        let record = Value.record(Record(["xs": .list((1...1_000_000).map(Value.int)), "s": "a"]))
        #expect(record.literal(limit: 20) == "{xs: [1, 2, 3, 4, 5…")
        #expect(Value.string(String(repeating: "ab ", count: 100)).literal(limit: 8) == "\"ab ab …")
        #expect(Value.list([1, 2]).literal(limit: 6) == "[1, 2]")
        #expect(Value.list([1, 2]).literal(limit: 5) == "[1, …")
        for value: Value in [["a b", 1.5, .none], .record(Record(["a": [1], "b": "c d"])), 12345] {
            #expect(value.literal(limit: 80) == value.literal)
        }
    }

    @Test func fieldsAreReadWithADotRightAfterTheValue() throws {
        _ = try run("let m = {parameters: 44969, config: {sample_size: 16, channels: [8, 16]}}")
        #expect(try run("print $m.parameters $m.config.sample_size $m.config.channels[1]") == "44969 16 16\n")
        #expect(try run("let rows = [{loss: 0.5}, {loss: 0.25}]\nprint $rows[1].loss ($m).parameters") == "0.25 44969\n")
        // `{m.parameters}` in a string reads the field as `{$m.parameters}` does.
        #expect(try run("print \"{m.parameters} parameters, {$m.config.sample_size}px, {m.config.channels}\"")
                    == "44969 parameters, 16px, [8, 16]\n")
        #expect(try run("print $m.parameters * 2 + 1") == "89939\n")
        // A dot after a bare word is still part of a file name.
        #expect(try run("print model.safetensors") == "model.safetensors\n")
    }

    @Test func aMissingFieldNamesTheNearestOne() throws {
        _ = try run("let m = {parameters: 1, config: {}}")
        #expect(try runtimeError("print $m.paramters").diagnostic.summary
                    == "t.dnb:1:9: the record has no field 'paramters'; did you mean 'parameters'? (fields: parameters, config)")
        #expect(try runtimeError("print $m.config.x").message == "the record has no field 'x' (it has no fields)")
        #expect(try runtimeError("let n = 3\nprint $n.x").message == "only records have fields, got int 3 (.x)")
    }

    @Test func recordsCompareByFieldsAndOrderAndTakeNoArithmetic() throws {
        // Equal records have the same fields in the same order with equal values, as the JSON form and `vars` show them.
        #expect(try run("print {a: 1} == {a: 1} {a: 1, b: 2} == {b: 2, a: 1} {a: 1} != {a: 2}") == "true false true\n")
        #expect(try runtimeError("print {a: 1} + {b: 2}").message == "'+' cannot combine record and record")
        #expect(try run("print str({a: 1}) len(str({a: 1}))") == "{a: 1} 6\n")
    }

    @Test func malformedRecordsAreParseErrors() throws {
        func message(_ text: String) throws -> String {
            try #require(throws: ParseError.self) { try Parser.parse(text) }.message
        }
        #expect(try message("print {a: 1, a: 2}") == "field 'a' is given twice in this record")
        #expect(try message("print {a 1}") == "expected ':' after the field name 'a', found '1'")
        #expect(try message("print {1: 2}") == "expected a field name (`{steps: 10, loss: 0.5}`) or '}', found '1'")
        #expect(try message("print {a: 1 b: 2}") == "expected ',' or '}', found 'b'")
        #expect(try message("print $m .x") == "unexpected '.'")
    }

    /// Nesting records or fields past the parser's limit is a located error, not a stack overflow.
    @Test func deepRecordsAndFieldChainsHitTheNestingLimit() throws {
        let deep = "print " + String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(try #require(throws: ParseError.self) { try Parser.parse(deep) }.message
                    == "'{' nests deeper than 100 levels of '{', '[' and '('; flatten the loops or lists")
        let chain = "print $r" + String(repeating: ".a", count: 10_000)
        #expect(try #require(throws: ParseError.self) { try Parser.parse(chain) }.message
                    == "'.a' nests deeper than 100 levels of '{', '[', '(' and operators; split the expression with let")
        let fields = "print {" + (0..<50_000).map { "f\($0): \($0)" }.joined(separator: ", ") + "}"
        #expect(try run(fields).hasSuffix("f49999: 49999}\n"), "a wide record is fine")
    }

    @Test func roundFollowsPython() throws {
        #expect(try run("print round(2.5) round(3.5) round(-0.5) round(0.12345, 3) round(7, 2) round(1e300, 2)")
                    == "2 4 0 0.123 7 1e+300\n")
        #expect(try runtimeError("print round(1.5, 16)").message == "round's digits must be from 0 to 15, got 16")
        #expect(try runtimeError("print round(\"a\")").message == "round needs a number, got string a")
        #expect(try runtimeError("print round(1e300)").message == "1e+300 does not fit in a 64-bit int")
    }
}

import Testing
@testable import DNBLanguage

@Suite struct ParserTests {
    private func parseError(_ text: String, file: String? = nil) throws -> ParseError {
        try #require(throws: ParseError.self) { try Parser.parse(text, file: file) }
    }

    @Test func parsesCommandsWithPositionalAndNamedArguments() throws {
        let script = try Parser.parse("model create 28 block_out_channels=(32, 64, 64) kind=DownBlock2D")
        guard case .command(let call) = script.statements[0].kind else { Issue.record("not a command"); return }
        #expect(call.name == "model")
        #expect(call.arguments.map(\.name) == [nil, nil, "block_out_channels", "kind"])
        #expect(call.arguments[2].value.constantValue == [32, 64, 64])
        #expect(call.arguments[3].value.constantValue == "DownBlock2D")
        #expect(call.arguments[2].location == SourceLocation(line: 1, column: 17))
    }

    @Test func parsesLetForParamAndTime() throws {
        let script = try Parser.parse("""
            let n = 3
            for i in 1..$n {
              for b in [a, b] { print $i $b }
            }
            param lr: float = 1 "learning rate"
            time print done
            """)
        #expect(script.statements.count == 4)
        guard case .loop(let variable, let sequence, let body) = script.statements[1].kind else { Issue.record("no loop"); return }
        #expect(variable == "i")
        #expect(sequence.kind == .range(Expression(kind: .literal(1), location: SourceLocation(line: 2, column: 10)),
                                        Expression(kind: .variable("n"), location: SourceLocation(line: 2, column: 13))))
        guard case .loop(_, _, let inner) = body[0].kind else { Issue.record("no inner loop"); return }
        #expect(inner.count == 1)
        guard case .parameter(let declaration) = script.statements[2].kind else { Issue.record("no param"); return }
        #expect(declaration.type == .float)
        #expect(declaration.defaultValue == .float(1))
        #expect(declaration.help == "learning rate")
        guard case .timed(let timed) = script.statements[3].kind, case .command(let call) = timed.kind else {
            Issue.record("no timed command"); return
        }
        #expect(call.name == "print")
    }

    @Test func continuationLinesJoinOneStatement() throws {
        let script = try Parser.parse("train epochs=1 \\\n      lr=0.1\nprint x")
        #expect(script.statements.count == 2)
        guard case .command(let call) = script.statements[0].kind else { Issue.record("not a command"); return }
        #expect(call.arguments.map(\.name) == ["epochs", "lr"])
        #expect(call.arguments[1].location == SourceLocation(line: 2, column: 7))
    }

    @Test func semicolonsSeparateStatements() throws {
        #expect(try Parser.parse("print a; print b;; print c").statements.count == 3)
    }

    @Test func errorsNameFileLineAndColumnWithCaret() throws {
        let error = try parseError("print ok\nlet = 3", file: "nb.dnb")
        #expect(error.description == """
            nb.dnb:2:5: expected a variable name after 'let', found '='
            let = 3
                ^
            """)
    }

    @Test func errorsInCellsUseFileLineNumbers() throws {
        let error = try #require(throws: ParseError.self) {
            try Parser.parse("print a\nprint ]", file: "nb.dnb", firstLine: 40)
        }
        #expect(error.diagnostic.summary == "nb.dnb:41:7: expected an argument or end of statement, found ']'")
        #expect(error.diagnostic.sourceLine == "print ]")
    }

    @Test func rejectsMalformedStatements() throws {
        #expect(try parseError("for i in 1..3\n{ }").diagnostic.summary
            == "1:14: expected '{' on the same line to start the loop body, found end of line")
        #expect(try parseError("for i in 1..3 {\nprint $i\n").diagnostic.summary
            == "3:1: expected '}' to close the block, found end of input")
        #expect(try parseError("}").diagnostic.summary == "1:1: unexpected '}' with no open block")
        #expect(try parseError("x [1, 2").diagnostic.summary == "1:3: '[' is never closed; expected ']'")
        #expect(try parseError("x [1 2]").diagnostic.summary == "1:6: expected ',' or ']', found '2'")
        #expect(try parseError("x epochs=").diagnostic.summary == "1:10: expected a value after 'epochs=', found end of input")
        #expect(try parseError("5 x").diagnostic.summary == "1:1: expected a command, found '5'")
    }

    @Test func checksParameterDeclarations() throws {
        #expect(try parseError("param n: int = 1.5").diagnostic.summary
            == "1:16: default for parameter 'n' must be int, got float 1.5")
        #expect(try parseError("param n: integer = 1").diagnostic.summary
            == "1:10: unknown type 'integer'; expected int, float, string, path, bool, any, list or list[T]")
        #expect(try parseError("param n: int = $x").diagnostic.summary
            == "1:16: a parameter default must be a literal, not use variables")
        #expect(try parseError("for i in [1] {\n  param n: int = 1\n}").diagnostic.summary
            == "2:3: 'param' is only allowed at the top level, not inside a block")
        let list = try Parser.parse("param sizes: list[int] = (1, 2)")
        guard case .parameter(let declaration) = list.statements[0].kind else { Issue.record("no param"); return }
        #expect(declaration.type == .list(.int))
        #expect(declaration.defaultValue == [1, 2])
    }

    /// After `let NAME =` a bare word with arguments is a command; anything else is a value, and a lone word
    /// is left for the interpreter, which knows the commands.
    @Test func letTakesACommandOrAValue() throws {
        func kind(_ text: String) throws -> String {
            switch try Parser.parse(text).statements[0].kind {
            case .commandAssignment(let name, let call): "\(name) = command \(call.name) \(call.arguments.count)"
            case .assignment(let name, let value): "\(name) = value \(value.constantValue?.literal ?? "?")"
            default: "?"
            }
        }
        #expect(try kind("let r = train epochs=1 lr=$lr") == "r = command train 2")
        #expect(try kind("let m = model summary") == "m = command model 1")
        #expect(try kind("let s = sample 4 [1, 2] {a: 1}") == "s = command sample 3")
        #expect(try kind("let s = sample") == "s = value sample")
        #expect(try kind("let n = len([1])") == "n = value ?")
        #expect(try kind("let b = true") == "b = value true")
        #expect(try kind("let b = not $x") == "b = value ?")
        #expect(try parseError("let x = word + 1").message.hasPrefix("'word' is a bare word, so a string that takes no operators"))
        #expect(try parseError("let x = word and dogs").message == "expected end of statement, found 'and'")
        #expect(Parser.needsMoreInput("let r = {a: 1,"))
    }

    @Test func knowsWhenTheReplNeedsMoreInput() {
        #expect(Parser.needsMoreInput("for i in 1..3 {"))
        #expect(Parser.needsMoreInput("for i in 1..3 {\n  for j in [1] {\n  }"))
        #expect(!Parser.needsMoreInput("for i in 1..3 {\n  print $i\n}"))
        #expect(Parser.needsMoreInput("train epochs=1 \\"))
        #expect(Parser.needsMoreInput("x = [1,\n2,"))
        #expect(!Parser.needsMoreInput("print \"unterminated {"))
        #expect(!Parser.needsMoreInput("print ok # { not a brace"))
    }

    @Test func valuesParseOnTheirOwn() throws {
        #expect(try Value(parsing: "1e-3") == .float(0.001))
        #expect(try Value(parsing: "[a, \"b c\", 2..3]") == ["a", "b c", [2, 3]])
        #expect(try Value(parsing: "none") == .none)
        #expect(throws: ParseError.self) { try Value(parsing: "1 2") }
        #expect(throws: ParseError.self) { try Value(parsing: "$x") }
    }
}

@Suite struct UnfinishedEntryTests {
    @Test func anEntryWaitsForItsBracketOrItsContinuation() {
        #expect(Parser.waitsFor("for i in 1..3 {") == .openBracket)
        #expect(Parser.waitsFor("print 1 \\") == .continuation)
        #expect(Parser.waitsFor("print 1") == nil)
        #expect(Parser.waitsFor("print \"unclosed") == nil, "a lexing error runs at once, to be reported")
    }

    /// The REPL skips re-lexing the whole entry only for lines that cannot close a bracket.
    @Test func onlyLinesWithoutBracketsOrOpenStringsKeepABracketOpen() {
        #expect(Parser.keepsBracketOpen("  print \"epoch\" $i"))
        #expect(Parser.keepsBracketOpen(String(repeating: "x", count: 100_000)))
        #expect(!Parser.keepsBracketOpen("}"))
        #expect(!Parser.keepsBracketOpen("print \"}\""))
        #expect(!Parser.keepsBracketOpen("print \"open string"))
        #expect(!Parser.keepsBracketOpen("let xs = [1,"))
    }
}

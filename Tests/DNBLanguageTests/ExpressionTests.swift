import Testing
@testable import DNBLanguage

/// Expressions, `if`, `timeit` and the help shortcuts (docs/language.md, "Expressions").
@Suite struct ExpressionTests: InterpreterHarness {
    let world = FakeWorld()
    let interpreter: Interpreter
    let output = Output()
    let runner: Runner

    init() {
        interpreter = Interpreter(registry: makeRegistry(world), interrupt: Interrupt())
        runner = Runner(registry: makeRegistry(FakeWorld()))
    }


    private func parseError(_ text: String) throws -> ParseError {
        try #require(throws: ParseError.self) { try Parser.parse(text, file: "t.dnb") }
    }

    private func problems(_ code: String) throws -> [String] {
        runner.check(try Notebook(parsing: "```dnb\n" + code + "\n```\n", file: "nb.dnb")).map(\.summary)
    }

    private func kinds(_ text: String) throws -> [Token.Kind] {
        try Lexer.tokenize(text).tokens.map(\.kind).dropLast()
    }

    // MARK: Lexer

    /// Swift's whitespace rule decides between an operator and a sign or a path.
    @Test func minusAndSlashFollowTheWhitespaceRule() throws {
        #expect(try kinds("$n -1") == [.variable("n"), .int(-1)])
        #expect(try kinds("$n - 1") == [.variable("n"), .symbol("-"), .int(1)])
        #expect(try kinds("$n-1") == [.variable("n"), .symbol("-"), .int(1)])
        #expect(try kinds("x=-1") == [.word("x"), .equals, .int(-1)])
        #expect(try kinds("$a / 2") == [.variable("a"), .symbol("/"), .int(2)])
        #expect(try kinds("$a // 2") == [.variable("a"), .symbol("//"), .int(2)])
        #expect(try kinds("$a /tmp/x") == [.variable("a"), .word("/tmp/x")])
        #expect(try kinds("print /tmp/x out/run-1 ../d") == [.word("print"), .word("/tmp/x"), .word("out/run-1"), .word("../d")])
        #expect(try kinds("1 ** 2 <= 3 != 4 == 5 % 6") == [.int(1), .symbol("**"), .int(2), .symbol("<="), .int(3),
                                                           .symbol("!="), .int(4), .symbol("=="), .int(5), .symbol("%"), .int(6)])
        #expect(try kinds("train? ?x") == [.word("train"), .question, .question, .word("x")])
    }

    @Test func interpolationsHoldNamesOrExpressions() throws {
        #expect(try kinds(#""{n}""#) == [.string([.variable("n", SourceLocation(line: 1, column: 3))])])
        guard case .string(let parts) = try kinds(#""a{$n * 2}""#)[0], case .code(let code) = parts[1] else {
            Issue.record("expected code in the interpolation")
            return
        }
        #expect(code.map(\.kind) == [.variable("n"), .symbol("*"), .int(2), .end])
        // Tokens inside keep their real columns for error carets.
        #expect(code[2].location == SourceLocation(line: 1, column: 9))
        let quote = try #require(throws: ParseError.self) { try Lexer.tokenize(#"x "{$a + "b"}""#) }
        #expect(quote.diagnostic.summary.hasPrefix("1:10: '\"' cannot appear inside '{…}'"))
        let open = try #require(throws: ParseError.self) { try Lexer.tokenize(#"x "{$a + 1"#) }
        #expect(open.diagnostic.summary == "1:4: expected '}' to close the '{' of this interpolation")
        let bang = try #require(throws: ParseError.self) { try Lexer.tokenize("print !true") }
        #expect(bang.diagnostic.summary == "1:7: unexpected '!'; negation is written 'not'")
    }

    // MARK: Parser

    @Test func precedenceIsPythons() throws {
        func tree(_ text: String) throws -> String {
            let script = try Parser.parse("let x = " + text)
            guard case .assignment(_, let value) = script.statements[0].kind else { return "?" }
            func show(_ e: Expression) -> String {
                switch e.kind {
                case .literal(let v): v.literal
                case .variable(let n): "$" + n
                case .word(let w): w
                case .unary(let op, let a): "(\(op) \(show(a)))"
                case .binary(let op, let a, let b): "(\(show(a)) \(op) \(show(b)))"
                case .index(let a, let i): "\(show(a))[\(show(i))]"
                case .call(let f, let args): "\(f)(\(args.map(show).joined(separator: ", ")))"
                case .list(let xs): "[" + xs.map(show).joined(separator: ", ") + "]"
                default: "?"
                }
            }
            return show(value)
        }
        #expect(try tree("1 + 2 * 3 ** 2 ** 2") == "(1 + (2 * (3 ** (2 ** 2))))")
        #expect(try tree("-2 ** 2") == "(- (2 ** 2))")
        #expect(try tree("(-2) ** 2") == "(-2 ** 2)")
        #expect(try tree("2 ** -1") == "(2 ** -1)")
        #expect(try tree("-$n") == "(- $n)")
        #expect(try tree("not $a == 1 and $b or $c") == "(((not ($a == 1)) and $b) or $c)")
        #expect(try tree("not not $a") == "(not (not $a))")
        #expect(try tree("$a - $b - $c") == "(($a - $b) - $c)")
        #expect(try tree("$xs[0][-1] + len($xs)") == "($xs[0][-1] + len($xs))")
        #expect(try tree("(5)") == "5")
        #expect(try tree("(5,)") == "[5]")
        #expect(try tree("(32, 64)") == "[32, 64]")
    }

    @Test func expressionMistakesAreLocatedParseErrors() throws {
        #expect(try parseError("print 1 < 2 < 3").diagnostic.summary == "t.dnb:1:13: comparisons do not chain; write `a < b and b < c`")
        #expect(try parseError("print n * 2").diagnostic.summary
            == "t.dnb:1:7: 'n' is a bare word, so a string that takes no operators; write $n for a variable or quote the string")
        #expect(try parseError("print \"{n * 2}\"").diagnostic.summary.hasPrefix("t.dnb:1:9: 'n' is a bare word"))
        #expect(try parseError("print $x +").diagnostic.summary == "t.dnb:1:11: expected a value after '+', found end of input")
        #expect(try parseError("if true { print 1 }\nelse { print 2 }").diagnostic.summary
            == "t.dnb:2:1: 'else' must follow the '}' of an 'if' on the same line: `} else {`")
        #expect(try parseError("if true\n{ print 1 }").diagnostic.summary
            == "t.dnb:1:8: expected '{' on the same line to start the 'if' body, found end of line")
    }

    @Test func bareWordsAndPathsKeepTheirMeaning() throws {
        #expect(try run("print cats and dogs /tmp/x a/b ~/m 1 -2") == "cats and dogs /tmp/x a/b ~/m 1 -2\n")
        #expect(try run("let dir = out\nprint \"{$dir}/model.safetensors\"") == "out/model.safetensors\n")
        let path = try runtimeError("let dir = out\nprint $dir/model")
        #expect(path.message == "'/' cannot combine string and string; to join paths write \"{$dir}/name\"")
    }

    @Test func ifChainsParseAsOneStatement() throws {
        let script = try Parser.parse("if $a { print 1 } else if $b { print 2 } else { print 3 }\nprint 4")
        #expect(script.statements.count == 2)
        guard case .conditional(let branches, let otherwise) = script.statements[0].kind else {
            Issue.record("not an if")
            return
        }
        #expect(branches.count == 2)
        #expect(otherwise?.count == 1)
    }

    @Test func helpShortcutsAreHelpCalls() throws {
        for (text, arguments) in [("train?", ["train"]), ("?train", ["train"]), ("model create?", ["model", "create"]),
                                  ("?model create", ["model", "create"]), ("?", [])]
        {
            guard case .command(let call) = try Parser.parse(text).statements[0].kind else {
                Issue.record("\(text) is not a command")
                continue
            }
            #expect(call.name == "help")
            #expect(call.arguments.map { $0.value.word } == arguments)
        }
        #expect(try run("vars?").contains("usage: vars"))
        #expect(try run("if?").hasPrefix("usage: if CONDITION"))
        #expect(try run("?timeit").hasPrefix("usage: timeit COMMAND"))
        #expect(try parseError("print a ? b").message == "expected a value, found '?'")
    }

    // MARK: Interpreter

    @Test func arithmeticFollowsPython() throws {
        let cases: [(String, String)] = [
            ("7 / 2", "3.5"), ("6 / 3", "2.0"), ("7 // 2", "3"), ("-7 // 2", "-4"), ("7 // -2", "-4"),
            ("7 % 3", "1"), ("-7 % 3", "2"), ("7 % -3", "-2"), ("7.5 // 2", "3.0"), ("-7.5 % 2", "0.5"),
            ("2 ** 10", "1024"), ("2 ** -1", "0.5"), ("2.0 ** 3", "8.0"), ("-2 ** 2", "-4"), ("(-2) ** 3", "-8"),
            ("1 + 2.5", "3.5"), ("3 * 2", "6"), ("1 == 1.0", "true"), ("9007199254740993 == 9007199254740992.0", "false"),
            ("2 < 2.5", "true"), ("\"a\" < \"b\"", "true"), ("[1, 2] == [1, 2]", "true"), ("1 == \"1\"", "false"),
            ("not (1 > 2) and true", "true"), ("\"ab\" + \"c\"", "abc"), ("[1] + [2]", "[1, 2]"),
            ("len([1, 2, 3])", "3"), ("len(\"héllo\")", "5"), ("min([3, 1, 2])", "1"), ("max(3, 9.5)", "9.5"),
            ("sum([1, 2.5])", "3.5"), ("sum([])", "0"), ("abs(-3)", "3"), ("range(3)", "[0, 1, 2]"),
            ("range(5, 0, -2)", "[5, 3, 1]"), ("int(2.9)", "2"), ("int(-2.9)", "-2"), ("float(\"1.5\")", "1.5"),
            ("str(3) + \"x\"", "3x"), ("[10, 20, 30][-1]", "30"), ("\"abc\"[1]", "b"),
        ]
        for (expression, expected) in cases {
            #expect(try run("print (\(expression))") == expected + "\n", "\(expression)")
        }
    }

    @Test func variablesComputeInArgumentsAndStrings() throws {
        _ = try run("let n = 3\nlet xs = [10, 20, 30]")
        #expect(try run("print $n * 2 + 1 \"{$n * 2} steps\" \"{n} and {$xs[-1] // 10}\"") == "7 6 steps 3 and 3\n")
        #expect(try run("print $n-1 $n - 1 $n -1") == "2 2 3 -1\n")
        _ = try run("model create\ntrain epochs=$n * 2")
        #expect(world.trainedEpochs == [6])
    }

    @Test func ifRunsTheFirstTrueBranchInItsOwnScope() throws {
        let program = """
            for n in [0, 1, 2] {
              if $n == 0 { print zero } else if $n == 1 { let word = one; print $word } else { print many }
            }
            """
        #expect(try run(program) == "zero\none\nmany\n")
        #expect(interpreter.variable("word") == nil)
        // `and` short-circuits: the division never runs.
        #expect(try run("let d = 0\nif $d != 0 and 10 / $d > 1 { print big } else { print safe }") == "safe\n")
        let condition = try runtimeError("let d = 0\nif $d { print x }")
        #expect(condition.diagnostic.summary == "t.dnb:2:4: 'if' needs a bool condition, got int 0; compare explicitly, e.g. `$n > 0`")
    }

    @Test func timeitRepeatsAndReportsMinMedianMax() throws {
        final class Clock { var now = 0.0 }
        let clock = Clock()
        // Every reading advances 0.25 s, so every run measures 0.25 s.
        interpreter.timeSource = TimeSource { clock.now += 0.25; return clock.now }
        #expect(try run("timeit print hi repeat=2") == "hi\nhi\n2 runs: min 250.0 ms, median 250.0 ms, max 250.0 ms\n")
        // Without repeat=: as many runs as fit in 1 s after the first (1 / 0.25 = 4).
        #expect(try run("timeit for i in 1..1 { print $i }") == "1\n1\n1\n1\n4 runs: min 250.0 ms, median 250.0 ms, max 250.0 ms\n")
        let zero = try runtimeError("timeit print hi repeat=0")
        #expect(zero.diagnostic.summary == "t.dnb:1:24: 'repeat' must be an int from 1 to 100, got int 0")
    }

    // MARK: Hostile input

    @Test func arithmeticFailuresAreLocatedErrors() throws {
        _ = try run("let xs = [1, 2, 3]")
        let cases: [(String, String)] = [
            ("print 10 ** 1000", "t.dnb:1:10: integer overflow: 10 ** 1000 does not fit in 64 bits; write one operand as a float (10.0)"),
            ("print 9223372036854775807 + 1", "t.dnb:1:27: integer overflow: 9223372036854775807 + 1 does not fit in 64 bits; "
                + "write one operand as a float (9223372036854775807.0)"),
            ("print -9223372036854775807 - 2 ", "t.dnb:1:28: integer overflow: -9223372036854775807 - 2 does not fit in 64 bits; "
                + "write one operand as a float (-9223372036854775807.0)"),
            ("print 1 / 0", "t.dnb:1:9: division by zero: 1 / 0"),
            ("print 1 // 0", "t.dnb:1:9: division by zero: 1 // 0"),
            ("print 1 % 0", "t.dnb:1:9: division by zero: 1 % 0"),
            ("print 1.5 / 0", "t.dnb:1:11: division by zero: 1.5 / 0"),
            ("print 0 ** -1", "t.dnb:1:9: 0 cannot be raised to a negative power (0 ** -1)"),
            ("print 1e308 * 10", "t.dnb:1:13: 1e+308 * 10.0 is not a finite number (float overflow)"),
            ("print (-8) ** 0.5", "t.dnb:1:12: a negative number to a fractional power is not a real number (-8.0 ** 0.5)"),
            ("print $xs[1.5]", "t.dnb:1:11: an index must be an int, got float 1.5"),
            ("print $xs[3]", "t.dnb:1:11: index 3 is out of range for a list of 3 (allowed: -3 to 2)"),
            ("print $xs[-4]", "t.dnb:1:11: index -4 is out of range for a list of 3 (allowed: -3 to 2)"),
            ("print $xs[-9223372036854775807 - 1]", "t.dnb:1:32: index -9223372036854775808 is out of range for a list of 3 (allowed: -3 to 2)"),
            ("print \"a\" - 1", "t.dnb:1:11: '-' cannot combine string and int"),
            ("print -(\"a\")", "t.dnb:1:7: unary '-' needs a number, got string a"),
            ("print min([])", "t.dnb:1:7: min of an empty list"),
            ("print range(0, 10000000000)", "t.dnb:1:7: range(0, 10000000000) has 10000000000 values; at most 10000000 are allowed"),
            ("print range(1, 2, 0)", "t.dnb:1:7: range step must not be zero"),
            ("print int(1e300)", "t.dnb:1:7: 1e+300 does not fit in a 64-bit int"),
            ("print abs(-9223372036854775807 - 1)", "t.dnb:1:7: integer overflow: -(-9223372036854775808) does not fit in 64 bits"),
            ("print len(3)", "t.dnb:1:7: len needs a list or string, got int 3"),
            ("print 1 and true", "t.dnb:1:9: 'and' needs bools, got int and bool"),
        ]
        for (code, expected) in cases {
            #expect(try runtimeError(code).diagnostic.summary == expected, "\(code)")
        }
    }

    /// Doubling a string needs a line per doubling (each `for` iteration has its own
    /// scope), but 24 lines already ask for 16 M characters: refused at the limit.
    @Test func stringsStopGrowingAtTheLimit() throws {
        let program = "let s = \"x\"\n" + String(repeating: "let s = $s + $s\n", count: 24)
        let error = try runtimeError(program)
        #expect(error.location.line == 25)
        #expect(error.message == "the string would have 16777216 characters; at most 10000000 are allowed")
    }

    /// Every operator counts as a level of nesting, so a long chain cannot build a
    /// tree deep enough to overflow the stack of the checker or the interpreter.
    @Test func deepExpressionsHitTheNestingLimit() throws {
        let limit = Parser.maximumNesting
        let parens = try parseError("print " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000))
        #expect(parens.location == SourceLocation(file: "t.dnb", line: 1, column: 7 + limit))
        let chain = try parseError("print 1" + String(repeating: " + 1", count: 10_000))
        #expect(chain.message.contains("nests deeper than \(limit) levels"))
        #expect(chain.location.column == 9 + 4 * limit)
        for text in ["let x = " + String(repeating: "-", count: 10_000) + "$x",
                     "let x = " + String(repeating: "not ", count: 10_000) + "true",
                     "let x = $x" + String(repeating: "[0]", count: 10_000),
                     "let x = 2" + String(repeating: " ** 2", count: 10_000),
                     "let x = " + String(repeating: "len(", count: 10_000) + "1" + String(repeating: ")", count: 10_000),
                     "print " + String(repeating: "(", count: 60) + "\"{" + String(repeating: "(", count: 60) + "1"
                         + String(repeating: ")", count: 60) + "}\"" + String(repeating: ")", count: 60)]
        {
            #expect(try parseError(text).message.contains("nests deeper than \(limit) levels"), "\(text.prefix(30))")
        }
        // Just below the limit parses and runs.
        let chainAtLimit = "print 1" + String(repeating: " + 1", count: limit - 1)
        #expect(try run(chainAtLimit) == "\(limit)\n")
    }

    // MARK: Checker

    @Test func checkTypesExpressions() throws {
        let found = try problems("""
            param n: int = 2
            let s = "x"
            print "a" - 1
            if 3 { print x }
            print $s - 1
            print $n + "a"
            print 1 / 0
            print 10 ** 1000
            print $zz * 2 "{$yy + 1}"
            for i in 1..3 { print $i + "a" }
            let xs = [1, 2]
            print $xs[0] $xs[5] $xs["a"]
            timeit print 1 repeat=0
            model create
            train epochs=$n * 3
            train epochs=2.5 * 2
            if $n > 1 and $s == "x" { print ok } else { print $s + 1 }
            """)
        // Line 1 of the notebook is the fence; `$xs[5]` passes: only the type of a variable is kept.
        #expect(found == [
            "nb.dnb:4:11: '-' cannot combine string and int",
            "nb.dnb:5:4: 'if' needs a bool condition, got int 3; compare explicitly, e.g. `$n > 0`",
            "nb.dnb:6:10: '-' cannot combine string and int",
            "nb.dnb:7:10: '+' cannot combine int and string",
            "nb.dnb:8:9: division by zero: 1 / 0",
            "nb.dnb:9:10: integer overflow: 10 ** 1000 does not fit in 64 bits; write one operand as a float (10.0)",
            "nb.dnb:10:7: unknown variable '$zz'; define it with `let zz = …` first",
            "nb.dnb:10:17: unknown variable '$yy'; define it with `let yy = …` first",
            "nb.dnb:11:26: '+' cannot combine int and string",
            "nb.dnb:13:25: an index must be an int, got string a",
            "nb.dnb:14:23: 'repeat' must be an int from 1 to 100, got 0",
            "nb.dnb:17:7: argument 'epochs' expects int, got float 5.0",
            "nb.dnb:18:54: '+' cannot combine string and int; to put a number in a string write \"…{$n}\"",
        ])
    }
}

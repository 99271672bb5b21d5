import Testing
@testable import DNBLanguage

@Suite struct LexerTests {
    private func kinds(_ text: String) throws -> [Token.Kind] {
        try Lexer.tokenize(text).tokens.map(\.kind)
    }

    @Test func readsNumbersStringsWordsAndPunctuation() throws {
        #expect(try kinds(#"train 5 -2 1e-3 2.5 60_000 "hi" $n x=[a, b] 1..5"#) == [
            .word("train"), .int(5), .int(-2), .float(0.001), .float(2.5), .int(60000),
            .string([.text("hi")]), .variable("n"), .word("x"), .equals, .leftBracket, .word("a"), .comma,
            .word("b"), .rightBracket, .int(1), .range, .int(5), .end,
        ])
    }

    @Test func filePathsAreBareWordsButRangesStayRanges() throws {
        #expect(try kinds("save path=out/run-1/model.safetensors") ==
                [.word("save"), .word("path"), .equals, .word("out/run-1/model.safetensors"), .end])
        #expect(try kinds("load ../data ./x /tmp/y ~/z") ==
                [.word("load"), .word("../data"), .word("./x"), .word("/tmp/y"), .word("~/z"), .end])
        #expect(try kinds("1..5") == [.int(1), .range, .int(5), .end])
        #expect(try kinds("$a..$b") == [.variable("a"), .range, .variable("b"), .end])
    }

    @Test func tokensCarryLineAndColumn() throws {
        let tokens = try Lexer.tokenize("a\n  b = 3", firstLine: 10).tokens
        #expect(tokens.map(\.location.line) == [10, 10, 11, 11, 11, 11])
        #expect(tokens.map(\.location.column) == [1, 2, 3, 5, 7, 8])
    }

    @Test func commentsAndContinuationsDisappear() throws {
        #expect(try kinds("train \\\n  epochs=1 # comment\nnext") == [
            .word("train"), .word("epochs"), .equals, .int(1), .separator, .word("next"), .end,
        ])
    }

    @Test func newlinesInsideBracketsDoNotEndStatements() throws {
        #expect(try kinds("x [1,\n 2]\n") == [
            .word("x"), .leftBracket, .int(1), .comma, .int(2), .rightBracket, .separator, .end,
        ])
    }

    @Test func stringsInterpolateAndEscape() throws {
        let tokens = try Lexer.tokenize(#""{n} steps \{x\} \"q\"\n""#).tokens
        #expect(tokens[0].kind == .string([
            .variable("n", SourceLocation(line: 1, column: 3)), .text(" steps {x} \"q\"\n"),
        ]))
    }

    @Test func reportsUnterminatedStringAtItsStart() throws {
        let error = try #require(throws: ParseError.self) { try Lexer.tokenize("print \"abc", file: "t.dnb") }
        #expect(error.description == "t.dnb:1:7: unterminated string\nprint \"abc\n      ^")
    }

    @Test func reportsBadCharactersAndEscapes() throws {
        let character = try #require(throws: ParseError.self) { try Lexer.tokenize("a = @") }
        #expect(character.diagnostic.summary == "1:5: unexpected character '@'")
        let escape = try #require(throws: ParseError.self) { try Lexer.tokenize(#"x "a\qb""#) }
        #expect(escape.diagnostic.summary == #"1:5: unknown escape '\q' in string"#)
        let number = try #require(throws: ParseError.self) { try Lexer.tokenize("x 3d") }
        #expect(number.diagnostic.summary == "1:4: unexpected 'd' after number '3'")
        // `{1}` is an expression now (docs/language.md, "Expressions"); an empty one is not.
        let brace = try #require(throws: ParseError.self) { try Lexer.tokenize(#"x "{ }""#) }
        #expect(brace.diagnostic.summary.hasPrefix("1:4: expected an expression inside '{…}'"))
    }

    @Test func continuationMustEndTheLine() throws {
        let error = try #require(throws: ParseError.self) { try Lexer.tokenize("a \\ b") }
        #expect(error.diagnostic.summary == "1:3: a line continuation '\\' must be the last character on its line")
    }

    @Test func caretKeepsTabsForAlignment() {
        let diagnostic = Diagnostic(message: "m", location: SourceLocation(line: 1, column: 3), sourceLine: "\tab")
        #expect(diagnostic.description == "1:3: m\n\tab\n\t ^")
    }
}

import Testing
@testable import DNBLanguage

@Suite struct CompletionTests {
    let completer = Completer(registry: makeRegistry(FakeWorld()), variableNames: ["epochs", "lr", "name"])

    private func complete(_ line: String) -> Completion {
        completer.complete(line: line, cursor: line.count)
    }

    @Test func commandNamesAtTheStartOfAStatement() {
        #expect(complete("tr").candidates == ["train"])
        #expect(complete("").candidates.contains("model"))
        #expect(complete("p").candidates == ["param", "plot", "print"])
        #expect(complete("for i in 1..3 { tr").candidates == ["train"])
        #expect(complete("print a; mo").candidates == ["model"])
        #expect(complete("time tr").candidates == ["train"])
        let completion = complete("print a; mo")
        #expect(completion.replacementStart == 9)
        #expect(completion.partial == "mo")
    }

    @Test func verbsAfterACommandWithVerbs() {
        #expect(complete("model ").candidates == ["create", "summary"])
        #expect(complete("model s").candidates == ["summary"])
        #expect(complete("help model ").candidates == ["create", "summary"])
        #expect(complete("help tr").candidates == ["train"])
    }

    @Test func argumentNamesNotYetGiven() {
        #expect(complete("train ").candidates == ["epochs=", "lr=", "out=", "schedule="])
        #expect(complete("train epochs=1 l").candidates == ["lr="])
        #expect(complete("model create c").candidates == ["channels="])
        #expect(complete("train epochs=1 lr=0.1 ").candidates == ["cosine", "linear", "out=", "schedule="])
    }

    @Test func allowedValuesAfterArgumentName() {
        let completion = complete("train epochs=1 schedule=co")
        #expect(completion.candidates == ["cosine"])
        #expect(completion.replacementStart == 24)
        #expect(complete("model create blocks=[DownBlock2D, Attn").candidates == ["AttnDownBlock2D"])
        #expect(complete("model create blocks=[DownBlock2D, Attn").replacementStart == 34)
    }

    @Test func variablesInsideExpressions() {
        let call = complete("print len($ep")
        #expect(call.candidates == ["$epochs"])
        #expect(call.replacementStart == 10)
        #expect(complete("print $lr*$n").candidates == ["$name"])
        #expect(complete("timeit tr").candidates == ["train"])
        #expect(complete("if $ep").candidates == ["$epochs"])
    }

    @Test func variablesAfterADollar() {
        #expect(complete("train $e").candidates == ["$epochs"])
        #expect(complete("train epochs=$").candidates == ["$epochs", "$lr", "$name"])
    }

    @Test func filePathsForPathArgumentsStringsAndPathLikeWords() {
        #expect(complete("train out=").wantsFilePaths)
        #expect(complete("train out=ckpt/").wantsFilePaths)
        #expect(complete("plot name=\"figures/lo").wantsFilePaths)
        #expect(complete("plot name=\"figures/lo").partial == "figures/lo")
        #expect(complete("print ./da").wantsFilePaths)
        #expect(!complete("train epochs=").wantsFilePaths)
        #expect(!complete("train schedule=").wantsFilePaths)
    }

    @Test func multiLineEntriesCompleteTheLastStatement() {
        #expect(complete("for i in 1..2 {\n  tr").candidates == ["train"])
        #expect(complete("train epochs=1 \\\n  l").candidates == ["lr="])
        #expect(complete("model create channels=[32,\n  64] b").candidates == ["blocks="])
    }

    @Test func nothingInsideComments() {
        #expect(complete("print a # tr").candidates.isEmpty)
    }

    @Test func cursorInTheMiddleUsesTheTextBeforeIt() {
        #expect(completer.complete(line: "tr epochs=1", cursor: 2).candidates == ["train"])
    }

    @Test func everyPrefixOfAScriptIsHandled() {
        let script = """
            param n: int = 2 # a "comment"
            for i in 1..$n {
              model create channels=[32,
                64] blocks=[DownBlock2D]; print "{i} \\"done\\"" \\
                 more
            }
            """
        let characters = Array(script)
        for cursor in 0...characters.count {
            let prefix = String(characters[..<cursor])
            let completion = completer.complete(line: prefix, cursor: cursor)
            #expect(completion.replacementStart <= cursor)
            #expect(String(characters[completion.replacementStart..<cursor]) == completion.partial)
            _ = Parser.needsMoreInput(prefix)
            _ = try? Parser.parse(prefix)
        }
        #expect(Parser.needsMoreInput(String(characters[..<(script.firstIndex(of: "{")!.utf16Offset(in: script) + 1)])))
        #expect(!Parser.needsMoreInput(script))
        #expect(throws: Never.self) { try Parser.parse(script) }
    }
}

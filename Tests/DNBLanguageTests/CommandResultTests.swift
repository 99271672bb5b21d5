import Testing
@testable import DNBLanguage

/// Counts handler runs, so tests can tell a refused `let` from one that ran.
final class ResultLog {
    var runs = 0
}

/// Commands that declare results the way dnb's do, plus ones that break their declaration.
func resultRegistry(_ log: ResultLog) -> CommandRegistry {
    let registry = CommandRegistry()
    registry.register(CommandSpec(
        "fit", summary: "Pretend to train", arguments: [ArgumentSpec("steps", .int, default: 2, help: "Steps.")],
        result: ResultSpec([
            ResultField("loss", .float, help: "The last loss."),
            ResultField("steps", .int, help: "Steps run."),
            ResultField("config", .record, fields: [ResultField("lr", .float, help: "Learning rate.")], help: "Settings."),
            ResultField("note", .string, help: "Only sometimes."),
        ])) { invocation, context in
            log.runs += 1
            let steps = try invocation.int("steps")
            context.out.print("fitted \(steps) steps")
            // Ints widen to the declared float, as arguments do.
            context.setResult(["loss": steps == 1 ? .int(1) : .float(1.0 / Double(steps)), "steps": .int(steps)])
            context.setResult(["config": .record(Record(["lr": 0.1]))])
        })
    registry.register(CommandSpec("model", summary: "A model", verbs: [
        CommandSpec("create", summary: "Make it") { _, context in context.out.print("made") },
        CommandSpec("summary", summary: "Count it", result: ResultSpec([ResultField("parameters", .int, help: "Count.")])) { _, context in
            context.setResult(["parameters": 44969])
        },
    ]))
    registry.register(CommandSpec("wordy", summary: "Explains its result at length", result: ResultSpec([
        ResultField("average", .list(.float), help: String(repeating: "the mean of what was measured in this call ", count: 4)),
    ])) { _, _ in })
    registry.register(CommandSpec("undeclared", summary: "Sets a field it does not declare",
                                  result: ResultSpec([ResultField("a", .int, help: "A.")]))
    { _, context in context.setResult(["a": 1, "b": 2]) })
    registry.register(CommandSpec("mistyped", summary: "Sets a field of the wrong type",
                                  result: ResultSpec([ResultField("a", .int, help: "A.")]))
    { _, context in context.setResult(["a": "one"]) })
    return registry
}

@Suite struct CommandResultTests: InterpreterHarness {
    let log = ResultLog()
    let interpreter: Interpreter
    let output = Output()

    init() {
        interpreter = Interpreter(registry: resultRegistry(log), interrupt: Interrupt())
    }

    @Test func letHoldsTheResultAndTheCommandPrintsAsWithoutIt() throws {
        #expect(try run("fit steps=4") == "fitted 4 steps\n")
        #expect(try run("let r = fit steps=4") == "fitted 4 steps\n")
        #expect(interpreter.variable("r") == .record(Record([
            "loss": 0.25, "steps": 4, "config": .record(Record(["lr": 0.1])), "note": .none,
        ])))
        #expect(try run("print $r.loss $r.config.lr $r.note") == "0.25 0.1 none\n")
        #expect(try run("let one = fit 1\nprint $one.loss") == "fitted 1 steps\n1.0\n")
        #expect(try run("let p = model summary\nprint $p.parameters") == "44969\n")
        #expect(log.runs == 3)
    }

    @Test func aLoneWordRunsTheCommandItNamesAndAQuotedOneIsAString() throws {
        #expect(try run("let r = fit\nprint $r.steps") == "fitted 2 steps\n2\n")
        #expect(try run("let s = \"fit\"\nlet w = fitting\nprint $s $w") == "fit fitting\n")
        #expect(log.runs == 1)
    }

    @Test func aCommandWithoutAResultIsRefusedBeforeItRuns() throws {
        let error = try runtimeError("let x = print hi")
        #expect(error.diagnostic.summary
                    == "t.dnb:1:9: 'print' gives no result to hold in a variable; run it without `let` (`help print` lists what a command gives)")
        #expect(DNBLanguageTests.text(output).isEmpty, "print did not run")
        #expect(try runtimeError("let m = model create").message.hasPrefix("'model create' gives no result"))
        #expect(try runtimeError("let m = model").message == "'model' needs a verb: create, summary")
        #expect(interpreter.variable("x") == nil && interpreter.variable("m") == nil)
    }

    @Test func aParameterIsNotReboundAndTheCommandDoesNotRun() throws {
        _ = try run("param steps: int = 3")
        #expect(try runtimeError("let steps = fit").message.hasPrefix("'steps' is a parameter"))
        #expect(log.runs == 0)
    }

    @Test func aResultBreakingItsDeclarationIsAnErrorNotAWrongRecord() throws {
        #expect(try runtimeError("let u = undeclared").message == "'undeclared' set the result field 'b', which its result does not declare")
        #expect(try runtimeError("let u = mistyped").message
                    == "'mistyped' set its result field 'a' to string one, but declares int")
        // Unassigned, the same commands run as before: results are only built for `let`.
        _ = try run("undeclared\nmistyped")
    }

    @Test func helpListsTheResultFields() throws {
        let help = try run("help fit")
        #expect(help.hasSuffix("""
            result (`let r = fit …`, then $r.FIELD):
              loss    float   The last loss.
              steps   int     Steps run.
              config  record  Settings.
                lr    float   Learning rate.
              note    string  Only sometimes.

            """))
        #expect(try run("help model summary").hasSuffix("  parameters  int  Count.\n"))
        // A long help wraps under its own column (help is 80 columns wide when not at a terminal).
        let wordy = try run("help wordy").split(separator: "\n").drop { !$0.hasPrefix("result") }.dropFirst()
        #expect(wordy.count == 4 && wordy.allSatisfy { $0.count <= 80 }, "\(wordy)")
        #expect(wordy.first?.hasPrefix("  average  list[float]  the mean of what was measured") == true)
        #expect(wordy.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 24)) && $0.dropFirst(24).first != " " })
    }

    @Test func completionContinuesAfterLet() {
        #expect(interpreter.completions(line: "let r = fi", cursor: 10).candidates == ["fit"])
        #expect(interpreter.completions(line: "let r = fit st", cursor: 14).candidates == ["steps="])
        #expect(interpreter.completions(line: "let r = model s", cursor: 15).candidates == ["summary"])
        _ = try? run("let r = fit")
        #expect(interpreter.completions(line: "print $r.", cursor: 9).candidates == ["$r.config", "$r.loss", "$r.note", "$r.steps"])
        let nested = interpreter.completions(line: "print len($r.config.l", cursor: 21)
        #expect(nested.candidates == ["$r.config.lr"] && nested.replacementStart == 10)
        #expect(interpreter.completions(line: "print $r.nothing.x", cursor: 18).candidates == [])
    }

    @Test func checkKnowsEachCommandsFields() throws {
        let runner = Runner(registry: resultRegistry(log))
        let notebook = try Notebook(parsing: """
            ```dnb
            let r = fit steps=3
            print $r.los $r.config.lr $r.config.lrr
            print $r.loss + "a"
            if $r.steps {
              print yes
            }
            let x = print hi
            let p = model summary
            print $p.parameters $p.parmeters
            let lone = fit
            print $lone.step
            let lit = {a: 1, b: {c: "x"}}
            print $lit.b.c $lit.b.d $lit.a.x
            let n = 3
            print $n.x
            ```
            """, file: "nb.dnb")
        #expect(runner.check(notebook).map(\.summary) == [
            "nb.dnb:3:9: the record has no field 'los'; did you mean 'loss'? (fields: loss, steps, config, note)",
            "nb.dnb:3:36: the record has no field 'lrr'; did you mean 'lr'? (fields: lr)",
            "nb.dnb:4:15: '+' cannot combine float and string",
            "nb.dnb:5:6: 'if' needs a bool condition, got int; compare explicitly, e.g. `$n > 0`",
            "nb.dnb:8:9: 'print' gives no result to hold in a variable; run it without `let` (`help print` lists what a command gives)",
            "nb.dnb:10:23: the record has no field 'parmeters'; did you mean 'parameters'? (fields: parameters)",
            "nb.dnb:12:12: the record has no field 'step'; did you mean 'steps'? (fields: loss, steps, config, note)",
            "nb.dnb:14:22: the record has no field 'd'; did you mean 'c'? (fields: c)",
            "nb.dnb:14:31: only records have fields, got int (.x)",
            "nb.dnb:16:9: only records have fields, got int (.x)",
        ])
        #expect(log.runs == 0, "check runs nothing")
    }
}

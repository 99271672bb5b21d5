import Testing
@testable import DNBLanguage

@Suite struct InterpreterTests: InterpreterHarness {
    let world = FakeWorld()
    let interpreter: Interpreter
    let output = Output()

    init() {
        interpreter = Interpreter(registry: makeRegistry(world), interrupt: Interrupt())
    }


    @Test func letBindsAndStringsInterpolate() throws {
        #expect(try run("let n = 3\nlet name = \"unet\"\nprint \"{n} steps with {name}\" $n") == "3 steps with unet 3\n")
        #expect(interpreter.variable("n") == 3)
    }

    @Test func loopsOverRangesListsAndNestedLoops() throws {
        #expect(try run("for i in 1..3 { print $i }") == "1\n2\n3\n")
        #expect(try run("for b in [DownBlock2D, AttnDownBlock2D] { print $b }") == "DownBlock2D\nAttnDownBlock2D\n")
        let nested = try run("""
            for i in 1..2 {
              for j in (10, 20) {
                print "{i}-{j}"
              }
            }
            """)
        #expect(nested == "1-10\n1-20\n2-10\n2-20\n")
        #expect(try run("for i in 3..1 { print $i }") == "")
    }

    @Test func blockScopesEndWithTheBlock() throws {
        _ = try run("let x = outer\nfor i in 1..2 {\n  let x = inner\n  let y = 1\n  print $x\n}\nprint $x")
        #expect(DNBLanguageTests.text(output) == "inner\ninner\nouter\n")
        let loopVariable = try runtimeError("print $i")
        #expect(loopVariable.diagnostic.summary == "t.dnb:1:7: unknown variable '$i'; did you mean '$x'?")
        #expect(try runtimeError("print $y").message.hasPrefix("unknown variable '$y'"))
    }

    @Test func topLevelVariablesPersistAcrossEntries() throws {
        _ = try run("let epochs = 2")
        #expect(try run("print \"{epochs}\"") == "2\n")
    }

    @Test func parametersTakeOverridesAndRejectLet() throws {
        let interpreter = Interpreter(registry: makeRegistry(world),
                                      overrides: [ParameterOverride(name: "epochs", text: "5")], interrupt: Interrupt())
        try interpreter.run("param epochs: int = 1 \"Epochs\"\nparam lr: float = 1", output: output)
        #expect(interpreter.variable("epochs") == 5)
        #expect(interpreter.variable("lr") == .float(1.0))
        #expect(interpreter.parameters.map(\.source) == [.override, .defaultValue])
        let error = try #require(throws: RuntimeError.self) { try interpreter.run("let epochs = 3", output: output) }
        #expect(error.message == "'epochs' is a parameter; change it from outside with --set epochs=… instead of let")
    }

    @Test func overridesAreTypeChecked() throws {
        let interpreter = Interpreter(registry: makeRegistry(world),
                                      overrides: [ParameterOverride(name: "epochs", text: "many")], interrupt: Interrupt())
        let error = try #require(throws: RuntimeError.self) {
            try interpreter.run("\nparam epochs: int = 1", file: "nb.dnb", output: output)
        }
        #expect(error.diagnostic.summary == "nb.dnb:2:1: --set epochs=many: parameter 'epochs' expects int, got string many")
        #expect(try ParameterOverride(name: "title", text: "two words").value(for: .string) == "two words")
        #expect(try ParameterOverride(name: "title", text: "\"quoted\"").value(for: .string) == "quoted")
        #expect(try ParameterOverride(name: "lr", text: "2").value(for: .float) == .float(2))
        #expect(try ParameterOverride(name: "sizes", text: "[1, 2]").value(for: .list(.int)) == [1, 2])
        #expect(try ParameterOverride(parsing: "a = 1").name == "a")
        #expect(throws: ArgumentError.self) { try ParameterOverride(parsing: "no-equals") }
    }

    @Test func commandsBindArgumentsByNameAndPosition() throws {
        _ = try run("model create\ntrain 5 1")
        let invocation = try #require(world.invocations.last)
        #expect(try invocation.int("epochs") == 5)
        #expect(try invocation.value("lr") == .float(1))
        #expect(try invocation.string("schedule") == "linear")
        #expect(try invocation.optionalString("out") == nil)
        #expect(invocation.isGiven("lr") && !invocation.isGiven("schedule"))
        #expect(try run("train schedule=cosine epochs=2") == "trained 2 epochs at lr 0.001\n")
        #expect(try run("model create channels=(16, 32) blocks=[AttnDownBlock2D]") == "model with channels [16, 32]\n")
    }

    @Test func unknownNamesGetSuggestions() throws {
        _ = try run("model create")
        #expect(try runtimeError("train epoch=3").description == """
            t.dnb:1:7: unknown argument 'epoch' for 'train'; did you mean 'epochs'?
            train epoch=3
                  ^
            """)
        #expect(try runtimeError("trian epochs=1").diagnostic.summary == "t.dnb:1:1: unknown command 'trian'; did you mean 'train'?")
        #expect(try runtimeError("model creat").diagnostic.summary == "t.dnb:1:7: unknown verb 'creat' for 'model'; did you mean 'create'?")
        #expect(try runtimeError("model").message == "'model' needs a verb: create, summary")
        #expect(try runtimeError("train 1 schedule=cosin").message
            == "argument 'schedule' does not accept cosin; expected one of: linear, cosine (did you mean 'cosine'?)")
        #expect(try runtimeError("print $epohcs").message.hasPrefix("unknown variable '$epohcs'"))
    }

    @Test func argumentProblemsPointAtTheArgument() throws {
        _ = try run("model create")
        #expect(try runtimeError("train\\\n  lr=0.1 epochs=five").diagnostic.summary
            == "t.dnb:2:10: argument 'epochs' expects int, got string five")
        #expect(try runtimeError("train").message == "missing required argument 'epochs' for 'train' (epochs=<int>)")
        #expect(try runtimeError("train 1 2 linear none extra").message
            == "too many positional arguments for 'train', which takes 4 (epochs, lr, schedule, out)")
        #expect(try runtimeError("train 1 epochs=2").message == "argument 'epochs' is given more than once")
        #expect(try runtimeError("model create blocks=[UpBlock]").diagnostic.summary
            == "t.dnb:1:14: argument 'blocks' does not accept UpBlock; expected one of: DownBlock2D, AttnDownBlock2D")
        // A handler rejecting a value is located at that argument too.
        #expect(try runtimeError("train lr=1 epochs=-1").diagnostic.summary == "t.dnb:1:12: epochs must not be negative")
    }

    @Test func prerequisitesSayWhatToRunFirst() throws {
        #expect(try runtimeError("train epochs=1").message == "no model yet: run `model create …` first")
        #expect(try runtimeError("model summary").message == "no model yet: run `model create …` first")
        #expect(world.trainedEpochs.isEmpty)
        #expect(try run("model create\nmodel summary") == "model with channels [32, 64]\na small model\n")
    }

    @Test func handlerErrorsAreLocatedAtTheStatement() throws {
        let error = try runtimeError("print a\n  fail message=\"disk full\"")
        #expect(error.diagnostic.summary == "t.dnb:2:3: disk full")
        #expect(error.underlying is Failure)
    }

    @Test func timeReportsWallTimeFromTheClock() throws {
        interpreter.timeSource = SteppingClock(step: 1.5).source
        #expect(try run("time print hi") == "hi\nwall time: 1.50 s\n")
    }

    @Test func interruptionStopsALoopBetweenIterations() throws {
        world.interruptOnTick = 2
        let error = try runtimeError("for i in 1..10 {\n  tick\n}")
        #expect(error.isInterruption)
        #expect(error.diagnostic.summary == "t.dnb:1:1: interrupted")
        #expect(world.ticks == 2)
    }

    @Test func helpIsGeneratedFromSpecs() throws {
        let overview = try run("help")
        // Names are padded to the longest, `timeit`.
        #expect(overview.contains("  train   Train the model\n"))
        #expect(overview.contains("  for     Repeat a block: for NAME in LIST { … }\n"))
        #expect(overview.contains("  if      Run a block when a condition holds: if COND { … } else { … }\n"))
        #expect(try run("help train") == """
            usage: train epochs=<int> [lr=<float>] [schedule=<string>] [out=<path>]

            Train the model

            Runs the training loop.

            arguments:
              epochs=<int>       Number of epochs. (required)
              lr=<float>         Learning rate. (default: 0.001)
              schedule=<string>  LR schedule. (one of: linear, cosine; default: linear)
              out=<path>         Checkpoint file. (default: none)

            Arguments can also be given by position, in this order.

            """)
        #expect(try run("help model").contains("verbs:\n  create   Create a fresh model\n  summary  Describe the model"))
        #expect(try run("help model create").hasPrefix("usage: model create [channels=<list[int]>] [blocks=<list[string]>]"))
        #expect(try run("help let").hasPrefix("usage: let NAME = VALUE"))
        #expect(try runtimeError("help trian").message == "no command named 'trian'; did you mean 'train'?")
    }

    @Test func varsListsVariablesAsATable() throws {
        let interpreter = Interpreter(registry: makeRegistry(world), interrupt: Interrupt())
        try interpreter.run("param epochs: int = 2\nlet name = \"a b\"\nvars", output: output)
        #expect(output.items.last == .table(Table(headers: ["name", "type", "value", "kind"], rows: [
            ["epochs", "int", "2", "param (default)"], ["name", "string", "\"a b\"", "variable"],
        ])))
    }

    @Test func rangesNeedIntegerBounds() throws {
        #expect(try runtimeError("let x = 1..2.5").diagnostic.summary == "t.dnb:1:12: range bounds must be ints, got float 2.5")
        #expect(try runtimeError("for i in 5 { }").message == "'for' needs a list or range to loop over, got int 5")
    }
}

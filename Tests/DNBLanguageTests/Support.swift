import Testing
@testable import DNBLanguage

/// State the fake commands share, standing in for the executable's model and data.
final class FakeWorld {
    var hasModel = false
    var trainedEpochs: [Int] = []
    var invocations: [Invocation] = []
    /// `tick` requests an interruption on this call (1-based), when set.
    var interruptOnTick: Int?
    var ticks = 0
}

struct Failure: Error, CustomStringConvertible {
    var description: String
}

/// A registry with a few commands shaped like the real ones.
func makeRegistry(_ world: FakeWorld) -> CommandRegistry {
    let registry = CommandRegistry()
    registry.register(CommandSpec(
        "model", summary: "Create or inspect the model",
        verbs: [
            CommandSpec("create", summary: "Create a fresh model", arguments: [
                ArgumentSpec("channels", .list(.int), default: [32, 64], help: "Channels per block."),
                ArgumentSpec("blocks", .list(.string), default: ["DownBlock2D"],
                             allowed: ["DownBlock2D", "AttnDownBlock2D"], help: "Block types."),
            ]) { invocation, context in
                world.hasModel = true
                world.invocations.append(invocation)
                context.out.print("model with channels \(try invocation.intList("channels"))")
            },
            CommandSpec("summary", summary: "Describe the model",
                        prerequisite: { if !world.hasModel { throw MissingPrerequisite("no model yet: run `model create …` first") } })
            { _, context in
                context.out.print("a small model")
            },
        ]))
    registry.register(CommandSpec(
        "train", summary: "Train the model", help: "Runs the training loop.",
        arguments: [
            ArgumentSpec("epochs", .int, help: "Number of epochs."),
            ArgumentSpec("lr", .float, default: 0.001, help: "Learning rate."),
            ArgumentSpec("schedule", .string, default: "linear", allowed: ["linear", "cosine"], help: "LR schedule."),
            ArgumentSpec("out", .path, default: Value.none, help: "Checkpoint file."),
        ],
        prerequisite: { if !world.hasModel { throw MissingPrerequisite("no model yet: run `model create …` first") } })
    { invocation, context in
        world.invocations.append(invocation)
        let epochs = try invocation.int("epochs")
        guard epochs >= 0 else { throw ArgumentError(argument: "epochs", "epochs must not be negative") }
        world.trainedEpochs.append(epochs)
        context.out.print("trained \(epochs) epochs at lr \(try invocation.double("lr"))")
    })
    registry.register(CommandSpec(
        "plot", summary: "Write a figure",
        arguments: [ArgumentSpec("name", .string, help: "File name."), ArgumentSpec("caption", .string, default: "", help: "Caption.")])
    { invocation, context in
        context.out.figure(path: "figures/\(try invocation.string("name")).png", caption: try invocation.string("caption"))
    })
    registry.register(CommandSpec("table", summary: "Emit a table") { _, context in
        context.out.table(Table(headers: ["step", "loss"], rows: [["1", "0.5"], ["2", "0.25 | ok"]], caption: "Loss"))
    })
    registry.register(CommandSpec(
        "fail", summary: "Always fails",
        arguments: [ArgumentSpec("message", .string, default: "boom", help: "What to say.")])
    { invocation, _ in
        throw Failure(description: try invocation.string("message"))
    })
    registry.register(CommandSpec("tick", summary: "Count a tick") { _, context in
        world.ticks += 1
        context.out.print("tick \(world.ticks)")
        if world.ticks == world.interruptOnTick { context.interrupt.request() }
    })
    return registry
}

/// A clock that advances by `step` seconds every time it is read.
final class SteppingClock {
    private var time = 0.0
    let step: Double
    init(step: Double) { self.step = step }
    var source: TimeSource {
        TimeSource { [self] in
            defer { time += step }
            return time
        }
    }
}

/// The text the output collected, joined.
func text(_ output: Output) -> String {
    output.items.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
}

/// A suite that runs text through one interpreter and reads what it printed.
protocol InterpreterHarness {
    var interpreter: Interpreter { get }
    var output: Output { get }
}

extension InterpreterHarness {
    /// What `text` printed.
    func run(_ text: String) throws -> String {
        let before = DNBLanguageTests.text(output)
        try interpreter.run(text, output: output)
        return String(DNBLanguageTests.text(output).dropFirst(before.count))
    }

    /// The error `text` stops with, located in a file `t.dnb`.
    func runtimeError(_ text: String) throws -> RuntimeError {
        try #require(throws: RuntimeError.self) { try interpreter.run(text, file: "t.dnb", output: output) }
    }
}

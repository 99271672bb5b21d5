// libFuzzer entry for the language front end: the notebook reader, the lexer and
// parser, and the checker, on arbitrary bytes. Built and run as bench/README.md
// ("Fuzzing") shows (`-sanitize=fuzzer -parse-as-library`); a plain build gives a binary that does nothing.
import DNBLanguage

/// Commands shaped like dnb's (verbs, bounds, allowed values, lists, paths, a variadic)
/// so the checker's binding paths run; DNBLanguage cannot see the real ones (DNBCommands
/// pulls in the engine, which libFuzzer's instrumentation would slow for nothing here).
// libFuzzer calls in on one thread; top-level names in main.swift are otherwise main-actor bound.
nonisolated(unsafe) private let registry: CommandRegistry = {
    let registry = CommandRegistry()
    let none: (Invocation, CommandContext) throws -> Void = { _, _ in }
    registry.register(CommandSpec("train", summary: "", arguments: [
        ArgumentSpec("epochs", .float, default: .float(1), bounds: [.above(0)], help: ""),
        ArgumentSpec("batch_size", .int, default: .int(128), bounds: [.atLeast(1)], help: ""),
        ArgumentSpec("lr_schedule", .string, default: .string("constant"), allowed: [.string("constant"), .string("cosine")], help: ""),
        ArgumentSpec("checkpoint", .path, default: Value.none, help: ""),
        ArgumentSpec("shuffle", .bool, default: .bool(true), help: ""),
    ], handler: none))
    registry.register(CommandSpec("model", summary: "", verbs: [
        CommandSpec("create", summary: "", arguments: [
            ArgumentSpec("block_out_channels", .list(.int), default: Value.none, bounds: [.atLeast(1)], help: ""),
            ArgumentSpec("down_block_types", .list(.string), default: Value.none, allowed: [.string("DownBlock2D"), .string("AttnDownBlock2D")], help: ""),
        ], handler: none),
        CommandSpec("load", summary: "", arguments: [ArgumentSpec("path", .path, help: "")], handler: none),
    ]))
    registry.register(CommandSpec("seed", summary: "", arguments: [ArgumentSpec("value", .int, bounds: [.atLeast(0)], help: "")], handler: none))
    return registry
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // As a notebook: cells, options, then every cell parsed and checked the way `dnb check` does.
    if let notebook = try? Notebook(parsing: text, file: "fuzz.dnb") {
        _ = Runner(registry: registry).check(notebook)
    }
    // As REPL input: the continuation test, then the parser and checker on the whole text.
    _ = Parser.needsMoreInput(text)
    if let script = try? Parser.parse(text, file: "<stdin>") {
        var checker = Checker(registry: registry)
        _ = checker.check(script)
    }
    return 0
}

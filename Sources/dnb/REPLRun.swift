import DNBCache
import DNBCommands
import DNBLanguage
import DNBSupport
import Foundation

/// `run FILE [CELL]`: a REPL-only command that brings a notebook's state into the session, restoring cells from
/// the cell cache that `dnb run` fills (.dnb-cache beside the output folder, or $DNB_CACHE) and running the rest.
enum REPLRun {
    static func register(in registry: CommandRegistry, shell: REPLShell) {
        guard registry.command(named: "run") == nil else { return }
        registry.register(CommandSpec(
            "run", summary: "Load a notebook's state into this session: its cells up to CELL, from the cell cache where it holds them",
            help: "Starts the session afresh (variables, model, data, training), then restores each code cell up to and including CELL (an id or a number; default: every cell) from the cell cache of `dnb run`, running those it does not hold, so that you can continue where the notebook stands. `save session` then writes those cells first. The cache is $DNB_CACHE, else .dnb-cache beside the output folder.",
            arguments: [
                ArgumentSpec("file", .path, help: "the .dnb notebook (relative paths: the working directory)"),
                ArgumentSpec("cell", .string, default: Value.none, help: "the last cell to take, by id or number (default: the last one)"),
            ]
        ) { [unowned shell] invocation, context in
            try load(try invocation.string("file"), through: try invocation.optionalString("cell"), shell: shell, context)
        })
    }

    static func isRunCommand(_ entry: String) -> Bool {
        guard let script = try? Parser.parse(entry) else { return false }
        return script.statements.contains { statement in
            if case .command(let call) = statement.kind { return call.name == "run" }
            return false
        }
    }

    private static func load(_ file: String, through cell: String?, shell: REPLShell, _ context: CommandContext) throws {
        let notebook = try Runner.load(ValueType.expandingTilde(file))
        let directory = shell.interpreter.outputDirectory
        let store = CacheStore(directory: CacheOptions.folder(nil, outputDirectory: directory), sizeLimit: try CacheOptions.sizeLimit(nil))
        // Under mpirun every rank must take the same path through the cells: no cache (as `dnb run` there).
        let cache = shell.workspace.dataParallel == nil ? CacheSettings(store: store, session: shell.workspace, context: CacheContext.current()) : nil
        var restored = 0, ran = 0
        let cells = try NotebookLoader(runner: Runner(registry: shell.registry)).load(
            notebook, through: cell, into: shell.interpreter, cache: cache,
            reset: { try shell.workspace.restore(Workspace().snapshot()) },
            onStep: { cell, step in
                switch step {
                case .restored(let origin):
                    restored += 1
                    context.out.print("\(cell.label): from the cache (ran \(formatDuration(origin.seconds)) on \(utcTimestamp(origin.date)))")
                case .ran:
                    ran += 1
                    context.out.print("\(cell.label): running")
                }
            },
            onOutput: { _, item in context.out.emit(item) },
            onMessage: { context.out.print($0) })
        shell.session = Session()
        for cell in cells { shell.session.record(cell.text) }
        context.out.print("loaded \(cells.count) cell\(cells.count == 1 ? "" : "s") of \(file) (\(restored) from the cache, \(ran) run); the session continues from there")
    }
}

import Foundation
import DNBSupport

/// The REPL's `run FILE [CELL]`: a notebook's state brought into a session — Jupyter's "run all above". The
/// session starts afresh (the cache's keys describe runs from the start), then each code cell up to and
/// including CELL is restored from the cell cache or run, as `dnb run` would.
public struct NotebookLoader {
    public let runner: Runner

    public init(runner: Runner) {
        self.runner = runner
    }

    /// What happened to one cell.
    public enum Step {
        case restored(CacheOrigin)
        case ran
    }

    /// Loads `notebook` through `cell` (id or number; nil: every cell) into `interpreter`, whose session state
    /// `fresh` resets. Cell outputs of cells that run go to `onOutput`. Returns the cells taken, in order.
    /// Throws a `RuntimeError` located in the notebook when a cell fails.
    public func load(_ notebook: Notebook, through cell: String?, into interpreter: Interpreter, cache: CacheSettings?,
                     reset: () throws -> Void, onStep: (Cell, Step) -> Void, onOutput: @escaping (Cell, OutputItem) -> Void,
                     onMessage: @escaping (String) -> Void) throws -> [Cell] {
        let problems = runner.check(notebook)
        if let first = problems.first {
            throw failure(Diagnostic(message: "\(notebook.file ?? "the notebook") does not pass check (\(problems.count) problem\(problems.count == 1 ? "" : "s")): \(first.message)", location: first.location), interpreter)
        }
        let range = try CellRange(cell.map { CellSelection(.until, $0) }, in: notebook)
        // The session's `--set`-like overrides apply to the parameters this notebook declares.
        let declarations = Runner.declarations(in: notebook)
        let bindings = try Runner.bind(declarations, to: interpreter.overrides.values.filter { o in declarations.contains { $0.name == o.name } })
        try reset()
        interpreter.restore(Interpreter.State(), bindings: [])
        var options = RunOptions(outputDirectory: interpreter.outputDirectory)
        options.interrupt = interpreter.interrupt
        options.timeSource = interpreter.timeSource
        options.onOutput = onOutput
        let run = cache.map {
            CellCacheRun(settings: $0, interpreter: interpreter, bindings: bindings, predefined: [:],
                         outputDirectory: interpreter.outputDirectory, file: notebook.file, report: onMessage)
        }
        var taken: [Cell] = []
        for (index, cell) in notebook.cells.enumerated() where range.place(index) == .inside {
            guard let cellOptions = cell.options, !cellOptions.skip else { continue }
            taken.append(cell)
            let key = run?.key(for: cell)
            if let run, let key, !run.mustRun(cell), let hit = run.lookup(cell, key: key) {
                run.restored(cell, key: key, hit)
                onStep(cell, .restored(hit.result.restored ?? CacheOrigin(date: Date(), seconds: 0)))
                continue
            }
            try run?.prepareState { earlier in
                let (result, _, _, _) = runner.execute(earlier, file: notebook.file, with: interpreter, options: options, silent: true)
                if let error = result.error, earlier.options?.allowError != true { throw failure(error, interpreter) }
            }
            onStep(cell, .ran)
            let (result, _, written, read) = runner.execute(cell, file: notebook.file, with: interpreter, options: options)
            run?.ran(cell, key: key ?? "", result: result, seeds: [], writtenFiles: written, readFiles: read, date: Date())
            if let error = result.error, !cellOptions.allowError { throw failure(error, interpreter) }
        }
        // The state after the last cell, if it was restored.
        try run?.prepareState { earlier in
            let (result, _, _, _) = runner.execute(earlier, file: notebook.file, with: interpreter, options: options, silent: true)
            if let error = result.error, earlier.options?.allowError != true { throw failure(error, interpreter) }
        }
        return taken
    }

    private func failure(_ diagnostic: Diagnostic, _ interpreter: Interpreter) -> RuntimeError {
        RuntimeError(diagnostic, underlying: interpreter.interrupt.isRequested ? Interrupted() : LanguageError(diagnostic.message))
    }
}

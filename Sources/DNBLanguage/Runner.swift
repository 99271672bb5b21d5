import Foundation
import DNBSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs and checks notebooks: the library side of `dnb run` and `dnb check`.
public struct Runner {
    public let registry: CommandRegistry

    public init(registry: CommandRegistry) {
        self.registry = registry
    }

    /// Reads and parses the file, then runs it.
    public func run(file path: String, options: RunOptions) -> RunResult {
        do {
            return run(try Runner.load(path), options: options)
        } catch let error as ParseError {
            return RunResult(status: .invalidInput, cells: [], parameters: [], messages: [describeError(error)])
        } catch {
            return RunResult(status: .usage, cells: [], parameters: [], messages: [describeError(error)])
        }
    }

    /// Reads and parses a notebook file. Throws `ParseError` or a `FileError`
    /// naming the file and the system's reason (not Foundation's "Code=260").
    public static func load(_ path: String) throws -> Notebook {
        try Notebook(parsing: readText(path), file: path)
    }

    /// A notebook file's text; a `FileError` naming the file and the reason when it cannot be read or is not UTF-8.
    public static func readText(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError("read", path, errno: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError("read", path, errno: errno)
            }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileError("cannot read \(path): it is not UTF-8 text")
        }
        return text
    }

    /// Creates the output folder and claims it for this run, before any cell
    /// runs: a path that is empty, names a file, or cannot be created is a
    /// usage error up front, and a second run on the same folder is refused
    /// rather than mixing its figures and report with ours (docs/cli.md).
    public static func claimOutputDirectory(_ path: String) throws -> FolderLock {
        guard !path.isEmpty else { throw FileError("the output folder is an empty path; give a folder, e.g. --out out/run") }
        try AtomicFile.createDirectory(path)
        return try FolderLock(path, purpose: "the output folder of a run")
    }

    /// Runs every code cell in order with one interpreter, then writes
    /// `report.md`, partial if the run stopped early. Nothing runs when the
    /// notebook fails `check` or an override is invalid.
    public func run(_ notebook: Notebook, options: RunOptions) -> RunResult {
        let problems = check(notebook, predefinedVariables: Set(options.predefinedVariables.keys))
        guard problems.isEmpty else {
            return RunResult(status: .invalidInput, cells: [], parameters: [], messages: problems.map(\.description))
        }
        var setup: (range: CellRange, overrides: [ParameterOverride], parameters: [ParameterBinding], lock: FolderLock)?
        var setupError: String?
        do {
            let range = try CellRange(options.selection, in: notebook)
            if let refresh = options.cache?.refresh { _ = try CellRange.cell(refresh, option: "refresh", in: notebook) }
            let overrides = try options.overrides.map(ParameterOverride.init(parsing:))
            let parameters = try Runner.bind(Runner.declarations(in: notebook), to: overrides)
            let lock = try Runner.claimOutputDirectory(options.outputDirectory)
            setup = (range, overrides, parameters, lock)
            // A report saying the run is under way, written before the first cell: a read-only
            // or full output folder is found now, not after every cell ran, and a run killed
            // with SIGKILL leaves a report that says it did not finish.
            let started = Report(notebook: notebook, date: options.date, environment: options.environment,
                                 parameters: parameters, seeds: [], results: [], stop: nil, totalSeconds: 0, inProgress: true)
            try ReportWriter.write(started, to: options.outputDirectory)
        } catch {
            setupError = describeError(error)
        }
        if let settle = options.settleSetup { setupError = settle(setupError) }
        guard let setup, setupError == nil else {
            setup?.lock.release()
            return RunResult(status: .usage, cells: [], parameters: [], messages: [setupError ?? "the run could not start"])
        }
        let (range, overrides, parameters, lock) = setup
        defer { lock.release() }

        let interpreter = Interpreter(registry: registry, outputDirectory: options.outputDirectory, overrides: overrides,
                                      interrupt: options.interrupt, timeSource: options.timeSource)
        interpreter.sharedOutputDirectory = options.sharedOutputDirectory
        for (name, value) in options.predefinedVariables { interpreter.define(name, value) }
        let cache = options.cache.map {
            CellCacheRun(settings: $0, interpreter: interpreter, bindings: parameters, predefined: options.predefinedVariables,
                         outputDirectory: options.outputDirectory, file: notebook.file, report: { options.onMessage?($0) })
        }

        let runStart = options.timeSource.now()
        var results: [CellResult] = []
        var seeds: [(key: String, value: String)] = []
        var stop: RunStop?
        var failed = false
        for (index, cell) in notebook.cells.enumerated() {
            let place = range.place(index)
            if place == .after { break }
            guard let cellOptions = cell.options else {
                if place == .inside { results.append(CellResult(cell: cell, status: .completed, outputs: [], seconds: 0)) }
                continue
            }
            if cellOptions.skip {
                if place == .inside { results.append(CellResult(cell: cell, status: .skipped, outputs: [], seconds: 0)) }
                continue
            }
            let key = cache?.key(for: cell)
            if let cache, let key, !cache.mustRun(cell), let hit = cache.lookup(cell, key: key) {
                cache.restored(cell, key: key, hit)
                if place == .inside {
                    options.onCellRestored?(cell, hit.result)
                    results.append(hit.result)
                    seeds += hit.seeds
                }
                continue
            }
            // The cells before (restored lazily) must leave their state first.
            do {
                try cache?.prepareState { earlier in
                    let (result, _, _, _) = execute(earlier, file: notebook.file, with: interpreter, options: options, silent: true)
                    if let error = result.error, earlier.options?.allowError != true {
                        throw RecomputeFailure(cell: earlier, diagnostic: error)
                    }
                }
            } catch let failure as RecomputeFailure {
                let diagnostic = Diagnostic(message: "\(failure.cell.label), run again for its state, failed: \(failure.diagnostic.summary)",
                                            location: failure.diagnostic.location)
                results.append(CellResult(cell: cell, status: .failed, outputs: [], seconds: 0, error: diagnostic))
                stop = RunStop(cell: cell, error: diagnostic, interrupted: options.interrupt.isRequested)
                break
            } catch {
                let diagnostic = Diagnostic(message: describeError(error), location: SourceLocation(file: notebook.file, line: cell.startLine, column: 1))
                results.append(CellResult(cell: cell, status: .failed, outputs: [], seconds: 0, error: diagnostic))
                stop = RunStop(cell: cell, error: diagnostic, interrupted: options.interrupt.isRequested)
                break
            }
            if place == .inside { options.onCellStart?(cell) }
            let seedsBefore = options.seeds().count
            var (result, interrupted, written, read) = execute(cell, file: notebook.file, with: interpreter, options: options, silent: place != .inside)
            if let settle = options.settleCell {
                let settled = settle(cell, result.error, interrupted)
                interrupted = settled.interrupted
                if settled.0 != result.error {
                    result.error = settled.0
                    result.status = settled.0 == nil ? .completed : .failed
                }
            }
            let cellSeeds = Array(options.seeds().dropFirst(seedsBefore))
            cache?.ran(cell, key: key ?? "", result: result, seeds: cellSeeds, writtenFiles: written, readFiles: read, date: options.date)
            if place == .inside || result.error != nil {
                results.append(result)
                seeds += cellSeeds
            }
            guard let error = result.error else { continue }
            if interrupted || !(cellOptions.allowError || options.keepGoing) {
                stop = RunStop(cell: cell, error: error, interrupted: interrupted)
                break
            }
            if !cellOptions.allowError { failed = true }
        }

        var status: ExitStatus = stop.map { $0.interrupted ? .interrupted : .cellFailed } ?? (failed ? .cellFailed : .success)
        var result = RunResult(status: status, cells: results, parameters: parameters, stop: stop, messages: [])
        var report = Report(notebook: notebook, date: options.date, environment: options.environment,
                            parameters: parameters, seeds: seeds, results: results, stop: stop,
                            totalSeconds: options.timeSource.now() - runStart)
        report.selection = range.description
        do {
            result.reportPath = try ReportWriter.write(report, to: options.outputDirectory)
        } catch {
            result.messages.append(describeError(error))
            if status == .success { status = .cellFailed }
            result.status = status
        }
        Runner.finishOutputFolder(&result, options)
        return result
    }

    private struct RecomputeFailure: Error {
        var cell: Cell
        var diagnostic: Diagnostic
    }

    /// Runs one cell; `silent` cells (run only for the state they leave) show nothing as they go.
    func execute(_ cell: Cell, file: String?, with interpreter: Interpreter, options: RunOptions, silent: Bool = false) -> (CellResult, interrupted: Bool, written: [String], read: [String]) {
        let output = Output { item in if !silent { options.onOutput?(cell, item) } }
        let start = options.timeSource.now()
        var problem: Diagnostic?
        var interrupted = false
        do {
            try interpreter.run(cell.text, file: file, firstLine: cell.startLine, output: output)
        } catch let failure as RuntimeError {
            problem = failure.diagnostic
            interrupted = failure.isInterruption
        } catch let failure as ParseError {
            problem = failure.diagnostic
        } catch {
            problem = Diagnostic(message: describeError(error), location: SourceLocation(file: file, line: cell.startLine, column: 1))
        }
        let seconds = options.timeSource.now() - start
        let result = CellResult(cell: cell, status: problem == nil ? .completed : .failed, outputs: output.takeItems(),
                                seconds: seconds, error: problem)
        return (result, interrupted || (problem != nil && options.interrupt.isRequested), output.writtenFiles, output.readFiles)
    }

    // MARK: - Checking

    /// Every problem `check` can find without running: parse errors, unknown
    /// commands, verbs, arguments and variables, missing required arguments,
    /// and literal values of the wrong type. Cells marked `skip` are ignored;
    /// cells marked `allow-error` are not reported on, since they may fail on purpose.
    public func check(_ notebook: Notebook, predefinedVariables: Set<String> = []) -> [Diagnostic] {
        var checker = Checker(registry: registry, predefinedVariables: predefinedVariables)
        var problems: [Diagnostic] = []
        for cell in notebook.runnableCells {
            let allowError = cell.options?.allowError ?? false
            do {
                let script = try Parser.parse(cell.text, file: notebook.file, firstLine: cell.startLine)
                problems += checker.check(script, reporting: !allowError)
            } catch {
                if !allowError, let error = error as? ParseError { problems.append(error.diagnostic) }
                checker.reportsUnknownVariables = false
            }
        }
        return problems
    }

    /// `dnb check FILE`: reads, parses and checks the file. The status is
    /// `.success`, `.invalidInput` (problems found) or `.usage` (unreadable).
    public func check(file path: String, predefinedVariables: Set<String> = []) -> (status: ExitStatus, problems: [String]) {
        do {
            let problems = check(try Runner.load(path), predefinedVariables: predefinedVariables)
            return (problems.isEmpty ? .success : .invalidInput, problems.map(\.description))
        } catch let error as ParseError {
            return (.invalidInput, [error.description])
        } catch {
            return (.usage, [describeError(error)])
        }
    }

    /// Lines describing each parameter for `dnb run FILE --help`:
    /// `  --set epochs=<int>  Training epochs (default: 1)`.
    public static func parameterHelp(_ declarations: [ParameterDeclaration]) -> String {
        guard !declarations.isEmpty else { return "This notebook declares no parameters.\n" }
        let labels = declarations.map { "--set \($0.name)=<\($0.type)>" }
        let width = labels.map(\.count).max() ?? 0
        var lines = ["Parameters:"]
        for (declaration, label) in zip(declarations, labels) {
            let help = declaration.help.map { $0 + " " } ?? ""
            lines.append("  " + HelpFormatter.padded(label, width) + "  " + help + "(default: \(declaration.defaultValue.literal))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The parameters a notebook declares, in order, for `dnb run FILE --help`.
    /// Cells marked `skip` do not count: they never run. Throws the first `ParseError`.
    public static func parameters(of notebook: Notebook) throws -> [ParameterDeclaration] {
        try declarations(in: notebook.runnableCells.map {
            try Parser.parse($0.text, file: notebook.file, firstLine: $0.startLine)
        })
    }

    /// Declarations from the cells that parse; `run` refuses to start when
    /// a cell that must run does not parse, so none are missed there.
    static func declarations(in notebook: Notebook) -> [ParameterDeclaration] {
        declarations(in: notebook.runnableCells.compactMap {
            try? Parser.parse($0.text, file: notebook.file, firstLine: $0.startLine)
        })
    }

    /// Top-level `param` statements, first declaration of each name.
    private static func declarations(in scripts: [Script]) -> [ParameterDeclaration] {
        var declarations: [ParameterDeclaration] = []
        for script in scripts {
            for case .parameter(let declaration) in script.statements.map(\.kind)
            where !declarations.contains(where: { $0.name == declaration.name }) {
                declarations.append(declaration)
            }
        }
        return declarations
    }

    /// Applies overrides to declarations; an override of an undeclared
    /// parameter or with a value of the wrong type is an error.
    static func bind(_ declarations: [ParameterDeclaration], to overrides: [ParameterOverride]) throws -> [ParameterBinding] {
        let names = declarations.map(\.name)
        for override in overrides where !names.contains(override.name) {
            var message = "--set \(override.name)=\(override.text): the notebook declares no parameter '\(override.name)'"
            if let near = Suggestions.nearest(to: override.name, in: names) {
                message += "; did you mean '\(near)'?"
            } else if !names.isEmpty {
                message += " (it declares: \(names.joined(separator: ", ")))"
            }
            throw ArgumentError(argument: override.name, message)
        }
        return try declarations.map { declaration in
            // The last --set of a name wins, as with most command-line tools.
            if let override = overrides.last(where: { $0.name == declaration.name }) {
                return ParameterBinding(declaration: declaration, value: try override.value(for: declaration.type), source: .override)
            }
            return ParameterBinding(declaration: declaration, value: declaration.defaultValue, source: .defaultValue)
        }
    }
}

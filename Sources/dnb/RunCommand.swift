import ArgumentParser
import DNBCommands
import DNBLanguage
import DNBReportHTML
import DNBSupport
import Foundation

/// `dnb run FILE.dnb`: runs a notebook's code cells in order, showing their
/// output as it is produced, and writes `report.md`.
struct RunCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "run",
            abstract: "Run a .dnb notebook and write its report.",
            discussion: """
                `dnb run FILE.dnb --help` lists the parameters the notebook declares.
                Exit status: 0 success, 1 a cell failed, 64 usage error (also: the output folder is in use by another run), \
                65 the notebook fails check, 130 interrupted (Ctrl-C), 143 SIGTERM, 129 SIGHUP.
                Ctrl-C, SIGTERM and SIGHUP stop the run at the next check and write a partial report; a second one quits at once.
                """)
    }

    @ArgumentParser.Argument(help: ArgumentHelp("The notebook to run.", valueName: "file.dnb"))
    var file: String

    @Option(name: [.customLong("out"), .customShort("o")],
            help: ArgumentHelp("Directory for report.md and figures (default: out/<notebook name>).", valueName: "dir"))
    var outputDirectory: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override a notebook parameter; repeatable.", valueName: "name=value"))
    var overrides: [String] = []

    @Flag(name: .long, help: "Run the remaining cells after a failing cell.")
    var keepGoing = false

    @Option(name: .long, help: ArgumentHelp("Run only this cell (id or number); the cells before it run first for their state, from the cache where it holds them.", valueName: "cell"))
    var only: String?

    @Option(name: .long, help: ArgumentHelp("Run from this cell (id or number) to the end; the cells before it as with --only.", valueName: "cell"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Run up to and including this cell (id or number).", valueName: "cell"))
    var until: String?

    @OptionGroup var cache: CacheOptions

    @Option(name: .long, help: ArgumentHelp("Also write the executed notebook: ipynb (DIR/<notebook name>.ipynb, with every cell's outputs).", valueName: "ipynb"))
    var to: ExecutedNotebookFormat?

    @Flag(name: .long, help: "Also write report.html: one self-contained page, figures embedded, no network needed.")
    var html = false

    @OptionGroup var global: GlobalOptions

    /// `out/<file name without extension>`.
    static func defaultOutputDirectory(for file: String) -> String {
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return "out/" + (name.isEmpty ? "notebook" : name)
    }

    func validate() throws {
        if [only, from, until].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --only, --from and --until")
        }
    }

    var selection: CellSelection? {
        if let only { return CellSelection(.only, only) }
        if let from { return CellSelection(.from, from) }
        return until.map { CellSelection(.until, $0) }
    }

    /// report.html beside report.md; figures that could not be embedded are named on stderr.
    static func writeHTML(reportPath: String) throws -> [String] {
        let (_, problems) = try HTMLReport.convert(markdownFile: reportPath)
        for problem in problems { Terminal.errLine("dnb: warning: \(problem)") }
        return [HTMLReport.fileName]
    }

    func run() throws {
        try global.apply()
        let group = DistributedRun.start(threadsGiven: global.threads != nil)
        var scratch: String?
        // Under mpirun every rank ends through MPI_Finalize, with rank 0's status.
        let exit: (Int32) throws -> Never = { status in
            scratch.map(DistributedRun.removeScratch)
            if let group { group.finish(status: status) }
            throw ExitCode(status)
        }
        let file = ValueType.expandingTilde(file)
        let notebook: Notebook
        var overrides = self.overrides
        do {
            if let group {
                let input = try DistributedRun.rootInput(notebook: file, overrides: overrides, group)
                overrides = input.overrides
                notebook = try Notebook(parsing: input.text, file: file)
            } else {
                notebook = try Runner.load(file)
            }
        } catch let error as ParseError {
            Terminal.errLine("\(error)")
            try exit(ExitStatus.invalidInput.rawValue)
        } catch {
            Terminal.errLine("dnb: \(error)")
            try exit(ExitStatus.usage.rawValue)
        }

        var options = RunOptions(outputDirectory: outputDirectory.map(ValueType.expandingTilde) ?? Self.defaultOutputDirectory(for: file))
        var scratchError: String?
        if let group, !group.isRoot {
            // This rank's files go to a private folder; what earlier runs left is read from the real one.
            do {
                let folder = try DistributedRun.privateOutputDirectory(for: options.outputDirectory, rank: group.rank)
                options.sharedOutputDirectory = options.outputDirectory
                options.outputDirectory = folder.directory
                scratch = folder.scratch
            } catch {
                scratchError = describeError(error)
            }
        }
        options.overrides = overrides
        options.keepGoing = keepGoing
        options.environment = EnvironmentReport.current().map { (key: $0.0, value: $0.1) }
        if let group { options.environment.append((key: "MPI", value: "\(group.library), \(group.size) ranks")) }
        let progress = RunProgress(notebook: notebook, file: file, outputDirectory: options.outputDirectory)
        options.onCellStart = progress.cellStarted
        options.onCellRestored = progress.cellRestored
        options.onOutput = progress.output
        options.onMessage = { Terminal.errLine("dnb: " + $0) }
        options.selection = selection
        if html, group?.isRoot ?? true { options.renderReport = Self.writeHTML }
        if let group {
            // Every rank starts the cells, or none: a rank that cannot set up (its private folder, rank 0's output
            // folder in use) fails the run on all.
            options.settleSetup = { error in
                let own = (scratchError ?? error).map { Diagnostic(message: $0, location: SourceLocation(file: file, line: 1, column: 1)) }
                return DistributedRun.settle(own, interrupted: false, at: SourceLocation(file: file, line: 1, column: 1), group).0?.message
            }
            options.settleCell = { cell, error, interrupted in
                DistributedRun.settle(error, interrupted: interrupted, at: SourceLocation(file: file, line: cell.startLine, column: 1), group)
            }
        }

        // `help` wraps to COLUMNS (else the terminal): a report must not depend on the terminal it was made in.
        setenv("COLUMNS", "80", 1)
        Sigint.reset()
        Sigint.install(.batch)
        let workspace = Workspace(verbose: global.verbose)
        if let group {
            DistributedRun.attach(group, to: workspace)
            // The ranks must take the same path through every cell; a cache on one node's disk cannot promise that.
            if group.isRoot { Terminal.errLine("dnb: rank 0 of \(group.size) (\(group.library)); the cell cache is off under mpirun") }
        } else {
            options.cache = try cache.settings(outputDirectory: options.outputDirectory, workspace: workspace)
        }
        options.seeds = { workspace.seedLog.map { (key: $0.location, value: String($0.seed)) } }
        let runner = Runner(registry: CommandRegistry.dnb(workspace: workspace))
        let result = runner.run(notebook, options: options)
        progress.finish(result)
        let written = to.map { _ in group?.isRoot ?? true ? ExecutedNotebookFormat.write(result, notebook: file, outputDirectory: options.outputDirectory) : true } ?? true
        if !written && result.status == .success { try exit(ExitStatus.cellFailed.rawValue) }
        // 128 + the signal that stopped the run: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP.
        try exit(result.status == .interrupted ? Sigint.interruptedStatus : result.status.rawValue)
    }
}

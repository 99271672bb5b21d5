import ArgumentParser
import DNBDistributed
import DNBLanguage

/// `dnb` / `dnb repl`: the interactive session, or a script read from stdin.
struct REPLCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "repl",
            abstract: "Start the REPL (the default); reads commands from stdin when it is not a terminal.",
            discussion: """
                At a terminal: line editing, Tab completion and history (in $XDG_STATE_HOME/dnb/history). \
                `save session FILE.dnb` writes the entries that ran as a notebook. Ctrl-C interrupts a running \
                command or clears the line; Ctrl-D exits.
                From a pipe (`echo 'print 1' | dnb`): runs each entry without prompts; the exit status is 1 if \
                any failed (the first failure is reported as <stdin>:LINE:COL), 130 if interrupted (143 SIGTERM, 129 SIGHUP); \
                `exit` or `quit` ends the input early.
                """)
    }

    @Option(name: [.customLong("out"), .customShort("o")],
            help: ArgumentHelp("Directory for figures and other files commands write.", valueName: "dir"))
    var outputDirectory = "out/repl"

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try global.apply(warnOnly: Terminal.stdinIsTerminal)
        if let group = DistributedRun.start(threadsGiven: global.threads != nil) {
            try runScript(group)
        }
        let shell = REPLShell(outputDirectory: ValueType.expandingTilde(outputDirectory), verbose: global.verbose)
        let status: Int32
        if Terminal.stdinIsTerminal {
            status = InteractiveREPL(shell: shell).run()
        } else {
            status = PipedREPL(shell: shell).run()
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Under mpirun: the script on rank 0's stdin, run by every rank (the piped REPL; no prompts).
    private func runScript(_ group: ProcessGroup) throws -> Never {
        var directory = ValueType.expandingTilde(outputDirectory)
        var scratch: String?
        var problem: Diagnostic?
        let start = SourceLocation(file: "<stdin>", line: 1, column: 1)
        if !group.isRoot {
            do {
                let folder = try DistributedRun.privateOutputDirectory(for: directory, rank: group.rank)
                (directory, scratch) = (folder.directory, folder.scratch)
            } catch {
                problem = Diagnostic(message: "\(error)", location: start)
            }
        }
        // Every rank starts the script, or none.
        if let failure = DistributedRun.settle(problem, interrupted: false, at: start, group).0 {
            Terminal.errLine("dnb: \(failure.message)")
            scratch.map(DistributedRun.removeScratch)
            group.finish(status: ExitStatus.usage.rawValue)
        }
        let shell = REPLShell(outputDirectory: directory, verbose: global.verbose)
        if scratch != nil { shell.interpreter.sharedOutputDirectory = ValueType.expandingTilde(outputDirectory) }
        DistributedRun.attach(group, to: shell.workspace)
        let status = PipedREPL(shell: shell, group: group).run()
        scratch.map(DistributedRun.removeScratch)
        group.finish(status: status)
    }
}

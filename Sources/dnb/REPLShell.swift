import DNBCommands
import DNBSupport
import DNBLanguage

/// The state of a REPL session, whoever feeds it lines: one interpreter with
/// every dnb command, the session's successful entries for `save session`,
/// and how each entry's output and errors are shown.
final class REPLShell {
    enum Outcome {
        case success
        case failed(Diagnostic)
        case interrupted(Diagnostic)
    }

    let workspace: Workspace
    let registry: CommandRegistry
    let interpreter: Interpreter
    var session = Session()

    init(outputDirectory: String, verbose: Bool = false) {
        workspace = Workspace(verbose: verbose)
        registry = CommandRegistry.dnb(workspace: workspace)
        interpreter = Interpreter(registry: registry, outputDirectory: outputDirectory)
        SaveSession.register(in: registry, shell: self)
    }

    /// `exit` or `quit` alone on a line, when no command of that name is registered.
    static func isExitRequest(_ entry: String, registry: CommandRegistry) -> Bool {
        let word = entry.trimmingSpaces
        return ["exit", "quit"].contains(word) && registry.command(named: word) == nil
    }

    /// Runs one complete entry (possibly several lines), echoing output as it
    /// comes and printing any error with its diagnostic. Successful entries
    /// are recorded for `save session`, except the `save` commands themselves.
    func execute(_ entry: String, file: String? = nil, firstLine: Int = 1) -> Outcome {
        let directory = interpreter.outputDirectory
        InlineFigures.configure(interactive: Terminal.stdinIsTerminal)
        let output = Output { item in InlineFigures.echo(item, outputDirectory: directory) }
        let outcome: Outcome
        do {
            try interpreter.run(entry, file: file, firstLine: firstLine, output: output)
            outcome = .success
        } catch let error as RuntimeError {
            outcome = error.isInterruption || interpreter.interrupt.isRequested ? .interrupted(error.diagnostic) : .failed(error.diagnostic)
        } catch let error as ParseError {
            outcome = .failed(error.diagnostic)
        } catch {
            outcome = .failed(Diagnostic(message: describeError(error), location: SourceLocation(file: file, line: firstLine, column: 1)))
        }
        switch outcome {
        case .success:
            if !SaveSession.isSaveCommand(entry) { session.record(entry) }
        case .failed(let diagnostic):
            Terminal.errLine(diagnostic.description)
        case .interrupted(let diagnostic):
            // At a terminal the ^C echo is still on the line.
            let lead = Terminal.stdinIsTerminal ? "\n" : ""
            Terminal.errLine(lead + "interrupted at \(diagnostic.location)")
        }
        return outcome
    }
}

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
        REPLRun.register(in: registry, shell: self)
    }

    /// `exit` or `quit` alone on a line, when no command of that name is registered.
    static func isExitRequest(_ entry: String, registry: CommandRegistry) -> Bool {
        let word = entry.trimmingSpaces
        return ["exit", "quit"].contains(word) && registry.command(named: word) == nil
    }

    /// Runs one complete entry (possibly several lines), echoing output as it
    /// comes and printing any error with its diagnostic.
    func execute(_ entry: String, file: String? = nil, firstLine: Int = 1) -> Outcome {
        let directory = interpreter.outputDirectory
        InlineFigures.configure(interactive: Terminal.stdinIsTerminal)
        let output = Output { item in InlineFigures.echo(item, outputDirectory: directory) }
        let outcome = run(entry, file: file, firstLine: firstLine, output: output)
        switch outcome {
        case .success:
            break
        case .failed(let diagnostic):
            Terminal.errLine(diagnostic.description)
        case .interrupted(let diagnostic):
            // At a terminal the ^C echo is still on the line. The entry is named, not a bare
            // position such as `1:1`; piped input also has a real place (<stdin>:LINE:COL).
            let lead = Terminal.stdinIsTerminal ? "\n" : ""
            let place = file.map { _ in " at \(diagnostic.location)" } ?? ""
            Terminal.errLine(lead + "\(diagnostic.message)\(place): \(Self.summary(of: entry))")
        }
        return outcome
    }

    /// Runs one entry with its output going to `output` (the terminal, or the Jupyter kernel's messages).
    /// Successful entries are recorded for `save session`, except the `save` commands themselves.
    func run(_ entry: String, file: String?, firstLine: Int, output: Output) -> Outcome {
        let outcome: Outcome
        let stepBefore = workspace.training?.trainer.step
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
            // `run FILE` records the notebook's cells itself (REPLRun), so that a saved session replays them.
            if !SaveSession.isSaveCommand(entry) && !REPLRun.isRunCommand(entry) { session.record(entry) }
        case .failed:
            break
        case .interrupted:
            // A `train` stopped by Ctrl-C kept its steps: the replay trains exactly as far.
            if let step = workspace.training?.trainer.step, step != stepBefore, let replay = Self.replayOfInterruptedTrain(entry, step: step, scheduleSteps: workspace.training?.trainer.learningRate?.totalSteps) {
                session.record(replay)
            }
        }
        return outcome
    }

    /// An entry that is one `train` command, with `max_steps` set to the step it reached; nil for other entries.
    /// A cosine learning-rate schedule keeps the length it was planned with (`schedule_steps`), which would
    /// otherwise follow the new max_steps and change every step's rate. `let r = train …` is replayed as
    /// `train …`: the interrupted command bound nothing.
    static func replayOfInterruptedTrain(_ entry: String, step: Int, scheduleSteps: Int? = nil) -> String? {
        guard let script = try? Parser.parse(entry), script.statements.count == 1 else { return nil }
        var text = entry.trimmingTrailingSpaces
        let call: CommandCall
        switch script.statements[0].kind {
        case .command(let command): call = command
        case .commandAssignment(_, let command) where command.location.line == 1:
            call = command
            text = String(text.dropFirst(command.location.column - 1))
        default: return nil
        }
        guard call.name == "train", call.arguments.allSatisfy({ $0.name != nil }) else { return nil }
        if let range = text.range(of: #"(?<![A-Za-z0-9_])max_steps\s*=\s*[^\s]+"#, options: .regularExpression) {
            text = text.replacingCharacters(in: range, with: "max_steps=\(step)")
        } else {
            text += " max_steps=\(step)"
        }
        if let scheduleSteps, call.arguments.contains(where: { $0.name == "lr_schedule" }),
           !call.arguments.contains(where: { $0.name == "schedule_steps" }) {
            text += " schedule_steps=\(scheduleSteps)"
        }
        return text
    }

    /// The entry's first line, shortened to fit a message: `train max_steps=1000 …`.
    static func summary(of entry: String) -> String {
        let line = entry.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init)?.trimmingSpaces ?? ""
        let more = entry.contains("\n") ? " …" : ""
        return line.count > 60 ? String(line.prefix(59)) + "…" : line + more
    }
}

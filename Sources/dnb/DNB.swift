import ArgumentParser
import DNBCommands

/// `dnb`: a literate, scriptable REPL for diffusion experiments.
/// With no subcommand it starts the REPL; `run` and `check` work on `.dnb` notebooks.
@main
struct DNB: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "dnb",
            abstract: "A literate, scriptable REPL for diffusion experiments.",
            discussion: """
                With no subcommand, dnb starts the REPL (reading commands from stdin when it is not a terminal).
                Notebooks are Markdown files with ```dnb code cells; see docs/language.md and docs/cli.md.
                """,
            version: EnvironmentReport.version,
            subcommands: Subcommands.all,
            defaultSubcommand: Subcommands.default
        )
    }

    /// Accepted before the subcommand too: `dnb --threads 2 run FILE`.
    @OptionGroup var global: GlobalOptions

    /// `dnb run FILE --help` describes the notebook's parameters; argument-parser
    /// would otherwise answer `--help` itself, so that case is handled first.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let request = NotebookHelp.request(in: arguments) {
            ExitCode(request.print()).exitProcess()
        }
        main(arguments)
    }
}

extension ExitCode {
    /// Ends the process with this code.
    func exitProcess() -> Never {
        DNB.exit(withError: self == .success ? nil : self)
    }
}

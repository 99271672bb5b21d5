import ArgumentParser
import DNBCommands
import DNBLanguage
import DNBSupport
import Foundation

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
        switch SubcommandGuess.resolve(arguments) {
        case .arguments(let resolved): main(resolved)
        case .unknown(let message):
            Terminal.errLine("dnb: " + message)
            ExitCode(ExitStatus.usage.rawValue).exitProcess()
        }
    }
}

/// What a first word that is not a subcommand means: a notebook (`dnb notebook.dnb` runs it as
/// `dnb run notebook.dnb` would), a misspelt subcommand (`dnb chek x.dnb`: refused with a
/// suggestion), or anything else, left to the default subcommand (the REPL) to judge.
enum SubcommandGuess {
    enum Outcome: Equatable {
        case arguments([String])
        case unknown(String)
    }

    static func resolve(_ arguments: [String]) -> Outcome {
        var index = 0
        // Global options may come first: `dnb --threads 2 notebook.dnb`.
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "-" {
            if arguments[index] == "--" { return .arguments(arguments) }
            index += ["--threads", "--out", "-o"].contains(arguments[index]) ? 2 : 1
        }
        guard index < arguments.count else { return .arguments(arguments) }
        let word = arguments[index]
        let names = Subcommands.all.map { $0._commandName } + ["help"]
        if names.contains(word) { return .arguments(arguments) }
        var isDirectory: ObjCBool = false
        if word.hasSuffix(".dnb") || (FileManager.default.fileExists(atPath: ValueType.expandingTilde(word), isDirectory: &isDirectory) && !isDirectory.boolValue) {
            var resolved = arguments
            resolved.insert(RunCommand._commandName, at: index)
            return .arguments(resolved)
        }
        if let guess = Suggestions.nearest(to: word, in: names.filter { $0 != "help" }) {
            return .unknown("unknown subcommand '\(word)'; did you mean `dnb \(([guess] + arguments[(index + 1)...]).joined(separator: " "))`? (subcommands: \(names.joined(separator: ", ")))")
        }
        return .arguments(arguments)
    }
}

extension ExitCode {
    /// Ends the process with this code.
    func exitProcess() -> Never {
        DNB.exit(withError: self == .success ? nil : self)
    }
}

import ArgumentParser
import DNBLanguage

/// `dnb run FILE --help`: the usual help for `run` followed by the parameters
/// the notebook declares, with their types, defaults and help.
struct NotebookHelp {
    var file: String

    /// Recognises `[global options] run … FILE … --help` (or `-h`). Without a
    /// FILE, argument-parser's own help for `run` applies.
    static func request(in arguments: [String]) -> NotebookHelp? {
        var index = 0
        // Skip options before the subcommand name.
        while index < arguments.count, arguments[index].hasPrefix("-") {
            index += takesValue(arguments[index]) ? 2 : 1
        }
        guard index < arguments.count, arguments[index] == RunCommand.configuration.commandName else { return nil }
        index += 1
        var file: String?
        var wantsHelp = false
        var positionalOnly = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if positionalOnly || !argument.hasPrefix("-") || argument == "-" {
                if file == nil { file = argument }
            } else if argument == "--" {
                positionalOnly = true
            } else if argument == "--help" || argument == "-h" {
                wantsHelp = true
            } else if takesValue(argument) {
                index += 1
            }
        }
        guard wantsHelp, let file else { return nil }
        return NotebookHelp(file: ValueType.expandingTilde(file))
    }

    /// Options of `run` and the global options that take a separate value.
    private static func takesValue(_ option: String) -> Bool {
        !option.contains("=") && ["--out", "-o", "--set", "--threads"].contains(option)
    }

    /// Prints the help and returns the exit code: 0, or 64 / 65 when the notebook cannot be read or parsed.
    func print() -> Int32 {
        Terminal.out(DNB.helpMessage(for: RunCommand.self) + "\n\n")
        do {
            let notebook = try Runner.load(file)
            let title = notebook.title.map { ": \($0)" } ?? ""
            Terminal.out("Notebook \(file)\(title)\n")
            Terminal.out(Runner.parameterHelp(try Runner.parameters(of: notebook)))
            return ExitStatus.success.rawValue
        } catch let error as ParseError {
            Terminal.errLine("dnb: \(error)")
            return ExitStatus.invalidInput.rawValue
        } catch {
            Terminal.errLine("dnb: \(error)")
            return ExitStatus.usage.rawValue
        }
    }
}

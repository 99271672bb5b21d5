import ArgumentParser
import DNBCommands
import DNBLanguage

/// `dnb check FILE.dnb`: every problem that can be found without running.
struct CheckCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "check",
            abstract: "Validate a .dnb notebook without running it.",
            discussion: "Prints each problem as file:line:col: message. Exit status: 0 no problems, 65 problems found, 64 unreadable file.")
    }

    @ArgumentParser.Argument(help: ArgumentHelp("The notebook to check.", valueName: "file.dnb"))
    var file: String

    func run() throws {
        let runner = Runner(registry: CommandRegistry.dnb(workspace: Workspace()))
        let file = ValueType.expandingTilde(file)
        let (status, problems) = runner.check(file: file)
        let prefix = status == .usage ? "dnb: " : ""
        for problem in problems { Terminal.errLine(prefix + problem) }
        switch status {
        case .success:
            Terminal.out("\(file): ok\n")
        case .invalidInput:
            Terminal.errLine("\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s")")
        default:
            break
        }
        throw ExitCode(status.rawValue)
    }
}

import ArgumentParser
import DNBLanguage
import DNBReportHTML
import DNBSupport

/// `dnb report FILE.md --to html`: a report (or any Markdown file) as another format, today one
/// self-contained HTML page with the figures embedded.
struct ReportCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "report",
            abstract: "Convert a run's report.md to another format.",
            discussion: """
                --to html writes one self-contained page (figures embedded, a table of contents, no network \
                needed to view it) beside the Markdown file: out/nb/report.md → out/nb/report.html.
                Exit status: 0 written (a figure that could not be embedded is named on stderr), 64 usage error \
                (unreadable file, unwritable output).
                """)
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case html
    }

    @ArgumentParser.Argument(help: ArgumentHelp("The Markdown report, e.g. out/mnist-diffusion/report.md.", valueName: "file.md"))
    var file: String

    @Option(name: .customLong("to"), help: ArgumentHelp("The format to write.", valueName: "format"))
    var format: Format = .html

    @Option(name: [.customLong("out"), .customShort("o")],
            help: ArgumentHelp("Where to write (default: beside the Markdown file, with the format's extension).", valueName: "file"))
    var output: String?

    func run() throws {
        let file = ValueType.expandingTilde(file)
        do {
            let (path, problems) = try HTMLReport.convert(markdownFile: file, to: output.map(ValueType.expandingTilde))
            for problem in problems { Terminal.errLine("dnb: warning: \(problem)") }
            Terminal.out("wrote \(path)\n")
        } catch {
            Terminal.errLine("dnb: \(describeError(error))")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
    }
}

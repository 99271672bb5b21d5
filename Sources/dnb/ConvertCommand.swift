import ArgumentParser
import DNBCommands
import DNBJupyter
import DNBLanguage
import DNBSupport
import Foundation

/// `dnb convert FILE.dnb --to ipynb` and `dnb convert FILE.ipynb --to dnb`.
struct ConvertCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case ipynb, dnb
    }

    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "convert",
            abstract: "Convert a .dnb notebook to a Jupyter .ipynb, or back.",
            discussion: """
                The round trip .dnb → .ipynb → .dnb gives back the same file: cell options and the layout \
                Markdown cannot carry are kept in the cells' metadata.dnb. Exit status: 0, 64 unreadable \
                input or unwritable output, 65 the input is not a valid notebook.
                """)
    }

    @ArgumentParser.Argument(help: ArgumentHelp("The notebook to convert (.dnb or .ipynb).", valueName: "file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("The format to write.", valueName: "ipynb|dnb"))
    var to: Format

    @Option(name: [.customLong("output"), .customShort("o")],
            help: ArgumentHelp("The file to write (default: FILE with the new extension; - for stdout).", valueName: "path"))
    var output: String?

    func run() throws {
        let input = ValueType.expandingTilde(file)
        if input.hasSuffix("." + to.rawValue) {
            Terminal.errLine("dnb convert: \(input) is already a .\(to.rawValue) notebook; convert it --to \(to == .dnb ? "ipynb" : "dnb")")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let target = output.map(ValueType.expandingTilde) ?? Self.defaultOutput(for: input, to: to)
        guard target == "-" || URL(fileURLWithPath: target).standardized.path != URL(fileURLWithPath: input).standardized.path else {
            Terminal.errLine("dnb convert: the output would replace the input \(input); give another with --output")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let text: String
        do {
            text = try Self.read(input)
        } catch {
            Terminal.errLine("dnb convert: \(describeError(error))")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let converted: String
        do {
            converted = try Self.convert(text, file: input, to: to)
        } catch {
            Terminal.errLine(error is ParseError ? "\(error)" : "dnb convert: \(describeError(error))")
            throw ExitCode(ExitStatus.invalidInput.rawValue)
        }
        do {
            if target == "-" { Terminal.out(converted) } else { try AtomicFile.write(converted, to: target) }
        } catch {
            Terminal.errLine("dnb convert: \(describeError(error))")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        if target != "-" { Terminal.errLine("wrote \(target)") }
    }

    static func convert(_ text: String, file: String, to format: Format) throws -> String {
        switch format {
        case .ipynb: return try DNBToIPynb(version: EnvironmentReport.version).convert(text, file: file).pretty
        case .dnb: return try IPynbToDNB.convert(try JSON(parsing: text), file: file)
        }
    }

    /// `notebooks/quickstart.dnb` → `notebooks/quickstart.ipynb`, and back.
    static func defaultOutput(for input: String, to format: Format) -> String {
        let url = URL(fileURLWithPath: input)
        let base = url.pathExtension.isEmpty ? input : String(input.dropLast(url.pathExtension.count + 1))
        return base + "." + format.rawValue
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw FileError("cannot read \(path): it is a folder")
            }
            throw FileError("read", path, errno: FileManager.default.fileExists(atPath: path) ? EACCES : ENOENT)
        }
        guard let text = String(validating: data, as: UTF8.self) else { throw FileError("cannot read \(path): it is not UTF-8 text") }
        return text
    }
}

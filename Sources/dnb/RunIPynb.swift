import ArgumentParser
import DNBCommands
import DNBJupyter
import DNBLanguage
import DNBSupport
import Foundation

/// `dnb run FILE --to ipynb`: the executed notebook beside the report, with the outputs the kernel would
/// have sent for each cell (docs/jupyter.md).
enum ExecutedNotebookFormat: String, ExpressibleByArgument, CaseIterable {
    case ipynb

    /// Writes `DIR/<name>.ipynb` when cells ran; says where, or why it could not. False when writing failed.
    static func write(_ result: RunResult, notebook file: String, outputDirectory: String) -> Bool {
        guard !result.cells.isEmpty else { return true }
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let path = outputDirectory + "/" + (name.isEmpty ? "notebook" : name) + ".ipynb"
        do {
            let text = try ConvertCommand.read(file)
            try ExecutedNotebook(version: EnvironmentReport.version)
                .write(sourceText: text, file: file, result: result, outputDirectory: outputDirectory, to: path)
            Terminal.out("executed notebook: \(path)\n")
            return true
        } catch {
            Terminal.errLine("dnb: cannot write the executed notebook \(path): \(describeError(error))")
            return false
        }
    }
}

import DNBLanguage
import DNBSupport

/// The notebook `dnb run … --to ipynb` writes: the `.dnb` converted as `dnb convert` does, with each code
/// cell's outputs as the kernel would have sent them (stream, display_data, error) and execution counts in
/// the order the cells ran. Cells that did not run (skipped, or after a stop) have no outputs.
public struct ExecutedNotebook {
    public var version: String

    public init(version: String) { self.version = version }

    /// `sourceText` is the notebook file as read; figures are read from `outputDirectory`.
    public func json(sourceText: String, file: String?, result: RunResult, outputDirectory: String) throws -> JSON {
        let document = try DNBToIPynb(version: version).convert(sourceText, file: file)
        let ran = Dictionary(result.cells.filter { $0.cell.isCode && $0.status != .skipped }.map { ($0.cell.number, $0) }) { first, _ in first }
        guard case .object(var members) = document, var cells = members["cells"]?.array else { return document }
        var codeNumber = 0, executionCount = 0
        for index in cells.indices where cells[index]["cell_type"]?.string == "code" {
            codeNumber += 1
            guard let cellResult = ran[codeNumber], case .object(var cell) = cells[index] else { continue }
            executionCount += 1
            cell["execution_count"] = .int(executionCount)
            let interrupted = result.stop.map { $0.interrupted && $0.cell.number == codeNumber } ?? false
            cell["outputs"] = .array(Self.outputs(cellResult, interrupted: interrupted, outputDirectory: outputDirectory).map(\.notebookJSON))
            cells[index] = .object(cell)
        }
        members["cells"] = .array(cells)
        return .object(members)
    }

    /// Writes the executed notebook atomically.
    public func write(sourceText: String, file: String?, result: RunResult, outputDirectory: String, to path: String) throws {
        try AtomicFile.write(try json(sourceText: sourceText, file: file, result: result, outputDirectory: outputDirectory).pretty, to: path)
    }

    static func outputs(_ result: CellResult, interrupted: Bool, outputDirectory: String) -> [JupyterOutput] {
        var outputs = JupyterOutput.merged(result.outputs.map { JupyterOutput.from($0, outputDirectory: outputDirectory) })
        if let error = result.error {
            outputs.append(.error(error, interrupted: interrupted, parse: (try? Parser.parse(result.cell.text)) == nil))
        }
        return outputs
    }
}

extension JupyterOutput {
    /// Consecutive stream outputs of the same name as one, as Jupyter front ends show them.
    public static func merged(_ outputs: [JupyterOutput]) -> [JupyterOutput] {
        var merged: [JupyterOutput] = []
        for output in outputs {
            if case .stream(let name, let text) = output, case .stream(let previousName, let previous)? = merged.last, name == previousName {
                merged[merged.count - 1] = .stream(name: name, text: previous + text)
            } else {
                merged.append(output)
            }
        }
        return merged
    }
}

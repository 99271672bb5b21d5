import DNBLanguage

/// What `dnb run` shows while it runs: a header per code cell, each output
/// item as it is produced, and at the end the error, the status and where the report is.
final class RunProgress {
    let file: String
    let outputDirectory: String
    let total: Int

    init(notebook: Notebook, file: String, outputDirectory: String) {
        self.file = file
        self.outputDirectory = outputDirectory
        self.total = notebook.codeCells.count
    }

    /// `[3/12] train (cell at mnist.dnb:40)`
    func cellStarted(_ cell: Cell) {
        let place = "cell at \(file):\(cell.fenceLine)"
        let header = cell.options?.id.map { "\($0) (\(place))" } ?? place
        Terminal.out("[\(cell.number)/\(total)] \(header)\n")
    }

    func output(_ cell: Cell, _ item: OutputItem) {
        InlineFigures.configure(interactive: false)
        InlineFigures.echo(item, outputDirectory: outputDirectory)
    }

    func finish(_ result: RunResult) {
        let prefix = result.status == .usage ? "dnb: " : ""
        for message in result.messages { Terminal.errLine(prefix + message) }
        if let stop = result.stop {
            let verb = stop.interrupted ? "interrupted" : "stopped"
            Terminal.errLine("dnb: run \(verb) at \(stop.cell.label) (\(file):\(stop.cell.fenceLine))")
            Terminal.errLine(stop.error.description)
        } else {
            for cell in result.cells where cell.status == .failed {
                let note = cell.cell.options?.allowError == true ? " (allowed)" : ""
                Terminal.errLine("dnb: \(cell.cell.label) failed\(note)")
                if let error = cell.error { Terminal.errLine(error.description) }
            }
        }
        let ran = result.cells.filter { $0.cell.isCode && $0.status != .skipped }.count
        if let path = result.reportPath {
            Terminal.out("\(summary(result.status)): \(ran) of \(total) code cells run; report: \(path)\n")
        } else if !result.cells.isEmpty {
            // The report written before the first cell is still there and says the run did not finish.
            Terminal.errLine("dnb: the final report could not be written; \(outputDirectory)/report.md is the one from the start of the run")
        }
    }

    private func summary(_ status: ExitStatus) -> String {
        switch status {
        case .success: "done"
        case .cellFailed: "failed"
        case .interrupted: "interrupted"
        case .usage: "usage error"
        case .invalidInput: "invalid notebook"
        }
    }
}

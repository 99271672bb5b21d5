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

    /// `[3/12] train (cell at mnist.dnb:40): from the cache (ran 3 m 12 s on 2026-11-30 05:20 UTC)`, then its outputs.
    func cellRestored(_ cell: Cell, _ result: CellResult) {
        restoredCount += 1
        let place = "cell at \(file):\(cell.fenceLine)"
        let header = cell.options?.id.map { "\($0) (\(place))" } ?? place
        let origin = result.restored.map { ": from the cache (ran \(formatDuration($0.seconds)) on \(utcTimestamp($0.date)))" } ?? ""
        Terminal.out("[\(cell.number)/\(total)] \(header)\(origin)\n")
        for item in result.outputs { output(cell, item) }
    }

    private var restoredCount = 0

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
            let cached = restoredCount > 0 ? " (\(restoredCount) from the cache)" : ""
            Terminal.out("\(summary(result.status)): \(ran) of \(total) code cells run\(cached); report: \(path)\n")
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

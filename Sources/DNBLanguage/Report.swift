import Foundation
import DNBSupport

/// Everything `report.md` shows about one run.
public struct Report {
    public var notebook: Notebook
    public var date: Date
    public var environment: [(key: String, value: String)]
    public var parameters: [ParameterBinding]
    /// Where each `seed` ran (`file:line`) and its value.
    public var seeds: [(key: String, value: String)]
    /// Cells up to where the run ended.
    public var results: [CellResult]
    public var stop: RunStop?
    public var totalSeconds: Double
    /// The report written before the first cell runs; replaced when the run ends.
    public var inProgress = false
    /// Which part of the notebook ran (`--only`, `--from`, `--until`), when not all of it.
    public var selection: String?

    public var title: String {
        if let title = notebook.title { return title }
        let name = notebook.file.map { String($0.split(separator: "/").last ?? Substring($0)) }
        return name.map { "Run report: \($0)" } ?? "Run report"
    }
}

/// Renders a `Report` as Markdown and writes it atomically.
public enum ReportWriter {
    public static let fileName = "report.md"

    /// Writes `DIRECTORY/report.md` and returns its path.
    @discardableResult
    public static func write(_ report: Report, to directory: String) throws -> String {
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + fileName
        try AtomicFile.write(render(report), to: path)
        return path
    }

    public static func render(_ report: Report) -> String {
        var blocks: [String] = ["# " + report.title, header(report)]
        if let banner = banner(report) { blocks.append(banner) }
        if !report.environment.isEmpty {
            blocks.append("## Environment")
            blocks.append(Markdown.fenced(report.environment.map { "\($0.key): \($0.value)" }.joined(separator: "\n"), info: "text"))
        }
        if !report.parameters.isEmpty {
            blocks.append("## Parameters")
            blocks.append(Markdown.table(Table(
                headers: ["name", "type", "value", "source", "help"],
                rows: report.parameters.map { [$0.name, "\($0.type)", Markdown.code($0.value.literal), $0.source.rawValue, $0.help ?? ""] })))
        }
        if !report.seeds.isEmpty {
            blocks.append("## Seeds")
            blocks.append(Markdown.fenced(report.seeds.map { "\($0.key): seed \($0.value)" }.joined(separator: "\n"), info: "text"))
        }
        blocks.append("---")
        for result in report.results {
            blocks += render(result, in: report)
        }
        if report.stop != nil {
            let ran = Set(report.results.map(\.cell.fenceLine))
            let remaining = report.notebook.codeCells.filter { !ran.contains($0.fenceLine) }.count
            if remaining > 0 {
                blocks.append("*The remaining \(remaining) code cell\(remaining == 1 ? " was" : "s were") not run.*")
            }
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }

    // MARK: - Header

    private static func header(_ report: Report) -> String {
        var lines: [String] = []
        if let file = report.notebook.file { lines.append("- **Notebook:** " + Markdown.code(file)) }
        lines.append("- **Date:** \(Markdown.utcTimestamp(report.date))")
        let ran = report.results.filter { $0.cell.isCode && $0.status != .skipped }.count
        let failures = report.results.filter { $0.status == .failed && $0.cell.options?.allowError == false }.count
        let allowed = report.results.filter { $0.status == .failed && $0.cell.options?.allowError == true }.count
        var status: String
        if report.inProgress {
            lines.append("- **Status:** running; if this line stays, dnb ended before it could write the final report")
            return lines.joined(separator: "\n")
        } else if let stop = report.stop {
            status = stop.interrupted ? "interrupted at \(stop.cell.label)" : "stopped at \(stop.cell.label)"
        } else if failures > 0 {
            status = "finished with \(failures) failed cell\(failures == 1 ? "" : "s")"
        } else {
            status = "completed"
        }
        status += "; \(ran) code cell\(ran == 1 ? "" : "s") run in \(formatDuration(report.totalSeconds))"
        if allowed > 0 { status += " (\(allowed) allowed error\(allowed == 1 ? "" : "s"))" }
        lines.append("- **Status:** " + status)
        if let selection = report.selection { lines.append("- **Part run:** " + Markdown.escapeInline(selection)) }
        return lines.joined(separator: "\n")
    }

    private static func place(of cell: Cell, in report: Report) -> String {
        (report.notebook.file.map { "\($0):" } ?? "line ") + "\(cell.fenceLine)"
    }

    /// The top-of-report notice of a stop or of failures under keep-going.
    private static func banner(_ report: Report) -> String? {
        if let stop = report.stop {
            let verb = stop.interrupted ? "interrupted" : "stopped"
            return "> **Run \(verb) at \(stop.cell.label) (\(place(of: stop.cell, in: report)))**: "
                + Markdown.escapeInline(stop.error.summary)
        }
        let failed = report.results.filter { $0.status == .failed && $0.cell.options?.allowError == false }
        guard !failed.isEmpty else { return nil }
        let list = failed.map { "\($0.cell.label) (\(place(of: $0.cell, in: report)))" }.joined(separator: ", ")
        return "> **Run finished with errors in \(failed.count) cell\(failed.count == 1 ? "" : "s")**: \(list)"
    }

    // MARK: - Cells

    private static func render(_ result: CellResult, in report: Report) -> [String] {
        guard let options = result.cell.options else {
            return proseBlock(result.cell, titleLine: report.notebook.titleLine).map { [$0] } ?? []
        }
        var blocks: [String] = []
        if options.echo { blocks.append(Markdown.fenced(result.cell.text, info: "text")) }
        blocks += outputBlocks(result.outputs)
        if let error = result.error {
            let isStop = report.stop?.cell.fenceLine == result.cell.fenceLine
            let heading: String
            if isStop, report.stop!.interrupted {
                heading = "Interrupted here"
            } else if isStop {
                heading = "Run stopped here"
            } else if options.allowError {
                heading = "Error (allowed by allow-error)"
            } else {
                heading = "Error"
            }
            blocks.append("> **\(heading)**: " + Markdown.escapeInline(error.summary))
            if error.sourceLine != nil { blocks.append(Markdown.fenced(error.description, info: "text")) }
        }
        blocks.append(timingLine(result))
        return blocks
    }

    private static func timingLine(_ result: CellResult) -> String {
        let what: String
        switch result.status {
        case .skipped: what = "skipped"
        case .failed: what = "failed after \(formatDuration(result.seconds))"
        case .completed: what = formatDuration(result.seconds)
        }
        return "<sub>\(result.cell.label) · \(what)</sub>"
    }

    /// Prose without the title heading (already the report's title) and
    /// without surrounding blank lines; nil when nothing is left.
    private static func proseBlock(_ cell: Cell, titleLine: Int?) -> String? {
        var lines = cell.text.split(separator: "\n", omittingEmptySubsequences: false)
        if let titleLine, titleLine >= cell.startLine, titleLine - cell.startLine < lines.count {
            lines.remove(at: titleLine - cell.startLine)
        }
        while lines.first?.allSatisfy(\.isWhitespace) == true { lines.removeFirst() }
        while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private static func outputBlocks(_ items: [OutputItem]) -> [String] {
        items.compactMap { item in
            switch item {
            case .text(let text):
                var text = text
                while text.hasSuffix("\n") { text.removeLast() }
                return text.isEmpty ? nil : Markdown.fenced(text, info: "output")
            case .table(let table):
                var block = Markdown.table(table)
                if let caption = table.caption { block += "\n\n*" + Markdown.escapeInline(caption) + "*" }
                return block
            case .figure(let figure):
                return "![\(Markdown.escapeInline(figure.caption))](\(Markdown.escapeLink(figure.path)))\n\n*"
                    + Markdown.escapeInline(figure.caption) + "*"
            }
        }
    }
}

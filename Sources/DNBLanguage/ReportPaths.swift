import DNBSupport

/// A report is read elsewhere than where it was made, so it names paths as `DisplayPath` shows them:
/// relative to the output folder (where the report is), `~/…`, or relative to the working directory.
/// The terminal keeps the full paths commands print, which are what the person at it can open; the
/// report gets them rewritten here, in one place, whichever command or error printed them. The
/// notebook's code is quoted as written.
extension Report {
    func namingPaths(_ paths: DisplayPath) -> Report {
        var report = self
        report.notebook.file = notebook.file.map(paths.shown)
        report.environment = environment.map { (key: $0.key, value: paths.scrub($0.value)) }
        report.seeds = seeds.map { (key: paths.scrub($0.key), value: $0.value) }
        report.parameters = parameters.map { binding in
            var binding = binding
            if case .string(let text) = binding.value { binding.value = .string(paths.scrub(text)) }
            return binding
        }
        report.results = results.map { $0.namingPaths(paths) }
        if let stop { report.stop?.error = stop.error.namingPaths(paths) }
        return report
    }
}

extension CellResult {
    /// The result with its outputs' and error's paths named as a report names them (also for the
    /// executed notebook, which is shared as the report is).
    public func namingPaths(_ paths: DisplayPath) -> CellResult {
        var result = self
        result.outputs = outputs.map { $0.namingPaths(paths) }
        result.error = error?.namingPaths(paths)
        return result
    }
}

extension Diagnostic {
    func namingPaths(_ paths: DisplayPath) -> Diagnostic {
        var diagnostic = self
        diagnostic.message = paths.scrub(message)
        diagnostic.location.file = location.file.map(paths.shown)
        return diagnostic
    }
}

extension OutputItem {
    func namingPaths(_ paths: DisplayPath) -> OutputItem {
        switch self {
        case .text(let text):
            return .text(paths.scrub(text))
        case .log(let log):
            return .log(Log(topic: log.topic, lines: log.lines.map(paths.scrub)))
        case .table(var table):
            table.headers = table.headers.map(paths.scrub)
            table.rows = table.rows.map { $0.map(paths.scrub) }
            table.caption = table.caption.map(paths.scrub)
            return .table(table)
        case .figure(var figure):
            figure.caption = paths.scrub(figure.caption)
            return .figure(figure)
        }
    }
}

import DNBSupport

extension Runner {
    /// After the final report.md, still holding the output folder's lock: the other renderings of the
    /// report (`RunOptions.renderReport`, e.g. report.html), then the manifest, which removes the previous
    /// run's figures this report no longer references (OutputManifest). Nothing is removed when report.md
    /// could not be written. A rendering that fails fails the run, as report.md's would.
    static func finishOutputFolder(_ result: inout RunResult, _ options: RunOptions) {
        guard let reportPath = result.reportPath else { return }
        var written: [String] = []
        if let render = options.renderReport {
            do {
                written += try render(reportPath)
            } catch {
                result.messages.append(describeError(error))
                if result.status == .success { result.status = .cellFailed }
            }
        }
        let figures = result.cells.flatMap(\.outputs).compactMap { item -> String? in
            if case .figure(let figure) = item { return figure.path }
            return nil
        }
        result.messages += OutputManifest.update(directory: options.outputDirectory, keeping: figures + written)
    }
}

import DNBLanguage

/// The REPL fed from a pipe or file (`echo 'print 1' | dnb`): no prompts and
/// no echo; lines of an unfinished block are joined; every entry runs even
/// after a failure, and the exit status says whether any failed.
struct PipedREPL {
    let shell: REPLShell

    /// 0, 1 if an entry failed (the first is reported as `<stdin>:LINE:COL`), 128 + the signal if interrupted.
    func run() -> Int32 {
        Sigint.reset()
        Sigint.install(.batch)
        let file = "<stdin>"
        var lineNumber = 0
        var pending: String?
        var pendingStart = 1
        var entries = 0
        var failures: [Diagnostic] = []

        func execute(_ entry: String) -> Bool {
            entries += 1
            switch shell.execute(entry, file: file, firstLine: pendingStart) {
            case .success:
                return true
            case .failed(let diagnostic):
                failures.append(diagnostic)
                return true
            case .interrupted:
                return false
            }
        }

        var pendingWaits: Parser.Unfinished?
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            let text: String
            if let pending {
                text = pending + "\n" + line
            } else {
                pendingStart = lineNumber
                text = line
            }
            if pendingWaits == .openBracket, Parser.keepsBracketOpen(line) {
                pending = text
                continue
            }
            pendingWaits = Parser.waitsFor(text)
            if pendingWaits != nil {
                pending = text
                continue
            }
            pending = nil
            if text.allSatisfy(\.isWhitespace) { continue }
            // As at the terminal: `exit` and `quit` end the session, unless a command has that name.
            if REPLShell.isExitRequest(text, registry: shell.registry) { break }
            if !execute(text) {
                Terminal.errLine("dnb: interrupted")
                return Sigint.interruptedStatus
            }
        }
        // An unfinished block at the end of input still runs, to report what is missing.
        if let pending, !execute(pending) { return Sigint.interruptedStatus }

        guard let first = failures.first else { return ExitStatus.success.rawValue }
        let count = failures.count == 1 ? "1 of \(entries) entries" : "\(failures.count) of \(entries) entries"
        Terminal.errLine("dnb: \(count) failed; first at \(first.location): \(first.message)")
        return ExitStatus.cellFailed.rawValue
    }
}

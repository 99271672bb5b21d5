import DNBDistributed
import DNBLanguage

/// The REPL fed from a pipe or file (`echo 'print 1' | dnb`): no prompts and
/// no echo; lines of an unfinished block are joined; every entry runs even
/// after a failure, and the exit status says whether any failed.
struct PipedREPL {
    let shell: REPLShell
    /// Under mpirun: rank 0 reads the script and sends each entry to the others (mpirun gives stdin to rank 0
    /// only); every rank runs it, and they agree on its outcome before the next.
    var group: ProcessGroup? = nil

    /// 0, 1 if an entry failed (the first is reported as `<stdin>:LINE:COL`), 128 + the signal if interrupted.
    func run() -> Int32 {
        Sigint.reset()
        Sigint.install(.batch)
        let file = "<stdin>"
        var lineNumber = 0
        var pendingStart = 1
        var entries = 0
        var failures: [Diagnostic] = []

        func execute(_ entry: String, firstLine: Int) -> Bool {
            entries += 1
            var (error, interrupted): (Diagnostic?, Bool) = switch shell.execute(entry, file: file, firstLine: firstLine) {
            case .success: (nil, false)
            case .failed(let diagnostic): (diagnostic, false)
            case .interrupted(let diagnostic): (diagnostic, true)
            }
            if let group {
                let own = error
                (error, interrupted) = DistributedRun.settle(own, interrupted: interrupted, at: SourceLocation(file: file, line: firstLine, column: 1), group)
                // Another rank's failure: said here, where this rank's own errors were said.
                if own == nil, let error { Terminal.errLine(error.description) }
            }
            if interrupted { return false }
            if let error { failures.append(error) }
            return true
        }

        // Entries as the script gives them: (text, first line), nil at its end or at `exit`.
        var entry = EntryAccumulator()
        var ended = false
        func nextFromInput() -> (String, Int)? {
            while !ended, let line = readLine(strippingNewline: true) {
                lineNumber += 1
                if entry.pending == nil { pendingStart = lineNumber }
                guard let text = entry.add(line) else { continue }
                if text.allSatisfy(\.isWhitespace) { continue }
                // As at the terminal: `exit` and `quit` end the session, unless a command has that name.
                if REPLShell.isExitRequest(text, registry: shell.registry) { ended = true; return nil }
                return (text, pendingStart)
            }
            // An unfinished block at the end of input still runs, to report what is missing.
            if !ended, let pending = entry.pending {
                entry = EntryAccumulator()
                return (pending, pendingStart)
            }
            ended = true
            return nil
        }
        func next() -> (String, Int)? {
            guard let group else { return nextFromInput() }
            do {
                return try DistributedRun.rootEntry(group.isRoot ? nextFromInput() : nil, group)
            } catch {
                Terminal.errLine("dnb: \(error)")
                return nil
            }
        }

        while let (text, firstLine) = next() {
            if !execute(text, firstLine: firstLine) {
                Terminal.errLine("dnb: interrupted")
                return Sigint.interruptedStatus
            }
        }

        guard let first = failures.first else { return ExitStatus.success.rawValue }
        let count = failures.count == 1 ? "1 of \(entries) entries" : "\(failures.count) of \(entries) entries"
        Terminal.errLine("dnb: \(count) failed; first at \(first.location): \(first.message)")
        return ExitStatus.cellFailed.rawValue
    }
}

import CReadline
import DNBCommands
import DNBLanguage
import DNBTerminalGraphics
#if canImport(Glibc)
import Glibc
#endif

/// The REPL at a terminal: GNU readline with `dnb> ` and `...> ` prompts,
/// Tab completion, persistent history, Ctrl-C to clear the line or stop the
/// running entry, Ctrl-D to leave.
final class InteractiveREPL {
    static let prompt = "dnb> "
    static let continuationPrompt = "...> "

    let shell: REPLShell
    let history: History?

    init(shell: REPLShell) {
        self.shell = shell
        history = History.defaultPath.flatMap(History.init(path:))
    }

    func run() -> Int32 {
        configureReadline()
        history?.load()
        Sigint.reset()
        Sigint.install(.prompt)
        Terminal.out("dnb \(EnvironmentReport.version): type `help` for commands, `save session FILE.dnb` to keep this session, Ctrl-D to quit.\n")

        var entry = EntryAccumulator()
        while true {
            Sigint.set(.prompt)
            PromptInterrupt.discardedBlock = false
            // Ctrl-D: leave (an unfinished block is dropped); also when it was typed while the last entry ran.
            guard !TypedAhead.takeLeadingEndOfFile(),
                  let raw = readline(entry.pending == nil ? Self.prompt : Self.continuationPrompt) else {
                Terminal.out("\n")
                break
            }
            let line = String(cString: raw)
            free(raw)
            if PromptInterrupt.discardedBlock { entry.reset() }
            guard let text = entry.add(line) else { continue }
            let trimmed = text.trimmingSpaces
            if trimmed.isEmpty { continue }
            history?.add(text.trimmingTrailingSpaces)
            if REPLShell.isExitRequest(trimmed, registry: shell.registry) { break }

            Sigint.reset()
            Sigint.set(.command)
            _ = shell.execute(text)
            Sigint.set(.prompt)
            Sigint.reset()
            history?.appendNew()
            // SIGTERM or SIGHUP while the entry ran: it was stopped; now leave.
            if Sigint.terminationSignal != 0 { break }
        }
        history?.close()
        return Sigint.terminationSignal != 0 ? 128 + Sigint.terminationSignal : 0
    }

    private func configureReadline() {
        dnb_rl_set_name(strdup("dnb"))
        ReadlineCompletion.install(for: shell.interpreter)
        PromptInterrupt.install()
    }
}

/// Ctrl-C at the prompt abandons the line (and any unfinished block) and shows
/// a fresh prompt, the way shells do; during a Ctrl-R history search it first
/// aborts the search, so the next Enter can only run what is on the line.
///
/// Readline's own SIGINT handling cannot leave a search: its key reader keeps
/// waiting inside the search loop, and the Enter typed after Ctrl-C accepted the
/// entry the search had found. So dnb reads the keys itself (`getc`): when a
/// signal interrupts the wait, `handle` runs; in a search it hands readline the
/// search's abort key (Ctrl-G) and clears the restored line before the next read.
/// A SIGTERM or SIGHUP makes the reader return end-of-file, so readline restores
/// the terminal and the REPL leaves through its usual exit path.
enum PromptInterrupt {
    /// Set when an unfinished multi-line block was abandoned during the current `readline` call.
    nonisolated(unsafe) static var discardedBlock = false
    /// A key to give readline before reading the terminal again.
    nonisolated(unsafe) private static var pendingKey: Int32?
    /// Clear the line once the aborted search has restored it.
    nonisolated(unsafe) private static var clearBeforeNextRead = false

    static func install() {
        // Readline still catches SIGTSTP, SIGQUIT and SIGWINCH itself (restoring the
        // terminal around them); SIGINT, SIGTERM and SIGHUP go to dnb's handlers, which
        // `reclaimSignals` re-installs once readline has installed its own for the call.
        dnb_rl_set_catch_signals(1)
        dnb_rl_set_pre_input_hook(preInputHook)
        dnb_rl_set_signal_event_hook(promptSignalHook)
        dnb_rl_set_getc(readKey)
    }

    /// Readline's key reader, with the signal handling described above.
    fileprivate static func getc(_ stream: UnsafeMutablePointer<FILE>?) -> Int32 {
        let descriptor = stream.map { fileno($0) } ?? STDIN_FILENO
        while true {
            if let key = pendingKey {
                pendingKey = nil
                return key
            }
            if clearBeforeNextRead {
                clearBeforeNextRead = false
                freshPrompt()
            }
            if Sigint.terminationSignal != 0 { return EOF }
            // A signal that lands between the check above and a blocking read would be noticed only at the next
            // key (a SIGTERM at the prompt hung the REPL under load): wait at most 100 ms at a time and look again.
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, 100)
            if polled == 0 || (polled < 0 && errno == EINTR) {
                handle()
                continue
            }
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count == 1 { return Int32(byte) }
            if count < 0 && errno == EINTR {
                handle()
                continue
            }
            // Another program left the terminal non-blocking: make it blocking again, as readline's own reader does.
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                let flags = fcntl(descriptor, F_GETFL, 0)
                if flags >= 0, flags & O_NONBLOCK != 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 { continue }
            }
            return EOF
        }
    }

    fileprivate static func handle() {
        guard Sigint.takePromptInterrupt() else { return }
        Interrupt.shared.clear()
        discardedBlock = true
        if Sigint.terminationSignal != 0 {
            // An empty line makes the end-of-file `getc` returns next end readline.
            rl_replace_line("", 1)
            return
        }
        rl_echo_signal_char(SIGINT)
        if dnb_rl_in_search() != 0 {
            pendingKey = 7  // Ctrl-G: abort the search (readline puts back the line from before it)
            clearBeforeNextRead = true
        } else {
            freshPrompt()
        }
    }

    private static func freshPrompt() {
        rl_replace_line("", 1)
        rl_crlf()
        rl_set_prompt(InteractiveREPL.prompt)
        rl_on_new_line()
        rl_redisplay()
    }
}

private let promptSignalHook: @convention(c) () -> Int32 = {
    PromptInterrupt.handle()
    return 0
}

private let preInputHook: @convention(c) () -> Int32 = {
    Sigint.reclaimSignals()
    return 0
}

private let readKey: @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32 = {
    PromptInterrupt.getc($0)
}

extension String {
    var trimmingTrailingSpaces: String {
        var text = self
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }

    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return String(slice)
    }
}

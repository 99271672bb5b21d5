import CReadline
import DNBCommands
import DNBLanguage
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

        var pending: String?
        while true {
            Sigint.set(.prompt)
            PromptInterrupt.discardedBlock = false
            guard let raw = readline(pending == nil ? Self.prompt : Self.continuationPrompt) else {
                // Ctrl-D: leave (an unfinished block is dropped).
                Terminal.out("\n")
                break
            }
            let line = String(cString: raw)
            free(raw)
            if PromptInterrupt.discardedBlock { pending = nil }

            let text = pending.map { $0 + "\n" + line } ?? line
            if Parser.needsMoreInput(text) {
                pending = text
                continue
            }
            pending = nil
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

/// Ctrl-C at the prompt: readline calls its signal event hook when SIGINT
/// interrupts its wait for a key; the hook abandons the line (and any
/// unfinished block) and shows a fresh prompt, the way shells do.
enum PromptInterrupt {
    /// Set when an unfinished multi-line block was abandoned during the current `readline` call.
    nonisolated(unsafe) static var discardedBlock = false

    static func install() {
        // Readline still catches SIGINT itself while it waits (it echoes ^C and
        // restores the terminal), then passes it on to dnb's handler.
        dnb_rl_set_catch_signals(1)
        dnb_rl_set_signal_event_hook(promptSignalHook)
    }

    fileprivate static func handle() {
        guard Sigint.takePromptInterrupt() else { return }
        Interrupt.shared.clear()
        discardedBlock = true
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

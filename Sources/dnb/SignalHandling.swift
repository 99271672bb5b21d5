import CReadline
import DNBLanguage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a stop signal (SIGINT from Ctrl-C, SIGTERM from `kill`, timeouts and
/// batch schedulers, SIGHUP from a closed terminal) does, which depends on where dnb is.
enum SigintMode: Int {
    /// `dnb run` or piped input: the first signal asks the running command to
    /// stop (the run then writes its report and exits with 128 + the signal);
    /// a second one exits at once with 128 + its number.
    case batch = 0
    /// The REPL waiting at its prompt: the key reader clears the line (and aborts a
    /// history search) on Ctrl-C; SIGTERM and SIGHUP end the REPL as Ctrl-D does,
    /// with the terminal restored, and dnb exits with 128 + the signal.
    case prompt = 1
    /// The REPL running an entry: interrupt it and return to the prompt (or
    /// leave, for SIGTERM and SIGHUP); a command that never checks can be
    /// abandoned by quitting with a third Ctrl-C or a second SIGTERM/SIGHUP.
    case command = 2
}

/// The signal handlers and the little state they share with the rest of dnb,
/// kept in atomics so that the handlers only perform async-signal-safe work.
enum Sigint {
    private static let mode = Atomic<Int>(SigintMode.batch.rawValue)
    private static let presses = Atomic<Int>(0)
    private static let promptInterrupted = Atomic<Bool>(false)
    private static let termination = Atomic<Int32>(0)

    /// Installs the handlers for SIGINT, SIGTERM and SIGHUP and ignores
    /// SIGPIPE, so that a closed stdout (`dnb run … | head -1`) makes writes
    /// fail (`Terminal` then stops printing) instead of killing the run
    /// before it writes its report. `Interrupt.shared` and the atomics are
    /// touched first so that no lazy initialisation ever runs inside a handler.
    static func install(_ initial: SigintMode) {
        _ = Interrupt.shared.isRequested
        _ = presses.load(ordering: .relaxed)
        _ = promptInterrupted.load(ordering: .relaxed)
        _ = termination.load(ordering: .relaxed)
        set(initial)
        signal(SIGPIPE, SIG_IGN)
        // Also unblocks SIGINT, SIGTERM and SIGHUP if a parent started us with them blocked.
        // Without SA_RESTART, so the REPL's key reader sees EINTR.
        reclaimSignals()
    }

    /// Puts dnb's handlers for SIGINT, SIGTERM and SIGHUP back after readline
    /// installed its own at the start of a `readline` call (it restores ours at the end).
    static func reclaimSignals() {
        _ = dnb_install_sigint(signalHandler)
        for number in [SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = signalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(number, &action, nil)
        }
    }

    static func set(_ newMode: SigintMode) {
        mode.store(newMode.rawValue, ordering: .relaxed)
    }

    /// Before each REPL entry or run: forget earlier presses.
    static func reset() {
        presses.store(0, ordering: .relaxed)
        promptInterrupted.store(false, ordering: .relaxed)
        Interrupt.shared.clear()
    }

    /// True once per Ctrl-C pressed at the prompt.
    static func takePromptInterrupt() -> Bool {
        promptInterrupted.exchange(false, ordering: .relaxed)
    }

    /// The first SIGTERM or SIGHUP received, 0 if none: dnb must end with 128 + it.
    static var terminationSignal: Int32 { termination.load(ordering: .relaxed) }

    /// The exit status for a run or piped session that stopped on a signal:
    /// 128 + the signal (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    static var interruptedStatus: Int32 {
        let number = terminationSignal != 0 ? terminationSignal : Interrupt.shared.signal
        return 128 + (number != 0 ? number : SIGINT)
    }

    fileprivate static func handle(_ number: Int32) {
        Interrupt.shared.request(signal: number)
        let terminates = number != SIGINT
        let repeatedTermination = terminates && !termination.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged
        let count = presses.add(1, ordering: .relaxed).newValue
        switch SigintMode(rawValue: mode.load(ordering: .relaxed)) ?? .batch {
        case .prompt:
            // A second SIGTERM/SIGHUP quits at once, in case the REPL is not reading keys.
            if repeatedTermination { quit(number) }
            promptInterrupted.store(true, ordering: .relaxed)
        case .batch:
            if count == 1 {
                writeToStderr(number == SIGINT
                    ? "\ndnb: interrupting: stopping at the next check (press Ctrl-C again to quit now)\n"
                    : "\ndnb: stop signal received: stopping at the next check to write the report (send it again to quit now)\n")
            } else {
                quit(number)
            }
        case .command:
            if terminates ? count >= 2 : count >= 3 {
                quit(number)
            } else if count == 2 {
                writeToStderr("\ndnb: still stopping; press Ctrl-C once more to quit dnb\n")
            }
        }
    }

    private static func quit(_ number: Int32) -> Never {
        writeToStderr("\ndnb: quitting\n")
        _exit(128 + number)
    }
}

/// `write(2)` of a static string: no allocation, safe in a signal handler.
private func writeToStderr(_ message: StaticString) {
    message.withUTF8Buffer { buffer in
        _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count)
    }
}

private let signalHandler: @convention(c) (Int32) -> Void = { number in
    Sigint.handle(number)
}

import CReadline
import DNBLanguage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What Ctrl-C (SIGINT) does, which depends on where dnb is.
enum SigintMode: Int {
    /// `dnb run` or piped input: the first press asks the running command to
    /// stop (the run ends with 130 after writing its report); the second exits at once with 130.
    case batch = 0
    /// The REPL waiting at its prompt: readline's signal event hook clears the line.
    case prompt = 1
    /// The REPL running an entry: interrupt it and return to the prompt; a
    /// command that never checks can be abandoned by quitting with a third press.
    case command = 2
}

/// The SIGINT handler and the little state it shares with the rest of dnb,
/// kept in atomics so that the handler only performs async-signal-safe work.
enum Sigint {
    private static let mode = Atomic<Int>(SigintMode.batch.rawValue)
    private static let presses = Atomic<Int>(0)
    private static let promptInterrupted = Atomic<Bool>(false)

    /// Installs the handler. `Interrupt.shared` and the atomics are touched
    /// first so that no lazy initialisation ever runs inside the handler.
    static func install(_ initial: SigintMode) {
        _ = Interrupt.shared.isRequested
        _ = presses.load(ordering: .relaxed)
        _ = promptInterrupted.load(ordering: .relaxed)
        set(initial)
        _ = dnb_install_sigint(sigintHandler)
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

    fileprivate static func handle() {
        Interrupt.shared.request()
        let count = presses.add(1, ordering: .relaxed).newValue
        switch SigintMode(rawValue: mode.load(ordering: .relaxed)) ?? .batch {
        case .prompt:
            promptInterrupted.store(true, ordering: .relaxed)
        case .batch:
            if count == 1 {
                writeToStderr("\ndnb: interrupting: stopping at the next check (press Ctrl-C again to quit now)\n")
            } else {
                writeToStderr("\ndnb: quitting\n")
                _exit(130)
            }
        case .command:
            if count == 2 {
                writeToStderr("\ndnb: still stopping; press Ctrl-C once more to quit dnb\n")
            } else if count >= 3 {
                writeToStderr("\ndnb: quitting\n")
                _exit(130)
            }
        }
    }
}

/// `write(2)` of a static string: no allocation, safe in a signal handler.
private func writeToStderr(_ message: StaticString) {
    message.withUTF8Buffer { buffer in
        _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count)
    }
}

private let sigintHandler: @convention(c) (Int32) -> Void = { _ in
    Sigint.handle()
}

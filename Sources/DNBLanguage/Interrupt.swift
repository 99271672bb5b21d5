import Synchronization

/// Thrown when the user (Ctrl-C) or the system (SIGTERM, SIGHUP) asked to stop.
public struct Interrupted: Error, CustomStringConvertible {
    /// The signal that asked, 0 when none did (a test, a command's own request).
    public var signal: Int32

    public init(signal: Int32 = 0) { self.signal = signal }

    public var description: String {
        switch signal {
        case 1: "interrupted by SIGHUP (the terminal went away)"
        case 15: "interrupted by SIGTERM"
        default: "interrupted"
        }
    }
}

/// A stop request shared between a signal handler and the interpreter.
///
/// The flag is an atomic because the executable's signal handlers set it
/// from signal context, where taking a lock could deadlock; an atomic store
/// is safe there. The interpreter checks it between statements and loop
/// iterations, and long-running commands should call `check()` regularly.
public final class Interrupt: Sendable {
    private let requested = Atomic<Bool>(false)
    /// The first signal that requested the stop since the last `clear()`.
    private let firstSignal = Atomic<Int32>(0)

    /// The process-wide flag the signal handlers set. Touch it once before
    /// installing a handler so its lazy initialisation never runs inside
    /// the signal handler.
    public static let shared = Interrupt()

    /// A separate flag, e.g. for tests that must not disturb each other.
    public init() {}

    /// Asks to stop; `signal` (SIGINT 2, SIGTERM 15, SIGHUP 1) says who asked.
    /// Async-signal-safe: two atomic operations.
    public func request(signal: Int32 = 0) {
        _ = firstSignal.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
        requested.store(true, ordering: .relaxed)
    }

    public func clear() {
        requested.store(false, ordering: .relaxed)
        firstSignal.store(0, ordering: .relaxed)
    }

    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// The signal behind the pending request, 0 for none or a request without one.
    public var signal: Int32 { firstSignal.load(ordering: .relaxed) }

    /// Throws `Interrupted` when a stop was requested.
    public func check() throws {
        if isRequested { throw Interrupted(signal: signal) }
    }

    /// Polls the process-wide flag; for handlers that have no context at hand.
    public static func check() throws {
        try shared.check()
    }
}

import Synchronization

/// Thrown when the user asked to stop (Ctrl-C).
public struct Interrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted" }
}

/// A stop request shared between a signal handler and the interpreter.
///
/// The flag is an atomic because the executable's SIGINT handler sets it
/// from signal context, where taking a lock could deadlock; an atomic store
/// is safe there. The interpreter checks it between statements and loop
/// iterations, and long-running commands should call `check()` regularly.
public final class Interrupt: Sendable {
    private let requested = Atomic<Bool>(false)

    /// The process-wide flag the SIGINT handler sets. Touch it once before
    /// installing the handler so its lazy initialisation never runs inside
    /// the signal handler.
    public static let shared = Interrupt()

    /// A separate flag, e.g. for tests that must not disturb each other.
    public init() {}

    public func request() { requested.store(true, ordering: .relaxed) }
    public func clear() { requested.store(false, ordering: .relaxed) }
    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Throws `Interrupted` when a stop was requested.
    public func check() throws {
        if isRequested { throw Interrupted() }
    }

    /// Polls the process-wide flag; for handlers that have no context at hand.
    public static func check() throws {
        try shared.check()
    }
}

import Foundation

/// Malformed source text: the lexer or parser could not read it.
public struct ParseError: Error, CustomStringConvertible {
    public var diagnostic: Diagnostic

    public init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }

    public var message: String { diagnostic.message }
    public var location: SourceLocation { diagnostic.location }
    public var description: String { diagnostic.description }
}

/// A statement failed while running. Keeps the original error so callers can
/// tell an interruption (`Interrupted`) from an ordinary failure.
public struct RuntimeError: Error, CustomStringConvertible {
    public var diagnostic: Diagnostic
    public var underlying: any Error

    public init(_ diagnostic: Diagnostic, underlying: any Error) {
        self.diagnostic = diagnostic
        self.underlying = underlying
    }

    public var message: String { diagnostic.message }
    public var location: SourceLocation { diagnostic.location }
    public var isInterruption: Bool { underlying is Interrupted }
    public var description: String { diagnostic.description }
}

/// A command cannot run yet because something it needs does not exist.
/// The message should say what to run first, e.g.
/// "no model yet: run `model create …` first".
public struct MissingPrerequisite: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A problem with one named argument. The interpreter points the caret at
/// that argument in the source when it can.
public struct ArgumentError: Error, CustomStringConvertible {
    public var argument: String?
    public var message: String

    public init(argument: String? = nil, _ message: String) {
        self.argument = argument
        self.message = message
    }

    public var description: String { message }
}

/// An error from the language itself (unknown command, unknown variable …),
/// raised before the location is known and located by the interpreter.
struct LanguageError: Error, CustomStringConvertible {
    var message: String
    /// Where to point, when it differs from the statement's start.
    var location: SourceLocation?

    init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    var description: String { message }
}

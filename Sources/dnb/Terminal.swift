#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to stdout and stderr, so output appears as it is
/// produced and the two streams interleave in order.
enum Terminal {
    static func out(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    static func err(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    /// Writes `text` to stderr, adding a newline when it has none.
    static func errLine(_ text: String) {
        err(text.hasSuffix("\n") ? text : text + "\n")
    }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }

    /// Set once stdout is found closed (EPIPE, e.g. `dnb run … | head -1`):
    /// dnb stops printing there but keeps working, so the report is still written.
    nonisolated(unsafe) private static var stdoutClosed = false

    private static func write(_ text: String, to descriptor: Int32) {
        if descriptor == STDOUT_FILENO, stdoutClosed { return }
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE, descriptor == STDOUT_FILENO { stdoutClosed = true }
                    return
                }
                offset += written
            }
        }
    }
}

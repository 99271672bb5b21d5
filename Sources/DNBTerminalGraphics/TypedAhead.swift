#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keys typed while the terminal was in canonical (line-at-a-time) mode, that is while a command ran.
public enum TypedAhead {
    /// The end-of-file key, as a line editor reads it in raw mode.
    static let controlD: UInt8 = 4

    /// True when Ctrl-D was typed at an empty line while a command ran, with no whole line typed after it;
    /// takes it away.
    ///
    /// In canonical mode the line discipline turns that Ctrl-D into an end-of-file mark, not a key; once the
    /// terminal switches to raw mode (readline's prompt, the device attributes query) the mark reads as a NUL byte
    /// and the Ctrl-D was lost (bash loses it too). The mark is first when the terminal has input ready (`poll`)
    /// but no byte of a whole line (`FIONREAD` counts those bytes only); a canonical `read` then returns 0 and
    /// takes it. Only this case is taken: other typed-ahead keys stay in the terminal, where readline reads them
    /// in order (it also reads the terminal directly to insert typed-ahead text at once, so a queue of keys kept
    /// by dnb would be overtaken by the keys behind them).
    public static func takeLeadingEndOfFile(from descriptor: Int32 = STDIN_FILENO) -> Bool {
        var settings = termios()
        // tcgetattr fails on anything but a terminal (a pipe, a file).
        guard tcgetattr(descriptor, &settings) == 0, settings.c_lflag & tcflag_t(ICANON) != 0 else { return false }
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var waiting: Int32 = 0
        // A hung-up terminal also polls ready with nothing to read: that is not a key.
        guard poll(&ready, 1, 0) == 1, ready.revents & Int16(POLLIN) != 0,
              ready.revents & Int16(POLLHUP | POLLERR | POLLNVAL) == 0,
              ioctl(descriptor, UInt(FIONREAD), &waiting) == 0, waiting == 0 else { return false }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 0
    }
}

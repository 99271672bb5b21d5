#if canImport(Glibc)
import Glibc
#endif

/// Which protocol the terminal speaks, from the environment and, for sixel, from the terminal itself.
public enum InlineDetection {
    public enum Result: Equatable, Sendable {
        case on(InlineProtocol)
        case off
        /// `DNB_INLINE` has a value dnb does not know; detection goes on as if it were unset.
        case invalidSetting(String, then: InlineProtocolChoice)
    }

    /// `nil` is off.
    public typealias InlineProtocolChoice = InlineProtocol?

    public static let settingName = "DNB_INLINE"
    public static let settingValues = InlineProtocol.allCases.map(\.rawValue) + ["off"]

    /// Decides without touching the terminal except through `queryDeviceAttributes`, which is only called when
    /// stdin and stdout are terminals and nothing else decided. Nothing is shown when stdout is not a terminal
    /// (a pipe or a file gets the `[figure] path` lines only), whatever `DNB_INLINE` says.
    public static func detect(environment: [String: String], stdoutIsTerminal: Bool, stdinIsTerminal: Bool,
                              queryDeviceAttributes: () -> String?) -> Result
    {
        guard stdoutIsTerminal else { return .off }
        if let setting = environment[settingName], !setting.isEmpty {
            if setting == "off" { return .off }
            if let forced = InlineProtocol(rawValue: setting) { return .on(forced) }
            let fallback = detectFromTerminal(environment, stdinIsTerminal, queryDeviceAttributes)
            return .invalidSetting(setting, then: fallback)
        }
        return detectFromTerminal(environment, stdinIsTerminal, queryDeviceAttributes).map { .on($0) } ?? .off
    }

    private static func detectFromTerminal(_ environment: [String: String], _ stdinIsTerminal: Bool,
                                           _ queryDeviceAttributes: () -> String?) -> InlineProtocol?
    {
        if environment["TERM"] == "xterm-kitty" || !(environment["KITTY_WINDOW_ID"] ?? "").isEmpty { return .kitty }
        // WezTerm speaks both; its iTerm2 support is the complete one.
        if environment["TERM_PROGRAM"] == "iTerm.app" || environment["TERM_PROGRAM"] == "WezTerm" { return .iterm }
        guard stdinIsTerminal, environment["TERM"] != "dumb", let answer = queryDeviceAttributes() else { return nil }
        return answerAdvertisesSixel(answer) ? .sixel : nil
    }

    /// A primary device attributes answer, `ESC [ ? 62 ; 4 ; 22 c`, lists features; 4 is sixel graphics.
    public static func answerAdvertisesSixel(_ answer: String) -> Bool {
        guard let open = answer.firstIndex(of: "?"), let end = answer[open...].firstIndex(of: "c") else { return false }
        return answer[answer.index(after: open)..<end].split(separator: ";").contains("4")
    }

    /// Sends `ESC [ c` and reads the answer for up to `timeoutMilliseconds` with the terminal in non-canonical,
    /// no-echo mode, restoring its settings afterwards. A terminal that does not answer costs the timeout once.
    /// Keys the user typed ahead (a pasted block, keys pressed while a command ran) arrive through the same input:
    /// everything that is not the answer `ESC [ ? … c` is handed to `typedAhead`, in order, so none is lost.
    public static func queryDeviceAttributes(timeoutMilliseconds: Int32 = 100, typedAhead: ([UInt8]) -> Void) -> String? {
        // A Ctrl-D typed while the command ran would read as a NUL in raw mode: give it back as the key.
        let endOfFile: [UInt8] = TypedAhead.takeLeadingEndOfFile() ? [TypedAhead.controlD] : []
        var answer: [UInt8]? = nil, typed: [UInt8] = []
        defer { if !endOfFile.isEmpty || !typed.isEmpty { typedAhead(endOfFile + typed) } }
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else { return nil }
        defer { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
        let query: [UInt8] = [0x1B, 0x5B, 0x63]
        guard write(STDOUT_FILENO, query, query.count) == query.count else { return nil }
        var read: [UInt8] = []
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let deadline = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000 + Int64(timeoutMilliseconds)
        // The answer is short (≤ 64 bytes in xterm's documentation); stop at its final `c` or at 4096 bytes.
        while read.count < 4096, answer == nil {
            clock_gettime(CLOCK_MONOTONIC, &now)
            let remaining = deadline - (Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
            guard remaining > 0 else { break }
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(remaining))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { break }
            var byte: UInt8 = 0
            guard Glibc.read(STDIN_FILENO, &byte, 1) == 1 else { break }
            read.append(byte)
            (answer, typed) = splitAnswer(read)
        }
        if answer == nil { typed = read }
        return answer.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The device attributes answer `ESC [ ? … c` within `bytes` once it is complete, and every other byte (keys
    /// typed ahead, before or after it).
    static func splitAnswer(_ bytes: [UInt8]) -> (answer: [UInt8]?, typed: [UInt8]) {
        var start = 0
        while start + 2 < bytes.count {
            if bytes[start] == 0x1B, bytes[start + 1] == UInt8(ascii: "["), bytes[start + 2] == UInt8(ascii: "?"),
               let end = bytes[(start + 3)...].firstIndex(where: { !($0 >= 0x30 && $0 <= 0x3B) }), bytes[end] == UInt8(ascii: "c") {
                return (Array(bytes[start...end]), Array(bytes[..<start]) + Array(bytes[(end + 1)...]))
            }
            start += 1
        }
        return (nil, bytes)
    }

    /// The window size from TIOCGWINSZ on stdout, or nil when stdout is not a terminal.
    public static func terminalSize() -> TerminalSize? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return TerminalSize(columns: Int(size.ws_col), rows: Int(size.ws_row),
                            widthPixels: Int(size.ws_xpixel), heightPixels: Int(size.ws_ypixel))
    }
}

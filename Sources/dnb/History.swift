import CReadline
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The REPL's persistent history, shared by concurrent sessions.
///
/// The file is read at start; afterwards each session only *appends* its own
/// new entries (after every entry and at exit) and trims the file at exit,
/// each time under an exclusive `flock` on a lock file beside it, so sessions
/// never overwrite each other's lines. Multi-line entries (a `for` block) are
/// kept whole thanks to readline's timestamped history format.
final class History {
    static let limit: Int32 = 5000

    let path: String
    private let lockPath: String
    /// Entries added since the last append to the file.
    private var unsaved = 0
    private var lastEntry: String?

    /// `$XDG_STATE_HOME/dnb/history`, or `~/.local/state/dnb/history`.
    static var defaultPath: String? {
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/dnb/history"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/dnb/history"
    }

    /// Creates the directory and file if needed; nil when that fails (the REPL then keeps history in memory only).
    init?(path: String) {
        self.path = path
        self.lockPath = path + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return nil
        }
        // append_history() does not create the file.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { return nil }
        Glibc.close(descriptor)
        dnb_history_set_multiline(1)
        stifle_history(History.limit)
    }

    /// Reads the file into readline's history list.
    func load() {
        withLock(LOCK_SH) { _ = read_history(path) }
    }

    /// Adds a complete entry (consecutive duplicates are kept once).
    func add(_ entry: String) {
        guard entry != lastEntry else { return }
        lastEntry = entry
        add_history(entry)
        unsaved += 1
    }

    /// Appends the entries added since the last call.
    func appendNew() {
        guard unsaved > 0 else { return }
        let count = Int32(min(unsaved, Int(dnb_history_length())))
        unsaved = 0
        withLock(LOCK_EX) { _ = append_history(count, path) }
    }

    /// At exit: appends what is left and trims the file to the last `limit` entries.
    func close() {
        appendNew()
        withLock(LOCK_EX) { _ = history_truncate_file(path, History.limit) }
    }

    private func withLock(_ operation: Int32, _ body: () -> Void) {
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { return body() }
        defer { Glibc.close(descriptor) }
        while flock(descriptor, operation) != 0 && errno == EINTR {}
        body()
        flock(descriptor, LOCK_UN)
    }
}

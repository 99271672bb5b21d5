import Foundation

/// Opens a file with the desktop's viewer (`xdg-open`), started with posix_spawn and an argument array: no shell,
/// so no file name is ever interpreted as shell syntax. dnb does not wait for the viewer.
public enum DesktopViewer {
    public static let program = "xdg-open"

    /// The viewer's full path when it is on PATH.
    public static func find(path: String? = getenv("PATH").map { String(cString: $0) }) -> String? {
        for directory in (path ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Starts `viewer file`; returns false when it could not be started. The viewer's output goes to /dev/null so
    /// that it cannot scribble over the REPL.
    public static func open(_ file: String, with viewer: String) -> Bool {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let arguments = [viewer, file]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, viewer, &actions, nil, &argv, environ) == 0 else { return false }
        // Reap it in the background so no zombie is left; xdg-open itself returns quickly.
        let child = pid
        Thread.detachNewThread { var status: Int32 = 0; waitpid(child, &status, 0) }
        return true
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive claim on a folder for one writer (a run's output folder, a checkpoint folder):
/// `flock` on a `.dnb-lock` file inside it. The kernel drops the lock when the process ends,
/// however it ends (kill -9 included), so a stale lock never blocks the next run. A release removes
/// the file (a killed process leaves an empty one, reused by the next); a taker checks after locking
/// that the file it locked is still the one at the path, since a releaser may have removed it between
/// the taker's open and its flock — otherwise two writers could each hold a lock on a different file.
public final class FolderLock: @unchecked Sendable {
    public static let fileName = ".dnb-lock"
    public let folder: String
    private var descriptor: Int32

    /// Takes the lock or throws a `FileError` that names the folder and says another dnb holds it.
    /// The folder must exist.
    public convenience init(_ folder: String, purpose: String) throws {
        try self.init(folder: folder, lockFile: (folder.hasSuffix("/") ? folder : folder + "/") + FolderLock.fileName, purpose: purpose)
    }

    /// A claim on a folder that is replaced as a whole (a checkpoint is swapped by renames, so a lock
    /// inside it would move away with it): `flock` on `.NAME.dnb-lock` beside the folder, in its parent.
    /// The parent must exist; the folder need not.
    public convenience init(sibling folder: String, purpose: String) throws {
        let trimmed = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        let slash = trimmed.lastIndex(of: "/")
        let parent = slash.map { String(trimmed[...$0]) } ?? ""
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        try self.init(folder: trimmed, lockFile: parent + ".\(name).dnb-lock", purpose: purpose)
    }

    private let path: String

    private init(folder: String, lockFile path: String, purpose: String) throws {
        self.folder = folder
        self.path = path
        while true {
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw FileError("lock", folder, errno: errno) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(descriptor)
                if code == EWOULDBLOCK {
                    throw FileError("\(folder) is in use by another dnb process (as \(purpose)); wait for it to finish or choose another folder")
                }
                throw FileError("lock", folder, errno: code)
            }
            var held = stat(), current = stat()
            if fstat(descriptor, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                return
            }
            // The holder released and removed the file after our open: lock the file now at the path.
            close(descriptor)
        }
    }

    /// Gives the lock up before the process ends, removing the lock file (while still holding the lock, so
    /// no other taker can be holding this file).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive claim on a folder for one writer (a run's output folder, a checkpoint folder):
/// `flock` on a `.dnb-lock` file inside it. The kernel drops the lock when the process ends,
/// however it ends (kill -9 included), so a stale lock never blocks the next run; the file
/// itself stays and is reused.
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

    private init(folder: String, lockFile path: String, purpose: String) throws {
        self.folder = folder
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
    }

    /// Gives the lock up before the process ends.
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

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
    public init(_ folder: String, purpose: String) throws {
        self.folder = folder
        let path = (folder.hasSuffix("/") ? folder : folder + "/") + FolderLock.fileName
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

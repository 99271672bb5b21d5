#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A file operation failed; the message names the file and the system's reason.
public struct FileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    init(_ action: String, _ path: String, errno code: Int32) {
        message = "cannot \(action) \(path): \(String(cString: strerror(code)))"
    }
}

/// Writes whole files so readers see either the old or the new content,
/// never a half-written one: the text goes to a temporary file in the same
/// directory (rename is only atomic within a file system), is flushed to
/// disk, and then renamed over the target.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError("create", temporary, errno: errno) }
        var failure: FileError?
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = FileError("write", temporary, errno: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = FileError("flush", temporary, errno: errno) }
        if close(descriptor) != 0, failure == nil { failure = FileError("close", temporary, errno: errno) }
        if failure == nil, rename(temporary, path) != 0 { failure = FileError("rename to", path, errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Creates a directory and its missing parents, like `mkdir -p`.
    static func createDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw FileError("create directory", current, errno: errno)
            }
        }
    }
}

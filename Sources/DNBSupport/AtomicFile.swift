#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A file operation failed; the message names the file and the system's reason
/// ("No space left on device", "Permission denied", …).
public struct FileError: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// The `errno` behind the failure, when there was one.
    public var code: Int32?
    public var description: String { message }

    public init(_ action: String, _ path: String, errno code: Int32) {
        message = "cannot \(action) \(path): \(String(cString: strerror(code)))"
        self.code = code
    }

    public init(_ message: String) {
        self.message = message
        code = nil
    }
}

/// Writes whole files so readers see either the old or the new content, never a
/// half-written one: the bytes go to a fresh temporary file in the same directory
/// (rename is atomic only within a file system), are flushed to disk, renamed over
/// the target, and the directory is flushed so the rename itself survives a crash.
/// A failure (full disk, no permission) removes the temporary file and throws a
/// `FileError` naming the target and the cause.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    public static func write<Bytes: Collection>(_ bytes: Bytes, to path: String) throws where Bytes.Element == UInt8 {
        try write(to: path) { descriptor in
            try writeAll(bytes, to: descriptor, path: path)
        }
    }

    /// Hands `body` a descriptor open for writing on the temporary file; when it
    /// returns, the file is flushed and renamed over `path`.
    public static func write(to path: String, _ body: (Int32) throws -> Void) throws {
        let (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError("cannot write \(path): the path names a folder, not a file")
        }
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<16 {
            temporary = directory + ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw FileError("write", path, errno: errno) }
        var failure: Error?
        do { try body(descriptor) } catch { failure = error }
        if failure == nil, fsync(descriptor) != 0 { failure = FileError("write", path, errno: errno) }
        if close(descriptor) != 0, failure == nil { failure = FileError("write", path, errno: errno) }
        if failure == nil, rename(temporary, path) != 0 { failure = FileError("write", path, errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll<Bytes: Collection>(_ bytes: Bytes, to descriptor: Int32, path: String) throws where Bytes.Element == UInt8 {
        let written: Error? = bytes.withContiguousStorageIfAvailable { buffer in
            writeBuffer(UnsafeRawBufferPointer(buffer), descriptor, path)
        } ?? Array(bytes).withUnsafeBytes { writeBuffer($0, descriptor, path) }
        if let written { throw written }
    }

    private static func writeBuffer(_ buffer: UnsafeRawBufferPointer, _ descriptor: Int32, _ path: String) -> Error? {
        var offset = 0
        while offset < buffer.count {
            let n = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return FileError("write", path, errno: errno)
            }
            offset += n
        }
        return nil
    }

    /// Flushes a directory's entries (a rename or a new file in it) to disk.
    public static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Creates a directory and its missing parents, like `mkdir -p`.
    public static func createDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw FileError("create folder", current, errno: errno)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError("create folder", path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileError("cannot create folder \(path): a file of that name exists")
        }
    }

    /// ("dir/", "name") for "dir/name"; ("", "name") for a bare name.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }
}

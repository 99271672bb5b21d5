import CCairo
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes RGBA pixels as a PNG through libpng, atomically: the bytes go to a
/// fresh temporary file beside the target, are fsync'ed and then renamed over
/// it, so readers never see a half-written figure and a failure leaves nothing.
enum PNGWriter {
    static func write(rgba: [UInt8], width: Int, height: Int, text: [(String, String)], to path: String) throws {
        precondition(rgba.count == width * height * 4, "RGBA buffer does not match the image size")
        for (key, value) in text {
            try validate(key: key, value: value)
        }
        let temporary = try createTemporaryFile(beside: path)
        var removeTemporary = true
        defer { if removeTemporary { unlink(temporary.path) } }

        var error = [CChar](repeating: 0, count: 256)
        let status = withCStrings(text.map(\.0)) { keys in
            withCStrings(text.map(\.1)) { values in
                let utf8 = text.map { Int32($0.1.utf8.contains { $0 >= 0x80 } ? 1 : 0) }
                return rgba.withUnsafeBufferPointer { pixels in
                    dnb_png_write_rgba(temporary.descriptor, pixels.baseAddress, UInt32(width), UInt32(height),
                                       keys, values, utf8, Int32(text.count), &error, error.count)
                }
            }
        }
        guard status == 0 else {
            throw PlotError.cannotEncodePNG(path: path, reason: cString(error))
        }
        guard rename(temporary.path, path) == 0 else {
            throw PlotError.cannotReplaceFile(path: path, reason: String(cString: strerror(errno)))
        }
        removeTemporary = false
        syncDirectory(of: path)
    }

    /// PNG keywords are 1–79 Latin-1 characters without leading, trailing or
    /// doubled spaces; we allow the printable ASCII subset so keys survive any
    /// tool. Values may be any text without NUL (non-ASCII goes into iTXt).
    static func validate(key: String, value: String) throws {
        let bytes = Array(key.utf8)
        guard (1...79).contains(bytes.count),
              bytes.allSatisfy({ (0x20...0x7e).contains($0) }),
              bytes.first != 0x20, bytes.last != 0x20,
              !key.contains("  ")
        else { throw PlotError.invalidMetadataKey(key) }
        guard !value.utf8.contains(0) else { throw PlotError.invalidMetadataValue(key: key) }
    }

    /// mkstemp in the target's directory, so the final rename stays on one
    /// file system; the name starts with a dot to keep it out of listings.
    private static func createTemporaryFile(beside path: String) throws -> (path: String, descriptor: Int32) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else {
            throw PlotError.cannotCreateFile(path: path, reason: "the path names a directory, not a file")
        }
        var template = Array("\(directory).\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw PlotError.cannotCreateFile(path: path, reason: String(cString: strerror(errno)))
        }
        // mkstemp creates 0600; a figure is meant to be shared like any output file.
        fchmod(descriptor, 0o644)
        return (cString(template), descriptor)
    }

    /// Makes the rename itself durable; best effort, the file is complete either way.
    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        let fd = open(directory, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

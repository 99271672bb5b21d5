import CCairo
import DNBSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes RGBA pixels as a PNG through libpng, atomically (see `AtomicFile`):
/// readers never see a half-written figure and a failure leaves nothing.
enum PNGWriter {
    static func write(rgba: [UInt8], width: Int, height: Int, text: [(String, String)], to path: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height), !overflow,
              pixels <= Int.max / 4, rgba.count == pixels * 4 else {
            throw PlotError.cannotEncodePNG(
                path: path, reason: "\(rgba.count) RGBA bytes for a \(width)x\(height) image; "
                    + "PNG needs width and height in 1...\(Int32.max) and 4 bytes a pixel")
        }
        for (key, value) in text {
            try validate(key: key, value: value)
        }
        do {
            try AtomicFile.write(to: path) { descriptor in
                // libpng writes through a FILE* that it closes; it gets its own descriptor so that
                // AtomicFile can still flush and close the one it opened.
                var error = [CChar](repeating: 0, count: 256)
                let status = withCStrings(text.map(\.0)) { keys in
                    withCStrings(text.map(\.1)) { values in
                        let utf8 = text.map { Int32($0.1.utf8.contains { $0 >= 0x80 } ? 1 : 0) }
                        return rgba.withUnsafeBufferPointer { pixels in
                            dnb_png_write_rgba(dup(descriptor), pixels.baseAddress, UInt32(width), UInt32(height),
                                               keys, values, utf8, Int32(text.count), &error, error.count)
                        }
                    }
                }
                guard status == 0 else { throw PlotError.cannotEncodePNG(path: path, reason: cString(error)) }
            }
        } catch let error as FileError {
            throw PlotError.file(error)
        }
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
}

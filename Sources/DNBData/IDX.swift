import Foundation
import DNBSupport

/// An unsigned-byte IDX array: its dimensions and its row-major bytes.
public struct IDXArray: Sendable, Equatable {
    public let magic: UInt32
    public let dims: [Int]
    public let bytes: [UInt8]
}

/// LeCun's IDX format: a big-endian magic 0x0000 08 NN (type 0x08 = unsigned byte, NN dimensions),
/// NN big-endian UInt32 sizes, then the data row-major. Files may be gzip-compressed (detected by
/// content, not by name); digests are of the uncompressed bytes.
public enum IDX {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads, decompresses if needed, parses and verifies one file.
    /// - Parameters:
    ///   - expectedMagic: `imagesMagic` or `labelsMagic`.
    ///   - expectedCount: the first dimension it must have (nil: any).
    ///   - expectedMD5: lowercase hex MD5 of the uncompressed bytes (nil: not checked).
    ///   - maxBytes: the most uncompressed bytes the file may hold (`expectedSize` gives it for a
    ///     known spec); neither the file nor its decompression may exceed it.
    ///   - remedy: appended to errors about the file's contents.
    public static func read(path: String, expectedMagic: UInt32, expectedCount: Int? = nil,
                            expectedMD5: String? = nil, maxBytes: Int, remedy: String? = nil) throws -> IDXArray {
        let fix = remedy ?? "Replace \(path) with an intact copy"
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(.notFound, path, "no such file", remedy: fix)
        }
        // gzip of incompressible bytes grows by 5 bytes per 16 KB stored block plus an 18-byte
        // header and trailer; anything much larger than maxBytes cannot be the file, so it is not read.
        let fileSize = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        let most = maxBytes.addingReportingOverflow(maxBytes / 1024 + 4096)
        if !most.overflow, fileSize > most.partialValue {
            throw DataError(.corrupt, path, "is \(fileSize) bytes, more than this file can hold (\(maxBytes) bytes uncompressed)", remedy: fix)
        }
        let raw: [UInt8]
        do { raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw DataError(.unreadable, path, "cannot be read (\(errorCause(error)))", remedy: fix)
        }
        let bytes: [UInt8]
        do { bytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, name: path, limit: maxBytes) : raw } catch let e as DataError {
            throw DataError(e.kind, e.subject, e.problem, remedy: fix)
        }
        return try parse(bytes, name: path, expectedMagic: expectedMagic, expectedCount: expectedCount,
                         expectedMD5: expectedMD5, remedy: fix)
    }

    /// The exact size of an IDX file of unsigned bytes with these dimensions (nil when it overflows).
    public static func expectedSize(dims: [Int]) -> Int? {
        guard let total = elementCount(dims) else { return nil }
        let (size, overflow) = total.addingReportingOverflow(4 + 4 * dims.count)
        return overflow ? nil : size
    }

    /// Parses and verifies uncompressed IDX bytes; `name` is used in errors.
    public static func parse(_ bytes: [UInt8], name: String, expectedMagic: UInt32, expectedCount: Int? = nil,
                             expectedMD5: String? = nil, remedy: String = "") throws -> IDXArray {
        guard bytes.count >= 4 else {
            throw DataError(.truncated, name, "only \(bytes.count) bytes, too short for an IDX header", remedy: remedy)
        }
        let magic = be32(bytes, 0)
        guard magic == expectedMagic else {
            let what = expectedMagic == imagesMagic ? "an IDX image file" : expectedMagic == labelsMagic ? "an IDX label file" : "this IDX file"
            throw DataError(.wrongMagic, name, "wrong magic number \(hex32(magic)), expected \(hex32(expectedMagic)) for \(what)",
                            remedy: remedy)
        }
        let rank = Int(magic & 0xFF)
        let header = 4 + 4 * rank
        guard bytes.count >= header else {
            throw DataError(.truncated, name, "file ends inside the header (\(bytes.count) of \(header) bytes)", remedy: remedy)
        }
        let dims = (0..<rank).map { Int(be32(bytes, 4 + 4 * $0)) }
        if let want = expectedCount, dims.first != want {
            throw DataError(.wrongCount, name, "holds \(dims.first ?? 0) items, expected \(want)", remedy: remedy)
        }
        // Dimensions are up to 2³²−1 each: their product may overflow Int (three of them do).
        guard let total = elementCount(dims), bytes.count - header >= total else {
            let promised = elementCount(dims).map { " = \($0)" } ?? " (more than 2⁶³)"
            throw DataError(.truncated, name, "truncated: the header promises \(dims.map(String.init).joined(separator: "×"))\(promised) bytes of data, the file has \(bytes.count - header)",
                            remedy: remedy)
        }
        guard bytes.count - header == total else {
            throw DataError(.corrupt, name, "\(bytes.count - header - total) unexpected bytes after the data", remedy: remedy)
        }
        if let want = expectedMD5 {
            let got = Digest.md5Hex(bytes)
            guard got == want.lowercased() else {
                throw DataError(.md5Mismatch, name, "MD5 mismatch: the uncompressed bytes hash to \(got), expected \(want)", remedy: remedy)
            }
        }
        return IDXArray(magic: magic, dims: dims, bytes: Array(bytes[header...]))
    }

    /// Serialises an unsigned-byte array as IDX (uncompressed).
    public static func encode(dims: [Int], bytes: [UInt8]) throws -> [UInt8] {
        guard dims.count < 256, dims.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }), elementCount(dims) == bytes.count else {
            throw DataError(.wrongShape, "IDX", "\(bytes.count) bytes cannot be an IDX array of shape \(dims) (at most 255 dimensions of at most 2³²−1 each, whose product is the byte count)")
        }
        var out = [UInt8]()
        out.reserveCapacity(4 + 4 * dims.count + bytes.count)
        appendBE32(&out, 0x0800 | UInt32(dims.count))
        for d in dims { appendBE32(&out, UInt32(d)) }
        out.append(contentsOf: bytes)
        return out
    }

    @inline(__always) static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func hex32(_ v: UInt32) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
    }

    static func appendBE32(_ out: inout [UInt8], _ v: UInt32) {
        out.append(UInt8(v >> 24)); out.append(UInt8((v >> 16) & 0xFF))
        out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8(v & 0xFF))
    }
}

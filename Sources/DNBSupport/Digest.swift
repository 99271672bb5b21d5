import Foundation
import CZlib

/// MD5 / SHA-256 as lowercase hex, through OpenSSL EVP.
public enum Digest {
    /// SHA-256 of a string's UTF-8 bytes.
    public static func sha256Hex(_ text: String) -> String { sha256Hex(Array(text.utf8)) }
    public static func sha256Hex(_ data: Data) -> String { data.withUnsafeBytes { hex(1, $0) } }

    public static func md5Hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex(0, $0) } }
    public static func md5Hex(_ bytes: UnsafeRawBufferPointer) -> String { hex(0, bytes) }
    public static func sha256Hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex(1, $0) } }

    static func hex(_ which: Int32, _ bytes: UnsafeRawBufferPointer) -> String {
        var out = [UInt8](repeating: 0, count: 64)
        let n = out.withUnsafeMutableBufferPointer { o in
            dnb_digest(which, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, bytes.count, o.baseAddress)
        }
        // EVP fails only without memory or with a broken libcrypto; no input of a user's reaches it.
        precondition(n > 0, "OpenSSL digest failed")
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        for b in out[0..<Int(n)] { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }
}

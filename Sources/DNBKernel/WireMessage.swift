import CZMQ
import DNBJupyter
import Foundation

/// The HMAC-SHA256 signature of Jupyter messages under the connection file's key. An empty key means
/// messages are not signed (the protocol's rule) and every signature is accepted.
struct Signer: Sendable {
    let key: [UInt8]

    /// Lowercase hex of the HMAC over the four JSON frames, as the protocol defines it.
    func signature(_ parts: [[UInt8]]) -> String {
        guard !key.isEmpty else { return "" }
        let data = parts.flatMap { $0 }
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { dataBytes in
                dnb_hmac_sha256(keyBytes.baseAddress, keyBytes.count, dataBytes.baseAddress, dataBytes.count, &digest)
            }
        }
        guard ok == 1 else { return "" }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Compares in constant time, so a forger cannot learn the signature byte by byte from the timing.
    func verify(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
        guard !key.isEmpty else { return true }
        let expected = Array(self.signature(parts).utf8)
        guard expected.count == signature.count, !expected.isEmpty else { return false }
        return expected.withUnsafeBytes { a in signature.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) } } == 0
    }
}

/// One Jupyter message: the routing identities, then header, parent header, metadata and content.
struct WireMessage {
    static let delimiter = Array("<IDS|MSG>".utf8)
    static let protocolVersion = "5.3"

    var identities: [[UInt8]] = []
    var header: JSON
    var parentHeader: JSON
    var metadata: JSON = [:]
    var content: JSON
    var buffers: [[UInt8]] = []

    var type: String { header["msg_type"]?.string ?? "" }
    var id: String { header["msg_id"]?.string ?? "" }

    /// Why a message was refused: the kernel logs it and carries on.
    enum Problem: Error, CustomStringConvertible {
        case malformed(String)
        case badSignature
        var description: String {
            switch self {
            case .malformed(let why): "malformed message: \(why)"
            case .badSignature: "message with a wrong signature rejected (not executed)"
            }
        }
    }

    /// Splits and checks received frames; a wrong signature or a frame that is not JSON is a `Problem`.
    init(frames: [[UInt8]], signer: Signer) throws {
        guard let split = frames.firstIndex(of: Self.delimiter) else { throw Problem.malformed("no <IDS|MSG> delimiter") }
        guard frames.count >= split + 6 else { throw Problem.malformed("\(frames.count - split - 1) frames after the delimiter, 5 needed") }
        let parts = Array(frames[(split + 2)...(split + 5)])
        guard signer.verify(frames[split + 1], parts) else { throw Problem.badSignature }
        identities = Array(frames[..<split])
        do {
            header = try JSON(parsing: parts[0])
            parentHeader = try JSON(parsing: parts[1])
            metadata = try JSON(parsing: parts[2])
            content = try JSON(parsing: parts[3])
        } catch {
            throw Problem.malformed("\(error)")
        }
        buffers = Array(frames[(split + 6)...])
    }

    /// A new message of `type` in reply to (or caused by) `parent`.
    init(type: String, content: JSON, parent: WireMessage?, session: String, metadata: JSON = [:]) {
        header = ["msg_id": .string(UUID().uuidString.lowercased()), "session": .string(session), "username": "dnb",
                  "date": .string(Self.timestamp()), "msg_type": .string(type), "version": .string(Self.protocolVersion)]
        parentHeader = parent?.header ?? [:]
        identities = parent?.identities ?? []
        self.metadata = metadata
        self.content = content
    }

    func frames(signer: Signer) -> [[UInt8]] {
        let parts = [header, parentHeader, metadata, content].map { Array($0.compact.utf8) }
        return identities + [Self.delimiter, Array(signer.signature(parts).utf8)] + parts + buffers
    }

    /// ISO 8601 in UTC with microseconds, as Jupyter writes dates.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1000)
    }
}

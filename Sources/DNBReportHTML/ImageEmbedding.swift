import Foundation

/// Turns an image reference of the Markdown into a `data:` URI, so that the page needs neither the
/// figures folder nor the network. Relative paths are read from the Markdown file's folder (where
/// `dnb run` writes `figures/`).
struct ImageEmbedding {
    /// The largest image embedded. dnb's figures are tens to hundreds of kB (a 64-sample grid: about
    /// 60 kB); 32 MB leaves room for any figure while keeping a stray large file out of the page.
    static let maximumBytes = 32 << 20

    var baseDirectory: String

    enum Failure: Error, CustomStringConvertible {
        case remote(String)
        case unreadable(String, reason: String)
        case tooLarge(String, bytes: Int)
        case notAnImage(String)

        var description: String {
            switch self {
            case .remote(let url): return "\(url) is not a local file; the page would need the network to show it"
            case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
            case .tooLarge(let path, let bytes): return "\(path) is \(bytes >> 20) MB, over the \(maximumBytes >> 20) MB an embedded image may have"
            case .notAnImage(let path): return "\(path) is not a PNG, JPEG, GIF or SVG image"
            }
        }
    }

    /// The `data:` URI of the image `reference` names (a URL path as written in the Markdown).
    func dataURI(for reference: String) throws(Failure) -> String {
        if reference.hasPrefix("data:") { return reference }
        if reference.contains("://") || reference.hasPrefix("//") { throw .remote(reference) }
        let decoded = reference.removingPercentEncoding ?? reference
        let path = decoded.hasPrefix("/") ? decoded : (baseDirectory.hasSuffix("/") ? baseDirectory : baseDirectory + "/") + decoded
        let bytes = try read(path, shownAs: decoded)
        guard let type = Self.mediaType(of: bytes, path: decoded) else { throw .notAnImage(decoded) }
        return "data:\(type);base64," + bytes.base64EncodedString()
    }

    private func read(_ path: String, shownAs name: String) throws(Failure) -> Data {
        let size: Int
        do {
            // Through symbolic links: a figure may be a link to the file.
            let attributes = try FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { throw Failure.notAnImage(name) }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .unreadable(name, reason: "no such file")
        }
        guard size <= Self.maximumBytes else { throw .tooLarge(name, bytes: size) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(name, reason: "the file could not be read")
        }
    }

    /// The image's media type from its first bytes (the file name only for SVG, which is text).
    static func mediaType(of bytes: Data, path: String) -> String? {
        let head = [UInt8](bytes.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if head.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        if path.lowercased().hasSuffix(".svg"), String(data: bytes.prefix(4096), encoding: .utf8)?.contains("<svg") == true {
            return "image/svg+xml"
        }
        return nil
    }
}

import Foundation
import DNBSupport
#if canImport(Glibc)
import Glibc
#endif

/// What a run wrote in its output folder that a later run may take away again: the figures its report
/// references and the other renderings of the report (report.html), each with its size and FNV-1a hash,
/// in `.dnb-manifest.json`. The next run removes the ones its own report no longer references, and only
/// while they are byte for byte what dnb wrote: a user's file stays, even one named like a figure, and so
/// does a figure the user has since edited. Files no manifest lists (a run killed outright wrote them)
/// are never removed.
struct OutputManifest: Codable, Equatable {
    static let fileName = ".dnb-manifest.json"

    struct Entry: Codable, Equatable {
        var path: String
        var size: Int
        var fnv1a64: String
    }

    var version = 1
    var files: [Entry] = []

    /// Removes what the previous run listed and `kept` no longer names, then lists `kept` (paths relative
    /// to `directory`). Returns one line per problem; a problem never fails the run.
    static func update(directory: String, keeping kept: [String]) -> [String] {
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        var problems: [String] = []
        let previous: OutputManifest
        do {
            previous = try read(folder + fileName)
        } catch {
            previous = OutputManifest()
            problems.append("\(folder + fileName) is not a manifest dnb wrote (\(errorCause(error))); no file of the previous run was removed")
        }
        let keep = Set(kept)
        for entry in previous.files where !keep.contains(entry.path) && isRemovable(entry.path) {
            // Only while the file is still exactly what the previous run wrote (sizes compared before reading).
            guard fileSize(entry.path, in: folder) == entry.size, entry == Self.entry(for: entry.path, in: folder) else { continue }
            if unlink(folder + entry.path) != 0, errno != ENOENT {
                problems.append(FileError("remove", folder + entry.path, errno: errno).message)
            }
        }
        var current = OutputManifest()
        for path in Array(Set(kept)).sorted() where isRemovable(path) {
            if let entry = Self.entry(for: path, in: folder) { current.files.append(entry) }
        }
        if current.files.isEmpty {
            // A run without figures leaves no manifest behind (nor the previous run's, now acted on).
            if unlink(folder + fileName) != 0, errno != ENOENT { problems.append(FileError("remove", folder + fileName, errno: errno).message) }
            return problems
        }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(encoder.encode(current), to: folder + fileName)
        } catch {
            problems.append(describeError(error))
        }
        return problems
    }

    /// Only what dnb itself names: `figures/NAME.png` and `report.html`. A manifest that lists anything
    /// else (edited by hand, say `../notes.txt`) cannot make dnb delete it.
    static func isRemovable(_ path: String) -> Bool {
        if path == "report.html" { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0] == "figures" && parts[1].hasSuffix(".png") && !parts[1].hasPrefix(".")
    }

    static func read(_ path: String) throws -> OutputManifest {
        guard FileManager.default.fileExists(atPath: path) else { return OutputManifest() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let manifest = try JSONDecoder().decode(OutputManifest.self, from: data)
        guard manifest.version == 1 else { throw FileError("version \(manifest.version), this dnb knows 1") }
        return manifest
    }

    /// The size of a regular file (not a link: lstat), nil when there is none.
    static func fileSize(_ path: String, in folder: String) -> Int? {
        var status = stat()
        guard lstat(folder + path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    static func entry(for path: String, in folder: String) -> Entry? {
        guard fileSize(path, in: folder) != nil, let data = FileManager.default.contents(atPath: folder + path) else { return nil }
        return Entry(path: path, size: data.count, fnv1a64: fnv1a64(data))
    }

    /// FNV-1a, 64 bits: it tells a file dnb wrote from one put in its place; nothing here is adversarial
    /// beyond that (a user who forges a collision for their own file deletes their own file).
    static func fnv1a64(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

import Foundation

/// A folder that dnb replaces as a whole (a training checkpoint, a model folder) without ever
/// destroying what it did not write and without a moment where no complete copy can be found.
///
/// Every such folder carries a marker file (`.dnb-checkpoint`, `.dnb-model`), created first, so
/// anything named like dnb's leftovers is only deleted when it is provably dnb's. A replacement:
/// 1. refuses a target that is neither missing, empty, marked, nor holds only the files of `legacy`
///    (folders written before markers existed);
/// 2. writes the new copy beside the target as `.NAME.partial-PID` (marker first, then `write`);
/// 3. renames the old copy aside to `.NAME.old-PID`, then the new one in, then deletes the old one.
/// A kill between 3's renames leaves the target missing and a complete `.NAME.old-PID`:
/// `locate` returns that copy, and the next replacement cleans every marked leftover.
/// Callers hold `FolderLock(sibling:)` so that two writers never interleave.
public enum ReplaceableFolder {
    /// The points between the steps of a replacement, for fault-injection tests (a thrown error
    /// there stops the replacement as a kill would: nothing is cleaned up).
    public enum Step: String, Sendable, CaseIterable { case written, movedAside, movedIn }

    /// Replaces `target` with the folder `write` fills (it receives the staging folder's path).
    /// `kind` names the folder in messages ("checkpoint", "model folder").
    public static func replace(_ target: String, marker: String, kind: String, legacy: Set<String> = [],
                               fault: ((Step) throws -> Void)? = nil, write: (String) throws -> Void) throws {
        let (parent, name) = try split(target, kind: kind)
        let target = parent + name
        try AtomicFile.createDirectory(parent.isEmpty ? "." : parent)
        let targetExists = try checkReplaceable(target, marker: marker, kind: kind, legacy: legacy)
        cleanLeftovers(parent: parent, name: name, marker: marker, keepAside: !targetExists)

        let staging = parent + ".\(name).partial-\(getpid())"
        guard mkdir(staging, 0o755) == 0 else { throw FileError("create folder", staging, errno: errno) }
        do {
            try createMarker(staging + "/" + marker, kind: kind)
            try write(staging)
        } catch {
            removeOwned(staging, marker: marker)
            throw error
        }
        AtomicFile.syncDirectory(staging)
        try fault?(.written)

        var aside: String?
        // An empty folder is replaced by the rename itself (rename(2) replaces an empty directory atomically).
        if targetExists, !entries(target).isEmpty {
            // A folder of legacy files becomes dnb's own before it is moved aside, so that `locate` and the
            // clean-up recognise it if a kill strands it there.
            if !exists(target + "/" + marker) {
                do { try createMarker(target + "/" + marker, kind: kind) } catch {
                    removeOwned(staging, marker: marker)
                    throw error
                }
            }
            let old = parent + ".\(name).old-\(getpid())"
            guard rename(target, old) == 0 else {
                let code = errno
                removeOwned(staging, marker: marker)
                throw FileError("move the previous \(kind) aside from", target, errno: code)
            }
            AtomicFile.syncDirectory(parent.isEmpty ? "." : parent)
            aside = old
            try fault?(.movedAside)
        }
        guard rename(staging, target) == 0 else {
            let code = errno
            if let aside { rename(aside, target) }
            removeOwned(staging, marker: marker)
            throw FileError("move the new \(kind) into", target, errno: code)
        }
        AtomicFile.syncDirectory(parent.isEmpty ? "." : parent)
        try fault?(.movedIn)
        if let aside { removeOwned(aside, marker: marker) }
        cleanLeftovers(parent: parent, name: name, marker: marker, keepAside: false)
    }

    /// The complete copy to read: the target when it exists, else the newest aside copy
    /// (`.NAME.old-PID`) that carries the marker — left by a kill between the swap's renames.
    /// Staging copies are never returned: they may be incomplete.
    public static func locate(_ target: String, marker: String) -> String? {
        guard let (parent, name) = try? split(target, kind: "folder") else { return nil }
        let target = parent + name
        if isDirectory(target) { return target }
        let asides = entries(parent.isEmpty ? "." : parent).filter { $0.hasPrefix(".\(name).old-") }
            .map { parent + $0 }.filter { isDirectory($0) && exists($0 + "/" + marker) }
        return asides.max { modificationTime($0) < modificationTime($1) }
    }

    /// Throws unless `target` may be replaced: missing, an empty folder, a folder carrying `marker`, or one
    /// holding only `legacy` files. Returns whether it exists.
    @discardableResult
    public static func checkReplaceable(_ target: String, marker: String, kind: String, legacy: Set<String> = []) throws -> Bool {
        _ = try split(target, kind: kind)
        var info = stat()
        guard lstat(target, &info) == 0 else {
            if errno == ENOENT { return false }
            throw FileError("inspect", target, errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileError("\(target) is not a folder (a file or a link is there); dnb writes a \(kind) only as a new folder, an empty one, or over a \(kind) it wrote: choose another path")
        }
        let names = entries(target)
        if names.isEmpty || names.contains(marker) { return true }
        if !legacy.isEmpty, Set(names).isSubset(of: legacy) { return true }
        let shown = names.sorted().prefix(4).joined(separator: ", ") + (names.count > 4 ? ", …" : "")
        throw FileError("refusing to replace \(target): it is not a dnb \(kind) (no \(marker) in it) and holds \(names.count) entr\(names.count == 1 ? "y" : "ies") (\(shown)); dnb writes a \(kind) only as a new folder, an empty one, or over a \(kind) it wrote: choose another path")
    }

    /// The marker is created in place, not through a temporary file: its presence is what counts, and a kill between
    /// the staging folder's creation and the marker's then leaves an empty folder (removed by `cleanLeftovers`),
    /// never one holding only an unmarked temporary file.
    static func createMarker(_ path: String, kind: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError("create", path, errno: errno) }
        defer { close(descriptor) }
        try AtomicFile.writeAll(Array("dnb \(kind)\n".utf8), to: descriptor, path: path)
    }

    /// Deletes the leftovers of earlier replacements of `name` (staging and aside copies), only those that
    /// carry the marker or are empty. `keepAside` keeps aside copies (the target is missing: they are the only copy).
    static func cleanLeftovers(parent: String, name: String, marker: String, keepAside: Bool) {
        for entry in entries(parent.isEmpty ? "." : parent) {
            let isStaging = entry.hasPrefix(".\(name).partial-"), isAside = entry.hasPrefix(".\(name).old-")
            guard isStaging || (isAside && !keepAside) else { continue }
            let path = parent + entry
            guard isDirectory(path) else { continue }
            if exists(path + "/" + marker) { removeOwned(path, marker: marker) } else { rmdir(path) }
        }
    }

    /// Removes a folder dnb wrote: its contents, the marker last (a kill part-way leaves a marked, cleanable
    /// folder), then the folder.
    static func removeOwned(_ path: String, marker: String) {
        for entry in entries(path) where entry != marker { try? FileManager.default.removeItem(atPath: path + "/" + entry) }
        unlink(path + "/" + marker)
        rmdir(path)
    }

    /// ("parent/", "name") with a trailing slash removed; refuses ".", ".." and "/".
    static func split(_ path: String, kind: String) throws -> (parent: String, name: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let slash = trimmed.lastIndex(of: "/")
        let parent = slash.map { String(trimmed[...$0]) } ?? ""
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError("cannot write a \(kind) at \(path): name a folder of its own (e.g. \(path.hasSuffix("/") ? path : path + "/")ckpt)")
        }
        return (parent, name)
    }

    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func modificationTime(_ path: String) -> Int {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mtim.tv_sec : 0
    }
}

import Foundation
import DNBSupport
#if canImport(Glibc)
import Glibc
#endif

/// A stored byte string: its SHA-256 (lowercase hex) and length.
public struct BlobRef: Codable, Hashable, Sendable {
    public var sha256: String
    public var size: Int
    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }
}

/// One stored result: named blobs and a little text about it. What the names mean is the caller's business
/// (the runner stores a cell's outputs, figures and the workspace's state after it).
public struct CacheEntry: Codable, Sendable {
    public static let currentFormat = 1
    public var format = CacheEntry.currentFormat
    public var key: String
    public var created: Date
    /// What the entry is, for `dnb cache list`: e.g. `mnist-diffusion.dnb cell 3 (train)`.
    public var label: String
    /// How long computing it took.
    public var seconds: Double
    public var blobs: [String: BlobRef]

    public init(key: String, created: Date, label: String, seconds: Double, blobs: [String: BlobRef]) {
        self.key = key
        self.created = created
        self.label = label
        self.seconds = seconds
        self.blobs = blobs
    }

    /// Bytes of the blobs it names (shared blobs counted in full).
    public var size: Int { blobs.values.reduce(0) { $0 + $1.size } }
}

/// A cache file that is not what was stored: truncated, altered, or not an entry at all.
public struct CacheCorruption: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A content-addressed store of results in one folder, safe to share between processes:
///
///     DIR/objects/ab/cdef…   blobs, named by the SHA-256 of their bytes (identical bytes stored once)
///     DIR/entries/KEY.json   an entry: which blobs make a result; its modification time is its last use
///
/// Every file is written to a temporary name and renamed into place, so a reader sees a whole file or none, and
/// two writers of the same blob write the same bytes. Reading checks each blob's length and hash: damage is
/// reported (`CacheCorruption`), never returned. Eviction (least recently used first, down to `sizeLimit`)
/// and `clear` hold `DIR/.dnb-lock`; blobs no entry names are deleted only when older than `orphanGrace`, so a
/// writer's blobs survive until its entry lands.
public final class CacheStore {
    public let directory: String
    public var sizeLimit: Int64
    /// Unreferenced blobs younger than this are left alone by garbage collection (a concurrent writer's).
    public var orphanGrace: TimeInterval = 600
    /// Fault injection for tests: called with each path before it is written.
    public var writeFault: ((String) throws -> Void)?

    /// 5 GiB: a few hundred cells of a 1.7 M-parameter model with Adam state (21 MB a training cell, measured).
    public static let defaultSizeLimit: Int64 = 5 << 30

    public init(directory: String, sizeLimit: Int64 = CacheStore.defaultSizeLimit) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.sizeLimit = sizeLimit
    }

    var objects: String { directory + "/objects" }
    var entries: String { directory + "/entries" }

    public func blobPath(_ sha256: String) -> String {
        objects + "/" + sha256.prefix(2) + "/" + sha256.dropFirst(2)
    }

    public func entryPath(_ key: String) -> String { entries + "/" + key + ".json" }

    // MARK: - Blobs

    /// Stores `bytes` (once: a blob already present is not written again) and returns its reference.
    @discardableResult
    public func put(_ bytes: Data) throws -> BlobRef {
        let ref = BlobRef(sha256: Digest.sha256Hex(bytes), size: bytes.count)
        let path = blobPath(ref.sha256)
        var info = stat()
        if stat(path, &info) == 0, Int(info.st_size) == ref.size {
            // Present: refresh its time so that garbage collection sees it as in use.
            utimes(path, nil)
            return ref
        }
        try writeFault?(path)
        try AtomicFile.createDirectory(objects + "/" + ref.sha256.prefix(2))
        try AtomicFile.write(bytes, to: path)
        return ref
    }

    /// The bytes of `ref`, checked against its length and hash. A damaged blob is deleted, so that the next
    /// `put` of its bytes writes it anew.
    public func get(_ ref: BlobRef) throws -> Data {
        guard ref.sha256.count == 64, ref.sha256.allSatisfy(\.isHexDigit) else {
            throw CacheCorruption("a blob reference '\(ref.sha256.prefix(80))' is not a SHA-256")
        }
        let path = blobPath(ref.sha256)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CacheCorruption("blob \(ref.sha256.prefix(12)) is missing")
        }
        guard data.count == ref.size else {
            unlink(path)
            throw CacheCorruption("blob \(ref.sha256.prefix(12)) has \(data.count) bytes, \(ref.size) were stored")
        }
        let actual = Digest.sha256Hex(data)
        guard actual == ref.sha256 else {
            unlink(path)
            throw CacheCorruption("blob \(ref.sha256.prefix(12)) hashes to \(actual.prefix(12)): it was altered")
        }
        return data
    }

    // MARK: - Entries

    /// The entry stored under `key`; nil when there is none. Throws `CacheCorruption` (and deletes the file) when
    /// it is not a readable entry for this key.
    public func entry(_ key: String) throws -> CacheEntry? {
        guard let data = FileManager.default.contents(atPath: entryPath(key)) else { return nil }
        let entry: CacheEntry
        do { entry = try Self.decoder.decode(CacheEntry.self, from: data) } catch {
            remove(key)
            throw CacheCorruption("entry \(key.prefix(12)) is not readable (\(data.count) bytes)")
        }
        guard entry.format == CacheEntry.currentFormat, entry.key == key else {
            remove(key)
            throw CacheCorruption("entry \(key.prefix(12)) is of another format or key")
        }
        return entry
    }

    /// Stores `entry` (its blobs must have been `put` first), replacing any entry with its key.
    public func store(_ entry: CacheEntry) throws {
        let path = entryPath(entry.key)
        try writeFault?(path)
        try AtomicFile.createDirectory(entries)
        try AtomicFile.write(try Self.encoder.encode(entry), to: path)
    }

    /// Marks `key` as just used, for least-recently-used eviction.
    public func touch(_ key: String) {
        utimes(entryPath(key), nil)
    }

    /// Deletes the entry (its blobs go at the next garbage collection).
    public func remove(_ key: String) {
        unlink(entryPath(key))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    // MARK: - Listing, clearing, eviction

    /// One entry as `dnb cache list` shows it.
    public struct Listing: Sendable {
        public var key: String
        /// nil when the entry file is damaged.
        public var entry: CacheEntry?
        public var lastUsed: Date
        /// Bytes of blobs no other entry names: what removing this entry frees.
        public var ownBytes: Int
    }

    /// Every entry, most recently used first.
    public func list() -> [Listing] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: entries)) ?? []
        var listings: [Listing] = []
        for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let key = String(name.dropLast(5))
            var info = stat()
            guard stat(entryPath(key), &info) == 0 else { continue }
            let used = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            listings.append(Listing(key: key, entry: try? entry(key), lastUsed: used, ownBytes: 0))
        }
        var users: [String: Int] = [:]
        for listing in listings { for ref in Set(listing.entry?.blobs.values.map { $0 } ?? []) { users[ref.sha256, default: 0] += 1 } }
        for i in listings.indices {
            listings[i].ownBytes = Set(listings[i].entry?.blobs.values.map { $0 } ?? []).filter { users[$0.sha256] == 1 }.reduce(0) { $0 + $1.size }
        }
        return listings.sorted { $0.lastUsed > $1.lastUsed }
    }

    /// Bytes of every blob and entry file in the store.
    public func totalBytes() -> Int64 {
        var total: Int64 = 0
        for path in allFiles() {
            var info = stat()
            if stat(path, &info) == 0 { total += Int64(info.st_size) }
        }
        return total
    }

    private func allFiles() -> [String] {
        var files: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: entries)) ?? [] { files.append(entries + "/" + name) }
        for prefix in (try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + prefix)) ?? [] {
                files.append(objects + "/" + prefix + "/" + name)
            }
        }
        return files
    }

    /// Removes every entry (or those last used more than `olderThan` seconds ago) and the blobs left unnamed.
    /// Returns how many entries went and the bytes freed.
    @discardableResult
    public func clear(olderThan age: TimeInterval? = nil, now: Date = Date()) throws -> (entries: Int, bytes: Int64) {
        try withLock {
            let before = totalBytes()
            var removed = 0
            for listing in list() where age.map({ now.timeIntervalSince(listing.lastUsed) > $0 }) ?? true {
                remove(listing.key)
                removed += 1
            }
            collectGarbage(grace: age == nil ? 0 : orphanGrace, now: now)
            return (removed, before - totalBytes())
        }
    }

    /// Removes least recently used entries until the store holds at most `sizeLimit` bytes, then unnamed blobs.
    /// Skipped (returns nil) while another process holds the store's lock.
    @discardableResult
    public func evict(now: Date = Date()) -> (entries: Int, bytes: Int64)? {
        try? withLock {
            let before = totalBytes()
            guard before > sizeLimit else { return (0, 0) }
            collectGarbage(grace: orphanGrace, now: now)
            var removed = 0
            var listings = list()
            while totalBytes() > sizeLimit, let oldest = listings.popLast() {
                remove(oldest.key)
                removed += 1
                collectGarbage(grace: orphanGrace, now: now)
            }
            return (removed, before - totalBytes())
        }
    }

    /// Deletes blobs that no entry names and that are older than `grace`, and leftover temporary files.
    func collectGarbage(grace: TimeInterval, now: Date = Date()) {
        var named = Set<String>()
        for listing in list() { for ref in listing.entry?.blobs.values.map({ $0 }) ?? [] { named.insert(ref.sha256) } }
        for prefix in (try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? [] {
            let folder = objects + "/" + prefix
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let path = folder + "/" + name
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                let age = now.timeIntervalSince1970 - TimeInterval(info.st_mtim.tv_sec)
                let isTemporary = name.hasPrefix(".")
                if age >= grace, isTemporary || !named.contains(prefix + name) { unlink(path) }
            }
            rmdir(folder)  // only succeeds when empty
        }
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try AtomicFile.createDirectory(directory)
        let lock = try FolderLock(directory, purpose: "a cell cache being cleaned")
        defer { lock.release() }
        return try body()
    }
}

import Foundation
import Testing
import DNBTestSupport
@testable import DNBCache

@Suite struct CacheStoreTests {
    @Test func blobsAreStoredOnceAndCheckedOnRead() throws {
        let dir = try TemporaryDirectory()
        let store = CacheStore(directory: dir.path)
        let a = try store.put(Data("weights".utf8))
        let again = try store.put(Data("weights".utf8))
        #expect(a == again)
        #expect(try store.get(a) == Data("weights".utf8))
        // Same length, other bytes: caught by the hash, and the damaged blob is deleted so a put writes it anew.
        try Data("WEIGHTS".utf8).write(to: URL(fileURLWithPath: store.blobPath(a.sha256)))
        #expect(throws: CacheCorruption.self) { try store.get(a) }
        #expect(!FileManager.default.fileExists(atPath: store.blobPath(a.sha256)))
        try store.put(Data("weights".utf8))
        #expect(try store.get(a) == Data("weights".utf8))
        // Truncated.
        try Data("wei".utf8).write(to: URL(fileURLWithPath: store.blobPath(a.sha256)))
        #expect(throws: CacheCorruption.self) { try store.get(a) }
    }

    @Test func damagedEntriesAreReportedAndRemoved() throws {
        let dir = try TemporaryDirectory()
        let store = CacheStore(directory: dir.path)
        let ref = try store.put(Data("x".utf8))
        try store.store(CacheEntry(key: "k1", created: Date(), label: "cell 1", seconds: 2, blobs: ["outputs": ref]))
        #expect(try store.entry("k1")?.blobs["outputs"] == ref)
        #expect(try store.entry("absent") == nil)
        try Data("{\"format\": 1, \"key\": ".utf8).write(to: URL(fileURLWithPath: store.entryPath("k1")))
        #expect(throws: CacheCorruption.self) { try store.entry("k1") }
        #expect(try store.entry("k1") == nil)
    }

    @Test func evictionRemovesLeastRecentlyUsedFirst() throws {
        let dir = try TemporaryDirectory()
        let store = CacheStore(directory: dir.path, sizeLimit: 2500)
        store.orphanGrace = 0
        let now = Date()
        for (i, key) in ["old", "middle", "new"].enumerated() {
            let ref = try store.put(Data(repeating: UInt8(i), count: 1000))
            try store.store(CacheEntry(key: key, created: now, label: key, seconds: 1, blobs: ["outputs": ref]))
            // Last used i hours ago in reverse: "old" longest ago.
            var times = [timeval(tv_sec: Int(now.timeIntervalSince1970) - (3 - i) * 3600, tv_usec: 0),
                         timeval(tv_sec: Int(now.timeIntervalSince1970) - (3 - i) * 3600, tv_usec: 0)]
            utimes(store.entryPath(key), &times)
        }
        store.touch("old")  // used just now: "middle" is now the least recently used
        let evicted = store.evict(now: now)
        #expect(evicted?.entries == 1)
        #expect(Set(store.list().map(\.key)) == ["old", "new"])
        #expect(store.totalBytes() <= 2500)
    }

    @Test func clearOlderThanKeepsRecentEntries() throws {
        let dir = try TemporaryDirectory()
        let store = CacheStore(directory: dir.path)
        let now = Date()
        for (key, hoursAgo) in [("recent", 1), ("stale", 48)] {
            let ref = try store.put(Data(key.utf8))
            try store.store(CacheEntry(key: key, created: now, label: key, seconds: 1, blobs: ["outputs": ref]))
            var times = [timeval(tv_sec: Int(now.timeIntervalSince1970) - hoursAgo * 3600, tv_usec: 0),
                         timeval(tv_sec: Int(now.timeIntervalSince1970) - hoursAgo * 3600, tv_usec: 0)]
            utimes(store.entryPath(key), &times)
        }
        let cleared = try store.clear(olderThan: 24 * 3600, now: now)
        #expect(cleared.entries == 1)
        #expect(store.list().map(\.key) == ["recent"])
        try store.clear()
        #expect(store.list().isEmpty && store.totalBytes() == 0)
    }

    @Test func aFailingWriteLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory()
        let store = CacheStore(directory: dir.path)
        store.writeFault = { _ in throw POSIXError(.ENOSPC) }
        #expect(throws: POSIXError.self) { try store.put(Data("x".utf8)) }
        #expect(store.totalBytes() == 0)
    }
}

import Foundation

/// A float buffer owned by one or more tensors (reshape shares it).
/// Buffers come from `BufferPool` and go back to it on deinit, so a training
/// loop that allocates the same shapes every step stops touching the kernel
/// (fresh mmap'd pages cost a page fault per 4 KB on first write).
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    init(count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count: count)
    }

    deinit { BufferPool.shared.give(pointer, count: count) }
}

/// Size-keyed free lists of 64-byte aligned buffers.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0
    private let lock = NSLock()
    /// Buffers are dropped instead of pooled beyond this many bytes, bounding what an idle pool holds.
    /// Large enough for a batch-128 training step's turnover: below it, dropped buffers come back
    /// as fresh pages and each step pays ~170,000 page faults (measured: 0.2–0.3 s per step).
    public var capacityBytes = 4 << 30

    func take(count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        lock.lock()
        if var list = free[n], let p = list.popLast() {
            free[n] = list
            pooledBytes -= n * 4
            lock.unlock()
            return p
        }
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let n = max(count, 1)
        lock.lock()
        if pooledBytes + n * 4 <= capacityBytes {
            free[n, default: []].append(p)
            pooledBytes += n * 4
            lock.unlock()
        } else {
            lock.unlock()
            UnsafeMutableRawPointer(p).deallocate()
        }
    }

    /// Returns every pooled buffer to the system.
    public func drain() {
        lock.lock()
        for (_, list) in free { for p in list { UnsafeMutableRawPointer(p).deallocate() } }
        free = [:]
        pooledBytes = 0
        lock.unlock()
    }
}

import Dispatch
import DNBSupport
import Foundation
import Synchronization
import CBLAS
import COpenBLASCore

/// How many cores the engine's kernels use. OpenBLAS itself runs single-threaded:
/// dnb splits work across cores itself, which measured faster for the many
/// small GEMMs of a UNet and avoids OpenBLAS threads busy-waiting against ours.
public enum Engine {
    private static let threadSetting = Atomic<Int>(defaultThreads())

    /// The threads an op may use: the setting, or 1 on a thread running a shard of `parallelShards`.
    public static var threads: Int {
        get { pthread_getspecific(shardKey) == nil ? threadSetting.load(ordering: .relaxed) : 1 }
        set { threadSetting.store(max(1, newValue), ordering: .relaxed) }
    }

    private static let shardedTrainingSetting = Atomic<Bool>(environmentSetting("DNB_SHARDED_TRAINING", allowed: [0, 1]) != 0)

    /// Whether a training step splits its batch over the engine's threads, each shard a graph of its own
    /// (`parallelShards`), rather than every op over the threads. On unless DNB_SHARDED_TRAINING is 0.
    public static var shardedTraining: Bool {
        get { shardedTrainingSetting.load(ordering: .relaxed) }
        set { shardedTrainingSetting.store(newValue, ordering: .relaxed) }
    }

    /// Set (non-nil) on a thread while it runs a shard: its ops run single-threaded.
    fileprivate static let shardKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static func defaultThreads() -> Int {
        openblas_set_num_threads(1)
        if let s = getenvString("DNB_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, sysconfThreads())
    }

    public static var blasConfig: String {
        guard let c = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: c)
    }

    /// OpenBLAS's kernels ("SkylakeX", "Haswell", …).
    public static var blasCore: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }

    /// The kernels OpenBLAS had chosen itself when dnb chose others at load time (COpenBLASCore.h:
    /// OpenBLAS 0.3.21–0.3.24 take Prescott's for Intel CPUs newer than they know), else nil.
    public static var blasCoreReplaced: String? {
        dnb_blas_replaced_core().map { String(cString: $0) }
    }

    /// `blasCore`, saying so when dnb chose it: "SkylakeX, chosen by dnb: OpenBLAS took Prescott for this CPU".
    public static var blasCoreDescription: String {
        guard let old = blasCoreReplaced else { return blasCore }
        return "\(blasCore), chosen by dnb: OpenBLAS took \(old) for this CPU"
    }
}

private func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

/// The integer value of environment variable `name` when it is one of `allowed`, else nil.
func environmentSetting(_ name: String, allowed: Set<Int>) -> Int? {
    guard let s = getenvString(name), let v = Int(s), allowed.contains(v) else { return nil }
    return v
}

private func sysconfThreads() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

/// A raw pointer that may cross into a parallel region's closure (`WorkerPool`); callers
/// guarantee that the tasks write disjoint ranges.
public struct SendablePointer<T>: @unchecked Sendable {
    public let p: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// Runs `body(task)` for every task in 0..<count over the engine's threads (`WorkerPool`).
/// Tasks are dealt out in contiguous blocks so results do not depend on scheduling.
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let threads = max(1, min(Engine.threads, count))
    WorkerPool.shared.run(blocks: threads) { worker in
        for i in (count * worker / threads)..<(count * (worker + 1) / threads) { body(i) }
    }
}

/// Runs `body(worker, range)` with the range 0..<count split into one
/// contiguous block per thread; `worker` indexes per-thread scratch.
@inline(__always)
func parallelChunks(_ count: Int, minimumPerThread: Int = 1, _ body: (Int, Range<Int>) -> Void) {
    let threads = max(1, min(Engine.threads, count / max(1, minimumPerThread)))
    WorkerPool.shared.run(blocks: threads) { worker in
        body(worker, (count * worker / threads)..<(count * (worker + 1) / threads))
    }
}

/// Runs body(0..<count) concurrently, each shard on a thread of its own (`WorkerPool`) with the engine's ops
/// single-threaded on it: data parallelism inside one process, each shard a part of a batch with a graph of
/// its own. The shards meet once, when all have returned, instead of at every op of a training step, where
/// the threads spent 10 of 126 CPU ms a step waiting for each other on the quickstart's UNet (bench/README.md,
/// "Training step, session 9"). Called from inside a parallel region, the shards run one after another.
public func parallelShards(_ count: Int, _ body: (Int) -> Void) {
    WorkerPool.shared.run(blocks: count) { shard in
        let outer = pthread_getspecific(Engine.shardKey)
        pthread_setspecific(Engine.shardKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(Engine.shardKey, outer) }
        body(shard)
    }
}

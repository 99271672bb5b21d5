import Foundation
import Synchronization

/// The engine's own worker threads: `parallelFor`'s blocks 1..<n run on persistent workers that spin for
/// a moment after each job before they sleep, block 0 on the calling thread.
///
/// Why not `DispatchQueue.concurrentPerform`: a batch-128 training step opens ~1,300 parallel regions
/// (~1 ms each on average), and libdispatch wakes a sleeping worker for each; a worker that is still
/// spinning picks the job up at once. Measured: a training step −4 %, the quickstart's small UNet −19 %
/// (bench/README.md, "Training step, session 7").
///
/// One job at a time: a call made while a job runs — nested inside a block, or from another thread —
/// runs its blocks one after another on its own thread. The blocks are the same either way (static
/// partitioning by the caller), so results never depend on which thread ran what.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps: long enough to bridge the serial code between two
    /// regions of a training step (tens of µs), short enough that an idle REPL costs nothing.
    private static let spinNanoseconds: UInt64 = 200_000

    /// (generation << 8) | blocks of the posted job, read once by a worker so that the two agree.
    private let state = Atomic<UInt64>(0)
    /// Workers that have not finished the current job.
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Mutex<Bool>(false)
    private let wake = NSCondition()
    /// The job's body; written before `state` is published, read by workers after they see it.
    private nonisolated(unsafe) var body: ((Int) -> Void)?
    private let started = Mutex<Int>(0)
    /// Whether idle workers spin: only while the pool's threads fit the machine's cores. With more (a
    /// `--threads` above the core count), spinning workers would take the cores from the ones with work.
    private let spinning = Atomic<Bool>(true)
    private static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Runs body(0..<blocks) with block 0 on the calling thread, the others on workers, and returns when
    /// all are done. Blocks ≤ 255.
    func run(blocks: Int, _ body: (Int) -> Void) {
        guard blocks > 1, blocks < 256, claim() else {
            for b in 0..<blocks { body(b) }
            return
        }
        defer { release() }
        ensureWorkers(blocks - 1)
        withoutActuallyEscaping(body) { body in
            self.body = body
            pending.store(blocks - 1, ordering: .sequentiallyConsistent)
            let generation = (state.load(ordering: .relaxed) >> 8) &+ 1
            state.store(generation << 8 | UInt64(blocks), ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            body(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 1000 { sched_yield() }
            }
            self.body = nil
        }
    }

    private func claim() -> Bool {
        busy.withLock { taken in
            if taken { return false }
            taken = true
            return true
        }
    }

    private func release() { busy.withLock { $0 = false } }

    /// Starts workers 1..<count+1 that do not exist yet (before the job is posted: a new worker waits
    /// for the state after the current one).
    private func ensureWorkers(_ count: Int) {
        let current = state.load(ordering: .acquiring)
        started.withLock { have in
            while have < count {
                have += 1
                let index = have
                let thread = Thread { [self] in work(index, after: current) }
                thread.name = "dnb-worker-\(index)"
                thread.start()
            }
            spinning.store(have + 1 <= Self.cores, ordering: .relaxed)
        }
    }

    private func work(_ index: Int, after initial: UInt64) {
        var seen = initial
        while true {
            let now = waitForJob(after: seen)
            seen = now
            guard index < Int(now & 0xff) else { continue }
            body!(index)
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// The next posted state after `seen`: spins, then sleeps.
    private func waitForJob(after seen: UInt64) -> UInt64 {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var spins = 0
        while spinning.load(ordering: .relaxed) {
            let s = state.load(ordering: .acquiring)
            if s != seen { return s }
            spins += 1
            if spins & 255 == 0, DispatchTime.now().uptimeNanoseconds > deadline { break }
        }
        wake.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var s = state.load(ordering: .sequentiallyConsistent)
        while s == seen {
            wake.wait()
            s = state.load(ordering: .sequentiallyConsistent)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        wake.unlock()
        return s
    }
}

import Foundation
import Synchronization
import Testing
@testable import DNBEngine
import DNBTestSupport

/// The engine's worker threads (`WorkerPool`): every block of every job runs exactly once, whatever
/// the block count, the callers (nested inside a block, several threads at once) and whether the workers
/// were spinning or asleep when the job came.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct WorkerPoolTests {
    /// Runs one job of `blocks` blocks on `pool` and returns how often each block ran.
    func runCounts(_ pool: WorkerPool, blocks: Int) -> [Int] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: blocks)
        counts.initialize(repeating: 0, count: blocks)
        defer { counts.deallocate() }
        let cp = SendablePointer(counts)
        pool.run(blocks: blocks) { b in cp.p[b] += 1 }  // one writer per block: no race unless a block runs twice
        return Array(UnsafeBufferPointer(start: counts, count: blocks))
    }

    /// The first half with at most two blocks (workers that spin between jobs, on a machine of two or
    /// more cores), then up to six (more threads than CI's cores: workers that sleep between jobs).
    @Test func everyBlockOnceAcrossManyJobs() {
        let pool = WorkerPool()
        var rng = SplitMix64(state: 7)
        for job in 0..<20_000 {
            let blocks = 1 + Int(rng.next() % (job < 10_000 ? 2 : 6))
            let counts = runCounts(pool, blocks: blocks)
            if counts != Array(repeating: 1, count: blocks) {
                Issue.record("job \(job) with \(blocks) blocks ran them \(counts) times")
                return
            }
        }
    }

    /// Between jobs the workers spin for a moment and then sleep: jobs posted to sleeping workers must
    /// wake them (a lost wake-up hangs here until the time limit).
    @Test func jobsAfterTheWorkersSlept() {
        let pool = WorkerPool()
        for pause in [0, 50, 300, 2_000, 20_000] {  // µs: spinning, around the spin limit, asleep
            for _ in 0..<20 {
                #expect(runCounts(pool, blocks: 3) == [1, 1, 1], "after a pause of \(pause) µs")
                usleep(UInt32(pause))
            }
        }
    }

    /// A parallelFor inside a block runs its blocks on the calling thread (the pool is busy): complete,
    /// and the same result as a serial loop.
    @Test func nestedCallsRunInline() {
        let pool = WorkerPool()
        let n = 4, inner = 100
        let out = UnsafeMutablePointer<Int>.allocate(capacity: n * inner)
        out.initialize(repeating: 0, count: n * inner)
        defer { out.deallocate() }
        let op = SendablePointer(out)
        pool.run(blocks: n) { b in
            pool.run(blocks: 3) { c in
                for i in (inner * c / 3)..<(inner * (c + 1) / 3) { op.p[b * inner + i] += b * 1000 + i }
            }
        }
        let expected = (0..<n).flatMap { b in (0..<inner).map { b * 1000 + $0 } }
        #expect(Array(UnsafeBufferPointer(start: out, count: n * inner)) == expected)
    }

    /// Several threads post jobs at once: one is served by the workers, the others run inline; every
    /// block of every job runs once.
    @Test func concurrentCallers() {
        let pool = WorkerPool()
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 6) { caller in
            for job in 0..<2_000 {
                let blocks = 2 + (caller + job) % 4
                if runCounts(pool, blocks: blocks) != Array(repeating: 1, count: blocks) {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// The engine's kernels through the pool with more threads than this machine has cores: the same
    /// floats as one thread (a fast-path convolution and its gradients).
    @Test func moreThreadsThanCoresGiveTheSameFloats() throws {
        func run(threads: Int) throws -> [[Float]] {
            let saved = Engine.threads
            Engine.threads = threads
            defer { Engine.threads = saved }
            let x = randn([3, 9, 7, 5], seed: 1), w = randn([3, 3, 5, 6], seed: 2, scale: 0.3), b = randn([6], seed: 3)
            for t in [x, w, b] { t.requiresGrad = true }
            let y = try conv2d(x, weight: w, bias: b, stride: 1, padding: 1)
            try mean(try mul(y, randn(y.shape, seed: 4))).backward()
            return [y.scalars, x.grad!.scalars, b.grad!.scalars]
        }
        let one = try run(threads: 1)
        for threads in [2, 3, 7] {
            let many = try run(threads: threads)
            #expect(many[0] == one[0] && many[1] == one[1], "\(threads) threads: output or input gradient differ")
            // The bias gradient sums per-thread partials in thread order: equal within float rounding.
            #expect(zip(many[2], one[2]).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(threads) threads: bias gradient")
        }
    }

    /// Each shard of `parallelShards` runs on a thread of its own and sees one engine thread (its ops run
    /// single-threaded); the setting is as it was outside, and on the shard threads afterwards.
    @Test func shardsSeeOneEngineThreadEach() {
        let count = 3
        let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: count * 2)
        defer { seen.deallocate() }
        let p = SendablePointer(seen.baseAddress!)
        let outside = Engine.threads
        parallelShards(count) { s in
            p.p[2 * s] = Engine.threads
            p.p[2 * s + 1] = Int(bitPattern: UInt(pthread_self()))
        }
        #expect((0..<count).allSatisfy { seen[2 * $0] == 1 })
        #expect(Set((0..<count).map { seen[2 * $0 + 1] }).count == count, "each shard on its own thread")
        #expect(Engine.threads == outside)
        // The workers, free again, see the setting: a parallel region's blocks after the shards.
        parallelFor(2) { b in p.p[b] = Engine.threads }
        if outside > 1 { #expect(seen[1] == outside) }
    }
}

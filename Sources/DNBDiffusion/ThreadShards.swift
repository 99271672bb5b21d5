import DNBEngine
import DNBDistributed

/// Data parallelism over the engine's threads inside one process, as `DataParallel` does over processes:
/// each thread takes a part of the batch and runs forward and backward on its own replica of the model with
/// single-threaded ops (`parallelShards`), and the replicas' gradients are summed into the model's, in thread
/// order. Thread 0 runs on the model itself; the others on copies whose weights are refreshed from it before
/// every step (a copy of the weights: 2.9 MB for the quickstart's UNet, 6.8 MB for the tutorial's).
///
/// A thread's part is cut into micro-batches of about `microBatchRows` images, run one after another on its
/// replica, each graph freed before the next is built, their gradients accumulating in the replica's.
///
/// Why: with every op split over the threads, a training step opens hundreds of parallel regions and each
/// ends with one thread waiting for the other; threads meet once per step. Measured: the quickstart's step
/// −5 %, the tutorial's −2.5 % (bench/README.md, "Training step, session 9"). Micro-batches keep a graph's
/// activations small enough for the caches and bound its memory: the tutorial's batch-128 step on two threads
/// −6 % with peak memory 1.2 GB → 0.38 GB, on one thread 2.55 → 2.35 s (bench/README.md, "Training step and
/// sampling, session 10"). The floats differ from one graph over the whole batch only in the order in which the
/// gradient's terms are summed (as with `mpirun`); a given thread count always gives the same floats.
final class ThreadShards {
    private var replicas: [UNet2DModel] = []

    /// Rows per thread below which a batch is not split: a part of one or two images leaves each op too little
    /// work to be worth a replica.
    static let minimumRows = 4

    /// Rows of a micro-batch. 16 measured best for the tutorial's UNet at batch 128 (8 no faster, 32 and 64
    /// slower), and the quickstart's batch 32 on two threads already runs 16 a thread (8 was slower there:
    /// 0.055 → 0.063 s).
    static let microBatchRows = 16

    /// How a step runs: `runners` threads (1: the caller's), `shards` graphs in all, runner t taking shards
    /// t·shards/runners ..< (t+1)·shards/runners, shard s rows `shard(of: rows, rank: s, size: shards)`.
    struct Plan: Equatable {
        let runners: Int
        let shards: Int
        func shards(ofRunner t: Int) -> Range<Int> { (t * shards / runners)..<((t + 1) * shards / runners) }
    }

    /// The plan for a batch of `rows` on `threads` threads: as many runners as threads with at least
    /// `minimumRows` rows each, and micro-batches of at least `microBatch` rows, the same number per runner.
    static func plan(rows: Int, threads: Int, microBatch: Int = microBatchRows) -> Plan {
        let runners = max(1, min(threads, rows / minimumRows))
        return Plan(runners: runners, shards: runners * max(1, rows / (runners * max(1, microBatch))))
    }

    /// The model and `count − 1` replicas holding its current weights.
    func models(_ model: UNet2DModel, count: Int) throws -> [UNet2DModel] {
        if replicas.first.map({ $0.config != model.config }) ?? false { replicas = [] }
        while replicas.count < count - 1 { replicas.append(try UNet2DModel(config: model.config)) }
        let source = model.parameters.tensors
        for replica in replicas.prefix(count - 1) {
            for (to, from) in zip(replica.parameters.tensors, source) {
                to.data.update(from: from.data, count: from.count)
                to.zeroGrad()
            }
        }
        return [model] + replicas.prefix(count - 1)
    }

    /// Adds the replicas' gradients to the model's, replica by replica in thread order (the same floats for a
    /// given plan); a parameter without a gradient in the model takes the first replica's.
    func sumGradients(into model: UNet2DModel, from models: ArraySlice<UNet2DModel>) {
        let parameters = model.parameters.tensors
        for replica in models {
            for (p, r) in zip(parameters, replica.parameters.tensors) {
                guard let g = r.grad else { continue }
                if let total = p.grad {
                    // Serial: 0.2 CPU ms a step for the quickstart's 0.7 M parameters (profiled), against 55 ms.
                    let (t, a) = (total.data, g.data)
                    for i in 0..<total.count { t[i] += a[i] }
                } else {
                    p.grad = g
                }
                r.zeroGrad()
            }
        }
    }
}

import DNBEngine
import DNBDistributed

/// Data parallelism over the engine's threads inside one process, as `DataParallel` does over processes:
/// each thread takes a shard of the batch and runs forward and backward on its own replica of the model with
/// single-threaded ops (`parallelShards`), and the replicas' gradients are summed into the model's, in shard
/// order. Shard 0 runs on the model itself; the others on copies whose weights are refreshed from it before
/// every step (a copy of the weights: 2.9 MB for the quickstart's UNet, 6.8 MB for the tutorial's).
///
/// Why: with every op split over the threads, a training step opens hundreds of parallel regions and each
/// ends with one thread waiting for the other; shards meet once per step. Measured: the quickstart's step
/// −5 %, the tutorial's −2.5 % (bench/README.md, "Training step, session 9"). The floats differ from one
/// thread running the whole batch only in the order of the gradient's summation (as with `mpirun`).
final class ThreadShards {
    private var replicas: [UNet2DModel] = []

    /// Rows per shard below which a batch is not split: a shard of one or two images leaves each op too
    /// little work to be worth a replica.
    static let minimumRows = 4

    /// How many shards a batch of `rows` takes on `threads` threads (1: not split).
    static func count(rows: Int, threads: Int) -> Int {
        max(1, min(threads, rows / minimumRows))
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

    /// Adds the replicas' gradients to the model's, replica by replica in shard order (the same floats for a
    /// given number of shards); a parameter without a gradient in the model takes the first replica's.
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

import DNBEngine
import DNBDistributed

/// Data-parallel training and sampling over a `ProcessGroup`, as PyTorch DDP does it: every rank holds the whole
/// model, takes its shard of each global batch, and the gradients are summed with one allreduce over a flat
/// buffer, after which Adam runs identically everywhere.
///
/// What makes the result independent of the number of ranks: every rank draws the *global* batch's noise and
/// timesteps from the same generator (a 128-image batch draws 0.13 M normals, ~1 ms) and keeps its rows, and each
/// rank's loss is its shard's mean scaled by shard / batch, so the summed gradient is the global mean's. Only the
/// order of float32 summation differs from one process.
public final class DataParallel {
    public let group: ProcessGroup
    /// Whether this rank was asked to stop (Ctrl-C, SIGTERM from mpirun); travels with the gradients so that every
    /// rank stops after the same step.
    public var localStopRequested: () -> Bool = { false }
    /// Set by a step when any rank asked to stop.
    public private(set) var stopRequested = false
    /// Wall time spent in the gradient allreduce, for the benchmark's "share of the step".
    public private(set) var communicationSeconds = 0.0
    private var buffer: [Float] = []

    public init(group: ProcessGroup) { self.group = group }

    /// Rank 0's values of `tensors` on every rank (the weights a training starts from).
    public func broadcast(_ tensors: [Tensor], _ what: String) throws {
        guard group.size > 1 else { return }
        let flat = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, tensors.reduce(0) { $0 + $1.count }))
        defer { flat.deallocate() }
        guard let base = flat.baseAddress else { return }
        var offset = 0
        for t in tensors { (base + offset).update(from: t.data, count: t.count); offset += t.count }
        try group.broadcast(UnsafeMutableRawBufferPointer(flat), what)
        offset = 0
        for t in tensors { t.data.update(from: base + offset, count: t.count); offset += t.count }
    }

    /// Sums the parameters' gradients, this rank's share of the loss and the stop requests over the ranks;
    /// returns the global loss. Layout of the one buffer: every gradient in parameter order, one flag per
    /// parameter (it has a gradient on some rank: Adam skips parameters without one, as in one process), the
    /// loss, the stop flag.
    func reduce(_ parameters: [Tensor], loss: Float) throws -> Float {
        let total = parameters.reduce(0) { $0 + $1.count }
        let size = total + parameters.count + 2
        if buffer.count != size { buffer = [Float](repeating: 0, count: size) }
        buffer.withUnsafeMutableBufferPointer { flat in
            guard let base = flat.baseAddress else { return }
            var offset = 0
            for (k, p) in parameters.enumerated() {
                if let g = p.grad {
                    (base + offset).update(from: g.data, count: p.count)
                } else {
                    (base + offset).update(repeating: 0, count: p.count)
                }
                flat[total + k] = p.grad == nil ? 0 : 1
                offset += p.count
            }
        }
        buffer[size - 2] = loss
        buffer[size - 1] = localStopRequested() ? 1 : 0
        let began = ContinuousClock.now
        try buffer.withUnsafeMutableBufferPointer { try group.allreduceSum($0, "the gradient allreduce") }
        let waited = began.duration(to: .now).components
        communicationSeconds += Double(waited.seconds) + Double(waited.attoseconds) * 1e-18
        buffer.withUnsafeBufferPointer { flat in
            guard let base = flat.baseAddress else { return }
            var offset = 0
            for (k, p) in parameters.enumerated() {
                if flat[total + k] > 0 {
                    let g = p.grad ?? Tensor(uninitialized: p.shape)
                    g.data.update(from: base + offset, count: p.count)
                    p.grad = g
                }
                offset += p.count
            }
        }
        stopRequested = buffer[size - 1] > 0
        return buffer[size - 2]
    }

    /// Runs `predict` on this rank's rows of `input` ([N, …]) and gathers every rank's rows of the result, in
    /// order, on every rank: sampling split across ranks, each step's model evaluation the only part shared out.
    /// `predict` gets the rows and which of the batch they are.
    public func shardedRows(_ input: Tensor, _ predict: (Tensor, Range<Int>) throws -> Tensor) throws -> Tensor {
        let n = input.shape[0]
        let mine = DNBDistributed.shard(of: n, rank: group.rank, size: group.size)
        let local = try mine.isEmpty ? nil : predict(rows(input, mine), mine)
        // Every rank needs the output's row size; a rank without rows takes the input's (a model maps
        // [N, H, W, C] to the same shape) and checks it against what it receives.
        let rowSize = local.map { $0.count / max(1, mine.count) } ?? input.count / max(1, n)
        let shape = local.map { [n] + Array($0.shape.dropFirst()) } ?? input.shape
        let counts = shardCounts(of: n, size: group.size).map { $0 * rowSize }
        let out = Tensor(uninitialized: shape)
        let empty = [Float]()
        if let local {
            try group.allgather(UnsafeBufferPointer(local.buffer), counts: counts, into: out.buffer, "the samples of a step")
        } else {
            try empty.withUnsafeBufferPointer { try group.allgather($0, counts: counts, into: out.buffer, "the samples of a step") }
        }
        return out
    }
}

extension DataParallel {
    /// This rank's rows of a batch [N, …] and where they sit in it.
    public func shard(_ batch: Tensor) -> (rows: Tensor, range: Range<Int>) {
        let range = DNBDistributed.shard(of: batch.shape[0], rank: group.rank, size: group.size)
        return (rows(batch, range), range)
    }

    /// Every rank's `local` rows of `width` values (its shard of `count` rows), in order, on every rank.
    public func gatherRows(_ local: [Float], width: Int, count: Int, _ what: String) throws -> [Float] {
        var all = [Float](repeating: 0, count: count * width)
        let counts = shardCounts(of: count, size: group.size).map { $0 * width }
        try local.withUnsafeBufferPointer { mine in
            try all.withUnsafeMutableBufferPointer { try group.allgather(mine, counts: counts, into: $0, what) }
        }
        return all
    }
}

/// Rows `range` of a tensor [N, …] (a copy).
func rows(_ t: Tensor, _ range: Range<Int>) -> Tensor {
    let rowSize = t.count / max(1, t.shape[0])
    let out = Tensor(uninitialized: [range.count] + Array(t.shape.dropFirst()))
    out.data.update(from: t.data + range.lowerBound * rowSize, count: range.count * rowSize)
    return out
}


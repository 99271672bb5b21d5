import DNBEngine

/// Where a loader is: the epoch and the next batch in it. Save it with a checkpoint; a loader
/// restored to it yields the same batches as the original would have.
public struct LoaderState: Sendable, Codable, Equatable {
    public var epoch: Int
    public var batch: Int
    public init(epoch: Int = 0, batch: Int = 0) { self.epoch = epoch; self.batch = batch }
}

/// One batch: images NHWC [B, H, W, 1] in the preprocessing's range, their labels and dataset indices.
public struct Batch {
    public let images: Tensor
    public let labels: [Int]
    public let indices: [Int]
    public let epoch: Int
    public let index: Int
}

/// Seeded, resumable batches over a prepared dataset.
///
/// Shuffling: epoch e visits the dataset in the order `RandomGenerator(seed: epochSeed(seed, e))
/// .permutation(count)` — a fresh generator per epoch, seeded by mixing (seed, epoch), so any
/// epoch's order is known without replaying the earlier ones and resuming from a checkpoint needs
/// only `LoaderState` (epoch, batch). Without shuffling the order is 0..<count.
/// Batch b of an epoch holds positions b·batchSize ..< (b+1)·batchSize of that order; the last,
/// shorter batch is dropped when `dropLast` is set.
public struct DataLoader {
    public let dataset: PreparedDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let dropLast: Bool
    public var state: LoaderState
    var cached: (epoch: Int, order: [Int])?

    public init(_ dataset: PreparedDataset, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
                dropLast: Bool = false, state: LoaderState = LoaderState()) throws {
        guard batchSize > 0 else { throw DataError(.invalidArgument, dataset.name, "batch size \(batchSize) must be positive") }
        guard dataset.count > 0 else { throw DataError(.invalidArgument, dataset.name, "the dataset is empty") }
        guard !dropLast || dataset.count >= batchSize else {
            throw DataError(.invalidArgument, dataset.name, "\(dataset.count) images make no full batch of \(batchSize) (drop-last is on)")
        }
        self.dataset = dataset; self.batchSize = batchSize; self.shuffle = shuffle; self.seed = seed
        self.dropLast = dropLast; self.state = state
    }

    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The per-epoch generator seed: SplitMix64's finaliser of seed ⊕ finaliser(epoch + golden ratio).
    public static func epochSeed(seed: UInt64, epoch: Int) -> UInt64 {
        func mix(_ v: UInt64) -> UInt64 {
            var z = v
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(seed ^ mix(UInt64(bitPattern: Int64(epoch)) &+ 0x9E37_79B9_7F4A_7C15))
    }

    /// The visiting order of `epoch`.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<dataset.count) }
        var g = RandomGenerator(seed: Self.epochSeed(seed: seed, epoch: epoch))
        return g.permutation(dataset.count)
    }

    mutating func cachedOrder(_ epoch: Int) -> [Int] {
        if let c = cached, c.epoch == epoch { return c.order }
        let o = order(epoch: epoch)
        cached = (epoch, o)
        return o
    }

    func make(_ order: [Int], epoch: Int, index: Int) -> Batch {
        let lo = index * batchSize, hi = min(lo + batchSize, dataset.count)
        let idx = Array(order[lo..<hi])
        return Batch(images: dataset.images(idx), labels: idx.map { Int(dataset.labels[$0]) }, indices: idx,
                     epoch: epoch, index: index)
    }

    /// Batch `index` of `epoch` (random access; does not move `state`).
    public mutating func batch(epoch: Int, index: Int) throws -> Batch {
        guard index >= 0 && index < batchesPerEpoch else {
            throw DataError(.invalidArgument, dataset.name, "batch \(index) out of range 0..<\(batchesPerEpoch)")
        }
        return make(cachedOrder(epoch), epoch: epoch, index: index)
    }

    /// The batch at `state`, then advances `state` (rolling over into the next epoch).
    public mutating func next() -> Batch {
        if state.batch >= batchesPerEpoch { state = LoaderState(epoch: state.epoch + 1, batch: 0) }
        let b = make(cachedOrder(state.epoch), epoch: state.epoch, index: state.batch)   // in range: just checked
        state.batch += 1
        if state.batch >= batchesPerEpoch { state = LoaderState(epoch: state.epoch + 1, batch: 0) }
        return b
    }

    /// The remaining batches of the current epoch (from `state`), advancing `state` past them.
    public mutating func epochBatches() -> [Batch] {
        let e = state.epoch
        var out = [Batch]()
        while state.epoch == e { out.append(next()) }
        return out
    }
}

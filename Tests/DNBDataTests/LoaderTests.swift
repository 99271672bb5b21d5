import Testing
@testable import DNBData

@Suite struct LoaderTests {
    static let prepared = try! PreparedDataset(try SyntheticDigits.make(count: 50, seed: 9), DNBData.tutorialPreprocessing)

    @Test func sameSeedSameOrderDifferentEpochsDiffer() throws {
        let a = try DataLoader(Self.prepared, batchSize: 8, seed: 42), b = try DataLoader(Self.prepared, batchSize: 8, seed: 42)
        let c = try DataLoader(Self.prepared, batchSize: 8, seed: 43)
        #expect(a.order(epoch: 0) == b.order(epoch: 0))
        #expect(a.order(epoch: 3) == b.order(epoch: 3))
        #expect(a.order(epoch: 0) != a.order(epoch: 1))
        #expect(a.order(epoch: 0) != c.order(epoch: 0))
        #expect(a.order(epoch: 0).sorted() == Array(0..<50))
        let plain = try DataLoader(Self.prepared, batchSize: 8, shuffle: false)
        #expect(plain.order(epoch: 5) == Array(0..<50))
    }

    @Test func batchesAreNHWCWithLabels() throws {
        var l = try DataLoader(Self.prepared, batchSize: 8, seed: 1)
        #expect(l.batchesPerEpoch == 7)
        let batches = l.epochBatches()
        #expect(batches.count == 7 && l.state == LoaderState(epoch: 1, batch: 0))
        #expect(batches[0].images.shape == [8, 32, 32, 1] && batches[6].images.shape == [2, 32, 32, 1])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<50))
        let b = batches[2]
        #expect(b.labels == b.indices.map { Int(Self.prepared.labels[$0]) })
        #expect(Array(b.images.scalars[0..<1024]) == Self.prepared.images([b.indices[0]]).scalars)
        var d = try DataLoader(Self.prepared, batchSize: 8, seed: 1, dropLast: true)
        #expect(d.batchesPerEpoch == 6)
        #expect(d.epochBatches().allSatisfy { $0.images.shape[0] == 8 })
    }

    @Test func resumingFromStateReproducesTheStream() throws {
        var original = try DataLoader(Self.prepared, batchSize: 16, seed: 7)
        for _ in 0..<5 { _ = original.next() }             // into epoch 1
        let saved = original.state
        #expect(saved == LoaderState(epoch: 1, batch: 1))
        let rest = (0..<6).map { _ in original.next().indices }
        var resumed = try DataLoader(Self.prepared, batchSize: 16, seed: 7, state: saved)
        #expect((0..<6).map { _ in resumed.next().indices } == rest)
    }

    @Test func rejectsBadSettings() {
        #expect(throws: DataError.self) { try DataLoader(Self.prepared, batchSize: 0) }
        #expect(throws: DataError.self) { try DataLoader(Self.prepared, batchSize: 64, dropLast: true) }
    }
}

import DNBSupport
import Foundation
import Testing
import DNBTestSupport
@testable import DNBData

@Suite struct IDXTests {
    @Test(arguments: [false, true])
    func readsGoodFiles(gzip: Bool) throws {
        let dir = try TemporaryDirectory()
        let spec = try writeTinyMNIST(into: dir, gzip: gzip)
        let train = try ImageDataset.load(spec, split: .train, directory: dir.path)
        #expect(train.count == 3 && train.height == 28 && train.width == 28)
        #expect(train.labels == [5, 0, 4])
        #expect(Array(train.image(1).prefix(3)) == [UInt8(784 % 251), UInt8(785 % 251), UInt8(786 % 251)])
        let test = try ImageDataset.load(spec, split: .test, directory: dir.path)
        #expect(test.labels == [7, 2])
    }

    @Test func gzipIsDetectedByContentAndRoundTrips() throws {
        let raw = try IDX.encode(dims: [4], bytes: [1, 2, 3, 4])
        let gz = try Gzip.compress(raw)
        #expect(Gzip.isGzip(gz) && !Gzip.isGzip(raw))
        #expect(try Gzip.decompress(gz, name: "x", limit: 4 + 4 + 4) == raw)
        // Concatenated members are one stream.
        #expect(try Gzip.decompress(gz + gz, name: "x", limit: 2 * 12) == raw + raw)
    }

    @Test func truncatedDataIsReported() throws {
        let dir = try TemporaryDirectory()
        let full = try IDX.encode(dims: [2, 28, 28], bytes: [UInt8](repeating: 9, count: 2 * 784))
        try dir.write("cut", bytes: Array(full.prefix(16 + 784 + 100)))
        let e = #expect(throws: DataError.self) { try IDX.read(path: dir.file("cut"), expectedMagic: IDX.imagesMagic, maxBytes: 1 << 20) }
        #expect(e?.kind == .truncated)
        #expect(e?.description.contains(dir.file("cut")) == true)
        #expect(e?.description.contains("1568") == true)       // what the header promised
        // Inside the header.
        try dir.write("hdr", bytes: Array(full.prefix(10)))
        #expect(throws: DataError.self) { try IDX.read(path: dir.file("hdr"), expectedMagic: IDX.imagesMagic, maxBytes: 1 << 20) }
    }

    @Test func truncatedGzipIsReported() throws {
        let dir = try TemporaryDirectory()
        let gz = try Gzip.compress(try IDX.encode(dims: [3, 28, 28], bytes: (0..<(3 * 784)).map { UInt8($0 & 255) }))
        try dir.write("t.gz", bytes: Array(gz.prefix(gz.count / 2)))
        let e = #expect(throws: DataError.self) { try IDX.read(path: dir.file("t.gz"), expectedMagic: IDX.imagesMagic, maxBytes: 1 << 20) }
        #expect(e?.kind == .truncated)
        #expect(e?.subject == dir.file("t.gz"))
    }

    @Test func wrongMagicIsReported() throws {
        let dir = try TemporaryDirectory()
        // A label file where images are expected.
        try dir.write("labels", bytes: try IDX.encode(dims: [3], bytes: [1, 2, 3]))
        let e = #expect(throws: DataError.self) { try IDX.read(path: dir.file("labels"), expectedMagic: IDX.imagesMagic, maxBytes: 1 << 20) }
        #expect(e?.kind == .wrongMagic)
        #expect(e?.problem.contains("0x00000801") == true && e?.problem.contains("0x00000803") == true)
    }

    @Test func wrongCountIsReported() throws {
        let dir = try TemporaryDirectory()
        try dir.write("labels", bytes: try IDX.encode(dims: [3], bytes: [1, 2, 3]))
        let e = #expect(throws: DataError.self) {
            try IDX.read(path: dir.file("labels"), expectedMagic: IDX.labelsMagic, expectedCount: 10000, maxBytes: 1 << 20)
        }
        #expect(e?.kind == .wrongCount)
        #expect(e?.problem.contains("10000") == true)
    }

    @Test func md5MismatchIsReportedWithRemedy() throws {
        let dir = try TemporaryDirectory()
        let spec = try writeTinyMNIST(into: dir, gzip: true)
        // Same structure, one pixel changed: only the digest can tell.
        var px = (0..<(2 * 784)).map { UInt8(($0 * 7) % 256) }
        px[100] ^= 1
        try dir.write("t10k-images-idx3-ubyte.gz", bytes: try Gzip.compress(try IDX.encode(dims: [2, 28, 28], bytes: px)))
        let e = #expect(throws: DataError.self) {
            try ImageDataset.load(spec, split: .test, directory: dir.path, remedy: "Delete it and fetch again")
        }
        #expect(e?.kind == .md5Mismatch)
        #expect(e?.subject.hasSuffix("t10k-images-idx3-ubyte.gz") == true)
        #expect(e?.description.contains(spec.testImages.md5) == true)
        #expect(e?.description.contains("Delete it and fetch again") == true)
        // The train split is untouched and still loads.
        #expect(try ImageDataset.load(spec, split: .train, directory: dir.path).count == 3)
    }

    @Test func digestsMatchKnownValues() {
        #expect(Digest.md5Hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Digest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

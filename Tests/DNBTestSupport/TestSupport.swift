import Foundation

/// A fresh folder of its own for one test under the system's temporary folder, removed when released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String
    public init(_ label: String = "dnb-test") throws {
        path = FileManager.default.temporaryDirectory.path + "/\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    public var url: URL { URL(fileURLWithPath: path) }
    public func file(_ name: String) -> String { path + "/" + name }

    public func read(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }

    public func write(_ name: String, _ text: String) throws {
        try text.write(toFile: file(name), atomically: false, encoding: .utf8)
    }

    /// The names in the folder, sorted.
    public var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }
}

/// The repository's root: two folders above this file (Tests/DNBTestSupport/).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Real MNIST for the tests that need it: `$DNB_DATA`, else `../shared/data/mnist` beside the repository;
/// nil when neither holds the test images (those tests are then skipped, saying why).
public let realMNISTDirectory: String? = {
    var candidates: [String] = []
    if let data = ProcessInfo.processInfo.environment["DNB_DATA"], !data.isEmpty { candidates.append(data) }
    candidates.append(URL(fileURLWithPath: repositoryRoot + "/../shared/data/mnist").standardized.path)
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/t10k-images-idx3-ubyte.gz") }
}()

/// SplitMix64: a tiny seedable generator, identical on every platform, for test data and fuzz cases that
/// must follow from one seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    public mutating func chance(_ p: Double) -> Bool { uniform() < p }
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

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

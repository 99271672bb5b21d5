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

/// The Python of the test venv (`.build/test-venv`, made by scripts/test-venv.sh) for tests that check dnb
/// against NumPy, SciPy or nbformat; nil when it has not been made. Such tests skip, saying so, unless
/// `DNB_REQUIRE_TEST_PYTHON=1` (scripts/test.sh sets it), when a missing venv is a failure.
public let testPython: String? = {
    let python = repositoryRoot + "/.build/test-venv/bin/python"
    return FileManager.default.isExecutableFile(atPath: python) ? python : nil
}()

public let testPythonRequired = ProcessInfo.processInfo.environment["DNB_REQUIRE_TEST_PYTHON"] == "1"

public struct TestPythonMissing: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the test venv is missing: run `bash scripts/test-venv.sh` (scripts/test.sh does)" }
}

/// Runs `script` with the test venv's Python, `arguments` after it; returns stdout. Throws with stderr when it
/// fails, and `TestPythonMissing` when there is no venv (check `testPython` first to skip instead).
public func runTestPython(_ script: String, _ arguments: [String] = [], stdin: String? = nil) throws -> String {
    guard let python = testPython else { throw TestPythonMissing() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script] + arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes before waiting, so a chatty script cannot fill one and block.
    let errorData = UncheckedBox<Data>()
    let reader = Thread { errorData.value = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errorData.value == nil { usleep(1000) }
    let stdout = String(decoding: outData, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw PythonFailure(status: process.terminationStatus, stderr: String(decoding: errorData.value ?? Data(), as: UTF8.self))
    }
    return stdout
}

public struct PythonFailure: Error, CustomStringConvertible {
    public var status: Int32, stderr: String
    public var description: String { "python exited with \(status): \(stderr)" }
}

final class UncheckedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

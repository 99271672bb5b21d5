import ArgumentParser
import DNBCache
import DNBCommands
import DNBData
import DNBEngine
import DNBLanguage
import DNBSupport
import Foundation

/// `dnb run`'s cell-cache options, and where the cache lives: `--cache DIR`, else `DNB_CACHE`, else
/// `.dnb-cache/` beside the output folder.
struct CacheOptions: ParsableArguments {
    @Flag(name: .customLong("no-cache"), help: "Run every cell; neither read nor write the cell cache.")
    var noCache = false

    @Option(name: .customLong("cache"), help: ArgumentHelp("The cell cache folder (default: $DNB_CACHE, else .dnb-cache beside the output folder).", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("refresh"), help: ArgumentHelp("Run this cell (id or number) and every cell after it again, even if cached.", valueName: "cell"))
    var refresh: String?

    @Option(name: .customLong("cache-size"), help: ArgumentHelp("Evict least recently used entries above this size, e.g. 2G (default: $DNB_CACHE_SIZE, else 5G).", valueName: "size"))
    var size: String?

    static let environmentName = "DNB_CACHE"
    static let sizeEnvironmentName = "DNB_CACHE_SIZE"

    /// The cache folder for a run writing into `outputDirectory`.
    static func folder(_ explicit: String?, outputDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return ValueType.expandingTilde(explicit) }
        if let fromEnvironment = environment[environmentName], !fromEnvironment.isEmpty { return ValueType.expandingTilde(fromEnvironment) }
        let parent = URL(fileURLWithPath: outputDirectory).standardizedFileURL.deletingLastPathComponent().path
        return (parent == "/" ? "" : parent) + "/.dnb-cache"
    }

    /// The size limit in bytes, from `--cache-size` or `DNB_CACHE_SIZE` (with K, M, G, T suffixes).
    static func sizeLimit(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int64 {
        guard let text = explicit ?? environment[sizeEnvironmentName], !text.isEmpty else { return CacheStore.defaultSizeLimit }
        guard let bytes = MemoryBudget.parse(text), bytes >= 0, bytes < 9e18 else {
            throw ValidationError("cache size '\(text)' is not a size such as 500M or 2G")
        }
        return Int64(bytes)
    }

    func settings(outputDirectory: String, workspace: Workspace) throws -> CacheSettings? {
        guard !noCache else { return nil }
        let store = CacheStore(directory: Self.folder(directory, outputDirectory: outputDirectory), sizeLimit: try Self.sizeLimit(size))
        return CacheSettings(store: store, session: workspace, context: CacheContext.current(), refresh: refresh)
    }
}

/// What results depend on outside the notebook, part of every cache key.
enum CacheContext {
    static func current() -> [String] { [
        "dnb \(EnvironmentReport.version)",
        // Any rebuild of dnb invalidates the cache: a new build may compute differently.
        "executable \(executableHash)",
        // The kernels OpenBLAS chose for this CPU; dnb's own kernels are fixed at build time.
        "blas \(Engine.blasCore) \(Engine.blasConfig)",
        // Results depend on the thread count: a training step's batch is split over the threads (each cutting
        // its part into micro-batches) and weight and GroupNorm gradients are summed from one partial sum per
        // thread (in a fixed order, so a given count is reproducible), and other counts round differently.
        "threads \(Engine.threads)",
        // The settings that change the arithmetic (DNB_WINOGRAD_TILE, DNB_SHARDED_TRAINING).
        "arithmetic winograd \(Engine.winogradTile) sharded \(Engine.shardedTraining)",
        // Every dataset dnb reads is checked against these MD5s, so they stand for the data's content.
        "data " + [DatasetSpec.mnist, DatasetSpec.fashionMNIST].flatMap { $0.files.map(\.md5) }.joined(separator: ","),
    ] }

    /// SHA-256 of this executable's bytes ("unknown" when it cannot be read).
    static let executableHash: String = {
        guard let data = FileManager.default.contents(atPath: "/proc/self/exe") else { return "unknown" }
        return Digest.sha256Hex(data)
    }()
}

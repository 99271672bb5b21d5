import Foundation
import Testing
import DNBCache
import DNBCommands
import DNBLanguage
import DNBTestSupport

/// The cell cache of `dnb run` (docs/cli.md, "The cell cache"): what is restored, what runs again, and that a
/// restored run continued by real cells is bit-identical to a run without the cache.
@Suite struct CellCacheTests {
    static let setup = """
        param steps: int = 3
        seed 5
        dataset load name=synthetic count=48 image_size=16
        \(CommandTests.tinyModel)
        scheduler create num_train_timesteps=50
        """

    static func notebook(prose: String = "Some prose.", last: String = "sample n=2 steps=4", extra: String = "") -> String {
        """
        # Cache test

        \(prose)

        ```dnb id=setup
        \(setup)
        ```

        ```dnb id=train
        train epochs=1 batch_size=8 max_steps=$steps progress=false
        plot loss
        ```
        \(extra)
        ```dnb id=last
        \(last)
        ```
        """
    }

    struct Run {
        var result: RunResult
        var workspace: Workspace
        var messages: [String]
        var ran: [String] { result.cells.filter { $0.cell.isCode && $0.restored == nil && $0.status == .completed }.map(\.cell.label) }
        var restored: [String] { result.cells.filter { $0.restored != nil }.map(\.cell.label) }
    }

    /// Runs `text` into `out` with the cache in `cache` (nil: no cache).
    static func run(_ text: String, out: String, cache: String?, refresh: String? = nil, selection: CellSelection? = nil,
                    overrides: [String] = []) throws -> Run {
        let workspace = Workspace()
        var options = RunOptions(outputDirectory: out)
        options.interrupt = Interrupt()
        options.overrides = overrides
        options.selection = selection
        options.seeds = { workspace.seedLog.map { (key: $0.location, value: String($0.seed)) } }
        var messages: [String] = []
        options.onMessage = { messages.append($0) }
        if let cache {
            options.cache = CacheSettings(store: CacheStore(directory: cache), session: workspace, context: ["test"], refresh: refresh)
        }
        let result = Runner(registry: .dnb(workspace: workspace)).run(try Notebook(parsing: text, file: "cache.dnb"), options: options)
        return Run(result: result, workspace: workspace, messages: messages)
    }

    @Test func editingProseRunsNothingAndTheReportSaysSo() throws {
        let dir = try TemporaryDirectory()
        let first = try Self.run(Self.notebook(), out: dir.file("out"), cache: dir.file("cache"))
        #expect(first.result.status == .success)
        #expect(first.ran == ["cell 1 (setup)", "cell 2 (train)", "cell 3 (last)"])
        let figure = try Data(contentsOf: URL(fileURLWithPath: dir.file("out/figures/loss.png")))
        try FileManager.default.removeItem(atPath: dir.file("out/figures"))

        let second = try Self.run(Self.notebook(prose: "Other prose,\n\nlonger than before."), out: dir.file("out"), cache: dir.file("cache"))
        #expect(second.result.status == .success)
        #expect(second.ran.isEmpty)
        #expect(second.restored == ["cell 1 (setup)", "cell 2 (train)", "cell 3 (last)"])
        #expect(second.workspace.model == nil, "nothing needed the state, so none was loaded")
        // The figures come back from the cache, and the outputs are those of the first run.
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("out/figures/loss.png"))) == figure)
        #expect(second.result.cells.map(\.outputs) == first.result.cells.map(\.outputs))
        let report = try dir.read("out/report.md")
        #expect(report.contains("longer than before."))
        // Seeds are placed where their cell now stands: the prose above grew by two lines.
        #expect(report.contains("cache.dnb:9: seed 5") && !report.contains("cache.dnb:7"), "\(report)")
    }

    @Test func aChangedCellRunsFromThereOnBitIdenticalToAnUncachedRun() throws {
        let dir = try TemporaryDirectory()
        let changed = Self.notebook(last: "train max_steps=6 progress=false\nsample n=2 steps=5")
        _ = try Self.run(Self.notebook(), out: dir.file("a"), cache: dir.file("cache"))
        let cached = try Self.run(changed, out: dir.file("a"), cache: dir.file("cache"))
        #expect(cached.result.status == .success)
        #expect(cached.restored == ["cell 1 (setup)", "cell 2 (train)"])
        #expect(cached.ran == ["cell 3 (last)"])
        let plain = try Self.run(changed, out: dir.file("b"), cache: nil)
        #expect(plain.result.status == .success)
        // Model, Adam moments, generator, loader position, losses and the samples: every byte.
        #expect(try cached.workspace.snapshot() == plain.workspace.snapshot())
        #expect(cached.workspace.losses.count == 6)
        #expect(cached.result.cells.last?.outputs == plain.result.cells.last?.outputs)
    }

    @Test func aCellThatLeavesTheStateAsItWasRerunsAlone() throws {
        let dir = try TemporaryDirectory()
        func text(_ title: String) -> String { Self.notebook(extra: "\n```dnb id=curve\nplot loss title=\"\(title)\"\n```\n") }
        _ = try Self.run(text("Loss"), out: dir.file("out"), cache: dir.file("cache"))
        // A new title changes the figure, not the workspace: the cells after it stay cached.
        let retitled = try Self.run(text("Training loss"), out: dir.file("out"), cache: dir.file("cache"))
        #expect(retitled.ran == ["cell 3 (curve)"])
        #expect(retitled.restored == ["cell 1 (setup)", "cell 2 (train)", "cell 4 (last)"])
        // A cell that changes the state (one more training step) invalidates the cells after it.
        let trained = try Self.run(text("Loss").replacingOccurrences(of: "plot loss title", with: "train max_steps=4 progress=false\nplot loss title"),
                                   out: dir.file("out"), cache: dir.file("cache"))
        #expect(trained.ran == ["cell 3 (curve)", "cell 4 (last)"])
    }

    @Test func tableRowsAndRecordsOfRestoredCellsComeBack() throws {
        let dir = try TemporaryDirectory()
        func text(_ caption: String) -> String {
            "```dnb id=a\nlet r = env\ntable row n=1\n```\n\n```dnb id=b\ntable row n=2\n```\n\n```dnb id=c\ntable show caption=\"\(caption)\"\nprint \"{r.dnb}\"\n```\n"
        }
        _ = try Self.run(text("first"), out: dir.file("out"), cache: dir.file("cache"))
        let second = try Self.run(text("second"), out: dir.file("out"), cache: dir.file("cache"))
        #expect(second.restored == ["cell 1 (a)", "cell 2 (b)"] && second.ran == ["cell 3 (c)"])
        let report = try dir.read("out/report.md")
        #expect(report.contains("| 1 |") && report.contains("| 2 |") && report.contains("*second*"), "\(report)")
        #expect(second.result.status == .success, "the record bound in cell 1 was restored: \(second.result.cells.compactMap(\.error))")
    }

    @Test func aParameterInvalidatesOnlyTheCellsFromTheFirstThatNamesIt() throws {
        let dir = try TemporaryDirectory()
        _ = try Self.run(Self.notebook(), out: dir.file("out"), cache: dir.file("cache"))
        // `steps` is declared in cell 1, so every cell runs again; a parameter no cell names changes nothing.
        let again = try Self.run(Self.notebook(), out: dir.file("out"), cache: dir.file("cache"), overrides: ["steps=4"])
        #expect(again.ran.count == 3)
        let unrelated = Self.notebook(last: "param title: string = \"a\"\nprint $title")
        _ = try Self.run(unrelated, out: dir.file("out"), cache: dir.file("cache"))
        let titled = try Self.run(unrelated, out: dir.file("out"), cache: dir.file("cache"), overrides: ["title=b"])
        #expect(titled.restored == ["cell 1 (setup)", "cell 2 (train)"])
        #expect(titled.ran == ["cell 3 (last)"])
    }

    @Test func damagedEntriesAreSaidInOneLineAndRecomputed() throws {
        let dir = try TemporaryDirectory()
        let first = try Self.run(Self.notebook(), out: dir.file("out"), cache: dir.file("cache"))
        // Damage every blob of the store: the same length with other bytes, then a truncated one.
        let objects = dir.file("cache/objects")
        var damaged = 0
        for prefix in try FileManager.default.contentsOfDirectory(atPath: objects) {
            for name in try FileManager.default.contentsOfDirectory(atPath: objects + "/" + prefix) {
                let path = objects + "/" + prefix + "/" + name
                var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                if damaged % 2 == 0 { bytes[bytes.count / 2] ^= 0xFF } else { bytes = bytes.prefix(bytes.count / 2) }
                try bytes.write(to: URL(fileURLWithPath: path))
                damaged += 1
            }
        }
        #expect(damaged > 3)
        let second = try Self.run(Self.notebook(last: "sample n=2 steps=3"), out: dir.file("out"), cache: dir.file("cache"))
        #expect(second.result.status == .success)
        #expect(!second.messages.isEmpty && second.messages.allSatisfy { $0.hasPrefix("cache: ") && !$0.contains("\n") }, "\(second.messages)")
        #expect(second.ran == ["cell 1 (setup)", "cell 2 (train)", "cell 3 (last)"])
        #expect(second.result.cells[1...2].map(\.outputs) == first.result.cells[1...2].map(\.outputs))
        // Recomputed entries are whole again.
        let third = try Self.run(Self.notebook(last: "sample n=2 steps=3"), out: dir.file("out"), cache: dir.file("cache"))
        #expect(third.restored.count == 3 && third.messages.isEmpty, "\(third.messages)")
    }

    @Test func aDamagedStateIsRebuiltFromAnEarlierOne() throws {
        let dir = try TemporaryDirectory()
        _ = try Self.run(Self.notebook(), out: dir.file("out"), cache: dir.file("cache"))
        // The entry of cell 2 (train) goes: cell 3 must run, so the state after cell 2 is rebuilt from cell 1's.
        let store = CacheStore(directory: dir.file("cache"))
        let trainEntry = try #require(store.list().first { $0.entry?.label.hasSuffix("cell 2 (train)") == true })
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: store.entryPath(trainEntry.key)))
        let changed = Self.notebook(last: "sample n=2 steps=5")
        let cached = try Self.run(changed, out: dir.file("out"), cache: dir.file("cache"))
        #expect(cached.result.status == .success)
        #expect(cached.messages.contains { $0.contains("cell 2 (train)") }, "\(cached.messages)")
        let plain = try Self.run(changed, out: dir.file("plain"), cache: nil)
        #expect(try cached.workspace.snapshot() == plain.workspace.snapshot())
    }

    @Test func refreshAndCacheFalseRunCellsAgain() throws {
        let dir = try TemporaryDirectory()
        let text = Self.notebook(extra: "\n```dnb id=always cache=false\nprint \"side effect\"\n```\n")
        _ = try Self.run(text, out: dir.file("out"), cache: dir.file("cache"))
        let again = try Self.run(text, out: dir.file("out"), cache: dir.file("cache"))
        #expect(again.ran == ["cell 3 (always)"])
        #expect(again.restored == ["cell 1 (setup)", "cell 2 (train)", "cell 4 (last)"])
        let refreshed = try Self.run(text, out: dir.file("out"), cache: dir.file("cache"), refresh: "train")
        #expect(refreshed.restored == ["cell 1 (setup)"])
        #expect(refreshed.ran == ["cell 2 (train)", "cell 3 (always)", "cell 4 (last)"])
    }

    @Test func filesACellWritesComeBackAndFilesItReadsAreWatched() throws {
        let dir = try TemporaryDirectory()
        let text = Self.notebook(last: "sample n=2 steps=2\nsave tensor name=samples path=s.npy\nmodel save path=model\nload tensor path=input.npy name=x")
        _ = try Self.run(Self.notebook(last: "sample n=2 steps=3\nsave tensor name=samples path=input.npy"), out: dir.file("out"), cache: nil)
        let first = try Self.run(text, out: dir.file("out"), cache: dir.file("cache"))
        #expect(first.result.status == .success, "\(first.result.cells.compactMap(\.error))")
        let saved = try Data(contentsOf: URL(fileURLWithPath: dir.file("out/s.npy")))
        try FileManager.default.removeItem(atPath: dir.file("out/s.npy"))
        try FileManager.default.removeItem(atPath: dir.file("out/model"))
        let second = try Self.run(text, out: dir.file("out"), cache: dir.file("cache"))
        #expect(second.ran.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("out/s.npy"))) == saved)
        #expect(FileManager.default.fileExists(atPath: dir.file("out/model/diffusion_pytorch_model.safetensors")))
        // Another input.npy: the cell that reads it runs again, the cells before do not.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("out/input.npy")))
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: dir.file("out/input.npy")))
        let third = try Self.run(text, out: dir.file("out"), cache: dir.file("cache"))
        #expect(third.ran == ["cell 3 (last)"])
        #expect(third.messages.contains { $0.contains("input.npy, which it reads, changed") }, "\(third.messages)")
    }

    @Test func partsOfANotebookRunWithTheCellsBeforeRestored() throws {
        let dir = try TemporaryDirectory()
        let text = Self.notebook()
        // Without a cache the cells before run silently; with it they are restored.
        let only = try Self.run(text, out: dir.file("out"), cache: nil, selection: CellSelection(.only, "last"))
        #expect(only.result.status == .success)
        #expect(only.result.cells.filter(\.cell.isCode).map(\.cell.label) == ["cell 3 (last)"])
        #expect(only.workspace.losses.count == 3, "the training before ran for its state")
        let report = try dir.read("out/report.md")
        #expect(report.contains("**Part run:** --only cell 3 (last); code cells 1–2 ran first"), "\(report)")
        #expect(!report.contains("plot loss"))

        _ = try Self.run(text, out: dir.file("c"), cache: dir.file("cache"), selection: CellSelection(.until, "2"))
        let from = try Self.run(text, out: dir.file("c"), cache: dir.file("cache"), selection: CellSelection(.from, "last"))
        #expect(from.restored.isEmpty && from.ran == ["cell 3 (last)"], "restored cells before the part are not reported")
        #expect(from.workspace.losses.count == 3, "the training state was restored from the cache")

        let badRefresh = try Self.run(text, out: dir.file("u"), cache: dir.file("cache"), refresh: "sampel")
        #expect(badRefresh.result.status == .usage && badRefresh.result.messages.first?.contains("--refresh sampel") == true, "\(badRefresh.result.messages)")
        let unknown = try Self.run(text, out: dir.file("u"), cache: nil, selection: CellSelection(.only, "trian"))
        #expect(unknown.result.status == .usage)
        #expect(unknown.result.messages.first?.contains("did you mean 'train'?") == true, "\(unknown.result.messages)")
    }

    @Test func aFailedStoreDoesNotFailTheRun() throws {
        let dir = try TemporaryDirectory()
        let workspace = Workspace()
        var options = RunOptions(outputDirectory: dir.file("out"))
        options.interrupt = Interrupt()
        let store = CacheStore(directory: dir.file("cache"))
        store.writeFault = { _ in throw POSIXError(.ENOSPC) }
        options.cache = CacheSettings(store: store, session: workspace, context: ["test"])
        var messages: [String] = []
        options.onMessage = { messages.append($0) }
        let result = Runner(registry: .dnb(workspace: workspace)).run(try Notebook(parsing: Self.notebook(), file: "cache.dnb"), options: options)
        #expect(result.status == .success)
        #expect(messages.count == 3 && messages.allSatisfy { $0.contains("could not store") && $0.contains("the run goes on") }, "\(messages)")
    }
}

/// The cache through `dnb run` and `dnb cache`, as a user meets it.
@Suite struct CellCacheCLITests {
    static let text = CellCacheTests.notebook()

    @Test func concurrentRunsShareOneCacheWithoutDamage() throws {
        guard CLIBinary.url != nil else { Issue.record(CLIBinary.missingMessage); return }
        let dirs = try (0..<3).map { _ in try TemporaryDirectory("dnb-cache") }
        let shared = try TemporaryDirectory("dnb-cache-store")
        for dir in dirs { try dir.write("n.dnb", Self.text) }
        // Three runs of one notebook at once, each with its own output folder, all writing the same entries.
        let processes = try dirs.map { try CLIBinary.start(["run", "n.dnb", "--cache", shared.path], in: $0) }
        for process in processes { process.waitUntilExit() }
        for (process, dir) in zip(processes, dirs) {
            let stderr = try dir.read("stderr.txt")
            #expect(process.terminationStatus == 0, "\(stderr)")
        }
        // A fourth finds every cell, whole, and no temporary file was left behind.
        let last = try CLIBinary.run(["run", "n.dnb", "--cache", shared.path], in: dirs[0])
        #expect(last.status == 0 && last.stdout.contains("(3 from the cache)") && !last.stderr.contains("damaged"), "\(last)")
        let leftovers = FileManager.default.enumerator(atPath: shared.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") } ?? []
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// RLIMIT_FSIZE of 256 KB: the report and figures fit, the model's weights (about 1 MB) do not.
    @Test func aFullDiskFailsTheCacheWriteNotTheRun() throws {
        guard CLIBinary.url != nil else { Issue.record(CLIBinary.missingMessage); return }
        let dir = try TemporaryDirectory("dnb-cache")
        try dir.write("n.dnb", Self.text)
        let result = try CLIBinary.runWithFileSizeLimit(blocks: 512, ["run", "n.dnb"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("could not store cell 2 (train)") && result.stderr.contains("File too large"), "\(result)")
        #expect(result.stdout.contains("done: 3 of 3 code cells run"), "\(result)")
        #expect(try dir.read("out/n/report.md").contains("**Status:** completed"))
    }

    @Test func theThreadCountIsPartOfTheKeyAndCacheCommandsListAndClear() throws {
        guard CLIBinary.url != nil else { Issue.record(CLIBinary.missingMessage); return }
        let dir = try TemporaryDirectory("dnb-cache")
        try dir.write("n.dnb", Self.text)
        #expect(try CLIBinary.run(["run", "n.dnb"], in: dir).status == 0)
        let same = try CLIBinary.run(["run", "n.dnb", "--threads", "1"], in: dir)
        #expect(same.stdout.contains("(3 from the cache)"), "\(same)")
        let other = try CLIBinary.run(["run", "n.dnb", "--threads", "2"], in: dir)
        #expect(other.status == 0 && !other.stdout.contains("from the cache"), "\(other)")
        let list = try CLIBinary.run(["cache", "list", "--out", "out/n"], in: dir)
        #expect(list.status == 0)
        #expect(list.stdout.contains("n.dnb cell 2 (train)") && list.stdout.contains("6 entries"), "\(list)")
        let noCache = try CLIBinary.run(["run", "n.dnb", "--no-cache"], in: dir)
        #expect(!noCache.stdout.contains("from the cache"))
        let cleared = try CLIBinary.run(["cache", "clear", "--out", "out/n"], in: dir)
        #expect(cleared.stdout.contains("removed 6 entries"), "\(cleared)")
        #expect(try CLIBinary.run(["cache", "list", "--cache", "out/.dnb-cache"], in: dir).stdout.contains("empty"))
        let bad = try CLIBinary.run(["cache", "clear", "--older-than", "soon"], in: dir)
        #expect(bad.status == 64 && bad.stderr.contains("give an age such as 30m"), "\(bad)")
    }

    @Test func onlyFromAndUntilNameCellsByIdOrNumber() throws {
        guard CLIBinary.url != nil else { Issue.record(CLIBinary.missingMessage); return }
        let dir = try TemporaryDirectory("dnb-cache")
        try dir.write("n.dnb", Self.text)
        let until = try CLIBinary.run(["run", "n.dnb", "--until", "train"], in: dir)
        #expect(until.status == 0 && until.stdout.contains("[2/3] train") && !until.stdout.contains("[3/3]"), "\(until)")
        let only = try CLIBinary.run(["run", "n.dnb", "--only", "3"], in: dir)
        #expect(only.status == 0 && only.stdout.contains("[3/3] last") && !only.stdout.contains("[1/3]"), "\(only)")
        let both = try CLIBinary.run(["run", "n.dnb", "--only", "3", "--from", "1"], in: dir)
        #expect(both.status == 64 && both.stderr.contains("give one of --only, --from and --until"), "\(both)")
        let unknown = try CLIBinary.run(["run", "n.dnb", "--from", "setp"], in: dir)
        #expect(unknown.status == 64 && unknown.stderr.contains("did you mean 'setup'?"), "\(unknown)")
    }

    @Test func theREPLLoadsANotebooksStateFromTheCache() throws {
        guard CLIBinary.url != nil else { Issue.record(CLIBinary.missingMessage); return }
        let dir = try TemporaryDirectory("dnb-cache")
        try dir.write("n.dnb", Self.text)
        #expect(try CLIBinary.run(["run", "n.dnb"], in: dir).status == 0)
        // The REPL's output folder (out/repl) shares out/.dnb-cache with `dnb run`'s default out/n.
        let session = try CLIBinary.run([], stdin: "let x = 1\nrun n.dnb train\nprint \"steps {len([1])}\"\nsample n=2 steps=3\nsave session path=s.dnb\nrun n.dnb nope\n", in: dir)
        #expect(session.stdout.contains("cell 2 (train): from the cache"), "\(session)")
        #expect(session.stdout.contains("loaded 2 cells of n.dnb (2 from the cache, 0 run)"), "\(session)")
        #expect(session.stdout.contains("generated 2 images"), "the restored model samples: \(session)")
        #expect(session.stderr.contains("--until nope: the notebook has no cell with that id or number"), "\(session)")
        let saved = try dir.read("out/repl/s.dnb")
        #expect(saved.contains("train epochs=1 batch_size=8") && saved.contains("sample n=2 steps=3") && !saved.contains("let x"), "\(saved)")
    }
}

/// The workspace's snapshot (the state part of a cache entry) restores every selection of the data exactly.
@Suite struct WorkspaceSnapshotTests {
    func roundTrip(_ script: String) throws -> (Workspace, Workspace) {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run(script, output: Output())
        let copy = Workspace()
        try copy.restore(try ws.snapshot())
        return (ws, copy)
    }

    @Test func subsetsAndSplitsOfSyntheticDataComeBack() throws {
        let (ws, copy) = try roundTrip("""
            seed 2
            dataset load name=synthetic count=60 image_size=12 range=symmetric
            dataset split test=9
            dataset subset n=20 shuffle=true split=both
            """)
        #expect(copy.data?.rawTrain == ws.data?.rawTrain)
        #expect(copy.data?.rawTest == ws.data?.rawTest)
        #expect(copy.data?.preprocessing == ws.data?.preprocessing)
        #expect(copy.data?.train?.count == 20 && copy.data?.test?.count == 9)
        #expect(copy.rng == ws.rng)
    }

    @Test(.enabled(if: realMNISTDirectory != nil, "needs MNIST (../shared/data/mnist or DNB_DATA)"))
    func mnistSelectionsComeBackMixingTrainAndTestImages() throws {
        let (ws, copy) = try roundTrip("""
            dataset load name=mnist data="\(realMNISTDirectory!)" image_size=16 classes=[1, 7] limit=300
            dataset subset n=40 classes=[7] split=test
            """)
        #expect(copy.data?.rawTrain == ws.data?.rawTrain)
        #expect(copy.data?.rawTest == ws.data?.rawTest)
        #expect(copy.data?.rawTest.origin.allSatisfy { $0 < 0 } == true, "test images keep their negative origins")
        #expect(try copy.snapshot() == ws.snapshot())
    }

    /// Each scheduler type and its settings come back: the restored session samples the same images.
    @Test(arguments: ["type=ddim eta=0.5", "type=dpm use_karras_sigmas=true solver_type=heun", "type=dpm solver_order=1 timestep_spacing=trailing", "type=euler use_karras_sigmas=true", "type=euler timestep_spacing=leading"])
    func schedulersComeBackAndSampleTheSame(_ create: String) throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("seed 3\n\(CommandTests.tinyModel)\nscheduler create num_train_timesteps=100 \(create)\nscheduler timesteps steps=4", output: Output())
        let copy = Workspace()
        try copy.restore(try ws.snapshot())
        #expect(try copy.snapshot() == ws.snapshot())
        #expect(copy.scheduler?.timesteps == ws.scheduler?.timesteps)
        let copyInterpreter = Interpreter(registry: .dnb(workspace: copy), outputDirectory: dir.file("copy"), interrupt: Interrupt())
        try interpreter.run("sample n=2 steps=6", output: Output())
        try copyInterpreter.run("sample n=2 steps=6", output: Output())
        let a = try #require(ws.tensors["samples"]), b = try #require(copy.tensors["samples"])
        #expect(a.scalars == b.scalars, "bit-identical: the same weights, generator state and scheduler arithmetic")
    }

    @Test func aDamagedStateChangesNothing() throws {
        let (ws, _) = try roundTrip("seed 4\ndataset load name=synthetic count=16 image_size=8\n\(CommandTests.tinyModel)")
        var parts = try ws.snapshot()
        parts["model.safetensors"] = parts["model.safetensors"]!.prefix(100)
        let target = Workspace()
        target.reseed(9)
        #expect(throws: (any Error).self) { try target.restore(parts) }
        #expect(target.model == nil && target.data == nil && target.seed == 9)
    }
}

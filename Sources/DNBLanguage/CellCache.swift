import Foundation
import DNBCache
import DNBSupport
#if canImport(Glibc)
import Glibc
#endif

/// The state a session holds beyond the language's variables (the workspace: model, data, generator, …), as
/// named byte strings the cell cache stores content-addressed, so that parts a cell did not change cost nothing.
public protocol SessionState: AnyObject {
    func snapshot() throws -> [String: Data]
    func restore(_ parts: [String: Data]) throws
}

/// How a run uses the cell cache (`dnb run`, on by default).
public struct CacheSettings {
    public var store: CacheStore
    public var session: SessionState
    /// Everything outside the notebook that results depend on: the dnb build, the engine's code path, the
    /// datasets' MD5s, … Part of every key.
    public var context: [String]
    /// `--refresh ID`: recompute this cell (id or number) and every cell after it.
    public var refresh: String?

    public init(store: CacheStore, session: SessionState, context: [String], refresh: String? = nil) {
        self.store = store
        self.session = session
        self.context = context
        self.refresh = refresh
    }
}

/// The cell cache of one run: keys, lookups, restoring state and storing results.
///
/// Key of cell k = SHA-256 of (the root key, the key of the state cell k starts from, the cell's text, the values of the
/// parameters its text names). The state key after a cell is the SHA-256 of its state's parts (session and
/// language); before the first cell it is the root key, which covers `CacheSettings.context` and the values the
/// executable defines. So a change upstream that changes the state invalidates everything after it and nothing
/// before; a change that leaves the state as it was (a plot's title) re-runs only its own cell; prose is in no
/// key. A cell's entry holds its outputs, the files it wrote into the output folder (figures, saved models),
/// the seeds it set, the files it read, and the state after it.
///
/// Restoring is lazy: a run of cells found in the cache replays their outputs only; the state after the last
/// of them is loaded when a later cell must run (`prepareState`). If that state is damaged, the nearest earlier
/// state that loads is used and the cells between are run again silently.
final class CellCacheRun {
    struct Link {
        var cell: Cell
        var key: String
        /// The key of the state after the cell.
        var state: String
        /// Whether the state after this cell is (believed) in the store.
        var stored: Bool
    }

    /// What an entry's `outputs` blob holds.
    struct StoredCell: Codable {
        var outputs: [OutputItem]
        /// Seeds the cell set: where (line within the cell, 0-based) and which.
        var seeds: [StoredSeed]
        /// Files the cell wrote, relative to the output folder; each is the blob `file:PATH`.
        var files: [String]
        /// Files and folders the cell read, with the digest of their contents then.
        var inputs: [String: String]
    }

    struct StoredSeed: Codable {
        var line: Int?
        var location: String
        var value: String
    }

    struct Hit {
        var result: CellResult
        var state: String
        var seeds: [(key: String, value: String)]
    }

    let settings: CacheSettings
    let interpreter: Interpreter
    let bindings: [ParameterBinding]
    let outputDirectory: String
    let file: String?
    let rootKey: String
    let report: (String) -> Void
    /// The cells so far in run order with their keys; `live` indexes the one whose state the session holds (−1: the start).
    private(set) var chain: [Link] = []
    private(set) var live = -1
    private var refreshing = false

    init(settings: CacheSettings, interpreter: Interpreter, bindings: [ParameterBinding], predefined: [String: Value],
         outputDirectory: String, file: String?, report: @escaping (String) -> Void)
    {
        self.settings = settings
        self.interpreter = interpreter
        self.bindings = bindings
        self.outputDirectory = outputDirectory
        self.file = file
        self.report = report
        var material = "dnb cell cache 1\n" + settings.context.joined(separator: "\n") + "\n"
        for (name, value) in predefined.sorted(by: { $0.key < $1.key }) { material += "define \(name)=\(Self.exact(value))\n" }
        rootKey = Digest.sha256Hex(material)
    }

    /// The key of the state the next cell starts from.
    var previousState: String { chain.last?.state ?? rootKey }

    /// The key of `cell` run after the cells in `chain`.
    func key(for cell: Cell) -> String {
        // The root key again: a state reached under another context (threads, build) computes on differently.
        var material = "cell\n\(rootKey)\n\(previousState)\n\(cell.text)\n"
        for binding in bindings where Self.mentions(cell.text, binding.name) {
            material += "param \(binding.name)=\(Self.exact(binding.value))\n"
        }
        return Digest.sha256Hex(material)
    }

    /// Whether `cell` must run whatever the cache holds: `cache=false`, or at or after `--refresh`.
    func mustRun(_ cell: Cell) -> Bool {
        if let refresh = settings.refresh, refresh == cell.options?.id || refresh == String(cell.number) { refreshing = true }
        return refreshing || cell.options?.cache == false
    }

    /// The cell's stored outputs, with its files put back into the output folder, or nil (not stored, or
    /// damaged: then said in one line and recomputed).
    func lookup(_ cell: Cell, key: String) -> Hit? {
        do {
            guard let entry = try settings.store.entry(key), let ref = entry.blobs["outputs"] else { return nil }
            let stored = try JSONDecoder().decode(StoredCell.self, from: try settings.store.get(ref))
            for (path, digest) in stored.inputs.sorted(by: { $0.key < $1.key }) where Self.contentDigest(path) != digest {
                report("cache: \(cell.label) runs again: \(path), which it reads, changed")
                return nil
            }
            for path in stored.files {
                guard let fileRef = entry.blobs["file:" + path] else { throw CacheCorruption("file \(path) is not in the entry") }
                try restoreFile(path, fileRef)
            }
            settings.store.touch(key)
            let result = CellResult(cell: cell, status: .completed, outputs: stored.outputs, seconds: 0,
                                    restored: CacheOrigin(date: entry.created, seconds: entry.seconds))
            let seeds = stored.seeds.map { seed in
                (key: seed.line.map { line in "\(file ?? "<input>"):\(cell.startLine + line)" } ?? seed.location, value: seed.value)
            }
            return Hit(result: result, state: try Self.stateKey(entry.blobs), seeds: seeds)
        } catch {
            settings.store.remove(key)
            report("cache: \(cell.label)'s entry is damaged (\(describeError(error))); running it again")
            return nil
        }
    }

    /// Records that `cell` was restored (not run) from `hit`, stored under `key`.
    func restored(_ cell: Cell, key: String, _ hit: Hit) {
        chain.append(Link(cell: cell, key: key, state: hit.state, stored: true))
    }

    /// The key of the state an entry holds: its state parts' and language state's digests, by name.
    static func stateKey(_ blobs: [String: BlobRef]) throws -> String {
        let parts = blobs.filter { $0.key.hasPrefix("state:") || $0.key == "interpreter" }
        guard parts["interpreter"] != nil else { throw CacheCorruption("the language state is missing") }
        return Digest.sha256Hex(parts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.sha256)\n" }.joined())
    }

    /// Brings the session to the state after the last cell in `chain`, loading it from the store or, when that
    /// fails, from the nearest earlier state that loads, running the cells between again with `execute`.
    func prepareState(execute: (Cell) throws -> Void) throws {
        let target = chain.count - 1
        guard live < target else { return }
        var index = target
        while index > live {
            if chain[index].stored, loadState(chain[index]) { break }
            index -= 1
        }
        live = index
        while live < target {
            live += 1
            let link = chain[live]
            try execute(link.cell)
        }
    }

    private func loadState(_ link: Link) -> Bool {
        do {
            guard let entry = try settings.store.entry(link.key) else { throw CacheCorruption("its entry is gone") }
            var parts: [String: Data] = [:]
            for (name, ref) in entry.blobs where name.hasPrefix("state:") {
                parts[String(name.dropFirst(6))] = try settings.store.get(ref)
            }
            guard let interpreterRef = entry.blobs["interpreter"] else { throw CacheCorruption("the language state is missing") }
            let state = try JSONDecoder().decode(Interpreter.State.self, from: try settings.store.get(interpreterRef))
            try settings.session.restore(parts)
            interpreter.restore(state, bindings: bindings)
            return true
        } catch {
            settings.store.remove(link.key)
            report("cache: the state after \(link.cell.label) cannot be restored (\(describeError(error))); recomputing it")
            return false
        }
    }

    /// Records that `cell` ran with `key` and, when it succeeded and may be cached, stores it. A failure to
    /// store (a full disk, a read-only cache) is said in one line; the run goes on.
    func ran(_ cell: Cell, key: String, result: CellResult, seeds: [(key: String, value: String)], writtenFiles: [String], readFiles: [String], date: Date) {
        // The state's parts: their digests make the state key even when the cell is not stored.
        var parts: [String: Data] = [:]
        do {
            parts = try settings.session.snapshot().reduce(into: [:]) { $0["state:" + $1.key] = $1.value }
            parts["interpreter"] = try Self.encoder.encode(interpreter.state)
        } catch {
            report("cache: the state after \(cell.label) cannot be kept (\(describeError(error))); the cells after it run")
            parts = [:]
        }
        let digests = parts.mapValues { BlobRef(sha256: Digest.sha256Hex($0), size: $0.count) }
        let state = parts.isEmpty ? UUID().uuidString : ((try? Self.stateKey(digests)) ?? UUID().uuidString)
        chain.append(Link(cell: cell, key: key, state: state, stored: false))
        live = chain.count - 1
        guard !parts.isEmpty, result.status == .completed, result.error == nil, cell.options?.cache != false else { return }
        do {
            try store(cell, key: key, result: result, seeds: seeds, writtenFiles: writtenFiles, readFiles: readFiles, state: parts, date: date)
            chain[live].stored = true
            settings.store.evict()
        } catch let reason as Uncacheable {
            report("cache: \(cell.label) is not cached: \(reason.description)")
        } catch {
            report("cache: could not store \(cell.label) (\(describeError(error))); the run goes on without it")
        }
    }

    struct Uncacheable: Error, CustomStringConvertible { var description: String }

    /// Sorted keys: a state's bytes, and so its key, must not depend on a dictionary's order.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private func store(_ cell: Cell, key: String, result: CellResult, seeds: [(key: String, value: String)], writtenFiles: [String],
                       readFiles: [String], state: [String: Data], date: Date) throws {
        var inputs: [String: String] = [:]
        for path in readFiles {
            guard let digest = Self.contentDigest(path) else { throw Uncacheable(description: "\(path), which it reads, cannot be read back") }
            inputs[path] = digest
        }
        var files: [String] = []
        for item in result.outputs { if case .figure(let figure) = item { files.append(figure.path) } }
        for path in writtenFiles {
            guard let relative = relativeToOutput(path) else {
                throw Uncacheable(description: "it writes \(path), outside the output folder (mark it cache=false to silence this)")
            }
            files.append(relative)
        }
        var blobs: [String: BlobRef] = [:]
        var unique: [String] = []
        for path in files where !unique.contains(path) {
            unique += try filesUnder(path)
        }
        for path in unique {
            guard let data = FileManager.default.contents(atPath: outputPath(path)) else {
                throw Uncacheable(description: "\(path) was written but cannot be read back")
            }
            blobs["file:" + path] = try settings.store.put(data)
        }
        let storedSeeds = seeds.map { seed in StoredSeed(line: lineInCell(seed.key, cell), location: seed.key, value: seed.value) }
        let stored = StoredCell(outputs: result.outputs, seeds: storedSeeds, files: unique, inputs: inputs)
        blobs["outputs"] = try settings.store.put(try Self.encoder.encode(stored))
        for (name, data) in state { blobs[name] = try settings.store.put(data) }
        let label = (file.map { URL(fileURLWithPath: $0).lastPathComponent + " " } ?? "") + cell.label
        try settings.store.store(CacheEntry(key: key, created: date, label: label, seconds: result.seconds, blobs: blobs))
    }

    // MARK: - Files in the output folder

    private func outputPath(_ relative: String) -> String {
        (outputDirectory.hasSuffix("/") ? outputDirectory : outputDirectory + "/") + relative
    }

    /// `path` relative to the output folder, or nil when it lies outside it.
    private func relativeToOutput(_ path: String) -> String? {
        let base = URL(fileURLWithPath: outputDirectory).standardizedFileURL.path
        let full = URL(fileURLWithPath: path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path).standardizedFileURL.path
        guard full.hasPrefix(base + "/") else { return nil }
        return String(full.dropFirst(base.count + 1))
    }

    /// The files at `relative`: itself, or every file in the folder it names (a saved model, a checkpoint).
    private func filesUnder(_ relative: String) throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputPath(relative), isDirectory: &isFolder) else {
            throw Uncacheable(description: "\(relative) was written but is gone")
        }
        guard isFolder.boolValue else { return [relative] }
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: outputPath(relative))) ?? []
        return names.sorted().map { relative + "/" + $0 }.filter { path in
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: outputPath(path), isDirectory: &folder) && !folder.boolValue
                && !path.hasSuffix(".tmp")
        }
    }

    /// Puts a stored file back unless the same bytes are already there.
    private func restoreFile(_ relative: String, _ ref: BlobRef) throws {
        guard !relative.split(separator: "/").contains(".."), !relative.hasPrefix("/") else {
            throw CacheCorruption("the file path \(relative) leaves the output folder")
        }
        let path = outputPath(relative)
        if let existing = FileManager.default.contents(atPath: path), existing.count == ref.size, Digest.sha256Hex(existing) == ref.sha256 {
            return
        }
        let data = try settings.store.get(ref)
        try AtomicFile.createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        try AtomicFile.write(data, to: path)
    }

    /// SHA-256 of a file's bytes, or of a folder's file names and their digests (nil: unreadable or absent).
    static func contentDigest(_ path: String) -> String? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        guard isFolder.boolValue else { return FileManager.default.contents(atPath: path).map(Digest.sha256Hex) }
        guard let names = try? FileManager.default.subpathsOfDirectory(atPath: path) else { return nil }
        var listing = ""
        for name in names.sorted() {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &folder), !folder.boolValue else { continue }
            guard let digest = FileManager.default.contents(atPath: path + "/" + name).map(Digest.sha256Hex) else { return nil }
            listing += name + " " + digest + "\n"
        }
        return Digest.sha256Hex(listing)
    }

    // MARK: - Key material

    /// The value in a form that tells every value apart (JSON: shortest round-trip decimal for floats).
    static func exact(_ value: Value) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? value.literal
    }

    /// Whether `text` names `name` as a whole word (`$epochs`, `epochs=`), not inside a longer name.
    static func mentions(_ text: String, _ name: String) -> Bool {
        func isWordCharacter(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
        var search = text.startIndex
        while let range = text.range(of: name, range: search..<text.endIndex) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !isWordCharacter(before), !isWordCharacter(after) { return true }
            search = range.upperBound
        }
        return false
    }

    /// The 0-based line within `cell` of a `FILE:LINE` location in this notebook, so a restored seed is placed
    /// where the cell now stands even if prose above it grew.
    private func lineInCell(_ location: String, _ cell: Cell) -> Int? {
        guard let colon = location.lastIndex(of: ":"), let line = Int(location[location.index(after: colon)...]) else { return nil }
        guard String(location[..<colon]) == (file ?? "<input>") else { return nil }
        let offset = line - cell.startLine
        let lines = cell.text.split(separator: "\n", omittingEmptySubsequences: false).count
        return (0..<max(lines, 1)).contains(offset) ? offset : nil
    }
}

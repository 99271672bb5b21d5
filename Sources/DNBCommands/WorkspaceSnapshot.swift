import Foundation
import DNBSupport
import DNBEngine
import DNBDiffusion
import DNBData
import DNBLanguage
import DNBClassifier
import DNBEvaluation

/// The workspace as the cell cache keeps it (`SessionState`): everything a later cell can read, in parts stored
/// content-addressed so that a part a cell did not change (the model, while sampling) is stored once:
///
/// - `workspace.json`: generator, seeds, losses, figure names, the scheduler's config, the data recipe (which
///   dataset and which of its images: each split's `origin` — not the images), the training state's record
///   (`TrainingCheckpoint`, validated on restore), and the kept tensors' names;
/// - `model.safetensors`, `optimizer.safetensors` (Adam's moments, EMA), `tensor.NAME.safetensors`: floats in
///   dnb's internal layout, restored bit for bit.
extension Workspace: SessionState {
    struct Record: Codable {
        var seed: UInt64
        var rng: RandomGenerator
        var seedLog: [SeedEntry]
        var losses: [Double]
        var epochLosses: [Double]
        var figureCounts: [String: Int]
        var figureLog: [FigureEntry]
        var data: DataRecord?
        /// config.json of the model, as diffusers writes it.
        var modelConfig: String?
        var scheduler: SchedulerRecord?
        var training: TrainingRecord?
        var tensors: [String]
        /// `evaluate`'s state (optional: snapshots written before it decode): the classes `sample` asked for,
        /// the session's evaluations, and the classifier recipe chosen per slot (the classifiers stay in their cache).
        var tensorClasses: [String: [Int]]?
        var evaluations: [EvaluationEntry]?
        var classifierRecipes: [String: ClassifierRecipe]?
    }

    struct EvaluationEntry: Codable { var label: String, result: EvaluationResult }

    struct SeedEntry: Codable { var location: String, seed: UInt64 }
    struct FigureEntry: Codable { var path: String, caption: String }

    struct DataRecord: Codable {
        var name: String
        var source: String
        var origin: DataOrigin
        var size: Int
        var resize: String
        var range: String
        var train: SplitRecord
        var test: SplitRecord
    }

    /// A split's name; its images' origins are the part `data.SPLIT.origin` (little-endian Int32s: a part of
    /// their own, stored once while the selection stays, where JSON would repeat 70,000 numbers every cell).
    struct SplitRecord: Codable {
        var name: String
    }

    struct SchedulerRecord: Codable {
        var type: String
        var config: String
        var eta: Float
        var inferenceSteps: Int?
    }

    struct TrainingRecord: Codable {
        var checkpoint: TrainingCheckpoint
    }

    // MARK: - Snapshot

    public func snapshot() throws -> [String: Data] {
        var parts: [String: Data] = [:]
        var record = Record(seed: seed, rng: rng, seedLog: seedLog.map { SeedEntry(location: $0.location, seed: $0.seed) },
                            losses: losses, epochLosses: epochLosses, figureCounts: figureCounts,
                            figureLog: figureLog.map { FigureEntry(path: $0.path, caption: $0.caption) },
                            data: data.map { Self.record($0, into: &parts) }, modelConfig: nil, scheduler: try scheduler.map(Self.record),
                            training: nil, tensors: tensors.keys.sorted(), tensorClasses: tensorClasses,
                            evaluations: evaluations.map { EvaluationEntry(label: $0.label, result: $0.result) },
                            classifierRecipes: classifierRecipes)
        if let model {
            record.modelConfig = String(decoding: try JSONSerialization.data(withJSONObject: model.config.json, options: [.sortedKeys]), as: UTF8.self)
            parts["model.safetensors"] = try Self.serialize(model.parameters.parameters.map { ($0.name, $0.tensor.shape, $0.tensor.scalars) })
        }
        // A training of another model than the current one (not reachable through commands today) is not kept.
        if let training, let model, training.trainer.model === model, let data {
            record.training = TrainingRecord(checkpoint: checkpointRecord(training, data: data))
            parts["optimizer.safetensors"] = try Self.serialize(TrainingCheckpoint.optimizerTensors(training.trainer))
        }
        for (name, tensor) in tensors {
            parts["tensor.\(name).safetensors"] = try Self.serialize([("tensor", tensor.shape, tensor.scalars)])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        parts["workspace.json"] = try encoder.encode(record)
        return parts
    }

    private static func record(_ data: LoadedData, into parts: inout [String: Data]) -> DataRecord {
        let p = data.preprocessing
        for (split, set) in [("train", data.rawTrain), ("test", data.rawTest)] {
            parts["data.\(split).origin"] = set.origin.withUnsafeBufferPointer { Data(buffer: $0) }
        }
        return DataRecord(name: data.name, source: data.source, origin: data.origin, size: p.height,
                          resize: p.resize == .pilBilinear ? "pil" : "bilinear", range: p.range == .zeroToOne ? "unit" : "symmetric",
                          train: SplitRecord(name: data.rawTrain.name), test: SplitRecord(name: data.rawTest.name))
    }

    private static func record(_ scheduler: DenoisingScheduler) throws -> SchedulerRecord {
        guard let kind = SchedulerKind(scheduler) else { throw SnapshotError("the scheduler \(Swift.type(of: scheduler)) cannot be kept") }
        let config: SchedulerConfig?, steps: Int?
        switch scheduler {
        case let s as DDIMScheduler: (config, steps) = (s.config, s.numInferenceSteps)
        case let s as DDPMScheduler: (config, steps) = (s.config, s.numInferenceSteps)
        case let s as DPMSolverMultistepScheduler: (config, steps) = (s.config, s.numInferenceSteps)
        case let s as EulerDiscreteScheduler: (config, steps) = (s.config, s.numInferenceSteps)
        default: (config, steps) = (nil, nil)
        }
        guard let config else { throw SnapshotError("the scheduler was not made from a config") }
        let json = try JSONSerialization.data(withJSONObject: config.json, options: [.sortedKeys])
        return SchedulerRecord(type: kind.rawValue, config: String(decoding: json, as: UTF8.self),
                               eta: (scheduler as? DDIMScheduler)?.eta ?? 0, inferenceSteps: steps)
    }

    private static func serialize(_ tensors: [(name: String, shape: [Int], values: [Float])]) throws -> Data {
        Data(try SafetensorsFile.serialize(entries: tensors.map { try SafetensorsEntry(name: $0.name, shape: $0.shape, floats: $0.values) }))
    }

    // MARK: - Restore

    /// Puts the workspace in the state `parts` describe. Everything is read and checked before anything
    /// changes: a damaged part leaves the workspace as it was.
    public func restore(_ parts: [String: Data]) throws {
        guard let json = parts["workspace.json"] else { throw SnapshotError("workspace.json is missing") }
        let record = try JSONDecoder().decode(Record.self, from: json)
        let newData = try record.data.map { try restoreData($0, parts: parts) }
        let newScheduler = try record.scheduler.map(restoreScheduler)
        var newModel: UNet2DModel?
        if let config = record.modelConfig {
            guard let object = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any] else {
                throw SnapshotError("the model's config is not a JSON object")
            }
            let model = try UNet2DModel(config: try UNet2DConfig(json: object))
            let weights = try SafetensorsFile.parse(try part(parts, "model.safetensors"), path: "the cached model")
            for p in model.parameters.parameters { try Self.fill(p.tensor, from: weights, name: p.name) }
            newModel = model
        }
        var newTraining: TrainingState?
        if let training = record.training {
            newTraining = try restoreTraining(training, model: newModel, data: newData, scheduler: newScheduler,
                                              optimizer: try SafetensorsFile.parse(try part(parts, "optimizer.safetensors"), path: "the cached optimizer"))
        }
        var newTensors: [String: Tensor] = [:]
        for name in record.tensors {
            let file = try SafetensorsFile.parse(try part(parts, "tensor.\(name).safetensors"), path: "the cached tensor \(name)")
            let entry = try file.entry("tensor")
            newTensors[name] = try Tensor(shape: entry.shape, scalars: try entry.floats())
        }
        seed = record.seed
        rng = record.rng
        seedLog = record.seedLog.map { ($0.location, $0.seed) }
        losses = record.losses
        epochLosses = record.epochLosses
        figureCounts = record.figureCounts
        figureLog = record.figureLog.map { ($0.path, $0.caption) }
        data = newData
        scheduler = newScheduler
        schedule = newScheduler?.schedule
        model = newModel
        training = newTraining
        tensors = newTensors
        tensorClasses = record.tensorClasses ?? [:]
        evaluations = (record.evaluations ?? []).map { ($0.label, $0.result) }
        classifierRecipes = record.classifierRecipes ?? [:]
    }

    private func part(_ parts: [String: Data], _ name: String) throws -> Data {
        guard let data = parts[name] else { throw SnapshotError("\(name) is missing") }
        return data
    }

    private static func fill(_ tensor: Tensor, from file: SafetensorsFile, name: String) throws {
        let entry = try file.entry(name)
        guard entry.shape == tensor.shape else {
            throw SnapshotError("\(name) has shape \(describeShape(entry.shape)), the model's is \(describeShape(tensor.shape))")
        }
        let values = try entry.floats()
        for (i, v) in values.enumerated() { tensor.data[i] = v }
    }

    /// The dataset read again (verified by its MD5s, or drawn again from its seeds) and the recorded selection of it.
    private func restoreData(_ record: DataRecord, parts: [String: Data]) throws -> LoadedData {
        let train: ImageDataset, test: ImageDataset
        switch record.origin {
        case .synthetic(let count, let trainSeed, let testSeed):
            (train, test) = try DataOrigin.synthetic(count: count, seeds: (trainSeed, testSeed))
        case .files(let name, let directory):
            let locator = DataLocator(explicitDirectory: directory, status: { _ in }, detail: nil)
            let located = name == "fashion-mnist" ? try locator.locateFashionMNIST() : try locator.locateMNIST()
            (train, test) = (try located.load(.train), try located.load(.test))
        }
        func select(_ split: SplitRecord, _ name: String) throws -> ImageDataset {
            let bytes = try part(parts, "data.\(name).origin")
            guard bytes.count % 4 == 0 else { throw SnapshotError("data.\(name).origin is not a list of Int32") }
            let origin = bytes.withUnsafeBytes { raw in (0..<bytes.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) } }
            var pixels: [UInt8] = [], labels: [UInt8] = []
            pixels.reserveCapacity(origin.count * train.imageSize)
            for o in origin {
                let (set, i) = o >= 0 ? (train, Int(o)) : (test, Int(-1 - o))
                guard i < set.count else { throw SnapshotError("image \(o) of \(record.name) is beyond its \(set.count) images") }
                pixels += set.image(i)
                labels.append(set.labels[i])
            }
            return try ImageDataset(name: split.name, height: train.height, width: train.width, pixels: pixels, labels: labels, origin: origin)
        }
        let preprocessing = Preprocessing(size: record.size, resize: record.resize == "pil" ? .pilBilinear : .floatBilinear,
                                          range: record.range == "unit" ? .zeroToOne : .minusOneToOne)
        return try LoadedData(name: record.name, source: record.source, origin: record.origin, preprocessing: preprocessing,
                              train: try select(record.train, "train"), test: try select(record.test, "test"))
    }

    private func restoreScheduler(_ record: SchedulerRecord) throws -> DenoisingScheduler {
        guard let object = try JSONSerialization.jsonObject(with: Data(record.config.utf8)) as? [String: Any] else {
            throw SnapshotError("the scheduler's config is not a JSON object")
        }
        let config = try SchedulerConfig(json: object)
        guard let kind = SchedulerKind(rawValue: record.type) else { throw SnapshotError("unknown scheduler type \(record.type)") }
        let scheduler = try kind.make(config, eta: record.eta)
        if let steps = record.inferenceSteps { try scheduler.setTimesteps(steps) }
        return scheduler
    }

    private func restoreTraining(_ record: TrainingRecord, model: UNet2DModel?, data: LoadedData?, scheduler: DenoisingScheduler?,
                                 optimizer: SafetensorsFile) throws -> TrainingState {
        let checkpoint = record.checkpoint
        let problems = checkpoint.problems()
        guard problems.isEmpty else { throw SnapshotError("the training state is inconsistent: " + problems.joined(separator: "; ")) }
        guard let model, let train = data?.train, let schedule = scheduler?.schedule else {
            throw SnapshotError("the training state lacks its model, data or scheduler")
        }
        let trainer = try checkpoint.makeTrainer(model: model, optimizer: optimizer, source: "the cached optimizer", schedule: schedule)
        return try Self.trainingState(checkpoint, trainer: trainer, train: train)
    }
}

struct SnapshotError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import DNBEngine
import DNBSupport

/// A training checkpoint: a diffusers model folder (so the weights load anywhere) plus the optimiser
/// moments, the EMA weights, the random generator, the loader position and the loss history, so that
/// resuming continues with exactly the losses an uninterrupted run gives. It also records what the run
/// depends on (scheduler, dataset, batch size, image size): a resume that differs is refused, naming
/// every difference. The folder is swapped in by `ReplaceableFolder`: never half of one, never over a
/// folder dnb did not write, and a kill mid-swap leaves a complete copy `load` finds.
public struct TrainingCheckpoint: Codable, Equatable {
    public var step: Int
    public var optimizerStep: Int
    public var loader: LoaderPosition
    public var loaderSeed: UInt64
    public var batchSize: Int
    public var shuffle: Bool
    public var dropLast: Bool
    public var lr: Float
    public var weightDecay: Float
    public var schedule: ScheduleRecord?
    public var emaDecay: Float?
    public var emaUpdates: Int
    /// Absent in checkpoints written before min-SNR weighting existed (decoded as nil: the plain MSE).
    public var snrGamma: Float?
    /// Classifier-free guidance's label dropout; absent (nil) in checkpoints written before it existed.
    public var labelDropout: Float?
    public var rng: RandomGenerator
    public var seed: UInt64
    public var classConditional: Bool
    public var dataset: String
    public var losses: [Double]
    public var epochLosses: [Double]
    /// What the run depends on beyond the fields above; absent in checkpoints written before it was recorded.
    public var datasetCount: Int?
    /// [height, width] of the training images.
    /// [height, width] of the training images.
    public var imageShape: [Int]?
    public var scheduler: SchedulerRecord?

    /// Where the data loader is: the epoch and the next batch in it (DNBData's `LoaderState`).
    public struct LoaderPosition: Codable, Equatable, Sendable {
        public var epoch: Int, batch: Int
        public init(epoch: Int, batch: Int) { self.epoch = epoch; self.batch = batch }
    }

    public struct ScheduleRecord: Codable, Equatable, Sendable {
        public var peak: Float, warmupSteps: Int, totalSteps: Int, minimumFraction: Float
    }

    /// The training-time noise schedule: T, β at t = 0, ⌊T/2⌋ and T − 1 (these tell beta_start, beta_end and
    /// beta_schedule apart), and the prediction type.
    public struct SchedulerRecord: Codable, Equatable, Sendable {
        public var numTrainTimesteps: Int
        public var betas: [Float]
        public var predictionType: String

        public init(_ schedule: NoiseSchedule, predictionType: PredictionType) {
            let n = schedule.trainTimesteps
            numTrainTimesteps = n
            betas = [0, n / 2, n - 1].map { schedule.betas[$0] }
            self.predictionType = predictionType.rawValue
        }
    }

    /// What the run about to continue uses; nil fields are not compared (the user did not ask for a value).
    public struct Requirements {
        public var dataset: String
        public var datasetCount: Int
        public var imageShape: [Int]
        public var scheduler: SchedulerRecord
        public var batchSize: Int?
        public var shuffle: Bool?
        public var dropLast: Bool?
        public init(dataset: String, datasetCount: Int, imageShape: [Int], scheduler: SchedulerRecord,
                    batchSize: Int? = nil, shuffle: Bool? = nil, dropLast: Bool? = nil) {
            self.dataset = dataset; self.datasetCount = datasetCount; self.imageShape = imageShape
            self.scheduler = scheduler; self.batchSize = batchSize; self.shuffle = shuffle; self.dropLast = dropLast
        }
    }

    public static let stateName = "trainer_state.json"
    public static let optimizerName = "optimizer.safetensors"
    /// The marker in every checkpoint folder: only folders carrying it are ever replaced or cleaned up.
    public static let markerName = ".dnb-checkpoint"
    /// The files of a checkpoint written before the marker existed; such a folder may be replaced too.
    static let legacyContents: Set<String> = [ModelFolder.configName, ModelFolder.weightsName, optimizerName, stateName]

    public init(trainer: NoisePredictionTrainer, loader: LoaderPosition, loaderSeed: UInt64, batchSize: Int, shuffle: Bool,
                dropLast: Bool, rng: RandomGenerator, seed: UInt64, classConditional: Bool, dataset: String,
                losses: [Double], epochLosses: [Double], datasetCount: Int, imageShape: [Int], scheduler: SchedulerRecord) {
        step = trainer.step
        optimizerStep = trainer.optimizer.step
        self.loader = loader
        self.loaderSeed = loaderSeed
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        lr = trainer.optimizer.lr
        weightDecay = trainer.optimizer.weightDecay
        schedule = trainer.learningRate.map { ScheduleRecord(peak: $0.peak, warmupSteps: $0.warmupSteps, totalSteps: $0.totalSteps, minimumFraction: $0.minimumFraction) }
        emaDecay = trainer.ema?.decay
        emaUpdates = trainer.ema?.updates ?? 0
        snrGamma = trainer.snrGamma
        labelDropout = trainer.labelDropout
        self.rng = rng
        self.seed = seed
        self.classConditional = classConditional
        self.dataset = dataset
        self.losses = losses
        self.epochLosses = epochLosses
        self.datasetCount = datasetCount
        self.imageShape = imageShape
        self.scheduler = scheduler
    }

    // MARK: - Writing

    /// Claims `path` for one writer (`.NAME.dnb-lock` beside it) and checks that dnb may replace what is there,
    /// so that a run refuses before its first step rather than at its first checkpoint.
    public static func lockForWriting(_ path: String) throws -> FolderLock {
        // Checked before the lock file is created (no lock file is left beside a refused folder), and again under the lock.
        try ReplaceableFolder.checkReplaceable(path, marker: markerName, kind: "checkpoint", legacy: legacyContents)
        let lock = try ModelFolder.lockFolder(path, purpose: "training checkpoint")
        do { try ReplaceableFolder.checkReplaceable(path, marker: markerName, kind: "checkpoint", legacy: legacyContents) } catch {
            lock.release()
            throw error
        }
        return lock
    }

    /// Writes the checkpoint of `trainer` (whose state `self` describes) to `path`. Holds `lock` if given (a
    /// training run holds it for its whole length), else takes the folder's lock for the write.
    /// `fault` is the fault-injection hook of `ReplaceableFolder.replace`.
    public func save(_ trainer: NoisePredictionTrainer, to path: String, lock: FolderLock? = nil,
                     fault: ((ReplaceableFolder.Step) throws -> Void)? = nil) throws {
        let ownLock = lock == nil ? try Self.lockForWriting(path) : nil
        defer { ownLock?.release() }
        let model = trainer.model
        let tensors = Self.optimizerTensors(trainer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let state = try encoder.encode(self)
        try ReplaceableFolder.replace(path, marker: Self.markerName, kind: "checkpoint", legacy: Self.legacyContents, fault: fault) { folder in
            let url = URL(fileURLWithPath: folder)
            try ModelFolder.write(model, into: url)
            try SafetensorsFile.write(tensors, metadata: Self.optimizerMetadata, to: url.appendingPathComponent(Self.optimizerName))
            try AtomicFile.write(state, to: url.appendingPathComponent(Self.stateName).path)
        }
    }

    public static let optimizerMetadata = ["layout": "dnb (NHWC / HWIO)"]

    /// Adam's moments (`exp_avg.NAME`, `exp_avg_sq.NAME`) and the EMA weights (`ema.NAME`) of every parameter,
    /// in dnb's internal layout: the contents of `optimizer.safetensors` (and of the cell cache's training state).
    public static func optimizerTensors(_ trainer: NoisePredictionTrainer) -> [(name: String, shape: [Int], values: [Float])] {
        let parameters = trainer.model.parameters.parameters
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (p, moments) in zip(parameters, trainer.optimizer.moments) {
            tensors.append(("exp_avg." + p.name, p.tensor.shape, moments.m.scalars))
            tensors.append(("exp_avg_sq." + p.name, p.tensor.shape, moments.v.scalars))
        }
        if let ema = trainer.ema {
            for (p, s) in zip(parameters, ema.shadow) { tensors.append(("ema." + p.name, p.tensor.shape, s.scalars)) }
        }
        return tensors
    }

    // MARK: - Reading

    /// Reads and validates the state of the checkpoint at `path` (or of the complete copy a kill mid-swap left
    /// beside it). Returns the state and the folder it came from.
    public static func read(from path: String) throws -> (checkpoint: TrainingCheckpoint, folder: String) {
        guard let folder = ReplaceableFolder.locate(path, marker: markerName) else {
            throw ModelError.checkpoint("no checkpoint at \(path) (nothing there, and no complete copy beside it)")
        }
        let file = folder + "/" + stateName
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ModelError.checkpoint("\(folder) is not a dnb training checkpoint (no \(stateName))")
        }
        let checkpoint: TrainingCheckpoint
        do { checkpoint = try JSONDecoder().decode(TrainingCheckpoint.self, from: data) } catch {
            throw ModelError.checkpoint("\(file) is not a valid training state: \(describe(error))")
        }
        let problems = checkpoint.problems()
        guard problems.isEmpty else {
            throw ModelError.checkpoint("\(file) is corrupted: " + problems.joined(separator: "; "))
        }
        return (checkpoint, folder)
    }

    /// Everything inconsistent in the state, one phrase each (empty: valid).
    public func problems() -> [String] {
        var out: [String] = []
        func require(_ ok: Bool, _ message: @autoclosure () -> String) { if !ok { out.append(message()) } }
        require(step >= 0, "step \(step) is negative")
        require(optimizerStep == step, "the optimizer's step \(optimizerStep) differs from the trainer's \(step)")
        require(loader.epoch >= 0 && loader.batch >= 0, "the loader position (epoch \(loader.epoch), batch \(loader.batch)) is negative")
        // The upper bounds keep the loader's batch arithmetic (count + batch_size − 1) far from overflowing.
        require((1...Int(Int32.max)).contains(batchSize), "batch_size \(batchSize) must lie in 1...\(Int32.max)")
        require(lr.isFinite && lr >= 0, "lr \(lr) must be finite and non-negative")
        require(weightDecay.isFinite && weightDecay >= 0, "weight_decay \(weightDecay) must be finite and non-negative")
        if let s = schedule {
            require(s.peak.isFinite && s.peak >= 0 && s.warmupSteps >= 0 && s.totalSteps >= 1 && s.minimumFraction.isFinite
                    && (0...1).contains(s.minimumFraction),
                    "the learning-rate schedule (peak \(s.peak), warm-up \(s.warmupSteps), total \(s.totalSteps), minimum \(s.minimumFraction)) is invalid")
        }
        if let d = emaDecay {
            require(d.isFinite && d > 0 && d < 1, "the EMA decay \(d) must lie in (0, 1)")
            require(emaUpdates == step, "the EMA has \(emaUpdates) updates, the trainer \(step) steps")
        } else {
            require(emaUpdates == 0, "\(emaUpdates) EMA updates but no EMA")
        }
        if let g = snrGamma { require(g.isFinite && g > 0, "snr_gamma \(g) must be finite and positive") }
        if let p = labelDropout { require(p >= 0 && p < 1, "label_dropout \(p) must lie in [0, 1)") }
        if let i = losses.firstIndex(where: { !$0.isFinite }) { out.append("loss \(i) is \(losses[i])") }
        if let i = epochLosses.firstIndex(where: { !$0.isFinite }) { out.append("epoch average \(i) is \(epochLosses[i])") }
        if let count = datasetCount {
            require((1...Int(Int32.max)).contains(count), "the dataset size \(count) must lie in 1...\(Int32.max)")
            if (1...Int(Int32.max)).contains(count), (1...Int(Int32.max)).contains(batchSize) {
                let perEpoch = dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
                require(perEpoch >= 1, "\(count) images make no batch of \(batchSize)")
                if perEpoch >= 1, let problem = positionProblem(batchesPerEpoch: perEpoch) { out.append(problem) }
            }
        }
        if let shape = imageShape { require(shape.count == 2 && shape.allSatisfy { $0 >= 1 }, "the image size \(shape) is not [height, width]") }
        if let s = scheduler {
            require(s.numTrainTimesteps >= 2 && s.betas.count == 3 && s.betas.allSatisfy { $0.isFinite && $0 > 0 && $0 < 1 }
                    && PredictionType(rawValue: s.predictionType) != nil, "the scheduler record is invalid")
        }
        return out
    }

    /// Why the loader position cannot be this checkpoint's with `batchesPerEpoch` batches an epoch (nil: it can).
    /// The loader and the trainer are created together and advance once per step.
    public func positionProblem(batchesPerEpoch perEpoch: Int) -> String? {
        guard loader.batch < perEpoch else { return "the loader's batch \(loader.batch) is beyond the \(perEpoch) batches of an epoch" }
        let (product, overflow) = loader.epoch.multipliedReportingOverflow(by: perEpoch)
        let (position, overflowAgain) = product.addingReportingOverflow(loader.batch)
        guard !overflow, !overflowAgain, position == step else {
            return "the loader position (epoch \(loader.epoch), batch \(loader.batch)) does not match step \(step)"
        }
        return nil
    }

    /// Every way the run described by `run` differs from the one this checkpoint continues, as
    /// "the checkpoint was trained with X, this run asks for Y" phrases (empty: compatible).
    public func differences(from run: Requirements) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ saved: T?, _ asked: T?, _ show: (T) -> String = { "\($0)" }) {
            if let saved, let asked, saved != asked { out.append("the checkpoint was trained with \(name) \(show(saved)), this run asks for \(show(asked))") }
        }
        compare("the dataset", dataset, run.dataset)
        compare("a dataset of", datasetCount, run.datasetCount) { "\($0) training images" }
        compare("images of", imageShape, run.imageShape) { $0.map(String.init).joined(separator: "×") }
        compare("batch_size", batchSize, run.batchSize)
        compare("shuffle", shuffle, run.shuffle)
        compare("drop_last", dropLast, run.dropLast)
        if let saved = scheduler {
            compare("num_train_timesteps", saved.numTrainTimesteps, run.scheduler.numTrainTimesteps)
            if saved.numTrainTimesteps == run.scheduler.numTrainTimesteps {
                compare("β (at t = 0, T/2, T−1; set by beta_start, beta_end, beta_schedule)", saved.betas, run.scheduler.betas)
            }
            compare("prediction_type", saved.predictionType, run.scheduler.predictionType)
        }
        return out
    }

    /// The model, optimiser, EMA and step counter of the checkpoint in `folder` (read by `read`), on `schedule`.
    public func makeTrainer(folder: String, schedule: NoiseSchedule) throws -> NoisePredictionTrainer {
        let dir = URL(fileURLWithPath: folder)
        let model = try ModelFolder.load(dir)
        let optimizer = try SafetensorsFile.read(dir.appendingPathComponent(Self.optimizerName))
        return try makeTrainer(model: model, optimizer: optimizer, source: "\(Self.optimizerName) in \(folder)", schedule: schedule)
    }

    /// The trainer of `model` with the moments and EMA weights of `optimizer` (`optimizerTensors`' names);
    /// `source` names where they came from in errors.
    public func makeTrainer(model: UNet2DModel, optimizer: SafetensorsFile, source: String, schedule: NoiseSchedule) throws -> NoisePredictionTrainer {
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: lr, weightDecay: weightDecay,
                                             learningRate: self.schedule.map { LearningRateSchedule(peak: $0.peak, warmupSteps: $0.warmupSteps, totalSteps: $0.totalSteps, minimumFraction: $0.minimumFraction) },
                                             emaDecay: emaDecay)
        func tensor(_ name: String, _ p: Parameter) throws -> Tensor {
            guard optimizer[name] != nil else {
                throw ModelError.checkpoint("\(source) has no \(name)")
            }
            let values = try optimizer.floats(name)
            guard values.count == p.tensor.count else {
                throw ModelError.checkpoint("\(source): \(name) has \(values.count) values, the parameter \(p.tensor.count) (shape \(describeShape(p.tensor.shape)))")
            }
            guard values.allSatisfy(\.isFinite) else { throw ModelError.checkpoint("\(source): \(name) holds non-finite values") }
            return try Tensor(shape: p.tensor.shape, scalars: values)
        }
        let parameters = model.parameters.parameters
        let moments = try parameters.map { p in (m: try tensor("exp_avg." + p.name, p), v: try tensor("exp_avg_sq." + p.name, p)) }
        try trainer.optimizer.restore(step: optimizerStep, moments: moments)
        if let ema = trainer.ema {
            ema.restore(shadow: try parameters.map { try tensor("ema." + $0.name, $0) }, updates: emaUpdates)
        }
        trainer.restore(step: step)
        trainer.snrGamma = snrGamma
        trainer.labelDropout = labelDropout
        return trainer
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c), DecodingError.keyNotFound(_, let c), DecodingError.typeMismatch(_, let c),
             DecodingError.valueNotFound(_, let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            if case DecodingError.keyNotFound(let key, _) = error { return "\(path.isEmpty ? "" : path + ".")\(key.stringValue) is missing" }
            return (path.isEmpty ? "" : path + ": ") + c.debugDescription
        default: return String(describing: error)
        }
    }
}

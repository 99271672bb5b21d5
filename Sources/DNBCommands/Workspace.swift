import Foundation
import DNBEngine
import DNBDiffusion
import DNBData
import DNBClassifier
import DNBEvaluation

/// Everything a dnb session holds between commands: the data, the model, its
/// scheduler and trainer, the loss history, named results and the random generator.
/// Commands read and replace these; nothing else keeps state.
public final class Workspace {
    public internal(set) var seed: UInt64 = 0
    public var rng = RandomGenerator(seed: 0)
    public var data: LoadedData?
    public var model: UNet2DModel?
    public var scheduler: DenoisingScheduler?
    /// The scheduler's training-time schedule (β, ᾱ), shared by add_noise and training.
    public var schedule: NoiseSchedule?
    public var training: TrainingState?
    /// Per-step losses of every `train` so far, and the per-epoch averages.
    public var losses: [Double] = []
    public var epochLosses: [Double] = []
    /// Results commands leave behind for `plot` and `save tensor`, by name.
    public var tensors: [String: Tensor] = [:]
    /// The class each image of a kept batch was asked to be (class-conditional `sample`), for `evaluate`.
    public var tensorClasses: [String: [Int]] = [:]
    /// Where `classifier train` and `evaluate` keep trained classifiers (tests point it at a temporary folder).
    public var classifierCache = ClassifierCache()
    /// Classifiers loaded this session, by cache file (a memo: the cache folder holds them).
    var classifiers: [String: SessionClassifier] = [:]
    /// The recipe `evaluate` uses per dataset and image size (slot), when `classifier train` chose one.
    var classifierRecipes: [String: ClassifierRecipe] = [:]
    /// Every `evaluate` of the session, oldest first, for `evaluations`.
    public internal(set) var evaluations: [(label: String, result: EvaluationResult)] = []
    var figureCounts: [String: Int] = [:]
    /// Every figure the session wrote, oldest first (path relative to the output directory), for `show`.
    var figureLog: [(path: String, caption: String)] = []
    /// Where long commands report their progress instead of the terminal's stderr bar (the Jupyter kernel's
    /// live display); nil: the terminal.
    public var progressDisplay: ProgressDisplay?
    /// Under mpirun with several ranks: training and sampling take this rank's share of each batch.
    public var dataParallel: DataParallel?
    /// `--verbose`: commands print the detail of what they tried (each data route and why it failed).
    public var verbose: Bool

    public init(verbose: Bool = false) { self.verbose = verbose }

    /// Every `seed` the session ran, in order, with where it was written (`file:line`), for the report's header.
    public internal(set) var seedLog: [(location: String, seed: UInt64)] = []

    /// Reseeds every source of randomness the session uses from now on.
    public func reseed(_ seed: UInt64, at location: String? = nil) {
        self.seed = seed
        rng = RandomGenerator(seed: seed)
        if let location { seedLog.append((location, seed)) }
    }
}

/// The dataset a session trains and evaluates on, prepared at the model's resolution.
public struct LoadedData {
    public let name: String
    public let source: String
    /// How to read the originals again (the cell cache keeps this, and each split's `origin`, not the images).
    public let origin: DataOrigin
    public private(set) var preprocessing: Preprocessing
    /// The images as read (uint8, original size), so that `dataset transform`, `subset` and `split` can prepare again.
    public private(set) var rawTrain: ImageDataset
    public private(set) var rawTest: ImageDataset
    public private(set) var train: PreparedDataset?
    public private(set) var test: PreparedDataset?

    public init(name: String, source: String, origin: DataOrigin, preprocessing: Preprocessing, train: ImageDataset, test: ImageDataset) throws {
        self.name = name
        self.source = source
        self.origin = origin
        self.preprocessing = preprocessing
        rawTrain = train
        rawTest = test
        try prepare()
    }

    /// New raw splits and/or preprocessing; only what changed is prepared again.
    public mutating func replace(train: ImageDataset? = nil, test: ImageDataset? = nil, preprocessing: Preprocessing? = nil) throws {
        if let train { rawTrain = train }
        if let test { rawTest = test }
        if let preprocessing { self.preprocessing = preprocessing }
        try prepare(train: train != nil || preprocessing != nil, test: test != nil || preprocessing != nil)
    }

    private mutating func prepare(train prepareTrain: Bool = true, test prepareTest: Bool = true) throws {
        if prepareTrain { train = try PreparedDataset(rawTrain, preprocessing) }
        if prepareTest { test = try PreparedDataset(rawTest, preprocessing) }
    }
}

/// Where a session's images came from: a dataset dnb reads and verifies (its MD5s are fixed), or the
/// synthetic digits drawn from two seeds.
public enum DataOrigin: Codable, Equatable, Sendable {
    /// `mnist` or `fashion-mnist`, from `directory` when one was given (`data=`), else wherever dnb finds it.
    case files(name: String, directory: String?)
    case synthetic(count: Int, trainSeed: UInt64, testSeed: UInt64)
}

/// The optimiser and its bookkeeping, kept across `train` commands so a second call continues the first.
public final class TrainingState {
    public let trainer: NoisePredictionTrainer
    public var loader: DataLoader
    public var batchSize: Int
    public var classConditional: Bool
    public init(trainer: NoisePredictionTrainer, loader: DataLoader, batchSize: Int, classConditional: Bool) {
        self.trainer = trainer
        self.loader = loader
        self.batchSize = batchSize
        self.classConditional = classConditional
    }
}

import Foundation
import DNBEngine
import DNBDiffusion
import DNBData
import DNBSupport
import DNBLanguage

/// The workspace side of `TrainingCheckpoint` (DNBDiffusion): what the session contributes to a checkpoint,
/// and how a checkpoint becomes the session's training state again.
extension Workspace {
    func requireTraining() throws -> TrainingState {
        guard let training else { throw MissingPrerequisite("nothing trained yet: run `train` first") }
        return training
    }

    /// The current run's requirements, for comparing with a checkpoint before resuming it.
    func checkpointRequirements(schedule: NoiseSchedule, batchSize: Int? = nil, shuffle: Bool? = nil, dropLast: Bool? = nil) throws -> TrainingCheckpoint.Requirements {
        guard let data, let train = data.train else { throw MissingPrerequisite("no training split loaded: load the dataset the checkpoint was trained on with `dataset load` first") }
        return TrainingCheckpoint.Requirements(
            dataset: data.name, datasetCount: train.count, imageShape: [train.height, train.width],
            scheduler: .init(schedule, predictionType: scheduler?.predictionType ?? .epsilon),
            batchSize: batchSize, shuffle: shuffle, dropLast: dropLast)
    }

    /// Saves the training state to `path` (see `TrainingCheckpoint.save`).
    func saveCheckpoint(to path: String, lock: FolderLock? = nil, fault: ((ReplaceableFolder.Step) throws -> Void)? = nil) throws {
        guard let training else { throw MissingPrerequisite("nothing to save yet: run `train` first") }
        guard let data else { throw MissingPrerequisite("no dataset loaded: the checkpoint records which one the run trains on") }
        try checkpointRecord(training, data: data).save(training.trainer, to: path, lock: lock, fault: fault)
    }

    /// The record of `training` (on `data`) that a checkpoint folder and the cell cache keep.
    func checkpointRecord(_ training: TrainingState, data: LoadedData) -> TrainingCheckpoint {
        let trainer = training.trainer, loader = training.loader
        return TrainingCheckpoint(
            trainer: trainer, loader: .init(epoch: loader.state.epoch, batch: loader.state.batch), loaderSeed: loader.seed,
            batchSize: training.batchSize, shuffle: loader.shuffle, dropLast: loader.dropLast, rng: rng, seed: seed,
            classConditional: training.classConditional, dataset: data.name, losses: losses, epochLosses: epochLosses,
            datasetCount: loader.dataset.count, imageShape: [loader.dataset.height, loader.dataset.width],
            scheduler: .init(trainer.schedule, predictionType: trainer.predictionType))
    }

    /// The training state of `checkpoint` with `trainer`, its loader over `train` at the recorded position.
    static func trainingState(_ checkpoint: TrainingCheckpoint, trainer: NoisePredictionTrainer, train: PreparedDataset) throws -> TrainingState {
        let loader = try DataLoader(train, batchSize: checkpoint.batchSize, shuffle: checkpoint.shuffle, seed: checkpoint.loaderSeed,
                                    dropLast: checkpoint.dropLast, state: LoaderState(epoch: checkpoint.loader.epoch, batch: checkpoint.loader.batch))
        if let prediction = PredictionType(rawValue: checkpoint.scheduler?.predictionType ?? "") { trainer.predictionType = prediction }
        return TrainingState(trainer: trainer, loader: loader, batchSize: checkpoint.batchSize, classConditional: checkpoint.classConditional)
    }

    /// Restores model, optimiser, EMA, generator, loader position and history from the checkpoint at `path`,
    /// after checking that this session's dataset and scheduler (and the batch size, shuffle and drop_last the
    /// user asked for, when given) are the ones it was trained with.
    func restoreCheckpoint(from path: String, schedule: NoiseSchedule, batchSize: Int? = nil, shuffle: Bool? = nil, dropLast: Bool? = nil) throws {
        let (checkpoint, folder) = try TrainingCheckpoint.read(from: path)
        guard let train = data?.train else {
            throw MissingPrerequisite("load the dataset the checkpoint was trained on (\(checkpoint.dataset)) with `dataset load` first")
        }
        let differences = checkpoint.differences(from: try checkpointRequirements(schedule: schedule, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast))
        guard differences.isEmpty else {
            throw ModelError.checkpoint("cannot continue \(path): " + differences.joined(separator: "; "))
        }
        let trainer = try checkpoint.makeTrainer(folder: folder, schedule: schedule)
        let state = try Self.trainingState(checkpoint, trainer: trainer, train: train)
        // Checkpoints written before the dataset size was recorded are checked here against the loaded one.
        if let problem = checkpoint.positionProblem(batchesPerEpoch: state.loader.batchesPerEpoch) {
            throw ModelError.checkpoint("\(path): \(problem) (\(train.count) images in batches of \(checkpoint.batchSize))")
        }
        model = trainer.model
        training = state
        reseed(checkpoint.seed)
        rng = checkpoint.rng
        losses = checkpoint.losses
        epochLosses = checkpoint.epochLosses
    }
}

import Foundation
import DNBSupport
import DNBEngine
import DNBDiffusion
import DNBData
import DNBLanguage
import DNBDistributed

/// `train`: the tutorial's noise-prediction loop over epochs of the loaded dataset.
enum TrainCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("train", summary: "Train the model to predict the noise added at random timesteps", help: """
            For each batch: noise ~ N(0, 1), t ~ U{0, …, T−1} per image, noisy = scheduler.add_noise(x, noise, t), \
            loss = MSE(model(noisy, t), noise), Adam step; with a scheduler created with prediction_type=sample or \
            v_prediction the model learns that target instead, and snr_gamma weights the loss by timestep \
            (min-SNR-γ, diffusers' --snr_gamma). Prints each epoch's average loss as the tutorial does; \
            the per-step losses are kept for `plot loss`. A second `train` continues with the same optimiser. \
            Ctrl-C stops after the current step and keeps everything; with checkpoint=DIR the state is saved \
            (atomically) every checkpoint_every steps and at the end, and resume=DIR continues a saved run \
            exactly. A loss that becomes NaN or infinite stops training, naming the step.
            """, arguments: [
                // The upper bound keeps epochs × batches per epoch an Int (6e10 steps for MNIST at batch 1).
                ArgumentSpec("epochs", .float, default: .float(1), bounds: [.above(0), .atMost(1e6)], help: "passes over the training set (fractions allowed)"),
                ArgumentSpec("batch_size", .int, default: .int(128), bounds: [.atLeast(1)], help: "images per step"),
                ArgumentSpec("lr", .float, default: .float(1e-3), bounds: [.above(0)], help: "Adam learning rate (the peak, with a schedule)"),
                ArgumentSpec("weight_decay", .float, default: .float(0), bounds: [.atLeast(0)], help: "Adam's L2 weight decay"),
                ArgumentSpec("lr_schedule", .string, default: .string("constant"), allowed: [.string("constant"), .string("cosine")], help: "constant, or linear warm-up then cosine decay"),
                ArgumentSpec("warmup_steps", .int, default: .int(0), bounds: [.atLeast(0)], help: "warm-up steps of the cosine schedule"),
                ArgumentSpec("schedule_steps", .int, default: Value.none, bounds: [.atLeast(1)], help: "steps the cosine schedule spans (default: this call's steps; set it when training in several calls)"),
                ArgumentSpec("ema", .float, default: Value.none, bounds: [.atLeast(0), .below(1)], help: "decay of an exponential moving average of the weights (e.g. 0.999), used for sampling"),
                ArgumentSpec("snr_gamma", .float, default: Value.none, bounds: [.above(0)], help: "min-SNR-γ loss weighting, e.g. 5 (default: the plain MSE, or what the run being continued used)"),
                ArgumentSpec("max_steps", .int, default: Value.none, bounds: [.atLeast(1)], help: "stop after this many steps in total"),
                ArgumentSpec("class_conditional", .bool, default: Value.none, help: "feed the labels to the model (default: when the model has num_class_embeds)"),
                ArgumentSpec("label_dropout", .float, default: Value.none, bounds: [.atLeast(0), .below(1)], help: "for classifier-free guidance (`sample guidance=`): the share of images trained with the model's last class, meaning \"no class\" (create the model with num_class_embeds = the classes + 1, e.g. 11 for digits), e.g. 0.1"),
                ArgumentSpec("shuffle", .bool, default: .bool(true), help: "reshuffle every epoch (seeded)"),
                ArgumentSpec("drop_last", .bool, default: .bool(false), help: "skip the last incomplete batch"),
                ArgumentSpec("checkpoint", .path, default: Value.none, help: "folder to save the training state in (relative paths are in the output directory)"),
                ArgumentSpec("checkpoint_every", .int, default: .int(0), bounds: [.atLeast(0)], help: "steps between checkpoints (0: only at the end)"),
                ArgumentSpec("resume", .path, default: Value.none, help: "continue from a checkpoint folder (relative paths: the output directory, where checkpoints are written, then the working directory)"),
                ArgumentSpec("progress", .bool, default: .bool(true), help: "show progress on the terminal (stderr)"),
            ], result: result, prerequisite: {
                _ = try ws.requireData(); _ = try ws.requireSchedule()
            }) { inv, ctx in
            let schedule = try ws.requireSchedule()
            // One writer per checkpoint folder for the whole run; refused before any step if the folder is not one dnb may replace.
            let checkpoint = try inv.optionalString("checkpoint").map { outputPath($0, ctx) }
            let lock = try checkpoint.map { try TrainingCheckpoint.lockForWriting($0) }
            defer { lock?.release() }
            var resumedBatchSize: Int?
            if let resume = try inv.optionalString("resume").map({ try inputPath($0, ctx) }) {
                ctx.out.noteRead(resume)
                try ws.restoreCheckpoint(from: resume, schedule: schedule,
                                         batchSize: inv.isGiven("batch_size") ? try inv.int("batch_size") : nil,
                                         shuffle: inv.isGiven("shuffle") ? try inv.bool("shuffle") : nil,
                                         dropLast: inv.isGiven("drop_last") ? try inv.bool("drop_last") : nil)
                warnAboutNonFiniteWeights(try ws.requireModel(), ctx)
                let training = try ws.requireTraining()
                resumedBatchSize = training.batchSize
                ctx.out.print("resumed from \(resume) at step \(training.trainer.step) (epoch \(training.loader.state.epoch), batch \(training.loader.state.batch))")
            }
            let model = try ws.requireModel(), data = try ws.requireData()
            guard let train = data.train else { throw MissingPrerequisite("no training split loaded") }
            // A second `train` continues the running training with its batch size unless another is asked for.
            let running = ws.training.flatMap { $0.trainer.model === model ? $0 : nil }
            let batchSize = try resumedBatchSize ?? (inv.isGiven("batch_size") ? inv.int("batch_size") : running?.batchSize ?? inv.int("batch_size"))
            let epochs = try inv.double("epochs")
            // Under mpirun a rank holds the activations of its share of the batch.
            try checkMemory(model, batchSize: ws.dataParallel.map { shard(of: batchSize, rank: 0, size: $0.group.size).count } ?? batchSize, ema: try inv.optionalDouble("ema") != nil || ws.training?.trainer.ema != nil)
            let conditional = try inv.isGiven("class_conditional") ? inv.bool("class_conditional") : model.config.numClassEmbeds != nil
            if conditional && model.config.numClassEmbeds == nil {
                throw ArgumentError(argument: "class_conditional", "the model has no class embedding: create it with num_class_embeds=10")
            }
            if let dropout = try inv.optionalDouble("label_dropout"), dropout > 0 {
                try checkLabelDropout(model: model, labels: train.labels, conditional: conditional)
            }
            if ws.training == nil || ws.training!.trainer.model !== model || ws.training!.batchSize != batchSize {
                let lr = Float(try inv.double("lr"))
                // The session generator advances only once the arguments are accepted, so a refused `train` changes nothing.
                var rng = ws.rng
                let loader = try DataLoader(train, batchSize: batchSize, shuffle: try inv.bool("shuffle"), seed: rng.next(),
                                            dropLast: try inv.bool("drop_last"))
                let totalSteps = try inv.optionalInt("schedule_steps") ?? inv.optionalInt("max_steps") ?? Int((epochs * Double(loader.batchesPerEpoch)).rounded(.up))
                if try inv.string("lr_schedule") == "cosine", try inv.int("warmup_steps") > totalSteps {
                    throw ArgumentError(argument: "warmup_steps", "warmup_steps \(try inv.int("warmup_steps")) must be at most the steps the cosine schedule spans (\(totalSteps): schedule_steps, max_steps or epochs × batches)")
                }
                ws.rng = rng
                let lrSchedule = try inv.string("lr_schedule") == "cosine"
                    ? LearningRateSchedule(peak: lr, warmupSteps: try inv.int("warmup_steps"), totalSteps: totalSteps) : nil
                let trainer = NoisePredictionTrainer(model: model, schedule: schedule, lr: lr, weightDecay: Float(try inv.double("weight_decay")),
                                                     learningRate: lrSchedule, emaDecay: try inv.optionalDouble("ema").map(Float.init))
                trainer.labelDropout = try inv.optionalDouble("label_dropout").map(Float.init)
                ws.training = TrainingState(trainer: trainer, loader: loader, batchSize: batchSize, classConditional: conditional)
                if let running {
                    ctx.out.print("batch_size \(batchSize) differs from the running training's \(running.batchSize): a new optimiser, " +
                                  "loader and learning-rate schedule start from step 0 (the model keeps its weights)")
                }
            } else if resumedBatchSize == nil {
                // Continuing: the optimiser, loader and schedule are the running ones; settings for a new one are not applied.
                let ignored = TrainCommand.newTrainingArguments.filter { inv.isGiven($0) }
                if !ignored.isEmpty {
                    ctx.out.warn("continuing the training at step \(ws.training!.trainer.step): \(ignored.joined(separator: ", ")) " +
                                 "set\(ignored.count == 1 ? "s" : "") up a new training and \(ignored.count == 1 ? "is" : "are") not applied " +
                                 "(a new batch_size or `model create` starts one)\n")
                }
            }
            let trainer = ws.training!.trainer
            if let parallel = ws.dataParallel {
                // Every rank starts from rank 0's weights (and its EMA and Adam state, when they were read from
                // files that might differ between machines), and a Ctrl-C on any rank stops all after the same step.
                let state = model.parameters.tensors + (trainer.ema?.shadow ?? []) + trainer.optimizer.moments.flatMap { [$0.m, $0.v] }
                try parallel.broadcast(state, "the model's weights")
                parallel.localStopRequested = { ctx.interrupt.isRequested }
                trainer.dataParallel = parallel
            }
            if let scheduler = ws.scheduler { trainer.predictionType = scheduler.predictionType }
            if let gamma = try inv.optionalDouble("snr_gamma") {
                trainer.snrGamma = Float(gamma)
            }
            try run(ws, inv, ctx, epochs: epochs, checkpoint: checkpoint, lock: lock)
        }]
    }

    static let result = ResultSpec([
        ResultField("loss", .float, help: "the average loss of the last epoch this call finished; when none finished, of the current epoch's steps so far (the printed \"Average loss so far\"); none when no step ran"),
        ResultField("last_loss", .float, help: "the loss of the last step"),
        ResultField("epoch_losses", .list(.float), help: "the average loss of each epoch this call finished"),
        ResultField("steps", .int, help: "steps this call ran"),
        ResultField("step", .int, help: "the optimiser's step count after it (all calls)"),
        ResultField("epoch", .int, help: "the epoch the data loader is in after it"),
        Results.seconds,
        ResultField("allreduce_seconds", .float, help: "of `seconds`, the time spent summing gradients across ranks (under mpirun; 0 in one process)"),
    ])

    /// The arguments that configure a new optimiser, loader and schedule; a `train` that continues the running
    /// training says it does not apply them.
    static let newTrainingArguments = ["lr", "weight_decay", "lr_schedule", "warmup_steps", "schedule_steps", "ema", "shuffle", "drop_last",
                                       "class_conditional", "label_dropout"]

    /// Label dropout needs a class to drop to: the model's last class must be one no image carries.
    static func checkLabelDropout(model: UNet2DModel, labels: [UInt8], conditional: Bool) throws {
        guard conditional, let k = model.config.numClassEmbeds, k >= 2 else {
            throw ArgumentError(argument: "label_dropout", "label_dropout trains a class-conditional model to also draw without a class: create the model with num_class_embeds = the classes + 1 (11 for digits)")
        }
        if let top = labels.max(), Int(top) >= k - 1 {
            throw ArgumentError(argument: "label_dropout", "label_dropout uses the model's last class (\(k - 1)) for \"no class\", but the data has labels up to \(top): create the model with num_class_embeds=\(Int(top) + 2)")
        }
    }

    /// Refuses a batch size whose training step would not fit in memory: gradients and Adam's two moments (and the
    /// EMA copy) beside the weights, the threads' replicas (weights and gradients), every layer's activations kept
    /// for backward (UNet2DConfig.activationBytes, within ~2×) of the images a step holds at once
    /// (`NoisePredictionTrainer.footprint`: a micro-batch per thread), and the batch's images, noise and target.
    static func checkMemory(_ model: UNet2DModel, batchSize: Int, ema: Bool) throws {
        let side = Double(SampleCommands.size(model))
        let (inFlight, replicas) = NoisePredictionTrainer.footprint(batchSize: batchSize)
        let state = Double(model.parameters.count) * 4 * Double((ema ? 4 : 3) + 2 * replicas)
        let activations = Double(inFlight) * model.config.activationBytes(imageSize: SampleCommands.size(model), training: true)
        let images = Double(batchSize) * 4 * side * side * Double(model.config.inChannels) * 4
        try MemoryBudget.check(state + activations + images, for: "train batch_size=\(batchSize) of \(Int(side))×\(Int(side)) images",
                               advice: "use a smaller batch_size, or a model with a smaller sample_size")
    }

    static func run(_ ws: Workspace, _ inv: Invocation, _ ctx: CommandContext, epochs: Double, checkpoint: String?, lock: FolderLock?) throws {
        let training = try ws.requireTraining()
        let trainer = training.trainer
        let perEpoch = training.loader.batchesPerEpoch
        let planned = Int((epochs * Double(perEpoch)).rounded(.up))
        let maxSteps = try inv.optionalInt("max_steps")
        let steps = maxSteps.map { max(0, $0 - trainer.step) } ?? planned
        let every = try inv.int("checkpoint_every")
        let progress = try inv.bool("progress") ? ProgressReporter(label: "train", total: steps, plainLines: true, display: ws.progressDisplay) : nil
        // Continuing mid-epoch (a resume, or a second `train`): the epoch's earlier losses count too, summed in
        // the same order, so the printed average equals an uninterrupted run's (CheckpointSafetyTests).
        let earlier = training.loader.state.batch
        var epochSum = 0.0, epochCount = 0
        if earlier > 0, ws.losses.count >= earlier {
            for loss in ws.losses.suffix(earlier) { epochSum += loss }
            epochCount = earlier
        }
        let save: (String) throws -> Void = { path in
            try ws.saveCheckpoint(to: path, lock: lock)
            ctx.out.noteWritten(path)
        }
        defer { progress?.finish() }
        let start = ContinuousClock.now
        let communicationBefore = trainer.dataParallel?.communicationSeconds ?? 0
        var finishedEpochs: [Double] = []
        for done in 0..<steps {
            let batch = training.loader.next()
            let loss: Float
            do {
                loss = try trainer.trainStep(batch.images, labels: training.classConditional ? batch.labels : nil, rng: &ws.rng)
            } catch let error as TrainingError {
                throw TrainingFailure(message: error.description + (checkpoint.map { "; the last checkpoint in \($0) is kept" } ?? ""))
            }
            ws.losses.append(Double(loss))
            epochSum += Double(loss)
            epochCount += 1
            progress?.update(step: done + 1, loss: loss)
            if training.loader.state.batch == 0 {
                // An epoch ended: the tutorial's line, averaged over the epoch's batches.
                let epoch = training.loader.state.epoch - 1
                let average = epochSum / Double(epochCount)
                ws.epochLosses.append(average)
                finishedEpochs.append(average)
                progress?.clearLine()
                ctx.out.print("Finished epoch \(epoch). Average loss: \(String(format: "%.6f", average))")
                epochSum = 0
                epochCount = 0
            }
            if let checkpoint, every > 0, trainer.step % every == 0 { try save(checkpoint) }
            if trainer.dataParallel?.stopRequested == true, !ctx.interrupt.isRequested {
                // Another rank was interrupted: stop here too, after the same step.
                ctx.interrupt.request()
            }
            if ctx.interrupt.isRequested {
                if let checkpoint { try save(checkpoint) }
                progress?.clearLine()
                ctx.out.print("stopped at step \(trainer.step) (Ctrl-C); the model and losses are kept" +
                              (checkpoint.map { ", the state is in \($0): continue with `train resume=\($0)`" } ?? ": run `train` again to continue"))
                try ctx.checkInterrupt()
            }
        }
        if steps == 0 {
            ctx.out.print("already at step \(trainer.step), max_steps \(maxSteps ?? 0): nothing to train (raise max_steps to continue)")
        } else if training.loader.state.batch > 0 {
            // Mid-epoch only: a run that ended on an epoch boundary has said "Finished epoch" and nothing more.
            progress?.clearLine()
            ctx.out.print("stopped \(epochCount) batches into epoch \(training.loader.state.epoch). Average loss so far: \(String(format: "%.6f", epochSum / Double(epochCount)))")
        }
        if let checkpoint { try save(checkpoint) }
        let current = steps > 0 && epochCount > 0 ? epochSum / Double(epochCount) : nil
        ctx.setResult(["loss": (finishedEpochs.last ?? current).map(Value.float) ?? .none,
                       "last_loss": steps > 0 ? ws.losses.last.map(Value.float) ?? .none : .none,
                       "epoch_losses": .list(finishedEpochs.map(Value.float)), "steps": .int(steps), "step": .int(trainer.step),
                       "epoch": .int(training.loader.state.epoch), "seconds": .float(secondsSince(start)),
                       "allreduce_seconds": .float((trainer.dataParallel?.communicationSeconds ?? 0) - communicationBefore)])
    }
}

struct TrainingFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

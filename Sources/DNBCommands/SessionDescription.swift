import DNBSupport
import DNBEngine
import DNBDiffusion
import DNBData
import DNBLanguage

/// What `vars` shows of the workspace after the language's variables: one table of what the session holds
/// (model, scheduler, dataset, training state, figures, seed) and one of the kept tensors with their memory.
enum SessionDescription {
    static func tables(_ ws: Workspace) -> [Table] {
        var rows: [[String]] = []
        if let model = ws.model { rows.append(["model", describe(model)]) }
        if let scheduler = ws.scheduler { rows.append(["scheduler", describe(scheduler)]) }
        if let data = ws.data { rows.append(["dataset", describe(data)]) }
        if let training = ws.training { rows.append(["training", describe(training, ws)]) }
        if let last = ws.figureLog.last { rows.append(["figures", "\(ws.figureLog.count) written, the last \(last.path)"]) }
        if let seed = ws.seedLog.last { rows.append(["seed", "\(seed.seed) (\(seed.location))"]) }
        var tables: [Table] = []
        if !rows.isEmpty { tables.append(Table(headers: ["held", "what"], rows: rows, caption: "the session's workspace")) }
        if !ws.tensors.isEmpty { tables.append(tensorTable(ws.tensors)) }
        return tables
    }

    /// `UNet2DModel, 1,707,009 parameters (6.83 MB): sample_size 32, …`
    static func describe(_ model: UNet2DModel) -> String {
        let c = model.config
        let count = model.parameters.count
        var parts = ["sample_size \(c.sampleSize.map(String.init) ?? "none")", "channels \(c.inChannels) → \(c.outChannels)",
                     "block_out_channels \(describeShape(c.blockOutChannels))", "layers_per_block \(c.layersPerBlock)",
                     "down \(c.downBlockTypes.joined(separator: "/"))", "up \(c.upBlockTypes.joined(separator: "/"))"]
        if let classes = c.numClassEmbeds { parts.append("num_class_embeds \(classes)") }
        return "UNet2DModel, \(grouped(count)) parameters (\(MemoryBudget.format(Double(count) * 4)) float32): " + parts.joined(separator: ", ")
    }

    /// `dataset load`'s description on one line, and the labels kept when a selection dropped some:
    /// `…, values in [0, 1]; labels 3, 7`.
    static func describe(_ data: LoadedData) -> String {
        var text = DNBCommands.describe(data).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
        var present = [Bool](repeating: false, count: 256)
        for label in data.rawTrain.labels { present[Int(label)] = true }
        let labels = present.indices.filter { present[$0] }
        if labels != Array(0...9) { text += "; labels " + labels.map(String.init).joined(separator: ", ") }
        return text
    }

    /// `DDPMScheduler, T = 1000, β 0.0001 … 0.02, prediction_type epsilon, 50 inference timesteps (980 … 0)`
    static func describe(_ scheduler: DenoisingScheduler) -> String {
        let betas = scheduler.schedule.betas
        var text = "\(SchedulerKind(scheduler)?.className ?? "\(type(of: scheduler))"), T = \(scheduler.numTrainTimesteps)"
        if let first = betas.first, let last = betas.last { text += ", β \(first) … \(last)" }
        text += ", prediction_type \(scheduler.predictionType.rawValue)"
        if let ddim = scheduler as? DDIMScheduler { text += ", eta \(ddim.eta)" }
        let steps = scheduler.timesteps
        if let first = steps.first, let last = steps.last {
            text += ", \(steps.count) inference timestep\(steps.count == 1 ? "" : "s") (\(first) … \(last))"
        }
        return text
    }

    /// `step 500, epoch 0 batch 500 of 1,875, batch_size 32, lr 0.001, EMA 0.999; last loss 0.0512, last epoch average 0.0634`
    static func describe(_ training: TrainingState, _ ws: Workspace) -> String {
        let trainer = training.trainer, state = training.loader.state
        var text = "step \(trainer.step), epoch \(state.epoch) batch \(state.batch) of \(grouped(training.loader.batchesPerEpoch)), "
            + "batch_size \(training.batchSize), lr \(trainer.learningRate?.rate(at: trainer.step) ?? trainer.optimizer.lr)"
        if let ema = trainer.ema { text += ", EMA \(ema.decay)" }
        if training.classConditional { text += ", class-conditional" }
        if let loss = ws.losses.last { text += "; last loss " + String(format: "%.6f", loss) }
        if let epoch = ws.epochLosses.last { text += ", last epoch average " + String(format: "%.6f", epoch) }
        return text
    }

    static func tensorTable(_ tensors: [String: Tensor]) -> Table {
        let rows = tensors.sorted(by: { $0.key < $1.key }).map { name, tensor -> [String] in
            return [name, describeShape(tensor.shape), "float32", MemoryBudget.format(Double(tensor.count) * 4)]
        }
        return Table(headers: ["tensor", "shape", "dtype", "memory"], rows: rows, caption: "kept tensors (NHWC)")
    }
}

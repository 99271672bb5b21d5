import DNBSupport
import DNBEngine
import DNBDiffusion
import DNBPlot
import DNBLanguage

/// `sample`, `progression` and `refine`: generating digits from noise.
enum SampleCommands {
    static let common: [ArgumentSpec] = [
        ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/ (default: the command's name)"),
        ArgumentSpec("ema", .bool, default: .bool(true), help: "sample with the moving average of the weights when training kept one"),
        ArgumentSpec("guidance", .float, default: Value.none, bounds: [.atLeast(0), .atMost(100)], help: "classifier-free guidance scale w (diffusers' guidance_scale; 1: the conditional model alone): steps with ε_uncond + w·(ε_cond − ε_uncond), the model's last class being \"no class\" (train with label_dropout); twice the model evaluations"),
    ]

    static func specs(_ ws: Workspace) -> [CommandSpec] {
        let needsModel: PrerequisiteCheck = { _ = try ws.requireModel(); _ = try ws.requireScheduler() }
        return [
            CommandSpec("sample", summary: "Generate images from pure noise with the scheduler", help: """
                Starts from Gaussian noise and runs the scheduler's reverse process for `steps` steps. One image \
                is shown beside its starting noise (the tutorial's figure); several are shown as a grid and kept \
                as the tensor `samples`. A class-conditional model draws the digits in `classes` (default: 0–9 in turn).
                """, arguments: [
                    ArgumentSpec("n", .int, default: .int(1), bounds: [.atLeast(1)], help: "how many images"),
                    ArgumentSpec("steps", .int, default: .int(50), bounds: [.atLeast(1)], help: "inference steps (at most num_train_timesteps)"),
                    ArgumentSpec("classes", .list(.int), default: Value.none, bounds: [.atLeast(0)], help: "class label per image, below num_class_embeds (class-conditional models)"),
                    ArgumentSpec("columns", .int, default: .int(8), bounds: [.atLeast(1)], help: "images per row of the grid"),
                ] + common, result: sampleResult, prerequisite: needsModel) { inv, ctx in
                let model = try ws.requireModel(), scheduler = try ws.requireScheduler()
                let started = ContinuousClock.now
                let n = try inv.int("n"), steps = try inv.int("steps")
                try checkMemory(model, images: n, keptPerImage: 3, "sample n=\(n)")
                let labels = try classLabels(inv, model: model, count: n, ws)
                let guidance = try guidanceScale(inv, model: model)
                let start = ws.rng.normalTensor([n, size(model), size(model), model.config.inChannels])
                let progress = ProgressReporter(label: "sample", total: steps, display: ws.progressDisplay)
                defer { progress.finish() }
                let result = try withSamplingWeights(ws, inv) {
                    try denoiseLoop(model: model, scheduler: scheduler, start: start, steps: steps, classLabels: labels, guidance: guidance,
                                    rng: &ws.rng, dataParallel: ws.dataParallel) { i, _, _ in
                        progress.update(step: i + 1)
                        try ctx.checkInterrupt()
                    }
                }
                progress.finish()
                ws.tensors["samples"] = result
                ws.tensorClasses["samples"] = labels
                ctx.setResult(Results.kept("samples", result).merging(Results.statistics(result)) { $1 })
                ctx.setResult(["n": .int(n), "steps": .int(steps), "seconds": .float(secondsSince(started))])
                let display = ws.displayRange
                if n == 1 {
                    let figure = try DNBPlot.Figure.sideBySide(grayImages(start) + grayImages(result), titles: ["Noisy Image", "Model Prediction (Denoised)"],
                                                   figsize: (8, 4))
                    try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "sample",
                                caption: "Pure noise (left) and the image \(steps) \(ws.schedulerName) steps make of it (right)", inv, ctx)
                } else {
                    let columns = min(n, try inv.int("columns"))
                    let images = try grayImages(result)
                    let rows = stride(from: 0, to: n, by: columns).map { Array(images[$0..<min(n, $0 + columns)]) }
                    let titles = labels.map { l in stride(from: 0, to: n, by: columns).map { r in (r..<min(n, r + columns)).map { "class \(l[$0])" } } }
                    let figure = DNBPlot.Figure.imageGrid(rows, titles: titles, vmin: display.vmin, vmax: display.vmax)
                    try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "samples",
                                caption: "\(n) images generated from pure noise in \(steps) \(ws.schedulerName) steps", inv, ctx)
                }
                ctx.out.print("generated \(n) image\(n == 1 ? "" : "s") in \(steps) steps; values in [\(result.scalars.min()!), \(result.scalars.max()!)]")
            },
            CommandSpec("progression", summary: "Snapshots of one generation, from noise to image", help: """
                Generates one image and shows `snapshots` of the steps evenly spaced from the starting noise to \
                the result (numpy.linspace indices, as the tutorial), titled by step, `rows` to a figure.
                """, arguments: [
                    ArgumentSpec("steps", .int, default: .int(50), bounds: [.atLeast(1)], help: "inference steps (at most num_train_timesteps)"),
                    ArgumentSpec("snapshots", .int, default: .int(15), bounds: [.atLeast(1)], help: "how many states to show (at most steps + 1)"),
                    ArgumentSpec("rows", .int, default: .int(3), bounds: [.atLeast(1)], help: "rows of the figure (at most snapshots)"),
                    ArgumentSpec("class", .int, default: Value.none, bounds: [.atLeast(0)], help: "class label, below num_class_embeds (class-conditional models)"),
                ] + common, result: ResultSpec([Results.tensor, Results.shape, Results.figure]), prerequisite: needsModel) { inv, ctx in
                let model = try ws.requireModel(), scheduler = try ws.requireScheduler()
                let steps = try inv.int("steps"), count = try inv.int("snapshots"), rows = try inv.int("rows")
                guard count <= steps + 1 else {
                    throw ArgumentError(argument: "snapshots", "snapshots \(count) must be at most steps + 1 (\(steps + 1) states: the noise and one per step)")
                }
                guard rows <= count else { throw ArgumentError(argument: "rows", "rows \(rows) must be at most snapshots (\(count))") }
                let labels = try inv.optionalInt("class").map { [$0] } ?? (model.config.numClassEmbeds != nil ? [0] : nil)
                if let label = labels?.first { try checkClass(label, model: model, argument: "class") }
                let guidance = try guidanceScale(inv, model: model)
                if let label = labels?.first, guidance != nil { try checkGuidedClass(label, model: model, argument: "class") }
                // Every state is kept for the figure: steps + 1 images besides one forward pass.
                try checkMemory(model, images: 1, keptPerImage: Double(steps) + 3, "progression steps=\(steps)")
                let start = ws.rng.normalTensor([1, size(model), size(model), model.config.inChannels])
                var history = [start]
                let progress = ProgressReporter(label: "progression", total: steps, display: ws.progressDisplay)
                defer { progress.finish() }
                _ = try withSamplingWeights(ws, inv) {
                    try denoiseLoop(model: model, scheduler: scheduler, start: start, steps: steps, classLabels: labels, guidance: guidance,
                                    rng: &ws.rng, dataParallel: ws.dataParallel) { i, _, x in
                        history.append(x)
                        progress.update(step: i + 1)
                        try ctx.checkInterrupt()
                    }
                }
                progress.finish()
                let picks = (0..<count).map { count == 1 ? 0 : Int(Double($0) * Double(history.count - 1) / Double(count - 1)) }
                let cols = (count + rows - 1) / rows
                let images = try picks.map { try grayImages(history[$0])[0] }
                let grid = (0..<rows).map { r in Array(images[min(images.count, r * cols)..<min(images.count, (r + 1) * cols)]) }
                let titles = (0..<rows).map { r in (r * cols..<min(count, (r + 1) * cols)).map { "Step \(picks[$0])" } }
                try ws.emit(DNBPlot.Figure.imageGrid(grid.filter { !$0.isEmpty }, titles: titles), name: try inv.optionalString("figure"),
                            defaultName: "progression", caption: "\(count) of the \(steps + 1) states of a \(steps)-step generation", inv, ctx)
                ws.tensors["progression"] = history.last
                if let last = history.last { ctx.setResult(Results.kept("progression", last)) }
            },
            CommandSpec("refine", summary: "The tutorial's iterative refinement from pure noise", help: """
                Repeats: run the whole reverse process on the current prediction, then move x a fraction \
                1/(iterations − i) of the way towards it. Mirrors the tutorial's cell exactly, including its \
                quirks: the start is uniform noise (torch.rand) unless noise=gaussian, and the prediction carries \
                over between iterations. Shows x and the prediction side by side, one row per iteration.
                """, arguments: [
                    ArgumentSpec("n", .int, default: .int(8), bounds: [.atLeast(1)], help: "images per row"),
                    ArgumentSpec("iterations", .int, default: .int(5), bounds: [.atLeast(1)], help: "refinement iterations (the tutorial's n_steps)"),
                    ArgumentSpec("inference_steps", .int, default: Value.none, bounds: [.atLeast(1)], help: "scheduler steps per iteration (default: the scheduler's current timesteps, as the tutorial)"),
                    ArgumentSpec("noise", .string, default: .string("uniform"), allowed: [.string("uniform"), .string("gaussian")], help: "the starting noise"),
                ] + common, result: ResultSpec([Results.tensor, Results.shape, Results.figure]), prerequisite: needsModel) { inv, ctx in
                let model = try ws.requireModel(), scheduler = try ws.requireScheduler()
                let n = try inv.int("n"), iterations = try inv.int("iterations")
                // x, the prediction and every iteration's pair are kept for the figure.
                try checkMemory(model, images: n, keptPerImage: 2 * Double(iterations) + 4, "refine n=\(n)")
                let steps = try inv.optionalInt("inference_steps") ?? scheduler.timesteps.count
                let shape = [n, size(model), size(model), model.config.inChannels]
                var x = try inv.string("noise") == "gaussian" ? ws.rng.normalTensor(shape) : ws.rng.uniformTensor(shape)
                let guidance = try guidanceScale(inv, model: model)
                let labels = model.config.numClassEmbeds.map { _ in (0..<n).map { $0 % drawableClasses(model, ws, guided: guidance != nil) } }
                var inputs = [x], predictions: [Tensor] = []
                var prediction = x.copy()
                let progress = ProgressReporter(label: "refine", total: iterations * steps, display: ws.progressDisplay)
                defer { progress.finish() }
                try withSamplingWeights(ws, inv) {
                    for i in 0..<iterations {
                        prediction = try denoiseLoop(model: model, scheduler: scheduler, start: prediction, steps: steps, classLabels: labels, guidance: guidance,
                                                     rng: &ws.rng, dataParallel: ws.dataParallel) { k, _, _ in
                            progress.update(step: i * steps + k + 1)
                            try ctx.checkInterrupt()
                        }
                        predictions.append(prediction)
                        let mix = 1 / Float(iterations - i)
                        let next = Tensor(uninitialized: x.shape)
                        for j in 0..<x.count { next.data[j] = x.data[j] * (1 - mix) + prediction.data[j] * mix }
                        x = next
                        inputs.append(x)
                    }
                }
                progress.finish()
                let figure = try DNBPlot.Figure(rows: iterations, cols: 2, figsize: (9, 4))
                try figure.axes(0, 0).title = "x (model input)"
                try figure.axes(0, 1).title = "model prediction"
                for i in 0..<iterations {
                    try figure.axes(i, 0).imshow(gridImage(inputs[i]), cmap: .greys)
                    try figure.axes(i, 1).imshow(gridImage(predictions[i]), cmap: .greys)
                }
                try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "refine",
                            caption: "Iterative refinement: the input x (left) and the model's prediction (right) at each of \(iterations) iterations", inv, ctx)
                ws.tensors["refined"] = x
                ctx.setResult(Results.kept("refined", x))
            },
        ]
    }

    static let sampleResult = ResultSpec([
        ResultField("n", .int, help: "how many images"),
        ResultField("steps", .int, help: "inference steps"),
        Results.tensor, Results.shape,
    ] + Results.statistics + [Results.figure, Results.seconds])

    /// Refuses generating `n` images that would not fit in memory: the activations of one forward pass of a chunk
    /// (`UNet2DModel.inferenceChunkRows` images at most; UNet2DConfig.activationBytes, within ~2×) plus, per image,
    /// the model's input and output and `keptPerImage` images kept (start, result, history).
    static func checkMemory(_ model: UNet2DModel, images n: Int, keptPerImage: Double, _ what: String) throws {
        let side = Double(size(model)), image = side * side * Double(model.config.inChannels) * 4
        let chunk = Double(min(n, UNet2DModel.inferenceChunkRows))
        let bytes = chunk * model.config.activationBytes(imageSize: size(model), training: false) + Double(n) * (keptPerImage + 2) * image
        try MemoryBudget.check(bytes, for: "\(what) of \(size(model))×\(size(model)) images", advice: "use a smaller n, or a model with a smaller sample_size")
    }

    /// A class label the model can embed, named with num_class_embeds.
    static func checkClass(_ label: Int, model: UNet2DModel, argument: String) throws {
        guard let k = model.config.numClassEmbeds else {
            throw ArgumentError(argument: argument, "this model is unconditional (no num_class_embeds): leave \(argument) out")
        }
        guard label < k else { throw ArgumentError(argument: argument, "class \(label) must be below num_class_embeds (\(k)): labels are 0…\(k - 1)") }
    }

    static func size(_ model: UNet2DModel) -> Int { model.config.sampleSize ?? 32 }

    /// The classes a sampling command draws in turn by default: all of them, except the last when it means
    /// "no class" (guided sampling, or a model trained with label_dropout in this session).
    static func drawableClasses(_ model: UNet2DModel, _ ws: Workspace, guided: Bool) -> Int {
        let k = model.config.numClassEmbeds ?? 1
        let unconditional = guided || (ws.training.map { $0.trainer.model === model && ($0.trainer.labelDropout ?? 0) > 0 } ?? false)
        return unconditional ? max(1, k - 1) : k
    }

    /// `guidance=`, checked against the model: it needs a class-conditional model whose last class is "no class".
    static func guidanceScale(_ inv: Invocation, model: UNet2DModel) throws -> Float? {
        guard let w = try inv.optionalDouble("guidance") else { return nil }
        guard let k = model.config.numClassEmbeds, k >= 2 else {
            throw ArgumentError(argument: "guidance", "guidance needs a class-conditional model trained with label_dropout (its last class means \"no class\"): this model has no num_class_embeds")
        }
        return Float(w)
    }

    /// A class to guide towards: not the last, which is "no class" under guidance.
    static func checkGuidedClass(_ label: Int, model: UNet2DModel, argument: String) throws {
        if let k = model.config.numClassEmbeds, label == k - 1 {
            throw ArgumentError(argument: argument, "class \(label) is the unconditional class under guidance (the model's last); guide towards 0…\(k - 2), or sample it without guidance")
        }
    }

    static func classLabels(_ inv: Invocation, model: UNet2DModel, count: Int, _ ws: Workspace) throws -> [Int]? {
        guard model.config.numClassEmbeds != nil else {
            if inv.isGiven("classes") { throw ArgumentError(argument: "classes", "this model is unconditional (no num_class_embeds): leave classes out") }
            return nil
        }
        let guided = try inv.optionalDouble("guidance") != nil
        guard inv.isGiven("classes") else {
            let k = drawableClasses(model, ws, guided: guided)
            return (0..<count).map { $0 % k }
        }
        let given = try inv.intList("classes")
        for label in given {
            try checkClass(label, model: model, argument: "classes")
            if guided { try checkGuidedClass(label, model: model, argument: "classes") }
        }
        guard !given.isEmpty else { throw ArgumentError(argument: "classes", "classes is empty") }
        return (0..<count).map { given[$0 % given.count] }
    }

    /// Runs `body` with the EMA weights in place when training kept them and `ema=true`.
    static func withSamplingWeights<T>(_ ws: Workspace, _ inv: Invocation, _ body: () throws -> T) throws -> T {
        if try inv.bool("ema"), let ema = ws.training?.trainer.ema { return try ema.withAveragedWeights(body) }
        return try body()
    }
}

extension Workspace {
    var schedulerName: String { scheduler.flatMap(SchedulerKind.init)?.shortName ?? "DDPM" }

    /// Fixed [-1, 1] colour limits for data kept in [-1, 1]; matplotlib's autoscale otherwise, as the tutorial.
    var displayRange: (vmin: Double?, vmax: Double?) {
        data?.preprocessing.range == .minusOneToOne ? (-1, 1) : (nil, nil)
    }
}

import Foundation
import DNBSupport
import DNBEngine
import DNBClassifier
import DNBEvaluation
import DNBLanguage

/// `evaluate` (numbers for a batch of samples, from dnb's own classifier) and `evaluations` (the session's so far).
enum EvaluateCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("evaluate", summary: "Judge generated images with dnb's classifier: confidence, classes, FD, precision/recall", help: """
            Classifies a kept batch (or an .npy / .safetensors file of NCHW images) with dnb's own classifier of the \
            loaded dataset (trained on first use, about 3 minutes, then cached) and reports: the share of confident \
            samples (max softmax ≥ 0.9) and the mean confidence; the class histogram and its normalised entropy; the \
            Fréchet distance (fd) between the classifier's features of the samples and of the test set, beside the \
            floor fd_floor (n test images against the rest); precision and recall (k-nearest neighbours); for \
            class-conditional samples, the share classified as the requested class. Figures: the histogram and the \
            16 least confident samples. docs/evaluation.md explains each figure.
            """, arguments: [
                ArgumentSpec("name", .string, default: .string("samples"), help: "the kept batch to evaluate"),
                ArgumentSpec("path", .path, default: Value.none, help: "evaluate this .npy or .safetensors file of NCHW images instead"),
                ArgumentSpec("range", .string, default: Value.none, allowed: [.string("unit"), .string("symmetric")],
                             help: "the images' value range: unit [0, 1] or symmetric [-1, 1] (default: the dataset's)"),
                ArgumentSpec("classes", .list(.int), default: Value.none, bounds: [.atLeast(0)], help: "the class asked for per image, cycled (default: what `sample` asked for)"),
                ArgumentSpec("label", .string, default: Value.none, help: "the row's name in `evaluations` (default: the batch or file name)"),
                ArgumentSpec("json", .path, default: Value.none, help: "also write the figures to this JSON file"),
                ArgumentSpec("k", .int, default: .int(3), bounds: [.atLeast(1), .atMost(50)], help: "neighbours for precision and recall"),
                ArgumentSpec("figure", .string, default: .string("evaluate"), help: "name prefix of the two PNGs under figures/"),
            ], result: resultSpec, prerequisite: { _ = try ws.requireData() }) { inv, ctx in
                try run(inv, ctx, ws)
            },
         CommandSpec("evaluations", summary: "A table of every `evaluate` of the session, and a plot of one figure", arguments: [
                ArgumentSpec("metric", .string, default: Value.none, allowed: tableColumns.map { .string($0) },
                             help: "also plot this figure against the evaluations (x: the number in the labels when they differ only in it, as \"DDIM N steps\"; else their order)"),
                ArgumentSpec("figure", .string, default: .string("evaluations"), help: "name of the plot's PNG under figures/"),
            ]) { inv, ctx in
                try tabulate(inv, ctx, ws)
            },
        ]
    }

    static func run(_ inv: Invocation, _ ctx: CommandContext, _ ws: Workspace) throws {
        let (raw, source, sampled) = try samples(inv, ctx, ws)
        let images = try unitRange(raw, source: source, symmetric: try isSymmetric(inv, ws))
        let classifier = try ws.classifierForEvaluation(imageSize: images.shape[1], ctx)
        let model = classifier.trained.model
        var (features, probabilities): ([Float], [Float])
        if let parallel = ws.dataParallel, parallel.group.size > 1 {
            // Under mpirun each rank classifies its share of the images; the figures are computed from all of them.
            (features, probabilities) = try model.classify(parallel.shard(images).rows)
            features = try parallel.gatherRows(features, width: DigitClassifier.featureDimension, count: images.shape[0], "the samples' features")
            probabilities = try parallel.gatherRows(probabilities, width: model.recipe.classes, count: images.shape[0], "the samples' class probabilities")
        } else {
            (features, probabilities) = try model.classify(images)
        }
        let requested = try requestedClasses(inv, sampled, count: images.shape[0], classes: model.recipe.classes)
        let evaluation = try SampleEvaluation(
            probabilities: probabilities, classes: model.recipe.classes,
            features: FeatureMatrix(rows: images.shape[0], columns: DigitClassifier.featureDimension, values: features.map(Double.init)),
            reference: classifier.testFeatures, referenceStatistics: classifier.testStatistics, requested: requested, k: try inv.int("k"))
        for warning in evaluation.warnings { ctx.out.warn("warning: \(warning)\n") }
        let label = try inv.optionalString("label") ?? source
        ctx.out.table(figureTable(evaluation.result, caption: "evaluate \(label): \(images.shape[0]) images, classifier \(String(format: "%.2f", 100 * classifier.trained.testAccuracy)) % accurate"))
        ctx.out.print("class histogram: \(evaluation.result.histogram.map(String.init).joined(separator: " "))")
        let prefix = try inv.string("figure")
        try ws.emit(try EvaluationFigures.histogram(evaluation.result.histogram, entropy: evaluation.result.normalisedEntropy, title: "Classes of \(label)"),
                    name: prefix + "-classes", defaultName: "evaluate-classes", caption: "Predicted classes of \(label)", inv, ctx)
        try ws.emit(try EvaluationFigures.leastConfident(images, evaluation.summary), name: prefix + "-least-confident",
                    defaultName: "evaluate-least-confident", caption: "The least confident samples of \(label), titled class: confidence", inv, ctx)
        if let json = try inv.optionalString("json") {
            let path = outputPath(json, ctx)
            try AtomicFile.write(Array(try evaluation.result.json()) + [10], to: path)
            ctx.out.noteWritten(path)
            ctx.out.print("wrote the figures to \(path)")
        }
        ws.evaluations.append((label, evaluation.result))
        ctx.setResult(result(evaluation.result, label: label))
    }

    /// `let r = evaluate …`: the figures by their table names ($r.fd, $r.confident), the histogram and the label;
    /// a figure that does not apply (class_accuracy of unconditional samples, fd of one image) is none.
    static let resultSpec = ResultSpec([
        ResultField("label", .string, help: "the evaluation's name in `evaluations`"),
        ResultField("n", .int, help: "how many images were judged"),
        ResultField("confident", .float, help: "the share classified with probability ≥ 0.9"),
        ResultField("mean_confidence", .float, help: "the mean largest softmax probability"),
        ResultField("entropy", .float, help: "the predicted-class histogram's entropy over log(classes)"),
        ResultField("fd", .float, help: "Fréchet distance of the features to the test set's"),
        ResultField("fd_floor", .float, help: "the same for n real test images against the rest"),
        ResultField("precision", .float, help: "share of samples inside the real features' k-NN manifold"),
        ResultField("recall", .float, help: "share of real images inside the samples' k-NN manifold"),
        ResultField("class_accuracy", .float, help: "share classified as the requested class (class-conditional samples)"),
        ResultField("histogram", .list(.int), help: "images per predicted class"),
    ])

    static func result(_ r: EvaluationResult, label: String) -> [String: Value] {
        var fields: [String: Value] = ["label": .string(label), "histogram": .list(r.histogram.map { .int($0) })]
        for (name, value) in r.figures {
            switch value {
            case .int(let i): fields[name] = .int(i)
            case .double(let d): fields[name] = d.isFinite ? .float(d) : .none
            }
        }
        return fields
    }

    /// The images to judge, where they came from, and the classes `sample` asked for (kept batches only).
    static func samples(_ inv: Invocation, _ ctx: CommandContext, _ ws: Workspace) throws -> (Tensor, String, [Int]?) {
        if let path = try inv.optionalString("path") {
            let file = try inputPath(path, ctx)
            ctx.out.noteRead(file)
            return (try SaveLoadCommands.readImages(file), URL(fileURLWithPath: file).lastPathComponent, nil)
        }
        let name = try inv.string("name")
        guard let t = ws.tensors[name] else { throw MissingPrerequisite(SaveLoadCommands.keptMessage(ws, name)) }
        return (t, name, ws.tensorClasses[name])
    }

    static func isSymmetric(_ inv: Invocation, _ ws: Workspace) throws -> Bool {
        if let range = try inv.optionalString("range") { return range == "symmetric" }
        return try ws.requireData().preprocessing.range == .minusOneToOne
    }

    /// The images mapped to [0, 1] (the classifier's range) and clipped there, after checking that they
    /// are a batch of square one-channel images of a size the classifier takes, with no NaN or infinity.
    static func unitRange(_ x: Tensor, source: String, symmetric: Bool) throws -> Tensor {
        guard x.rank == 4, x.shape[0] >= 1 else {
            throw ArgumentError(argument: "name", "'\(source)' has shape \(x.shape); evaluate takes a batch of images [N, H, W, 1] (NCHW [N, 1, H, W] in files)")
        }
        let (h, w, c) = (x.shape[1], x.shape[2], x.shape[3])
        guard c == 1 else { throw ArgumentError(argument: "name", "'\(source)' has \(c) channels; the classifier takes one-channel (grey) images") }
        guard h == w, ClassifierRecipe.imageSizes.contains(h) else {
            throw ArgumentError(argument: "name", "'\(source)' holds \(h)×\(w) images; the classifier takes square images of \(ClassifierRecipe.imageSizes.lowerBound) to \(ClassifierRecipe.imageSizes.upperBound) pixels")
        }
        let bad = x.buffer.filter { !$0.isFinite }.count
        guard bad == 0 else {
            throw ArgumentError(argument: "name", "'\(source)' holds \(bad) NaN or infinite value\(bad == 1 ? "" : "s"); nothing to judge there (did training diverge?)")
        }
        let out = Tensor(uninitialized: x.shape)
        for i in 0..<x.count { out.data[i] = min(max(symmetric ? (x.data[i] + 1) / 2 : x.data[i], 0), 1) }
        return out
    }

    static func requestedClasses(_ inv: Invocation, _ sampled: [Int]?, count: Int, classes: Int) throws -> [Int]? {
        guard inv.isGiven("classes") else { return sampled?.count == count ? sampled : nil }
        let given = try inv.intList("classes")
        guard !given.isEmpty else { throw ArgumentError(argument: "classes", "classes is empty") }
        if let bad = given.first(where: { $0 >= classes }) {
            throw ArgumentError(argument: "classes", "class \(bad) is not one of the classifier's \(classes) classes (0…\(classes - 1))")
        }
        return (0..<count).map { given[$0 % given.count] }
    }

    static let tableColumns = ["n", "confident", "mean_confidence", "entropy", "fd", "fd_floor", "precision", "recall", "class_accuracy"]

    static func text(_ value: EvaluationResult.Figure) -> String {
        switch value {
        case .int(let i): return String(i)
        case .double(let d): return String(format: "%.4f", d)
        }
    }

    static func figureTable(_ r: EvaluationResult, caption: String) -> Table {
        Table(headers: ["figure", "value"], rows: r.figures.map { [$0.name, text($0.value)] }, caption: caption)
    }

    static func tabulate(_ inv: Invocation, _ ctx: CommandContext, _ ws: Workspace) throws {
        guard !ws.evaluations.isEmpty else { throw MissingPrerequisite("no evaluations yet: run `evaluate` first") }
        let rows = ws.evaluations.map { e in
            [e.label] + tableColumns.map { column in e.result.figures.first { $0.name == column }.map { text($0.value) } ?? "—" }
        }
        ctx.out.table(Table(headers: ["label"] + tableColumns, rows: rows))
        guard let metric = try inv.optionalString("metric") else { return }
        try ws.emit(try EvaluationFigures.metric(metric, ws.evaluations), name: try inv.string("figure"), defaultName: "evaluations",
                    caption: "\(metric) of each evaluation", inv, ctx)
    }
}

extension Workspace {
    /// The classifier `evaluate` uses for images of `imageSize`: the session's or the cached one, else the
    /// default recipe trained now (saying so).
    func classifierForEvaluation(imageSize: Int, _ ctx: CommandContext) throws -> SessionClassifier {
        if let c = try existingClassifier(imageSize: imageSize) { return c }
        ctx.out.print("evaluate needs dnb's classifier of \(try requireData().name) at \(imageSize)×\(imageSize); training it now (first use only)")
        return try classifier(recipe: ClassifierRecipe.standard(dataset: try requireData().name, imageSize: imageSize), ctx)
    }
}

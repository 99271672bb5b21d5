import Foundation
import DNBSupport
import DNBEngine
import DNBData
import DNBDiffusion
import DNBClassifier
import DNBEvaluation
import DNBLanguage

/// A trained classifier as a session uses it: the model, where it is cached, and the test set's
/// features and their statistics, computed once when it is loaded or trained.
final class SessionClassifier {
    let trained: TrainedClassifier
    let path: String
    let testFeatures: FeatureMatrix
    let testStatistics: FeatureStatistics

    init(_ trained: TrainedClassifier, path: String) throws {
        self.trained = trained
        self.path = path
        testFeatures = try FeatureMatrix(rows: trained.testCount, columns: DigitClassifier.featureDimension,
                                         values: trained.testFeatures.map(Double.init))
        testStatistics = try FeatureStatistics(testFeatures)
    }
}

/// `classifier train | show`: dnb's own classifier of the loaded dataset, which `evaluate` scores samples with.
enum ClassifierCommand {
    static let recipeArguments: [ArgumentSpec] = [
        ArgumentSpec("image_size", .int, default: Value.none, bounds: [.atLeast(8), .atMost(128)], help: "the images' side (default: the dataset's prepared size, as the samples)"),
        ArgumentSpec("epochs", .int, default: Value.none, bounds: [.atLeast(1), .atMost(100)], help: "passes over the training images (default: 3, Fashion-MNIST 5)"),
        ArgumentSpec("batch_size", .int, default: .int(128), bounds: [.atLeast(1), .atMost(4096)], help: "images per Adam step"),
        ArgumentSpec("lr", .float, default: .float(3e-3), bounds: [.above(0), .atMost(1)], help: "peak learning rate (one-cycle: warm-up over 10 % of the steps, then cosine to zero)"),
        ArgumentSpec("seed", .int, default: .int(0), bounds: [.atLeast(0), .atMost(Double(Int.max))], help: "seed of the weights and the shuffling"),
        ArgumentSpec("limit", .int, default: Value.none, bounds: [.atLeast(1)], help: "train on the first `limit` training images only (quick experiments)"),
    ]

    static func specs(_ ws: Workspace) -> [CommandSpec] {
        let needsData: PrerequisiteCheck = { _ = try ws.requireData() }
        return [CommandSpec("classifier", summary: "dnb's own classifier, which `evaluate` judges samples with", help: """
            A small CNN (three 3×3 convolutions with max pooling, a 128-unit feature layer) trained on the loaded \
            dataset with dnb's engine, once per dataset and recipe: it is kept in the cache folder \
            ($XDG_CACHE_HOME/dnb/classifiers, or ~/.cache/dnb/classifiers) and reused from there.
            """, verbs: [
            CommandSpec("train", summary: "Train the classifier of the loaded dataset (or reuse the cached one)", help: """
                Trains on the dataset's training images at `image_size` in [0, 1] and measures its accuracy on the \
                test images. A classifier of the same data and recipe already in the cache is reused unless `force`.
                """, arguments: recipeArguments + [
                    ArgumentSpec("force", .bool, default: .bool(false), help: "train again even when the cache holds this classifier"),
                ], result: resultSpec, prerequisite: needsData) { inv, ctx in
                let recipe = try Self.recipe(inv, ws)
                let c = try ws.classifier(recipe: recipe, force: try inv.bool("force"), ctx)
                ctx.out.table(describe(c, ws))
                ctx.setResult(result(c))
            },
            CommandSpec("show", summary: "The classifier evaluate would use: recipe, accuracy, where it is cached", arguments: [
                ArgumentSpec("image_size", .int, default: Value.none, bounds: [.atLeast(8), .atMost(128)], help: "the images' side (default: the dataset's prepared size)"),
            ], result: resultSpec, prerequisite: needsData) { inv, ctx in
                let size = try inv.optionalInt("image_size") ?? ws.requireData().preprocessing.height
                guard let c = try ws.existingClassifier(imageSize: size) else {
                    ctx.out.print("no classifier of \(try ws.requireData().name) at \(size)×\(size) yet: `classifier train` (or the first `evaluate`) trains one, about 3 minutes on two cores, and caches it in \(ws.classifierCache.directory)")
                    return
                }
                ctx.out.table(describe(c, ws))
                ctx.setResult(result(c))
            },
        ])]
    }

    /// `let c = classifier train …` (or `show`; all none when there is no classifier yet).
    static let resultSpec = ResultSpec([
        ResultField("accuracy", .float, help: "the share of test images classified right"),
        ResultField("parameters", .int, help: "the number of parameters"),
        ResultField("seconds", .float, help: "how long its training took (when it was trained)"),
        ResultField("file", .string, help: "where it is cached"),
    ])

    static func result(_ c: SessionClassifier) -> [String: Value] {
        let t = c.trained
        return ["accuracy": .float(t.testAccuracy), "parameters": .int(t.model.parameters.count),
                "seconds": t.trainingSeconds.isFinite ? .float(t.trainingSeconds) : .none, "file": .string(c.path)]
    }

    static func recipe(_ inv: Invocation, _ ws: Workspace) throws -> ClassifierRecipe {
        let data = try ws.requireData()
        let size = try inv.optionalInt("image_size") ?? data.preprocessing.height
        let epochs = try inv.optionalInt("epochs") ?? ClassifierRecipe.standard(dataset: data.name, imageSize: size).epochs
        return ClassifierRecipe(imageSize: size, epochs: epochs, batchSize: try inv.int("batch_size"),
                                lr: try inv.double("lr"), seed: UInt64(try inv.int("seed")), trainLimit: try inv.optionalInt("limit"))
    }

    static func describe(_ c: SessionClassifier, _ ws: Workspace) -> Table {
        let t = c.trained
        return Table(headers: ["classifier", ""], rows: [
            ["dataset", t.datasetName],
            ["recipe", t.model.recipe.summary],
            ["parameters", grouped(t.model.parameters.count)],
            ["test accuracy", String(format: "%.2f %% of %d test images", 100 * t.testAccuracy, t.testCount)],
            ["training time", t.trainingSeconds.isFinite ? String(format: "%.0f s", t.trainingSeconds) : "unknown"],
            ["file", c.path],
        ])
    }
}

extension Workspace {
    /// Which classifier slot a dataset and image size use: the dataset's contents and resize method
    /// (a classifier is trained on images prepared as the samples' data was).
    func classifierSlot(imageSize: Int) throws -> String { "\(try classifierDatasetKey())@\(imageSize)" }

    func classifierDatasetKey() throws -> String {
        let data = try requireData()
        return ClassifierCache.datasetKey(train: data.rawTrain, test: data.rawTest) + "-" + data.preprocessing.resize.rawValue
    }

    /// The classifier this session uses for the dataset at `imageSize`: the recipe `classifier train` last
    /// chose, else the dataset's standard one, from this session's memo or the cache; nil when there is none.
    func existingClassifier(imageSize: Int) throws -> SessionClassifier? {
        let data = try requireData(), key = try classifierDatasetKey()
        let recipe = classifierRecipes[try classifierSlot(imageSize: imageSize)] ?? ClassifierRecipe.standard(dataset: data.name, imageSize: imageSize)
        if let c = classifiers[classifierCache.path(datasetName: data.name, datasetKey: key, recipe: recipe)] { return c }
        guard let trained = try classifierCache.load(datasetName: data.name, datasetKey: key, recipe: recipe) else { return nil }
        return try remember(trained, recipe: recipe)
    }

    /// The classifier of `recipe`: from this session, else the cache, else trained now (and cached).
    func classifier(recipe: ClassifierRecipe, force: Bool = false, _ ctx: CommandContext) throws -> SessionClassifier {
        let data = try requireData(), key = try classifierDatasetKey()
        let path = classifierCache.path(datasetName: data.name, datasetKey: key, recipe: recipe)
        if !force, let c = classifiers[path] { return c }
        if !force, let trained = try classifierCache.load(datasetName: data.name, datasetKey: key, recipe: recipe) {
            return try remember(trained, recipe: recipe)
        }
        try recipe.validate()
        try checkClassifierMemory(recipe, train: data.rawTrain.count, test: data.rawTest.count)
        ctx.out.print("training dnb's classifier of \(data.name) at \(recipe.imageSize)×\(recipe.imageSize) (\(recipe.summary)); it is cached in \(classifierCache.directory)")
        let preprocessing = Preprocessing(size: recipe.imageSize, resize: data.preprocessing.resize, range: .zeroToOne)
        let rawTrain = try recipe.trainLimit.map { try data.rawTrain.prefix($0) } ?? data.rawTrain
        let train = try PreparedDataset(rawTrain, preprocessing), test = try PreparedDataset(data.rawTest, preprocessing)
        let progress = ProgressReporter(label: "classifier", total: recipe.totalSteps(trainCount: train.count), plainLines: true)
        defer { progress.finish() }
        let trained = try DigitClassifier.train(recipe: recipe, train: train, test: test, datasetName: data.name, datasetKey: key) { p in
            progress.update(step: p.step, loss: Float(p.loss))
            try ctx.checkInterrupt()
        }
        progress.finish()
        try classifierCache.save(trained)
        ctx.out.print(String(format: "trained in %.0f s: %.2f %% of the %d test images right", trained.trainingSeconds, 100 * trained.testAccuracy, trained.testCount))
        return try remember(trained, recipe: recipe)
    }

    /// Refuses a training that would not fit: the images prepared at the recipe's size (one byte per pixel),
    /// the test images as floats (classified at once), and one step's activations, gradients and im2col
    /// scratch, about 3 kB per pixel of the batch (measured: peak RSS 530 MB at batch 128 and 32×32, where
    /// this estimate gives 500 MB).
    func checkClassifierMemory(_ recipe: ClassifierRecipe, train: Int, test: Int) throws {
        let pixels = Double(recipe.imageSize * recipe.imageSize)
        let bytes = Double(train + test) * pixels + Double(test) * pixels * 4 + Double(recipe.batchSize) * pixels * 3000
        try MemoryBudget.check(bytes, for: "classifier train batch_size=\(recipe.batchSize) at \(recipe.imageSize)×\(recipe.imageSize)",
                               advice: "use a smaller batch_size or image_size")
    }

    private func remember(_ trained: TrainedClassifier, recipe: ClassifierRecipe) throws -> SessionClassifier {
        let path = classifierCache.path(datasetName: trained.datasetName, datasetKey: trained.datasetKey, recipe: recipe)
        let c = try SessionClassifier(trained, path: path)
        classifiers[path] = c
        classifierRecipes[try classifierSlot(imageSize: recipe.imageSize)] = recipe
        return c
    }
}

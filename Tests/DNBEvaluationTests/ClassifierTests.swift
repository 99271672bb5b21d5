import Foundation
import Testing
import DNBTestSupport
import DNBData
import DNBEngine
@testable import DNBClassifier

/// dnb's classifier: trains, is reproducible from its seed, survives the cache, and refuses what it cannot use.
/// Tiny runs on 1,024 real MNIST digits at 16×16 keep this suite to seconds; the full recipe's ≥ 99 % is
/// the opt-in `fullRecipeReachesNinetyNinePercent` (DNB_CLASSIFIER_FULL=1) and bench/README.md.
@Suite(.enabled(if: realMNISTDirectory != nil, "real MNIST not found ($DNB_DATA or ../shared/data/mnist beside the repository); skipped"))
struct ClassifierTests {
    /// Both splits, read once for the suite (reading and verifying 60,000 digits takes seconds in a debug build).
    static let raw: (train: ImageDataset, test: ImageDataset)? = {
        guard let dir = realMNISTDirectory else { return nil }
        return try? (ImageDataset.load(.mnist, split: .train, directory: dir), ImageDataset.load(.mnist, split: .test, directory: dir))
    }()

    static func mnist(size: Int, train: Int, test: Int) throws -> (PreparedDataset, PreparedDataset, String) {
        let raw = try #require(Self.raw)
        let rawTrain = try raw.train.prefix(train), rawTest = try raw.test.prefix(test)
        let p = Preprocessing(size: size, resize: .pilBilinear, range: .zeroToOne)
        return (try PreparedDataset(rawTrain, p), try PreparedDataset(rawTest, p),
                ClassifierCache.datasetKey(train: rawTrain, test: rawTest))
    }

    static let tiny = ClassifierRecipe(imageSize: 16, epochs: 4, batchSize: 32, lr: 3e-3, seed: 7)

    @Test func tinyTrainingLearns() throws {
        let (train, test, key) = try Self.mnist(size: 16, train: 512, test: 512)
        var losses: [Double] = []
        let a = try DigitClassifier.train(recipe: Self.tiny, train: train, test: test, datasetName: "mnist", datasetKey: key) { losses.append($0.loss) }
        // 64 steps on 512 digits: chance is 10 %; this recipe reaches 69 % here (measured), so 50 % leaves room
        // for another seed while still failing a model that does not learn (or a broken backward pass).
        #expect(a.testAccuracy > 0.5, "accuracy \(a.testAccuracy)")
        #expect(losses.count == 64, "\(losses.count) steps")
        #expect(a.testFeatures.count == 512 * DigitClassifier.featureDimension)
    }

    @Test func cacheRoundTripAndRefusals() throws {
        let dir = try TemporaryDirectory()
        let cache = ClassifierCache(directory: dir.file("classifiers"))
        let (train, test, key) = try Self.mnist(size: 16, train: 256, test: 128)
        let recipe = ClassifierRecipe(imageSize: 16, epochs: 1, batchSize: 64, seed: 1)
        #expect(try cache.load(datasetName: "mnist", datasetKey: key, recipe: recipe) == nil)
        let trained = try DigitClassifier.train(recipe: recipe, train: train, test: test, datasetName: "mnist", datasetKey: key) { _ in }
        let again = try DigitClassifier.train(recipe: recipe, train: train, test: test, datasetName: "mnist", datasetKey: key) { _ in }
        #expect(trained.model.parameters.tensors.map(\.scalars) == again.model.parameters.tensors.map(\.scalars), "same seed, same weights")
        try cache.save(trained)
        let loaded = try #require(try cache.load(datasetName: "mnist", datasetKey: key, recipe: recipe))
        #expect(loaded.testFeatures == trained.testFeatures && loaded.testAccuracy == trained.testAccuracy)
        let images = test.images(Array(0..<8))
        #expect(try loaded.model.classify(images).probabilities == trained.model.classify(images).probabilities)
        // Another recipe or dataset is another file.
        var other = recipe
        other.seed = 2
        #expect(try cache.load(datasetName: "mnist", datasetKey: key, recipe: other) == nil)
        #expect(try cache.load(datasetName: "mnist", datasetKey: "x" + key, recipe: recipe) == nil)
        // A damaged file is an error naming it, and is left where it is.
        let path = cache.path(datasetName: "mnist", datasetKey: key, recipe: recipe)
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try cache.load(datasetName: "mnist", datasetKey: key, recipe: recipe) } throws: {
            "\($0)".contains(path) && "\($0)".contains("remove it")
        }
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func cacheFolderHonoursXDG() {
        #expect(ClassifierCache(environment: ["XDG_CACHE_HOME": "/tmp/x", "HOME": "/home/u"]).directory == "/tmp/x/dnb/classifiers")
        #expect(ClassifierCache(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]).directory == "/home/u/.cache/dnb/classifiers")
    }

    @Test func badRecipesAndDataAreErrors() throws {
        #expect(throws: ClassifierError.self) { try DigitClassifier(recipe: ClassifierRecipe(imageSize: 4)) }
        #expect(throws: ClassifierError.self) { try DigitClassifier(recipe: ClassifierRecipe(imageSize: 16, epochs: 0)) }
        let (train, test, key) = try Self.mnist(size: 16, train: 64, test: 64)
        #expect(throws: ClassifierError.self) {
            try DigitClassifier.train(recipe: ClassifierRecipe(imageSize: 28), train: train, test: test, datasetName: "mnist", datasetKey: key) { _ in }
        }
        let model = try DigitClassifier(recipe: Self.tiny)
        #expect(throws: EngineError.self) { try model.classify(Tensor.zeros([2, 28, 28, 1])) }
    }

    /// The full recipe on all of MNIST at 32×32 (as the quickstart's samples): ≥ 99.0 % test accuracy.
    /// Minutes of CPU, so opt-in: DNB_CLASSIFIER_FULL=1 swift test --filter fullRecipe.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DNB_CLASSIFIER_FULL"] == "1", "DNB_CLASSIFIER_FULL=1 runs the full training"))
    func fullRecipeReachesNinetyNinePercent() throws {
        let (train, test, key) = try Self.mnist(size: 32, train: 60000, test: 10000)
        let trained = try DigitClassifier.train(recipe: ClassifierRecipe(imageSize: 32), train: train, test: test, datasetName: "mnist", datasetKey: key) { p in
            if p.step % 100 == 0 { print("step \(p.step)/\(p.totalSteps) loss \(p.loss)") }
        }
        print("accuracy \(trained.testAccuracy) in \(trained.trainingSeconds) s")
        #expect(trained.testAccuracy >= 0.99)
    }
}

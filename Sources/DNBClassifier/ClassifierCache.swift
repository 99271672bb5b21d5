import Foundation
import DNBSupport
import DNBEngine
import DNBData

/// Where trained classifiers are kept: `$XDG_CACHE_HOME/dnb/classifiers` (or `~/.cache/dnb/classifiers`),
/// one safetensors file per dataset and recipe, named `<dataset>-<key>.safetensors` where the key
/// is an MD5 of the dataset's contents and the recipe. The file holds the weights, the test set's
/// features and labels, and in its metadata the recipe, accuracy and training time.
public struct ClassifierCache {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        directory = userCacheDirectory("classifiers", environment: environment)
    }

    /// An MD5 over the raw training and test images and labels: the same files give the same key
    /// wherever they were found; a subset or another dataset gives another.
    public static func datasetKey(train: ImageDataset, test: ImageDataset) -> String {
        let parts = [train.pixels, train.labels, test.pixels, test.labels].map(Digest.md5Hex)
        return Digest.md5Hex(Array(parts.joined(separator: ",").utf8))
    }

    public func path(datasetName: String, datasetKey: String, recipe: ClassifierRecipe) -> String {
        let recipeText = String(decoding: (try? JSONEncoder.sorted.encode(recipe)) ?? Data(), as: UTF8.self)
        let key = Digest.md5Hex(Array("\(datasetKey)|\(recipeText)|v\(ClassifierRecipe.version)".utf8)).prefix(16)
        let safeName = datasetName.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        return "\(directory)/\(String(safeName))-\(key).safetensors"
    }

    public func save(_ c: TrainedClassifier) throws {
        try AtomicFile.createDirectory(directory)
        var entries = try c.model.parameters.parameters.map {
            try SafetensorsEntry(name: $0.name, shape: $0.tensor.shape, floats: $0.tensor.scalars)
        }
        entries.append(try SafetensorsEntry(name: "test_features", shape: [c.testCount, DigitClassifier.featureDimension], floats: c.testFeatures))
        entries.append(try SafetensorsEntry(name: "test_labels", shape: [c.testCount], int64: c.testLabels.map(Int64.init)))
        let recipe = String(decoding: try JSONEncoder.sorted.encode(c.model.recipe), as: UTF8.self)
        let metadata = ["recipe": recipe, "dataset": c.datasetName, "dataset_key": c.datasetKey,
                        "test_accuracy": String(c.testAccuracy), "training_seconds": String(c.trainingSeconds),
                        "version": String(ClassifierRecipe.version)]
        try SafetensorsFile.write(entries: entries, metadata: metadata,
                                  to: URL(fileURLWithPath: path(datasetName: c.datasetName, datasetKey: c.datasetKey, recipe: c.model.recipe)))
    }

    /// The cached classifier for this dataset and recipe, nil when there is none. A file that is
    /// there but unreadable or inconsistent is an error naming it (it is not deleted: the user may want it).
    public func load(datasetName: String, datasetKey: String, recipe: ClassifierRecipe) throws -> TrainedClassifier? {
        let file = path(datasetName: datasetName, datasetKey: datasetKey, recipe: recipe)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        do {
            return try Self.read(file, datasetName: datasetName, datasetKey: datasetKey, recipe: recipe)
        } catch {
            throw ClassifierError("the cached classifier \(file) cannot be used (\(describeError(error))); remove it to train a new one")
        }
    }

    static func read(_ file: String, datasetName: String, datasetKey: String, recipe: ClassifierRecipe) throws -> TrainedClassifier {
        let f = try SafetensorsFile.read(URL(fileURLWithPath: file))
        guard f.metadata["dataset_key"] == datasetKey, let stored = f.metadata["recipe"],
              try JSONDecoder().decode(ClassifierRecipe.self, from: Data(stored.utf8)) == recipe else {
            throw ClassifierError("it was trained on other data or with another recipe")
        }
        let model = try DigitClassifier(recipe: recipe)
        for p in model.parameters.parameters {
            let e = try f.entry(p.name)
            guard e.shape == p.tensor.shape else { throw ClassifierError("\(p.name) has shape \(e.shape), expected \(p.tensor.shape)") }
            _ = UnsafeMutableBufferPointer(start: p.tensor.data, count: p.tensor.count).update(from: try e.floats())
        }
        let features = try f.entry("test_features"), labels = try f.entry("test_labels").int64s().map(Int.init)
        guard features.shape == [labels.count, DigitClassifier.featureDimension], !labels.isEmpty else {
            throw ClassifierError("its test features have shape \(features.shape) for \(labels.count) labels")
        }
        return TrainedClassifier(model: model, datasetKey: datasetKey, datasetName: datasetName,
                                 testAccuracy: Double(f.metadata["test_accuracy"] ?? "") ?? .nan,
                                 trainingSeconds: Double(f.metadata["training_seconds"] ?? "") ?? .nan,
                                 testFeatures: try features.floats(), testLabels: labels)
    }
}

extension JSONEncoder {
    /// Keys in sorted order, so the same recipe always encodes to the same bytes (part of the cache key).
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }
}

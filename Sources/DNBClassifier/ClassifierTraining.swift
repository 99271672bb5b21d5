import Foundation
import DNBEngine
import DNBData

/// A trained classifier with what evaluation needs from its test set: the features of every test
/// image (their statistics are the reference of the Fréchet distance) and its accuracy.
public struct TrainedClassifier {
    public let model: DigitClassifier
    /// Identifies the data it was trained on (ClassifierCache.datasetKey).
    public let datasetKey: String
    public let datasetName: String
    public let testAccuracy: Double
    public let trainingSeconds: Double
    /// [test images, 128] float32, row-major, in the test set's order.
    public let testFeatures: [Float]
    public let testLabels: [Int]
    public var testCount: Int { testLabels.count }
}

public struct ClassifierTrainingProgress {
    public let step: Int
    public let totalSteps: Int
    public let loss: Double
}

extension DigitClassifier {
    /// Trains on `train` (images in [0, 1] at the recipe's size) with Adam and a one-cycle learning
    /// rate, reproducibly from the recipe's seed (weights and shuffling), then measures `test`.
    /// `progress` is called after every step and may throw to stop (an interrupt).
    public static func train(recipe: ClassifierRecipe, train: PreparedDataset, test: PreparedDataset,
                             datasetName: String, datasetKey: String, progress: (ClassifierTrainingProgress) throws -> Void) throws -> TrainedClassifier {
        try checkData(train, recipe: recipe, split: "training")
        try checkData(test, recipe: recipe, split: "test")
        if let limit = recipe.trainLimit, train.count > limit {
            throw ClassifierError("the recipe trains on the first \(limit) images; pass only those (got \(train.count))")
        }
        let started = Date()
        let model = try DigitClassifier(recipe: recipe)
        let adam = Adam(parameters: model.parameters.tensors, lr: Float(recipe.lr))
        var loader = try DataLoader(train, batchSize: recipe.batchSize, shuffle: true, seed: recipe.seed)
        let total = recipe.totalSteps(trainCount: train.count), stepsPerEpoch = total / recipe.epochs
        for step in 0..<total {
            let batch = try loader.batch(epoch: step / stepsPerEpoch, index: step % stepsPerEpoch)
            adam.lr = Float(oneCycle(step: step, total: total, peak: recipe.lr))
            adam.zeroGrad()
            let loss = try crossEntropy(model(batch.images).logits, labels: batch.labels)
            try loss.backward()
            adam.update()
            try progress(ClassifierTrainingProgress(step: step + 1, totalSteps: total, loss: Double(loss.item)))
        }
        let (features, probabilities) = try model.classify(test.images(Array(0..<test.count)))
        let labels = test.labels.map(Int.init)
        let correct = (0..<test.count).filter { argmax(probabilities, row: $0, classes: recipe.classes) == labels[$0] }.count
        return TrainedClassifier(model: model, datasetKey: datasetKey, datasetName: datasetName,
                                 testAccuracy: Double(correct) / Double(test.count),
                                 trainingSeconds: Date().timeIntervalSince(started), testFeatures: features, testLabels: labels)
    }

    static func checkData(_ data: PreparedDataset, recipe: ClassifierRecipe, split: String) throws {
        guard data.height == recipe.imageSize, data.width == recipe.imageSize, data.preprocessing.range == .zeroToOne else {
            throw ClassifierError("the \(split) images must be \(recipe.imageSize)×\(recipe.imageSize) in [0, 1]")
        }
        guard data.count > 0 else { throw ClassifierError("the \(split) set is empty") }
        if let bad = data.labels.first(where: { Int($0) >= recipe.classes }) {
            throw ClassifierError("the \(split) set has label \(bad); the classifier has \(recipe.classes) classes")
        }
    }

    /// Linear warm-up from peak/25 over the first 10 % of the steps, then a cosine to zero
    /// (PyTorch's OneCycleLR shape, as bench/score_samples.py trains its classifier).
    static func oneCycle(step: Int, total: Int, peak: Double) -> Double {
        let warm = max(1, total / 10)
        if step < warm { return peak / 25 + (peak - peak / 25) * Double(step) / Double(warm) }
        let t = Double(step - warm) / Double(max(1, total - warm))
        return peak * 0.5 * (1 + cos(Double.pi * t))
    }

    /// Features [N × 128] and softmax probabilities [N × classes] of NHWC images, without recording
    /// gradients, 256 images at a time (so 10,000 test images need ~30 MB of activations, not 1 GB).
    public func classify(_ images: Tensor) throws -> (features: [Float], probabilities: [Float]) {
        let n = images.shape.first ?? 0, per = images.count / max(1, n)
        var features = [Float](), probabilities = [Float]()
        features.reserveCapacity(n * Self.featureDimension)
        probabilities.reserveCapacity(n * recipe.classes)
        try withNoGrad {
            for first in stride(from: 0, to: n, by: 256) {
                let m = min(256, n - first)
                let chunk = Tensor(uninitialized: [m] + images.shape.dropFirst())
                chunk.data.update(from: images.data + first * per, count: m * per)
                let (f, logits) = try self(chunk)
                features.append(contentsOf: f.buffer)
                probabilities.append(contentsOf: try softmax(logits).buffer)
            }
        }
        return (features, probabilities)
    }
}

func argmax(_ rows: [Float], row: Int, classes: Int) -> Int {
    var best = 0
    for j in 1..<classes where rows[row * classes + j] > rows[row * classes + best] { best = j }
    return best
}

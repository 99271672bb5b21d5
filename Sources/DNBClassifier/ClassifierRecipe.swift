import Foundation

/// Everything that determines a trained classifier besides its data: the cache key is made of
/// these and the dataset's MD5, so a change to any of them trains a new one.
public struct ClassifierRecipe: Sendable, Equatable, Codable {
    public static let channels = [32, 64, 64]
    /// Bumped when the architecture or training loop changes, so an old cached classifier is not reused.
    public static let version = 1

    public var imageSize: Int
    public var classes: Int = 10
    public var epochs: Int = 3
    public var batchSize: Int = 128
    /// Peak learning rate of the one-cycle schedule (linear warm-up over the first 10 %, then cosine to zero).
    public var lr: Double = 3e-3
    public var seed: UInt64 = 0
    /// Train on at most this many images (nil: all); tests train tiny classifiers this way.
    public var trainLimit: Int? = nil

    public init(imageSize: Int, epochs: Int = 3, batchSize: Int = 128, lr: Double = 3e-3, seed: UInt64 = 0, trainLimit: Int? = nil) {
        self.imageSize = imageSize
        self.epochs = epochs
        self.batchSize = batchSize
        self.lr = lr
        self.seed = seed
        self.trainLimit = trainLimit
    }

    /// The default recipe for a dataset: 3 epochs reach 99.3 % on MNIST; Fashion-MNIST's clothes need 5
    /// for 91 % (3 gave 89.8 %; bench/README.md).
    public static func standard(dataset: String, imageSize: Int) -> ClassifierRecipe {
        ClassifierRecipe(imageSize: imageSize, epochs: dataset == "fashion-mnist" ? 5 : 3)
    }

    /// Adam steps of a training on `trainCount` images (the last batch of an epoch may be short).
    public func totalSteps(trainCount: Int) -> Int {
        let used = min(trainCount, trainLimit ?? trainCount)
        return (used + batchSize - 1) / batchSize * epochs
    }

    /// Three 2×2 poolings (floor) leave (S/2/2/2)² positions of 64 channels.
    public var pooledSize: Int { imageSize / 2 / 2 / 2 }
    public var flattenedFeatures: Int { pooledSize * pooledSize * (Self.channels.last ?? 1) }

    /// Images from 8×8 (one position after three poolings) to 128×128 (what the memory of a batch of 128 allows comfortably).
    public static let imageSizes = 8...128

    public func validate() throws {
        guard Self.imageSizes.contains(imageSize) else {
            throw ClassifierError("the classifier takes square images of \(Self.imageSizes.lowerBound) to \(Self.imageSizes.upperBound) pixels, not \(imageSize)")
        }
        guard classes >= 2, epochs >= 1, batchSize >= 1, lr > 0, lr.isFinite, (trainLimit ?? 1) >= 1 else {
            throw ClassifierError("a classifier recipe needs ≥ 2 classes, ≥ 1 epoch, batch ≥ 1, a positive lr and a positive train limit")
        }
    }

    /// A one-line description for `classifier show` and the report.
    public var summary: String {
        "\(imageSize)×\(imageSize), \(epochs) epoch\(epochs == 1 ? "" : "s") at batch \(batchSize), lr \(lr) one-cycle, seed \(seed)"
            + (trainLimit.map { ", first \($0) training images" } ?? "")
    }
}

public struct ClassifierError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Foundation

/// What a classifier's softmax says about a set of images: how sure it is, and which classes it sees.
public struct PredictionSummary: Sendable, Equatable {
    /// The confidence at or above which a sample counts as recognised (bench/score_samples.py's 0.9).
    public static let confidentThreshold = 0.9

    public let count: Int
    /// Most probable class and its probability, per image.
    public let predicted: [Int]
    public let confidence: [Double]
    /// Images per predicted class.
    public let histogram: [Int]

    /// `probabilities`: one row of `classes` softmax outputs per image, row-major.
    public init(probabilities: [Float], classes: Int) throws {
        guard classes >= 2, !probabilities.isEmpty, probabilities.count % classes == 0 else {
            throw EvaluationError("\(probabilities.count) probabilities are not whole rows of \(classes) classes")
        }
        count = probabilities.count / classes
        var predicted = [Int](), confidence = [Double](), histogram = [Int](repeating: 0, count: classes)
        for i in 0..<count {
            // The first maximum on ties, as torch.max and numpy.argmax.
            var best = 0
            for j in 1..<classes where probabilities[i * classes + j] > probabilities[i * classes + best] { best = j }
            predicted.append(best)
            confidence.append(Double(probabilities[i * classes + best]))
            histogram[best] += 1
        }
        self.predicted = predicted
        self.confidence = confidence
        self.histogram = histogram
    }

    /// Compared in float32, as PyTorch compares a float32 tensor with a Python 0.9, so a softmax of exactly
    /// 0.9f counts here as it does in bench/score_samples.py.
    public var confidentShare: Double {
        Double(confidence.filter { Float($0) >= Float(Self.confidentThreshold) }.count) / Double(count)
    }
    public var meanConfidence: Double { confidence.reduce(0, +) / Double(count) }

    /// Entropy of the predicted-class histogram over log(classes): 1 when every class is drawn
    /// equally often, 0 when all samples fall in one class (mode collapse).
    public var normalisedEntropy: Double {
        let h = histogram.reduce(0.0) { acc, c in
            guard c > 0 else { return acc }
            let p = Double(c) / Double(count)
            return acc - p * log(p)
        }
        return h / log(Double(histogram.count))
    }

    /// The share of images classified as the class each was asked for (class-conditional samples).
    public func accuracy(requested: [Int]) throws -> Double {
        guard requested.count == count else { throw EvaluationError("\(requested.count) requested classes for \(count) samples") }
        return Double(zip(predicted, requested).filter { $0 == $1 }.count) / Double(count)
    }

    /// Indices of the `n` least confident images, least confident first (ties: lower index first).
    public func leastConfident(_ n: Int) -> [Int] {
        Array(confidence.indices.sorted { (confidence[$0], $0) < (confidence[$1], $1) }.prefix(max(0, n)))
    }
}

/// Everything `evaluate` reports for a set of samples, from the classifier's outputs: confidence and
/// classes from its softmax, FD and precision/recall from its features against the test set's.
public struct SampleEvaluation {
    public let result: EvaluationResult
    public let summary: PredictionSummary
    /// What limits the figures at this n (documented in docs/evaluation.md), for the user to read.
    public let warnings: [String]

    /// `probabilities`: [n × classes]; `features`: the samples' features; `reference`: the test set's
    /// features with their statistics; `requested`: the class asked for per sample, if any.
    public init(probabilities: [Float], classes: Int, features: FeatureMatrix, reference: FeatureMatrix,
                referenceStatistics: FeatureStatistics, requested: [Int]?, k: Int = 3) throws {
        let summary = try PredictionSummary(probabilities: probabilities, classes: classes)
        let n = features.rows
        guard summary.count == n else { throw EvaluationError("\(summary.count) predictions for \(n) feature rows") }
        var result = EvaluationResult(count: n, confidentShare: summary.confidentShare, meanConfidence: summary.meanConfidence,
                                      histogram: summary.histogram, normalisedEntropy: summary.normalisedEntropy)
        var warnings: [String] = []
        if let requested { result.classAccuracy = try summary.accuracy(requested: requested) }
        if n >= 2 {
            result.frechetDistance = try frechetDistance(FeatureStatistics(features), referenceStatistics)
            if n < features.columns {
                warnings.append("n = \(n) is below the \(features.columns) feature dimensions: FD is biased upward at small n; compare FDs at the same n, and with fd_floor")
            }
        } else {
            warnings.append("FD, precision and recall need at least 2 samples (n = \(n))")
        }
        let (subset, rest) = referenceSplit(count: reference.rows, n: n)
        if n >= 2, rest.count >= 2 {
            result.frechetFloor = try frechetDistance(FeatureStatistics(reference.selecting(subset)), FeatureStatistics(reference.selecting(rest)))
        } else if n >= 2 {
            warnings.append("fd_floor needs n ≤ \(reference.rows - 2) (the test set has \(reference.rows) images)")
        }
        if n > k, subset.count > k {
            let pr = try PrecisionRecall(real: reference.selecting(subset), generated: features, k: k)
            (result.precision, result.recall) = (pr.precision, pr.recall)
        } else if n >= 2 {
            warnings.append("precision and recall with k = \(k) need more than \(k) samples")
        }
        if n >= 2, features.allRowsIdentical {
            warnings.append("all \(n) samples have the same features (identical images?): the set is a single point")
        }
        self.result = result
        self.summary = summary
        self.warnings = warnings
    }
}

/// The n test images the floor and precision/recall use, and the others: the first n of a fixed
/// permutation (seed 0) of the test set, so every evaluation at the same n compares with the same
/// images, and the classes are mixed as in the whole set.
public func referenceSplit(count: Int, n: Int) -> (subset: [Int], rest: [Int]) {
    var order = Array(0..<count)
    var state: UInt64 = 0
    for i in stride(from: count - 1, to: 0, by: -1) {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        order.swapAt(i, Int(z % UInt64(i + 1)))
    }
    let m = min(max(0, n), count)
    return (Array(order[..<m]), Array(order[m...]))
}

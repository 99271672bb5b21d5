import Foundation

/// The figures of one `evaluate`: a plain value, listed by name for the report's table, JSON and
/// (when the language gains records) a notebook's variables.
public struct EvaluationResult: Sendable, Equatable, Codable {
    public var count: Int
    public var confidentShare: Double
    public var meanConfidence: Double
    public var histogram: [Int]
    public var normalisedEntropy: Double
    /// Fréchet distance of the samples' features to the test set's, and the same for n real test
    /// images (the floor a perfect generator would reach at this n); nil when n is too small.
    public var frechetDistance: Double?
    public var frechetFloor: Double?
    public var precision: Double?
    public var recall: Double?
    /// Class-conditional samples: the share classified as the requested class.
    public var classAccuracy: Double?

    public init(count: Int, confidentShare: Double, meanConfidence: Double, histogram: [Int], normalisedEntropy: Double,
                frechetDistance: Double? = nil, frechetFloor: Double? = nil, precision: Double? = nil, recall: Double? = nil,
                classAccuracy: Double? = nil) {
        self.count = count
        self.confidentShare = confidentShare
        self.meanConfidence = meanConfidence
        self.histogram = histogram
        self.normalisedEntropy = normalisedEntropy
        self.frechetDistance = frechetDistance
        self.frechetFloor = frechetFloor
        self.precision = precision
        self.recall = recall
        self.classAccuracy = classAccuracy
    }

    public enum Figure: Sendable, Equatable {
        case int(Int)
        case double(Double)
    }

    /// Every scalar figure that was computed, by its name (the JSON keys and the table's rows), in a fixed order.
    public var figures: [(name: String, value: Figure)] {
        var out: [(String, Figure)] = [("n", .int(count)), ("confident", .double(confidentShare)),
                                       ("mean_confidence", .double(meanConfidence)), ("entropy", .double(normalisedEntropy))]
        let optional: [(String, Double?)] = [("fd", frechetDistance), ("fd_floor", frechetFloor), ("precision", precision),
                                             ("recall", recall), ("class_accuracy", classAccuracy)]
        for (name, value) in optional { if let value { out.append((name, .double(value))) } }
        return out
    }

    /// The figures and the histogram as a JSON object (keys as in `figures`, plus "histogram").
    public func json() throws -> Data {
        var object: [String: Any] = ["histogram": histogram]
        for (name, value) in figures {
            switch value {
            case .int(let i): object[name] = i
            case .double(let d): object[name] = d.isFinite ? d : NSNull()   // JSON has no NaN
            }
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

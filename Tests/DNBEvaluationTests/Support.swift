import DNBEvaluation
import DNBTestSupport

/// Features with structure (correlated columns, unequal scales), reproducible from a seed.
func syntheticFeatures(rows: Int, columns: Int, seed: UInt64, shift: Double = 0) throws -> FeatureMatrix {
    var rng = SplitMix64(state: seed)
    var values = [Double]()
    for _ in 0..<rows {
        let common = rng.uniform() * 2 - 1
        for j in 0..<columns {
            values.append(shift + Double(j % 5 + 1) * (rng.uniform() - 0.5) + 0.7 * common * Double(j % 3))
        }
    }
    return try FeatureMatrix(rows: rows, columns: columns, values: values)
}

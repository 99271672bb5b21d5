import CBLAS

/// Feature vectors, one row per image (row-major, float64: the statistics and distances below are
/// compared with NumPy's float64 to 1e-4, which float32 sums over 10,000 rows would not reach).
public struct FeatureMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public let values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns > 0, values.count == rows * columns else {
            throw EvaluationError("a feature matrix of \(rows)×\(columns) cannot hold \(values.count) values")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public func row(_ i: Int) -> ArraySlice<Double> { values[i * columns ..< (i + 1) * columns] }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) throws -> FeatureMatrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * columns)
        for i in indices {
            guard i >= 0, i < rows else { throw EvaluationError("row \(i) is outside 0..<\(rows)") }
            out.append(contentsOf: row(i))
        }
        return try FeatureMatrix(rows: indices.count, columns: columns, values: out)
    }

    /// Whether every row equals the first (then the covariance is zero and the k-NN radii are zero).
    public var allRowsIdentical: Bool {
        guard rows > 1 else { return true }
        let first = row(0)
        return (1..<rows).allSatisfy { row($0).elementsEqual(first) }
    }
}

/// Mean and covariance of a feature matrix: NumPy's `x.mean(0)` and `np.cov(x, rowvar=False)`
/// (normalised by n − 1), the statistics the Fréchet distance compares.
public struct FeatureStatistics: Sendable, Equatable, Codable {
    public let count: Int
    public let mean: [Double]
    /// d × d, row-major, symmetric.
    public let covariance: [Double]
    public var dimension: Int { mean.count }

    public init(count: Int, mean: [Double], covariance: [Double]) throws {
        guard count >= 2, !mean.isEmpty, covariance.count == mean.count * mean.count else {
            throw EvaluationError("feature statistics need at least 2 rows and a \(mean.count)×\(mean.count) covariance")
        }
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    public init(_ x: FeatureMatrix) throws {
        guard x.rows >= 2 else {
            throw EvaluationError("feature statistics need at least 2 images (a covariance of \(x.rows) is undefined)")
        }
        let n = x.rows, d = x.columns
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += x.values[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = x.values
        for i in 0..<n { for j in 0..<d { centred[i * d + j] -= mean[j] } }
        // Σ = Xcᵀ Xc / (n − 1): the upper triangle from dsyrk, mirrored.
        var cov = [Double](repeating: 0, count: d * d)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), 1 / Double(n - 1),
                    centred, Int32(d), 0, &cov, Int32(d))
        for i in 0..<d { for j in 0..<i { cov[i * d + j] = cov[j * d + i] } }
        try self.init(count: n, mean: mean, covariance: cov)
    }

    public var trace: Double { (0..<dimension).reduce(0) { $0 + covariance[$1 * dimension + $1] } }
}

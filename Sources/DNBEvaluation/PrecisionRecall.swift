import CBLAS

/// Improved precision and recall (Kynkäänniemi et al. 2019): each set's feature manifold is the
/// union of balls around its points, of radius the distance to the point's k-th nearest other point
/// of the same set. Precision: the share of generated points inside the real manifold (are the
/// samples realistic?); recall: the share of real points inside the generated manifold (do the
/// samples cover the data?). A point on a ball's boundary counts as inside, as in the paper's code.
public struct PrecisionRecall: Sendable, Equatable {
    public let precision: Double
    public let recall: Double
    public let k: Int

    public init(real: FeatureMatrix, generated: FeatureMatrix, k: Int = 3) throws {
        guard real.columns == generated.columns else {
            throw EvaluationError("features of dimension \(real.columns) and \(generated.columns) cannot be compared")
        }
        guard k >= 1, real.rows > k, generated.rows > k else {
            throw EvaluationError("precision and recall with k = \(k) need more than \(k) real and generated images (got \(real.rows) and \(generated.rows))")
        }
        let realRadii = kthNeighbourDistances(real, k: k), generatedRadii = kthNeighbourDistances(generated, k: k)
        precision = coveredShare(generated, by: real, radii: realRadii)
        recall = coveredShare(real, by: generated, radii: generatedRadii)
        self.k = k
    }
}

/// Rows of pairwise squared Euclidean distances, a block of `a`'s rows at a time (|a|² + |b|² − 2a·b,
/// clamped at zero), so 10,000 × 10,000 pairs never need 800 MB at once.
func forEachDistanceBlock(_ a: FeatureMatrix, _ b: FeatureMatrix, _ body: (_ firstRow: Int, _ rows: Int, _ d2: [Double]) -> Void) {
    let d = a.columns, block = 256
    let normsB = (0..<b.rows).map { i in b.row(i).reduce(0) { $0 + $1 * $1 } }
    var products = [Double](repeating: 0, count: block * b.rows)
    a.values.withUnsafeBufferPointer { av in
        guard let base = av.baseAddress else { return }   // no rows: nothing to visit
        for first in stride(from: 0, to: a.rows, by: block) {
            let rows = min(block, a.rows - first)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(b.rows), Int32(d), 1,
                        base + first * d, Int32(d), b.values, Int32(d), 0, &products, Int32(b.rows))
            for r in 0..<rows {
                let normA = a.row(first + r).reduce(0) { $0 + $1 * $1 }
                for j in 0..<b.rows { products[r * b.rows + j] = max(0, normA + normsB[j] - 2 * products[r * b.rows + j]) }
            }
            body(first, rows, products)
        }
    }
}

/// For each row, the distance to its k-th nearest other row of the same matrix.
func kthNeighbourDistances(_ x: FeatureMatrix, k: Int) -> [Double] {
    var radii = [Double](repeating: 0, count: x.rows)
    forEachDistanceBlock(x, x) { first, rows, d2 in
        for r in 0..<rows {
            var others = Array(d2[r * x.rows ..< (r + 1) * x.rows])
            others.remove(at: first + r)
            others.sort()
            radii[first + r] = others[k - 1].squareRoot()
        }
    }
    return radii
}

/// The share of `points` within radius[i] of some row i of `centres`.
func coveredShare(_ points: FeatureMatrix, by centres: FeatureMatrix, radii: [Double]) -> Double {
    let squared = radii.map { $0 * $0 }
    var covered = 0
    forEachDistanceBlock(points, centres) { _, rows, d2 in
        for r in 0..<rows where (0..<centres.rows).contains(where: { d2[r * centres.rows + $0] <= squared[$0] }) { covered += 1 }
    }
    return Double(covered) / Double(points.rows)
}

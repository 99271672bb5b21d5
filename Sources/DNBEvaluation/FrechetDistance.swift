import CBLAS

/// The Fréchet distance between two Gaussians fitted to features (Heusel et al. 2017, the "FID"
/// formula; here on dnb's own classifier's features):
///   ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½.
/// tr (Σ₁^½ Σ₂ Σ₁^½)^½ equals tr (Σ₁Σ₂)^½ (what pytorch-fid takes with scipy's sqrtm), but the
/// symmetric form needs only symmetric eigendecompositions, which stay exact for singular Σ (fewer
/// images than feature dimensions, identical images) where sqrtm of the non-symmetric product does not.
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
    guard a.dimension == b.dimension else {
        throw EvaluationError("features of dimension \(a.dimension) and \(b.dimension) cannot be compared")
    }
    let d = a.dimension
    var meanTerm = 0.0
    for j in 0..<d { let diff = a.mean[j] - b.mean[j]; meanTerm += diff * diff }
    let rootA = try SymmetricEigen(a.covariance, n: d).reconstruct { max($0, 0).squareRoot() }
    // M = Σ₁^½ Σ₂ Σ₁^½, symmetric positive semi-definite.
    var t = [Double](repeating: 0, count: d * d), m = [Double](repeating: 0, count: d * d)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(d), Int32(d), 1, rootA, Int32(d),
                b.covariance, Int32(d), 0, &t, Int32(d))
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(d), Int32(d), 1, t, Int32(d),
                rootA, Int32(d), 0, &m, Int32(d))
    for i in 0..<d { for j in 0..<i { let s = (m[i * d + j] + m[j * d + i]) / 2; m[i * d + j] = s; m[j * d + i] = s } }
    let traceRoot = try SymmetricEigen(m, n: d).values.reduce(0) { $0 + max($1, 0).squareRoot() }
    // Rounding can leave a tiny negative for identical statistics; a distance is never below zero.
    return max(0, meanTerm + a.trace + b.trace - 2 * traceRoot)
}

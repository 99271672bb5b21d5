import CBLAS

/// Eigenvalues and eigenvectors of a real symmetric matrix by LAPACK's divide-and-conquer solver
/// (`dsyevd`, from OpenBLAS): backward stable, eigenvalues accurate to ~n·ε·‖A‖.
public struct SymmetricEigen {
    public let values: [Double]
    /// Eigenvectors as the columns of an n × n row-major matrix (vectors[i * n + k] is component i of vector k).
    public let vectors: [Double]
    public let n: Int

    public init(_ matrix: [Double], n: Int) throws {
        guard n > 0, matrix.count == n * n else { throw EvaluationError("eigendecomposition of a \(n)×\(n) matrix from \(matrix.count) values") }
        guard matrix.allSatisfy(\.isFinite) else { throw EvaluationError("the matrix holds NaN or infinite values") }
        // Row-major symmetric A is its own column-major transpose; LAPACK returns eigenvectors as
        // columns of a column-major matrix, i.e. rows of our row-major buffer.
        var a = matrix, w = [Double](repeating: 0, count: n)
        var info: Int32 = 0, nn = Int32(n), lwork: Int32 = -1, liwork: Int32 = -1
        var workSize = 0.0, iworkSize: Int32 = 0
        dsyevd_("V", "U", &nn, &a, &nn, &w, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1)
        guard info == 0 else { throw EvaluationError("LAPACK dsyevd workspace query failed (info \(info))") }
        lwork = Int32(workSize)
        liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_("V", "U", &nn, &a, &nn, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else { throw EvaluationError("LAPACK dsyevd did not converge (info \(info))") }
        var v = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for i in 0..<n { v[i * n + k] = a[k * n + i] } }
        values = w
        vectors = v
        self.n = n
    }

    /// V · f(Λ) · Vᵀ for a function of the eigenvalues (the matrix square root with f = √max(λ, 0)).
    public func reconstruct(_ f: (Double) -> Double) -> [Double] {
        var scaled = vectors
        for i in 0..<n { for k in 0..<n { scaled[i * n + k] *= f(values[k]) } }
        var out = [Double](repeating: 0, count: n * n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n), 1,
                    scaled, Int32(n), vectors, Int32(n), 0, &out, Int32(n))
        return out
    }
}

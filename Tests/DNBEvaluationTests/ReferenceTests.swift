import Foundation
import Testing
import DNBTestSupport
@testable import DNBEvaluation

/// Feature statistics, the Fréchet distance and precision/recall against NumPy/SciPy
/// (tools/evaluation_reference.py) on the same float64 features. Tolerance 1e-4 relative, the issue's
/// bound: both sides work in float64, so agreement is ~1e-10 except where the reference's sqrtm (a
/// Schur method on the non-symmetric Σ₁Σ₂) loses digits, which 1e-4 still covers for well-conditioned Σ.
struct ReferenceTests {
    struct Reference: Decodable {
        let mean_real: [Double], cov_real: [Double], mean_generated: [Double], cov_generated: [Double]
        let fd_sqrtm: Double, fd_eigh: Double, precision: Double, recall: Double
    }

    func reference(real: FeatureMatrix, generated: FeatureMatrix, k: Int = 3) throws -> Reference? {
        guard testPython != nil || testPythonRequired else { return nil }
        let rows = { (m: FeatureMatrix) in (0..<m.rows).map { Array(m.row($0)) } }
        let input = try JSONSerialization.data(withJSONObject: ["real": rows(real), "generated": rows(generated), "k": k])
        let script = try String(contentsOfFile: repositoryRoot + "/tools/evaluation_reference.py", encoding: .utf8)
        let out = try runTestPython(script, stdin: String(decoding: input, as: UTF8.self))
        return try JSONDecoder().decode(Reference.self, from: Data(out.utf8))
    }

    func expectClose(_ a: Double, _ b: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(a - b) <= 1e-4 * max(abs(b), 1e-12) || abs(a - b) < 1e-12, "\(what): \(a) vs reference \(b)", sourceLocation: sourceLocation)
    }

    func expectClose(_ a: [Double], _ b: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, "\(what) sizes", sourceLocation: sourceLocation)
        let scale = b.map(abs).max() ?? 1
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-4 * scale, "\(what): max error \(worst) at scale \(scale)", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: testPython != nil || testPythonRequired, "the test venv is missing (bash scripts/test-venv.sh); skipped"),
          arguments: [(300, 200, 16), (64, 48, 8)])
    func matchesNumPyAndSciPy(realRows: Int, generatedRows: Int, columns: Int) throws {
        let real = try syntheticFeatures(rows: realRows, columns: columns, seed: 1)
        let generated = try syntheticFeatures(rows: generatedRows, columns: columns, seed: 2, shift: 0.3)
        let ref = try #require(try reference(real: real, generated: generated))
        let a = try FeatureStatistics(real), b = try FeatureStatistics(generated)
        expectClose(a.mean, ref.mean_real, "mean (real)")
        expectClose(a.covariance, ref.cov_real, "covariance (real)")
        expectClose(b.mean, ref.mean_generated, "mean (generated)")
        expectClose(b.covariance, ref.cov_generated, "covariance (generated)")
        let fd = try frechetDistance(b, a)
        expectClose(fd, ref.fd_sqrtm, "FD against scipy sqrtm")
        expectClose(fd, ref.fd_eigh, "FD against scipy eigh")
        let pr = try PrecisionRecall(real: real, generated: generated, k: 3)
        expectClose(pr.precision, ref.precision, "precision")
        expectClose(pr.recall, ref.recall, "recall")
        // Precision and recall are not trivially 0 or 1 here, so the comparison can fail.
        #expect(pr.precision > 0.05 && pr.precision < 0.999 || pr.recall > 0.05 && pr.recall < 0.999)
    }

    /// Fewer images than feature dimensions: Σ is singular, where dnb's symmetric form stays exact
    /// (compared with SciPy's eigh form; sqrtm of a singular product is not reliable to 1e-4).
    @Test(.enabled(if: testPython != nil || testPythonRequired, "the test venv is missing (bash scripts/test-venv.sh); skipped"))
    func singularCovarianceMatchesTheEighReference() throws {
        let real = try syntheticFeatures(rows: 40, columns: 24, seed: 3)
        let generated = try syntheticFeatures(rows: 10, columns: 24, seed: 4, shift: -0.2)
        let ref = try #require(try reference(real: real, generated: generated))
        expectClose(try frechetDistance(FeatureStatistics(generated), FeatureStatistics(real)), ref.fd_eigh, "FD, n < d")
    }
}

/// Properties that need no reference: the distance's algebra and degenerate input.
struct FrechetPropertiesTests {
    @Test func distanceOfASetToItselfIsZeroAndSymmetric() throws {
        let a = try FeatureStatistics(syntheticFeatures(rows: 100, columns: 12, seed: 5))
        let b = try FeatureStatistics(syntheticFeatures(rows: 80, columns: 12, seed: 6, shift: 0.5))
        // Cancellation of traces of O(10) leaves ~1e-13; 1e-9 is far below any real distance here (> 1).
        #expect(try frechetDistance(a, a) < 1e-9)
        let ab = try frechetDistance(a, b), ba = try frechetDistance(b, a)
        #expect(ab > 1 && abs(ab - ba) <= 1e-9 * ab)
    }

    /// Identical images: Σ = 0, so FD = ‖μ₁ − μ₂‖² + tr Σ₂ exactly.
    @Test func identicalImagesGiveTheClosedForm() throws {
        let one = try FeatureMatrix(rows: 5, columns: 3, values: Array(repeating: [1.0, 2, 3], count: 5).flatMap { $0 })
        #expect(one.allRowsIdentical)
        let other = try FeatureStatistics(syntheticFeatures(rows: 50, columns: 3, seed: 7))
        let expected = zip([1.0, 2, 3], other.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } + other.trace
        let fd = try frechetDistance(FeatureStatistics(one), other)
        #expect(abs(fd - expected) <= 1e-9 * expected)
        let pr = try PrecisionRecall(real: syntheticFeatures(rows: 50, columns: 3, seed: 7), generated: one)
        #expect(pr.recall < 0.2, "five copies of one point cover little of the real set: \(pr.recall)")
    }

    @Test func degenerateInputIsAnError() throws {
        let x = try syntheticFeatures(rows: 3, columns: 4, seed: 8)
        #expect(throws: EvaluationError.self) { try FeatureStatistics(FeatureMatrix(rows: 1, columns: 4, values: [1, 2, 3, 4])) }
        #expect(throws: EvaluationError.self) { try FeatureMatrix(rows: 2, columns: 4, values: [1, 2, 3]) }
        #expect(throws: EvaluationError.self) { try PrecisionRecall(real: x, generated: x, k: 3) }
        let wide = try FeatureStatistics(syntheticFeatures(rows: 10, columns: 5, seed: 9))
        #expect(throws: EvaluationError.self) { try frechetDistance(FeatureStatistics(x), wide) }
        var nan = x.values
        nan[2] = .nan
        #expect(throws: EvaluationError.self) { try frechetDistance(FeatureStatistics(FeatureMatrix(rows: 3, columns: 4, values: nan)), FeatureStatistics(x)) }
    }

    @Test func predictionSummary() throws {
        // Three images, classes 0, 2, 2 with confidences 0.95, 0.5, 0.9 (the threshold counts).
        let p: [Float] = [0.95, 0.05, 0, 0.25, 0.25, 0.5, 0.05, 0.05, 0.9]
        let s = try PredictionSummary(probabilities: p, classes: 3)
        #expect(s.predicted == [0, 2, 2] && s.histogram == [1, 0, 2])
        #expect(abs(s.confidentShare - 2.0 / 3) < 1e-12)
        #expect(abs(s.meanConfidence - (0.95 + 0.5 + 0.9) / 3) < 1e-6)
        let h = -(1.0 / 3 * log(1.0 / 3) + 2.0 / 3 * log(2.0 / 3)) / log(3.0)
        #expect(abs(s.normalisedEntropy - h) < 1e-12)
        #expect(try s.accuracy(requested: [0, 1, 2]) == 2.0 / 3)
        #expect(s.leastConfident(2) == [1, 2])
        #expect(throws: EvaluationError.self) { try PredictionSummary(probabilities: [0.5, 0.5, 0], classes: 2) }
    }
}

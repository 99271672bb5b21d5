import Testing
@testable import DNBEngine

/// sumRows (bias gradients) against a double-precision sum: blocks of 64 rows summed in float, threads'
/// shares in double. A 64-term float sum errs by at most ~64 · 6e-8 of the sum of magnitudes; the test
/// allows 1e-5 of Σ|x| per column, and a skipped, doubled or misaligned row errs by O(1/rows) of it or more.
struct SumRowsTests {
    @Test(arguments: [1, 63, 64, 65, 1_023, 5_000, 20_001])
    func matchesADoubleSum(rows: Int) {
        for (cols, ld) in [(1, 1), (3, 5), (17, 17), (64, 192)] {
            let m = randn([rows, ld], seed: UInt64(rows + cols))
            var into = (0..<cols).map { Float($0) * 0.5 }
            let before = into
            into.withUnsafeMutableBufferPointer { sumRows(m.data, rows: rows, cols: cols, ld: ld, into: $0.baseAddress!) }
            for j in 0..<cols {
                var exact = 0.0, magnitude = 0.0
                for r in 0..<rows { exact += Double(m.data[r * ld + j]); magnitude += Double(abs(m.data[r * ld + j])) }
                let err = abs(Double(into[j]) - (Double(before[j]) + exact))
                #expect(err <= 1e-5 * max(1, magnitude), "rows \(rows) cols \(cols) ld \(ld) column \(j): error \(err)")
            }
        }
    }
}

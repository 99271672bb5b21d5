/// numpy-style broadcasting of two shapes, reduced to an outer loop over
/// rows and a contiguous (or repeated-scalar) inner dimension.
struct Broadcast {
    let outShape: [Int]
    /// Element strides of each operand over `outShape` (0 where broadcast).
    let aStrides: [Int]
    let bStrides: [Int]

    init(_ op: String, _ a: [Int], _ b: [Int]) throws {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            guard pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1 else {
                throw EngineError.shapeMismatch(op: op, detail: "cannot broadcast \(describe(a)) with \(describe(b))")
            }
            out[i] = max(pa[i], pb[i])
        }
        outShape = out
        aStrides = Broadcast.strides(pa, out)
        bStrides = Broadcast.strides(pb, out)
    }

    static func strides(_ shape: [Int], _ out: [Int]) -> [Int] {
        var s = [Int](repeating: 0, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = shape[i] == 1 && out[i] != 1 ? 0 : acc
            acc *= shape[i]
        }
        return s
    }

    /// Calls `body(outOffset, aOffset, bOffset, n, aStep, bStep)` for each run of
    /// the innermost dimension.
    func forEachRun(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = outShape.count
        guard rank > 0 else { body(0, 0, 0, 1, 0, 0); return }
        let inner = outShape[rank - 1]
        let rows = outShape.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var ao = 0, bo = 0
        for r in 0..<rows {
            body(r * inner, ao, bo, inner, aStrides[rank - 1], bStrides[rank - 1])
            // odometer over the outer dimensions
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                ao += aStrides[d]; bo += bStrides[d]
                if index[d] < outShape[d] { break }
                ao -= aStrides[d] * outShape[d]; bo -= bStrides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

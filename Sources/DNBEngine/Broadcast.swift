import DNBSupport

/// numpy-style broadcasting of two shapes, coalesced for fast loops.
///
/// Size-1 output dimensions are dropped and neighbouring dimensions that are contiguous
/// for both operands (or broadcast for both) are merged, so the ResNet time-embedding
/// add [N, H, W, C] + [N, 1, 1, C] iterates as [N, H·W, C] with b's middle stride 0.
/// The innermost coalesced dimension has stride 1 or 0 (broadcast) for each operand.
struct Broadcast {
    let outShape: [Int]
    let count: Int
    /// Coalesced iteration space, outermost first (never empty).
    let dims: [Int]
    /// Element strides of each operand over `dims` (0 where broadcast).
    let aStrides: [Int]
    let bStrides: [Int]

    /// Elements per row (the innermost coalesced dimension) and the number of rows.
    var inner: Int { dims[dims.count - 1] }
    var rows: Int { count / inner }
    /// Stride of each operand along a row: 1, or 0 when the operand is broadcast there.
    var aStep: Int { aStrides[aStrides.count - 1] }
    var bStep: Int { bStrides[bStrides.count - 1] }

    init(_ op: String, _ a: [Int], _ b: [Int]) throws {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            guard pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1 else {
                throw EngineError.shapeMismatch(op: op, detail: "cannot broadcast \(describeShape(a)) with \(describeShape(b))")
            }
            out[i] = max(pa[i], pb[i])
        }
        outShape = out
        count = out.reduce(1, *)
        let sa = Broadcast.strides(pa, out), sb = Broadcast.strides(pb, out)
        var d: [Int] = [], ca: [Int] = [], cb: [Int] = []
        for i in 0..<rank where out[i] != 1 {
            if let last = d.indices.last, ca[last] == sa[i] * out[i], cb[last] == sb[i] * out[i] {
                d[last] *= out[i]
                ca[last] = sa[i]
                cb[last] = sb[i]
            } else {
                d.append(out[i]); ca.append(sa[i]); cb.append(sb[i])
            }
        }
        if d.isEmpty { d = [1]; ca = [0]; cb = [0] }
        dims = d
        aStrides = ca
        bStrides = cb
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

    /// Calls `body(outOffset, aOffset, bOffset)` for each row in `range` (rows in
    /// row-major order; a row is `inner` elements with steps `aStep`, `bStep`).
    @inline(__always)
    func forEachRow(_ range: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        let k = dims.count, n = inner
        guard k > 1 else {
            if range.contains(0) { body(0, 0, 0) }
            return
        }
        // Rows are grouped in blocks of the second-innermost dimension: block offsets are
        // computed once per block, rows within a block step by that dimension's strides.
        let m = dims[k - 2], sam = aStrides[k - 2], sbm = bStrides[k - 2]
        var r = range.lowerBound
        while r < range.upperBound {
            let block = r / m, j0 = r % m
            var ao = 0, bo = 0, rest = block
            var t = k - 3
            while t >= 0 {
                let i = rest % dims[t]
                rest /= dims[t]
                ao += i * aStrides[t]
                bo += i * bStrides[t]
                t -= 1
            }
            let j1 = min(m, j0 + (range.upperBound - r))
            for j in j0..<j1 { body((block * m + j) * n, ao + j * sam, bo + j * sbm) }
            r += j1 - j0
        }
    }
}

import Testing
@testable import DNBEngine

/// Backward kernels write an input's gradient when it has none yet (`AutogradMeta.gradTarget`, an
/// uninitialised buffer) and add into it otherwise; sums and reshapes hand their incoming gradient
/// over as it is (`addGradient`). For every such op: the fresh gradient, computed with the buffer
/// pool first stocked with NaN-filled buffers of the input's size (so a kernel that skips an element
/// leaves a NaN), must be finite, and a second backward onto a pre-set gradient G₀ must give G₀ + the
/// fresh gradient. Not to the last bit: kernels that add partial sums one by one (per thread, per chunk)
/// add them to G₀ in turn, ((G₀ + p₁) + p₂) against G₀ + (p₁ + p₂), a few float32 ulps of |G₀| + |g|,
/// hence 2e-6 relative to 1 + |G₀| + |g|; a gradient written instead of added errs by |G₀| ~ 1.
struct GradientTargetTests {
    /// Pre-fills the pool with NaN buffers of `count` floats, the next uninitialised allocations of that size.
    func poisonPool(count: Int) {
        let held = (0..<12).map { _ in Tensor(shape: [count], repeating: .nan) }
        withExtendedLifetime(held) {}
    }

    /// loss = mean(op(inputs) ⊙ r), backward; returns each input's gradient.
    func gradients(_ inputs: [Tensor], preset: [Tensor?], _ op: ([Tensor]) throws -> Tensor) throws -> [Tensor] {
        let xs = inputs.map { t -> Tensor in
            let c = t.copy()
            c.requiresGrad = true
            return c
        }
        for (x, p) in zip(xs, preset) { x.grad = p?.copy() }
        for x in xs where x.grad == nil { poisonPool(count: x.count) }
        let y = try op(xs)
        let r = randn(y.shape, seed: 99)
        try mean(try mul(y, r)).backward()
        return xs.map { $0.grad! }
    }

    func check(_ label: String, _ inputs: [Tensor], _ op: ([Tensor]) throws -> Tensor) throws {
        let fresh = try gradients(inputs, preset: inputs.map { _ in nil }, op)
        for (i, g) in fresh.enumerated() {
            let unwritten = g.scalars.filter { !$0.isFinite }.count
            #expect(unwritten == 0, "\(label): input \(i)'s fresh gradient has unwritten elements")
        }
        let g0 = inputs.enumerated().map { randn($0.element.shape, seed: 50 + UInt64($0.offset)) }
        let added = try gradients(inputs, preset: g0, op)
        for i in inputs.indices {
            var worst: Float = 0
            for j in 0..<fresh[i].count {
                let (a, b) = (g0[i].data[j], fresh[i].data[j])
                worst = max(worst, abs(added[i].data[j] - (a + b)) / (1 + abs(a) + abs(b)))
            }
            #expect(worst <= 2e-6, "\(label): input \(i) with a gradient already there")
        }
    }

    @Test(arguments: [(3, 1, 1, 4), (3, 1, 1, 2), (3, 1, 1, 0), (3, 2, 1, 4), (1, 1, 0, 4)])
    func conv2d(k: Int, stride: Int, pad: Int, tile: Int) throws {
        let path = ConvPath(fastKernels: true, winogradTile: tile)
        for (h, w) in [(7, 5), (8, 8), (1, 3)] where h + 2 * pad >= k && w + 2 * pad >= k {
            let x = randn([2, h, w, 3], seed: 1), wt = randn([k, k, 3, 5], seed: 2), b = randn([5], seed: 3)
            try check("conv \(k)×\(k) s\(stride) p\(pad) F(\(tile),3) \(h)×\(w)", [x, wt, b]) {
                try DNBEngine.conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: pad, path: path)
            }
        }
        try check("conv reference", [randn([2, 5, 5, 3], seed: 4), randn([3, 3, 3, 2], seed: 5)]) {
            try DNBEngine.conv2d($0[0], weight: $0[1], bias: nil, stride: 1, padding: 1, path: .reference)
        }
    }

    @Test func elementwise() throws {
        let a = randn([3, 4, 5], seed: 1), b = randn([3, 4, 5], seed: 2)
        try check("add", [a, b]) { try add($0[0], $0[1]) }
        try check("sub", [a, b]) { try sub($0[0], $0[1]) }
        try check("mul", [a, b]) { try mul($0[0], $0[1]) }
        // One input on both sides: its two contributions must add, not share one buffer.
        try check("x + x", [a]) { try add($0[0], $0[0]) }
        try check("x - x + x", [a]) { try add(try sub($0[0], $0[0]), $0[0]) }
        try check("x · x", [a]) { try mul($0[0], $0[0]) }
        for small in [[3, 1, 5], [1, 1, 5], [3, 4, 1], [1]] {
            let s = randn(small, seed: 3)
            try check("add \(small)", [a, s]) { try add($0[0], $0[1]) }
            try check("sub \(small), broadcast first", [s, a]) { try sub($0[0], $0[1]) }
            try check("mul \(small)", [a, s]) { try mul($0[0], $0[1]) }
        }
        try check("scale", [a]) { try scale($0[0], -2.5) }
        try check("silu", [a]) { try silu($0[0]) }
        try check("reshape", [a]) { try $0[0].reshaped([12, 5]) }
        try check("reshape, then used again", [a]) { try add(try $0[0].reshaped([3, 20]).reshaped([3, 4, 5]), $0[0]) }
    }

    @Test func layers() throws {
        let x = randn([2, 4, 3, 8], seed: 1)
        for fused in [false, true] {
            try check("group norm, SiLU \(fused)", [x, randn([8], seed: 2), randn([8], seed: 3)]) {
                try groupNorm($0[0], groups: 4, weight: $0[1], bias: $0[2], fusedSiLU: fused)
            }
        }
        try check("concat", [x, randn([2, 4, 3, 5], seed: 4)]) { try concatChannels($0[0], $0[1]) }
        try check("upsample", [x]) { try upsampleNearest2x($0[0]) }
        try check("linear", [randn([7, 6], seed: 5), randn([4, 6], seed: 6), randn([4], seed: 7)]) {
            try linear($0[0], weight: $0[1], bias: $0[2])
        }
    }
}

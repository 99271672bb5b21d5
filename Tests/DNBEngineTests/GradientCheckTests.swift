import Testing
@testable import DNBEngine

/// Finite-difference checks of every differentiable op.
///
/// Tolerances: with float32 forward passes, h = 1e-2 and O(1) inputs, the central
/// difference carries about 1e-7·|L|/h ≈ 1e-4 rounding error plus h²·f''' truncation
/// (zero for the linear ops, ≲ 1e-4 for the smooth ones), so 2e-3 relative
/// catches any wrong term (a missing factor or transposed index errs by O(1))
/// without flaking.
struct GradientCheckTests {
    let tolerance = 2e-3
    func check(_ inputs: [Tensor], _ f: ([Tensor]) throws -> Tensor) throws {
        let result = try GradientCheck().run(inputs: inputs, f)
        #expect(result.maxError < tolerance, "\(result)")
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (3, 2, 0), (3, 1, 0)])
    func conv2d(kernel: Int, stride: Int, padding: Int) throws {
        let x = randn([2, 7, 7, 3], seed: 1), w = randn([kernel, kernel, 3, 4], seed: 2), b = randn([4], seed: 3)
        try check([x, w, b]) { try DNBEngine.conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding) }
    }

    @Test func linear() throws {
        try check([randn([3, 2, 5], seed: 4), randn([6, 5], seed: 5), randn([6], seed: 6)]) {
            try DNBEngine.linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    @Test(arguments: [false, true])
    func groupNorm(fused: Bool) throws {
        let x = randn([2, 3, 3, 8], seed: 7), w = randn([8], seed: 8), b = randn([8], seed: 9)
        try check([x, w, b]) { try DNBEngine.groupNorm($0[0], groups: 4, weight: $0[1], bias: $0[2], eps: 1e-5, fusedSiLU: fused) }
    }

    @Test func silu() throws { try check([randn([4, 5], seed: 10)]) { try DNBEngine.silu($0[0]) } }

    @Test func upsample() throws { try check([randn([2, 3, 2, 4], seed: 11)]) { try upsampleNearest2x($0[0]) } }

    @Test func concat() throws {
        try check([randn([2, 3, 3, 2], seed: 12), randn([2, 3, 3, 5], seed: 13)]) { try concatChannels($0[0], $0[1]) }
    }

    @Test func broadcastArithmetic() throws {
        let x = randn([2, 3, 3, 4], seed: 14), bias = randn([2, 1, 1, 4], seed: 15)
        try check([x, bias]) { try add($0[0], $0[1]) }
        try check([x, bias]) { try mul($0[0], $0[1]) }
        try check([x, randn([4], seed: 16)]) { try sub($0[0], $0[1]) }
        try check([x, randn([2, 3, 3, 4], seed: 17)]) { try mul($0[0], $0[1]) }
        try check([x]) { try scale($0[0], 0.7) }
    }

    @Test func softmax() throws { try check([randn([3, 7], seed: 18)]) { try DNBEngine.softmax($0[0]) } }

    @Test func bmm() throws {
        try check([randn([3, 4, 5], seed: 19), randn([3, 5, 2], seed: 20)]) { try DNBEngine.bmm($0[0], $0[1]) }
    }

    @Test func attention() throws {
        try check([randn([2, 5, 8], seed: 21), randn([2, 5, 8], seed: 22), randn([2, 5, 8], seed: 23)]) {
            try scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], heads: 2)
        }
    }

    @Test func reductions() throws {
        try check([randn([3, 4], seed: 24)]) { try mean($0[0]) }
        try check([randn([3, 4], seed: 25), randn([3, 4], seed: 26)]) { try mseLoss($0[0], $0[1]) }
        try check([randn([3, 2, 2], seed: 30), randn([3, 2, 2], seed: 31)]) { try mseLoss($0[0], $0[1], sampleWeights: [0.5, 2, 0]) }
    }

    /// (F.mse_loss(p, t, reduction="none").mean((1, 2)) * w).mean(), as diffusers' scripts weight by timestep;
    /// equal weights give the plain MSE. Both sums are small and exact enough in float32 for 1e-6.
    @Test func sampleWeightedMSE() throws {
        let p = try Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4]), t = try Tensor(shape: [2, 1, 2], scalars: [0, 0, 1, 1])
        // per-sample means: (1 + 4) / 2 = 2.5 and (4 + 9) / 2 = 6.5; weighted: (0.5·2.5 + 2·6.5) / 2 = 7.125
        #expect(abs(try mseLoss(p, t, sampleWeights: [0.5, 2]).item - 7.125) < 1e-6)
        #expect(abs(try mseLoss(p, t, sampleWeights: [1, 1]).item - (try mseLoss(p, t)).item) < 1e-6)
        #expect(throws: EngineError.self) { try mseLoss(p, t, sampleWeights: [1]) }
    }

    @Test func reshape() throws {
        try check([randn([2, 6], seed: 27)]) { try DNBEngine.silu($0[0].reshaped([3, 4])) }
    }

    @Test func composedGraphReusesATensor() throws {
        // x feeds two branches: gradients from both must add up.
        try check([randn([2, 2, 2, 4], seed: 28), randn([3, 3, 4, 4], seed: 29)]) { t in
            let h = try DNBEngine.conv2d(t[0], weight: t[1], bias: nil, stride: 1, padding: 1)
            return try add(try DNBEngine.silu(h), t[0])
        }
    }

    @Test func nonFiniteOutputIsAnErrorNotACrash() throws {
        let x = try Tensor(shape: [2], scalars: [1, .nan])
        #expect(throws: EngineError.self) { try GradientCheck().run(inputs: [x]) { try DNBEngine.silu($0[0]) } }
    }
}

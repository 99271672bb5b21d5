import Testing
@testable import DNBEngine

/// The ops dnb's classifier adds to the engine (ReLU, max pooling, cross-entropy): forward and
/// backward against PyTorch (tools/make_classifier_fixtures.py, tolerances as PyTorchFixtureTests
/// argues: the same terms summed in another order stay within 1e-5), against finite differences
/// (tolerance as GradientCheckTests argues), and on bad input.
struct ClassifierOpsTests {
    let fixtures = PyTorchFixtureTests()

    // y = F.relu(x)
    @Test func reluMatchesPyTorch() throws {
        let f = try fixtures.fixture("relu")
        try fixtures.expectForwardAndGradients(["x"], "relu ", load: { try fixtures.nhwc(f, $0) }) { try relu($0[0]) }
    }

    // y = F.max_pool2d(x, kernel_size=2, stride=2), with a tie and an odd width
    @Test func maxPoolMatchesPyTorch() throws {
        let f = try fixtures.fixture("max_pool2d")
        try fixtures.expectForwardAndGradients(["x"], "max_pool2d ", load: { try fixtures.nhwc(f, $0) }) { try maxPool2d($0[0]) }
    }

    // y = F.cross_entropy(logits, labels); y.backward(gy) with a 0-d gy
    @Test func crossEntropyMatchesPyTorch() throws {
        let f = try fixtures.fixture("cross_entropy")
        let logits = try fixtures.plain(f, "logits")
        logits.requiresGrad = true
        let labels = try f.entry("labels").int64s().map { Int($0) }
        let y = try crossEntropy(logits, labels: labels)
        let expected = try f.floats("y")[0]
        #expect(abs(y.item - expected) <= 1e-5 * (1 + abs(expected)))
        try y.backward(seed: try Tensor(shape: [], scalars: try f.floats("gy")))
        fixtures.expectClose(try #require(logits.grad), try fixtures.plain(f, "dlogits"), "dlogits")
    }

    /// Inputs spaced 0.05 apart in a shuffled order, all at least 0.025 from zero: a ±0.01 probe
    /// never changes a window's maximum or a ReLU's sign, where the ops are not differentiable.
    func spaced(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let count = shape.reduce(1, *), order = rng.permutation(count)
        let t = Tensor(uninitialized: shape)
        for i in 0..<count { t.data[i] = Float(order[i] - count / 2) * 0.05 + 0.025 }
        return t
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let check = GradientCheck()
        let pool = try check.run(inputs: [spaced([2, 5, 4, 3], seed: 1)]) { try maxPool2d($0[0]) }
        #expect(pool.maxError < 2e-3, "\(pool)")
        let r = try check.run(inputs: [spaced([3, 7], seed: 2)]) { try relu($0[0]) }
        #expect(r.maxError < 2e-3, "\(r)")
        let ce = try check.run(inputs: [randn([4, 5], seed: 3, scale: 2)]) { try crossEntropy($0[0], labels: [0, 4, 2, 2]) }
        #expect(ce.maxError < 2e-3, "\(ce)")
    }

    @Test func badInputIsAnErrorNotACrash() throws {
        #expect(throws: EngineError.self) { try crossEntropy(randn([2, 3], seed: 1), labels: [0, 3]) }
        #expect(throws: EngineError.self) { try crossEntropy(randn([2, 3], seed: 1), labels: [0]) }
        #expect(throws: EngineError.self) { try crossEntropy(randn([2, 3, 1], seed: 1), labels: [0, 1]) }
        #expect(throws: EngineError.self) { try maxPool2d(randn([1, 1, 5, 2], seed: 1), kernel: 3) }
        #expect(throws: EngineError.self) { try maxPool2d(randn([4, 4], seed: 1)) }
        #expect(throws: EngineError.self) { try maxPool2d(randn([1, 4, 4, 1], seed: 1), kernel: 0) }
    }
}

/// Finite-difference verification of an op's backward pass.
///
/// The scalar probed is L(x) = Σ f(x) ⊙ R for a fixed random R, evaluated in
/// double from float32 outputs; the numerical derivative is the central
/// difference (L(x + h) − L(x − h)) / 2h at a sample of coordinates.
public struct GradientCheck {
    public struct Result: CustomStringConvertible {
        /// Largest |numerical − analytical| / max(1, |numerical|) over the sampled coordinates.
        public let maxError: Double
        public let worst: String
        public var description: String { "max error \(maxError) at \(worst)" }
    }

    public var step: Float = 1e-2
    public var samplesPerInput = 24
    public var seed: UInt64 = 1

    public init(step: Float = 1e-2, samplesPerInput: Int = 24, seed: UInt64 = 1) {
        self.step = step
        self.samplesPerInput = samplesPerInput
        self.seed = seed
    }

    public func run(inputs: [Tensor], _ f: ([Tensor]) throws -> Tensor) throws -> Result {
        var rng = RandomGenerator(seed: seed)
        for t in inputs { t.requiresGrad = true; t.grad = nil }
        let out = try f(inputs)
        let r = rng.normalTensor(out.shape)
        try out.backward(seed: r)
        func probe() throws -> Double {
            let y = try withNoGrad { try f(inputs) }
            var s = 0.0
            for i in 0..<y.count {
                guard y.data[i].isFinite else { throw EngineError.nonFinite("output \(i) of the probed function") }
                s += Double(y.data[i]) * Double(r.data[i])
            }
            return s
        }
        var worst = (0.0, "nothing")
        for (k, x) in inputs.enumerated() {
            guard let g = x.grad else { throw EngineError.notDifferentiable("input \(k) received no gradient") }
            let picks = x.count <= samplesPerInput ? Array(0..<x.count) : try (0..<samplesPerInput).map { _ in try rng.randint(below: x.count) }
            for i in picks {
                let saved = x.data[i]
                x.data[i] = saved + step
                let plus = try probe()
                x.data[i] = saved - step
                let minus = try probe()
                x.data[i] = saved
                let numerical = (plus - minus) / (2 * Double(step))
                let analytical = Double(g.data[i])
                guard analytical.isFinite else { throw EngineError.nonFinite("gradient of input \(k) at \(i)") }
                let err = abs(numerical - analytical) / max(1, abs(numerical))
                if err > worst.0 { worst = (err, "input \(k)[\(i)]: numerical \(numerical), analytical \(analytical)") }
            }
        }
        return Result(maxError: worst.0, worst: worst.1)
    }
}

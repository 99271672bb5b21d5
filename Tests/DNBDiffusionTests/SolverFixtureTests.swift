import Foundation
import Testing
import DNBEngine
@testable import DNBDiffusion

/// DPMSolverMultistepScheduler and EulerDiscreteScheduler against diffusers 0.32.2
/// (tools/make_diffusion_fixtures.py solvers; the configs are its SOLVER_CONFIGS).
struct SolverFixtureTests {
    static var configs: [String: [String: Any]] { [
        "dpm.default": [:],
        "dpm.karras": ["use_karras_sigmas": true],
        "dpm.order1": ["solver_order": 1],
        "dpm.heun": ["solver_type": "heun"],
        "dpm.sigma_min": ["final_sigmas_type": "sigma_min"],
        "dpm.no_lower_order_final": ["lower_order_final": false, "final_sigmas_type": "sigma_min"],
        "dpm.euler_at_final": ["euler_at_final": true, "final_sigmas_type": "sigma_min"],
        "dpm.v_prediction": ["prediction_type": "v_prediction"],
        "dpm.sample": ["prediction_type": "sample"],
        "dpm.leading": ["timestep_spacing": "leading", "steps_offset": 1],
        "dpm.trailing": ["timestep_spacing": "trailing"],
        "dpm.cosine": ["beta_schedule": "squaredcos_cap_v2"],
        "dpm.thresholding": ["thresholding": true],
        "dpm.thresholding_quantile": ["thresholding": true, "prediction_type": "sample", "sample_max_value": 3.0, "dynamic_thresholding_ratio": 0.9],
        "euler.default": [:],
        "euler.karras": ["use_karras_sigmas": true],
        "euler.sigma_min": ["final_sigmas_type": "sigma_min"],
        "euler.v_prediction": ["prediction_type": "v_prediction"],
        "euler.sample": ["prediction_type": "sample"],
        "euler.leading": ["timestep_spacing": "leading", "steps_offset": 1],
        "euler.trailing": ["timestep_spacing": "trailing"],
    ] }
    static let stepCounts = [1, 2, 3, 5, 10, 15, 20, 50]

    let f = try! SafetensorsFile.read(DiffusersFixtureTests.directory.appendingPathComponent("solvers.safetensors"))

    func make(_ name: String) throws -> DenoisingScheduler {
        var config = SchedulerConfig.defaults(for: String(name.split(separator: ".")[0]))
        for (key, value) in Self.configs[name] ?? [:] {
            guard let k = SchedulerConfig.keys.first(where: { $0.name == key }) else { throw SchedulerError.invalid("no key \(key)") }
            try k.set(value, in: &config)
        }
        return name.hasPrefix("dpm.") ? try DPMSolverMultistepScheduler(config: config) : try EulerDiscreteScheduler(config: config)
    }

    func nhwc(_ name: String) throws -> Tensor {
        let e = try f.entry(name)
        return try Layout.nhwc(fromNCHW: try e.floats(), shape: e.shape)
    }

    /// max |a − b| / (1 + max |b|).
    func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let scale = 1 + b.scalars.map(abs).max()!
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / scale
    }

    func sigmas(_ s: DenoisingScheduler) -> [Float] {
        (s as? DPMSolverMultistepScheduler)?.sigmas ?? (s as? EulerDiscreteScheduler)?.sigmas ?? []
    }

    // s = cls(**config); s.set_timesteps(n): timesteps exactly (integers, or float32 for Euler), except Euler's Karras
    // timesteps (fractional, from interpolating float32 log σ's): within 2 float32 ulps below 1024 (1.25e-4), as numpy's
    // SIMD float32 log and glibc's logf round a few log σ's one ulp apart (measured: 1 ulp); σ's within 2 float32
    // ulps (2.4e-7 relative): the non-Karras σ's are the float32 table's own values, Karras' are float64 pow()s rounded
    // once to float32, where a 1-ulp difference between libm's and numpy's pow can move the rounding by one ulp.
    @Test(arguments: configs.keys.sorted()) func timestepsAndSigmas(_ name: String) throws {
        for n in Self.stepCounts {
            let s = try make(name)
            try s.setTimesteps(n)
            let expectedTimesteps = try f.floats("\(name).\(n).timesteps")
            #expect(s.modelTimesteps.count == expectedTimesteps.count, "\(name) n = \(n)")
            for (a, e) in zip(s.modelTimesteps, expectedTimesteps) {
                #expect(name == "euler.karras" ? abs(a - e) <= 1.25e-4 : a == e, "\(name) n = \(n): timestep \(a) vs \(e)")
            }
            let expected = try f.floats("\(name).\(n).sigmas"), actual = sigmas(s)
            #expect(actual.count == expected.count, "\(name) n = \(n)")
            for (a, e) in zip(actual, expected) { #expect(abs(a - e) <= 2.4e-7 * abs(e), "\(name) n = \(n): σ \(a) vs \(e)") }
        }
    }

    // Steps given chain.output.i and the previous step's sample, n = 5 (lower-order final steps) and n = 20
    // (the second-order path throughout). Tolerance 2e-6 relative to 1 + max |x|: each step is ~10 float32 operations
    // (≤ 6e-8 relative each) on coefficients from log/exp that libm and torch may round 1 ulp apart, so 20 steps could
    // compound to ~1e-5 in the worst case; measured at most 5.8e-7 over all configs (float32 vs torch float32), and a
    // wrong coefficient or a missed order switch moves a step by ≥ 1e-3.
    @Test(arguments: configs.keys.sorted()) func stepsWithSuppliedModelOutputs(_ name: String) throws {
        for n in [5, 20] {
            let s = try make(name)
            try s.setTimesteps(n)
            var x = try nhwc("chain.sample"), rng = RandomGenerator(seed: 0)
            for (i, t) in s.timesteps.enumerated() {
                _ = try s.scaleModelInput(x, index: i)
                x = try s.denoise(modelOutput: try nhwc("chain.output.\(i)"), timestep: t, sample: x, rng: &rng).prev
                let error = relativeError(x, try nhwc("\(name).chain\(n).\(i)"))
                #expect(error <= 2e-6, "\(name) n = \(n) step \(i): relative error \(error)")
            }
        }
    }

    // The loop (init_noise_sigma, scale_model_input, the model's timestep) with the model 0.1 · input + 0.001 · t, 10 steps.
    // Same tolerance as the steps: 10 steps of the same arithmetic plus the model's two operations.
    @Test(arguments: configs.keys.sorted()) func fullLoopWithAFixedModel(_ name: String) throws {
        var rng = RandomGenerator(seed: 0)
        let end = try denoiseLoop(scheduler: try make(name), start: try nhwc("loop.start"), steps: 10, rng: &rng) { input, t in
            let out = Tensor(uninitialized: input.shape)
            for i in 0..<input.count { out.data[i] = 0.1 * input.data[i] + 0.001 * t }
            return out
        }
        let error = relativeError(end, try nhwc("\(name).loop"))
        #expect(error <= 2e-6, "\(name): relative error \(error)")
    }

    @Test func dpmSolverRefusesBadUse() throws {
        let s = try DPMSolverMultistepScheduler()
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.zeros([1, 2, 2, 1])
        #expect(throws: SchedulerError.self) { try s.denoise(modelOutput: x, timestep: 999, sample: x, rng: &rng) }  // no setTimesteps
        try s.setTimesteps(3)
        #expect(throws: SchedulerError.self) { try s.denoise(modelOutput: x, timestep: 500, sample: x, rng: &rng) }  // not a timestep
        #expect(throws: SchedulerError.self) { try s.setTimesteps(0) }
        #expect(throws: SchedulerError.self) { try DPMSolverMultistepScheduler(solverOrder: 3) }
        for t in s.timesteps { _ = try s.denoise(modelOutput: x, timestep: t, sample: x, rng: &rng) }
        #expect(throws: SchedulerError.self) { try s.denoise(modelOutput: x, timestep: 0, sample: x, rng: &rng) }  // past the end
    }

    @Test func eulerRefusesBadUseAndStartsFromSigmaMax() throws {
        let s = try EulerDiscreteScheduler()
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.zeros([1, 2, 2, 1])
        #expect(throws: SchedulerError.self) { try s.denoise(modelOutput: x, timestep: 999, sample: x, rng: &rng) }
        try s.setTimesteps(15)
        // linspace timesteps are fractional (999 · 13/14 = 927.64…); the model sees them, `timesteps` rounds them.
        #expect(s.modelTimesteps[1] == Float(999.0 * 13 / 14) && s.timesteps[1] == 928)
        #expect(s.initNoiseSigma == s.sigmas[0] && s.sigmas[0] > 150, "σ_max of the linear schedule is √((1 − ᾱ₉₉₉)/ᾱ₉₉₉) ≈ 157")
        #expect(throws: SchedulerError.self) { try s.denoise(modelOutput: x, timestep: 927, sample: x, rng: &rng) }
        #expect(throws: SchedulerError.self) { try s.scaleModelInput(x, index: 16) }
        #expect(throws: SchedulerError.self) { try s.setTimesteps(1001) }
    }
}

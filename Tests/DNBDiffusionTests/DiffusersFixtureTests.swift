import Foundation
import Testing
import DNBTestSupport
import DNBEngine
@testable import DNBDiffusion

/// dnb against diffusers 0.32.2 (fixtures from tools/make_diffusion_fixtures.py).
struct DiffusersFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    func fixture(_ name: String) throws -> SafetensorsFile { try SafetensorsFile.read(Self.directory.appendingPathComponent(name)) }
    func nhwc(_ f: SafetensorsFile, _ name: String) throws -> Tensor {
        let e = try f.entry(name)
        return try Layout.nhwc(fromNCHW: try e.floats(), shape: e.shape)
    }

    func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i])) }
        return m
    }

    // DDPMScheduler(beta_schedule=s).betas / .alphas_cumprod
    // Exact equality: the same float32 linspace/cumprod arithmetic.
    @Test func scheduleTables() throws {
        let f = try fixture("scheduler_tables.safetensors")
        for s in BetaSchedule.allCases {
            let schedule = try NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: s)
            #expect(schedule.betas == (try f.floats("\(s.rawValue).betas")), "\(s) betas")
            #expect(schedule.alphasCumprod == (try f.floats("\(s.rawValue).alphas_cumprod")), "\(s) alphas_cumprod")
        }
        let other = try NoiseSchedule(trainTimesteps: 500, betaStart: 0.00085, betaEnd: 0.012, schedule: .scaledLinear)
        #expect(other.alphasCumprod == (try f.floats("scaled_linear_500.alphas_cumprod")))
    }

    // s = cls(timestep_spacing=…, steps_offset=…); s.set_timesteps(n); s.timesteps.tolist()
    @Test func timestepsForEverySpacing() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("scheduler_timesteps.json"))
        let table = try JSONSerialization.jsonObject(with: data) as! [String: [Int]]
        #expect(table.count > 90)
        for (key, expected) in table {
            let parts = key.split(separator: ".")
            let spacing = TimestepSpacing(rawValue: String(parts[1]))!, offset = Int(parts[2])!, n = Int(parts[3])!
            let actual: [Int]
            if parts[0] == "DDPMScheduler" {
                let s = try DDPMScheduler(timestepSpacing: spacing, stepsOffset: offset)
                try s.setTimesteps(n)
                actual = s.timesteps
            } else {
                let s = try DDIMScheduler(timestepSpacing: spacing, stepsOffset: offset)
                try s.setTimesteps(n)
                actual = s.timesteps
            }
            #expect(actual == expected, "\(key)")
        }
    }

    // DDPMScheduler().add_noise(x, noise, t)
    // Tolerance 1e-6: √ᾱ·x + √(1−ᾱ)·n in float32, same order; allows one rounding of each product.
    @Test func addNoise() throws {
        let f = try fixture("scheduler_steps.safetensors")
        let t = try f.floats("add_noise.t").map { Int($0) }
        let y = try DDPMScheduler().addNoise(try nhwc(f, "add_noise.x"), noise: try nhwc(f, "add_noise.noise"), timesteps: t)
        #expect(maxAbsDifference(y, try nhwc(f, "add_noise.y")) <= 1e-6)
    }

    /// One step's pred_original_sample and prev_sample against the fixture's `<base>.x0` and `<base>.prev`
    /// (`key`), within 2e-6 × (1 + the largest value).
    func expectStep(x0: Tensor, prev: Tensor, _ f: SafetensorsFile, _ key: String,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let base = key.dropLast(5)
        for (actual, name) in [(x0, base + ".x0"), (prev, key)] {
            let expected = try nhwc(f, name)
            let bound = 2e-6 * (1 + expected.scalars.map(abs).max()!)
            #expect(maxAbsDifference(actual, expected) <= bound, "\(name)", sourceLocation: sourceLocation)
        }
    }

    // s.step(model_output, t, sample, generator=Generator().manual_seed(7)) with the same noise supplied.
    // Tolerance 2e-6 abs: a handful of float32 operations on values of size ≤ 10 (x0 divides by √ᾱ ≥ 0.006 at t = 980 only in DDIM;
    // there the bound is relative).
    @Test func ddpmStep() throws {
        let f = try fixture("scheduler_steps.safetensors")
        let out = try nhwc(f, "step.model_output"), sample = try nhwc(f, "step.sample"), noise = try nhwc(f, "step.variance_noise")
        var rng = RandomGenerator(seed: 0)
        var checked = 0
        for key in f.names where key.hasPrefix("ddpm.") && key.hasSuffix(".prev") {
            let p = key.split(separator: ".")
            let s = try DDPMScheduler(predictionType: PredictionType(rawValue: String(p[1]))!,
                                      varianceType: DDPMScheduler.VarianceType(rawValue: String(p[2]))!, clipSample: p[3] == "1")
            if p[4] != "None" { try s.setTimesteps(Int(p[4])!) }
            let r = try s.step(modelOutput: out, timestep: Int(p[5])!, sample: sample, noise: noise, rng: &rng)
            try expectStep(x0: r.predOriginalSample, prev: r.prevSample, f, key)
            checked += 1
        }
        #expect(checked == 72)
    }

    // DDIMScheduler(prediction_type, clip_sample).step(out, t, sample, eta, variance_noise=noise)
    @Test func ddimStep() throws {
        let f = try fixture("scheduler_steps.safetensors")
        let out = try nhwc(f, "step.model_output"), sample = try nhwc(f, "step.sample"), noise = try nhwc(f, "step.variance_noise")
        var rng = RandomGenerator(seed: 0)
        var checked = 0
        for key in f.names where key.hasPrefix("ddim.") && key.hasSuffix(".prev") {
            // ddim.<pred>.<eta>.<clip>.<n>.<t>.prev where eta is "0.0" or "0.5"
            let p = key.split(separator: ".")
            let eta = Float("\(p[2]).\(p[3])")!
            let s = try DDIMScheduler(predictionType: PredictionType(rawValue: String(p[1]))!, clipSample: p[4] == "1")
            try s.setTimesteps(Int(p[5])!)
            let r = try s.step(modelOutput: out, timestep: Int(p[6])!, sample: sample, eta: eta, noise: noise, rng: &rng)
            try expectStep(x0: r.predOriginalSample, prev: r.prevSample, f, key)
            checked += 1
        }
        #expect(checked == 48)
    }

    @Test func stepWithATimestepOutsideTheScheduleIsAnError() throws {
        let s = try DDPMScheduler()
        try s.setTimesteps(7)
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.zeros([1, 2, 2, 1])
        #expect(throws: SchedulerError.self) { try s.step(modelOutput: x, timestep: 429, sample: x, rng: &rng) }
        #expect(throws: SchedulerError.self) { try s.setTimesteps(1001) }
    }

    // model = UNet2DModel(**SMALL_CONFIG) with synthetic weights, saved by save_pretrained;
    // pred = model(noisy, t, class_labels).sample; loss = F.mse_loss(pred, noise); loss.backward(); Adam(lr=1e-3).step()
    @Test func smallUNetForwardGradientsAndAdamStep() throws {
        let model = try ModelFolder.load(Self.directory.appendingPathComponent("small_unet"))
        let f = try fixture("small_unet_step.safetensors")
        let noisy = try nhwc(f, "noisy"), noise = try nhwc(f, "noise")
        let t = try f.floats("t"), labels = try f.floats("labels").map { Int($0) }
        let pred = try model(noisy, timesteps: t, classLabels: labels)
        // Forward: 1e-5 abs; the outputs are O(1) and the network is ~40 layers of float32 sums of ≤ 100 terms.
        #expect(maxAbsDifference(pred, try nhwc(f, "pred")) <= 1e-5)
        let loss = try mseLoss(pred, noise)
        #expect(abs(loss.item - (try f.floats("loss"))[0]) <= 1e-6 * (try f.floats("loss"))[0] * 10)
        try loss.backward()
        // Gradients: 1e-3 relative to each tensor's largest gradient, checked per parameter (float32 sums over
        // a batch differ in order from PyTorch's; bench/README.md's convolution table has 3e-7–5e-6 per layer).
        // The key projections' biases have an exactly zero gradient (softmax ignores a shift shared by all keys):
        // both sides hold rounding noise below 1e-7 there, so those are checked in absolute terms.
        var zeroGradient: Set<String> = []
        for p in model.parameters.parameters {
            let e = try f.entry("grad." + p.name)
            let expected = try Layout.internalTensor(try e.floats(), externalShape: e.shape, layout: p.layout)
            let scale = expected.scalars.map(abs).max()!
            if p.name.hasSuffix("to_k.bias") {
                zeroGradient.insert(p.name)
                #expect(scale < 1e-7 && maxAbsDifference(p.tensor.grad!, expected) < 1e-7, "grad \(p.name) should vanish")
                continue
            }
            let err = maxAbsDifference(p.tensor.grad!, expected) / scale
            #expect(err <= 1e-3, "grad \(p.name): relative error \(err)")
        }
        let adam = Adam(parameters: model.parameters.tensors, lr: 1e-3)
        let ours = model.parameters.parameters.map { $0.tensor.grad!.scalars }
        adam.update()
        // After one Adam step each parameter moves by Δ = lr·g/(|g| + eps) ≈ lr·sign(g): compare at 1e-6 abs
        // (1/1000 of the step) plus what the gradients' own difference explains. Where |g| is near eps
        // (1e-8), Δ turns steep, dΔ/dg = lr·eps/(|g| + eps)²: an element with g ≈ 1e-7 moves by 2e-6 for a
        // gradient difference of 3e-9 (seen with Winograd F(4,3) in mid_block to_k.weight). So each element
        // is allowed 1e-6 + lr·eps·|δg|/(min(|g|, |g'|) + eps)², δg the measured gradient difference.
        // (The key biases' gradients are pure rounding noise, which Adam turns into full-size steps: skipped.)
        for (p, grad) in zip(model.parameters.parameters, ours) where !zeroGradient.contains(p.name) {
            let e = try f.entry("after." + p.name), ge = try f.entry("grad." + p.name)
            let expected = try Layout.internalTensor(try e.floats(), externalShape: e.shape, layout: p.layout)
            let theirs = try Layout.internalTensor(try ge.floats(), externalShape: ge.shape, layout: p.layout).scalars
            var worst: Float = 0
            for i in 0..<grad.count {
                let g = min(abs(grad[i]), abs(theirs[i])) + adam.eps
                let allowed = 1e-6 + adam.lr * adam.eps * abs(grad[i] - theirs[i]) / (g * g)
                worst = max(worst, abs(p.tensor.data[i] - expected.data[i]) / allowed)
            }
            #expect(worst <= 1, "after \(p.name): \(worst) × the allowed difference")
        }
    }

    // The tutorial config, every weight from synthetic_value() (tools/make_diffusion_fixtures.py); model(x, [17, 803]).sample
    // Within 1e-4 max abs of PyTorch float32: ~20 convolutions of O(1) outputs, each within 2.6e-5 of float64 with
    // Winograd F(4,3) (bench/README.md, "Numerical error"), whose errors mostly average out through group norm.
    // Measured 8.0e-6 with F(4,3) (the default), 3.4e-6 with F(2,3).
    @Test func tutorialUNetForward() throws {
        let model = try UNet2DModel(config: .tutorial)
        try fillSynthetic(model)
        let f = try fixture("tutorial_unet.safetensors")
        let y = try withNoGrad { try model(try nhwc(f, "x"), timesteps: try f.floats("t")) }
        let err = maxAbsDifference(y, try nhwc(f, "y"))
        #expect(err <= 1e-4, "max abs error \(err)")
    }

    // keys_unet_fixture() in tools/make_diffusion_fixtures.py: a folder that sets every UNet2DModel key dnb reads beyond
    // the tutorial's (attn_norm_num_groups 2 ≠ norm_num_groups 4, time_embedding_dim 24, flip_sin_to_cos false,
    // freq_shift 1, mid_block_scale_factor 1.5, center_input_sample, norm_eps 1e-4), loaded from diffusers'
    // save_pretrained. 1e-5 abs, as the small UNet above: O(1) outputs of ~20 float32 layers.
    @Test func everySettableConfigKeyMatchesDiffusers() throws {
        let model = try ModelFolder.load(Self.directory.appendingPathComponent("keys_unet"))
        #expect(model.config.attnNormNumGroups == 2 && model.config.timeEmbeddingDim == 24)
        let f = try fixture("keys_unet.safetensors")
        let y = try withNoGrad { try model(try nhwc(f, "x"), timesteps: try f.floats("t")) }
        let err = maxAbsDifference(y, try nhwc(f, "y"))
        #expect(err <= 1e-5, "max abs error \(err)")
    }

    @Test func savedFolderLoadsBackIdentically() throws {
        let scratch = try TemporaryDirectory()
        let dir = scratch.url.appendingPathComponent("folder")
        let model = try ModelFolder.load(Self.directory.appendingPathComponent("small_unet"))
        try ModelFolder.save(model, to: dir)
        let again = try ModelFolder.load(dir)
        #expect(again.config == model.config)
        for (a, b) in zip(model.parameters.parameters, again.parameters.parameters) {
            #expect(a.name == b.name && a.tensor.scalars == b.tensor.scalars)
        }
    }

    @Test func mismatchedWeightsAreClearErrors() throws {
        let scratch = try TemporaryDirectory()
        let dir = scratch.url.appendingPathComponent("bad")
        let model = try ModelFolder.load(Self.directory.appendingPathComponent("small_unet"))
        try ModelFolder.save(model, to: dir)
        // Same names, another input width: conv_in's shape is wrong.
        var config = model.config
        config.inChannels = 2
        let error = #expect(throws: ModelError.self) {
            try ModelFolder.loadWeights(into: try UNet2DModel(config: config), from: dir.appendingPathComponent(ModelFolder.weightsName))
        }
        #expect(String(describing: error!).contains("conv_in.weight"))
        // Other names: a config whose blocks need shortcut convolutions the file lacks, and vice versa.
        config = model.config
        config.blockOutChannels = [8, 8, 8]
        let names = #expect(throws: ModelError.self) {
            try ModelFolder.loadWeights(into: try UNet2DModel(config: config), from: dir.appendingPathComponent(ModelFolder.weightsName))
        }
        #expect(String(describing: names!).contains("unexpected"))
        #expect(throws: ModelError.self) { try ModelFolder.load(dir.appendingPathComponent("nowhere")) }
    }
}

/// The fixture generator's synthetic_value(): FNV-1a of the name, mixed with the index, SplitMix64 finish.
func syntheticValue(_ name: String, _ index: Int) -> Double {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    var z = h ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    z = z &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Double(z >> 40) * 0x1p-24 * 2 - 1
}

func fillSynthetic(_ model: UNet2DModel) throws {
    for p in model.parameters.parameters {
        let external = try Layout.externalValues(p.tensor, layout: p.layout).shape
        let count = external.reduce(1, *), fanIn = count / external[0]
        let values: [Float] = (0..<count).map { i in
            let u = syntheticValue(p.name, i)
            if p.name.contains("norm") && p.name.hasSuffix("weight") { return Float(1 + 0.1 * u) }
            if p.name.hasSuffix("bias") { return Float(0.1 * u) }
            if external.count >= 2 && !p.name.contains("class_embedding") { return Float(u / Double(fanIn).squareRoot()) }
            return Float(u)
        }
        let t = try Layout.internalTensor(values, externalShape: external, layout: p.layout)
        p.tensor.data.update(from: t.data, count: t.count)
    }
}

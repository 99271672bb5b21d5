import Foundation
import Testing
import DNBSupport
import DNBEngine
@testable import DNBDiffusion

/// Every diffusers config key is declared once (UNet2DConfig.keys, SchedulerConfig.keys); the JSON form, the
/// unknown-key error and the limits all come from that table.
struct ConfigKeyTests {
    /// No attention, one ResNet per block, 8 groups, 10 classes (DNBCommands' "small" preset, conditional).
    static var small: UNet2DConfig {
        var c = UNet2DConfig.smallCPU
        c.numClassEmbeds = 10
        return c
    }
    static let configs: [UNet2DConfig] = [.tutorial, small, UNet2DConfig()]

    @Test func everyKeyIsDeclaredOnceAndRoundTrips() throws {
        let names = UNet2DConfig.keys.map(\.name)
        #expect(Set(names).count == names.count)
        for config in Self.configs {
            let json = config.json
            #expect(Set(json.keys) == Set(names + ["_class_name", "_diffusers_version"]))
            // Through JSON text, as config.json is written and read.
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            let read = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(try UNet2DConfig(json: read) == config)
        }
        var scheduler = SchedulerConfig()
        scheduler.betaSchedule = "squaredcos_cap_v2"
        scheduler.numTrainTimesteps = 50
        #expect(try SchedulerConfig(json: scheduler.json) == scheduler)
    }

    /// Keys dnb builds at one value only are refused at any other value; a number is never taken for null.
    @Test func unsupportedValuesAreRefusedNeverIgnored() throws {
        // class_embed_type 5 and time_embedding_act_fn 1 were read as null before (a number's string value is nil).
        for (key, value) in [("class_embed_type", "timestep" as Any), ("class_embed_type", 5), ("time_embedding_act_fn", 1),
                             ("time_embedding_act_fn", "silu"), ("resnet_time_scale_shift", 5),
                             ("resnet_time_scale_shift", "scale_shift"), ("downsample_type", "resnet"), ("dropout", 0.1),
                             ("time_embedding_type", "fourier")] {
            let error = #expect(throws: ModelError.self) { try UNet2DConfig(json: [key: value]) }
            let message = String(describing: error!)
            #expect(message.contains(key) && message.contains("is not supported"), "\(key): \(message)")
        }
    }

    @Test func unknownKeysSuggestTheNearestAndLimitsApplyToJSON() throws {
        let error = #expect(throws: ModelError.self) { try UNet2DConfig(json: ["attn_norm_num_group": 4]) }
        #expect(String(describing: error!).contains("did you mean attn_norm_num_groups"), "\(error!)")
        for (key, value) in [("norm_eps", 0 as Any), ("sample_size", 0), ("norm_num_groups", 0), ("block_out_channels", [Int]()),
                             ("layers_per_block", 1e300), ("norm_eps", "1e-5"), ("add_attention", 1)] {
            #expect(throws: ModelError.self, "\(key) = \(value)") { try UNet2DConfig(json: [key: value]) }
        }
        // Relations name both keys.
        let groups = #expect(throws: ModelError.self) { try UNet2DConfig(json: ["block_out_channels": [48, 64, 64, 64], "norm_num_groups": 32]) }
        #expect(String(describing: groups!).contains("norm_num_groups 32 must divide every block_out_channels"))
        let betas = #expect(throws: ModelError.self) { try SchedulerConfig(json: ["beta_start": 0.03, "beta_end": 0.02]) }
        #expect(String(describing: betas!).contains("beta_start 0.03 must be below beta_end 0.02"))
    }

    /// attn_norm_num_groups and time_embedding_dim change the network as in diffusers 0.32.2 (they were read and
    /// dropped before): the middle block's attention takes the groups, and every timestep consumer the width.
    @Test func attentionGroupsAndTimeEmbeddingDimensionShapeTheModel() throws {
        var c = UNet2DConfig.tutorial
        c.blockOutChannels = [8, 16]
        c.downBlockTypes = ["DownBlock2D", "AttnDownBlock2D"]
        c.upBlockTypes = ["AttnUpBlock2D", "UpBlock2D"]
        c.layersPerBlock = 1
        c.normNumGroups = 4
        c.sampleSize = 8
        var grouped = c
        grouped.attnNormNumGroups = 2
        grouped.timeEmbeddingDim = 24
        let read = try UNet2DConfig(json: grouped.json)
        #expect(read.attnNormNumGroups == 2 && read.timeEmbeddingDim == 24)
        let model = try UNet2DModel(config: read)
        #expect(model.midBlock.attention?.groupNorm.groups == 2)
        #expect(model.downBlocks[1].attentions.first?.groupNorm.groups == 4)  // down-block attentions keep norm_num_groups
        #expect(model.parameters["time_embedding.linear_1.weight"]?.tensor.shape.contains(24) == true)
        let x = Tensor(shape: [1, 8, 8, 1], repeating: 0.5)
        let plain = try withNoGrad { try UNet2DModel(config: c, seed: 3)(x, timesteps: [10]) }
        var groupsOnly = c
        groupsOnly.attnNormNumGroups = 2
        let other = try withNoGrad { try UNet2DModel(config: groupsOnly, seed: 3)(x, timesteps: [10]) }
        // Same weights (same seed, same shapes), different normalisation of the middle attention.
        #expect(plain.scalars != other.scalars)
        #expect(throws: ModelError.self) { try UNet2DConfig(json: grouped.json.merging(["attn_norm_num_groups": 3]) { $1 }) }
    }

    /// The memory budget's parameter estimate needs only be within ~2× (MemoryBudget); it is far closer.
    @Test func parameterEstimateIsCloseToTheRealCount() throws {
        var conditional = UNet2DConfig.tutorial
        conditional.numClassEmbeds = 10
        for config in [UNet2DConfig.tutorial, Self.small, conditional] {
            let real = Double(try UNet2DModel(config: config).parameters.count)
            // 25 %: up-block ResNets are estimated with 2 × out channels in (skip + previous).
            let ratio = config.estimatedParameterCount / real
            #expect(ratio > 0.75 && ratio < 1.25, "\(config.blockOutChannels): \(config.estimatedParameterCount) vs \(real)")
        }
    }

    /// model create, model load and checkpoints all build through UNet2DModel.init, which asks the budget first.
    @Test func anOversizedModelIsRefusedBeforeAllocating() throws {
        let huge = try UNet2DConfig(json: ["block_out_channels": [1_000_000], "down_block_types": ["DownBlock2D"], "up_block_types": ["UpBlock2D"]])
        let error = #expect(throws: MemoryBudgetError.self) { try UNet2DModel(config: huge) }
        // About 2e14 parameters (9·c² per 3 × 3 convolution, ~23 of them at one level): 1.7 PB with the initialisation's draws.
        #expect(error?.message.contains("needs about 1.69 PB; the limit is") == true, "\(error!)")
    }

    /// eta = 5 gave NaN images with exit 0; `scheduler create` bounds it, and the step itself refuses it.
    @Test func ddimRefusesAnEtaAboveOne() throws {
        let scheduler = try DDIMScheduler(config: SchedulerConfig())
        try scheduler.setTimesteps(2)
        var rng = RandomGenerator(seed: 1)
        let x = Tensor(shape: [1, 2, 2, 1], repeating: 0.1)
        #expect(throws: SchedulerError.self) { try scheduler.step(modelOutput: x, timestep: scheduler.timesteps[0], sample: x, eta: 5, rng: &rng) }
        let fine = try scheduler.step(modelOutput: x, timestep: scheduler.timesteps[0], sample: x, eta: 1, rng: &rng)
        #expect(fine.prevSample.scalars.allSatisfy { $0.isFinite })
    }
}

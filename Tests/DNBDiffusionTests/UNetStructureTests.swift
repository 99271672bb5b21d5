import Testing
import DNBEngine
@testable import DNBDiffusion

struct UNetStructureTests {
    @Test func tutorialConfigHasDiffusersParameterCountAndNames() throws {
        let model = try UNet2DModel(config: .tutorial)
        #expect(model.parameters.count == 1_707_009)  // torchinfo's total in the tutorial
        let names = model.parameters.parameters.map(\.name)
        #expect(names.contains("down_blocks.0.resnets.1.conv1.weight"))
        #expect(names.contains("down_blocks.1.attentions.0.to_out.0.bias"))
        #expect(names.contains("up_blocks.2.resnets.2.conv_shortcut.weight"))
        #expect(names.contains("mid_block.attentions.0.group_norm.weight"))
        #expect(names.contains("time_embedding.linear_2.weight"))
        #expect(model.parameters["conv_in.weight"]?.tensor.shape == [3, 3, 1, 32])
        #expect(model.parameters["conv_in.weight"]?.layout == .convolutionOIHW)
    }

    @Test func forwardShapeAndInferenceRecordsNothing() throws {
        var cfg = UNet2DConfig.tutorial
        cfg.blockOutChannels = [32, 32, 32]
        let model = try UNet2DModel(config: cfg)
        var rng = RandomGenerator(seed: 3)
        let x = rng.normalTensor([2, 32, 32, 1])
        let y = try withNoGrad { try model(x, timesteps: [10, 900]) }
        #expect(y.shape == [2, 32, 32, 1])
        #expect(!y.isRecorded && !y.requiresGrad)
        let z = try model(x, timesteps: [10, 900])
        #expect(z.isRecorded)
        #expect(z.scalars == y.scalars)
    }

    @Test func unknownBlockAndKeyAreClearErrors() throws {
        #expect(throws: ModelError.self) { try UNet2DConfig(json: ["down_block_types": ["CrossAttnDownBlock2D"], "up_block_types": ["UpBlock2D"], "block_out_channels": [32]]) }
        let error = #expect(throws: ModelError.self) { try UNet2DConfig(json: ["layers_per_blok": 2]) }
        #expect(String(describing: error!).contains("did you mean layers_per_block"))
        let attn = #expect(throws: ModelError.self) { try UNet2DConfig(json: ["down_block_types": ["SkipDownBlock2D", "DownBlock2D", "DownBlock2D", "DownBlock2D"]]) }
        #expect(String(describing: attn!).contains("AttnDownBlock2D"))
    }
}

struct ModelSummaryTests {
    /// The tutorial's torchinfo table (summary(model), depth 3), row by row.
    @Test func matchesTorchinfoForTheTutorialModel() throws {
        let summary = ModelSummary(try UNet2DModel(config: .tutorial))
        let expected: [(String, Int?)] = [
            ("Conv2d: 1-1", 320), ("Timesteps: 1-2", nil), ("TimestepEmbedding: 1-3", nil), ("Linear: 2-1", 4_224),
            ("SiLU: 2-2", nil), ("Linear: 2-3", 16_512), ("ModuleList: 1-4", nil), ("DownBlock2D: 2-4", nil),
            ("ModuleList: 3-1", 45_504), ("ModuleList: 3-2", 9_248), ("AttnDownBlock2D: 2-5", nil), ("ModuleList: 3-3", 33_536),
            ("ModuleList: 3-4", 148_352), ("ModuleList: 3-5", 36_928), ("AttnDownBlock2D: 2-6", nil), ("ModuleList: 3-6", 33_536),
            ("ModuleList: 3-7", 164_736), ("ModuleList: 1-5", nil), ("AttnUpBlock2D: 2-7", nil), ("ModuleList: 3-8", 50_304),
            ("ModuleList: 3-9", 382_848), ("ModuleList: 3-10", 36_928), ("AttnUpBlock2D: 2-8", nil), ("ModuleList: 3-11", 50_304),
            ("ModuleList: 3-12", 362_304), ("ModuleList: 3-13", 36_928), ("UpBlock2D: 2-9", nil), ("ModuleList: 3-14", 112_640),
            ("UNetMidBlock2D: 1-6", nil), ("ModuleList: 2-10", nil), ("Attention: 3-15", 16_768), ("ModuleList: 2-11", nil),
            ("ResnetBlock2D: 3-16", 82_368), ("ResnetBlock2D: 3-17", 82_368), ("GroupNorm: 1-7", 64), ("SiLU: 1-8", nil),
            ("Conv2d: 1-9", 289),
        ]
        #expect(summary.rows.map(\.label) == expected.map(\.0))
        #expect(summary.rows.map(\.parameters) == expected.map(\.1))
        #expect(summary.total == 1_707_009 && summary.trainable == 1_707_009)
        #expect(summary.text.contains("Total params: 1,707,009"))
    }
}

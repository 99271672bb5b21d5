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

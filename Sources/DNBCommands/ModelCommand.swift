import Foundation
import DNBEngine
import DNBDiffusion
import DNBLanguage

/// `model create | summary | load | save`.
enum ModelCommand {
    static let configArguments: [ArgumentSpec] = [
        ArgumentSpec("preset", .string, default: .string("tutorial"), allowed: [.string("tutorial"), .string("small"), .string("diffusers")],
                     help: "starting configuration: tutorial (the notebook's 1.7 M-parameter UNet), small (no attention, (16, 32, 32), 1 layer per block, 8 groups: fast on a CPU), diffusers (UNet2DModel's own defaults)"),
        ArgumentSpec("sample_size", .int, default: Value.none, help: "image height and width"),
        ArgumentSpec("in_channels", .int, default: Value.none, help: "channels of the input images"),
        ArgumentSpec("out_channels", .int, default: Value.none, help: "channels the model predicts"),
        ArgumentSpec("layers_per_block", .int, default: Value.none, help: "ResNet blocks per down block (up blocks get one more)"),
        ArgumentSpec("block_out_channels", .list(.int), default: Value.none, help: "channels of each resolution level"),
        ArgumentSpec("down_block_types", .list(.string), default: Value.none, allowed: UNet2DConfig.supportedDownBlocks.map(Value.string), help: "one per level"),
        ArgumentSpec("up_block_types", .list(.string), default: Value.none, allowed: UNet2DConfig.supportedUpBlocks.map(Value.string), help: "one per level, deepest first"),
        ArgumentSpec("attention_head_dim", .int, default: Value.none, help: "channels per attention head (8 in diffusers)"),
        ArgumentSpec("norm_num_groups", .int, default: Value.none, help: "GroupNorm groups (32 in diffusers)"),
        ArgumentSpec("norm_eps", .float, default: Value.none, help: "GroupNorm epsilon"),
        ArgumentSpec("add_attention", .bool, default: Value.none, help: "attention in the middle block"),
        ArgumentSpec("num_class_embeds", .int, default: Value.none, help: "number of classes for class conditioning (none: unconditional)"),
        ArgumentSpec("seed", .int, default: Value.none, help: "seed of the initial weights (default: drawn from the session generator)"),
    ]

    static func config(_ inv: Invocation) throws -> UNet2DConfig {
        var c: UNet2DConfig
        switch try inv.string("preset") {
        case "small": c = .smallCPU
        case "diffusers": c = UNet2DConfig()
        default: c = .tutorial
        }
        if let v = try inv.optionalInt("sample_size") { c.sampleSize = v }
        if let v = try inv.optionalInt("in_channels") { c.inChannels = v }
        if let v = try inv.optionalInt("out_channels") { c.outChannels = v }
        if let v = try inv.optionalInt("layers_per_block") { c.layersPerBlock = v }
        if inv.isGiven("block_out_channels") { c.blockOutChannels = try inv.intList("block_out_channels") }
        if inv.isGiven("down_block_types") { c.downBlockTypes = try inv.stringList("down_block_types") }
        if inv.isGiven("up_block_types") { c.upBlockTypes = try inv.stringList("up_block_types") }
        if let v = try inv.optionalInt("attention_head_dim") { c.attentionHeadDim = v }
        if let v = try inv.optionalInt("norm_num_groups") { c.normNumGroups = v }
        if let v = try inv.optionalDouble("norm_eps") { c.normEps = v }
        if inv.isGiven("add_attention") { c.addAttention = try inv.bool("add_attention") }
        if let v = try inv.optionalInt("num_class_embeds") { c.numClassEmbeds = v }
        return c
    }

    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("model", summary: "Create, inspect, load and save the UNet2DModel", help: """
            A diffusers UNet2DModel that predicts the noise in an image at a timestep. Arguments use diffusers' \
            config names; a folder saved here loads in diffusers' UNet2DModel.from_pretrained and back.
            """, verbs: [
            CommandSpec("create", summary: "Build a new model with freshly initialised weights", arguments: configArguments) { inv, ctx in
                let config = try config(inv)
                let seed = try inv.optionalInt("seed").map(UInt64.init) ?? ws.rng.next()
                let model = try UNet2DModel(config: config, seed: seed)
                ws.model = model
                ws.training = nil
                ctx.out.print("UNet2DModel: \(grouped(model.parameters.count)) parameters, channels \(config.blockOutChannels), " +
                              "blocks \(config.downBlockTypes.joined(separator: "/")) ↓ \(config.upBlockTypes.joined(separator: "/")) ↑" +
                              (config.numClassEmbeds.map { ", \($0) classes" } ?? ""))
            },
            CommandSpec("summary", summary: "Modules and parameter counts, like torchinfo's summary(model)",
                        arguments: [ArgumentSpec("depth", .int, default: .int(3), help: "how deep to list modules")],
                        prerequisite: { _ = try ws.requireModel() }) { inv, ctx in
                ctx.out.write(ModelSummary(try ws.requireModel(), depth: try inv.int("depth")).text + "\n")
            },
            CommandSpec("predict", summary: "Apply the model once: the predicted noise for a kept batch at given timesteps", arguments: [
                ArgumentSpec("name", .string, help: "the kept batch to feed (see `load tensor`)"),
                ArgumentSpec("timesteps", .list(.int), help: "one timestep for all images, or one per image"),
                ArgumentSpec("classes", .list(.int), default: Value.none, help: "class labels (class-conditional models)"),
                ArgumentSpec("into", .string, default: .string("prediction"), help: "the name to keep the output under"),
            ], prerequisite: { _ = try ws.requireModel() }) { inv, ctx in
                let model = try ws.requireModel()
                let name = try inv.string("name")
                guard let x = ws.tensors[name] else { throw MissingPrerequisite(SaveLoadCommands.keptMessage(ws, name)) }
                let timesteps = try inv.intList("timesteps").map(Float.init)
                let labels = inv.isGiven("classes") ? try inv.intList("classes") : nil
                let y = try withNoGrad { try model(x, timesteps: timesteps, classLabels: labels) }
                ws.tensors[try inv.string("into")] = y
                ctx.out.print("kept the prediction for '\(name)' \(x.shape) as '\(try inv.string("into"))'")
            },
            CommandSpec("load", summary: "Load a diffusers model folder (config.json + diffusion_pytorch_model.safetensors)",
                        arguments: [ArgumentSpec("path", .path, help: "the folder")]) { inv, ctx in
                let model = try ModelFolder.load(URL(fileURLWithPath: try inv.string("path")))
                ws.model = model
                ws.training = nil
                ctx.out.print("loaded UNet2DModel with \(grouped(model.parameters.count)) parameters from \(try inv.string("path"))")
            },
            CommandSpec("save", summary: "Save the model as a diffusers folder",
                        arguments: [ArgumentSpec("path", .path, help: "the folder (created if needed; relative paths are in the output directory)"),
                                    ArgumentSpec("ema", .bool, default: .bool(true), help: "save the moving average of the weights when training kept one")],
                        prerequisite: { _ = try ws.requireModel() }) { inv, ctx in
                let model = try ws.requireModel()
                let path = outputPath(try inv.string("path"), ctx)
                let save = { try ModelFolder.save(model, to: URL(fileURLWithPath: path)) }
                if try inv.bool("ema"), let ema = ws.training?.trainer.ema { try ema.withAveragedWeights(save) } else { try save() }
                ctx.out.print("saved \(grouped(model.parameters.count)) parameters to \(path)")
            },
        ])]
    }
}

extension UNet2DConfig {
    /// A UNet for CPU budgets: no attention, (16, 32, 32) channels, one ResNet per block, 8 groups.
    public static var smallCPU: UNet2DConfig {
        var c = UNet2DConfig.tutorial
        c.blockOutChannels = [16, 32, 32]
        c.layersPerBlock = 1
        c.normNumGroups = 8
        c.downBlockTypes = ["DownBlock2D", "DownBlock2D", "DownBlock2D"]
        c.upBlockTypes = ["UpBlock2D", "UpBlock2D", "UpBlock2D"]
        c.addAttention = false
        return c
    }
}

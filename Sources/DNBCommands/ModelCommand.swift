import Foundation
import DNBEngine
import DNBDiffusion
import DNBLanguage

/// `model create | summary | load | save`.
enum ModelCommand {
    /// `preset`, then every settable UNet2DModel config key (declared once in UNet2DConfig.keys), then `seed`.
    static let configArguments: [ArgumentSpec] = [
        ArgumentSpec("preset", .string, default: .string("tutorial"), allowed: [.string("tutorial"), .string("small"), .string("diffusers")],
                     help: "starting configuration: tutorial (the notebook's 1.7 M-parameter UNet), small (no attention, (16, 32, 32), 1 layer per block, 8 groups: fast on a CPU), diffusers (UNet2DModel's own defaults)"),
    ] + UNet2DConfig.keys.filter(\.isArgument).map(\.argumentSpec) + [
        // UInt64 seeds: negative ones are refused rather than wrapped.
        ArgumentSpec("seed", .int, default: Value.none, bounds: [.atLeast(0), .atMost(Double(Int.max))], help: "seed of the initial weights (default: drawn from the session generator)"),
    ]

    /// The preset with every given key applied through the key table (the same checks as config.json), then validated.
    static func config(_ inv: Invocation) throws -> UNet2DConfig {
        var c: UNet2DConfig
        switch try inv.string("preset") {
        case "small": c = .smallCPU
        case "diffusers": c = UNet2DConfig()
        default: c = .tutorial
        }
        for key in UNet2DConfig.keys where key.isArgument && inv.isGiven(key.name) {
            do { try key.set(jsonValue(try inv.value(key.name)), in: &c) } catch let error as ModelError {
                throw ArgumentError(argument: key.name, error.description)
            }
        }
        try c.validate()
        return c
    }

    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("model", summary: "Create, inspect, load and save the UNet2DModel", help: """
            A diffusers UNet2DModel that predicts the noise in an image at a timestep. Arguments use diffusers' \
            config names; a folder saved here loads in diffusers' UNet2DModel.from_pretrained and back.
            """, verbs: [
            CommandSpec("create", summary: "Build a new model with freshly initialised weights", help: """
                Starts from `preset` and changes the keys given; every other key keeps the preset's value. The keys, \
                their limits and meanings are those of diffusers' UNet2DModel config.json.
                """, arguments: configArguments, result: Results.model) { inv, ctx in
                let config = try config(inv)
                let seed = try inv.optionalInt("seed").map(UInt64.init) ?? ws.rng.next()
                let model = try UNet2DModel(config: config, seed: seed)
                ws.model = model
                ws.training = nil
                ctx.setResult(Results.model(model))
                ctx.out.print("UNet2DModel: \(grouped(model.parameters.count)) parameters, channels \(config.blockOutChannels), " +
                              "blocks \(config.downBlockTypes.joined(separator: "/")) ↓ \(config.upBlockTypes.joined(separator: "/")) ↑" +
                              (config.numClassEmbeds.map { ", \($0) classes" } ?? ""))
            },
            CommandSpec("summary", summary: "Modules and parameter counts, like torchinfo's summary(model)",
                        arguments: [ArgumentSpec("depth", .int, default: .int(3), bounds: [.atLeast(1)], help: "how deep to list modules")],
                        result: Results.model, prerequisite: { _ = try ws.requireModel() }) { inv, ctx in
                let model = try ws.requireModel()
                ctx.setResult(Results.model(model))
                ctx.out.write(ModelSummary(model, depth: try inv.int("depth")).text + "\n")
            },
            CommandSpec("predict", summary: "Apply the model once: the predicted noise for a kept batch at given timesteps", arguments: [
                ArgumentSpec("name", .string, help: "the kept batch to feed (see `load tensor`)"),
                ArgumentSpec("timesteps", .list(.int), bounds: [.atLeast(0)], help: "one timestep for all images, or one per image"),
                ArgumentSpec("classes", .list(.int), default: Value.none, bounds: [.atLeast(0)], help: "class labels, below num_class_embeds (class-conditional models)"),
                ArgumentSpec("into", .string, default: .string("prediction"), help: "the name to keep the output under"),
            ], result: ResultSpec([Results.tensor, Results.shape]), prerequisite: { _ = try ws.requireModel() }) { inv, ctx in
                let model = try ws.requireModel()
                let name = try inv.string("name")
                guard let x = ws.tensors[name] else { throw MissingPrerequisite(SaveLoadCommands.keptMessage(ws, name)) }
                let timesteps = try inv.intList("timesteps").map(Float.init)
                let labels = inv.isGiven("classes") ? try inv.intList("classes") : nil
                try SampleCommands.checkMemory(model, images: x.shape.first ?? 0, keptPerImage: 2, "model predict of '\(name)' \(x.shape)")
                let y = try withNoGrad { try model(x, timesteps: timesteps, classLabels: labels) }
                ws.tensors[try inv.string("into")] = y
                ctx.setResult(Results.kept(try inv.string("into"), y))
                ctx.out.print("kept the prediction for '\(name)' \(x.shape) as '\(try inv.string("into"))'")
            },
            CommandSpec("load", summary: "Load a diffusers model folder (config.json + diffusion_pytorch_model.safetensors)",
                        arguments: [ArgumentSpec("path", .path, help: "the folder (relative paths: the output directory, then the working directory)")],
                        result: ResultSpec(Results.model.fields + [ResultField("path", .string, help: "the folder read")])) { inv, ctx in
                let path = try inputPath(try inv.string("path"), ctx)
                ctx.out.noteRead(path)
                let model = try ModelFolder.load(URL(fileURLWithPath: path))
                ws.model = model
                ws.training = nil
                ctx.setResult(Results.model(model).merging(["path": .string(path)]) { $1 })
                ctx.out.print("loaded UNet2DModel with \(grouped(model.parameters.count)) parameters from \(path)")
                warnAboutNonFiniteWeights(model, ctx)
            },
            CommandSpec("save", summary: "Save the model as a diffusers folder",
                        arguments: [ArgumentSpec("path", .path, help: "the folder (created if needed; relative paths are in the output directory)"),
                                    ArgumentSpec("ema", .bool, default: .bool(true), help: "save the moving average of the weights when training kept one")],
                        result: ResultSpec([ResultField("path", .string, help: "the folder written"),
                                            ResultField("ema", .bool, help: "whether the moving average was saved")]),
                        prerequisite: { _ = try ws.requireModel() }) { inv, ctx in
                let model = try ws.requireModel()
                let path = outputPath(try inv.string("path"), ctx)
                let save = { try ModelFolder.save(model, to: URL(fileURLWithPath: path)) }
                let ema = try inv.bool("ema") ? ws.training?.trainer.ema : nil
                if let ema { try ema.withAveragedWeights(save) } else { try save() }
                ctx.out.noteWritten(path)
                ctx.setResult(["path": .string(path), "ema": .bool(ema != nil)])
                ctx.out.print("saved \(grouped(model.parameters.count)) parameters to \(path)")
            },
        ])]
    }
}


/// Loading stays possible (to inspect a diverged run), but NaN or infinite weights are named with their counts.
func warnAboutNonFiniteWeights(_ model: UNet2DModel, _ ctx: CommandContext) {
    let bad = model.parameters.nonFinite()
    guard !bad.isEmpty else { return }
    let listed = bad.prefix(5).map { "\($0.name) (\(grouped($0.count)))" }.joined(separator: ", ") + (bad.count > 5 ? ", and \(bad.count - 5) more" : "")
    let total = bad.reduce(0) { $0 + $1.count }
    ctx.out.warn("warning: \(grouped(total)) weight\(total == 1 ? " is" : "s are") NaN or infinite in \(bad.count) tensor\(bad.count == 1 ? "" : "s"): \(listed); predictions will be NaN\n")
}

extension ConfigKey {
    /// The key as an argument of `model create` (whose default is the preset's value, shown as none) or
    /// `scheduler create` (whose default is diffusers'), with the key's limits as bounds and its choices as allowed
    /// values, so `check`, the binder and help share them.
    var argumentSpec: ArgumentSpec { argumentSpec(default: nil) }

    func argumentSpec(default config: Config?) -> ArgumentSpec {
        ArgumentSpec(name, valueType, default: config.map { languageValue(value(in: $0)) } ?? Value.none, allowed: allowed?.map(Value.string), bounds: limits, help: help)
    }
}

/// A config key's JSON value as a language value (the inverse of `jsonValue`).
func languageValue(_ json: Any) -> Value {
    switch json {
    case let b as Bool: .bool(b)
    case let n as Int: .int(n)
    case let x as Double: .float(x)
    case let s as String: .string(s)
    case let items as [Any]: .list(items.map(languageValue))
    default: .none
    }
}

/// A language value as the JSON value a config key reads (what JSONSerialization gives for config.json).
func jsonValue(_ value: Value) -> Any {
    switch value {
    case .int(let n): NSNumber(value: n)
    case .float(let x): NSNumber(value: x)
    case .string(let s): s
    case .bool(let b): b
    case .list(let items): items.map(jsonValue)
    case .record(let record): Dictionary(record.fields.map { ($0.name, jsonValue($0.value)) }) { _, last in last }
    case .none: NSNull()
    }
}

import Foundation
import DNBEngine
import DNBLanguage
import DNBSupport

/// `save tensor | checkpoint` and `load tensor | checkpoint`. Image batches are written in
/// PyTorch's NCHW layout, so numpy and torch read them as they read their own.
enum SaveLoadCommands {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [
            CommandSpec("save", summary: "Save a kept batch of images or the training state", verbs: [
                CommandSpec("tensor", summary: "A kept batch (samples, refined, denoised …) as .npy or .safetensors (NCHW)", arguments: [
                    ArgumentSpec("name", .string, help: "which kept batch"),
                    ArgumentSpec("path", .path, help: "FILE.npy or FILE.safetensors (relative paths are in the output directory)"),
                ], result: ResultSpec([path, ResultField("shape", .list(.int), help: "the array's shape as written (NCHW for images)")])) { inv, ctx in
                    let name = try inv.string("name")
                    guard let t = ws.tensors[name] else { throw MissingPrerequisite(keptMessage(ws, name)) }
                    let path = outputPath(try inv.string("path"), ctx)
                    let (values, shape) = t.rank == 4 ? try Layout.nchw(t) : (t.scalars, t.shape)
                    try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
                    switch URL(fileURLWithPath: path).pathExtension {
                    case "npy": try AtomicFile.write(NumpyFile.encode(shape: shape, values: values), to: path)
                    case "safetensors": try SafetensorsFile.write([(name, shape, values)], metadata: ["layout": "NCHW", "seed": String(ws.seed)], to: URL(fileURLWithPath: path))
                    default: throw ArgumentError(argument: "path", "path must end in .npy or .safetensors, got \(path)")
                    }
                    ctx.out.noteWritten(path)
                    ctx.setResult(["path": .string(path), "shape": .list(shape.map(Value.int))])
                    ctx.out.print("saved '\(name)' \(shape) to \(path)")
                },
                CommandSpec("checkpoint", summary: "The whole training state (model, optimiser, EMA, generator, data position, losses)", arguments: [
                    ArgumentSpec("path", .path, help: "a folder (relative paths are in the output directory)"),
                ], result: ResultSpec([path, step]), prerequisite: { if ws.training == nil { throw MissingPrerequisite("nothing to save yet: run `train` first") } }) { inv, ctx in
                    let path = outputPath(try inv.string("path"), ctx)
                    try ws.saveCheckpoint(to: path)
                    ctx.out.noteWritten(path)
                    ctx.setResult(["path": .string(path), "step": .int(try ws.requireTraining().trainer.step)])
                    ctx.out.print("saved the training state at step \(try ws.requireTraining().trainer.step) to \(path)")
                },
            ]),
            CommandSpec("load", summary: "Load images into a kept batch, or a training checkpoint", verbs: [
                CommandSpec("tensor", summary: "A .npy or .safetensors array of NCHW images, kept under a name", arguments: [
                    ArgumentSpec("path", .path, help: "the file (relative paths: the output directory, then the working directory)"),
                    ArgumentSpec("name", .string, default: .string("loaded"), help: "the name to keep it under"),
                ], result: ResultSpec([path, Results.tensor, Results.shape])) { inv, ctx in
                    let path = try inputPath(try inv.string("path"), ctx), name = try inv.string("name")
                    ctx.out.noteRead(path)
                    let tensor = try readImages(path)
                    ws.tensors[name] = tensor
                    ws.tensorClasses[name] = nil
                    ctx.setResult(Results.kept(name, tensor).merging(["path": .string(path)]) { $1 })
                    ctx.out.print("loaded \(tensor.rank == 4 ? [tensor.shape[0], tensor.shape[3], tensor.shape[1], tensor.shape[2]] : tensor.shape) from \(path) as '\(name)'")
                },
                CommandSpec("checkpoint", summary: "Restore a training state saved by `train checkpoint=` or `save checkpoint`", arguments: [
                    ArgumentSpec("path", .path, help: "the checkpoint folder (relative paths: the output directory, then the working directory)"),
                ], result: ResultSpec([path, step]), prerequisite: { _ = try ws.requireData(); _ = try ws.requireSchedule() }) { inv, ctx in
                    let path = try inputPath(try inv.string("path"), ctx)
                    ctx.out.noteRead(path)
                    try ws.restoreCheckpoint(from: path, schedule: try ws.requireSchedule())
                    warnAboutNonFiniteWeights(try ws.requireModel(), ctx)
                    ctx.setResult(["path": .string(path), "step": .int(try ws.requireTraining().trainer.step)])
                    ctx.out.print("restored the training state of step \(try ws.requireTraining().trainer.step) from \(path); `train` continues it")
                },
            ]),
        ]
    }

    /// A .npy or .safetensors (its first tensor) file: rank-4 arrays are NCHW images, returned NHWC.
    static func readImages(_ path: String) throws -> Tensor {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NumpyFile.Error(description: "cannot read \(path): \(describeError(error))")
        }
        let shape: [Int], values: [Float]
        if url.pathExtension == "safetensors" {
            let file = try SafetensorsFile.parse(data, path: path)
            guard let first = file.names.first else { throw NumpyFile.Error(description: "\(path) holds no tensors") }
            (shape, values) = (try file.entry(first).shape, try file.floats(first))
        } else {
            (shape, values) = try NumpyFile.decode(data, path: path)
        }
        return shape.count == 4 ? try Layout.nhwc(fromNCHW: values, shape: shape) : try Tensor(shape: shape, scalars: values)
    }

    static let path = ResultField("path", .string, help: "the full path of the file or folder")
    static let step = ResultField("step", .int, help: "the training step of the state")

    static func keptMessage(_ ws: Workspace, _ name: String) -> String {
        let kept = ws.tensors.keys.sorted()
        return "no kept images named '\(name)'; kept: " + (kept.isEmpty ? "none yet (run sample, refine, denoise or progression)" : kept.joined(separator: ", "))
    }
}

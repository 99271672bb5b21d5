import Foundation
import DNBEngine
import DNBSupport

/// diffusers' model folder: `config.json` plus `diffusion_pytorch_model.safetensors`
/// with PyTorch layouts (OIHW convolutions) under the state-dict names.
public enum ModelFolder {
    public static let configName = "config.json"
    public static let weightsName = "diffusion_pytorch_model.safetensors"

    public static func load(_ directory: URL) throws -> UNet2DModel {
        // A kill between the swap's renames leaves the previous folder (a model's or a checkpoint's) aside: read that one then.
        let found = ReplaceableFolder.locate(directory.path, marker: markerName) ?? ReplaceableFolder.locate(directory.path, marker: TrainingCheckpoint.markerName)
        let directory = found.map { URL(fileURLWithPath: $0) } ?? directory
        let configURL = directory.appendingPathComponent(configName)
        guard let data = try? Data(contentsOf: configURL) else {
            throw ModelError.checkpoint("no \(configName) in \(directory.path)")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.checkpoint("\(configURL.path) is not a JSON object")
        }
        if let cls = json["_class_name"] as? String, cls != "UNet2DModel" {
            throw ModelError.checkpoint("\(configURL.path) describes a \(cls); dnb loads UNet2DModel folders")
        }
        let model = try UNet2DModel(config: try UNet2DConfig(json: json))
        try loadWeights(into: model, from: directory.appendingPathComponent(weightsName))
        return model
    }

    /// Replaces every parameter of `model` with the file's; names and shapes must match exactly.
    public static func loadWeights(into model: UNet2DModel, from url: URL) throws {
        let file = try SafetensorsFile.read(url)
        let expected = Set(model.parameters.parameters.map(\.name))
        let unexpected = file.names.filter { !expected.contains($0) }
        let missing = model.parameters.parameters.map(\.name).filter { file[$0] == nil }
        guard missing.isEmpty, unexpected.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.count) (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : ""))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.count) (\(unexpected.prefix(3).joined(separator: ", "))\(unexpected.count > 3 ? ", …" : ""))") }
            throw ModelError.checkpoint("\(url.lastPathComponent) does not match the config: " + parts.joined(separator: "; "))
        }
        for p in model.parameters.parameters {
            let entry = try file.entry(p.name)
            let values = try entry.floats()
            let t = try Layout.internalTensor(values, externalShape: entry.shape, layout: p.layout)
            guard t.shape == p.tensor.shape else {
                throw ModelError.checkpoint("\(p.name): file shape \(entry.shape) does not fit the model's \(try Layout.externalValues(p.tensor, layout: p.layout).shape)")
            }
            p.tensor.data.update(from: t.data, count: t.count)
        }
    }

    /// The marker dnb writes into every model folder it saves, so that it replaces only its own.
    public static let markerName = ".dnb-model"

    /// Saves a folder diffusers' `UNet2DModel.from_pretrained` loads. The folder is written beside `directory`
    /// and swapped in (`ReplaceableFolder`): a kill never leaves half of one, and an existing folder is only
    /// replaced when it is a model folder (dnb's marker, or only a model's two files) or empty.
    public static func save(_ model: UNet2DModel, to directory: URL) throws {
        let legacy: Set<String> = [configName, weightsName]
        // Checked before the lock file is created, so that none is left beside a refused folder; replace checks again under the lock.
        try ReplaceableFolder.checkReplaceable(directory.path, marker: markerName, kind: "model folder", legacy: legacy)
        let lock = try lockFolder(directory.path, purpose: "model folder")
        defer { lock.release() }
        try ReplaceableFolder.replace(directory.path, marker: markerName, kind: "model folder", legacy: legacy) {
            try write(model, into: URL(fileURLWithPath: $0))
        }
    }

    /// Writes config.json and the weights into an existing folder (each file atomically).
    public static func write(_ model: UNet2DModel, into directory: URL) throws {
        let config = try JSONSerialization.data(withJSONObject: model.config.json, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(config, to: directory.appendingPathComponent(configName).path)
        try writeWeights(model.parameters, to: directory.appendingPathComponent(weightsName),
                         metadata: ["format": "pt"])
    }

    /// The one-writer lock of a folder that is replaced as a whole: `.NAME.dnb-lock` beside it (the parent is created).
    public static func lockFolder(_ path: String, purpose: String) throws -> FolderLock {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try AtomicFile.createDirectory(parent)
        return try FolderLock(sibling: path, purpose: purpose)
    }

    public static func writeWeights(_ parameters: ParameterStore, to url: URL, metadata: [String: String]) throws {
        let tensors = try parameters.parameters.map { p in
            let (values, shape) = try Layout.externalValues(p.tensor, layout: p.layout)
            return (name: p.name, shape: shape, values: values)
        }
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
    }
}

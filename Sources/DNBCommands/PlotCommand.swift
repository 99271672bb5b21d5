import Foundation
import DNBEngine
import DNBPlot
import DNBLanguage

/// `plot loss` and `plot images`.
enum PlotCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("plot", summary: "Draw the loss curve or a kept batch of images", verbs: [
            CommandSpec("loss", summary: "The per-step training loss, as the tutorial's figure", arguments: [
                ArgumentSpec("title", .string, default: .string("Training Loss Curve (UNet2DModel - Noise Prediction)"), help: "figure title"),
                ArgumentSpec("log", .bool, default: .bool(false), help: "logarithmic loss axis"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/"),
            ], prerequisite: {
                if ws.losses.isEmpty { throw MissingPrerequisite("no losses yet: run `train` first") }
            }) { inv, ctx in
                let figure = DNBPlot.Figure.lossCurve(ws.losses, title: try inv.string("title"), logY: try inv.bool("log"))
                try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "loss",
                            caption: "Training loss over \(ws.losses.count) steps (last: \(String(format: "%.6f", ws.losses.last!)))", inv, ctx)
            },
            CommandSpec("images", summary: "A kept batch (samples, refined, progression, batch …) as a grid", arguments: [
                ArgumentSpec("name", .string, default: .string("samples"), help: "which kept batch (samples, refined, denoised, progression, corrupted, or one loaded with `load tensor`)"),
                ArgumentSpec("columns", .int, default: .int(8), help: "images per row"),
                ArgumentSpec("title", .string, default: Value.none, help: "figure title"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/"),
            ]) { inv, ctx in
                let name = try inv.string("name")
                guard let t = ws.tensors[name] else { throw MissingPrerequisite(SaveLoadCommands.keptMessage(ws, name)) }
                let images = grayImages(t)
                let columns = max(1, min(images.count, try inv.int("columns")))
                let rows = stride(from: 0, to: images.count, by: columns).map { Array(images[$0..<min(images.count, $0 + columns)]) }
                let range = ws.displayRange
                let figure = DNBPlot.Figure.imageGrid(rows, vmin: range.vmin, vmax: range.vmax, suptitle: try inv.optionalString("title"))
                try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: name, caption: "\(images.count) images kept as '\(name)'", inv, ctx)
            },
        ])]
    }
}

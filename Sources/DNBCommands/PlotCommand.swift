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
            ], result: ResultSpec([Results.figure]), prerequisite: {
                if ws.losses.isEmpty { throw MissingPrerequisite("no losses yet: run `train` first") }
            }) { inv, ctx in
                let figure = DNBPlot.Figure.lossCurve(ws.losses, title: try inv.string("title"), logY: try inv.bool("log"))
                try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "loss",
                            caption: "Training loss over \(ws.losses.count) steps (last: \(String(format: "%.6f", ws.losses.last!)))", inv, ctx)
            },
            CommandSpec("images", summary: "A kept batch (samples, refined, progression, batch …) as a grid", arguments: [
                ArgumentSpec("name", .string, default: .string("samples"), help: "which kept batch (samples, refined, denoised, progression, corrupted, or one loaded with `load tensor`)"),
                ArgumentSpec("columns", .int, default: .int(8), bounds: [.atLeast(1)], help: "images per row"),
                ArgumentSpec("title", .string, default: Value.none, help: "figure title"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/"),
            ], result: ResultSpec([Results.figure])) { inv, ctx in
                let name = try inv.string("name")
                let images = try keptImages(ws, name, argument: "name")
                let columns = min(images.count, try inv.int("columns"))
                let rows = stride(from: 0, to: images.count, by: columns).map { Array(images[$0..<min(images.count, $0 + columns)]) }
                let range = ws.displayRange
                let figure = DNBPlot.Figure.imageGrid(rows, vmin: range.vmin, vmax: range.vmax, suptitle: try inv.optionalString("title"))
                try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: name, caption: "\(images.count) images kept as '\(name)'", inv, ctx)
            },
            CommandSpec("side_by_side", summary: "Kept batches next to each other: one image of each, or a row of each", help: """
                With n=1, image `index` of every named batch side by side under its title (the tutorial's \
                "Noisy Image" / "Model Prediction" figure); with n > 1, the first n images of each batch as one \
                row, titled on the left.
                """, arguments: [
                ArgumentSpec("names", .list(.string), help: "the kept batches, e.g. [noisy, denoised]"),
                ArgumentSpec("titles", .list(.string), default: Value.none, help: "one per batch (default: the names)"),
                ArgumentSpec("n", .int, default: .int(1), bounds: [.atLeast(1)], help: "images per batch"),
                ArgumentSpec("index", .int, default: .int(0), bounds: [.atLeast(0)], help: "with n=1: which image of each batch"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/ (default: side_by_side)"),
            ], result: ResultSpec([Results.figure])) { inv, ctx in
                let names = try inv.stringList("names")
                guard !names.isEmpty else { throw ArgumentError(argument: "names", "name at least one kept batch") }
                let batches = try names.map { try keptImages(ws, $0, argument: "names") }
                let titles = inv.isGiven("titles") ? try inv.stringList("titles") : names
                guard titles.count == names.count else {
                    throw ArgumentError(argument: "titles", "\(titles.count) titles for \(names.count) batches")
                }
                let n = try inv.int("n"), range = ws.displayRange
                let figure: DNBPlot.Figure
                if n == 1 {
                    let index = try inv.int("index")
                    if let short = zip(names, batches).first(where: { index < 0 || index >= $0.1.count }) {
                        throw ArgumentError(argument: "index", "'\(short.0)' has \(short.1.count) images; index must be in 0…\(short.1.count - 1)")
                    }
                    figure = .sideBySide(batches.map { $0[index] }, titles: titles, vmin: range.vmin, vmax: range.vmax,
                                         figsize: (4 * Double(names.count), 4))
                } else {
                    figure = .imageGrid(batches.map { Array($0.prefix(n)) }, rowTitles: titles, vmin: range.vmin, vmax: range.vmax)
                }
                try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "side_by_side",
                            caption: names.joined(separator: " | "), inv, ctx)
            },
        ])]
    }
}

/// The images of a kept batch, which must be [N, H, W, C] with at least one image, pixel and channel
/// (`load tensor` keeps any array, and a 2-D one has no image layout).
func keptImages(_ ws: Workspace, _ name: String, argument: String) throws -> [GrayImage] {
    guard let t = ws.tensors[name] else { throw MissingPrerequisite(SaveLoadCommands.keptMessage(ws, name)) }
    guard t.rank == 4, t.shape.allSatisfy({ $0 > 0 }) else {
        throw ArgumentError(argument: argument, "'\(name)' has shape \(t.shape); plotting needs a non-empty batch of images with 4 dimensions (an NCHW array when loaded with `load tensor`)")
    }
    return try grayImages(t)
}

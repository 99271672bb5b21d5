import Foundation
import DNBLanguage
import DNBSupport
import DNBTerminalGraphics

/// `show [FIGURE]`: a figure of this session again, inline when the terminal can draw it
/// (docs/cli.md, "Figures in the terminal"), else with the desktop's viewer, else where it is.
enum ShowCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        var spec = CommandSpec(
            "show", summary: "Show a figure of this session again (the last one by default)",
            help: "Draws the figure inline when the terminal can (kitty, iTerm2, WezTerm, sixel terminals; DNB_INLINE=kitty|iterm|sixel|off overrides the detection). Otherwise the interactive REPL opens it with the desktop's viewer (xdg-open) when there is one, and prints where the file is. The figure is named as its file is, without .png (`loss`, `samples-2`).",
            arguments: [ArgumentSpec("figure", .string, default: Value.none, help: "a figure of this session by name, e.g. loss (default: the last one)")]
        ) { inv, ctx in
            let figure = try resolve(try inv.optionalString("figure"), in: ws.figureLog)
            let file = outputPath(figure.path, ctx)
            guard FileManager.default.fileExists(atPath: file) else {
                throw ShowError("\(figure.path) was written by this session but is no longer at \(file)")
            }
            ctx.out.figure(path: figure.path, caption: figure.caption)
            let display = InlineDisplay.shared
            guard display.activeProtocol == nil, display.viewerAllowed else { return }
            if let viewer = DesktopViewer.find(), DesktopViewer.open(file, with: viewer) {
                ctx.out.print("opened \(file) with \(DesktopViewer.program)")
            } else {
                ctx.out.print("this terminal cannot draw figures and \(DesktopViewer.program) is not on PATH: the figure is at \(file)")
            }
        }
        spec.suggestions = { ws.figureLog.map { name(of: $0.path) } }
        return [spec]
    }

    /// `figures/loss-2.png` is named `loss-2`.
    static func name(of path: String) -> String {
        let file = (path as NSString).lastPathComponent
        return file.hasSuffix(".png") ? String(file.dropLast(4)) : file
    }

    /// The figure `requested` names (by name, file name or path under the output directory), the last one when nil.
    static func resolve(_ requested: String?, in log: [(path: String, caption: String)]) throws -> (path: String, caption: String) {
        guard let last = log.last else {
            throw ShowError("no figure yet in this session: commands such as `plot losses` or `sample` make them")
        }
        guard let requested else { return last }
        if let match = log.last(where: { name(of: $0.path) == requested || $0.path == requested || ($0.path as NSString).lastPathComponent == requested }) {
            return match
        }
        let names = log.map { name(of: $0.path) }
        let near = Suggestions.nearest(to: requested, in: names).map { " Did you mean \($0)?" } ?? ""
        let listed = names.count <= 12 ? names.joined(separator: ", ") : names.suffix(12).joined(separator: ", ") + " (the last 12)"
        throw ShowError("no figure named \(requested) in this session.\(near) Figures: \(listed)")
    }
}

struct ShowError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

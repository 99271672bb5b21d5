import CReadline
import DNBLanguage
import DNBPlot
import DNBTerminalGraphics

/// Where the REPL and `dnb run` print output items: each as text, and a figure also drawn inline when the
/// terminal can (docs/cli.md, "Figures in the terminal"). The `[figure] path` line is always printed.
enum InlineFigures {
    nonisolated(unsafe) private static var configured = false

    /// `interactive`: the REPL at a terminal, where `show` may open the desktop viewer.
    static func configure(interactive: Bool) {
        let display = InlineDisplay.shared
        display.viewerAllowed = interactive
        guard !configured else { return }
        configured = true
        display.returnTypedInput = { bytes in for byte in bytes { rl_stuff_char(Int32(byte)) } }
        display.decodePNG = { path in
            let png = try PNGReader(path: path)
            return (png.width, png.height, png.rgba)
        }
    }

    static func echo(_ item: OutputItem, outputDirectory: String) {
        guard case .figure(let figure) = item else { return Terminal.out(item.plainText(outputDirectory: outputDirectory)) }
        let display = InlineDisplay.shared
        if case .invalidSetting(let value, _) = display.result, !warned {
            warned = true
            Terminal.errLine("dnb: \(InlineDetection.settingName)=\(value) is not one of \(InlineDetection.settingValues.joined(separator: ", ")); detecting the terminal instead")
        }
        let file = outputDirectory.hasSuffix("/") ? outputDirectory + figure.path : outputDirectory + "/" + figure.path
        do {
            if let sequence = try display.sequence(forPNGAt: file) { Terminal.out(sequence) }
        } catch {
            Terminal.errLine("dnb: \(error)")
        }
        Terminal.out(item.plainText(outputDirectory: outputDirectory))
    }

    nonisolated(unsafe) private static var warned = false
}

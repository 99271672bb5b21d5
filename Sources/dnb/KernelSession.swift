import DNBCommands
import DNBJupyter
import DNBKernel
import DNBLanguage
import Foundation

/// dnb behind the Jupyter kernel: one REPL session (workspace, interpreter, `save session`'s record)
/// whose cells run as REPL entries do, with outputs sent as Jupyter messages instead of printed.
final class KernelSession: KernelBackend {
    let shell: REPLShell
    let info: KernelInfo

    init(outputDirectory: String, verbose: Bool) {
        shell = REPLShell(outputDirectory: outputDirectory, verbose: verbose)
        info = KernelInfo(
            implementation: "dnb", implementationVersion: EnvironmentReport.version,
            languageInfo: IPynb.languageInfo(version: EnvironmentReport.version),
            banner: "dnb \(EnvironmentReport.version): diffusion notebooks, native. `help` lists the commands, `help CMD` or CMD? explains one.",
            helpLinks: [("diffusers UNet2DModel", "https://huggingface.co/docs/diffusers/api/models/unet2d"),
                        ("diffusers DDPMScheduler", "https://huggingface.co/docs/diffusers/api/schedulers/ddpm"),
                        ("diffusers DDIMScheduler", "https://huggingface.co/docs/diffusers/api/schedulers/ddim"),
                        ("diffusers DPMSolverMultistepScheduler", "https://huggingface.co/docs/diffusers/api/schedulers/multistep_dpm_solver"),
                        ("diffusers EulerDiscreteScheduler", "https://huggingface.co/docs/diffusers/api/schedulers/euler")])
    }

    /// Cells are named `In[3]` in diagnostics, as IPython names them: `In[3]:2:7: unknown argument …`.
    func execute(_ code: String, executionCount: Int, publisher: ExecutionPublisher) -> ExecutionOutcome {
        // An interrupt belongs to the cell it stopped: one left over would stop the next `help` or cell.
        Interrupt.shared.clear()
        defer { Interrupt.shared.clear() }
        let directory = shell.interpreter.outputDirectory
        let output = Output { item in publisher.send(JupyterOutput.from(item, outputDirectory: directory)) }
        // Warnings go to stderr, which notebooks show apart (in red), as Python's warnings.
        output.onWarning = { publisher.send(.stream(name: "stderr", text: $0)) }
        let progress = KernelProgress(publisher: publisher)
        shell.workspace.progressDisplay = progress.show
        defer { shell.workspace.progressDisplay = nil }
        let file = "In[\(executionCount)]"
        if let value = ValueCell(code, registry: shell.registry) {
            return value.run(in: shell, file: file, output: output)
        }
        switch shell.run(code, file: file, firstLine: 1, output: output) {
        case .success: return .ok(result: nil)
        case .failed(let diagnostic):
            return .error(JupyterOutput.error(diagnostic, interrupted: false, parse: (try? Parser.parse(code)) == nil))
        case .interrupted(let diagnostic): return .error(JupyterOutput.error(diagnostic, interrupted: true))
        }
    }

    func interrupt() {
        Interrupt.shared.request(signal: SIGINT)
    }

    /// Incomplete while a `{`, `[` or `(` is open or the last line ends with `\`, with the indent the next
    /// line wants; invalid when it does not parse (a value cell, `1 + 2`, is complete).
    func isComplete(_ code: String) -> (status: String, indent: String?) {
        if Parser.needsMoreInput(code) {
            let last = code.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
            let indent = String(last.prefix { $0 == " " || $0 == "\t" })
            return ("incomplete", last.trimmingCharacters(in: .whitespaces).hasSuffix("{") ? indent + "  " : indent)
        }
        if (try? Parser.parse(code)) != nil || ValueCell(code, registry: shell.registry) != nil { return ("complete", nil) }
        return ("invalid", nil)
    }

    func complete(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int) {
        KernelCompletion(code: code, cursor: cursor).matches(shell.interpreter)
    }

    func inspect(_ code: String, cursor: Int) -> String? {
        guard let request = KernelCompletion(code: code, cursor: cursor).helpRequest(shell.registry) else { return nil }
        let output = Output()
        guard (try? shell.interpreter.run(request, output: output)) != nil else { return nil }
        let text = output.items.map { $0.plainText() }.joined()
        return text.isEmpty ? nil : text
    }
}

/// A cell that is one value (`$n * 2`, `len($xs)`, `[1, 2]`) rather than statements: as in IPython it shows
/// the value as the cell's result (Out[n]) and binds it to `$_`. Only text that is not already statements
/// counts, so a misspelt command (`trian`) stays an error with its suggestion instead of becoming a string.
struct ValueCell {
    static let prefix = "let _ = "
    let code: String

    init?(_ code: String, registry: CommandRegistry) {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        if let script = try? Parser.parse(code) {
            // `len($xs)` reads as the unknown command `len`; a function call is meant.
            guard script.statements.count == 1, case .command(let call) = script.statements[0].kind,
                  registry.command(named: call.name) == nil, trimmed.hasPrefix(call.name + "(") else { return nil }
        }
        guard let script = try? Parser.parse(Self.prefix + code), script.statements.count == 1,
              case .assignment = script.statements[0].kind else { return nil }
        self.code = code
    }

    func run(in shell: REPLShell, file: String, output: Output) -> ExecutionOutcome {
        switch shell.run(Self.prefix + code, file: file, firstLine: 1, output: output) {
        case .success:
            let value = shell.interpreter.variable("_") ?? Value.none
            return .ok(result: ["text/plain": .string(value.literal)])
        case .failed(let diagnostic): return .error(JupyterOutput.error(unshifted(diagnostic), interrupted: false))
        case .interrupted(let diagnostic): return .error(JupyterOutput.error(unshifted(diagnostic), interrupted: true))
        }
    }

    /// The diagnostic as if the cell had been run as written, without the `let _ = ` in front.
    func unshifted(_ diagnostic: Diagnostic) -> Diagnostic {
        var fixed = diagnostic
        guard fixed.location.line == 1 else { return fixed }
        fixed.location.column = max(1, fixed.location.column - Self.prefix.count)
        if let line = fixed.sourceLine, line.hasPrefix(Self.prefix) { fixed.sourceLine = String(line.dropFirst(Self.prefix.count)) }
        return fixed
    }
}

import ArgumentParser
import DNBEngine
#if canImport(Glibc)
import Glibc
#endif

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Cores the engine uses (default: all; the DNB_THREADS environment variable is also honoured).",
                                            valueName: "n"))
    var threads: Int?

    @Flag(name: .long, help: "Say more about what commands do behind the scenes: every place and route tried for data.")
    var verbose = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the options to the process: call first in `run()`. A `DNB_THREADS`
    /// the engine cannot use (it would silently fall back to every core) ends the
    /// command with 64, or only warns when `warnOnly` (the interactive REPL).
    func apply(warnOnly: Bool = false) throws {
        if let threads {
            Engine.threads = threads
            return
        }
        guard let problem = GlobalOptions.threadsEnvironmentProblem() else { return }
        if warnOnly {
            Terminal.errLine("dnb: warning: \(problem); using all cores")
        } else {
            Terminal.errLine("dnb: \(problem)")
            throw ExitCode(64)
        }
    }

    /// What is wrong with `DNB_THREADS`, nil when it is unset, empty or a positive int.
    static func threadsEnvironmentProblem() -> String? {
        guard let raw = getenv("DNB_THREADS") else { return nil }
        let text = String(cString: raw)
        if text.isEmpty { return nil }
        if let count = Int(text), count >= 1 { return nil }
        return "DNB_THREADS=\(text) is not a number of cores (a whole number, at least 1); fix it, unset it or pass --threads N"
    }
}

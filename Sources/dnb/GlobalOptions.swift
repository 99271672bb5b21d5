import ArgumentParser
import DNBEngine

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Cores the engine uses (default: all; the DNB_THREADS environment variable is also honoured).",
                                            valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the options to the process: call first in `run()`.
    func apply() {
        if let threads { Engine.threads = threads }
    }
}

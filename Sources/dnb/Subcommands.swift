import ArgumentParser

/// The subcommands of `dnb`: the one place to add another.
///
/// To add a subcommand (e.g. `dnb bench`): write a `ParsableCommand` in its own
/// file with `@OptionGroup var global: GlobalOptions` (and `global.apply()` at the
/// start of `run()` so `--threads` takes effect), then list its type here.
/// Exit with `throw ExitCode(n)`.
enum Subcommands {
    static var all: [any ParsableCommand.Type] {
        [
            RunCommand.self,
            CheckCommand.self,
            REPLCommand.self,
            BenchCommand.self,
            CacheCommand.self,
            KernelCommand.self,
            ConvertCommand.self,
        ]
    }

    /// What `dnb` with no subcommand runs.
    static var `default`: any ParsableCommand.Type { REPLCommand.self }
}

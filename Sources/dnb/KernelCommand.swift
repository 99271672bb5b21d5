import ArgumentParser
import DNBCommands
import DNBKernel
import DNBLanguage
import DNBSupport
import Foundation

/// `dnb kernel -f CONNECTION_FILE`: dnb as a Jupyter kernel; `dnb kernel install` / `uninstall` manage its kernelspec.
struct KernelCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "kernel",
            abstract: "Serve dnb as a Jupyter kernel, or install or remove its kernelspec.",
            discussion: """
                Jupyter starts `dnb kernel -f CONNECTION_FILE` itself once the kernelspec is installed \
                (`dnb kernel install`); see docs/jupyter.md. One workspace per kernel, as in the REPL.
                """,
            subcommands: [KernelServe.self, KernelInstall.self, KernelUninstall.self],
            defaultSubcommand: KernelServe.self)
    }
}

/// The kernel itself (the default of `dnb kernel`).
struct KernelServe: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "serve", abstract: "Serve the kernel on the sockets a connection file names (Jupyter runs this).")
    }

    @Option(name: .customShort("f"), help: ArgumentHelp("The connection file Jupyter wrote.", valueName: "connection-file"))
    var connectionFile: String

    @Option(name: [.customLong("out"), .customShort("o")],
            help: ArgumentHelp("Directory for figures and other files commands write.", valueName: "dir"))
    var outputDirectory = "out/kernel"

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try global.apply(warnOnly: true)
        // Help is wrapped for a notebook, not for whatever terminal started the server.
        setenv("COLUMNS", "80", 1)
        let kernel: Kernel
        do {
            let connection = try ConnectionInfo(file: ValueType.expandingTilde(connectionFile))
            let session = KernelSession(outputDirectory: ValueType.expandingTilde(outputDirectory), verbose: global.verbose)
            kernel = try Kernel(connection: connection, backend: session)
        } catch {
            Terminal.errLine("dnb kernel: \(describeError(error))")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        KernelSignals.install()
        do {
            try kernel.run()
        } catch {
            Terminal.errLine("dnb kernel: \(describeError(error))")
            throw ExitCode(1)
        }
    }
}

/// SIGINT interrupts the running cell, like an interrupt_request, however often it comes: a kernel is
/// never quit by it (Jupyter ends kernels with a shutdown request, then SIGTERM or SIGKILL).
enum KernelSignals {
    static func install() {
        _ = Interrupt.shared.isRequested
        signal(SIGPIPE, SIG_IGN)
        signal(SIGINT, kernelSigint)
        // A parent may start us with SIGINT blocked (the mask survives exec; the test runner's threads
        // block it): unblocked here, on the main thread, it reaches the handler.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

private func kernelSigint(_ number: Int32) {
    Interrupt.shared.request(signal: number)
}

struct KernelInstall: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "install", abstract: "Install the dnb kernelspec so Jupyter can start dnb kernels.")
    }

    @OptionGroup var location: KernelSpecLocation

    @Option(name: .long, help: ArgumentHelp("The name Jupyter shows (default: dnb).", valueName: "text"))
    var displayName = "dnb"

    func run() throws {
        let (directory, name) = (location.directory, location.name)
        do {
            let spec = KernelSpec(name: name, displayName: displayName, executable: try Self.executablePath(), version: EnvironmentReport.version)
            let logos = ["logo-32x32.png": try KernelLogo.png(size: 32), "logo-64x64.png": try KernelLogo.png(size: 64)]
            try spec.install(into: directory, logos: logos)
        } catch {
            Terminal.errLine("dnb kernel install: \(describeError(error))")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        Terminal.out("installed kernelspec \(name) in \(directory)\n")
    }

    /// This dnb's absolute path, so the kernelspec starts this very binary wherever Jupyter runs.
    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw FileError("read", "/proc/self/exe", errno: errno) }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

struct KernelUninstall: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "uninstall", abstract: "Remove the dnb kernelspec that `dnb kernel install` wrote.")
    }

    @OptionGroup var location: KernelSpecLocation

    func run() throws {
        let (directory, name) = (location.directory, location.name)
        do {
            let left = try KernelSpec.uninstall(directory)
            let note = left.isEmpty ? "" : " (the folder stays: it also holds \(left.joined(separator: ", ")))"
            Terminal.out("removed kernelspec \(name) from \(directory)\(note)\n")
        } catch {
            Terminal.errLine("dnb kernel uninstall: \(describeError(error))")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
    }
}

/// Where a kernelspec goes, for `install` and `uninstall`: the user's Jupyter data folder or a prefix's, and its name.
struct KernelSpecLocation: ParsableArguments {
    @Flag(name: .long, help: "The user's kernelspecs (the default): $JUPYTER_DATA_DIR, else ~/.local/share/jupyter.")
    var user = false

    @Option(name: .long, help: ArgumentHelp("The kernelspecs under DIR/share/jupyter/kernels (a venv's or /usr/local).", valueName: "dir"))
    var prefix: String?

    @Option(name: .long, help: ArgumentHelp("The kernelspec's name (default: dnb).", valueName: "name"))
    var name = "dnb"

    func validate() throws {
        if user && prefix != nil { throw ValidationError("--user and --prefix exclude each other") }
        if !KernelSpecName.isValid(name) { throw ValidationError("--name must be letters, digits, '.', '_' or '-', got '\(name)'") }
    }

    var directory: String { KernelSpec.directory(name: name, prefix: prefix.map(ValueType.expandingTilde)) }
}

/// Kernelspec names as jupyter_client accepts them.
enum KernelSpecName {
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}

import Foundation
import Testing
import DNBTestSupport

/// The C kernels off x86-64: scripts/check-arm64.sh compiles every C file of the package for
/// aarch64-linux-gnu with -Wall -Wextra -Werror (it fails, for instance, when DNB_CLONES loses its
/// x86-64 guard or when a `clang loop vectorize` pragma cannot be honoured on aarch64) and, when
/// qemu-aarch64 is installed, runs every kernel there against the x86-64 build.
@Suite struct PortabilityTests {
    static let script = repositoryRoot + "/scripts/check-arm64.sh"

    /// Exit status and combined output of `bash check-arm64.sh arguments…`.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Exit status 77 of `--available`: clang or Debian's gcc-aarch64-linux-gnu is not installed.
    static let crossToolchainPresent = ((try? run(["--available"]).status) ?? 77) == 0

    @Test(.enabled(if: crossToolchainPresent,
                   "no aarch64 cross toolchain (apt-get install gcc-aarch64-linux-gnu); arm64 compile not checked"))
    func cKernelsCompileForAArch64() throws {
        let (status, output) = try Self.run([])
        #expect(status == 0, "scripts/check-arm64.sh failed:\n\(output)")
        #expect(output.contains("compile for aarch64-linux-gnu"))
    }
}

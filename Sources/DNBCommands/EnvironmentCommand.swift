import Foundation
import DNBEngine
import DNBLanguage

/// `env` (the tutorial's watermark cell) and `seed`.
enum EnvironmentCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [
            CommandSpec("env", summary: "Show versions, CPU, cores and BLAS (the tutorial's watermark cell)",
                        help: "Prints what a result depends on: dnb's version, the Swift toolchain it was built with, the OS, the CPU and its vector extensions, the cores in use and the BLAS library.",
                        result: ResultSpec(EnvironmentReport.fields.map { ResultField($0.key, .string, help: "the \($0.label) row") })) { _, ctx in
                let rows = EnvironmentReport.current()
                ctx.setResult(EnvironmentReport.result(rows))
                ctx.out.table(Table(headers: ["", ""], rows: rows.map { [$0.0, $0.1] }))
            },
            CommandSpec("seed", summary: "Seed every random number dnb draws",
                        help: "Resets the session's generator (xoshiro256** seeded by SplitMix64): data shuffling, timesteps, noise and initial weights drawn afterwards repeat exactly for the same seed on any machine and thread count.",
                        arguments: [ArgumentSpec("value", .int, bounds: [.atLeast(0), .atMost(Double(Int.max))], help: "the seed, a non-negative integer")]) { inv, ctx in
                let value = try inv.int("value")
                ws.reseed(UInt64(value), at: "\(inv.location.file ?? "<input>"):\(inv.location.line)")
                ctx.out.print("seed \(value)")
            },
        ]
    }
}

/// Key facts about this machine and build, for `env` and report headers.
public enum EnvironmentReport {
    public static let version = "0.1.0"

    /// The rows of `current()` by label, and the field each is in `env`'s result.
    static let fields: [(label: String, key: String)] = [("dnb", "dnb"), ("Swift", "swift"), ("OS", "os"), ("Machine", "machine"), ("CPU", "cpu"),
                                                         ("CPU cores", "cpu_cores"), ("BLAS", "blas"), ("Date", "date")]

    /// `env`'s result: each row of `current()` under its field name.
    static func result(_ rows: [(String, String)]) -> [String: Value] {
        var values: [String: Value] = [:]
        for (label, text) in rows {
            if let field = fields.first(where: { $0.label == label }) { values[field.key] = .string(text) }
        }
        return values
    }

    public static func current() -> [(String, String)] {
        var rows: [(String, String)] = [("dnb", version)]
        #if swift(>=6.3)
        rows.append(("Swift", "6.3"))
        #else
        rows.append(("Swift", "6.x"))
        #endif
        var uts = utsname()
        uname(&uts)
        func field<T>(_ value: T) -> String { withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        rows.append(("OS", "\(field(uts.sysname)) \(field(uts.release))"))
        rows.append(("Machine", field(uts.machine)))
        rows.append(("CPU", cpuModel()))
        rows.append(("CPU cores", "\(ProcessInfo.processInfo.activeProcessorCount) (dnb uses \(Engine.threads))"))
        rows.append(("BLAS", "\(Engine.blasConfig) (kernel \(Engine.blasCoreDescription))"))
        rows.append(("Date", ISO8601DateFormatter().string(from: Date())))
        return rows
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        let model = text.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let flags = text.split(separator: "\n").first { $0.hasPrefix("flags") }.map { String($0) } ?? ""
        let simd = ["avx512f", "avx2", "fma"].filter { flags.contains(" \($0)") }
        return simd.isEmpty ? model : "\(model) (\(simd.joined(separator: ", ")))"
    }
}

import Foundation
import Testing
import COpenBLASCore
@testable import DNBEngine

/// OpenBLAS's kernels on this CPU (COpenBLASCore.h): Debian 12's OpenBLAS 0.3.21 takes its Prescott (SSE3)
/// kernels for Intel CPUs newer than it knows; dnb selects the ones the CPU's features call for.
@Suite struct BLASCoreTests {
    /// The rule on every combination: only Prescott is replaced, by the best core the features allow, never
    /// when the user chose one.
    @Test func onlyPrescottIsReplacedByTheFeaturesBestCore() {
        let all = UInt32(DNB_CPU_AVX | DNB_CPU_AVX2_FMA | DNB_CPU_AVX512)
        let avx2 = UInt32(DNB_CPU_AVX | DNB_CPU_AVX2_FMA)
        let cases: [(chosen: String?, features: UInt32, forced: Int32, expected: String?)] = [
            ("Prescott", all, 0, "SkylakeX"),
            ("PRESCOTT", all, 0, "SkylakeX"),        // OpenBLAS compares names without case
            ("Prescott", avx2, 0, "Haswell"),
            ("Prescott", UInt32(DNB_CPU_AVX), 0, "Sandybridge"),
            ("Prescott", 0, 0, nil),                 // a CPU for which Prescott is right
            ("Prescott", all, 1, nil),               // OPENBLAS_CORETYPE set: the user's choice
            ("Cooperlake", all, 0, nil),             // what Zen 4 gets
            ("SkylakeX", all, 0, nil),
            ("Haswell", all, 0, nil),                // a known CPU: OpenBLAS's choice stands
            ("Zen", avx2, 0, nil),
            ("Sandybridge", avx2, 0, nil),
            (nil, all, 0, nil),
        ]
        for c in cases {
            // The answer is one of the C file's literals, never a pointer into `chosen`.
            let answer = c.chosen.map { $0.withCString { dnb_blas_better_core($0, c.features, c.forced) } }
                ?? dnb_blas_better_core(nil, c.features, c.forced)
            let got = answer.map { String(cString: $0) }
            #expect(got == c.expected, "\(c.chosen ?? "nil"), features \(c.features), forced \(c.forced)")
        }
    }

    /// `dnb_cpu_features` against the kernel's view of the CPU (/proc/cpuinfo's flags, which Linux clears
    /// for registers the OS does not save).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/cpuinfo")))
    func featuresAgreeWithProcCpuinfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("flags") }.map(String.init) ?? ""
        let flags = Set(line.split(separator: " ").map(String.init))
        var expected: UInt32 = 0
        #if arch(x86_64)
        if flags.contains("avx") { expected |= UInt32(DNB_CPU_AVX) }
        if flags.isSuperset(of: ["avx2", "fma"]) { expected |= UInt32(DNB_CPU_AVX2_FMA) }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { expected |= UInt32(DNB_CPU_AVX512) }
        #endif
        #expect(dnb_cpu_features() == expected, "flags: \(flags.filter { $0.hasPrefix("avx") || $0 == "fma" }.sorted())")
    }

    /// In this process (its constructor ran at load time, as in dnb): a DYNAMIC_ARCH OpenBLAS runs the
    /// kernels the CPU calls for, not Prescott's, unless OPENBLAS_CORETYPE asked otherwise. Without the
    /// repair this fails on an Emerald Rapids CPU (family 6, model 207) with Debian's OpenBLAS 0.3.21.
    @Test func openBLASRunsKernelsForThisCPU() {
        let dynamicArch = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_init") != nil  // RTLD_DEFAULT
        let userForced = getenv("OPENBLAS_CORETYPE") != nil
        let features = dnb_cpu_features()
        if dynamicArch && !userForced && features & UInt32(DNB_CPU_AVX2_FMA) != 0 {
            #expect(Engine.blasCore.lowercased() != "prescott", "\(Engine.blasCoreDescription)")
        }
        if let old = Engine.blasCoreReplaced {
            #expect(old == "Prescott")
            let best = dnb_blas_better_core(old, features, 0).map { String(cString: $0) }
            #expect(Engine.blasCore == best)
            #expect(Engine.blasCoreDescription == "\(Engine.blasCore), chosen by dnb: OpenBLAS took Prescott for this CPU")
            #expect(getenv("OPENBLAS_CORETYPE") == nil, "the variable dnb set for OpenBLAS is removed again")
        } else {
            #expect(Engine.blasCoreDescription == Engine.blasCore)
        }
    }
}

import CBLAS
import Foundation

/// `dnb bench conv`: the machine's sgemm rate and conv2d forward + backward
/// rates for the tutorial UNet's convolution shapes, measured in one run.
///
/// FLOPs are the direct convolution's, 2·N·Ho·Wo·Co·Ci·KH·KW per pass, whatever
/// algorithm runs (Winograd does fewer multiplications for the same count), and
/// three passes per step: forward, input gradient, weight gradient. Each pass is
/// timed on its own (warm-up, then the median of `repetitions`); the forward
/// includes the bias, the weight-gradient pass includes the bias gradient.
public struct ConvBenchShape: Sendable, Codable, Hashable {
    public var name: String
    public var height: Int, width: Int, cin: Int, cout: Int
    public var kernel: Int, stride: Int, padding: Int
    /// Part of the target set (total FLOP / total time ≥ 0.6 of sgemm; bench/README.md, "conv2d: forward + backward vs sgemm").
    public var inTarget: Bool

    public init(_ name: String, height: Int, width: Int, cin: Int, cout: Int,
                kernel: Int = 3, stride: Int = 1, padding: Int = 1, inTarget: Bool) {
        self.name = name
        (self.height, self.width, self.cin, self.cout) = (height, width, cin, cout)
        (self.kernel, self.stride, self.padding, self.inTarget) = (kernel, stride, padding, inTarget)
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }

    /// Direct-convolution GFLOP of one pass at `batch`.
    public func gflopPerPass(batch: Int) -> Double {
        2 * Double(batch * outHeight * outWidth) * Double(cout * cin * kernel * kernel) / 1e9
    }

    /// The tutorial UNet's convolutions (3×3 stride 1 pad 1 unless named otherwise).
    public static let unet: [ConvBenchShape] = [
        .init("32→32 @32×32", height: 32, width: 32, cin: 32, cout: 32, inTarget: true),
        .init("64→64 @16×16", height: 16, width: 16, cin: 64, cout: 64, inTarget: true),
        .init("64→64 @8×8", height: 8, width: 8, cin: 64, cout: 64, inTarget: true),
        .init("128→64 @16×16", height: 16, width: 16, cin: 128, cout: 64, inTarget: true),
        .init("128→64 @8×8", height: 8, width: 8, cin: 128, cout: 64, inTarget: true),
        .init("96→32 @32×32", height: 32, width: 32, cin: 96, cout: 32, inTarget: true),
        .init("32→32 @32×32 s2", height: 32, width: 32, cin: 32, cout: 32, stride: 2, inTarget: false),
        .init("64→64 @16×16 s2", height: 16, width: 16, cin: 64, cout: 64, stride: 2, inTarget: false),
        .init("1×1 96→32 @32×32", height: 32, width: 32, cin: 96, cout: 32, kernel: 1, padding: 0, inTarget: false),
        .init("1×1 128→64 @16×16", height: 16, width: 16, cin: 128, cout: 64, kernel: 1, padding: 0, inTarget: false),
    ]
}

/// Which implementation a benchmark row measured.
public enum ConvBenchPath: String, Sendable, Codable, CaseIterable {
    /// What `conv2d` runs (Winograd for stride-1 3×3 'same', im2col otherwise).
    case fast
    /// `conv2dReference`: im2col + sgemm everywhere.
    case reference
    /// The fast path with Winograd F(2,3) (`Engine.winogradTile = 2`; F(4,3) is the default: see ConvWinograd.swift).
    case winograd2

    var convPath: ConvPath {
        switch self {
        case .fast: .fast
        case .reference: .reference
        case .winograd2: ConvPath(fastKernels: true, winogradTile: 2)
        }
    }
}

/// 1024³ sgemm rates measured in the same run.
public struct SgemmFigure: Sendable, Codable {
    public var size: Int
    /// Engine threads used for `gflops`.
    public var threads: Int
    /// M split across `threads` workers, single-threaded OpenBLAS each (how dnb runs GEMMs): the reference figure,
    /// the median of `samples`, taken before every shape and at the end so that it sees the same machine load.
    public var gflops: Double
    public var samples: [Double]
    /// The same sgemm per CPU-second of the process (GFLOP per core-second), median of `cpuSamples`:
    /// insensitive to other processes taking the cores, unlike the wall-clock figure.
    public var gflopsPerCPUSecond: Double
    public var cpuSamples: [Double]
    /// OpenBLAS's own threading with `threads` threads, for reference.
    public var gflopsOpenBLASThreads: Double
    /// One core.
    public var gflopsOneThread: Double
}

public struct ConvBenchRow: Sendable, Codable {
    public var shape: ConvBenchShape
    public var path: ConvBenchPath
    public var batch: Int
    /// Direct-convolution GFLOP of one pass; `gflopTotal` = 3 passes.
    public var gflopPerPass: Double
    public var gflopTotal: Double
    /// Medians per pass; `seconds` is their sum.
    public var secondsForward: Double
    public var secondsInputGrad: Double
    public var secondsWeightGrad: Double
    public var seconds: Double
    /// gflopTotal / seconds, and that as a fraction of the run's sgemm figure.
    public var gflops: Double
    public var fractionOfSgemm: Double
    /// Process CPU seconds of the three passes (medians) and the fraction per CPU second:
    /// (gflopTotal / cpuSeconds) / sgemm.gflopsPerCPUSecond. A cross-check on a busy machine.
    public var cpuSeconds: Double
    public var fractionOfSgemmCPU: Double

    init(shape: ConvBenchShape, path: ConvBenchPath, batch: Int, gflopPerPass: Double,
         secondsForward: Double, secondsInputGrad: Double, secondsWeightGrad: Double, cpuSeconds: Double) {
        (self.shape, self.path, self.batch, self.gflopPerPass) = (shape, path, batch, gflopPerPass)
        (self.secondsForward, self.secondsInputGrad, self.secondsWeightGrad) = (secondsForward, secondsInputGrad, secondsWeightGrad)
        gflopTotal = 3 * gflopPerPass
        seconds = secondsForward + secondsInputGrad + secondsWeightGrad
        gflops = gflopTotal / seconds
        fractionOfSgemm = 0
        self.cpuSeconds = cpuSeconds
        fractionOfSgemmCPU = 0
    }
}

public struct ConvBenchTotal: Sendable, Codable {
    public var path: ConvBenchPath
    /// "target" (the target shapes of bench/README.md) or "all".
    public var set: String
    public var gflop: Double
    public var seconds: Double
    public var gflops: Double
    public var fractionOfSgemm: Double
    /// Process CPU seconds and the fraction computed per CPU second (see `SgemmFigure.gflopsPerCPUSecond`).
    public var cpuSeconds: Double
    public var fractionOfSgemmCPU: Double
}

public struct ConvBenchmarkReport: Sendable, Codable, CustomStringConvertible {
    public var date: String
    public var machine: String
    public var blas: String
    public var batch: Int
    public var repetitions: Int
    /// `Engine.winogradTile` during the run (4 = F(4,3), the default).
    public var winogradTile: Int
    public var sgemm: SgemmFigure
    public var rows: [ConvBenchRow]
    public var totals: [ConvBenchTotal]

    /// The target of bench/README.md: the target shapes' total on the fast path reach 0.6 of sgemm.
    public var targetFraction: Double? { totals.first { $0.path == .fast && $0.set == "target" }?.fractionOfSgemm }
    public var meetsTarget: Bool { (targetFraction ?? 0) >= 0.6 }

    public func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    public var description: String { table() }

    /// A Markdown table: one row per shape and path, then the totals.
    public func table() -> String {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        func ms(_ s: Double) -> String { String(format: "%.1f", s * 1e3) }
        var lines = [
            "conv2d forward + backward, batch \(batch), median of \(repetitions) — \(date)",
            "machine: \(machine); \(blas); fast path: " + (winogradTile == 0 ? "im2col" : "Winograd F(\(winogradTile),3) for stride-1 3×3"),
            "sgemm \(sgemm.size)³: \(f(sgemm.gflops)) GFLOP/s on \(sgemm.threads) threads (M split, 1-thread OpenBLAS each; median of "
                + "\(sgemm.samples.count) samples spread over the run, \(f(sgemm.samples.min() ?? 0))–\(f(sgemm.samples.max() ?? 0))) = the reference figure; "
                + "OpenBLAS \(sgemm.threads)-thread \(f(sgemm.gflopsOpenBLASThreads)), 1 thread \(f(sgemm.gflopsOneThread))",
            "",
            "sgemm per CPU-second: \(f(sgemm.gflopsPerCPUSecond)) GFLOP per core-second (the basis of the last column)",
            "",
            "| shape | path | GFLOP (3 passes) | fwd ms | bwd-input ms | bwd-weight ms | GFLOP/s | × sgemm | × sgemm per CPU-s |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            lines.append("| \(r.shape.name)\(r.shape.inTarget ? "" : " *") | \(r.path.rawValue) | \(f(r.gflopTotal, 2)) | \(ms(r.secondsForward)) | "
                + "\(ms(r.secondsInputGrad)) | \(ms(r.secondsWeightGrad)) | \(f(r.gflops)) | \(f(r.fractionOfSgemm, 2)) | \(f(r.fractionOfSgemmCPU, 2)) |")
        }
        for t in totals {
            lines.append("| **total, \(t.set == "target" ? "target shapes" : "all shapes")** | \(t.path.rawValue) | \(f(t.gflop, 2)) | | | "
                + "\(ms(t.seconds)) total | \(f(t.gflops)) | **\(f(t.fractionOfSgemm, 2))** | \(f(t.fractionOfSgemmCPU, 2)) |")
        }
        lines.append("")
        lines.append("* not in the target (stride-2 downsampling and 1×1 shortcut convolutions). Target: ≥ 0.60 × sgemm for the target shapes "
            + "together; fast path: \(targetFraction.map { f($0, 2) } ?? "n/a") — \(meetsTarget ? "met" : "not met"). "
            + "FLOPs are the direct convolution's (2·N·Ho·Wo·Co·Ci·KH·KW per pass, 3 passes).")
        return lines.joined(separator: "\n")
    }
}

public struct ConvBenchmarkOptions: Sendable {
    public var batch: Int
    public var repetitions: Int
    public var warmup: Int
    public var shapes: [ConvBenchShape]
    /// `[.fast, .reference]` adds the im2col reference ("before") to the same run.
    public var paths: [ConvBenchPath]

    public init(batch: Int = 128, repetitions: Int = 5, warmup: Int = 1, shapes: [ConvBenchShape] = ConvBenchShape.unet,
                paths: [ConvBenchPath] = [.fast]) {
        (self.batch, self.repetitions, self.warmup, self.shapes, self.paths) = (batch, repetitions, warmup, shapes, paths)
    }
}

/// Runs the measurement: about 10 s for the fast path at batch 128 on an idle 2-core machine
/// (+20 s with the reference path); at most ~250 MB of buffers (the 96-channel 32×32 shape).
public func runConvBenchmark(_ options: ConvBenchmarkOptions = ConvBenchmarkOptions()) -> ConvBenchmarkReport {
    let n = 1024
    let gemm = SgemmBench(size: n)
    var sgemm = gemm.figure(repetitions: max(5, options.repetitions))
    var rows: [ConvBenchRow] = []
    func sample() {
        let s = gemm.split(repetitions: 3)
        sgemm.samples.append(s.wall)
        sgemm.cpuSamples.append(s.cpu)
    }
    for shape in options.shapes {
        sample()
        for path in options.paths {
            rows.append(measureConv(shape, path: path, batch: options.batch, repetitions: options.repetitions,
                                    warmup: options.warmup))
        }
    }
    sample()
    sgemm.gflops = median(sgemm.samples)
    sgemm.gflopsPerCPUSecond = median(sgemm.cpuSamples)
    for i in rows.indices {
        rows[i].fractionOfSgemm = rows[i].gflops / sgemm.gflops
        rows[i].fractionOfSgemmCPU = rows[i].gflopTotal / rows[i].cpuSeconds / sgemm.gflopsPerCPUSecond
    }
    var totals: [ConvBenchTotal] = []
    for path in options.paths {
        for set in ["target", "all"] {
            let rs = rows.filter { $0.path == path && (set == "all" || $0.shape.inTarget) }
            guard !rs.isEmpty else { continue }
            let gflop = rs.reduce(0) { $0 + $1.gflopTotal }, seconds = rs.reduce(0) { $0 + $1.seconds }
            let cpu = rs.reduce(0) { $0 + $1.cpuSeconds }
            totals.append(ConvBenchTotal(path: path, set: set, gflop: gflop, seconds: seconds,
                                         gflops: gflop / seconds, fractionOfSgemm: gflop / seconds / sgemm.gflops,
                                         cpuSeconds: cpu, fractionOfSgemmCPU: gflop / cpu / sgemm.gflopsPerCPUSecond))
        }
    }
    return ConvBenchmarkReport(date: ISO8601DateFormatter().string(from: Date()), machine: machineDescription(),
                               blas: "OpenBLAS \(Engine.blasCoreDescription) (\(Engine.blasConfig))", batch: options.batch,
                               repetitions: options.repetitions, winogradTile: Engine.winogradTile, sgemm: sgemm,
                               rows: rows, totals: totals)
}

func benchNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// CPU seconds of the whole process (all threads).
func processCPUNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Median wall-clock seconds and median process CPU seconds of `body` after `warmup` untimed calls.
func timeMedians(repetitions: Int, warmup: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
    for _ in 0..<warmup { body() }
    var wall: [Double] = [], cpu: [Double] = []
    for _ in 0..<max(1, repetitions) {
        let t0 = benchNow(), c0 = processCPUNow()
        body()
        wall.append(benchNow() - t0)
        cpu.append(processCPUNow() - c0)
    }
    return (median(wall), median(cpu))
}

func timeMedian(repetitions: Int, warmup: Int, _ body: () -> Void) -> Double {
    timeMedians(repetitions: repetitions, warmup: warmup, body).wall
}

func uniformTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let t = Tensor(uninitialized: shape)
    for i in 0..<t.count { t.data[i] = 2 * rng.uniform() - 1 }
    return t
}

/// 1024³ (or size³) sgemm with uniform operands.
struct SgemmBench {
    let n: Int
    let a: Tensor, b: Tensor, c: Tensor
    var flop: Double { 2 * Double(n) * Double(n) * Double(n) }

    init(size: Int) {
        n = size
        a = uniformTensor([n, n], seed: 1)
        b = uniformTensor([n, n], seed: 2)
        c = Tensor.zeros([n, n])
    }

    /// GFLOP per wall second and per CPU second with M split across the engine's threads, 1-thread OpenBLAS each.
    func split(repetitions: Int) -> (wall: Double, cpu: Double) {
        let t = timeMedians(repetitions: repetitions, warmup: 1) {
            parallelSgemm(m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
        }
        return (flop / 1e9 / t.wall, flop / 1e9 / t.cpu)
    }

    func figure(repetitions: Int) -> SgemmFigure {
        let threads = Engine.threads
        let split = split(repetitions: repetitions)
        let one = timeMedian(repetitions: repetitions, warmup: 1) {
            sgemm(m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
        }
        openblas_set_num_threads(Int32(threads))
        let blasThreads = timeMedian(repetitions: repetitions, warmup: 2) {
            sgemm(m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
        }
        openblas_set_num_threads(1)
        return SgemmFigure(size: n, threads: threads, gflops: split.wall, samples: [split.wall],
                           gflopsPerCPUSecond: split.cpu, cpuSamples: [split.cpu],
                           gflopsOpenBLASThreads: flop / blasThreads / 1e9, gflopsOneThread: flop / one / 1e9)
    }
}

func measureConv(_ s: ConvBenchShape, path: ConvBenchPath, batch: Int, repetitions: Int, warmup: Int) -> ConvBenchRow {
    // The benchmark's own fixed shapes (and a batch the bench command checks is positive): a failure is a bug here.
    let g = try! ConvGeometry(input: [batch, s.height, s.width, s.cin], weight: [s.kernel, s.kernel, s.cin, s.cout],
                              stride: s.stride, padding: s.padding)
    let x = uniformTensor([g.n, g.h, g.w, g.ci], seed: 3)
    let scale = 1 / Float(g.k).squareRoot()
    let w = uniformTensor([g.kh, g.kw, g.ci, g.co], seed: 4)
    for i in 0..<w.count { w.data[i] *= scale }
    let b = uniformTensor([g.co], seed: 5)
    let dy = uniformTensor([g.n, g.ho, g.wo, g.co], seed: 6)
    let y = Tensor(uninitialized: dy.shape)
    let dx = Tensor.zeros(x.shape), dw = Tensor.zeros(w.shape), db = Tensor.zeros(b.shape)
    let p = path.convPath
    let fwd = timeMedians(repetitions: repetitions, warmup: warmup) { convForward(g, x.data, w.data, b.data, y.data, path: p) }
    let bin = timeMedians(repetitions: repetitions, warmup: warmup) { convInputGradient(g, w.data, dy.data, dx.data, path: p) }
    let bw = timeMedians(repetitions: repetitions, warmup: warmup) {
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: g.n * g.co)
        defer { sums.deallocate() }
        convWeightGradient(g, x.data, dy.data, dw.data, imageSums: sums, path: p)
        ConvBiasGradients(biasGradient: db.data).apply(sums, n: g.n, co: g.co)
    }
    let gflop = s.gflopPerPass(batch: batch)
    return ConvBenchRow(shape: s, path: path, batch: batch, gflopPerPass: gflop, secondsForward: fwd.wall,
                        secondsInputGrad: bin.wall, secondsWeightGrad: bw.wall, cpuSeconds: fwd.cpu + bin.cpu + bw.cpu)
}

func machineDescription() -> String {
    var model = "unknown CPU"
    if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let colon = line.firstIndex(of: ":") {
        model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    var features: [String] = []
    if let flags = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
        for f in ["avx512f", "avx2"] where flags.contains(" \(f)") { features.append(f); break }
    }
    return "\(model), \(cores) cores\(features.isEmpty ? "" : ", " + features.joined(separator: ", ")), engine threads \(Engine.threads)"
}

import ArgumentParser
import Foundation
import DNBEngine
import DNBDiffusion
import DNBCommands

/// `dnb bench train|sample|conv`: the numbers in bench/README.md.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time the training step, the sampling loop and the convolutions (build with -c release).",
        subcommands: [TrainBench.self, SampleBench.self, ConvBench.self])
}

struct BenchModelOptions: ParsableArguments {
    @Option(help: "Images per step.") var batch: Int = 128
    @Option(help: "Timed steps (training) or inference steps (sampling).") var steps: Int = 5
    @Option(help: "tutorial (the tutorial's UNet), small (the small preset) or quickstart (notebooks/quickstart.dnb's UNet).")
    var config: String = "tutorial"
    @Flag(help: "Print JSON.") var json = false

    func modelConfig() throws -> UNet2DConfig {
        switch config {
        case "tutorial": return .tutorial
        case "small": return .smallCPU
        case "quickstart":  // notebooks/quickstart.dnb's model cell: the small preset with a fourth level
            var c = UNet2DConfig.smallCPU
            c.blockOutChannels = [16, 32, 32, 64]
            c.downBlockTypes = Array(repeating: "DownBlock2D", count: 4)
            c.upBlockTypes = Array(repeating: "UpBlock2D", count: 4)
            return c
        default: throw ValidationError("--config must be tutorial, small or quickstart, got \(config)")
        }
    }

    func validate() throws {
        guard batch > 0, steps > 0 else { throw ValidationError("--batch and --steps must be positive") }
    }
}

func printBenchmark(_ r: BenchmarkResult, json: Bool) throws {
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(r), as: UTF8.self))
        return
    }
    print(String(format: "%@: batch %d, %d threads: median %.3f s, %.1f images/s, peak memory %.0f MB",
                 r.name, r.batch, r.threads, r.medianSeconds, r.imagesPerSecond, Double(r.peakMemoryBytes) / 1e6))
    if let rate = r.gflopPerSecond { print(String(format: "  %.1f GFLOP per step, %.1f GFLOP/s", r.gflopPerStep!, rate)) }
    print("  per step: " + r.secondsPerStep.map { String(format: "%.3f", $0) }.joined(separator: " "))
}

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Median seconds per training step (noise, add_noise, forward, MSE, backward, Adam).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BenchModelOptions

    func run() throws {
        try global.apply()
        try printBenchmark(try Benchmarks.training(config: try options.modelConfig(), batch: options.batch, steps: options.steps), json: options.json)
    }
}

struct SampleBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Seconds for one DDPM sampling run of --batch images with --steps steps.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BenchModelOptions

    func run() throws {
        try global.apply()
        try printBenchmark(try Benchmarks.sampling(config: try options.modelConfig(), batch: options.batch, steps: options.steps), json: options.json)
    }
}

struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv", abstract: "sgemm GFLOP/s and conv2d forward+backward GFLOP/s for the tutorial UNet's shapes.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Batch size.") var batch: Int = 128
    @Option(help: "Timed repetitions per shape.") var repetitions: Int = 5
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try global.apply()
        let report = runConvBenchmark(ConvBenchmarkOptions(batch: batch, repetitions: repetitions))
        print(json ? try report.json() : report.description)
    }
}

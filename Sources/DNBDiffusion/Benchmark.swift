import Foundation
import DNBEngine

/// Timings of the tutorial's training step and sampling loop, for `dnb bench`.
public struct BenchmarkResult: Codable, Sendable {
    public var name: String
    public var batch: Int
    public var steps: Int
    public var secondsPerStep: [Double]
    public var medianSeconds: Double
    public var imagesPerSecond: Double
    public var peakMemoryBytes: Int
    public var threads: Int
    /// Forward + backward FLOP of one step when known (training only), and the rate reached.
    public var gflopPerStep: Double?
    public var gflopPerSecond: Double?
}

public enum Benchmarks {
    /// GFLOP of one tutorial-config training step per image (forward + backward), counted from
    /// the convolutions, linear layers and attention products; PyTorch's profiler reports 2.60 per image.
    public static func trainingGFLOP(config: UNet2DConfig, batch: Int) -> Double? {
        config == .tutorial ? 332.6 / 128 * Double(batch) : nil
    }

    public static func training(config: UNet2DConfig = .tutorial, batch: Int, steps: Int, warmup: Int = 1,
                                seed: UInt64 = 0) throws -> BenchmarkResult {
        let model = try UNet2DModel(config: config, seed: seed)
        let schedule = try NoiseSchedule(trainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, schedule: .linear)
        let trainer = NoisePredictionTrainer(model: model, schedule: schedule)
        var rng = RandomGenerator(seed: seed)
        let size = config.sampleSize ?? 32
        let batchTensor = rng.uniformTensor([batch, size, size, config.inChannels])
        var times: [Double] = []
        for i in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            try trainer.trainStep(batchTensor, rng: &rng)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i >= warmup { times.append(seconds) }
        }
        let median = times.sorted()[times.count / 2]
        let gflop = trainingGFLOP(config: config, batch: batch)
        return BenchmarkResult(name: "train", batch: batch, steps: steps, secondsPerStep: times, medianSeconds: median,
                               imagesPerSecond: Double(batch) / median, peakMemoryBytes: peakResidentBytes(),
                               threads: Engine.threads, gflopPerStep: gflop, gflopPerSecond: gflop.map { $0 / median })
    }

    /// A full DDPM sampling run of `batch` images with `steps` denoising steps; "steps" in the result is 1 run.
    public static func sampling(config: UNet2DConfig = .tutorial, batch: Int, steps: Int, repeats: Int = 1,
                                seed: UInt64 = 0) throws -> BenchmarkResult {
        let model = try UNet2DModel(config: config, seed: seed)
        let scheduler = try DDPMScheduler()
        var rng = RandomGenerator(seed: seed)
        let size = config.sampleSize ?? 32
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try denoiseLoop(model: model, scheduler: scheduler, start: rng.normalTensor([batch, size, size, config.inChannels]),
                                steps: steps, rng: &rng)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        return BenchmarkResult(name: "sample", batch: batch, steps: steps, secondsPerStep: times, medianSeconds: median,
                               imagesPerSecond: Double(batch) / median, peakMemoryBytes: peakResidentBytes(),
                               threads: Engine.threads, gflopPerStep: nil, gflopPerSecond: nil)
    }
}

/// The process's peak resident set (VmHWM), in bytes; 0 where /proc is unavailable.
public func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kb * 1024
}

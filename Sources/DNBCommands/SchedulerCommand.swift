import DNBEngine
import DNBDiffusion
import DNBLanguage
import DNBPlot
import Foundation

/// `scheduler create | timesteps | add_noise`.
enum SchedulerCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("scheduler", summary: "Create the noise scheduler and look at its timesteps", help: """
            The scheduler defines how much noise each training timestep adds (β schedule) and how sampling \
            steps back through the timesteps. ddpm is diffusers' DDPMScheduler, ddim its DDIMScheduler \
            (deterministic at eta 0, good with few steps). Both keep diffusers' defaults.
            """, verbs: [
            CommandSpec("create", summary: "Choose DDPM or DDIM and its settings", arguments: [
                ArgumentSpec("type", .string, default: .string("ddpm"), allowed: [.string("ddpm"), .string("ddim")], help: "DDPMScheduler or DDIMScheduler"),
                ArgumentSpec("num_train_timesteps", .int, default: .int(1000), help: "T, the number of training timesteps"),
                ArgumentSpec("beta_start", .float, default: .float(0.0001), help: "β at t = 0"),
                ArgumentSpec("beta_end", .float, default: .float(0.02), help: "β at t = T − 1"),
                ArgumentSpec("beta_schedule", .string, default: .string("linear"), allowed: BetaSchedule.allCases.map { .string($0.rawValue) }, help: "how β grows"),
                ArgumentSpec("prediction_type", .string, default: .string("epsilon"), allowed: PredictionType.allCases.map { .string($0.rawValue) }, help: "what the model predicts"),
                ArgumentSpec("variance_type", .string, default: .string("fixed_small"), allowed: DDPMScheduler.VarianceType.allCases.map { .string($0.rawValue) }, help: "DDPM only: the variance of each sampling step"),
                ArgumentSpec("clip_sample", .bool, default: .bool(true), help: "clip the predicted clean image to ±clip_sample_range"),
                ArgumentSpec("clip_sample_range", .float, default: .float(1), help: "the clipping bound"),
                ArgumentSpec("timestep_spacing", .string, default: .string("leading"), allowed: TimestepSpacing.allCases.map { .string($0.rawValue) }, help: "how inference timesteps are spread over 0..T−1"),
                ArgumentSpec("steps_offset", .int, default: .int(0), help: "added to leading timesteps"),
                ArgumentSpec("eta", .float, default: .float(0), help: "DDIM only: 0 is deterministic, 1 adds DDPM-like noise"),
            ]) { inv, ctx in
                let common = (T: try inv.int("num_train_timesteps"), start: try inv.double("beta_start"), end: try inv.double("beta_end"))
                let betaSchedule = BetaSchedule(rawValue: try inv.string("beta_schedule"))!
                let prediction = PredictionType(rawValue: try inv.string("prediction_type"))!
                let spacing = TimestepSpacing(rawValue: try inv.string("timestep_spacing"))!
                let clip = try inv.bool("clip_sample"), range = Float(try inv.double("clip_sample_range"))
                if try inv.string("type") == "ddim" {
                    let s = try DDIMScheduler(numTrainTimesteps: common.T, betaStart: common.start, betaEnd: common.end, betaSchedule: betaSchedule,
                                              predictionType: prediction, clipSample: clip, clipSampleRange: range,
                                              timestepSpacing: spacing, stepsOffset: try inv.int("steps_offset"))
                    s.eta = Float(try inv.double("eta"))
                    ws.scheduler = s
                    ws.schedule = s.schedule
                } else {
                    let s = try DDPMScheduler(numTrainTimesteps: common.T, betaStart: common.start, betaEnd: common.end, betaSchedule: betaSchedule,
                                              predictionType: prediction, varianceType: .init(rawValue: try inv.string("variance_type"))!,
                                              clipSample: clip, clipSampleRange: range, timestepSpacing: spacing, stepsOffset: try inv.int("steps_offset"))
                    ws.scheduler = s
                    ws.schedule = s.schedule
                }
                let s = ws.schedule!
                ctx.out.print("\(try inv.string("type") == "ddim" ? "DDIMScheduler" : "DDPMScheduler"): T = \(common.T), \(betaSchedule.rawValue) β from \(s.betas.first!) to \(s.betas.last!), ᾱ from \(s.alphasCumprod.first!) to \(s.alphasCumprod.last!)")
            },
            CommandSpec("timesteps", summary: "Set n inference steps, list the timesteps and explain them",
                        arguments: [ArgumentSpec("steps", .int, help: "number of inference steps")],
                        prerequisite: { _ = try ws.requireScheduler() }) { inv, ctx in
                let s = try ws.requireScheduler()
                try s.setTimesteps(try inv.int("steps"))
                ctx.out.print(explainTimesteps(s))
            },
            CommandSpec("add_noise", summary: "The same images noised at chosen timesteps: what training feeds the model", help: """
                Takes `n` random images and noises each with one draw of Gaussian noise at every timestep in \
                `timesteps` (scheduler.add_noise: √ᾱₜ·x + √(1 − ᾱₜ)·noise), one row per image and one column per \
                timestep, and prints how much signal and noise each timestep keeps. The results are kept as `noisy`.
                """, arguments: [
                ArgumentSpec("timesteps", .list(.int), default: .list([0, 50, 100, 200, 400, 600, 800, 999].map { .int($0) }), help: "the timesteps to show"),
                ArgumentSpec("n", .int, default: .int(3), help: "how many images"),
                ArgumentSpec("split", .string, default: .string("train"), allowed: [.string("train"), .string("test")], help: "where the images come from"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/ (default: add_noise)"),
            ], prerequisite: { _ = try ws.requireScheduler(); _ = try ws.requireData() }) { inv, ctx in
                let scheduler = try ws.requireScheduler(), data = try ws.requireData()
                let timesteps = try inv.intList("timesteps")
                guard !timesteps.isEmpty else { throw ArgumentError(argument: "timesteps", "give at least one timestep") }
                if let bad = timesteps.first(where: { $0 < 0 || $0 >= scheduler.numTrainTimesteps }) {
                    throw ArgumentError(argument: "timesteps", "timestep \(bad) is outside 0…\(scheduler.numTrainTimesteps - 1)")
                }
                let split = try inv.string("split")
                guard let set = split == "train" ? data.train : data.test else { throw MissingPrerequisite("no \(split) split loaded") }
                let n = min(try SampleCommands.positive(inv, "n"), set.count)
                let clean = set.images(Array(ws.rng.permutation(set.count).prefix(n)))
                let noise = ws.rng.normalTensor(clean.shape)
                let columns = try timesteps.map { t in try scheduler.schedule.addNoise(clean, noise: noise, timesteps: Array(repeating: t, count: n)) }
                // Row-major (image, timestep), as the figure shows them.
                let per = clean.count / n
                var kept = [Float]()
                kept.reserveCapacity(n * timesteps.count * per)
                for i in 0..<n { for column in columns { kept += column.scalars[i * per..<(i + 1) * per] } }
                ws.tensors["noisy"] = try Tensor(shape: [n * timesteps.count] + Array(clean.shape.dropFirst()), scalars: kept)

                let images = try columns.map { try grayImages($0) }
                let rows = (0..<n).map { i in images.map { $0[i] } }
                let titles = [timesteps.map { "t = \($0)" }] + Array(repeating: timesteps.map { _ in "" }, count: n - 1)
                let range = ws.displayRange
                try ws.emit(DNBPlot.Figure.imageGrid(rows, titles: titles, vmin: range.vmin, vmax: range.vmax),
                            name: try inv.optionalString("figure"), defaultName: "add_noise",
                            caption: "\(n) \(split) image\(n == 1 ? "" : "s") noised at timesteps \(timesteps.map(String.init).joined(separator: ", "))", inv, ctx)
                let ab = scheduler.schedule.alphasCumprod
                ctx.out.table(Table(headers: ["t", "√ᾱₜ (signal)", "√(1 − ᾱₜ) (noise)"], rows: timesteps.map { t in
                    [String(t), String(format: "%.4f", ab[t].squareRoot()), String(format: "%.4f", (1 - ab[t]).squareRoot())]
                }))
            },
        ])]
    }
}

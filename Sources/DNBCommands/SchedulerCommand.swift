import DNBEngine
import DNBDiffusion
import DNBLanguage
import DNBPlot
import Foundation
import DNBSupport

/// `scheduler create | timesteps | add_noise`.
enum SchedulerCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("scheduler", summary: "Create the noise scheduler and look at its timesteps", help: """
            The scheduler defines how much noise each training timestep adds (β schedule) and how sampling \
            steps back through the timesteps. ddpm is diffusers' DDPMScheduler, ddim its DDIMScheduler \
            (deterministic at eta 0, good with few steps), dpm its DPMSolverMultistepScheduler (DPM-Solver++ 2M: \
            fewer steps again), euler its EulerDiscreteScheduler (with use_karras_sigmas). All keep diffusers' defaults (the solvers space timesteps by linspace).
            """, verbs: [
            CommandSpec("create", summary: "Choose DDPM, DDIM, DPM-Solver++ or Euler and its settings", arguments: [
                ArgumentSpec("type", .string, default: .string("ddpm"), allowed: SchedulerKind.allCases.map { .string($0.rawValue) },
                             help: "DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler or EulerDiscreteScheduler"),
            ] + SchedulerConfig.keys.filter(\.isArgument).map { $0.argumentSpec(default: SchedulerConfig()) } + [
                // Above 1 the DDIM step's σ exceeds √(1 − ᾱ_prev) and the direction term takes √ of a negative: NaN images.
                ArgumentSpec("eta", .float, default: .float(0), bounds: [.atLeast(0), .atMost(1)], help: "DDIM only: 0 is deterministic, 1 adds DDPM-like noise"),
            ], result: Results.scheduler) { inv, ctx in
                let kind = SchedulerKind(rawValue: try inv.string("type")) ?? .ddpm
                var config = SchedulerConfig.defaults(for: kind.rawValue)
                for key in SchedulerConfig.keys where key.isArgument && inv.isGiven(key.name) {
                    do { try key.set(jsonValue(try inv.value(key.name)), in: &config) } catch ModelError.invalidConfig(let message) {
                        throw ArgumentError(argument: key.name, message)
                    }
                }
                do { try config.validate() } catch ModelError.invalidConfig(let message) { throw ArgumentError(message) }
                try MemoryBudget.check(config.tableBytes, for: "scheduler create num_train_timesteps=\(config.numTrainTimesteps)",
                                       advice: "use fewer timesteps (diffusers' default is 1000)")
                let eta = kind == .ddim ? try inv.double("eta") : 0
                let s = try kind.make(config, eta: Float(eta))
                ws.scheduler = s
                ws.schedule = s.schedule
                ctx.setResult(["class": .string(kind.className),
                               "config": .record(Results.config(config, keys: SchedulerConfig.keys)),
                               "eta": kind == .ddim ? .float(eta) : .none])
                let last = s.schedule.betas.count - 1
                ctx.out.print("\(kind.className): T = \(config.numTrainTimesteps), \(config.betaSchedule) β from \(s.schedule.betas[0]) to \(s.schedule.betas[last]), ᾱ from \(s.schedule.alphasCumprod[0]) to \(s.schedule.alphasCumprod[last])")
            },
            CommandSpec("timesteps", summary: "Set n inference steps, list the timesteps and explain them",
                        arguments: [ArgumentSpec("steps", .int, bounds: [.atLeast(1)], help: "number of inference steps (at most num_train_timesteps)")],
                        result: ResultSpec([ResultField("timesteps", .list(.int), help: "the timesteps sampling visits, in order")]),
                        prerequisite: { _ = try ws.requireScheduler() }) { inv, ctx in
                let s = try ws.requireScheduler()
                try s.setTimesteps(try inv.int("steps"))
                ctx.setResult(["timesteps": .list(s.timesteps.map(Value.int))])
                ctx.out.print(explainTimesteps(s))
            },
            CommandSpec("add_noise", summary: "The same images noised at chosen timesteps: what training feeds the model", help: """
                Takes `n` random images and noises each with one draw of Gaussian noise at every timestep in \
                `timesteps` (scheduler.add_noise: √ᾱₜ·x + √(1 − ᾱₜ)·noise), one row per image and one column per \
                timestep, and prints how much signal and noise each timestep keeps. The results are kept as `noisy`.
                """, arguments: [
                ArgumentSpec("timesteps", .list(.int), default: .list([0, 50, 100, 200, 400, 600, 800, 999].map { .int($0) }), bounds: [.atLeast(0)], help: "the timesteps to show (below num_train_timesteps)"),
                ArgumentSpec("n", .int, default: .int(3), bounds: [.atLeast(1)], help: "how many images"),
                ArgumentSpec("split", .string, default: .string("train"), allowed: [.string("train"), .string("test")], help: "where the images come from"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/ (default: add_noise)"),
            ], result: ResultSpec([
                ResultField("timesteps", .list(.int), help: "the timesteps shown"),
                ResultField("signal", .list(.float), help: "√ᾱₜ per timestep: how much of the image is kept"),
                ResultField("noise", .list(.float), help: "√(1 − ᾱₜ) per timestep: how much noise is added"),
                Results.tensor, Results.shape, Results.figure,
            ]), prerequisite: { _ = try ws.requireScheduler(); _ = try ws.requireData() }) { inv, ctx in
                let scheduler = try ws.requireScheduler(), data = try ws.requireData()
                let timesteps = try inv.intList("timesteps")
                guard !timesteps.isEmpty else { throw ArgumentError(argument: "timesteps", "give at least one timestep") }
                if let bad = timesteps.first(where: { $0 < 0 || $0 >= scheduler.numTrainTimesteps }) {
                    throw ArgumentError(argument: "timesteps", "timestep \(bad) is outside 0…\(scheduler.numTrainTimesteps - 1)")
                }
                let split = try inv.string("split")
                guard let set = split == "train" ? data.train : data.test else { throw MissingPrerequisite("no \(split) split loaded") }
                let n = min(try inv.int("n"), set.count)
                let clean = set.images(Array(ws.rng.permutation(set.count).prefix(n)))
                let noise = ws.rng.normalTensor(clean.shape)
                let columns = try timesteps.map { t in try scheduler.schedule.addNoise(clean, noise: noise, timesteps: Array(repeating: t, count: n)) }
                // Row-major (image, timestep), as the figure shows them.
                let per = clean.count / n
                var kept = [Float]()
                kept.reserveCapacity(n * timesteps.count * per)
                for i in 0..<n { for column in columns { kept += column.scalars[i * per..<(i + 1) * per] } }
                let noisy = try Tensor(shape: [n * timesteps.count] + Array(clean.shape.dropFirst()), scalars: kept)
                ws.tensors["noisy"] = noisy

                let images = try columns.map { try grayImages($0) }
                let rows = (0..<n).map { i in images.map { $0[i] } }
                let titles = [timesteps.map { "t = \($0)" }] + Array(repeating: timesteps.map { _ in "" }, count: n - 1)
                let range = ws.displayRange
                try ws.emit(DNBPlot.Figure.imageGrid(rows, titles: titles, vmin: range.vmin, vmax: range.vmax),
                            name: try inv.optionalString("figure"), defaultName: "add_noise",
                            caption: "\(n) \(split) image\(n == 1 ? "" : "s") noised at timesteps \(timesteps.map(String.init).joined(separator: ", "))", inv, ctx)
                let ab = scheduler.schedule.alphasCumprod
                ctx.setResult(Results.kept("noisy", noisy).merging([
                    "timesteps": .list(timesteps.map(Value.int)),
                    "signal": .list(timesteps.map { .float(Double(ab[$0].squareRoot())) }),
                    "noise": .list(timesteps.map { .float(Double((1 - ab[$0]).squareRoot())) }),
                ]) { $1 })
                ctx.out.table(Table(headers: ["t", "√ᾱₜ (signal)", "√(1 − ᾱₜ) (noise)"], rows: timesteps.map { t in
                    [String(t), String(format: "%.4f", ab[t].squareRoot()), String(format: "%.4f", (1 - ab[t]).squareRoot())]
                }))
            },
        ])]
    }
}

/// The scheduler classes `scheduler create type=` names, and how each is made from a config.
enum SchedulerKind: String, CaseIterable {
    case ddpm, ddim, dpm, euler

    var className: String {
        switch self {
        case .ddpm: return "DDPMScheduler"
        case .ddim: return "DDIMScheduler"
        case .dpm: return "DPMSolverMultistepScheduler"
        case .euler: return "EulerDiscreteScheduler"
        }
    }

    /// The name in captions and evaluation labels ("20 DPM-Solver++ steps").
    var shortName: String {
        switch self {
        case .ddpm: return "DDPM"
        case .ddim: return "DDIM"
        case .dpm: return "DPM-Solver++"
        case .euler: return "Euler"
        }
    }

    func make(_ config: SchedulerConfig, eta: Float) throws -> DenoisingScheduler {
        switch self {
        case .ddpm: return try DDPMScheduler(config: config)
        case .ddim:
            let s = try DDIMScheduler(config: config)
            s.eta = eta
            return s
        case .dpm: return try DPMSolverMultistepScheduler(config: config)
        case .euler: return try EulerDiscreteScheduler(config: config)
        }
    }

    init?(_ scheduler: DenoisingScheduler) {
        switch scheduler {
        case is DDPMScheduler: self = .ddpm
        case is DDIMScheduler: self = .ddim
        case is DPMSolverMultistepScheduler: self = .dpm
        case is EulerDiscreteScheduler: self = .euler
        default: return nil
        }
    }
}

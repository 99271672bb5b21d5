import Foundation
import Testing
import DNBSupport
import DNBTestSupport
import DNBLanguage
import DNBEngine
import DNBDiffusion
@testable import DNBCommands

/// Values are checked before they reach arithmetic: bounds declared in the argument specs (shared by `check`, the
/// binder and help), relations checked once per command, and the memory budget asked before allocating.
struct ArgumentValidationTests {
    /// Numeric arguments without bounds, each for a reason.
    static let unbounded: Set<String> = [
        // diffusers' downscale_freq_shift may be negative; its upper limit depends on block_out_channels
        // (a relation UNet2DConfig.validate checks).
        "model create freq_shift",
    ]

    @Test func everyNumericArgumentHasBoundsOrAReason() {
        let registry = CommandRegistry.dnb(workspace: Workspace())
        var missing: [String] = [], seen = 0
        func walk(_ spec: CommandSpec, _ path: String) {
            for argument in spec.arguments {
                let numeric: Bool
                switch argument.type {
                case .int, .float, .list(.int), .list(.float): numeric = true
                default: numeric = false
                }
                guard numeric else { continue }
                seen += 1
                let name = "\(path) \(argument.name)"
                if argument.bounds.isEmpty != Self.unbounded.contains(name) { missing.append(name) }
            }
            for verb in spec.verbs { walk(verb, "\(path) \(verb.name)") }
        }
        for command in registry.commands { walk(command, command.name) }
        #expect(seen > 50)
        #expect(missing.isEmpty, "numeric arguments without bounds (or bounded but allow-listed): \(missing)")
    }

    func session(_ dir: TemporaryDirectory) -> (Workspace, Interpreter) {
        let ws = Workspace()
        return (ws, Interpreter(registry: .dnb(workspace: ws), outputDirectory: dir.path, interrupt: Interrupt()))
    }

    /// Each of these trapped, produced NaN or was accepted silently; now each is refused with a message naming the
    /// argument's limit or relation, and the session goes on.
    @Test func hostileValuesAreRefusedAndTheSessionGoesOn() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("""
            seed 1
            dataset load name=synthetic count=16 image_size=16
            \(CommandTests.tinyModel) num_class_embeds=10
            scheduler create
            """, output: Output())
        ws.tensors["flat"] = try Tensor(shape: [3, 4], scalars: Array(repeating: 0, count: 12))
        let cases: [(String, String)] = [
            ("train epochs=1e309", "must be a finite number"),
            ("let lr = 1e999\ntrain lr=$lr", "must be a finite number"),
            ("train epochs=2e6", "≤ 1000000"),
            ("train lr=-1", "> 0"),
            ("train weight_decay=-0.1", "≥ 0"),
            ("train warmup_steps=-1", "≥ 0"),
            ("train ema=1", "< 1"),
            ("train ema=-0.5", "≥ 0"),
            ("train max_steps=2 lr_schedule=cosine warmup_steps=5 progress=false", "warmup_steps 5 must be at most"),
            ("model create norm_num_groups=0", "≥ 1"),
            ("model create norm_eps=0", "> 0"),
            ("model create sample_size=0", "≥ 1"),
            ("model create seed=-1", "≥ 0"),
            ("model create block_out_channels=[12, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] norm_num_groups=8",
             "norm_num_groups 8 must divide every block_out_channels [12, 16]"),
            ("model create block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] norm_num_groups=4 freq_shift=4",
             "freq_shift 4 must be below half of block_out_channels[0]"),
            ("model summary depth=0", "≥ 1"),
            ("progression rows=20 snapshots=4 steps=4", "rows 20 must be at most snapshots (4)"),
            ("progression rows=1 snapshots=6 steps=4", "snapshots 6 must be at most steps + 1"),
            ("progression rows=1 snapshots=2 steps=1 class=10", "class 10 must be below num_class_embeds (10)"),
            ("sample n=2 steps=1 classes=[10]", "class 10 must be below num_class_embeds (10)"),
            ("sample columns=0", "≥ 1"),
            ("plot images name=flat", "'flat' has shape [3, 4]"),
            ("plot images columns=0", "≥ 1"),
            ("dataset load name=synthetic count=-1", "≥ 1"),
            ("dataset load name=synthetic count=16 classes=[10]", "≤ 9"),
            ("dataset load name=synthetic count=16 image_size=2", "≥ 4"),
            ("scheduler create type=ddim eta=5", "≤ 1"),
            ("scheduler create clip_sample_range=-1", "> 0"),
            ("scheduler create beta_start=0.03", "beta_start 0.03 must be below beta_end 0.02"),
            ("scheduler create steps_offset=1000", "steps_offset 1000 must be below num_train_timesteps 1000"),
            ("scheduler timesteps steps=0", "≥ 1"),
            ("scheduler create type=dpm solver_order=3", "≤ 2"),
            ("scheduler create type=dpm solver_type=midpont", "did you mean 'midpoint'"),
            ("scheduler create type=dpm final_sigmas_type=one", "expected one of: zero, sigma_min"),
            ("scheduler add_noise timesteps=[-1]", "≥ 0"),
            ("seed -3", "≥ 0"),
            // Leading timesteps 500 + 999 used to index past ᾱ's table.
            ("scheduler create steps_offset=999\nscheduler timesteps steps=2", "reaches timestep 1499, past num_train_timesteps − 1 (999)"),
        ]
        for (line, expected) in cases {
            let before = ws.rng
            defer { #expect(ws.rng == before, "\(line) drew from the session generator before failing") }
            let error = #expect(throws: (any Error).self, "\(line)") { try interpreter.run(line, output: Output()) }
            let message = error.map { String(describing: $0) } ?? "no error"
            #expect(message.contains(expected), "\(line): \(message)")
        }
        // Still alive: the model, scheduler and data are those of the setup.
        let out = Output()
        try interpreter.run("sample n=2 steps=1 classes=[3, 4]", output: out)
        #expect(ws.tensors["samples"]?.shape == [2, 16, 16, 1])
        #expect(ws.scheduler is DDPMScheduler && ws.model?.config.numClassEmbeds == 10)
    }

    /// Sizes that used to abort with "failed to allocate" (or overflow Int) are refused with the estimate and the limit.
    @Test func oversizedRequestsAreRefusedWithTheEstimate() throws {
        let dir = try TemporaryDirectory()
        let (_, interpreter) = session(dir)
        try interpreter.run("""
            dataset load name=synthetic count=16 image_size=16
            \(CommandTests.tinyModel)
            scheduler create
            """, output: Output())
        // Below the 2³¹ − 1 that every int argument without an upper bound is limited to, but far over the memory.
        for line in ["sample n=2000000000", "refine n=2000000000", "train batch_size=2000000000",
                     "scheduler create num_train_timesteps=2000000000",
                     "model create block_out_channels=[1000000] down_block_types=[DownBlock2D] up_block_types=[UpBlock2D]",
                     "model create sample_size=1000000", "dataset load name=synthetic count=16 image_size=10000000"] {
            // model create sample_size alone allocates nothing: the size is refused when sampling.
            let run = line.hasPrefix("model create sample_size") ? line + "\nsample" : line
            let error = #expect(throws: (any Error).self, "\(line)") { try interpreter.run(run, output: Output()) }
            let message = error.map { String(describing: $0) } ?? "no error"
            #expect(message.contains("needs about") && message.contains("the limit is"), "\(line): \(message)")
        }
    }

    /// One case under and one over a fixed budget, through the same estimates the commands use.
    @Test func budgetAdmitsWhatFitsAndRefusesWhatDoesNot() throws {
        let budget = MemoryBudget(limit: 2e9, source: "test")
        let config = UNet2DConfig.tutorial
        // Measured 3.5 MB per sampled image (UNet2DConfig.activationBytes): 64 images take ~0.2 GB, 100,000 ~350 GB.
        try budget.check(64 * config.activationBytes(imageSize: 32, training: false), for: "sample n=64", advice: "")
        let error = #expect(throws: MemoryBudgetError.self) {
            try budget.check(100_000 * config.activationBytes(imageSize: 32, training: false), for: "sample n=100000", advice: "use a smaller n")
        }
        #expect(error?.message.hasPrefix("sample n=100000 needs about 3") == true, "\(error!)")
        #expect(error?.message.hasSuffix("GB; the limit is 2 GB (test); use a smaller n") == true, "\(error!)")
        // Training a batch keeps far more per image than sampling one.
        #expect(config.activationBytes(imageSize: 32, training: true) > 3 * config.activationBytes(imageSize: 32, training: false))
    }

    @Test func budgetLimitAndSizes() throws {
        #expect(MemoryBudget.parse("2G") == 2.0 * 1024 * 1024 * 1024)
        #expect(MemoryBudget.parse("1.5g") == 1.5 * 1024 * 1024 * 1024)
        #expect(MemoryBudget.parse("512M") == 512.0 * 1024 * 1024)
        #expect(MemoryBudget.parse("4096") == 4096)
        for bad in ["", "G", "-1G", "0", "inf", "2X", "1e999"] { #expect(MemoryBudget.parse(bad) == nil, "\(bad)") }
        let set = try MemoryBudget.current(environment: ["DNB_MEMORY_LIMIT": "2G"])
        #expect(set == MemoryBudget(limit: 2 * 1024 * 1024 * 1024, source: "DNB_MEMORY_LIMIT"))
        #expect(throws: MemoryBudgetError.self) { try MemoryBudget.current(environment: ["DNB_MEMORY_LIMIT": "lots"]) }
        let machine = try MemoryBudget.current(environment: [:])
        #expect(machine.limit > 0 && machine.limit <= Double(ProcessInfo.processInfo.physicalMemory))
        #expect(MemoryBudget.format(61e9) == "61 GB")
        #expect(MemoryBudget.format(23.5e9) == "23.5 GB")
        #expect(MemoryBudget.format(512) == "512 bytes")
    }

    /// A diverged run's weights still load, with a warning naming the tensors and counts.
    @Test func nonFiniteWeightsLoadWithAWarning() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run(CommandTests.tinyModel, output: Output())
        let model = try #require(ws.model)
        let weight = try #require(model.parameters["conv_in.weight"]).tensor
        weight.data[0] = .nan
        weight.data[1] = .infinity
        try interpreter.run("model save diverged ema=false", output: Output())
        let out = Output()
        try interpreter.run("model load \(dir.file("diverged"))", output: out)
        let log = out.items.map { $0.plainText() }.joined(separator: "\n")
        #expect(log.contains("warning: 2 weights are NaN or infinite in 1 tensor: conv_in.weight (2)"), "\(log)")
        #expect(ws.model !== model && ws.model?.parameters["conv_in.weight"]?.tensor.data[0].isNaN == true)
    }

    /// Engine settings and shapes a user can reach throw instead of trapping.
    @Test func engineRefusesBadSettingsAndShapes() throws {
        let tile = Engine.winogradTile
        #expect(throws: EngineError.self) { try Engine.setWinogradTile(3) }
        #expect(Engine.winogradTile == tile)
        // A shape read from a file whose product overflows Int, or with a negative dimension.
        #expect(throws: EngineError.self) { try Tensor(shape: [Int.max, 2], scalars: [1]) }
        #expect(throws: EngineError.self) { try Tensor(shape: [-2, -3], scalars: Array(repeating: 0, count: 6)) }
    }

    /// The same bounds reach `dnb check` (every problem with file:line:column, before anything runs) and help.
    @Test func checkAndHelpShowTheBounds() throws {
        let dir = try TemporaryDirectory()
        try dir.write("bad.dnb", """
            ```dnb
            model create norm_num_groups=0 seed=-1
            train lr=-1 epochs=1e309
            scheduler create type=ddim eta=5
            ```
            """)
        let result = try CLIBinary.run(["check", "bad.dnb"], in: dir)
        #expect(result.status == 65, "\(result)")
        for expected in ["bad.dnb:2:14: argument 'norm_num_groups' must be ≥ 1, got 0", "bad.dnb:2:32: argument 'seed' must be ≥ 0, ≤ 9223372036854775807, got -1",
                         "bad.dnb:3:7: argument 'lr' must be > 0, got -1", "bad.dnb:3:13: argument 'epochs' must be a finite number",
                         "bad.dnb:4:28: argument 'eta' must be ≥ 0, ≤ 1, got 5"] {
            #expect(result.stderr.contains(expected), "\(expected) in \(result.stderr)")
        }
        let scratch = try TemporaryDirectory()
        let (_, interpreter) = session(scratch)
        let out = Output()
        try interpreter.run("help train\nhelp scheduler create", output: out)
        // Help is wrapped to the terminal's width (docs/cli.md): compare with the line breaks taken out.
        let help = out.items.map { $0.plainText() }.joined(separator: "\n").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("(≥ 0, < 1; default: none)"), "\(help)")  // ema
        #expect(help.contains("(≥ 2; default: 1000)"), "\(help)")  // num_train_timesteps, diffusers' default from SchedulerConfig
    }
}

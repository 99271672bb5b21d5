import Foundation
import Testing
import DNBTestSupport
import DNBLanguage
import DNBEngine
@testable import DNBCommands

/// `let NAME = COMMAND …` for every dnb command that gives a result, on the tiny model and synthetic digits:
/// each field against what the session really holds, `check` against the declared fields, `vars`, and a
/// sweep's table in the report.
@Suite struct CommandResultTests {
    /// Binds every command and verb that declares a result (the coverage test below keeps it so).
    static let story = """
        seed 3
        let d = dataset load name=synthetic count=64 image_size=16
        let shown = dataset show n=4
        let c = corrupt n=4
        let m = \(CommandTests.tinyModel)
        let s = model summary
        let sc = scheduler create
        let ts = scheduler timesteps steps=2
        let an = scheduler add_noise timesteps=[0, 500] n=2
        let sub = dataset subset n=48
        let sp = dataset split test=8
        let tr = dataset transform range=symmetric
        let r = train max_steps=4 batch_size=8 progress=false
        let r2 = train max_steps=7 progress=false
        let l = plot loss
        let x = sample n=3 steps=2
        let ct = classifier train epochs=1 batch_size=16
        let cs = classifier show
        let ev = evaluate name=samples label=three
        let one = sample steps=2
        let dn = denoise steps=2 n=2
        let rf = refine n=2 iterations=1 inference_steps=1
        let p = progression steps=2 snapshots=2 rows=1
        let pi = plot images name=samples
        let sbs = plot side_by_side names=[samples, denoised]
        let pr = model predict name=samples timesteps=[10]
        let st = save tensor name=samples path=s.npy
        let lt = load tensor path=s.npy name=back
        let ck = save checkpoint path=ck
        let lc = load checkpoint path=ck
        let ms = model save path=m
        let ml = model load path=m
        let e = env
        """

    private func record(_ interpreter: Interpreter, _ name: String) throws -> Record {
        guard case .record(let record)? = interpreter.variable(name) else { throw Failure("$\(name) is not a record") }
        return record
    }

    private struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test func everyResultIsWhatTheSessionHolds() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        let out = Output()
        try interpreter.run(Self.story, output: out)
        let field = { (name: String, key: String) throws -> Value in try record(interpreter, name)[key] ?? .string("missing") }

        #expect(try record(interpreter, "d") == Record(["name": "synthetic", "train": 64, "test": 10, "image_size": 16, "range": "unit",
                                                         "source": "drawn procedurally (seeded)"]))
        #expect(try field("sub", "train") == 48)
        #expect(try field("sp", "train") == 40 && field("sp", "test") == 8)
        #expect(try field("tr", "range") == "symmetric")
        #expect(try field("shown", "figure") == "figures/dataset.png")
        #expect(try record(interpreter, "c") == Record(["tensor": "corrupted", "shape": [4, 16, 16, 1], "figure": "figures/corrupt.png"]))

        // `model create`, `model summary` and `model load` describe the model the same way.
        let model = try #require(ws.model)
        let m = try record(interpreter, "m")
        #expect(m["class"] == "UNet2DModel" && m["parameters"] == .int(model.parameters.count) && m["bytes"] == .int(4 * model.parameters.count))
        guard case .record(let config)? = m["config"] else { Issue.record("no config record"); return }
        #expect(config["block_out_channels"] == [8, 16] && config["sample_size"] == 16 && config["num_class_embeds"] == Value.none)
        #expect(try record(interpreter, "s") == m)
        #expect(try field("ml", "config") == .record(config) && field("ml", "parameters") == m["parameters"])

        #expect(try field("sc", "class") == "DDPMScheduler" && field("sc", "eta") == Value.none)
        guard case .record(let schedulerConfig) = try field("sc", "config") else { Issue.record("no scheduler config"); return }
        #expect(schedulerConfig["num_train_timesteps"] == 1000 && schedulerConfig["beta_schedule"] == "linear")
        #expect(try field("ts", "timesteps") == [500, 0])
        let ab = try #require(ws.schedule).alphasCumprod
        #expect(try field("an", "signal") == .list([.float(Double(ab[0].squareRoot())), .float(Double(ab[500].squareRoot()))]))
        #expect(try field("an", "shape") == [4, 16, 16, 1] && field("an", "tensor") == "noisy")

        // 40 training images at batch 8: 5 batches an epoch. The first call stops one step short of
        // an epoch; the second finishes it (step 5) and runs two steps of the next.
        let losses = ws.losses
        #expect(try record(interpreter, "r") == Record([
            "loss": .float(losses[0..<4].reduce(0, +) / 4), "last_loss": .float(losses[3]), "epoch_losses": [], "steps": 4, "step": 4,
            "epoch": 0, "seconds": try field("r", "seconds"), "allreduce_seconds": 0.0,
        ]))
        #expect(try field("r2", "loss") == .float(ws.epochLosses[0]) && field("r2", "epoch_losses") == [.float(ws.epochLosses[0])])
        #expect(try field("r2", "steps") == 3 && field("r2", "step") == 7 && field("r2", "epoch") == 1 && field("r2", "last_loss") == .float(losses[6]))
        guard case .float(let seconds) = try field("r2", "seconds") else { Issue.record("no seconds"); return }
        #expect(seconds > 0 && seconds < 600)
        #expect(try field("l", "figure") == "figures/loss.png")

        // The statistics of the last sample, computed here in double from the kept float32 values. Both
        // sum the same values in the same order, so they agree to rounding (1e-12, far below the float32
        // resolution of the pixels themselves).
        let samples = try #require(ws.tensors["samples"]).scalars.map(Double.init)
        let mean = samples.reduce(0, +) / Double(samples.count)
        let std = (samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)).squareRoot()
        let one = try record(interpreter, "one")
        #expect(one["min"] == .float(samples.min()!) && one["max"] == .float(samples.max()!))
        for (key, expected) in [("mean", mean), ("std", std)] {
            guard case .float(let value)? = one[key] else { Issue.record("no \(key)"); continue }
            #expect(abs(value - expected) < 1e-12, "\(key)")
        }
        #expect(one["n"] == 1 && one["steps"] == 2 && one["shape"] == [1, 16, 16, 1] && one["figure"] == "figures/sample.png")
        #expect(try field("x", "shape") == [3, 16, 16, 1] && field("x", "figure") == "figures/samples.png")

        // denoise prints its error to 4 decimals: the held value rounds to it.
        let printed = try #require(out.items.map { $0.plainText() }.joined().firstMatch(of: /clean images: ([0-9.]+)/)).1
        guard case .float(let mse) = try field("dn", "mse") else { Issue.record("no mse"); return }
        #expect(abs(mse - Double(printed)!) <= 5e-5)
        guard case .list(let noised) = try field("dn", "timesteps") else { Issue.record("no timesteps"); return }
        #expect(try noised.count == 2 && field("dn", "tensor") == "denoised")
        #expect(try field("rf", "tensor") == "refined" && field("p", "tensor") == "progression" && field("p", "figure") == "figures/progression.png")
        #expect(try field("pi", "figure") == "figures/samples-2.png" && field("sbs", "figure") == "figures/side_by_side.png")
        #expect(try field("pr", "tensor") == "prediction" && field("pr", "shape") == [1, 16, 16, 1])

        #expect(try record(interpreter, "st") == Record(["path": .string(dir.file("s.npy")), "shape": [1, 1, 16, 16]]))
        #expect(try record(interpreter, "lt") == Record(["path": .string(dir.file("s.npy")), "tensor": "back", "shape": [1, 16, 16, 1]]))
        #expect(try record(interpreter, "ck") == Record(["path": .string(dir.file("ck")), "step": 7]))
        #expect(try record(interpreter, "lc") == Record(["path": .string(dir.file("ck")), "step": 7]))
        #expect(try record(interpreter, "ms") == Record(["path": .string(dir.file("m")), "ema": false]))
        #expect(try field("e", "dnb") == .string(EnvironmentReport.version) && field("e", "blas") != "missing")
        for path in ["figures/dataset.png", "figures/loss.png", "figures/side_by_side.png"] {
            #expect(FileManager.default.fileExists(atPath: dir.file(path)), "\(path)")
        }
    }

    /// A command that declares a result is bound in the story above, so its record is built (and checked
    /// against its declaration) at least once.
    @Test func theStoryBindsEveryCommandThatGivesAResult() throws {
        let registry = CommandRegistry.dnb(workspace: Workspace())
        var declared: [String] = []
        for command in registry.commands {
            if command.result != nil { declared.append(command.name) }
            declared += command.verbs.filter { $0.result != nil }.map { "\(command.name) \($0.name)" }
        }
        var bound: Set<String> = []
        for statement in try Parser.parse(Self.story).statements {
            switch statement.kind {
            case .commandAssignment(_, let call):
                let verb = call.arguments.first.flatMap { registry.command(named: call.name)?.hasVerbs == true ? $0.value.constantValue : nil }
                bound.insert(verb.map { "\(call.name) \($0)" } ?? call.name)
            // `let e = env`: a lone word that names a command.
            case .assignment(_, let value):
                if case .string(let word)? = value.constantValue { bound.insert(word) }
            default: continue
            }
        }
        #expect(declared.count >= 25)
        #expect(Set(declared).subtracting(bound).sorted() == [])
    }

    /// docs/language.md's table of results names every command that gives one and every field it has.
    @Test func theDocsListEveryResultField() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/language.md", encoding: .utf8)
        let section = try #require(text.components(separatedBy: "### Command results").dropFirst().first?.components(separatedBy: "\n### ").first)
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { $0.split(separator: "|").map(String.init) }
        let registry = CommandRegistry.dnb(workspace: Workspace())
        var documented = 0
        for command in registry.commands {
            let specs = command.result != nil ? [(command.name, command)] : command.verbs.map { ("\(command.name) \($0.name)", $0) }
            for (path, spec) in specs {
                guard let result = spec.result else { continue }
                guard let row = rows.first(where: { $0[0].contains("`\(path)`") }) else {
                    Issue.record("docs/language.md's table of results has no row for `\(path)`")
                    continue
                }
                for field in result.fields where !row[1].contains("`\(field.name)`") {
                    Issue.record("docs/language.md's row for `\(path)` does not name its field `\(field.name)`")
                }
                documented += 1
            }
        }
        #expect(documented >= 25)
    }

    @Test func checkKnowsTheFieldsOfEveryResult() throws {
        let runner = Runner(registry: .dnb(workspace: Workspace()))
        let notebook = try Notebook(parsing: """
            ```dnb
            let m = model summary
            print $m.paramters $m.config.sample_siz $m.config.block_out_channels[0] + 1
            let r = train epochs=1
            print "{r.los}" $r.epoch_losses[0] * 2
            let x = seed 1
            let s = sample n=4
            if $s.mean > 0.5 and $r.loss < 1 {
              print $s.figure + 1
            }
            ```
            """, file: "nb.dnb")
        #expect(runner.check(notebook).map(\.summary) == [
            "nb.dnb:3:9: the record has no field 'paramters'; did you mean 'parameters'? (fields: class, parameters, bytes, config)",
            "nb.dnb:3:29: the record has no field 'sample_siz'; did you mean 'sample_size'? (fields: \(UNet2DConfigKeys.names))",
            "nb.dnb:5:10: the record has no field 'los'; did you mean 'loss'? (fields: loss, last_loss, epoch_losses, steps, step, epoch, seconds, allreduce_seconds)",
            "nb.dnb:6:9: 'seed' gives no result to hold in a variable; run it without `let` (`help seed` lists what a command gives)",
            "nb.dnb:9:19: '+' cannot combine string and int; to put a number in a string write \"…{$n}\"",
        ])
    }

    /// `scheduler create type=dpm`: DPMSolverMultistepScheduler with diffusers' defaults (linspace spacing, its own n + 1
    /// point grid: 4 steps are 999, 749, 500, 250, where DDIM's linspace gives 999, 666, 333, 0), and `sample` runs with it.
    @Test func dpmSolverIsCreatedWithDiffusersDefaultsAndSamples() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        let out = Output()
        try interpreter.run("""
            seed 5
            \(CommandTests.tinyModel)
            let r = scheduler create type=dpm
            let t = scheduler timesteps steps=4
            print "{$r.class} {$r.config.timestep_spacing} {$t.timesteps}"
            sample n=2 steps=5
            vars
            """, output: out)
        let text = out.items.map { $0.plainText() }.joined()
        #expect(text.contains("DPMSolverMultistepScheduler linspace [999, 749, 500, 250]"), "\(text)")
        let samples = try #require(ws.tensors["samples"])
        #expect(samples.shape == [2, 16, 16, 1] && samples.scalars.allSatisfy(\.isFinite))
        #expect(text.contains("DPMSolverMultistepScheduler, T = 1000, β 0.0001 … 0.02, prediction_type epsilon, 5 inference timesteps (999 … 200)"), "\(text)")
    }

    @Test func varsListsTheWorkspace() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("""
            seed 5
            dataset load name=synthetic count=32 image_size=16
            \(CommandTests.tinyModel)
            scheduler create type=ddim
            scheduler timesteps steps=4
            train max_steps=2 batch_size=8 ema=0.9 progress=false
            sample n=2 steps=2
            let n = 1
            """, output: Output())
        let before = try #require(ws.data).rawTrain.labels
        let out = Output()
        try interpreter.run("vars", output: out)
        let tables = out.items.compactMap { if case .table(let table) = $0 { table } else { nil } }
        #expect(tables.count == 3)
        #expect(tables[0].rows == [["n", "int", "1", "variable"]])
        let held = Dictionary(uniqueKeysWithValues: tables[1].rows.map { ($0[0], $0[1]) })
        #expect(held.keys.sorted() == ["dataset", "figures", "model", "scheduler", "seed", "training"])
        #expect(held["model"]?.hasPrefix("UNet2DModel, 44,969 parameters (180 KB float32): sample_size 16, channels 1 → 1, block_out_channels [8, 16]") == true)
        #expect(held["scheduler"] == "DDIMScheduler, T = 1000, β 0.0001 … 0.02, prediction_type epsilon, eta 0.0, 2 inference timesteps (500 … 0)")
        #expect(held["dataset"]?.hasPrefix("synthetic: train 32 and test 8 images of 28×28 with labels; prepared at 16×16") == true)
        #expect(held["training"]?.hasPrefix("step 2, epoch 0 batch 2 of 4, batch_size 8, lr 0.001, EMA 0.9; last loss ") == true)
        #expect(held["figures"] == "1 written, the last figures/samples.png")
        #expect(held["seed"] == "5 (<input>:1)")
        #expect(tables[2].rows == [["samples", "[2, 16, 16, 1]", "float32", "2.05 KB"]])
        // A selection that drops labels is named.
        let selected = Output()
        try interpreter.run("dataset subset classes=[3, 7] split=both\nvars", output: selected)
        let after = selected.items.compactMap { if case .table(let table) = $0 { table } else { nil } }
        #expect(after[1].rows.first { $0[0] == "dataset" }?[1].hasSuffix("values in [0, 1]; labels 3, 7") == true)
        // Before, the synthetic digits held every label their 32 draws gave: named unless all ten.
        let drawn = Set(before.map(Int.init)).sorted()
        #expect(held["dataset"]?.contains("; labels") == (drawn != Array(0...9)))
    }

    /// A sweep in a notebook: the rows of every iteration end up in one Markdown table of the report.
    @Test func aSweepIsOneTableInTheReport() throws {
        let dir = try TemporaryDirectory()
        let notebook = try Notebook(parsing: """
            # Sweep

            ```dnb
            seed 2
            dataset load name=synthetic count=16 image_size=16
            \(CommandTests.tinyModel)
            scheduler create type=ddim
            for steps in [1, 2, 3] {
              let s = sample n=2 steps=$steps
              table row steps=$steps mean=round($s.mean, 4) figure=$s.figure
            }
            table show caption="Sampling steps"
            ```
            """, file: "sweep.dnb")
        let result = Runner(registry: .dnb(workspace: Workspace())).run(notebook, options: RunOptions(outputDirectory: dir.path))
        #expect(result.status == .success, "\(result.messages)")
        let report = try String(contentsOfFile: dir.file("report.md"), encoding: .utf8)
        #expect(report.components(separatedBy: "| steps | mean | figure |").count == 2, "one table")
        let rows = report.split(separator: "\n").filter { $0.hasPrefix("| 1 |") || $0.hasPrefix("| 2 |") || $0.hasPrefix("| 3 |") }
        #expect(rows.count == 3)
        #expect(rows.last?.hasSuffix("| figures/samples-3.png |") == true)
        #expect(report.contains("*Sampling steps*"))
    }
}

/// The model config's keys as `check` lists them.
enum UNet2DConfigKeys {
    static var names: String { Results.config(.smallCPU).names.joined(separator: ", ") }
}

import Foundation
import Testing
import DNBTestSupport
import DNBLanguage
import DNBEngine
import DNBPlot
import DNBClassifier
@testable import DNBCommands

/// A fresh workspace and an interpreter over every dnb command that writes into `directory`; classifiers
/// `evaluate` trains are cached inside it too, never in the user's cache.
func session(_ directory: TemporaryDirectory) -> (Workspace, Interpreter) {
    let ws = Workspace()
    ws.classifierCache = ClassifierCache(directory: directory.file("classifier-cache"))
    return (ws, Interpreter(registry: .dnb(workspace: ws), outputDirectory: directory.path, interrupt: Interrupt()))
}

/// Each dnb command on a tiny model and synthetic digits, through the interpreter as a user types them.
struct CommandTests {
    /// A model small enough for debug builds: 16×16 images, channels (8, 16), 4 groups, one attention level.
    static let tinyModel = "model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, AttnDownBlock2D] up_block_types=[AttnUpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4 attention_head_dim=8"

    func text(_ output: Output) -> String { output.items.map { $0.plainText() }.joined(separator: "\n") }

    /// A second `train` continues the running training (same optimiser, loader and batch size) unless a new
    /// batch_size asks for a new one, and says so either way instead of silently dropping settings.
    @Test func aSecondTrainContinuesWithItsBatchSizeAndSaysWhatItDoesNotApply() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("""
            seed 1
            dataset load name=synthetic count=64 image_size=16
            \(Self.tinyModel)
            scheduler create
            train max_steps=2 batch_size=8 progress=false
            """, output: Output())
        let trainer = try #require(ws.training?.trainer)
        let continued = Output()
        try interpreter.run("train max_steps=4 lr=0.5 progress=false", output: continued)
        #expect(ws.training?.trainer === trainer, "the running optimiser continues")
        #expect(ws.training?.batchSize == 8)
        #expect(trainer.step == 4)
        #expect(text(continued).contains("continuing the training at step 2: lr sets up a new training and is not applied"))
        let restarted = Output()
        try interpreter.run("train max_steps=1 batch_size=16 progress=false", output: restarted)
        #expect(ws.training?.trainer !== trainer)
        #expect(ws.training?.batchSize == 16)
        #expect(text(restarted).contains("batch_size 16 differs from the running training's 8: a new optimiser"))
    }

    @Test func tutorialStoryOnATinyModel() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        let out = Output()
        try interpreter.run("""
            seed 7
            dataset load name=synthetic count=64 image_size=16
            dataset show n=4
            corrupt n=4
            \(Self.tinyModel)
            model summary
            scheduler create
            scheduler timesteps steps=2
            train epochs=1 batch_size=16 progress=false
            plot loss
            sample steps=3
            sample n=4 steps=2 figure=grid
            denoise steps=2 n=4
            refine n=4 iterations=2 inference_steps=2
            progression steps=4 snapshots=5 rows=1
            """, output: out)
        let log = text(out)
        #expect(log.contains("Finished epoch 0. Average loss:"))
        #expect(log.contains("2 timesteps (leading spacing, T = 1000): [500, 0]"))
        #expect(log.contains("Total params:"))
        #expect(ws.losses.count == 4)  // 64 images / batch 16
        #expect(ws.losses.allSatisfy { $0.isFinite && $0 > 0 })
        let figures = out.items.compactMap { item -> DNBLanguage.Figure? in if case .figure(let f) = item { return f } else { return nil } }
        #expect(figures.map(\.path) == ["figures/dataset.png", "figures/corrupt.png", "figures/loss.png", "figures/sample.png",
                                        "figures/grid.png", "figures/denoise-2-steps.png", "figures/refine.png", "figures/progression.png"])
        for f in figures {
            let png = try PNGReader(path: dir.file(f.path))
            #expect(png.width > 100 && png.height > 100)
            #expect(png.text["dnb:seed"] == "7")
            #expect(png.text["dnb:command"] != nil)
        }
        #expect(ws.tensors["samples"]?.shape == [4, 16, 16, 1])
    }

    @Test func datasetSubsetSplitAndTransformPrepareAgain() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("seed 5\ndataset load name=synthetic count=60 image_size=16", output: Output())
        let testCount = ws.data!.test!.count

        try interpreter.run("dataset subset classes=[1, 7] n=8", output: Output())
        #expect(ws.data!.train!.count == 8 && ws.data!.train!.labels.allSatisfy { [1, 7].contains($0) })
        #expect(ws.data!.test!.count == testCount)  // split=train by default

        try interpreter.run("dataset split test=3", output: Output())
        #expect(ws.data!.train!.count == 5 && ws.data!.test!.count == 3)
        #expect(ws.data!.test!.labels.allSatisfy { [1, 7].contains($0) })

        let out = Output()
        try interpreter.run("dataset transform image_size=8 range=symmetric", output: out)
        #expect(text(out).contains("prepared at 8×8") && text(out).contains("values in [-1, 1]"))
        let images = ws.data!.train!.images(Array(0..<5))
        #expect(images.shape == [5, 8, 8, 1])
        #expect(images.scalars.min()! >= -1 && images.scalars.max()! <= 1 && images.scalars.min()! < 0)
        #expect(ws.data!.preprocessing.resize == .pilBilinear)  // unchanged: not given

        for (line, argument) in [("dataset subset", "n"), ("dataset subset n=0", "n"), ("dataset split test=5", "test"),
                                 ("dataset subset classes=[3]", "classes")] {
            let error = #expect(throws: (any Error).self, "\(line)") { try interpreter.run(line, output: Output()) }
            #expect(String(describing: error!).contains(argument), "\(line): \(error!)")
        }
        #expect(ws.data!.train!.count == 5)  // failed commands change nothing
    }

    @Test func schedulerAddNoiseShowsOneImagePerTimestep() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        let out = Output()
        try interpreter.run("""
            seed 2
            dataset load name=synthetic count=20 image_size=16 range=symmetric
            scheduler create
            scheduler add_noise timesteps=[0, 500, 999] n=2
            """, output: out)
        let noisy = try #require(ws.tensors["noisy"])
        #expect(noisy.shape == [6, 16, 16, 1])
        // At t = 0, √ᾱ = 0.99995 and √(1 − ᾱ) = 0.01: the image is still in [-1, 1] up to a little noise;
        // at t = 999 it is almost pure N(0, 1) noise, whose values leave that range.
        let per = 16 * 16
        #expect(noisy.scalars[0..<per].allSatisfy { abs($0) < 1.1 })
        #expect(noisy.scalars[2 * per..<3 * per].contains { abs($0) > 1.5 })
        #expect(text(out).contains("999  0.0064"))
        #expect(FileManager.default.fileExists(atPath: dir.file("figures/add_noise.png")))
        #expect(throws: (any Error).self) { try interpreter.run("scheduler add_noise timesteps=[1000]", output: Output()) }
    }

    @Test func plotSideBySideShowsKeptBatchesTogether() throws {
        let dir = try TemporaryDirectory()
        let (_, interpreter) = session(dir)
        let out = Output()
        try interpreter.run("""
            dataset load name=synthetic count=20 image_size=16
            scheduler create
            scheduler add_noise timesteps=[0, 999] n=2
            corrupt n=4
            plot side_by_side names=[noisy, corrupted] titles=["Noised", "Corrupted"] index=1
            plot side_by_side names=[noisy, corrupted] n=3 figure=rows
            """, output: out)
        let figures = out.items.compactMap { item -> DNBLanguage.Figure? in if case .figure(let f) = item { return f } else { return nil } }
        #expect(figures.suffix(2).map(\.path) == ["figures/side_by_side.png", "figures/rows.png"])
        let pair = try PNGReader(path: dir.file("figures/side_by_side.png"))
        let rows = try PNGReader(path: dir.file("figures/rows.png"))
        // 100 dpi: two 4-inch panels in one row; a grid of 2 rows × 3 columns of 2-inch panels.
        #expect(pair.width == 800 && pair.height == 400)
        #expect(rows.width == 600 && rows.height == 400)
        for (line, argument) in [("plot side_by_side names=[nothing]", "nothing"), ("plot side_by_side names=[noisy] titles=[a, b]", "titles"),
                                 ("plot side_by_side names=[noisy, corrupted] index=4", "index")] {
            let error = #expect(throws: (any Error).self, "\(line)") { try interpreter.run(line, output: Output()) }
            #expect(String(describing: error!).contains(argument), "\(line): \(error!)")
        }
    }

    @Test func missingPrerequisitesSayWhatToRunFirst() throws {
        let dir = try TemporaryDirectory()
        let (_, interpreter) = session(dir)
        for (line, hint) in [("train", "dataset load"), ("sample", "model create"), ("model summary", "model create"), ("plot loss", "train")] {
            let error = #expect(throws: (any Error).self) { try interpreter.run(line, output: Output()) }
            #expect(String(describing: error!).contains(hint), "\(line): \(error!)")
        }
    }

    /// Training 6 steps in one go and 3 + checkpoint + resume + 3 give the same losses and weights.
    @Test func resumeEqualsUninterrupted() throws {
        let dir = try TemporaryDirectory()
        let setup = """
            seed 11
            dataset load name=synthetic count=40 image_size=16
            \(Self.tinyModel)
            scheduler create prediction_type=v_prediction
            """
        let (straight, a) = session(dir)
        try a.run(setup + "\ntrain max_steps=6 batch_size=8 ema=0.9 lr_schedule=cosine warmup_steps=2 snr_gamma=5 progress=false", output: Output())

        let checkpoint = dir.file("ckpt")
        let (first, b) = session(dir)
        try b.run(setup + "\ntrain max_steps=3 schedule_steps=6 batch_size=8 ema=0.9 lr_schedule=cosine warmup_steps=2 snr_gamma=5 checkpoint=\"\(checkpoint)\" progress=false", output: Output())
        #expect(first.losses.count == 3)
        let (resumed, c) = session(dir)
        // The same seed first: the synthetic digits are drawn from the session generator. The
        // checkpoint brings back snr_gamma; the prediction type comes from the scheduler.
        try c.run("""
            seed 11
            dataset load name=synthetic count=40 image_size=16
            scheduler create prediction_type=v_prediction
            train resume="\(checkpoint)" max_steps=6 batch_size=8 progress=false
            """, output: Output())
        #expect(resumed.losses == straight.losses)
        #expect(resumed.training?.trainer.snrGamma == 5 && resumed.training?.trainer.predictionType == .vPrediction)
        #expect(throws: (any Error).self) { try c.run("train max_steps=7 batch_size=8 snr_gamma=0 progress=false", output: Output()) }
        for (p, q) in zip(straight.model!.parameters.parameters, resumed.model!.parameters.parameters) {
            #expect(p.tensor.scalars == q.tensor.scalars, "\(p.name)")
        }
        #expect(FileManager.default.fileExists(atPath: checkpoint + "/config.json"))
        #expect(!dir.contents.contains { $0.contains(".partial-") })
    }

    @Test func classConditionalSamplingUsesTheLabels() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("""
            dataset load name=synthetic count=32 image_size=16 range=symmetric
            \(Self.tinyModel) num_class_embeds=10
            scheduler create type=ddim
            train max_steps=2 batch_size=16 progress=false
            sample n=3 steps=2 classes=[3, 5, 9]
            """, output: Output())
        #expect(ws.training?.classConditional == true)
        let error = #expect(throws: (any Error).self) { try interpreter.run("sample n=2 steps=2 classes=[12]", output: Output()) }
        #expect(String(describing: error!).contains("class 12 must be below num_class_embeds (10)"))
    }

    /// Classifier-free guidance through the commands: label_dropout needs a spare last class, guided sampling
    /// draws 0…k−2 in turn by default, refuses the "no class" class, and a checkpoint keeps the dropout.
    @Test func guidanceNeedsASpareClassAndDrawsTheOthers() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        func failure(_ text: String) -> String {
            let error = #expect(throws: (any Error).self) { try interpreter.run(text, output: Output()) }
            return error.map { String(describing: $0) } ?? ""
        }
        try interpreter.run("""
            dataset load name=synthetic count=32 image_size=16 range=symmetric
            \(Self.tinyModel) num_class_embeds=10
            scheduler create type=ddim
            """, output: Output())
        #expect(failure("train max_steps=1 label_dropout=0.1").contains("data has labels up to 9: create the model with num_class_embeds=11"))
        try interpreter.run("""
            \(Self.tinyModel) num_class_embeds=11
            train max_steps=2 batch_size=8 label_dropout=0.25 checkpoint=ckpt progress=false
            sample n=12 steps=2 guidance=2
            """, output: Output())
        #expect(ws.tensorClasses["samples"] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        #expect(ws.training?.trainer.labelDropout == 0.25)
        #expect(try String(contentsOfFile: dir.file("ckpt/trainer_state.json"), encoding: .utf8).contains("\"labelDropout\" : 0.25"))
        #expect(failure("sample n=1 steps=2 guidance=2 classes=[10]").contains("class 10 is the unconditional class under guidance"))
        try interpreter.run("\(Self.tinyModel)", output: Output())
        #expect(failure("sample n=1 steps=2 guidance=2").contains("guidance needs a class-conditional model"))
    }
}

struct SaveLoadTests {
    @Test func tensorsRoundTripThroughNpyAndSafetensorsInNCHW() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        var rng = RandomGenerator(seed: 3)
        ws.tensors["samples"] = rng.normalTensor([2, 4, 3, 1])
        try interpreter.run("""
            save tensor name=samples path=s.npy
            save tensor name=samples path=s.safetensors
            load tensor path="\(dir.path)/s.npy" name=a
            load tensor path="\(dir.path)/s.safetensors" name=b
            """, output: Output())
        #expect(ws.tensors["a"]?.scalars == ws.tensors["samples"]?.scalars)
        #expect(ws.tensors["b"]?.scalars == ws.tensors["samples"]?.scalars)
        // The .npy header is numpy's: magic, version 1.0, shape in NCHW.
        let bytes = [UInt8](try Data(contentsOf: dir.url.appendingPathComponent("s.npy")))
        #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        #expect(String(decoding: bytes[10..<80], as: UTF8.self).contains("'shape': (2, 1, 4, 3)"))
        #expect((10 + Int(bytes[8]) + Int(bytes[9]) << 8) % 64 == 0)
        let error = #expect(throws: (any Error).self) { try interpreter.run("save tensor name=nothing path=x.npy", output: Output()) }
        #expect(String(describing: error!).contains("kept: a, b, samples"))
    }
}

struct NonFiniteLossTests {
    /// An absurd learning rate blows the weights up; training must stop on the first non-finite
    /// loss, name its step, keep the losses before it, and leave the last checkpoint in place.
    @Test func aNonFiniteLossStopsTrainingAndNamesTheStep() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try interpreter.run("""
            seed 1
            dataset load name=synthetic count=32 image_size=16
            \(CommandTests.tinyModel)
            scheduler create
            """, output: Output())
        let error = #expect(throws: (any Error).self) {
            try interpreter.run("train max_steps=50 batch_size=8 lr=1e30 checkpoint=ckpt checkpoint_every=1 progress=false", output: Output())
        }
        let message = String(describing: error!)
        #expect(message.contains("the loss became"), "\(message)")
        let failedStep = ws.losses.count + 1
        #expect(message.contains("at step \(failedStep)"), "\(message)")
        #expect(message.contains("the last checkpoint"))
        #expect(ws.losses.allSatisfy { $0.isFinite })
        let state = try String(contentsOf: dir.url.appendingPathComponent("ckpt/trainer_state.json"), encoding: .utf8)
        #expect(state.contains("\"step\" : \(failedStep - 1)"))
    }
}

import Foundation
import Testing
import DNBTestSupport
import DNBLanguage
import DNBEngine
import DNBClassifier
import DNBEvaluation
@testable import DNBCommands
@testable import DNBPlot

/// `classifier` and `evaluate` through the interpreter, on 300 synthetic digits at 8×8 (a debug build trains
/// the default recipe, 9 steps, on them in a few seconds), with the classifier cache in a temporary folder.
struct EvaluateCommandTests {
    func session(_ dir: TemporaryDirectory) -> (Workspace, Interpreter) {
        let (ws, interpreter) = DNBCommandsTests.session(dir)
        ws.classifierCache = ClassifierCache(directory: dir.file("cache/classifiers"))   // shared by the test's two sessions
        return (ws, interpreter)
    }

    static let data = "seed 1\ndataset load name=synthetic count=300 image_size=8 range=symmetric"

    @discardableResult
    func run(_ interpreter: Interpreter, _ text: String) throws -> String {
        let out = Output()
        try interpreter.run(text, output: out)
        return out.items.map { $0.plainText() }.joined(separator: "\n")
    }

    /// The first `n` prepared test images (in [-1, 1]) as an NCHW .npy, and their labels.
    func writeTestImages(_ ws: Workspace, n: Int, to path: String) throws -> [Int] {
        let test = try #require(ws.data?.test)
        let (values, shape) = try Layout.nchw(test.images(Array(0..<n)))
        try NumpyFile.encode(shape: shape, values: values).write(to: URL(fileURLWithPath: path))
        return test.labels.prefix(n).map(Int.init)
    }

    @Test func evaluatesFilesAndKeptBatchesEndToEnd() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try run(interpreter, Self.data)
        let first = try run(interpreter, "classifier show")
        #expect(first.contains("no classifier of synthetic at 8×8 yet"))
        let labels = try writeTestImages(ws, n: 40, to: dir.file("real.npy"))
        let out = try run(interpreter, "evaluate path=real.npy classes=\(labels) json=e.json label=real")
        #expect(out.contains("training it now (first use only)") && out.contains("trained in"))
        // class_accuracy is exactly the classifier's own accuracy on these images: recompute it directly.
        let classifier = try #require(try ws.existingClassifier(imageSize: 8))
        let images = try EvaluateCommand.unitRange(try #require(ws.data?.test).images(Array(0..<40)), source: "test", symmetric: true)
        let direct = try PredictionSummary(probabilities: classifier.trained.model.classify(images).probabilities, classes: 10)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent("e.json"))) as? [String: Any])
        #expect(json["n"] as? Int == 40)
        #expect(json["class_accuracy"] as? Double == (try direct.accuracy(requested: labels)))
        #expect(json["confident"] as? Double == direct.confidentShare)
        for key in ["mean_confidence", "entropy", "fd", "fd_floor", "precision", "recall", "histogram"] { #expect(json[key] != nil, "\(key)") }
        #expect(FileManager.default.fileExists(atPath: dir.file("figures/evaluate-classes.png")))
        #expect(FileManager.default.fileExists(atPath: dir.file("figures/evaluate-least-confident.png")))
        // Corrupted digits (noise up to amount 1) lie further from the test set than the digits themselves.
        try run(interpreter, "corrupt n=40\nevaluate name=corrupted label=noisy")
        let fds = ws.evaluations.map { $0.result.frechetDistance ?? .nan }
        #expect(fds.count == 2 && fds[1] > fds[0], "FD real \(fds[0]), noisy \(fds[1])")
        let table = try run(interpreter, "evaluations metric=fd")
        #expect(table.contains("real") && table.contains("noisy") && table.contains("fd_floor"))
        #expect(FileManager.default.fileExists(atPath: dir.file("figures/evaluations.png")))

        // The result is a record a notebook can hold: the same figures as the table.
        let printed = try run(interpreter, "let r = evaluate path=real.npy label=again\nprint \"{$r.label} {$r.n} {$r.fd > 0} {$r.class_accuracy}\"")
        #expect(printed.contains("again 40 true none"), "\(printed)")
        // The cell cache's snapshot keeps the evaluations, the classes and the chosen recipes.
        let copy = Workspace()
        try copy.restore(try ws.snapshot())
        #expect(copy.evaluations.map(\.label) == ["real", "noisy", "again"] && copy.evaluations[0].result == ws.evaluations[0].result)

        // A new session finds the cached classifier instead of training again.
        let (_, again) = session(dir)
        try run(again, Self.data)
        #expect(try run(again, "classifier show").contains("test accuracy"))
        #expect(try run(again, "let c = classifier show\nprint \"{$c.accuracy > 0} {$c.parameters}\"").contains("true 65354"), "the record of the classifier")
        let reused = try run(again, "evaluate path=real.npy")
        #expect(!reused.contains("training") && !reused.contains("class_accuracy"))
    }

    /// Bad samples are refused with a message naming the problem; edge cases run with a warning.
    @Test func aSweepsAxisIsNamedByItsLabels() {
        #expect(EvaluationFigures.sweep(["DDIM 10 steps", "DDIM 20 steps", "DDIM 50 steps"])?.axis == "DDIM N steps")
        #expect(EvaluationFigures.sweep(["lr=0.001", "lr=0.01"])?.values == [0.001, 0.01])
        #expect(EvaluationFigures.sweep(["10 steps", "epoch 2"]) == nil)
        // Different samplers are no sweep, and the hyphen of "DPM-Solver++" is not a minus sign (it made −10).
        #expect(EvaluationFigures.sweep(["DDPM 250 steps", "DPM-Solver++ 10 steps"]) == nil)
        #expect(EvaluationFigures.sweep(["DPM-Solver++ 10 steps", "DPM-Solver++ 20 steps"])?.values == [10, 20])
        #expect(EvaluationFigures.sweep(["shift -0.5", "shift 1"])?.values == [-0.5, 1])
        #expect(EvaluationFigures.sweep(["a 1 b 2", "a 1 b 3"]) == nil, "one number per label")
        #expect(EvaluationFigures.orderAxisName(["DDPM 250 steps", "DDIM 50 steps"]) == "evaluation: 1 DDPM 250 steps, 2 DDIM 50 steps")
    }

    /// Evaluations that are no sweep are categories: one mark each, no line between them, ticks at 1, 2, …
    /// named by the labels (or numbered, at most about ten, when the labels do not fit); a sweep is a line
    /// with marks over the locator's ticks (a sweep of one evaluation still shows its point).
    @Test func categoriesAreMarksOverNamedTicks() throws {
        func result(_ confident: Double) -> EvaluationResult {
            EvaluationResult(count: 256, confidentShare: confident, meanConfidence: confident, histogram: Array(repeating: 25, count: 10),
                             normalisedEntropy: 0.99)
        }
        let samplers = try EvaluationFigures.metric("confident", [("DDPM 250", result(0.86)), ("DPM++ 10", result(0.80)),
                                                                  ("DDIM 50", result(0.79))])
        let axes = try samplers.axes(0, 0)
        #expect(axes.lines.count == 1 && axes.lines[0].lineWidth == 0 && axes.lines[0].marker == .circle)
        #expect(axes.lines[0].x == [1, 2, 3] && axes.lines[0].y == [0.86, 0.80, 0.79])
        #expect(axes.xTickLabels?.map(\.label) == ["DDPM 250", "DPM++ 10", "DDIM 50"])
        #expect(axes.xTickLabels?.map(\.position) == [1, 2, 3] && axes.xlabel == "evaluation")
        #expect(axes.xLimits.map { [$0.0, $0.1] } == [0.5, 3.5])

        let many = (0..<25).map { ("recipe variant " + String(UnicodeScalar(UInt8(97 + $0))), result(0.5)) }  // no numbers: no sweep
        let numbered = try EvaluationFigures.metric("confident", many).axes(0, 0)
        #expect(numbered.xTickLabels?.map(\.label) == ["1", "4", "7", "10", "13", "16", "19", "22", "25"])
        #expect(numbered.xlabel == "evaluation, in the order of the table")

        let sweep = try EvaluationFigures.metric("confident", [("DDIM 50 steps", result(0.79)), ("DDIM 10 steps", result(0.6))]).axes(0, 0)
        #expect(sweep.lines[0].lineWidth > 0 && sweep.lines[0].marker == .circle && sweep.xTickLabels == nil)
        #expect(sweep.lines[0].x == [10, 50] && sweep.xlabel == "DDIM N steps")
    }

    @Test func degenerateSamples() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try run(interpreter, Self.data + "\nclassifier train epochs=1 limit=256")
        let nan = Tensor.zeros([4, 8, 8, 1])
        nan.data[5] = .nan
        ws.tensors["nan"] = nan
        ws.tensors["rgb"] = Tensor.zeros([2, 8, 8, 3])
        ws.tensors["wide"] = Tensor.zeros([2, 16, 12, 1])
        ws.tensors["tiny"] = Tensor.zeros([2, 4, 4, 1])
        ws.tensors["flat"] = Tensor.zeros([16, 16])
        for (name, message) in [("nan", "1 NaN or infinite value"), ("rgb", "3 channels"), ("wide", "16×12 images"),
                                ("tiny", "4×4 images"), ("flat", "evaluate takes a batch of images"), ("missing", "no kept images named 'missing'")] {
            let error = #expect(throws: (any Error).self, "\(name)") { try interpreter.run("evaluate name=\(name)", output: Output()) }
            #expect(String(describing: error!).contains(message), "\(name): \(error!)")
        }
        #expect(throws: (any Error).self) { try interpreter.run("evaluate name=rgb classes=[10]", output: Output()) }
        ws.tensors["one"] = Tensor.zeros([1, 8, 8, 1])
        let one = try run(interpreter, "evaluate name=one")
        #expect(one.contains("need at least 2 samples") && !one.contains("fd "))
        ws.tensors["same"] = Tensor(shape: [8, 8, 8, 1], repeating: 0.5)
        let same = try run(interpreter, "evaluate name=same")
        #expect(same.contains("the set is a single point") && same.contains("below the 128 feature dimensions"))
        #expect(ws.evaluations.count == 2)
        // A training that cannot fit (about 200 GB of activations) is refused before anything is allocated.
        let huge = #expect(throws: (any Error).self) { try interpreter.run("classifier train image_size=128 batch_size=4096", output: Output()) }
        #expect(String(describing: huge!).contains("classifier train batch_size=4096 at 128×128"), "\(huge!)")
    }

    /// A class-conditional `sample` leaves the classes it asked for, and evaluate scores them.
    @Test func classConditionalSamplesScoreTheirClasses() throws {
        let dir = try TemporaryDirectory()
        let (ws, interpreter) = session(dir)
        try run(interpreter, Self.data + "\nclassifier train epochs=1 limit=256 image_size=16\n" + CommandTests.tinyModel + " num_class_embeds=10\nscheduler create type=ddim")
        try run(interpreter, "sample n=4 steps=1 classes=[3, 7]")
        #expect(ws.tensorClasses["samples"] == [3, 7, 3, 7])
        #expect(try run(interpreter, "evaluate").contains("class_accuracy"))
        // Images loaded under the name are other images: their classes are not known.
        try run(interpreter, "save tensor name=samples path=s.npy\nload tensor path=s.npy name=samples")
        #expect(ws.tensorClasses["samples"] == nil)
        #expect(!(try run(interpreter, "evaluate").contains("class_accuracy")))
    }
}

import Foundation
import DNBSupport
import DNBEngine
import DNBDiffusion
import DNBData
import DNBPlot
import DNBLanguage

/// `dataset load | show`.
enum DatasetCommand {
    /// MNIST, Fashion-MNIST and the synthetic digits all label 0–9.
    static let labelBounds: [ArgumentSpec.Bound] = [.atLeast(0), .atMost(9)]
    /// Below 4 pixels a digit is no longer an image; above, the memory budget decides.
    static let sizeBounds: [ArgumentSpec.Bound] = [.atLeast(4)]

    /// Refuses preparing `images` images at `size`² that would not fit in memory: the 28 × 28 originals and the
    /// prepared copy are kept as bytes (one per pixel), and resizing holds one float copy of a chunk on the side.
    static func checkMemory(images: Int, size: Int, _ what: String) throws {
        let bytes = Double(images) * (28 * 28 + 2 * Double(size) * Double(size))
        try MemoryBudget.check(bytes, for: what, advice: "use a smaller image_size, count or limit")
    }

    /// MNIST or Fashion-MNIST wherever the locator finds (or fetches) it. The locator reports its route (found
    /// where, downloaded from where) on the calling thread; with `verbose` also every place looked in and every
    /// failed route, indented under the status lines.
    static func locate(_ name: String, data: String?, verbose: Bool, _ out: Output) throws -> (ImageDataset, ImageDataset, String) {
        let printer = UncheckedSendable(out)
        let indented: @Sendable (String) -> Void = { message in printer.value.print("  " + message) }
        let detail = verbose ? indented : nil
        let locator = DataLocator(explicitDirectory: data, status: { message in printer.value.print(message) }, detail: detail)
        let located = name == "mnist" ? try locator.locateMNIST() : try locator.locateFashionMNIST()
        return (try located.load(.train), try located.load(.test), located.source.description)
    }

    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("dataset", summary: "Load MNIST, Fashion-MNIST or synthetic digits and look at them", help: """
            Finds the data without being told (DNB_DATA, the per-user cache, a development copy, or a download \
            whose MD5s are checked), resizes every image once to the model's size with the tutorial's exact \
            transform (PIL bilinear on uint8, as torchvision's Resize), and keeps it in memory as bytes.
            """, verbs: [
            CommandSpec("load", summary: "Load and prepare a dataset", arguments: [
                ArgumentSpec("name", .string, default: .string("mnist"), allowed: [.string("mnist"), .string("fashion-mnist"), .string("synthetic")], help: "which dataset"),
                ArgumentSpec("data", .path, default: Value.none, help: "folder holding the four IDX files (default: search, then download; relative paths: the output directory, then the working directory)"),
                ArgumentSpec("image_size", .int, default: .int(32), bounds: DatasetCommand.sizeBounds, help: "resize to this height and width"),
                ArgumentSpec("resize", .string, default: .string("pil"), allowed: [.string("pil"), .string("bilinear")], help: "pil: torchvision Resize on PIL images (uint8, exact); bilinear: float interpolation"),
                ArgumentSpec("range", .string, default: .string("unit"), allowed: [.string("unit"), .string("symmetric")], help: "unit: [0, 1] as ToTensor (the tutorial); symmetric: [-1, 1] as diffusers' examples"),
                ArgumentSpec("limit", .int, default: Value.none, bounds: [.atLeast(1)], help: "keep only the first N training images"),
                ArgumentSpec("classes", .list(.int), default: Value.none, bounds: DatasetCommand.labelBounds, help: "keep only these labels"),
                ArgumentSpec("count", .int, default: .int(2000), bounds: [.atLeast(1)], help: "synthetic only: how many images per split"),
            ], result: Results.dataset) { inv, ctx in
                let name = try inv.string("name")
                let prep = try preprocessing(inv, changing: nil)
                let count = name == "synthetic" ? try inv.int("count") : 0
                // MNIST and Fashion-MNIST have 70,000 images; the synthetic test split is a sixth of count (at least 8).
                try checkMemory(images: name == "synthetic" ? count + max(8, count / 6) : 70_000, size: prep.height,
                                "dataset load\(name == "synthetic" ? " count=\(count)" : "") image_size=\(prep.height)")
                var train: ImageDataset, test: ImageDataset, source: String, origin: DataOrigin
                switch name {
                case "synthetic":
                    let seeds = (ws.rng.next(), ws.rng.next())
                    origin = .synthetic(count: count, trainSeed: seeds.0, testSeed: seeds.1)
                    (train, test) = try DataOrigin.synthetic(count: count, seeds: seeds)
                    source = "drawn procedurally (seeded)"
                default:
                    let directory = try inv.optionalString("data").map { try inputPath($0, ctx) }
                    origin = .files(name: name, directory: directory)
                    (train, test, source) = try locate(name, data: directory, verbose: ws.verbose, ctx.out)
                }
                // Test images are told apart from training images by negative origins (`dataset split` mixes them).
                test = try test.mappingOrigin { -1 - $0 }
                if inv.isGiven("classes") {
                    let keep = Set(try inv.intList("classes"))
                    train = try train.filter(classes: keep)
                    test = try test.filter(classes: keep)
                }
                if let limit = try inv.optionalInt("limit") {
                    train = try train.prefix(min(limit, train.count))
                }
                ws.data = try LoadedData(name: name, source: source, origin: origin, preprocessing: prep, train: train, test: test)
                ws.training = nil
                ctx.setResult(Results.dataset(ws.data!))
                ctx.out.print(describe(ws.data!) + "\n  source: \(source)")
            },
            CommandSpec("subset", summary: "Keep some of the loaded images: the first n, or those of some classes", arguments: [
                ArgumentSpec("n", .int, default: Value.none, bounds: [.atLeast(1)], help: "how many images to keep"),
                ArgumentSpec("classes", .list(.int), default: Value.none, bounds: DatasetCommand.labelBounds, help: "keep only these labels"),
                ArgumentSpec("split", .string, default: .string("train"), allowed: [.string("train"), .string("test"), .string("both")], help: "which split to cut"),
                ArgumentSpec("shuffle", .bool, default: .bool(false), help: "a random n (from the session generator) instead of the first n"),
            ], result: Results.dataset, prerequisite: { _ = try ws.requireData() }) { inv, ctx in
                var data = try ws.requireData()
                let classes = try inv.isGiven("classes") ? Set(try inv.intList("classes")) : nil
                let n = try inv.optionalInt("n")
                guard classes != nil || n != nil else { throw ArgumentError(argument: "n", "give n, classes or both") }
                let shuffle = try inv.bool("shuffle")
                func cut(_ set: ImageDataset) throws -> ImageDataset {
                    var kept = try classes.map { try set.filter(classes: $0) } ?? set
                    guard kept.count > 0 else { throw ArgumentError(argument: "classes", "no \(set.name) image has one of the labels \(classes!.sorted())") }
                    if let n, n < kept.count {
                        kept = shuffle ? try kept.subset(indices: Array(ws.rng.permutation(kept.count).prefix(n)).sorted()) : try kept.prefix(n)
                    }
                    return kept
                }
                let split = try inv.string("split")
                try data.replace(train: split == "test" ? nil : try cut(data.rawTrain), test: split == "train" ? nil : try cut(data.rawTest))
                ws.data = data
                ws.training = nil
                ctx.setResult(Results.dataset(data))
                ctx.out.print(describe(data))
            },
            CommandSpec("split", summary: "Hold out n random training images as the test split", help: """
                For datasets whose test split you do not want to touch, or to measure on images drawn from the \
                same pool: n training images chosen by the session generator become the test split (the old test \
                split is dropped) and the rest stay for training.
                """, arguments: [
                ArgumentSpec("test", .int, bounds: [.atLeast(1)], help: "how many training images to hold out"),
            ], result: Results.dataset, prerequisite: { _ = try ws.requireData() }) { inv, ctx in
                var data = try ws.requireData()
                let n = try inv.int("test"), total = data.rawTrain.count
                guard n < total else { throw ArgumentError(argument: "test", "test must be between 1 and \(total - 1) (the training images), got \(n)") }
                let order = ws.rng.permutation(total)
                try data.replace(train: try data.rawTrain.subset(indices: Array(order[n...]).sorted()),
                                 test: try data.rawTrain.subset(indices: Array(order[..<n]).sorted()))
                ws.data = data
                ws.training = nil
                ctx.setResult(Results.dataset(data))
                ctx.out.print(describe(data))
            },
            CommandSpec("transform", summary: "Prepare the loaded images again: another size, resize or value range", arguments: [
                ArgumentSpec("image_size", .int, default: Value.none, bounds: DatasetCommand.sizeBounds, help: "resize to this height and width (default: unchanged)"),
                ArgumentSpec("resize", .string, default: Value.none, allowed: [.string("pil"), .string("bilinear")], help: "pil or bilinear (default: unchanged)"),
                ArgumentSpec("range", .string, default: Value.none, allowed: [.string("unit"), .string("symmetric")], help: "unit [0, 1] or symmetric [-1, 1] (default: unchanged)"),
            ], result: Results.dataset, prerequisite: { _ = try ws.requireData() }) { inv, ctx in
                var data = try ws.requireData()
                let prep = try preprocessing(inv, changing: data.preprocessing)
                try DatasetCommand.checkMemory(images: data.rawTrain.count + data.rawTest.count, size: prep.height, "dataset transform image_size=\(prep.height)")
                try data.replace(preprocessing: prep)
                ws.data = data
                ws.training = nil
                ctx.setResult(Results.dataset(data))
                ctx.out.print(describe(data))
            },
            CommandSpec("show", summary: "A grid of images with their labels", arguments: [
                ArgumentSpec("n", .int, default: .int(8), bounds: [.atLeast(1)], help: "how many"),
                ArgumentSpec("split", .string, default: .string("train"), allowed: [.string("train"), .string("test")], help: "which split"),
                ArgumentSpec("columns", .int, default: .int(8), bounds: [.atLeast(1)], help: "images per row"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/"),
            ], result: ResultSpec([Results.figure]), prerequisite: { _ = try ws.requireData() }) { inv, ctx in
                let data = try ws.requireData()
                let split = try inv.string("split")
                guard let set = split == "train" ? data.train : data.test else { throw MissingPrerequisite("no \(split) split loaded") }
                let n = min(try inv.int("n"), set.count)
                let indices = Array(ws.rng.permutation(set.count).prefix(n))
                let images = try grayImages(set.images(indices))
                let columns = max(1, min(n, try inv.int("columns")))
                let rows = stride(from: 0, to: n, by: columns).map { Array(images[$0..<min(n, $0 + columns)]) }
                let titles = stride(from: 0, to: n, by: columns).map { r in (r..<min(n, r + columns)).map { "label \(set.labels[indices[$0]])" } }
                let range = ws.displayRange
                try ws.emit(DNBPlot.Figure.imageGrid(rows, titles: titles, vmin: range.vmin, vmax: range.vmax),
                            name: try inv.optionalString("figure"), defaultName: "dataset",
                            caption: "\(n) \(split) images of \(data.name) after preprocessing", inv, ctx)
            },
        ])]
    }
}

extension DataOrigin {
    /// The synthetic splits: `count` training images and a sixth as many (at least 8) test images.
    static func synthetic(count: Int, seeds: (UInt64, UInt64)) throws -> (ImageDataset, ImageDataset) {
        (try SyntheticDigits.make(count: count, seed: seeds.0), try SyntheticDigits.make(count: max(8, count / 6), seed: seeds.1))
    }
}

/// The preprocessing an invocation asks for: `load`'s arguments with their defaults, or `transform`'s
/// changes to `current`.
private func preprocessing(_ inv: Invocation, changing current: Preprocessing?) throws -> Preprocessing {
    let size = try inv.optionalInt("image_size") ?? current?.height ?? 32
    let resize = try inv.optionalString("resize").map { $0 == "pil" ? ResizeMethod.pilBilinear : .floatBilinear } ?? current?.resize ?? .pilBilinear
    let range = try inv.optionalString("range").map { $0 == "symmetric" ? PixelRange.minusOneToOne : .zeroToOne } ?? current?.range ?? .zeroToOne
    return Preprocessing(size: size, resize: resize, range: range)
}

/// `mnist: train 60,000 and test 10,000 images of 28×28 with labels, prepared at 32×32 (…), values in [0, 1]`
func describe(_ data: LoadedData) -> String {
    let p = data.preprocessing, train = data.rawTrain, test = data.rawTest
    return """
        \(data.name): train \(grouped(train.count)) and test \(grouped(test.count)) images of \(train.height)×\(train.width) with labels
          prepared at \(p.height)×\(p.width) (\(p.resize == .pilBilinear ? "PIL bilinear, as transforms.Resize" : "float bilinear")), values in \(p.range == .zeroToOne ? "[0, 1]" : "[-1, 1]")
        """
}

/// `corrupt`: the tutorial's lerp corruption, x·(1 − amount) + noise·amount.
enum CorruptCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("corrupt", summary: "Mix images with noise by an amount: the tutorial's corrupt(x, noise, amount)", help: """
            corrupt(x, noise, amount) = x·(1 − amount) + noise·amount (x.lerp(noise, amount)), with the amounts \
            spread evenly from 0 to 1 over the batch, shown as clean and corrupted rows. noise=uniform is what \
            the earlier parts of the tutorial used (torch.rand_like).
            """, arguments: [
                ArgumentSpec("n", .int, default: .int(8), bounds: [.atLeast(1)], help: "how many images"),
                ArgumentSpec("noise", .string, default: .string("uniform"), allowed: [.string("uniform"), .string("gaussian")], help: "the noise mixed in"),
                ArgumentSpec("figure", .string, default: Value.none, help: "name of the PNG under figures/"),
            ], result: ResultSpec([Results.tensor, Results.shape, Results.figure]), prerequisite: { _ = try ws.requireData() }) { inv, ctx in
            let data = try ws.requireData()
            guard let set = data.train else { throw MissingPrerequisite("no training split loaded") }
            let n = min(try inv.int("n"), set.count)
            let x = set.images(Array(ws.rng.permutation(set.count).prefix(n)))
            let noise = try inv.string("noise") == "gaussian" ? ws.rng.normalTensor(x.shape) : ws.rng.uniformTensor(x.shape)
            let amounts = (0..<n).map { n == 1 ? Float(0) : Float($0) / Float(n - 1) }
            let corrupted = corrupt(x, noise: noise, amount: amounts)
            ws.tensors["corrupted"] = corrupted
            ctx.setResult(Results.kept("corrupted", corrupted))
            let titles = [amounts.map { _ in "" }, amounts.map { String(format: "amount %.2f", $0) }]
            try ws.emit(DNBPlot.Figure.imageGrid([grayImages(x), grayImages(corrupted)], titles: titles, rowTitles: ["Input data", "Corrupted data"]),
                        name: try inv.optionalString("figure"), defaultName: "corrupt",
                        caption: "Clean images (top) and the same images corrupted with amounts 0 to 1 (bottom)", inv, ctx)
        }]
    }

    /// x·(1 − a) + noise·a with one amount per image.
    static func corrupt(_ x: Tensor, noise: Tensor, amount: [Float]) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let per = x.count / x.shape[0]
        for (i, a) in amount.enumerated() {
            for j in (i * per)..<((i + 1) * per) { out.data[j] = x.data[j] * (1 - a) + noise.data[j] * a }
        }
        return out
    }
}

import DNBEngine
import DNBDiffusion
import DNBData
import DNBLanguage

/// The results dnb's commands give to `let NAME = COMMAND …` (docs/language.md, "Command results"): the fields
/// several commands share, and the session's objects as records. Each command declares its fields in its
/// `CommandSpec(…, result:)` and sets them with `ctx.setResult`.
enum Results {
    static let figure = ResultField("figure", .string, help: "the PNG written, relative to the output directory (figures/NAME.png)")
    static let tensor = ResultField("tensor", .string, help: "the name the output is kept under, for `plot images`, `save tensor` …")
    static let shape = ResultField("shape", .list(.int), help: "its shape, NHWC: [images, height, width, channels]")
    static let seconds = ResultField("seconds", .float, help: "wall time of the command")

    // MARK: model

    static let model = ResultSpec([
        ResultField("class", .string, help: "UNet2DModel"),
        ResultField("parameters", .int, help: "the number of parameters"),
        ResultField("bytes", .int, help: "memory of the weights (float32)"),
        ResultField("config", .record, fields: UNet2DConfig.keys.map(\.resultField),
                    help: "its config.json keys, diffusers' names: $r.config.block_out_channels"),
    ])

    static func model(_ model: UNet2DModel) -> [String: Value] {
        ["class": "UNet2DModel", "parameters": .int(model.parameters.count), "bytes": .int(model.parameters.count * 4),
         "config": .record(config(model.config))]
    }

    static func config<C>(_ config: C, keys: [ConfigKey<C>]) -> Record {
        Record(keys.map { Record.Field($0.name, languageValue($0.value(in: config))) })
    }

    static func config(_ config: UNet2DConfig) -> Record { self.config(config, keys: UNet2DConfig.keys) }

    // MARK: scheduler

    static let scheduler = ResultSpec([
        ResultField("class", .string, help: "DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler or EulerDiscreteScheduler"),
        ResultField("config", .record, fields: SchedulerConfig.keys.map(\.resultField),
                    help: "its config keys, diffusers' names: $r.config.num_train_timesteps"),
        ResultField("eta", .float, help: "DDIM's eta (none for DDPM)"),
    ])

    // MARK: data

    static let dataset = ResultSpec([
        ResultField("name", .string, help: "mnist, fashion-mnist or synthetic"),
        ResultField("train", .int, help: "training images"),
        ResultField("test", .int, help: "test images"),
        ResultField("image_size", .int, help: "the prepared height and width"),
        ResultField("range", .string, help: "unit ([0, 1]) or symmetric ([-1, 1])"),
        ResultField("source", .string, help: "where the images came from"),
    ])

    static func dataset(_ data: LoadedData) -> [String: Value] {
        ["name": .string(data.name), "train": .int(data.rawTrain.count), "test": .int(data.rawTest.count),
         "image_size": .int(data.preprocessing.height), "range": data.preprocessing.range == .zeroToOne ? "unit" : "symmetric",
         "source": .string(data.source)]
    }

    // MARK: tensors

    /// `tensor` and `shape` of a kept output.
    static func kept(_ name: String, _ tensor: Tensor) -> [String: Value] {
        ["tensor": .string(name), "shape": .list(tensor.shape.map(Value.int))]
    }

    /// Pixel statistics of generated images, for comparing settings in a table.
    static let statistics = [
        ResultField("min", .float, help: "the smallest value"),
        ResultField("max", .float, help: "the largest value"),
        ResultField("mean", .float, help: "the mean value"),
        ResultField("std", .float, help: "the standard deviation of the values"),
    ]

    static func statistics(_ tensor: Tensor) -> [String: Value] {
        let values = tensor.scalars
        guard !values.isEmpty else { return [:] }
        var sum = 0.0, low = Double.infinity, high = -Double.infinity
        for v in values { let x = Double(v); sum += x; low = min(low, x); high = max(high, x) }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for v in values { let d = Double(v) - mean; squares += d * d }
        // NaN images (a diverged model) give none: the language holds only finite numbers.
        let fields: [String: Double] = ["min": low, "max": high, "mean": mean, "std": (squares / Double(values.count)).squareRoot()]
        return fields.filter { $0.value.isFinite }.mapValues(Value.float)
    }
}

extension ConfigKey {
    /// The language type of the key's values.
    var valueType: ValueType {
        switch kind {
        case .int: .int
        case .float: .float
        case .bool: .bool
        case .string: .string
        case .intList: .list(.int)
        case .stringList: .list(.string)
        }
    }

    /// The key as a field of a result's `config` record.
    var resultField: ResultField { ResultField(name, valueType, help: help) }
}

/// A number for a result: none when it is NaN or infinite (a diverged model), since the language holds
/// only finite numbers (and the cell cache stores values as JSON, which has no NaN).
func finite(_ x: Double) -> Value { x.isFinite ? .float(x) : .none }

/// Seconds since `start` on the monotonic clock, for results' `seconds`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

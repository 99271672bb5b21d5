import Foundation
import DNBSupport

/// One key of a diffusers config.json, declared once: name, type, help, limits and how it reads and writes the
/// config. The JSON decoding and encoding, the unknown-key error and the `model create` / `scheduler create`
/// arguments (DNBCommands) are all generated from a config's `keys`; the default is the config's own.
public struct ConfigKey<Config>: @unchecked Sendable {
    public enum Kind: String, Sendable { case int, float, bool, string, intList, stringList }
    /// A limit on a number (each number of a list), as command arguments declare theirs.
    public typealias Limit = NumericBound

    public let name: String
    public let kind: Kind
    /// JSON null is allowed (and means "not set").
    public let nullable: Bool
    public let help: String
    public let limits: [Limit]
    /// The values a string (each string of a list) may take; nil: any.
    public let allowed: [String]?
    /// false for keys diffusers writes that dnb supports at one value only: read and written, not a create argument.
    public let isArgument: Bool
    let read: (Config) -> Any
    let write: (inout Config, Any) throws -> Void

    /// The key's value in `config` as JSON (NSNull for nil).
    public func value(in config: Config) -> Any { read(config) }

    /// Sets the key from a JSON-like value (Int, Double, Bool, String, arrays, NSNull), checking type, limits and choices.
    public func set(_ value: Any, in config: inout Config) throws { try write(&config, value) }

    init(_ name: String, _ kind: Kind, nullable: Bool = false, limits: [Limit] = [], allowed: [String]? = nil,
         isArgument: Bool = true, help: String, read: @escaping (Config) -> Any, write: @escaping (inout Config, Any) throws -> Void) {
        (self.name, self.kind, self.nullable, self.limits, self.allowed, self.isArgument, self.help) = (name, kind, nullable, limits, allowed, isArgument, help)
        (self.read, self.write) = (read, write)
    }

    // MARK: typed declarations

    static func int(_ name: String, _ path: WritableKeyPath<Config, Int>, _ limits: [Limit], isArgument: Bool = true, help: String) -> ConfigKey {
        ConfigKey(name, .int, limits: limits, isArgument: isArgument, help: help, read: { $0[keyPath: path] }) { c, v in c[keyPath: path] = try decodeInt(name, v, limits) }
    }
    static func int(_ name: String, _ path: WritableKeyPath<Config, Int?>, _ limits: [Limit], isArgument: Bool = true, help: String) -> ConfigKey {
        ConfigKey(name, .int, nullable: true, limits: limits, isArgument: isArgument, help: help, read: { $0[keyPath: path].map { $0 as Any } ?? NSNull() }) { c, v in
            c[keyPath: path] = v is NSNull ? nil : try decodeInt(name, v, limits)
        }
    }
    static func float(_ name: String, _ path: WritableKeyPath<Config, Double>, _ limits: [Limit], isArgument: Bool = true, help: String) -> ConfigKey {
        ConfigKey(name, .float, limits: limits, isArgument: isArgument, help: help, read: { $0[keyPath: path] }) { c, v in c[keyPath: path] = try decodeNumber(name, v, limits) }
    }
    static func bool(_ name: String, _ path: WritableKeyPath<Config, Bool>, help: String) -> ConfigKey {
        ConfigKey(name, .bool, help: help, read: { $0[keyPath: path] }) { c, v in
            guard let b = v as? Bool, number(v) == nil else { throw ModelError.invalidConfig("\(name) must be true or false, got \(describe(v))") }
            c[keyPath: path] = b
        }
    }
    static func string(_ name: String, _ path: WritableKeyPath<Config, String>, allowed: [String], help: String) -> ConfigKey {
        ConfigKey(name, .string, allowed: allowed, help: help, read: { $0[keyPath: path] }) { c, v in
            c[keyPath: path] = try decodeString(name, v, allowed)
        }
    }
    static func ints(_ name: String, _ path: WritableKeyPath<Config, [Int]>, _ limits: [Limit], help: String) -> ConfigKey {
        ConfigKey(name, .intList, limits: limits, help: help, read: { $0[keyPath: path] }) { c, v in
            guard let a = v as? [Any], !a.isEmpty else { throw ModelError.invalidConfig("\(name) must be a non-empty list of integers, got \(describe(v))") }
            c[keyPath: path] = try a.map { try decodeInt(name, $0, limits) }
        }
    }
    static func strings(_ name: String, _ path: WritableKeyPath<Config, [String]>, allowed: [String], help: String) -> ConfigKey {
        ConfigKey(name, .stringList, allowed: allowed, help: help, read: { $0[keyPath: path] }) { c, v in
            guard let a = v as? [Any], !a.isEmpty else { throw ModelError.invalidConfig("\(name) must be a non-empty list of strings, got \(describe(v))") }
            c[keyPath: path] = try a.map { try decodeString(name, $0, allowed) }
        }
    }
    /// A key diffusers writes that dnb builds at one value only (nil: JSON null); any other value is refused, never ignored.
    static func fixed(_ name: String, _ only: String?, help: String) -> ConfigKey {
        ConfigKey(name, .string, nullable: only == nil, allowed: only.map { [$0] }, isArgument: false, help: help,
                  read: { _ in only.map { $0 as Any } ?? NSNull() }) { _, v in
            let matches = only.map { (v as? String) == $0 && number(v) == nil } ?? (v is NSNull)
            guard matches else {
                throw ModelError.invalidConfig("\(name) = \(describe(v)) is not supported (dnb supports only \(only.map { "\"\($0)\"" } ?? "null"))")
            }
        }
    }

    static func decodeNumber(_ name: String, _ v: Any, _ limits: [Limit]) throws -> Double {
        guard let x = number(v)?.doubleValue else { throw ModelError.invalidConfig("\(name) must be a number, got \(describe(v))") }
        guard x.isFinite else { throw ModelError.invalidConfig("\(name) must be a finite number, got \(x)") }
        if !limits.allSatisfy({ $0.admits(x) }) {
            if limits.count == 2, case .atLeast(let low) = limits[0], case .atMost(let high) = limits[1], low == high {
                throw ModelError.invalidConfig("\(name) = \(describe(v)) is not supported (dnb supports only \(describe(low == low.rounded() ? Int(low) as Any : low)))")
            }
            throw ModelError.invalidConfig("\(name) must be \(limits.map(\.description).joined(separator: ", ")), got \(describe(v))")
        }
        return x
    }

    static func decodeInt(_ name: String, _ v: Any, _ limits: [Limit]) throws -> Int {
        let x = try decodeNumber(name, v, limits)
        // 2^53: beyond it doubles skip integers; every dnb size is far below.
        guard x == x.rounded(), abs(x) < 9_007_199_254_740_992 else { throw ModelError.invalidConfig("\(name) must be an integer, got \(describe(v))") }
        return Int(x)
    }

    static func decodeString(_ name: String, _ v: Any, _ allowed: [String]?) throws -> String {
        guard let s = v as? String else { throw ModelError.invalidConfig("\(name) must be a string, got \(describe(v))") }
        if let allowed, !allowed.contains(s) {
            let near = Suggestions.nearest(to: s, in: allowed).map { " (did you mean \($0)?)" } ?? ""
            throw ModelError.invalidConfig("\(name) \(s) is not supported\(near); supported: \(allowed.joined(separator: ", "))")
        }
        return s
    }
}

/// A config made of declared keys: its JSON form is generated from them.
public protocol DiffusersConfig {
    init()
    static var className: String { get }
    static var keys: [ConfigKey<Self>] { get }
    /// Relations between keys (divisibility, lengths), checked after every change.
    func validate() throws
}

extension DiffusersConfig {
    public static func key(_ name: String) -> ConfigKey<Self>? { keys.first { $0.name == name } }

    /// Reads a diffusers config dictionary; unknown keys and unsupported values are errors naming what is supported.
    public init(json: [String: Any]) throws {
        self.init()
        for (name, value) in json.sorted(by: { $0.key < $1.key }) where !name.hasPrefix("_") {
            guard let key = Self.key(name) else {
                let names = Self.keys.map(\.name)
                let near = Suggestions.nearest(to: name, in: names)
                throw ModelError.invalidConfig("unknown \(Self.className) key \(name)\(near.map { " (did you mean \($0)?)" } ?? ""); supported keys: \(names.joined(separator: ", "))")
            }
            try key.set(value, in: &self)
        }
        try validate()
    }

    /// The config as diffusers writes it in config.json.
    public var json: [String: Any] {
        var result: [String: Any] = ["_class_name": Self.className, "_diffusers_version": "0.32.2"]
        for key in Self.keys { result[key.name] = key.value(in: self) }
        return result
    }
}

/// UNet2DModel's configuration under diffusers' `config.json` keys and defaults.
public struct UNet2DConfig: Equatable, Sendable, DiffusersConfig {
    public static let supportedDownBlocks = ["DownBlock2D", "AttnDownBlock2D"]
    public static let supportedUpBlocks = ["UpBlock2D", "AttnUpBlock2D"]
    public static let className = "UNet2DModel"

    public var sampleSize: Int? = nil
    public var inChannels = 3
    public var outChannels = 3
    public var layersPerBlock = 2
    public var blockOutChannels = [224, 448, 672, 896]
    public var downBlockTypes = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]
    public var upBlockTypes = ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]
    public var attentionHeadDim: Int? = 8
    public var normNumGroups = 32
    public var attnNormNumGroups: Int? = nil
    public var normEps: Double = 1e-5
    public var actFn = "silu"
    public var flipSinToCos = true
    public var freqShift = 0
    public var downsamplePadding = 1
    public var timeEmbeddingType = "positional"
    public var timeEmbeddingDim: Int? = nil
    public var dropout: Double = 0
    public var addAttention = true
    public var numClassEmbeds: Int? = nil
    public var midBlockScaleFactor: Double = 1
    public var centerInputSample = false
    /// Used by diffusers only for time_embedding_type "learned"; kept so that config.json round-trips.
    public var numTrainTimesteps: Int? = nil

    public init() {}

    /// A UNet for CPU budgets: no attention, (16, 32, 32) channels, one ResNet per block, 8 groups (the "small" preset).
    public static var smallCPU: UNet2DConfig {
        var c = UNet2DConfig.tutorial
        c.blockOutChannels = [16, 32, 32]
        c.layersPerBlock = 1
        c.normNumGroups = 8
        c.downBlockTypes = ["DownBlock2D", "DownBlock2D", "DownBlock2D"]
        c.upBlockTypes = ["UpBlock2D", "UpBlock2D", "UpBlock2D"]
        c.addAttention = false
        return c
    }

    /// The tutorial's model: 1,707,009 parameters.
    public static var tutorial: UNet2DConfig {
        var c = UNet2DConfig()
        c.sampleSize = 32
        c.inChannels = 1
        c.outChannels = 1
        c.layersPerBlock = 2
        c.blockOutChannels = [32, 64, 64]
        c.downBlockTypes = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]
        c.upBlockTypes = ["AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]
        return c
    }

    /// Every key of diffusers 0.32.2's UNet2DModel config, once. Upper limits on sizes are left to the memory
    /// budget (MemoryBudget), which knows the machine; the limits here are what the arithmetic needs.
    public static var keys: [ConfigKey<UNet2DConfig>] {
        let sampleSize = ConfigKey<UNet2DConfig>("sample_size", .int, nullable: true, limits: [.atLeast(1)], help: "image height and width",
                                                read: { $0.sampleSize.map { $0 as Any } ?? NSNull() }) { c, v in
            // diffusers also writes [h, w]; dnb builds square models only.
            if let a = v as? [Any], a.count == 2 {
                let (h, w) = (try ConfigKey<UNet2DConfig>.decodeInt("sample_size", a[0], [.atLeast(1)]), try ConfigKey<UNet2DConfig>.decodeInt("sample_size", a[1], [.atLeast(1)]))
                guard h == w else { throw ModelError.invalidConfig("sample_size [\(h), \(w)] is not square; dnb supports square images only") }
                c.sampleSize = h
            } else {
                c.sampleSize = v is NSNull ? nil : try ConfigKey<UNet2DConfig>.decodeInt("sample_size", v, [.atLeast(1)])
            }
        }
        return [
            sampleSize,
            .int("in_channels", \.inChannels, [.atLeast(1)], help: "channels of the input images"),
            .int("out_channels", \.outChannels, [.atLeast(1)], help: "channels the model predicts"),
            .bool("center_input_sample", \.centerInputSample, help: "map inputs from [0, 1] to [-1, 1] first"),
            .string("time_embedding_type", \.timeEmbeddingType, allowed: ["positional"], help: "timestep embedding (dnb: positional)"),
            .int("time_embedding_dim", \.timeEmbeddingDim, [.atLeast(1)], help: "width of the timestep embedding (default: 4 × block_out_channels[0])"),
            .int("freq_shift", \.freqShift, [], help: "frequency shift of the sinusoidal embedding"),
            .bool("flip_sin_to_cos", \.flipSinToCos, help: "cos before sin in the sinusoidal embedding"),
            .strings("down_block_types", \.downBlockTypes, allowed: supportedDownBlocks, help: "one per level"),
            .strings("up_block_types", \.upBlockTypes, allowed: supportedUpBlocks, help: "one per level, deepest first"),
            .ints("block_out_channels", \.blockOutChannels, [.atLeast(1)], help: "channels of each resolution level"),
            .int("layers_per_block", \.layersPerBlock, [.atLeast(1)], help: "ResNet blocks per down block (up blocks get one more)"),
            .float("mid_block_scale_factor", \.midBlockScaleFactor, [.above(0)], help: "output scale of the middle block"),
            .int("downsample_padding", \.downsamplePadding, [.atLeast(1), .atMost(1)], isArgument: false, help: "padding of the downsampling convolutions (dnb: 1)"),
            .fixed("downsample_type", "conv", help: "downsampling layer"),
            .fixed("upsample_type", "conv", help: "upsampling layer"),
            .float("dropout", \.dropout, [.atLeast(0), .atMost(0)], isArgument: false, help: "dropout in the ResNet blocks (dnb: 0)"),
            .string("act_fn", \.actFn, allowed: ["silu", "swish"], help: "activation"),
            .int("attention_head_dim", \.attentionHeadDim, [.atLeast(1)], help: "channels per attention head (8 in diffusers; none: one head)"),
            .int("norm_num_groups", \.normNumGroups, [.atLeast(1)], help: "GroupNorm groups; divides every block_out_channels (32 in diffusers)"),
            .int("attn_norm_num_groups", \.attnNormNumGroups, [.atLeast(1)], help: "GroupNorm groups of the middle block's attention (default: norm_num_groups)"),
            .float("norm_eps", \.normEps, [.above(0)], help: "GroupNorm epsilon"),
            .fixed("resnet_time_scale_shift", "default", help: "how the timestep enters the ResNet blocks"),
            .bool("add_attention", \.addAttention, help: "attention in the middle block"),
            .fixed("class_embed_type", nil, help: "class embedding other than a lookup table"),
            .int("num_class_embeds", \.numClassEmbeds, [.atLeast(1)], help: "number of classes for class conditioning (none: unconditional)"),
            .int("num_train_timesteps", \.numTrainTimesteps, [.atLeast(1)], isArgument: false, help: "timesteps of a learned time embedding (unused with positional)"),
            .fixed("time_embedding_act_fn", nil, help: "activation after the time embedding"),
        ]
    }

    public static var supportedKeys: [String] { keys.map(\.name) }

    /// The width of the timestep embedding (diffusers: `time_embedding_dim or block_out_channels[0] * 4`).
    public var timeEmbeddingChannels: Int { timeEmbeddingDim ?? blockOutChannels[0] * 4 }

    /// The parameter count, from the config alone (no weights allocated), as diffusers' layers count them; up-block
    /// ResNets are taken with 2 × out channels in (skip + previous), which the real mix of widths is within 25 % of.
    public var estimatedParameterCount: Double {
        func conv(_ i: Double, _ o: Double, _ k: Double = 3) -> Double { k * k * i * o + o }
        let t = Double(timeEmbeddingChannels)
        func resnet(_ i: Double, _ o: Double) -> Double { 2 * i + conv(i, o) + t * o + o + 2 * o + conv(o, o) + (i == o ? 0 : i * o + o) }
        func attention(_ c: Double) -> Double { 2 * c + 4 * (c * c + c) }
        let c = blockOutChannels.map(Double.init), layers = Double(layersPerBlock), last = c.count - 1
        var total = conv(Double(inChannels), c[0]) + c[0] * t + t + t * t + t + Double(numClassEmbeds ?? 0) * t
        total += 2 * c[0] + conv(c[0], Double(outChannels))
        for (i, ch) in c.enumerated() {
            let attended = downBlockTypes[i].hasPrefix("Attn") ? 1.0 : 0
            let upAttended = upBlockTypes[last - i].hasPrefix("Attn") ? 1.0 : 0
            total += resnet(i == 0 ? ch : c[i - 1], ch) + (layers - 1) * resnet(ch, ch) + layers * attended * attention(ch)
            total += (layers + 1) * (resnet(2 * ch, ch) + upAttended * attention(ch))
            if i < last { total += 2 * conv(ch, ch) }  // downsampler and upsampler
        }
        total += 2 * resnet(c[last], c[last]) + (addAttention ? attention(c[last]) : 0)
        return total
    }

    /// Bytes of activations per image of `imageSize`² pixels, within a factor of ~2 of what the engine allocates.
    /// Training keeps layer outputs for backward: about 5 maps of H·W·C floats per ResNet (its input and the
    /// first convolution's output, which the norms re-normalise in backward (`groupNormConv2d`), the shortcut,
    /// the residual) and 8 per attention (norm, q, k, v, output, projection, residual).
    /// Inference keeps the skip connections of the down path plus a working set of ~20 maps at the largest level
    /// (layer outputs, GroupNorm statistics, one 3 × 3 im2col buffer of 9 maps). Measured with /usr/bin/time on the
    /// tutorial model at 32 × 32 (debug build, 50 MB baseline): `sample n=256` peaked at 948 MB, 3.5 MB per image
    /// against 3.3 MB estimated; `dnb bench train --batch 128` (release build) at 1.19 GB, 9.3 MB per image against
    /// 11.5 MB estimated.
    public func activationBytes(imageSize: Int, training: Bool) -> Double {
        let layers = Double(layersPerBlock), last = blockOutChannels.count - 1
        var floats = 0.0, largest = 0.0
        for (i, c) in blockOutChannels.enumerated() {
            let side = Double(imageSize) / pow(2, Double(i))
            let map = side * side * Double(c)
            largest = max(largest, map)
            let attentions = (downBlockTypes[i].hasPrefix("Attn") ? layers : 0) + (upBlockTypes[last - i].hasPrefix("Attn") ? layers + 1 : 0)
            // Up-block maps carry skip + previous channels in: 1.5 maps per ResNet on average.
            let resnets = layers + 1.5 * (layers + 1) + (i == last ? 2 : 0)
            floats += training ? map * (5 * resnets + 8 * attentions) : map * (layers + 1)
        }
        floats += (training ? 9 : 20) * largest
        return floats * Double(MemoryLayout<Float>.size)
    }

    /// The relations between keys, each named with both sides.
    public func validate() throws {
        guard !blockOutChannels.isEmpty else { throw ModelError.invalidConfig("block_out_channels is empty") }
        guard downBlockTypes.count == blockOutChannels.count, upBlockTypes.count == blockOutChannels.count else {
            throw ModelError.invalidConfig("down_block_types (\(downBlockTypes.count)), up_block_types (\(upBlockTypes.count)) and block_out_channels (\(blockOutChannels.count)) must have the same length")
        }
        // Each key's own limits, for configs built in code (JSON and arguments are checked as they are read).
        guard blockOutChannels.count <= 30 else { throw ModelError.invalidConfig("block_out_channels has \(blockOutChannels.count) levels; at most 30 (each halves the image)") }
        var copy = self
        for key in Self.keys { try key.set(key.value(in: self), in: &copy) }
        // The sinusoidal embedding divides by half of block_out_channels[0] minus freq_shift (diffusers' get_timestep_embedding).
        guard freqShift < blockOutChannels[0] / 2 else {
            throw ModelError.invalidConfig("freq_shift \(freqShift) must be below half of block_out_channels[0] (\(blockOutChannels[0] / 2)): the embedding divides by their difference")
        }
        for c in blockOutChannels where c % normNumGroups != 0 {
            throw ModelError.invalidConfig("norm_num_groups \(normNumGroups) must divide every block_out_channels \(blockOutChannels)")
        }
        if addAttention, let g = attnNormNumGroups, blockOutChannels.last! % g != 0 {
            throw ModelError.invalidConfig("attn_norm_num_groups \(g) must divide the last block_out_channels (\(blockOutChannels.last!))")
        }
        if let d = attentionHeadDim {
            let attended = zip(blockOutChannels, downBlockTypes).filter { $0.1.hasPrefix("Attn") }.map(\.0) + (addAttention ? [blockOutChannels.last!] : [])
            if let c = attended.first(where: { $0 % d != 0 }) {
                throw ModelError.invalidConfig("attention_head_dim \(d) must divide the channels of every attention layer (\(c) of block_out_channels \(blockOutChannels))")
            }
        }
        if let s = sampleSize, s % (1 << (blockOutChannels.count - 1)) != 0 {
            throw ModelError.invalidConfig("sample_size \(s) must be divisible by \(1 << (blockOutChannels.count - 1)) (one halving per down block but the last, \(blockOutChannels.count) levels in block_out_channels)")
        }
    }
}

/// A JSON number that is not a boolean (Foundation bridges both to NSNumber; booleans have type code "c").
func number(_ value: Any) -> NSNumber? {
    if let n = value as? NSNumber { return String(cString: n.objCType) == "c" ? nil : n }
    if let i = value as? Int { return NSNumber(value: i) }
    if let d = value as? Double { return NSNumber(value: d) }
    return nil
}

/// A JSON value as a message shows it.
func describe(_ value: Any) -> String {
    switch value {
    case is NSNull: return "null"
    case let s as String: return "\"\(s)\""
    default: return "\(value)"
    }
}

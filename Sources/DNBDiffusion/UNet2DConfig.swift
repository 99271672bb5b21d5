import Foundation
import DNBSupport

/// UNet2DModel's configuration under diffusers' `config.json` keys and defaults.
public struct UNet2DConfig: Equatable, Sendable {
    public static let supportedDownBlocks = ["DownBlock2D", "AttnDownBlock2D"]
    public static let supportedUpBlocks = ["UpBlock2D", "AttnUpBlock2D"]

    public var sampleSize: Int? = nil
    public var inChannels = 3
    public var outChannels = 3
    public var layersPerBlock = 2
    public var blockOutChannels = [224, 448, 672, 896]
    public var downBlockTypes = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]
    public var upBlockTypes = ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]
    public var attentionHeadDim: Int? = 8
    public var normNumGroups = 32
    public var normEps: Double = 1e-5
    public var actFn = "silu"
    public var flipSinToCos = true
    public var freqShift = 0
    public var downsamplePadding = 1
    public var timeEmbeddingType = "positional"
    public var dropout: Double = 0
    public var addAttention = true
    public var numClassEmbeds: Int? = nil
    public var midBlockScaleFactor: Double = 1
    public var centerInputSample = false

    public init() {}

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

    /// Keys diffusers writes that must hold exactly these values for dnb to build the same network.
    /// (nil stands for JSON null.)
    static let fixedKeys: [String: String?] = [
        "resnet_time_scale_shift": "default", "downsample_type": "conv", "upsample_type": "conv",
        "mid_block_type": "UNetMidBlock2D", "class_embed_type": nil, "time_embedding_dim": nil,
        "time_embedding_act_fn": nil, "attn_norm_num_groups": nil, "num_train_timesteps": nil,
    ]

    static let settableKeys = [
        "sample_size", "in_channels", "out_channels", "layers_per_block", "block_out_channels", "down_block_types",
        "up_block_types", "attention_head_dim", "norm_num_groups", "norm_eps", "act_fn", "flip_sin_to_cos",
        "freq_shift", "downsample_padding", "time_embedding_type", "dropout", "add_attention", "num_class_embeds",
        "mid_block_scale_factor", "center_input_sample",
    ]

    public static var supportedKeys: [String] { settableKeys + fixedKeys.keys.sorted() }

    /// Reads a diffusers config dictionary; unknown keys and unsupported values are errors naming what is supported.
    public init(json: [String: Any]) throws {
        self.init()
        for (key, value) in json.sorted(by: { $0.key < $1.key }) where !key.hasPrefix("_") {
            if let fixed = UNet2DConfig.fixedKeys[key] {
                guard value is NSNull ? fixed == nil : (value as? String) == fixed else {
                    throw ModelError.invalidConfig("\(key) = \(value) is not supported (dnb supports only \(fixed.map { "\"\($0)\"" } ?? "null"))")
                }
                continue
            }
            try set(key, value)
        }
        try validate()
    }

    mutating func set(_ key: String, _ value: Any) throws {
        func int() throws -> Int {
            if let n = number(value), n.doubleValue == n.doubleValue.rounded() { return n.intValue }
            throw ModelError.invalidConfig("\(key) must be an integer, got \(value)")
        }
        func optionalInt() throws -> Int? { value is NSNull ? nil : try int() }
        func double() throws -> Double {
            if let n = number(value) { return n.doubleValue }
            throw ModelError.invalidConfig("\(key) must be a number, got \(value)")
        }
        func bool() throws -> Bool {
            if let b = value as? Bool { return b }
            throw ModelError.invalidConfig("\(key) must be true or false, got \(value)")
        }
        func string() throws -> String {
            if let s = value as? String { return s }
            throw ModelError.invalidConfig("\(key) must be a string, got \(value)")
        }
        func ints() throws -> [Int] {
            guard let a = value as? [Any] else { throw ModelError.invalidConfig("\(key) must be a list of integers") }
            return try a.map { v in
                guard let n = number(v) else { throw ModelError.invalidConfig("\(key) must be a list of integers, got \(v)") }
                return n.intValue
            }
        }
        func strings() throws -> [String] {
            guard let a = value as? [Any], let s = a as? [String] else { throw ModelError.invalidConfig("\(key) must be a list of strings") }
            return s
        }
        switch key {
        case "sample_size":
            if let a = value as? [Any], a.count == 2, let h = a[0] as? Int, let w = a[1] as? Int, h == w { sampleSize = h }
            else { sampleSize = try optionalInt() }
        case "in_channels": inChannels = try int()
        case "out_channels": outChannels = try int()
        case "layers_per_block": layersPerBlock = try int()
        case "block_out_channels": blockOutChannels = try ints()
        case "down_block_types": downBlockTypes = try strings()
        case "up_block_types": upBlockTypes = try strings()
        case "attention_head_dim": attentionHeadDim = try optionalInt()
        case "norm_num_groups": normNumGroups = try int()
        case "norm_eps": normEps = try double()
        case "act_fn": actFn = try string()
        case "flip_sin_to_cos": flipSinToCos = try bool()
        case "freq_shift": freqShift = try int()
        case "downsample_padding": downsamplePadding = try int()
        case "time_embedding_type": timeEmbeddingType = try string()
        case "dropout": dropout = try double()
        case "add_attention": addAttention = try bool()
        case "num_class_embeds": numClassEmbeds = try optionalInt()
        case "mid_block_scale_factor": midBlockScaleFactor = try double()
        case "center_input_sample": centerInputSample = try bool()
        default:
            let near = Suggestions.nearest(to: key, in: UNet2DConfig.supportedKeys)
            throw ModelError.invalidConfig("unknown key \(key)\(near.map { " (did you mean \($0)?)" } ?? ""); supported keys: \(UNet2DConfig.supportedKeys.joined(separator: ", "))")
        }
    }

    public func validate() throws {
        guard !blockOutChannels.isEmpty else { throw ModelError.invalidConfig("block_out_channels is empty") }
        guard downBlockTypes.count == blockOutChannels.count, upBlockTypes.count == blockOutChannels.count else {
            throw ModelError.invalidConfig("down_block_types (\(downBlockTypes.count)), up_block_types (\(upBlockTypes.count)) and block_out_channels (\(blockOutChannels.count)) must have the same length")
        }
        for t in downBlockTypes where !UNet2DConfig.supportedDownBlocks.contains(t) {
            throw ModelError.invalidConfig("down block type \(t) is not supported; supported: \(UNet2DConfig.supportedDownBlocks.joined(separator: ", "))")
        }
        for t in upBlockTypes where !UNet2DConfig.supportedUpBlocks.contains(t) {
            throw ModelError.invalidConfig("up block type \(t) is not supported; supported: \(UNet2DConfig.supportedUpBlocks.joined(separator: ", "))")
        }
        guard actFn == "silu" || actFn == "swish" else { throw ModelError.invalidConfig("act_fn \(actFn) is not supported; supported: silu") }
        guard timeEmbeddingType == "positional" else {
            throw ModelError.invalidConfig("time_embedding_type \(timeEmbeddingType) is not supported; supported: positional")
        }
        guard dropout == 0 else { throw ModelError.invalidConfig("dropout \(dropout) is not supported; supported: 0") }
        guard downsamplePadding == 1 else { throw ModelError.invalidConfig("downsample_padding \(downsamplePadding) is not supported; supported: 1") }
        guard inChannels > 0, outChannels > 0, layersPerBlock > 0 else {
            throw ModelError.invalidConfig("in_channels, out_channels and layers_per_block must be positive")
        }
        for c in blockOutChannels where c <= 0 || c % normNumGroups != 0 {
            throw ModelError.invalidConfig("block_out_channels \(blockOutChannels) must be positive multiples of norm_num_groups \(normNumGroups)")
        }
        if let d = attentionHeadDim, d <= 0 { throw ModelError.invalidConfig("attention_head_dim must be positive") }
        if let n = numClassEmbeds, n <= 0 { throw ModelError.invalidConfig("num_class_embeds must be positive") }
        if let s = sampleSize, s % (1 << (blockOutChannels.count - 1)) != 0 {
            throw ModelError.invalidConfig("sample_size \(s) must be divisible by \(1 << (blockOutChannels.count - 1)) (one halving per down block but the last)")
        }
    }

    /// The config as diffusers writes it in config.json.
    public var json: [String: Any] {
        [
            "_class_name": "UNet2DModel", "_diffusers_version": "0.32.2",
            "sample_size": sampleSize.map { $0 as Any } ?? NSNull(), "in_channels": inChannels, "out_channels": outChannels,
            "center_input_sample": centerInputSample, "time_embedding_type": timeEmbeddingType, "time_embedding_dim": NSNull(),
            "freq_shift": freqShift, "flip_sin_to_cos": flipSinToCos, "down_block_types": downBlockTypes,
            "up_block_types": upBlockTypes, "block_out_channels": blockOutChannels,
            "layers_per_block": layersPerBlock, "mid_block_scale_factor": midBlockScaleFactor,
            "downsample_padding": downsamplePadding, "downsample_type": "conv", "upsample_type": "conv", "dropout": dropout,
            "act_fn": actFn, "attention_head_dim": attentionHeadDim.map { $0 as Any } ?? NSNull(),
            "norm_num_groups": normNumGroups, "attn_norm_num_groups": NSNull(), "norm_eps": normEps,
            "resnet_time_scale_shift": "default", "add_attention": addAttention, "class_embed_type": NSNull(),
            "num_class_embeds": numClassEmbeds.map { $0 as Any } ?? NSNull(), "num_train_timesteps": NSNull(),
        ]
    }
}

/// A JSON number that is not a boolean (Foundation bridges both to NSNumber; booleans have type code "c").
func number(_ value: Any) -> NSNumber? {
    guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
    return n
}

import Foundation

/// The UNet2DModel configuration (diffusers `config.json`) restricted to what DDPM-family
/// checkpoints use. Anything else is refused with an error naming the field.
public struct UNetConfig: Equatable, Sendable {
    public enum DownBlockType: String, Sendable { case down = "DownBlock2D", attnDown = "AttnDownBlock2D" }
    public enum UpBlockType: String, Sendable { case up = "UpBlock2D", attnUp = "AttnUpBlock2D" }

    public var sampleSize: (height: Int, width: Int)?
    public var inChannels: Int
    public var outChannels: Int
    public var centerInputSample: Bool
    public var timeEmbeddingDim: Int?
    public var freqShift: Double
    public var flipSinToCos: Bool
    public var downBlockTypes: [DownBlockType]
    public var upBlockTypes: [UpBlockType]
    public var hasMidBlock: Bool
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int
    public var midBlockScaleFactor: Double
    public var downsamplePadding: Int
    /// nil means the config said `null`: each block then uses one head over all its channels.
    /// A missing key means diffusers' default of 8.
    public var attentionHeadDim: Int?
    public var normNumGroups: Int
    public var attnNormNumGroups: Int?
    public var normEps: Double
    public var scaleShiftTimeEmbedding: Bool
    public var addAttention: Bool

    public static func == (a: UNetConfig, b: UNetConfig) -> Bool {
        a.sampleSize?.height == b.sampleSize?.height && a.sampleSize?.width == b.sampleSize?.width
            && a.inChannels == b.inChannels && a.outChannels == b.outChannels
            && a.centerInputSample == b.centerInputSample && a.timeEmbeddingDim == b.timeEmbeddingDim
            && a.freqShift == b.freqShift && a.flipSinToCos == b.flipSinToCos
            && a.downBlockTypes == b.downBlockTypes && a.upBlockTypes == b.upBlockTypes
            && a.hasMidBlock == b.hasMidBlock && a.blockOutChannels == b.blockOutChannels
            && a.layersPerBlock == b.layersPerBlock && a.midBlockScaleFactor == b.midBlockScaleFactor
            && a.downsamplePadding == b.downsamplePadding && a.attentionHeadDim == b.attentionHeadDim
            && a.normNumGroups == b.normNumGroups && a.attnNormNumGroups == b.attnNormNumGroups
            && a.normEps == b.normEps && a.scaleShiftTimeEmbedding == b.scaleShiftTimeEmbedding
            && a.addAttention == b.addAttention
    }

    public var timeEmbedDim: Int { timeEmbeddingDim ?? blockOutChannels[0] * 4 }

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.unreadable(path: path, reason: "no such file or not readable")
        }
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: data) } catch {
            throw ModelError.malformedConfig(path: path, reason: "not valid JSON")
        }
        guard let dict = obj as? [String: Any] else {
            throw ModelError.malformedConfig(path: path, reason: "not a JSON object")
        }
        try self.init(json: dict, path: path)
    }

    public init(json: [String: Any], path: String = "config.json") throws {
        let r = ConfigReader(dict: json, path: path)
        if let cls = json["_class_name"] as? String, cls != "UNet2DModel" {
            throw ModelError.unsupportedConfig(field: "_class_name", value: cls, supported: "UNet2DModel")
        }
        if let s = json["sample_size"], !(s is NSNull) {
            if let n = (s as? NSNumber)?.intValue { sampleSize = (n, n) }
            else if let a = s as? [Any], a.count == 2, let h = (a[0] as? NSNumber)?.intValue,
                    let w = (a[1] as? NSNumber)?.intValue { sampleSize = (h, w) }
            else { throw ModelError.unsupportedConfig(field: "sample_size", value: "\(s)", supported: "int or [h, w]") }
        } else { sampleSize = nil }
        inChannels = try r.int("in_channels", default: 3)
        outChannels = try r.int("out_channels", default: 3)
        centerInputSample = try r.bool("center_input_sample", default: false)
        try r.require("time_embedding_type", default: "positional", oneOf: ["positional"])
        timeEmbeddingDim = try r.optionalInt("time_embedding_dim")
        freqShift = try r.double("freq_shift", default: 0)
        flipSinToCos = try r.bool("flip_sin_to_cos", default: true)
        downBlockTypes = try r.strings("down_block_types",
                                       default: ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]).map {
            guard let t = DownBlockType(rawValue: $0) else {
                throw ModelError.unsupportedConfig(field: "down_block_types", value: $0, supported: "DownBlock2D, AttnDownBlock2D")
            }
            return t
        }
        upBlockTypes = try r.strings("up_block_types",
                                     default: ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]).map {
            guard let t = UpBlockType(rawValue: $0) else {
                throw ModelError.unsupportedConfig(field: "up_block_types", value: $0, supported: "UpBlock2D, AttnUpBlock2D")
            }
            return t
        }
        if json.keys.contains("mid_block_type"), json["mid_block_type"] is NSNull {
            hasMidBlock = false
        } else {
            try r.require("mid_block_type", default: "UNetMidBlock2D", oneOf: ["UNetMidBlock2D"])
            hasMidBlock = true
        }
        blockOutChannels = try r.ints("block_out_channels", default: [224, 448, 672, 896])
        layersPerBlock = try r.int("layers_per_block", default: 2)
        midBlockScaleFactor = try r.double("mid_block_scale_factor", default: 1)
        downsamplePadding = try r.int("downsample_padding", default: 1)
        try r.require("downsample_type", default: "conv", oneOf: ["conv"])
        try r.require("upsample_type", default: "conv", oneOf: ["conv"])
        try r.require("act_fn", default: "silu", oneOf: ["silu", "swish"])
        if json.keys.contains("attention_head_dim") {
            attentionHeadDim = try r.optionalInt("attention_head_dim")
        } else {
            attentionHeadDim = 8
        }
        normNumGroups = try r.int("norm_num_groups", default: 32)
        attnNormNumGroups = try r.optionalInt("attn_norm_num_groups")
        normEps = try r.double("norm_eps", default: 1e-5)
        let shift = try r.string("resnet_time_scale_shift", default: "default")
        guard shift == "default" || shift == "scale_shift" else {
            throw ModelError.unsupportedConfig(field: "resnet_time_scale_shift", value: shift, supported: "default, scale_shift")
        }
        scaleShiftTimeEmbedding = shift == "scale_shift"
        addAttention = try r.bool("add_attention", default: true)
        for field in ["class_embed_type", "num_class_embeds"] {
            if let v = json[field], !(v is NSNull) {
                throw ModelError.unsupportedConfig(field: field, value: "\(v)", supported: "null (unconditional models)")
            }
        }
        try validate()
    }

    func validate() throws {
        func fail(_ f: String, _ v: Any, _ s: String) -> ModelError { .unsupportedConfig(field: f, value: "\(v)", supported: s) }
        guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 }) else {
            throw fail("block_out_channels", blockOutChannels, "a non-empty list of positive integers")
        }
        guard downBlockTypes.count == blockOutChannels.count else {
            throw fail("down_block_types", downBlockTypes.count, "one per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard upBlockTypes.count == blockOutChannels.count else {
            throw fail("up_block_types", upBlockTypes.count, "one per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard inChannels > 0 else { throw fail("in_channels", inChannels, "a positive integer") }
        guard outChannels > 0 else { throw fail("out_channels", outChannels, "a positive integer") }
        guard layersPerBlock > 0 else { throw fail("layers_per_block", layersPerBlock, "a positive integer") }
        guard normNumGroups > 0, blockOutChannels.allSatisfy({ $0 % normNumGroups == 0 }) else {
            throw fail("norm_num_groups", normNumGroups, "a divisor of every block_out_channels entry")
        }
        if let h = attentionHeadDim, h <= 0 { throw fail("attention_head_dim", h, "a positive integer or null") }
        guard downsamplePadding >= 0 else { throw fail("downsample_padding", downsamplePadding, "0 or more") }
        guard normEps > 0 else { throw fail("norm_eps", normEps, "a positive number") }
        // Sizes beyond any published DDPM checkpoint (the largest use 4 levels of at most 1,024 channels) are refused
        // before anything is allocated for them.
        guard blockOutChannels.count <= 8, blockOutChannels.allSatisfy({ $0 <= 8192 }) else {
            throw fail("block_out_channels", blockOutChannels, "at most 8 levels of at most 8192 channels")
        }
        guard layersPerBlock <= 64 else { throw fail("layers_per_block", layersPerBlock, "at most 64") }
        guard inChannels <= 64, outChannels <= 128 else {
            throw fail("in_channels/out_channels", "\(inChannels)/\(outChannels)", "at most 64/128")
        }
        if let g = attnNormNumGroups, g <= 0 || blockOutChannels.last! % g != 0 {
            throw fail("attn_norm_num_groups", g, "a divisor of the last block_out_channels entry")
        }
        guard timeEmbedDim >= 1, timeEmbedDim <= 65536 else { throw fail("time_embedding_dim", timeEmbedDim, "1 to 65536") }
    }

    /// A lower bound on the parameters this config needs (every down block's resnets have at
    /// least a c×c 3×3 convolution each): a weights file holding fewer cannot be this network,
    /// and the loader refuses it before allocating the layers the config describes.
    public var minimumParameters: Int {
        blockOutChannels.reduce(0) { $0 + layersPerBlock * 9 * $1 * $1 }
    }
}

/// The config reader of config.json: field errors are ModelError.malformedConfig.
typealias ConfigReader = JSONFieldReader<ModelError>

extension JSONFieldReader where Failure == ModelError {
    init(dict: [String: Any], path: String) {
        self.init(dict: dict) { _, reason in .malformedConfig(path: path, reason: reason) }
    }

    /// A string field that must hold one of the values this runtime implements.
    func require(_ key: String, default d: String, oneOf allowed: [String]) throws(ModelError) {
        let s = try string(key, default: d)
        guard allowed.contains(s) else {
            throw ModelError.unsupportedConfig(field: key, value: s, supported: allowed.joined(separator: ", "))
        }
    }
}

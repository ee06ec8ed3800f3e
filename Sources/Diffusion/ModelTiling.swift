import Foundation
import UNet

/// How a model sees an image (docs/TILING.md, docs/DESIGN.md §7).
///
/// - `patches`: the network was trained at one size (its `sample_size`); an image is cut into
///   independent patches of that size, the overhanging ones padded.
/// - `wholeImage`: the network is fully convolutional (trained on crops of several sizes) and
///   sees an image in one piece, padded by edge replication up to a multiple of its downsampling
///   factor; only images larger than `maximum` on a side are cut, into tiles of `maximum` (memory:
///   the self-attention of a tile grows with the square of its area).
///
/// `patches` is what a plain diffusers directory means; `wholeImage` is declared by the model's
/// `codec_config.json` (`{"tiling": "whole-image", "maximum_tile": 256}`), which is part of the
/// model's identity.
public enum ModelTiling: Equatable, Sendable {
    case patches(height: Int, width: Int)
    case wholeImage(multiple: Int, maximum: Int)

    /// The grid the tiling cuts an image with (PatchTiling): the patch, or the largest tile.
    public var gridSize: (height: Int, width: Int) {
        switch self {
        case let .patches(h, w): return (h, w)
        case let .wholeImage(_, maximum): return (maximum, maximum)
        }
    }

    /// The network input for a piece whose real extent is `height`×`width`: the fixed patch size,
    /// or the extent rounded up to the downsampling factor.
    public func inputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch self {
        case let .patches(h, w): return (h, w)
        case let .wholeImage(m, _): return ((height + m - 1) / m * m, (width + m - 1) / m * m)
        }
    }

    /// The pieces of an image of this size.
    public func grid(height: Int, width: Int) -> PatchTiling {
        let g = gridSize
        return PatchTiling(height: height, width: width, patchHeight: g.height, patchWidth: g.width)
    }

    /// The real extents of an image's pieces, in the grid's order.
    public func shapes(height: Int, width: Int, channels: Int) -> [ChainShape] {
        let tiling = grid(height: height, width: width)
        return (0..<tiling.count).map { k in
            let (h, w) = tiling.realSize(k)
            return ChainShape(height: h, width: w, channels: channels)
        }
    }

    /// The largest accepted tile side: self-attention over a 256×256 tile at a quarter of its
    /// resolution is a 4096×4096 matrix per head (64 MB), about what one network call may take.
    public static let largestTile = 256

    /// The largest patch side of a fixed-size model: one 1024×1024 patch already needs about a
    /// gigabyte of activations per network call.
    public static let largestPatch = 1024

    /// The patches of a network's `sample_size`, checked against `largestPatch`.
    static func patches(_ network: UNetConfig, directory: String) throws(DiffusionError) -> ModelTiling {
        guard let size = network.sampleSize, size.height > 0, size.width > 0 else {
            throw .incompatibleModel(path: directory, detail: "config.json has no sample_size, which sets the patch size")
        }
        guard size.height <= largestPatch, size.width <= largestPatch else {
            throw .unsupportedConfig(field: "sample_size", value: "\(size.height)×\(size.width)",
                                     supported: "at most \(largestPatch) a side")
        }
        // Each level halves the map and the up path doubles it back; the skips only line up when every
        // halving is exact.
        let multiple = 1 << (network.blockOutChannels.count - 1)
        guard size.height % multiple == 0, size.width % multiple == 0 else {
            throw .unsupportedConfig(field: "sample_size", value: "\(size.height)×\(size.width)",
                                     supported: "a multiple of \(multiple) (the network halves it \(network.blockOutChannels.count - 1) times)")
        }
        return .patches(height: size.height, width: size.width)
    }

    /// The tiling `codec_config.json` declares for a network with this config; a directory without
    /// one is tiled in patches of the network's `sample_size`.
    static func load(_ config: CodecConfig, network: UNetConfig, directory: String) throws(DiffusionError) -> ModelTiling {
        guard let dict = config.object else { return try patches(network, directory: directory) }
        let path = config.path
        let r = JSONFieldReader<DiffusionError>(dict: dict) { _, reason in .unreadable(path: path, reason: reason) }
        switch try r.string("tiling", default: "patches") {
        case "patches":
            return try patches(network, directory: directory)
        case "whole-image":
            let multiple = 1 << (network.blockOutChannels.count - 1)
            let maximum = try r.int("maximum_tile", default: largestTile)
            guard maximum >= multiple, maximum <= largestTile, maximum % multiple == 0 else {
                throw .unsupportedConfig(field: "maximum_tile", value: "\(maximum)",
                                         supported: "a multiple of \(multiple) from \(multiple) to \(largestTile)")
            }
            return .wholeImage(multiple: multiple, maximum: maximum)
        case let other:
            throw .unsupportedConfig(field: "tiling", value: other, supported: "patches, whole-image")
        }
    }
}

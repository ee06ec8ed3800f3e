import Diffusion
import ImageIO

/// Images ⇄ the pieces a model codes them in (ModelTiling; docs/TILING.md): image order, then
/// row-major piece order.
public enum Patches {
    public static func items(_ images: [Image], model: DiffusionModel) -> [ChainItem] {
        var out: [ChainItem] = []
        for im in images {
            let tiling = model.tiling.grid(height: im.height, width: im.width)
            for k in 0..<tiling.count {
                let (y0, x0) = tiling.origin(k), (h, w) = tiling.realSize(k)
                var px = [UInt8](); px.reserveCapacity(h * w * im.channels)
                for y in 0..<h {
                    let s = ((y0 + y) * im.width + x0) * im.channels
                    px += im.pixels[s..<(s + w * im.channels)]
                }
                out.append(ChainItem(height: h, width: w, channels: im.channels, pixels: px))
            }
        }
        return out
    }

    /// The piece shapes of images of the given geometry, in the order `items` makes them.
    public static func shapes(_ entries: [ImageEntry], model: DiffusionModel) -> [ChainShape] {
        entries.flatMap { model.tiling.shapes(height: $0.height, width: $0.width, channels: $0.channels) }
    }

    /// The image each piece belongs to, in `items` order.
    public static func owners(_ entries: [ImageEntry], model: DiffusionModel) -> [Int] {
        entries.enumerated().flatMap { n, e in
            [Int](repeating: n, count: model.tiling.grid(height: e.height, width: e.width).count)
        }
    }

    /// Puts per-piece values (in `items` order) back into whole images.
    public static func assemble<T>(_ patches: [[T]], entries: [ImageEntry], model: DiffusionModel, fill: T) -> [[T]] {
        var images: [[T]] = []
        var next = 0
        for e in entries {
            let tiling = model.tiling.grid(height: e.height, width: e.width)
            var px = [T](repeating: fill, count: e.width * e.height * e.channels)
            for k in 0..<tiling.count {
                let (y0, x0) = tiling.origin(k), (h, w) = tiling.realSize(k)
                let patch = patches[next]; next += 1
                for y in 0..<h {
                    let d = ((y0 + y) * e.width + x0) * e.channels
                    for i in 0..<(w * e.channels) { px[d + i] = patch[y * w * e.channels + i] }
                }
            }
            images.append(px)
        }
        return images
    }

    /// Decoded pieces as the header's named images.
    static func images(_ patches: [[UInt8]], entries: [ImageEntry], model: DiffusionModel) throws -> [NamedImage] {
        let planes = assemble(patches, entries: entries, model: model, fill: UInt8(0))
        return try zip(entries, planes).map { e, px in
            NamedImage(name: e.name, image: try Image(width: e.width, height: e.height, channels: e.channels, pixels: px))
        }
    }

    /// Model space [-1, 1] → 0...255, rounding to nearest.
    public static func pixels(_ x: [Double]) -> [UInt8] {
        x.map { UInt8(max(0, min(255, (($0 + 1) * 127.5).rounded(.toNearestOrEven)))) }
    }
}

import Diffusion
import ImageIO

/// Images ⇄ network-sized patches (docs/TILING.md): image order, then row-major patch order.
public enum Patches {
    public static func items(_ images: [Image], patchHeight: Int, patchWidth: Int) -> [ChainItem] {
        var out: [ChainItem] = []
        for im in images {
            let tiling = PatchTiling(height: im.height, width: im.width, patchHeight: patchHeight, patchWidth: patchWidth)
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

    /// The patch shapes of images of the given geometry, in the order `items` makes them.
    public static func shapes(_ entries: [ImageEntry], patchHeight: Int, patchWidth: Int) -> [ChainShape] {
        var out: [ChainShape] = []
        for e in entries {
            let tiling = PatchTiling(height: e.height, width: e.width, patchHeight: patchHeight, patchWidth: patchWidth)
            for k in 0..<tiling.count {
                let (h, w) = tiling.realSize(k)
                out.append(ChainShape(height: h, width: w, channels: e.channels))
            }
        }
        return out
    }

    /// Puts per-patch values (in `items` order) back into whole images.
    public static func assemble<T>(_ patches: [[T]], entries: [ImageEntry], patchHeight: Int, patchWidth: Int,
                                   fill: T) -> [[T]] {
        var images: [[T]] = []
        var next = 0
        for e in entries {
            let tiling = PatchTiling(height: e.height, width: e.width, patchHeight: patchHeight, patchWidth: patchWidth)
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

    /// Model space [-1, 1] → 0...255, rounding to nearest.
    public static func pixels(_ x: [Double]) -> [UInt8] {
        x.map { UInt8(max(0, min(255, (($0 + 1) * 127.5).rounded(.toNearestOrEven)))) }
    }
}

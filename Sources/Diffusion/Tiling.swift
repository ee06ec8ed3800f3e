/// How an image of any size is cut into network-sized patches (docs/TILING.md).
///
/// Patches of the model's size start at multiples of the patch size from the top-left corner,
/// row-major; the last row and column of patches may hang over the image. The network input
/// for an overhanging patch is padded by edge replication of x_t itself: padded position
/// (y, x) reads the real pixel (min(y, H - 1), min(x, W - 1)). Padding is a function of the
/// real x_t at the same step, so an encoder and a decoder can both rebuild it, and it is never
/// coded: only real sub-pixels contribute terms. Images smaller than a patch are one padded patch.
public struct PatchTiling: Equatable, Sendable {
    public let height: Int
    public let width: Int
    public let patchHeight: Int
    public let patchWidth: Int

    public init(height: Int, width: Int, patchHeight: Int, patchWidth: Int) {
        precondition(height > 0 && width > 0 && patchHeight > 0 && patchWidth > 0, "PatchTiling: empty size")
        self.height = height
        self.width = width
        self.patchHeight = patchHeight
        self.patchWidth = patchWidth
    }

    public var rows: Int { (height + patchHeight - 1) / patchHeight }
    public var columns: Int { (width + patchWidth - 1) / patchWidth }
    public var count: Int { rows * columns }

    /// Top-left corner of patch k (row-major order).
    public func origin(_ k: Int) -> (y: Int, x: Int) {
        ((k / columns) * patchHeight, (k % columns) * patchWidth)
    }

    /// The real (unpadded) extent of patch k.
    public func realSize(_ k: Int) -> (height: Int, width: Int) {
        let (y, x) = origin(k)
        return (Swift.min(patchHeight, height - y), Swift.min(patchWidth, width - x))
    }

    /// Writes patch k of an HWC plane `image` (`channels` interleaved) into `out` at `offset`,
    /// as patchHeight × patchWidth × channels Floats, edge-replicating past the image.
    public func extract(_ k: Int, from image: [Double], channels: Int, into out: inout [Float], at offset: Int) {
        let (y0, x0) = origin(k)
        var o = offset
        for py in 0..<patchHeight {
            let sy = Swift.min(y0 + py, height - 1)
            for px in 0..<patchWidth {
                let s = (sy * width + Swift.min(x0 + px, width - 1)) * channels
                for c in 0..<channels {
                    out[o] = Float(image[s + c])
                    o += 1
                }
            }
        }
    }

    /// The values of patch k's real positions (HWC, `channels` interleaved) from a whole HWC plane.
    public func real(_ k: Int, of image: [Double], channels: Int) -> [Double] {
        let (y0, x0) = origin(k), (h, w) = realSize(k)
        var out: [Double] = []
        out.reserveCapacity(h * w * channels)
        for y in 0..<h {
            let s = ((y0 + y) * width + x0) * channels
            out += image[s..<(s + w * channels)]
        }
        return out
    }
}

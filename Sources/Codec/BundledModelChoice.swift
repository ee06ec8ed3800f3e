import Diffusion
import ImageIO

/// Which bundled model codes a set of images when the user names none (`--model` overrides).
///
/// RGB goes to a photo model: the patch model (photo32) codes most inputs, since bits-back across its patches
/// costs about its bound once the first few patches (coded directly, ~2–3 of them) have paid the chain's start; an
/// input of so few patches that those direct ones are most of it goes to the whole-image model (photo) instead,
/// which codes a lone image directly against a lower bound (docs/BENCHMARKS.md, "Which photo model": on center crops
/// of the five dev photos, 48×48 and 64×64 (4 patches) cost 2.5 % and 2.1 % less with the whole-image model, and a
/// 96×96 crop (9 patches) more). Gray is two kinds of content: Fashion-MNIST-like items (an object on a black
/// ground, 28×28) for the clothing model, and everything else — gray photos — for the gray photo model. The
/// clothing model on a photo is the worst choice there is (it has never seen one), so the clothing look is
/// asked of the content, not assumed: every image 28×28 and, over the input, at least half of the two-pixel
/// border ring at most level 8 (99.7 % of Fashion-MNIST's 70,000 images have that ring; photo crops almost never).
public enum BundledModelChoice: String, CaseIterable, Sendable {
    case clothing = "fmnist28"
    case grayPhoto = "gray32"
    case photo = "photo32"
    case wholePhoto = "photo"

    /// The bundled directory name.
    public var name: String { rawValue }

    /// The side of the clothing model's images, and the ring test's thresholds.
    static let clothingSide = 28
    static let ringWidth = 2
    static let darkLevel: UInt8 = 8
    static let darkRingShare = 0.5

    /// The patch side of the patch photo model, and the most patches (over the whole input) that the whole-image
    /// model takes instead.
    static let photoPatchSide = 32
    static let wholeImagePatchLimit = 4

    /// The choice for `images` (all of one channel count, as an input is), and why, in a phrase for stderr.
    public static func choose(for images: [Image]) -> (choice: BundledModelChoice, reason: String) {
        guard let first = images.first, first.channels == 1 else {
            let patches = images.reduce(0) {
                $0 + PatchTiling(height: $1.height, width: $1.width, patchHeight: photoPatchSide, patchWidth: photoPatchSide).count
            }
            if patches <= wholeImagePatchLimit {
                return (.wholePhoto, "small RGB input: \(patches) patch\(patches == 1 ? "" : "es") of \(photoPatchSide)×\(photoPatchSide) in all, too few to gain from bits-back")
            }
            return (.photo, "RGB images")
        }
        guard images.allSatisfy({ $0.width == clothingSide && $0.height == clothingSide }) else {
            return (.grayPhoto, "gray images, not 28×28 Fashion-MNIST items")
        }
        var dark = 0, ring = 0
        for image in images {
            for y in 0..<image.height {
                for x in 0..<image.width where isOnRing(x: x, y: y, side: clothingSide) {
                    ring += 1
                    if image.pixels[y * image.width + x] <= darkLevel { dark += 1 }
                }
            }
        }
        if Double(dark) >= darkRingShare * Double(ring) {
            return (.clothing, "gray 28×28 items on a black ground (Fashion-MNIST-like)")
        }
        return (.grayPhoto, "gray 28×28 images without the black ground of Fashion-MNIST items")
    }

    static func isOnRing(x: Int, y: Int, side: Int) -> Bool {
        x < ringWidth || y < ringWidth || x >= side - ringWidth || y >= side - ringWidth
    }
}

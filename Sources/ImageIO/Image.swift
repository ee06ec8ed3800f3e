/// An 8-bit image: rows top to bottom, pixels left to right, channels interleaved (HWC).
///
/// The initializer checks that the dimensions and the pixel count agree, so every `Image`
/// in circulation is consistent and consumers never need to re-check.
public struct Image: Equatable, Hashable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// `width * height * channels` samples.
    public let pixels: [UInt8]
    /// The opacity plane (`width * height` samples, 255 = opaque) of an image read with one, kept
    /// apart from `pixels` because the model codes only colour; nil when the source had none.
    public let alpha: [UInt8]?

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], alpha: [UInt8]? = nil) throws(ImageIOError) {
        guard width >= 1, height >= 1 else {
            throw .invalidImage(detail: "size \(width)×\(height); both sides must be at least 1")
        }
        guard channels == 1 || channels == 3 else {
            throw .invalidImage(detail: "\(channels) channels; only 1 (gray) or 3 (RGB) are supported")
        }
        guard let count = checkedProduct([width, height, channels]), count == pixels.count else {
            throw .invalidImage(detail: "\(width)×\(height)×\(channels) needs "
                + "\(checkedProduct([width, height, channels]).map(String.init) ?? "too many") samples, "
                + "got \(pixels.count)")
        }
        if let alpha, alpha.count != width * height {
            throw .invalidImage(detail: "an alpha plane of \(alpha.count) samples for \(width)×\(height) pixels")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.alpha = alpha
    }

    /// The same colour with `alpha` as its opacity plane (nil: none).
    public func withAlpha(_ alpha: [UInt8]?) throws(ImageIOError) -> Image {
        try Image(width: width, height: height, channels: channels, pixels: pixels, alpha: alpha)
    }
}

/// An image together with the name it had in its source (file name, or `file[index]`).
public struct NamedImage: Equatable, Hashable, Sendable {
    public var name: String
    public var image: Image

    public init(name: String, image: Image) {
        self.name = name
        self.image = image
    }
}

/// Product of non-negative sizes, or nil on overflow.
///
/// Release builds use -Ounchecked, where `*` no longer traps, so any size that comes from
/// a file must be multiplied through here before it is trusted.
func checkedProduct(_ factors: [Int]) -> Int? {
    var product = 1
    for factor in factors {
        guard factor >= 0 else { return nil }
        let (result, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        product = result
    }
    return product
}

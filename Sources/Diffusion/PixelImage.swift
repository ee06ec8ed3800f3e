/// An 8-bit image as the diffusion sees it: HWC levels 0...255. Kept free of ImageIO so that
/// this module depends only on the network; the CLI converts.
public struct PixelImage: Equatable, Sendable {
    public var name: String
    public let height: Int
    public let width: Int
    public let channels: Int
    public let levels: [UInt8]

    public init(name: String, height: Int, width: Int, channels: Int, levels: [UInt8]) {
        precondition(height > 0 && width > 0 && channels > 0 && levels.count == height * width * channels,
                     "PixelImage: size and level count disagree")
        self.name = name
        self.height = height
        self.width = width
        self.channels = channels
        self.levels = levels
    }

    /// D, the number of sub-pixels: rates are bits / D.
    public var dimensions: Int { levels.count }

    /// x_0 = 2v/255 - 1 for every sub-pixel.
    public var modelValues: [Double] { levels.map { DiscretizedDecoder.value(Int($0)) } }
}

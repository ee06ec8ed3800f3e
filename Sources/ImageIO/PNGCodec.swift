import CPNG

/// PNG reading and writing through libpng's simplified API.
///
/// The simplified API is used because it reports errors through `png_image.message`:
/// libpng's classic API reports them by `longjmp`, which Swift code cannot catch.
///
/// Input policy — what loads, and as what. The rule is that an image is accepted only when
/// its 8-bit samples can be reproduced exactly; nothing is converted in a way that changes
/// or drops information.
/// - 8-bit gray → gray, 8-bit RGB → RGB, sample values exactly as stored.
/// - 1-, 2- and 4-bit gray → 8-bit gray, each value scaled to the full 0...255 range
///   (0/255 for 1 bit, ×85 for 2 bits, ×17 for 4 bits); the scaling is exactly invertible.
/// - Palette images → RGB with the palette's colours, or gray when every pixel's colour has
///   R = G = B (palette expansion is a lookup, so this is exact). Unused palette entries do
///   not matter.
/// - Gray+alpha, RGBA, and gray/RGB/palette images with a tRNS chunk: the colour as gray/RGB
///   and the opacity as the image's `alpha` plane, kept even when it is 255 everywhere, so the
///   decode gives back the RGBA (or gray+alpha) image that went in.
/// - 16 bits per sample: refused (this codec codes 8-bit samples; reducing would lose the
///   low bits).
/// - Colour-space chunks (gAMA, sRGB, iCCP, cHRM) are ignored, never applied: the stored
///   sample values are what is coded. Interlaced (Adam7) images are read normally.
/// - Any corruption (bad signature, CRC mismatch in any chunk, truncation, bad compressed
///   data) is an error. Images over `maximumPixels` pixels are refused before decoding.
///
/// `encode` writes a non-interlaced 8-bit gray or RGB PNG, gray+alpha or RGBA when the image has
/// an alpha plane.
public enum PNGCodec {
    /// Upper bound on width × height, so that a tiny file claiming a huge size cannot make
    /// the reader allocate gigabytes.
    public static let maximumPixels = 1 << 26

    public static func read(path: String) throws(ImageIOError) -> Image {
        try decode(FileSystem.readAll(path), name: path)
    }

    public static func write(_ image: Image, to path: String) throws(ImageIOError) {
        try AtomicFile.write(encode(image), to: path)
    }

    /// `name` is only used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(ImageIOError) -> Image {
        let stream = try PNGChunks.parse(bytes, name: name)
        let header = stream.header
        guard header.bitDepth <= 8 else {
            throw .unsupported(name: name, detail: "it has 16 bits per sample, and only 8-bit "
                + "images can be coded without loss (reducing it would drop the low 8 bits); "
                + "convert it to 8 bits per sample first")
        }
        guard let pixelCount = checkedProduct([header.width, header.height]),
              pixelCount <= maximumPixels else {
            throw .unsupported(name: name, detail: "it is \(header.width)×\(header.height) pixels, "
                + "more than the \(maximumPixels) pixels this program reads")
        }

        let (samples, format) = try decodeWithLibpng(stream, name: name)
        let hasAlpha = format & PNG_FORMAT_FLAG_ALPHA != 0
        let colorChannels = format & PNG_FORMAT_FLAG_COLOR != 0 ? 3 : 1
        var pixels = samples
        var alpha: [UInt8]?
        if hasAlpha {
            (pixels, alpha) = splitAlpha(samples, colorChannels: colorChannels)
        }
        var channels = colorChannels
        if header.isPalette, let gray = grayIfNeutral(pixels) {
            pixels = gray
            channels = 1
        }
        return try Image(width: header.width, height: header.height, channels: channels, pixels: pixels, alpha: alpha)
    }

    public static func encode(_ image: Image) throws(ImageIOError) -> [UInt8] {
        guard image.width <= 0x7FFF_FFFF, image.height <= 0x7FFF_FFFF else {
            throw .invalidImage(detail: "\(image.width)×\(image.height) is too large for PNG")
        }
        let control = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        defer { control.deallocate() }
        // Compressed data can exceed the raw size slightly (incompressible rows); a second
        // attempt with the size libpng asks for covers any shortfall.
        let samples = image.alpha.map { interleave(image.pixels, alpha: $0, colorChannels: image.channels) } ?? image.pixels
        var capacity = samples.count + samples.count / 8 + image.height + 1024
        for _ in 0..<2 {
            control.initialize(to: png_image())
            control.pointee.version = UInt32(PNG_IMAGE_VERSION)
            control.pointee.width = UInt32(image.width)
            control.pointee.height = UInt32(image.height)
            var format = image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
            if image.alpha != nil { format |= UInt32(PNG_FORMAT_FLAG_ALPHA) }
            control.pointee.format = format
            var output = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let ok = output.withUnsafeMutableBytes { out in
                samples.withUnsafeBytes { pixels in
                    png_image_write_to_memory(control, out.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
                }
            }
            let message = messageText(control)
            png_image_free(control)
            if ok != 0 {
                output.removeSubrange(Int(size)...)
                return output
            }
            guard Int(size) > capacity else {
                throw .invalidImage(detail: "libpng could not encode it (\(message))")
            }
            capacity = Int(size)
        }
        throw .invalidImage(detail: "libpng could not encode it (its output size kept growing)")
    }

    /// Runs libpng on the checked stream, asking for exactly the layout the file already has
    /// (minus palette indirection), so the simplified API has no conversion to perform.
    /// Returns the samples and the `png_image` format they are in.
    private static func decodeWithLibpng(_ stream: PNGStream, name: String)
        throws(ImageIOError) -> ([UInt8], UInt32)
    {
        func fail(_ detail: String) -> ImageIOError {
            .malformed(name: name, format: "PNG", detail: detail)
        }
        let header = stream.header
        // libpng's error handler keeps a pointer to this struct between begin_read and
        // finish_read, so it needs an address that stays put.
        let control = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        control.initialize(to: png_image())
        control.pointee.version = UInt32(PNG_IMAGE_VERSION)
        defer {
            png_image_free(control)
            control.deallocate()
        }
        let result = stream.bytes.withUnsafeBytes { input -> Result<([UInt8], UInt32), ImageIOError> in
            guard png_image_begin_read_from_memory(control, input.baseAddress, input.count) != 0 else {
                return .failure(fail(messageText(control)))
            }
            let fileFormat = control.pointee.format
            let expectColor = header.hasColor
            // Our own IHDR parse and libpng's must agree, or the checks above proved nothing.
            guard Int(control.pointee.width) == header.width, Int(control.pointee.height) == header.height,
                  fileFormat & PNG_FORMAT_FLAG_LINEAR == 0,
                  (fileFormat & PNG_FORMAT_FLAG_COLOR != 0) == expectColor,
                  (fileFormat & PNG_FORMAT_FLAG_COLORMAP != 0) == header.isPalette else {
                return .failure(fail("libpng reports a different layout than the IHDR chunk"))
            }
            let format = fileFormat & (PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
            control.pointee.format = format
            let channels = (format & PNG_FORMAT_FLAG_COLOR != 0 ? 3 : 1)
                + (format & PNG_FORMAT_FLAG_ALPHA != 0 ? 1 : 0)
            // Left uninitialised: a damaged file that claims a large size then fails after a
            // few rows touches only those rows' pages instead of paying for a full clear.
            let size = header.width * header.height * channels
            var ok: Int32 = 0
            let samples = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                ok = png_image_finish_read(control, nil, buffer.baseAddress, 0, nil)
                initialized = ok != 0 ? size : 0
            }
            guard ok != 0 else { return .failure(fail(messageText(control))) }
            return .success((samples, format))
        }
        return try result.get()
    }

    /// Interleaved colour+alpha samples split into the colour samples and the alpha plane.
    private static func splitAlpha(_ samples: [UInt8], colorChannels: Int) -> (color: [UInt8], alpha: [UInt8]) {
        let stride = colorChannels + 1
        let pixelCount = samples.count / stride
        var color = [UInt8](repeating: 0, count: pixelCount * colorChannels)
        var alpha = [UInt8](repeating: 0, count: pixelCount)
        samples.withUnsafeBufferPointer { source in
            color.withUnsafeMutableBufferPointer { target in
                alpha.withUnsafeMutableBufferPointer { opacity in
                    for pixel in 0..<pixelCount {
                        let from = pixel * stride
                        let to = pixel * colorChannels
                        for channel in 0..<colorChannels { target[to + channel] = source[from + channel] }
                        opacity[pixel] = source[from + colorChannels]
                    }
                }
            }
        }
        return (color, alpha)
    }

    /// The inverse of `splitAlpha`: the layout libpng writes for gray+alpha and RGBA.
    private static func interleave(_ color: [UInt8], alpha: [UInt8], colorChannels: Int) -> [UInt8] {
        let stride = colorChannels + 1
        var samples = [UInt8](repeating: 0, count: alpha.count * stride)
        for pixel in alpha.indices {
            for channel in 0..<colorChannels { samples[pixel * stride + channel] = color[pixel * colorChannels + channel] }
            samples[pixel * stride + colorChannels] = alpha[pixel]
        }
        return samples
    }

    /// RGB samples collapsed to one channel when R = G = B at every pixel, else nil.
    private static func grayIfNeutral(_ rgb: [UInt8]) -> [UInt8]? {
        let pixelCount = rgb.count / 3
        var gray = [UInt8](repeating: 0, count: pixelCount)
        let neutral = rgb.withUnsafeBufferPointer { source in
            gray.withUnsafeMutableBufferPointer { target -> Bool in
                for pixel in 0..<pixelCount {
                    let red = source[3 * pixel]
                    guard source[3 * pixel + 1] == red, source[3 * pixel + 2] == red else { return false }
                    target[pixel] = red
                }
                return true
            }
        }
        return neutral ? gray : nil
    }

    private static func messageText(_ control: UnsafeMutablePointer<png_image>) -> String {
        let text = withUnsafeBytes(of: control.pointee.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "libpng reported an unspecified error" : "libpng: " + text
    }
}

/// The pixel block of a data set file (IDX, .npy): `count` images of one size stored one after
/// another. Its size is computed with overflow checks and compared with the bytes the file
/// actually has before any image is allocated, so a header cannot make the reader allocate
/// more than the file holds.
enum DataSetBlock {
    /// `shape` describes the promise in messages ("(N, H, W)", "N images of H×W").
    static func images(_ bytes: [UInt8], offset: Int, count: Int, height: Int, width: Int, channels: Int,
                       shape: String, name: String, fail: (String) -> ImageIOError) throws(ImageIOError) -> [Image] {
        guard count > 0 else { throw .empty(path: name, detail: "holds no images (\(shape))") }
        guard height > 0, width > 0 else { throw fail("its images are \(height)×\(width) pixels") }
        guard let pixelCount = checkedProduct([height, width]), pixelCount <= PNGCodec.maximumPixels,
              let imageSize = checkedProduct([pixelCount, channels]),
              let dataSize = checkedProduct([count, imageSize]) else {
            throw .unsupported(name: name, detail: "\(shape) is larger than this program handles")
        }
        let available = bytes.count - offset
        guard available == dataSize else {
            let problem = available < dataSize ? "is truncated" : "has \(available - dataSize) extra bytes"
            throw fail("it \(problem): \(shape) needs \(dataSize) bytes of pixels but \(available) follow the header")
        }
        var images: [Image] = []
        images.reserveCapacity(count)
        for index in 0..<count {
            let start = offset + index * imageSize
            images.append(try Image(width: width, height: height, channels: channels,
                                    pixels: Array(bytes[start..<(start + imageSize)])))
        }
        return images
    }
}

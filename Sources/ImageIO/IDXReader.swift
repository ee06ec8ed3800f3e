/// Reads IDX image files, the format of MNIST and Fashion-MNIST (`*-idx3-ubyte`, usually
/// gzipped): magic 0x00000803 (unsigned bytes, 3 dimensions), then N, H, W as big-endian
/// 32-bit counts, then N·H·W pixels. The images are gray.
public enum IDXReader {
    /// Reads plain or gzipped IDX; which it was is reported so it can be written back alike.
    public static func read(path: String) throws(ImageIOError) -> (images: [Image], gzipped: Bool) {
        try decode(FileSystem.readAll(path), name: path)
    }

    /// gzip is recognised by its signature, not by the name. `name` is used in messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(ImageIOError)
        -> (images: [Image], gzipped: Bool)
    {
        if Gzip.hasMagic(bytes) {
            // The header says how large the data is: inflate no further than that (and one byte to
            // tell extra data), so a small file cannot claim gigabytes of memory first.
            let head = try Gzip.decompress(bytes, name: name, prefix: 16)
            let expected = head.count >= 16 ? expectedSize(head) : nil
            let maximum = min(FileSystem.maximumInputBytes, expected.map { $0 + 1 } ?? FileSystem.maximumInputBytes)
            return (try parse(Gzip.decompress(bytes, name: name, maximum: maximum), name: name), true)
        }
        return (try parse(bytes, name: name), false)
    }

    /// The file size an IDX image header promises (nil when the header is not one, or overflows).
    static func expectedSize(_ head: [UInt8]) -> Int? {
        guard head.count >= 16, head[0] == 0, head[1] == 0, head[2] == 0x08, head[3] == 3 else { return nil }
        let dims = [4, 8, 12].map { Int(readBigEndian32(head, at: $0)) }
        guard let data = checkedProduct(dims) else { return nil }
        let (total, overflow) = data.addingReportingOverflow(16)
        return overflow ? nil : total
    }

    private static func parse(_ bytes: [UInt8], name: String) throws(ImageIOError) -> [Image] {
        func fail(_ detail: String) -> ImageIOError {
            .malformed(name: name, format: "IDX image", detail: detail)
        }
        guard bytes.count >= 4 else { throw fail("it is only \(bytes.count) bytes long") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw fail("it does not start with an IDX magic number (expected 00 00 08 03)")
        }
        let typeNames: [UInt8: String] = [0x09: "signed byte", 0x0B: "16-bit integer",
                                          0x0C: "32-bit integer", 0x0D: "float", 0x0E: "double"]
        guard bytes[2] == 0x08 else {
            let type = typeNames[bytes[2]].map { "\($0) (0x\(String(bytes[2], radix: 16)))" }
                ?? "unknown (0x\(String(bytes[2], radix: 16)))"
            throw .unsupported(name: name, detail: "its samples are \(type); only unsigned-byte "
                + "(0x08) IDX files hold 8-bit images")
        }
        guard bytes[3] == 3 else {
            let hint = bytes[3] == 1 ? " (this looks like a label file, idx1, not an image file)" : ""
            throw .unsupported(name: name, detail: "it has \(bytes[3]) dimensions; an image file "
                + "(idx3) has 3: count, height, width\(hint)")
        }
        guard bytes.count >= 16 else {
            throw fail("it is truncated inside the header (\(bytes.count) of 16 bytes)")
        }
        let count = Int(readBigEndian32(bytes, at: 4))
        let height = Int(readBigEndian32(bytes, at: 8))
        let width = Int(readBigEndian32(bytes, at: 12))
        return try DataSetBlock.images(bytes, offset: 16, count: count, height: height, width: width, channels: 1,
                                       shape: "its header promises \(count) images of \(height)×\(width)", name: name,
                                       fail: fail)
    }
}

/// Writes IDX image files that `IDXReader` (and the usual MNIST loaders) read back.
public enum IDXWriter {
    /// All images must be gray and of one size, since IDX stores a single H×W for the file.
    public static func write(images: [Image], to path: String, gzip: Bool) throws(ImageIOError) {
        let plain = try encode(images, path: path)
        try AtomicFile.write(gzip ? Gzip.compress(plain, path: path) : plain, to: path)
    }

    /// The uncompressed IDX bytes. `path` is only used in error messages.
    public static func encode(_ images: [Image], path: String = "IDX data") throws(ImageIOError) -> [UInt8] {
        guard let first = images.first else {
            throw .cannotStore(path: path, detail: "there are no images, and IDX cannot record an empty set's size")
        }
        if let index = images.firstIndex(where: { $0.channels != 1 }) {
            throw .cannotStore(path: path, detail: "image \(index) has \(images[index].channels) "
                + "channels, but IDX files hold gray images only")
        }
        if let index = images.firstIndex(where: { $0.width != first.width || $0.height != first.height }) {
            throw .cannotStore(path: path, detail: "image \(index) is \(images[index].width)×"
                + "\(images[index].height) but image 0 is \(first.width)×\(first.height); "
                + "IDX needs one size for all")
        }
        guard images.count <= Int(UInt32.max), first.width <= Int(UInt32.max),
              first.height <= Int(UInt32.max) else {
            throw .cannotStore(path: path, detail: "a dimension does not fit IDX's 32-bit counts")
        }
        var bytes: [UInt8] = [0, 0, 0x08, 3]
        bytes.reserveCapacity(16 + images.count * first.pixels.count)
        appendBigEndian32(UInt32(images.count), to: &bytes)
        appendBigEndian32(UInt32(first.height), to: &bytes)
        appendBigEndian32(UInt32(first.width), to: &bytes)
        for image in images { bytes.append(contentsOf: image.pixels) }
        return bytes
    }
}

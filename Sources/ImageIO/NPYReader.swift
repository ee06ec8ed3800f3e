/// Reads `.npy` uint8 image stacks of shape [N, H, W] (gray) or [N, H, W, C], C ∈ {1, 3},
/// in C (row-major) order; file format versions 1.0, 2.0 and 3.0.
public enum NPYReader {
    /// Element types that are one unsigned byte; byte order is meaningless for them.
    static let byteTypes: Set<String> = ["|u1", "<u1", ">u1", "=u1"]

    /// `channelAxis` tells whether the array was 4-D, so it can be written back alike.
    public static func read(path: String) throws(ImageIOError) -> (images: [Image], channelAxis: Bool) {
        try decode(FileSystem.readAll(path), name: path)
    }

    /// `name` is only used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(ImageIOError)
        -> (images: [Image], channelAxis: Bool)
    {
        func fail(_ detail: String) -> ImageIOError {
            .malformed(name: name, format: ".npy", detail: detail)
        }
        let (header, dataOffset) = try NPYHeader.parse(bytes, fail: fail)
        guard byteTypes.contains(header.descr) else {
            throw .unsupported(name: name, detail: "its elements have type '\(header.descr)'; only "
                + "uint8 ('|u1') arrays hold 8-bit images")
        }
        guard !header.fortranOrder else {
            throw .unsupported(name: name, detail: "it is stored in Fortran (column-major) order; "
                + "save it in C order, e.g. numpy.save(path, numpy.ascontiguousarray(a))")
        }
        let shape = header.shape
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        guard shape.count == 3 || (shape.count == 4 && (shape[3] == 1 || shape[3] == 3)) else {
            throw .unsupported(name: name, detail: "its shape is \(shapeText); expected (N, H, W) "
                + "or (N, H, W, C) with C = 1 or 3")
        }
        let (count, height, width) = (shape[0], shape[1], shape[2])
        let channels = shape.count == 4 ? shape[3] : 1
        let images = try DataSetBlock.images(bytes, offset: dataOffset, count: count, height: height, width: width,
                                             channels: channels, shape: "its shape \(shapeText)", name: name, fail: fail)
        return (images, shape.count == 4)
    }
}

/// Writes `.npy` files that `NPYReader` and `numpy.load` read back.
public enum NPYWriter {
    /// All images must share size and channel count. Gray images are written as [N, H, W]
    /// unless `channelAxis` asks for [N, H, W, 1]; RGB images are always [N, H, W, 3].
    public static func write(images: [Image], to path: String, channelAxis: Bool = false) throws(ImageIOError) {
        try AtomicFile.write(encode(images, channelAxis: channelAxis, path: path), to: path)
    }

    /// `path` is only used in error messages.
    public static func encode(_ images: [Image], channelAxis: Bool = false,
                              path: String = ".npy data") throws(ImageIOError) -> [UInt8] {
        guard let first = images.first else {
            throw .cannotStore(path: path, detail: "there are no images, so the array's shape is unknown")
        }
        if let index = images.firstIndex(where: {
            $0.width != first.width || $0.height != first.height || $0.channels != first.channels
        }) {
            let other = images[index]
            throw .cannotStore(path: path, detail: "image \(index) is \(other.width)×\(other.height)"
                + "×\(other.channels) but image 0 is \(first.width)×\(first.height)×\(first.channels); "
                + "an array needs one shape for all")
        }
        var shape = [images.count, first.height, first.width]
        if channelAxis || first.channels != 1 { shape.append(first.channels) }
        var bytes = NPYHeader(descr: "|u1", fortranOrder: false, shape: shape).encoded()
        bytes.reserveCapacity(bytes.count + images.count * first.pixels.count)
        for image in images { bytes.append(contentsOf: image.pixels) }
        return bytes
    }
}

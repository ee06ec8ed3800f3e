/// Writes images back in one of the forms `ImageSource` reads.
public enum ImageSink {
    /// - `.png`: exactly one image, written to `path`.
    /// - `.folder`: `path` is created if needed and each image is written to
    ///   `path/<name>` (".png" appended when the name lacks it). Names come from archives,
    ///   which may be hostile, so a name that is not a plain file name (contains "/", is "."
    ///   or "..", starts with ".", or is empty) is refused rather than allowed to escape the
    ///   folder; duplicate names are refused rather than silently overwritten.
    /// - `.idx`, `.npy`: one data set file; all images must share a shape (and be gray for IDX).
    /// Every file is written atomically, but a folder as a whole is not.
    public static func write(_ items: [NamedImage], as kind: SourceKind, to path: String) throws(ImageIOError) {
        let images = items.map(\.image)
        switch kind {
        case .png:
            guard images.count == 1 else {
                throw .cannotStore(path: path, detail: "a PNG file holds one image, not \(images.count)")
            }
            try PNGCodec.write(images[0], to: path)
        case .folder:
            try writeFolder(items, to: path)
        case let .idx(gzipped):
            try IDXWriter.write(images: images, to: path, gzip: gzipped)
        case let .npy(channelAxis):
            try NPYWriter.write(images: images, to: path, channelAxis: channelAxis)
        }
    }

    private static func writeFolder(_ items: [NamedImage], to path: String) throws(ImageIOError) {
        var fileNames: [String] = []
        var seen: Set<String> = []
        for item in items {
            let name = item.name
            guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.contains("\0") else {
                throw .cannotStore(path: path, detail: "the image name '\(name)' is not a plain file name")
            }
            let fileName = name.lowercased().hasSuffix(".png") ? name : name + ".png"
            guard seen.insert(fileName).inserted else {
                throw .cannotStore(path: path, detail: "two images would both be written to '\(fileName)'")
            }
            fileNames.append(fileName)
        }
        if !FileSystem.isDirectory(path) {
            try FileSystem.makeDirectory(path)
        }
        for (item, fileName) in zip(items, fileNames) {
            try PNGCodec.write(item.image, to: FileSystem.join(path, fileName))
        }
    }
}

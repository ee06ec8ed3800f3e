import Foundation

/// The form a set of images came in, kept so that results can be written back in that form.
public enum SourceKind: Equatable, Hashable, Sendable {
    /// A single PNG file.
    case png
    /// A folder of PNG files.
    case folder
    /// An IDX image file (`*-idx3-ubyte`), gzipped or not.
    case idx(gzipped: Bool)
    /// A uint8 `.npy` array; `channelAxis` is true for [N, H, W, C], false for [N, H, W].
    case npy(channelAxis: Bool)
}

/// Loads images from whatever a user points at.
public enum ImageSource {
    /// Accepts a PNG file, a folder of PNG files, an IDX image file (optionally gzipped) or
    /// a uint8 `.npy` array; the format of a file is recognised from its content, the name
    /// only helps word the error when the content matches nothing.
    ///
    /// Item names: the file name for PNG files (`cat.png`), and `base[i]` for the i-th image
    /// of a data set, where `base` is the file name without `.gz` (`t10k-images-idx3-ubyte[17]`).
    ///
    /// Folders: files whose names end in `.png` (any case) are loaded in byte-wise order of
    /// their names, so the order does not depend on locale or file system. Other files,
    /// sub-folders and hidden files (leading `.`) are ignored; sub-folders are not descended
    /// into. A folder without PNG files is an error. See `PNGCodec` for which PNGs load.
    public static func load(path: String) throws(ImageIOError) -> (kind: SourceKind, items: [NamedImage]) {
        if FileSystem.isDirectory(path) {
            return (.folder, try loadFolder(path))
        }
        let bytes = try FileSystem.readAll(path)
        let fileName = FileSystem.baseName(path)
        let lowered = fileName.lowercased()

        let kind: FileKind
        if PNGChunks.hasSignature(bytes) {
            kind = .png
        } else if bytes.starts(with: NPYHeader.magic) {
            kind = .npy
        } else if Gzip.hasMagic(bytes) || bytes.starts(with: [0, 0]) {
            kind = .idx
        } else if lowered.hasSuffix(".png") {
            kind = .png  // so that the user hears why it is not a valid PNG
        } else if lowered.hasSuffix(".npy") {
            kind = .npy
        } else if lowered.contains("idx") || lowered.hasSuffix(".gz") {
            kind = .idx
        } else {
            throw .unrecognized(path: path)
        }

        switch kind {
        case .png:
            return (.png, [NamedImage(name: fileName, image: try PNGCodec.decode(bytes, name: path))])
        case .npy:
            let (images, channelAxis) = try NPYReader.decode(bytes, name: path)
            return (.npy(channelAxis: channelAxis), name(images, base: fileName))
        case .idx:
            let (images, gzipped) = try IDXReader.decode(bytes, name: path)
            let base = lowered.hasSuffix(".gz") ? String(fileName.dropLast(3)) : fileName
            return (.idx(gzipped: gzipped), name(images, base: base))
        }
    }

    private enum FileKind { case png, npy, idx }

    private static func name(_ images: [Image], base: String) -> [NamedImage] {
        images.enumerated().map { NamedImage(name: "\(base)[\($0.offset)]", image: $0.element) }
    }

    private static func loadFolder(_ path: String) throws(ImageIOError) -> [NamedImage] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw .cannotRead(path: path, reason: "the folder cannot be listed (\(error.localizedDescription))")
        }
        let names = entries
            .filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".png") }
            .filter { FileSystem.isRegularFile(FileSystem.join(path, $0)) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !names.isEmpty else { throw .empty(path: path, detail: "contains no .png files") }
        var items: [NamedImage] = []
        items.reserveCapacity(names.count)
        for name in names {
            items.append(NamedImage(name: name, image: try PNGCodec.read(path: FileSystem.join(path, name))))
        }
        return items
    }
}

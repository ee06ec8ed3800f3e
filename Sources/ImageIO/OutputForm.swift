/// The form decoded images are written in, from the output's name (what a user expects) and,
/// when the name does not say, the form the file was encoded from. Decided before any work, so
/// a name that cannot hold the images fails at once.
public enum OutputForm {
    /// - `.png`: PNG (one image); `.npy`: a uint8 array; `-idx3-ubyte`, `.idx` (`.gz` for gzip): IDX
    ///   (gray images of one size); a name ending in `/`, an existing folder, or a name without an
    ///   extension when the file came from a folder: a folder of PNGs.
    /// - A name without an extension: the form the file was encoded from.
    /// - Any other extension (`.jpg`, `.webp`, ...) is refused: ddpmc writes no such format.
    /// - `alpha`: the images have alpha planes, which only PNGs (one, or a folder) hold.
    public static func resolve(path: String, stored: SourceKind, images: Int, channels: Int,
                               sameSize: Bool, alpha: Bool = false) throws(ImageIOError) -> SourceKind {
        let lower = path.lowercased()
        let base = FileSystem.baseName(lower)
        let kind: SourceKind
        if path.hasSuffix("/") || FileSystem.isDirectory(path) {
            kind = .folder
        } else if lower.hasSuffix(".png") {
            kind = .png
        } else if lower.hasSuffix(".npy") {
            kind = .npy(channelAxis: channels > 1 || stored == .npy(channelAxis: true))
        } else if lower.hasSuffix("-ubyte") || lower.hasSuffix(".idx") {
            kind = .idx(gzipped: false)
        } else if lower.hasSuffix("-ubyte.gz") || lower.hasSuffix(".idx.gz") {
            kind = .idx(gzipped: true)
        } else if let dot = base.lastIndex(of: "."), dot != base.startIndex {
            throw .cannotStore(path: path, detail: "ddpmc writes PNG (.png), NumPy (.npy), IDX (-idx3-ubyte, .idx, "
                + "optionally .gz) or a folder of PNGs, not '\(base[dot...])'")
        } else {
            kind = stored
        }
        switch kind {
        case .png where images != 1:
            throw .cannotStore(path: path, detail: "a PNG file holds one image, the file has \(images): give a folder "
                + "(a name ending in /), a .npy or an IDX name")
        case .idx where channels != 1:
            throw .cannotStore(path: path, detail: "IDX files hold gray images; these have \(channels) channels")
        case .idx where alpha, .npy where alpha:
            throw .cannotStore(path: path, detail: "the images have an alpha channel, which only PNG keeps here: give a "
                + (images == 1 ? ".png name" : "folder (a name ending in /)"))
        case .idx where !sameSize, .npy where !sameSize:
            throw .cannotStore(path: path, detail: "the images differ in size, so they cannot share one array: give a folder")
        default:
            return kind
        }
    }

    /// Whether a name is one ddpmc writes images to (so `encode -o` refuses it for a .ddpm file).
    public static func isImageName(_ path: String) -> Bool {
        let lower = path.lowercased()
        return [".png", ".jpg", ".jpeg", ".webp", ".jxl", ".avif", ".gif", ".bmp", ".tif", ".tiff", ".npy", ".idx",
                "-ubyte", ".gz"].contains { lower.hasSuffix($0) }
    }
}

/// Everything that can go wrong while reading or writing images and data sets.
///
/// Each case carries the file (or folder) it concerns so that the message a user sees
/// says *which* input is at fault, not just that something failed.
public enum ImageIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file or folder could not be opened, listed or read (missing, permissions, ...).
    case cannotRead(path: String, reason: String)
    /// The destination could not be created, written or renamed into place.
    case cannotWrite(path: String, reason: String)
    /// The bytes claim to be `format` but are damaged or inconsistent.
    case malformed(name: String, format: String, detail: String)
    /// A well-formed file that this codec refuses because coding it would lose information
    /// or because it holds something other than 8-bit images.
    case unsupported(name: String, detail: String)
    /// The path is neither a folder nor a file of any format this module reads.
    case unrecognized(path: String)
    /// A folder or data set that holds no images.
    case empty(path: String, detail: String)
    /// Dimensions, channel count and pixel count of an image do not agree.
    case invalidImage(detail: String)
    /// Images handed to a writer cannot be stored together in the requested form.
    case cannotStore(path: String, detail: String)
    /// Writing `output` would destroy `input`, because they are the same file.
    case sameFile(input: String, output: String)
    /// The destination exists and the caller did not allow replacing it.
    case exists(path: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        case let .malformed(name, format, detail):
            return "'\(name)' is not a valid \(format) file: \(detail)"
        case let .unsupported(name, detail):
            return "'\(name)' cannot be used: \(detail)"
        case let .exists(path):
            return "'\(path)' exists"
        case let .unrecognized(path):
            return "'\(path)' is not a PNG file, a folder of PNG files, an IDX image file "
                + "(*-idx3-ubyte, optionally .gz) or a uint8 .npy array"
        case let .empty(path, detail):
            return "'\(path)' \(detail)"
        case let .invalidImage(detail):
            return "invalid image: \(detail)"
        case let .cannotStore(path, detail):
            return "cannot store images in '\(path)': \(detail)"
        case let .sameFile(input, output):
            return "refusing to write '\(output)': it is the same file as the input '\(input)'"
        }
    }
}

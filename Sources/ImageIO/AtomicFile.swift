#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that are all-or-nothing.
///
/// A crash, a full disk or a kill mid-write must never leave a truncated archive or image
/// where a good one (or nothing) was before: readers of the destination see either the old
/// content or the complete new content.
public enum AtomicFile {
    /// Writes `bytes` to a fresh temporary file next to `path` (same folder, so the final
    /// `rename` stays on one file system and is atomic), flushes it to disk, then renames it
    /// over `path`. On any failure the temporary file is removed and `path` is untouched.
    /// A symbolic link at `path` is replaced by the file, not written through.
    /// Only a regular file (or a link) is ever replaced: a device, a FIFO, a socket or a folder at
    /// `path` is refused, so that `-o /dev/null` as root cannot replace the system's device node.
    public static func write(_ bytes: [UInt8], to path: String) throws(ImageIOError) {
        let base = FileSystem.baseName(path)
        guard !base.isEmpty, base != "/", base != ".", base != "..", !path.hasSuffix("/") else {
            throw .cannotWrite(path: path, reason: "not a file name")
        }
        if let kind = nonRegularKind(path) { throw .cannotWrite(path: path, reason: "it is \(kind), not a regular file") }
        let folder = FileSystem.directoryName(path)
        // Hidden, and short enough to stay under NAME_MAX whatever the destination's length.
        let stem = "." + String(base.prefix(64)) + ".tmp-"

        var generator = SystemRandomNumberGenerator()
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<64 {
            temporary = FileSystem.join(folder, stem + String(generator.next() as UInt64, radix: 36))
            // O_EXCL: never adopt (and later delete) a file someone else created.
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: FileSystem.errorText(errno)) }

        var failure: ImageIOError?
        if let reason = FileSystem.writeAll(bytes, to: fd) {
            failure = .cannotWrite(path: path, reason: reason)
        } else if fsync(fd) != 0 {
            failure = .cannotWrite(path: path, reason: FileSystem.errorText(errno))
        }
        // close can report a deferred write error (e.g. on NFS), so its result matters too.
        if close(fd) != 0, failure == nil {
            failure = .cannotWrite(path: path, reason: FileSystem.errorText(errno))
        }
        // Checked again just before the rename: the path may have changed during the work.
        if failure == nil, let kind = nonRegularKind(path) {
            failure = .cannotWrite(path: path, reason: "it is \(kind), not a regular file")
        }
        if failure == nil, rename(temporary, path) != 0 {
            failure = .cannotWrite(path: path, reason: FileSystem.errorText(errno))
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        // Make the rename itself durable; a failure here cannot un-write the file, so it is
        // not reported.
        let folderFD = open(folder, O_RDONLY | O_CLOEXEC)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }

    /// What stands at `path` when it is neither absent, a regular file nor a symbolic link.
    static func nonRegularKind(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFLNK: return nil
        case S_IFDIR: return "a folder"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// Checks, before any work, that `path` can take an output: its folder exists and is writable,
    /// nothing but a regular file or link stands there, and an existing file is replaced only
    /// when `overwrite` says so.
    /// `folderMayBeMissing`: the folder itself will be created (a folder output); its parent must then be writable.
    public static func checkDestination(_ path: String, overwrite: Bool, folderMayBeMissing: Bool = false) throws(ImageIOError) {
        let base = FileSystem.baseName(path)
        guard !base.isEmpty, base != "/", base != ".", base != "..", !path.hasSuffix("/") else {
            throw .cannotWrite(path: path, reason: "not a file name")
        }
        if let kind = nonRegularKind(path) { throw .cannotWrite(path: path, reason: "it is \(kind), not a regular file") }
        var info = stat()
        if lstat(path, &info) == 0, !overwrite {
            throw .exists(path: path)
        }
        var folder = FileSystem.directoryName(path)
        if folderMayBeMissing, !FileSystem.isDirectory(folder) {
            if let kind = nonRegularKind(folder), kind != "a folder" {
                throw .cannotWrite(path: folder, reason: "it is \(kind), not a folder")
            }
            var folderInfo = stat()
            if lstat(folder, &folderInfo) == 0 {
                throw .cannotWrite(path: folder, reason: "it is a file, not a folder")
            }
            folder = FileSystem.directoryName(folder)
        }
        guard FileSystem.isDirectory(folder) else {
            throw .cannotWrite(path: path, reason: "the folder '\(folder)' does not exist")
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw .cannotWrite(path: path, reason: "the folder '\(folder)' is not writable")
        }
    }

    /// Throws when `output` names the same file as `input` through any spelling: relative
    /// versus absolute paths, `..`, symbolic links or hard links. Comparing device and inode
    /// numbers catches all of these, where comparing strings would not. A missing output
    /// (or input) cannot be the same file, so that is not an error here.
    public static func refuseOverwrite(input: String, output: String) throws(ImageIOError) {
        var inputInfo = stat()
        var outputInfo = stat()
        guard stat(input, &inputInfo) == 0, stat(output, &outputInfo) == 0 else { return }
        if inputInfo.st_dev == outputInfo.st_dev && inputInfo.st_ino == outputInfo.st_ino {
            throw .sameFile(input: input, output: output)
        }
    }
}

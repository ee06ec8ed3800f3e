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
    public static func write(_ bytes: [UInt8], to path: String) throws(ImageIOError) {
        let base = FileSystem.baseName(path)
        guard !base.isEmpty, base != "/", base != ".", base != "..", !path.hasSuffix("/") else {
            throw .cannotWrite(path: path, reason: "not a file name")
        }
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

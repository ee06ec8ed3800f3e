#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX wrappers: whole-file reads, file kinds and path splitting, with errors that
/// carry the path and the system's reason.
enum FileSystem {
    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The largest input file read (and the largest a gzip member may inflate to): 2 GiB, far
    /// above any data set this codec can code in reasonable time.
    static let maximumInputBytes = 1 << 31

    /// The whole of a regular file; devices, FIFOs and sockets (`/dev/zero`) are refused, and so
    /// is a file larger than `maximumInputBytes`.
    static func readAll(_ path: String) throws(ImageIOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: errorText(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: errorText(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .cannotRead(path: path, reason: "it is a folder, not a file")
        default: throw .cannotRead(path: path, reason: "it is not a regular file (a device, FIFO or socket)")
        }
        guard info.st_size <= maximumInputBytes else {
            throw .cannotRead(path: path, reason: "it is larger than \(maximumInputBytes >> 30) GiB")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, Int(info.st_size)))
        // The size from fstat is only a hint: the file may be a pipe or change while we read.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, reason: errorText(errno))
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<got])
            if bytes.count > maximumInputBytes {
                throw .cannotRead(path: path, reason: "it is larger than \(maximumInputBytes >> 30) GiB")
            }
        }
    }

    /// Writes every byte, retrying short and interrupted writes; nil on success, otherwise
    /// the system's reason.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errorText(errno)
                }
                offset += written
            }
            return nil
        }
    }

    static func makeDirectory(_ path: String) throws(ImageIOError) {
        if mkdir(path, 0o777) != 0 && !(errno == EEXIST && isDirectory(path)) {
            throw .cannotWrite(path: path, reason: errorText(errno))
        }
    }

    /// Last path component, ignoring trailing slashes ("a/b/" -> "b").
    static func baseName(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if let slash = trimmed.lastIndex(of: "/"), trimmed != "/" {
            return String(trimmed[trimmed.index(after: slash)...])
        }
        return String(trimmed)
    }

    /// Folder part of a path, "." when there is none.
    static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

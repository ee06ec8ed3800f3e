import Foundation
import ImageIO

/// Streams a float64 .npy array of known shape to disk row by row, so that the T × D noise of a
/// long bound never has to sit in memory. Written under a temporary name and renamed into place
/// when complete, so a crash never leaves a truncated file under the requested name.
final class NPYFloat64Stream {
    let path: String
    private let temporary: String
    private let handle: FileHandle
    private let expected: Int
    private var written = 0

    init(path: String, shape: [Int]) throws {
        self.path = path
        temporary = path + ".partial"
        expected = shape.reduce(1, *)
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw CLIError("cannot create '\(temporary)'")
        }
        self.handle = handle
        try handle.write(contentsOf: NPYHeader(descr: "<f8", shape: shape).encoded())
    }

    func append(_ values: [Double]) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        try handle.write(contentsOf: bytes)
        written += values.count
    }

    func finish() throws {
        try handle.close()
        guard written == expected else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CLIError("internal error: wrote \(written) of \(expected) noise values to '\(path)'")
        }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    func abandon() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}

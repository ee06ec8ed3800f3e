import Foundation

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
        try handle.write(contentsOf: Self.header(shape: shape))
    }

    /// NPY format 1.0: magic, version, little-endian header length, a Python dict literal
    /// padded with spaces so that the data starts at a multiple of 64 bytes.
    static func header(shape: [Int]) -> Data {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(dict.utf8))
        return data
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

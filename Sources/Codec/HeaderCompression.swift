import CZstd

/// The header lists every image's name and geometry; in an archive of thousands of images
/// that is repetitive text worth tens of bits per image, so it is stored zstd-compressed.
/// Alpha planes (AlphaPlanes) use the same frames.
enum HeaderCompression {
    static let maximumHeaderSize = 1 << 26

    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let n = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 19)
            }
        }
        precondition(ZSTD_isError(n) == 0, "zstd compression failed")
        return Array(out[0..<n])
    }

    static func decompress(_ bytes: [UInt8]) throws(FormatError) -> [UInt8] {
        try decompress(bytes, what: "the header", limit: maximumHeaderSize)
    }

    /// A zstd frame of at most `limit` bytes (its declared size is checked before allocating).
    static func decompress(_ bytes: [UInt8], what: String, limit: Int) throws(FormatError) -> [UInt8] {
        let size = bytes.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard size != ZSTD_CONTENTSIZE_ERROR, size != ZSTD_CONTENTSIZE_UNKNOWN, size <= UInt64(limit) else {
            throw .malformed("\(what) is not a valid zstd frame of at most \(limit) bytes")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let n = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        guard ZSTD_isError(n) == 0, n == Int(size) else { throw .malformed("\(what) does not decompress") }
        return out
    }
}

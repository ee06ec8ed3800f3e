import CZlib

/// The fields of a PNG's IHDR chunk that decide how its samples may be read.
struct PNGHeader: Equatable {
    var width: Int
    var height: Int
    var bitDepth: Int
    /// 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    var colorType: Int
    var interlaced: Bool

    var isPalette: Bool { colorType == 3 }
    var hasColor: Bool { colorType & 2 != 0 }
}

/// A checked PNG stream, ready for libpng.
struct PNGStream {
    var header: PNGHeader
    /// The file's chunks minus those that would make libpng convert sample values.
    var bytes: [UInt8]
}

/// Walks the chunk structure of a PNG before libpng sees it.
///
/// Doing this ourselves has two purposes. Every chunk's CRC is verified, so any corruption
/// — including in ancillary chunks that libpng would merely warn about and skip — is an
/// error instead of a silently different image. And the colour-space chunks are removed:
/// libpng's simplified API converts samples from the gamma a file declares (gAMA, sRGB,
/// iCCP, cHRM) to sRGB, which would change the stored values. This codec codes the stored
/// values exactly, so it must see them unconverted.
enum PNGChunks {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// Chunks whose presence can make libpng's simplified reader alter sample values.
    private static let colourSpaceChunks: Set<String> = ["gAMA", "sRGB", "iCCP", "cHRM"]

    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= signature.count && Array(bytes[0..<signature.count]) == signature
    }

    static func parse(_ bytes: [UInt8], name: String) throws(ImageIOError) -> PNGStream {
        func fail(_ detail: String) -> ImageIOError {
            .malformed(name: name, format: "PNG", detail: detail)
        }
        guard hasSignature(bytes) else {
            throw fail(bytes.count < signature.count ? "the file is too short to be a PNG"
                                                     : "it does not start with the PNG signature")
        }
        var output = signature
        output.reserveCapacity(bytes.count)
        var header: PNGHeader?
        var offset = signature.count
        while true {
            guard bytes.count - offset >= 8 else {
                throw fail("the file is truncated (it ends before the IEND chunk)")
            }
            let length = Int(readBigEndian32(bytes, at: offset))
            guard length <= 0x7FFF_FFFF else { throw fail("a chunk length is out of range") }
            let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
            guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw fail("chunk at byte \(offset) has an invalid type code")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard bytes.count - offset - 8 >= length + 4 else {
                throw fail("the file is truncated (inside the \(type) chunk)")
            }
            let dataStart = offset + 8
            let stored = readBigEndian32(bytes, at: dataStart + length)
            let computed = bytes.withUnsafeBufferPointer { buffer in
                UInt32(crc32(0, buffer.baseAddress! + offset + 4, UInt32(length + 4)))
            }
            guard stored == computed else { throw fail("the \(type) chunk is corrupt (CRC mismatch)") }

            if header == nil {
                guard type == "IHDR", length == 13 else { throw fail("the first chunk is not IHDR") }
                header = try parseHeader(bytes, at: dataStart, fail: fail)
            } else if type == "IHDR" {
                throw fail("it has more than one IHDR chunk")
            }
            let end = dataStart + length + 4
            if !colourSpaceChunks.contains(type) {
                output.append(contentsOf: bytes[offset..<end])
            }
            offset = end
            // Anything after IEND is not part of the image; libpng ignores it as well.
            if type == "IEND" { break }
        }
        return PNGStream(header: header!, bytes: output)
    }

    private static func parseHeader(_ bytes: [UInt8], at start: Int,
                                    fail: (String) -> ImageIOError) throws(ImageIOError) -> PNGHeader {
        let width = Int(readBigEndian32(bytes, at: start))
        let height = Int(readBigEndian32(bytes, at: start + 4))
        let bitDepth = Int(bytes[start + 8])
        let colorType = Int(bytes[start + 9])
        guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height) else {
            throw fail("IHDR gives an invalid size \(width)×\(height)")
        }
        let allowedDepths: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8],
                                           4: [8, 16], 6: [8, 16]]
        guard let depths = allowedDepths[colorType], depths.contains(bitDepth) else {
            throw fail("IHDR gives an invalid combination of colour type \(colorType) "
                + "and bit depth \(bitDepth)")
        }
        guard bytes[start + 10] == 0, bytes[start + 11] == 0, bytes[start + 12] <= 1 else {
            throw fail("IHDR gives an unknown compression, filter or interlace method")
        }
        return PNGHeader(width: width, height: height, bitDepth: bitDepth, colorType: colorType,
                         interlaced: bytes[start + 12] == 1)
    }
}

/// Callers must have checked that `offset + 4 <= bytes.count`.
func readBigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
        | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

func appendBigEndian32(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    bytes.append(UInt8(truncatingIfNeeded: value >> 16))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    bytes.append(UInt8(truncatingIfNeeded: value))
}

import CZlib
import Foundation
import ImageIO
import TestSupport
import XCTest

/// The shared deterministic generator (TestSupport), under the name these tests use.
typealias SplitMix64 = TestRNG

func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

func randomImage(width: Int, height: Int, channels: Int, _ rng: inout SplitMix64) -> Image {
    try! Image(width: width, height: height, channels: channels,
               pixels: randomBytes(width * height * channels, &rng))
}

/// A fresh folder per test, removed afterwards.
final class TemporaryFolder {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ImageIOTests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    @discardableResult
    func write(_ bytes: [UInt8], _ name: String) -> String {
        let target = file(name)
        _ = FileManager.default.createFile(atPath: target, contents: Data(bytes))
        return target
    }
    func contents() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? []
    }
}

/// Asserts that `body` throws an `ImageIOError` and returns it for further checks.
@discardableResult
func expectError<T>(_ body: () throws -> T, file: StaticString = #filePath,
                    line: UInt = #line) -> ImageIOError? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch let error as ImageIOError {
        return error
    } catch {
        XCTFail("expected an ImageIOError, got \(error)", file: file, line: line)
        return nil
    }
}

func assertMessage(_ error: ImageIOError?, contains fragments: String...,
                   file: StaticString = #filePath, line: UInt = #line) {
    guard let error else { return }
    for fragment in fragments {
        XCTAssertTrue(error.description.contains(fragment),
                      "'\(error.description)' should mention '\(fragment)'", file: file, line: line)
    }
}

/// Builds PNG files byte by byte, so tests can produce layouts (palettes, low bit depths,
/// 16 bits, alpha, interlacing, colour-space chunks, corruption) that the module under test
/// never writes itself.
enum PNGBuilder {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// The colour type byte of a PNG's IHDR (signature 8, length 4, "IHDR" 4, width and height 8, bit depth 1).
    static func colorType(of png: [UInt8]) -> UInt8 { png[25] }

    static func channels(ofColorType type: Int) -> Int {
        [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][type]!
    }

    /// `samples`: row-major, channels interleaved, one Int per sample (palette index for
    /// colour type 3), at most 2^bitDepth - 1.
    static func make(width: Int, height: Int, bitDepth: Int, colorType: Int, samples: [Int],
                     interlaced: Bool = false, extraChunks: [[UInt8]] = []) -> [UInt8] {
        let perPixel = channels(ofColorType: colorType)
        precondition(samples.count == width * height * perPixel)
        var raw: [UInt8] = []
        func appendRows(_ xs: [Int], _ ys: [Int]) {
            guard !xs.isEmpty else { return }
            for y in ys {
                raw.append(0)  // filter: None
                var row: [Int] = []
                for x in xs { row += samples[((y * width) + x) * perPixel..<((y * width) + x + 1) * perPixel] }
                raw += pack(row, bitDepth: bitDepth)
            }
        }
        if interlaced {
            let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                          (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            for (x0, y0, dx, dy) in passes {
                appendRows(Array(stride(from: x0, to: width, by: dx)), Array(stride(from: y0, to: height, by: dy)))
            }
        } else {
            appendRows(Array(0..<width), Array(0..<height))
        }
        var compressed = [UInt8](repeating: 0, count: raw.count + raw.count / 100 + 64)
        var length = uLongf(compressed.count)
        let status = compress2(&compressed, &length, raw, uLong(raw.count), 9)
        precondition(status == Z_OK)
        compressed.removeSubrange(Int(length)...)

        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
            + [UInt8(bitDepth), UInt8(colorType), 0, 0, interlaced ? 1 : 0]
        var file = signature + chunk("IHDR", header)
        for extra in extraChunks { file += extra }
        file += chunk("IDAT", compressed) + chunk("IEND", [])
        return file
    }

    private static func pack(_ values: [Int], bitDepth: Int) -> [UInt8] {
        switch bitDepth {
        case 8: return values.map { UInt8($0) }
        case 16: return values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        default:
            var bytes: [UInt8] = []
            var current = 0, used = 0
            for value in values {
                current = current << bitDepth | value
                used += bitDepth
                if used == 8 { bytes.append(UInt8(current)); current = 0; used = 0 }
            }
            if used > 0 { bytes.append(UInt8(current << (8 - used))) }
            return bytes
        }
    }

    static func palette(_ colors: [(UInt8, UInt8, UInt8)]) -> [UInt8] {
        chunk("PLTE", colors.flatMap { [$0.0, $0.1, $0.2] })
    }

    /// Offsets of each chunk's length field, with its type.
    static func chunks(of png: [UInt8]) -> [(offset: Int, type: String, length: Int)] {
        var result: [(Int, String, Int)] = []
        var offset = 8
        while offset + 8 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16
                | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            result.append((offset, String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self), length))
            offset += 12 + length
        }
        return result
    }

    /// Recomputes one chunk's CRC after its data was edited in place.
    static func fixCRC(_ png: inout [UInt8], chunkAt offset: Int, length: Int) {
        let crc = png.withUnsafeBufferPointer {
            UInt32(crc32(0, $0.baseAddress! + offset + 4, UInt32(length + 4)))
        }
        png.replaceSubrange((offset + 8 + length)..<(offset + 12 + length), with: bigEndian(crc))
    }
}

/// An independent gzip encoder (zlib directly), so reader tests do not depend on the
/// module's own writer and can compress arbitrary payloads.
func gzipped(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    var output = [UInt8](repeating: 0, count: bytes.count + 1024)
    var produced = 0
    bytes.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            withUnsafeMutablePointer(to: &stream) { s in
                precondition(deflateInit2_(s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                           ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
                s.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                s.pointee.avail_in = UInt32(input.count)
                s.pointee.next_out = out.baseAddress
                s.pointee.avail_out = UInt32(out.count)
                precondition(deflate(s, Z_FINISH) == Z_STREAM_END)
                produced = out.count - Int(s.pointee.avail_out)
                deflateEnd(s)
            }
        }
    }
    return Array(output[0..<produced])
}

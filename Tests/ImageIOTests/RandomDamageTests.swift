import ImageIO
import XCTest

/// Random edits to valid files: every reader must either throw or return a consistent
/// image, never crash. Release builds use -Ounchecked, so a missing bounds check would show
/// up here as a crash or garbage rather than a trap.
final class RandomDamageTests: XCTestCase {
    func testDamagedPNGsWithRepairedCRCsNeverCrash() throws {
        var rng = SplitMix64(seed: 50)
        let rgb = try PNGCodec.encode(randomImage(width: 8, height: 6, channels: 3, &rng))
        let palette = PNGBuilder.make(width: 5, height: 4, bitDepth: 4, colorType: 3,
                                      samples: (0..<20).map { $0 % 3 },
                                      extraChunks: [PNGBuilder.palette([(1, 1, 1), (2, 3, 4), (9, 9, 9)])])
        let interlaced = PNGBuilder.make(width: 7, height: 7, bitDepth: 8, colorType: 4,
                                         samples: (0..<98).map { $0 % 2 == 1 ? 255 : $0 }, interlaced: true)
        for original in [rgb, palette, interlaced] {
            // The CRCs are repaired so the damage reaches libpng instead of stopping at our
            // chunk check; IHDR (bytes 8..<33) is left alone so no case allocates a huge image.
            for _ in 0..<300 {
                var damaged = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    damaged[Int.random(in: 33..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                for chunk in PNGBuilder.chunks(of: damaged) where chunk.offset + 12 + chunk.length <= damaged.count {
                    PNGBuilder.fixCRC(&damaged, chunkAt: chunk.offset, length: chunk.length)
                }
                if let image = try? PNGCodec.decode(damaged, name: "d.png") {
                    XCTAssertEqual(image.pixels.count, image.width * image.height * image.channels)
                }
            }
        }
    }

    func testDamagedDataSetsNeverCrash() throws {
        var rng = SplitMix64(seed: 51)
        let images = (0..<3).map { _ in randomImage(width: 5, height: 4, channels: 1, &rng) }
        let idx = try IDXWriter.encode(images)
        let npy = try NPYWriter.encode(images)
        let gz = gzipped(idx)
        for (original, headerSize) in [(idx, 16), (npy, 128), (gz, gz.count)] {
            for _ in 0..<500 {
                var damaged = original
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    damaged[Int.random(in: 0..<min(headerSize, damaged.count), using: &rng)] =
                        UInt8.random(in: 0...255, using: &rng)
                }
                let cut = Int.random(in: 0...damaged.count, using: &rng)
                for candidate in [damaged, Array(damaged[0..<cut])] {
                    _ = try? IDXReader.decode(candidate, name: "d")
                    _ = try? NPYReader.decode(candidate, name: "d")
                }
            }
        }
    }
}

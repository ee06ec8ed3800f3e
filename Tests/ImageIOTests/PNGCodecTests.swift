import ImageIO
import XCTest

final class PNGCodecTests: XCTestCase {
    private let sizes = [(1, 1), (1, 9), (9, 1), (2, 3), (13, 5), (31, 17), (64, 48)]

    // MARK: Round trips

    func testGrayRoundTripIsExact() throws {
        var rng = SplitMix64(seed: 1)
        for (width, height) in sizes {
            let image = randomImage(width: width, height: height, channels: 1, &rng)
            let bytes = try PNGCodec.encode(image)
            XCTAssertEqual(bytes[24], 8, "bit depth")
            XCTAssertEqual(bytes[25], 0, "colour type gray")
            XCTAssertEqual(try PNGCodec.decode(bytes, name: "g.png"), image, "\(width)×\(height)")
        }
    }

    func testRGBRoundTripIsExact() throws {
        var rng = SplitMix64(seed: 2)
        for (width, height) in sizes {
            let image = randomImage(width: width, height: height, channels: 3, &rng)
            let bytes = try PNGCodec.encode(image)
            XCTAssertEqual(bytes[25], 2, "colour type RGB")
            XCTAssertEqual(try PNGCodec.decode(bytes, name: "c.png"), image, "\(width)×\(height)")
        }
    }

    func testEveryGrayValueSurvives() throws {
        let image = try Image(width: 16, height: 16, channels: 1, pixels: (0..<256).map { UInt8($0) })
        XCTAssertEqual(try PNGCodec.decode(PNGCodec.encode(image), name: "ramp.png"), image)
    }

    func testWriteAndReadFile() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 3)
        let image = randomImage(width: 5, height: 4, channels: 3, &rng)
        try PNGCodec.write(image, to: folder.file("x.png"))
        XCTAssertEqual(try PNGCodec.read(path: folder.file("x.png")), image)
        XCTAssertEqual(folder.contents(), ["x.png"])
    }

    // MARK: Input policy

    func testPaletteWithGrayColoursLoadsAsGray() throws {
        var rng = SplitMix64(seed: 4)
        for bitDepth in [1, 2, 4, 8] {
            let entries = 1 << bitDepth
            let levels = (0..<entries).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let indices = (0..<(7 * 5)).map { _ in Int.random(in: 0..<entries, using: &rng) }
            let png = PNGBuilder.make(width: 7, height: 5, bitDepth: bitDepth, colorType: 3, samples: indices,
                                      extraChunks: [PNGBuilder.palette(levels.map { ($0, $0, $0) })])
            let image = try PNGCodec.decode(png, name: "p.png")
            XCTAssertEqual(image.channels, 1, "bit depth \(bitDepth)")
            XCTAssertEqual(image.pixels, indices.map { levels[$0] }, "bit depth \(bitDepth)")
        }
    }

    func testPaletteWithColoursLoadsAsExactRGB() throws {
        var rng = SplitMix64(seed: 5)
        let colors = (0..<200).map { _ in
            (UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng),
             UInt8.random(in: 0...255, using: &rng))
        }
        let indices = (0..<(11 * 6)).map { _ in Int.random(in: 0..<200, using: &rng) }
        let png = PNGBuilder.make(width: 11, height: 6, bitDepth: 8, colorType: 3, samples: indices,
                                  extraChunks: [PNGBuilder.palette(colors)])
        let image = try PNGCodec.decode(png, name: "p.png")
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, indices.flatMap { [colors[$0].0, colors[$0].1, colors[$0].2] })
    }

    func testPaletteGrayDecisionLooksAtUsedColoursOnly() throws {
        // Entry 1 is coloured but never used: every pixel is gray, so the image is gray.
        let png = PNGBuilder.make(width: 3, height: 1, bitDepth: 8, colorType: 3, samples: [0, 2, 0],
                                  extraChunks: [PNGBuilder.palette([(10, 10, 10), (255, 0, 0), (99, 99, 99)])])
        let image = try PNGCodec.decode(png, name: "p.png")
        XCTAssertEqual(image.channels, 1)
        XCTAssertEqual(image.pixels, [10, 99, 10])
    }

    func testPaletteTransparencyBecomesAnAlphaPlane() throws {
        let palette = PNGBuilder.palette([(1, 2, 3), (4, 5, 6)])
        let translucent = PNGBuilder.make(width: 2, height: 1, bitDepth: 8, colorType: 3, samples: [0, 1],
                                          extraChunks: [palette, PNGBuilder.chunk("tRNS", [255, 128])])
        let image = try PNGCodec.decode(translucent, name: "t.png")
        XCTAssertEqual(image.pixels, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(image.alpha, [255, 128])
    }

    func testLowBitDepthGrayIsScaledExactly() throws {
        for (bitDepth, scale) in [(1, 255), (2, 85), (4, 17)] {
            let maximum = (1 << bitDepth) - 1
            let values = (0..<(9 * 3)).map { $0 % (maximum + 1) }
            let png = PNGBuilder.make(width: 9, height: 3, bitDepth: bitDepth, colorType: 0, samples: values)
            let image = try PNGCodec.decode(png, name: "low.png")
            XCTAssertEqual(image.channels, 1)
            XCTAssertEqual(image.pixels, values.map { UInt8($0 * scale) }, "bit depth \(bitDepth)")
        }
    }

    func testSixteenBitIsRefused() {
        for colorType in [0, 2, 4, 6] {
            let count = 2 * 2 * PNGBuilder.channels(ofColorType: colorType)
            let png = PNGBuilder.make(width: 2, height: 2, bitDepth: 16, colorType: colorType,
                                      samples: Array(repeating: 65535, count: count))
            assertMessage(expectError { try PNGCodec.decode(png, name: "deep.png") },
                          contains: "'deep.png'", "16 bits")
        }
    }

    func testAlphaIsKeptApartFromTheColour() throws {
        var rgba = Array(repeating: 255, count: 3 * 2 * 4)
        rgba[4 * 5 + 3] = 254
        rgba[4 * 1 + 0] = 17
        let image = try PNGCodec.decode(PNGBuilder.make(width: 3, height: 2, bitDepth: 8, colorType: 6, samples: rgba),
                                        name: "a.png")
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.pixels, (0..<6).flatMap { p in rgba[(4 * p)..<(4 * p + 3)].map(UInt8.init) })
        XCTAssertEqual(image.alpha, [255, 255, 255, 255, 255, 254])

        let grayAlpha = try PNGCodec.decode(PNGBuilder.make(width: 2, height: 1, bitDepth: 8, colorType: 4,
                                                            samples: [9, 255, 9, 0]), name: "ga.png")
        XCTAssertEqual(grayAlpha.channels, 1)
        XCTAssertEqual(grayAlpha.pixels, [9, 9])
        XCTAssertEqual(grayAlpha.alpha, [255, 0])

        // tRNS on a gray image makes every pixel of that gray level transparent.
        let keyed = try PNGCodec.decode(PNGBuilder.make(width: 3, height: 1, bitDepth: 8, colorType: 0, samples: [1, 7, 2],
                                                        extraChunks: [PNGBuilder.chunk("tRNS", [0, 7])]), name: "k.png")
        XCTAssertEqual(keyed.pixels, [1, 7, 2])
        XCTAssertEqual(keyed.alpha, [255, 0, 255])
    }

    func testOpaqueAlphaIsKeptSoRGBAComesBackRGBA() throws {
        var rng = SplitMix64(seed: 6)
        let rgb = randomImage(width: 5, height: 3, channels: 3, &rng)
        var rgba: [Int] = []
        for pixel in 0..<15 { rgba += rgb.pixels[(3 * pixel)..<(3 * pixel + 3)].map(Int.init) + [255] }
        let fromRGBA = try PNGCodec.decode(PNGBuilder.make(width: 5, height: 3, bitDepth: 8, colorType: 6,
                                                           samples: rgba), name: "rgba.png")
        XCTAssertEqual(fromRGBA, try rgb.withAlpha([UInt8](repeating: 255, count: 15)))
        XCTAssertEqual(try PNGCodec.decode(PNGCodec.encode(fromRGBA), name: "again.png"), fromRGBA)
        XCTAssertEqual(PNGBuilder.colorType(of: try PNGCodec.encode(fromRGBA)), 6)
        XCTAssertEqual(PNGBuilder.colorType(of: try PNGCodec.encode(rgb)), 2)
    }

    func testImagesWithAlphaRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        for channels in [1, 3] {
            let colour = randomImage(width: 7, height: 5, channels: channels, &rng)
            let alpha = randomImage(width: 7, height: 5, channels: 1, &rng).pixels
            let image = try colour.withAlpha(alpha)
            let png = try PNGCodec.encode(image)
            XCTAssertEqual(PNGBuilder.colorType(of: png), channels == 1 ? 4 : 6)
            XCTAssertEqual(try PNGCodec.decode(png, name: "x.png"), image)
        }
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 3, pixels: Array(repeating: 0, count: 12), alpha: [1, 2, 3]))
    }

    func testColourSpaceChunksNeverChangeSamples() throws {
        let ramp = (0..<256).map { $0 }
        let linearGamma = PNGBuilder.chunk("gAMA", PNGBuilder.bigEndian(100_000))
        let oddGamma = PNGBuilder.chunk("gAMA", PNGBuilder.bigEndian(80_000))
        let chrm = PNGBuilder.chunk("cHRM", [31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000]
            .flatMap { PNGBuilder.bigEndian(UInt32($0)) })
        for extras in [[linearGamma], [oddGamma, chrm], [PNGBuilder.chunk("sRGB", [0]), linearGamma]] {
            let gray = PNGBuilder.make(width: 16, height: 16, bitDepth: 8, colorType: 0, samples: ramp,
                                       extraChunks: extras)
            XCTAssertEqual(try PNGCodec.decode(gray, name: "gamma.png").pixels, ramp.map { UInt8($0) })
            let rgbSamples = ramp.flatMap { [$0, 255 - $0, ($0 * 7) % 256] }
            let rgb = PNGBuilder.make(width: 16, height: 16, bitDepth: 8, colorType: 2, samples: rgbSamples,
                                      extraChunks: extras)
            XCTAssertEqual(try PNGCodec.decode(rgb, name: "gamma.png").pixels, rgbSamples.map { UInt8($0) })
            let rgba = PNGBuilder.make(width: 16, height: 16, bitDepth: 8, colorType: 6,
                                       samples: ramp.flatMap { [$0, 255 - $0, ($0 * 7) % 256, 255] },
                                       extraChunks: extras)
            XCTAssertEqual(try PNGCodec.decode(rgba, name: "gamma.png").pixels, rgbSamples.map { UInt8($0) })
        }
    }

    func testInterlacedImagesLoadExactly() throws {
        var rng = SplitMix64(seed: 7)
        for (width, height) in [(1, 1), (3, 5), (9, 9), (17, 4)] {
            for (colorType, channels) in [(0, 1), (2, 3)] {
                let image = randomImage(width: width, height: height, channels: channels, &rng)
                let png = PNGBuilder.make(width: width, height: height, bitDepth: 8, colorType: colorType,
                                          samples: image.pixels.map(Int.init), interlaced: true)
                XCTAssertEqual(try PNGCodec.decode(png, name: "i.png"), image, "\(width)×\(height)")
            }
        }
    }

    func testTrailingBytesAfterIENDAreIgnored() throws {
        var rng = SplitMix64(seed: 8)
        let image = randomImage(width: 3, height: 3, channels: 1, &rng)
        XCTAssertEqual(try PNGCodec.decode(PNGCodec.encode(image) + [1, 2, 3], name: "t.png"), image)
    }

    // MARK: Damaged input

    func testTruncationAtEveryCutPointThrows() throws {
        var rng = SplitMix64(seed: 9)
        let png = try PNGCodec.encode(randomImage(width: 9, height: 7, channels: 3, &rng))
        for cut in 0..<png.count {
            let error = expectError { try PNGCodec.decode(Array(png[0..<cut]), name: "cut.png") }
            if case .malformed(name: "cut.png", format: "PNG", detail: _)? = error {} else {
                XCTFail("cut at \(cut): \(String(describing: error))")
            }
        }
    }

    func testEverySingleBitFlipThrows() throws {
        var rng = SplitMix64(seed: 10)
        let png = try PNGCodec.encode(randomImage(width: 4, height: 3, channels: 1, &rng))
        for bit in 0..<(png.count * 8) {
            var damaged = png
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            XCTAssertThrowsError(try PNGCodec.decode(damaged, name: "flip.png"), "bit \(bit)")
        }
    }

    func testCorruptCompressedDataWithValidCRCNeverCrashes() throws {
        var rng = SplitMix64(seed: 11)
        let png = try PNGCodec.encode(randomImage(width: 6, height: 5, channels: 3, &rng))
        let idat = PNGBuilder.chunks(of: png).first { $0.type == "IDAT" }!
        var thrown = 0
        for index in 0..<idat.length {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = png
                damaged[idat.offset + 8 + index] ^= mask
                PNGBuilder.fixCRC(&damaged, chunkAt: idat.offset, length: idat.length)
                // zlib's checksum catches almost everything; whatever gets through must at
                // least be a well-formed image of the declared size.
                do {
                    let image = try PNGCodec.decode(damaged, name: "z.png")
                    XCTAssertEqual([image.width, image.height, image.channels], [6, 5, 3])
                } catch {
                    thrown += 1
                }
            }
        }
        XCTAssertGreaterThan(thrown, idat.length * 3 / 2)

        var garbage = png
        for index in 0..<idat.length { garbage[idat.offset + 8 + index] = UInt8(index & 0xFF) }
        PNGBuilder.fixCRC(&garbage, chunkAt: idat.offset, length: idat.length)
        assertMessage(expectError { try PNGCodec.decode(garbage, name: "garbage.png") },
                      contains: "'garbage.png'", "libpng")
    }

    func testNonPNGInputThrows() {
        assertMessage(expectError { try PNGCodec.decode([], name: "empty.png") }, contains: "'empty.png'", "PNG")
        assertMessage(expectError { try PNGCodec.decode(Array("GIF89a and more".utf8), name: "g.png") },
                      contains: "signature")
        assertMessage(expectError { try PNGCodec.read(path: "/nonexistent/nothing.png") },
                      contains: "/nonexistent/nothing.png")
    }

    func testStructuralErrorsAreReported() {
        let ihdr = PNGBuilder.chunk("IHDR", PNGBuilder.bigEndian(1) + PNGBuilder.bigEndian(1) + [8, 0, 0, 0, 0])
        let noHeader = PNGBuilder.signature + PNGBuilder.chunk("IEND", [])
        assertMessage(expectError { try PNGCodec.decode(noHeader, name: "n.png") }, contains: "IHDR")
        let badDepth = PNGBuilder.signature
            + PNGBuilder.chunk("IHDR", PNGBuilder.bigEndian(1) + PNGBuilder.bigEndian(1) + [3, 2, 0, 0, 0])
            + PNGBuilder.chunk("IEND", [])
        assertMessage(expectError { try PNGCodec.decode(badDepth, name: "d.png") }, contains: "bit depth 3")
        let noData = PNGBuilder.signature + ihdr + PNGBuilder.chunk("IEND", [])
        expectError { try PNGCodec.decode(noData, name: "nodata.png") }
    }

    func testHugeDeclaredSizeIsRefusedBeforeDecoding() {
        let png = PNGBuilder.signature
            + PNGBuilder.chunk("IHDR", PNGBuilder.bigEndian(100_000) + PNGBuilder.bigEndian(100_000) + [8, 2, 0, 0, 0])
            + PNGBuilder.chunk("IDAT", [120, 156, 3, 0, 0, 0, 0, 1]) + PNGBuilder.chunk("IEND", [])
        assertMessage(expectError { try PNGCodec.decode(png, name: "big.png") }, contains: "100000×100000")
    }
}

import Codec
import ImageIO
import XCTest

final class FileFormatTests: XCTestCase {
    func sampleHeader() -> DDPMHeader {
        DDPMHeader(modelDigest: Checksums.sha256(Array("model".utf8)), modelName: "fmnist28", sourceKind: .idx(gzipped: true),
                   images: [ImageEntry(name: "a[0]", width: 28, height: 28, channels: 1),
                            ImageEntry(name: "ü.png", width: 5, height: 1, channels: 3)],
                   patchHeight: 28, patchWidth: 28, steps: 1000, trainTimesteps: 1000,
                   parameters: [1: 6, 2: 0.125, 7: -3], seed: 0xDEAD_BEEF, pixelDigest: Checksums.sha256([1, 2, 3]))
    }

    func testSHA256KnownAnswer() {
        XCTAssertEqual(Checksums.hex(Checksums.sha256(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Checksums.hex(Checksums.sha256([])),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testRoundTrip() throws {
        let sections = [Section(kind: .bitsBack, payload: Array(0..<200).map { UInt8($0) }), Section(kind: .progressive, payload: [])]
        let bytes = DDPMFile.encode(header: sampleHeader(), sections: sections)
        let (h, s, damage) = try DDPMFile.decode(bytes)
        XCTAssertEqual(h, sampleHeader())
        XCTAssertEqual(s, sections)
        XCTAssertNil(damage)
        XCTAssertEqual(h.dimensions, 28 * 28 + 15)
    }

    /// Parameters keep their exact values whichever way they are stored (varint or f64).
    func testParametersAndLargeNumbersRoundTrip() throws {
        var header = sampleHeader()
        header.parameters = [1: 0, 2: 49_748.375, 3: -3, 4: 0x1p60, 5: 0x1p53 - 1, 6: 1e-300, 8: 127, 9: 128, 10: .infinity]
        header.seed = .max
        header.steps = 1 << 20
        header.images = [ImageEntry(name: String(repeating: "é", count: 300), width: 65_536, height: 1, channels: 3)]
        let (h, _, _) = try DDPMFile.decode(DDPMFile.encode(header: header, sections: []))
        XCTAssertEqual(h, header)
    }

    /// One small image: the whole container before its section stays small (v1 spent ~190 bytes,
    /// 2 bits per sub-pixel of a 28×28 image); an archive of many names is zstd-packed.
    func testHeadersAreCompact() throws {
        let one = DDPMHeader(modelDigest: Checksums.sha256(Array("w".utf8)), modelName: "fmnist28", sourceKind: .png,
                             images: [ImageEntry(name: "boot.png", width: 28, height: 28, channels: 1)],
                             patchHeight: 28, patchWidth: 28, steps: 100, trainTimesteps: 1000,
                             parameters: [1: 4, 2: 8, 3: 32, 4: 1, 5: 9_123.456, 6: 0, 10: 12, 11: 0, 12: 5],
                             seed: 0x4444_504D_4300_0001, pixelDigest: Checksums.sha256([9]))
        let bytes = DDPMFile.encode(header: one, sections: [Section(kind: .progressive, payload: [1, 2, 3])])
        let headerBytes = try DDPMFile.headerLength(bytes)
        XCTAssertLessThanOrEqual(headerBytes, 92, "header \(headerBytes) bytes")
        XCTAssertEqual(bytes.count, headerBytes + DDPMFile.sectionHeaderLength + 3)
        XCTAssertEqual(try DDPMFile.decode(bytes).header, one)

        var archive = one
        archive.images = (0..<1000).map { ImageEntry(name: "t10k-images-idx3-ubyte[\($0)]", width: 28, height: 28, channels: 1) }
        let packed = DDPMFile.encode(header: archive, sections: [])
        XCTAssertEqual(packed[DDPMFile.magic.count + 2 + 2], 1, "zstd packing for a long list of names")
        XCTAssertLessThan(packed.count, 1000 * 8, "well under the ~30 bytes per name unpacked")
        XCTAssertEqual(try DDPMFile.decode(packed).header, archive)
    }

    func testDamageIsReportedNeverACrash() throws {
        let bytes = DDPMFile.encode(header: sampleHeader(), sections: [Section(kind: .bitsBack, payload: [UInt8](repeating: 7, count: 64))])
        XCTAssertThrowsError(try DDPMFile.decode(Array("PNG".utf8))) { XCTAssertEqual($0 as? FormatError, .notDDPM) }
        var v = bytes; v[6] = 9
        XCTAssertThrowsError(try DDPMFile.decode(v)) { XCTAssertEqual($0 as? FormatError, .unsupportedVersion(9)) }
        v[6] = 1  // the first format (fixed-width header, full digests) is not read any more
        XCTAssertThrowsError(try DDPMFile.decode(v)) { XCTAssertEqual($0 as? FormatError, .unsupportedVersion(1)) }
        // Every truncation either throws (header damaged) or reports the damaged section.
        for cut in 0..<bytes.count {
            do {
                let (_, sections, damage) = try DDPMFile.decode(Array(bytes[0..<cut]))
                // Cut exactly after the header: a well-formed file without sections.
                XCTAssertTrue(sections.isEmpty, "cut \(cut)")
                _ = damage
            } catch {}
        }
        // Every single bit flip is detected.
        for i in 0..<bytes.count {
            var flipped = bytes
            flipped[i] ^= 1 << UInt8(i % 8)
            if let result = try? DDPMFile.decode(flipped) {
                XCTAssertTrue(result.damage != nil || result.sections.isEmpty, "flip at \(i) undetected")
            }
        }
    }
}

final class GroupScheduleTests: XCTestCase {
    func testGroupsCoverEveryPatchOnceAndGrowToTheMaximum() {
        for count in [0, 1, 2, 7, 100, 1000] {
            let ranges = CodingParameters.groupRanges(count: count, maximum: 32)
            XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count))
            XCTAssertTrue(ranges.allSatisfy { $0.count <= 32 })
        }
        let r = CodingParameters.groupRanges(count: 1000, maximum: 32)
        XCTAssertEqual(r.prefix(8).map(\.count), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(r[r.count - 2].count, 32)
        XCTAssertEqual(CodingParameters.groupRanges(count: 5, maximum: 1).map(\.count), [1, 1, 1, 1, 1])
    }
}

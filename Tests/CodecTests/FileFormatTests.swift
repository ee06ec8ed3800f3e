import Codec
import ImageIO
import XCTest

final class FileFormatTests: XCTestCase {
    func sampleHeader() -> DDPMHeader {
        DDPMHeader(modelSHA256: Checksums.sha256(Array("model".utf8)), modelName: "fmnist28", sourceKind: .idx(gzipped: true),
                   images: [ImageEntry(name: "a[0]", width: 28, height: 28, channels: 1),
                            ImageEntry(name: "ü.png", width: 5, height: 1, channels: 3)],
                   patchHeight: 28, patchWidth: 28, steps: 1000, trainTimesteps: 1000,
                   parameters: [1: 6, 2: 0.125, 7: -3], seed: 0xDEAD_BEEF, pixelSHA256: Checksums.sha256([1, 2, 3]))
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

    func testDamageIsReportedNeverACrash() throws {
        let bytes = DDPMFile.encode(header: sampleHeader(), sections: [Section(kind: .bitsBack, payload: [UInt8](repeating: 7, count: 64))])
        XCTAssertThrowsError(try DDPMFile.decode(Array("PNG".utf8))) { XCTAssertEqual($0 as? FormatError, .notDDPM) }
        var v = bytes; v[6] = 9
        XCTAssertThrowsError(try DDPMFile.decode(v)) { XCTAssertEqual($0 as? FormatError, .unsupportedVersion(9)) }
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
            let ranges = LosslessParameters.groupRanges(count: count, maximum: 32)
            XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count))
            XCTAssertTrue(ranges.allSatisfy { $0.count <= 32 })
        }
        let r = LosslessParameters.groupRanges(count: 1000, maximum: 32)
        XCTAssertEqual(r.prefix(8).map(\.count), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(r[r.count - 2].count, 32)
        XCTAssertEqual(LosslessParameters.groupRanges(count: 5, maximum: 1).map(\.count), [1, 1, 1, 1, 1])
    }
}

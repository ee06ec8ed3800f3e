import Codec
import ImageIO
import XCTest

final class FileFormatTests: XCTestCase {
    /// A header as a file gives it back: no model name, patch size or timesteps (the model's
    /// identity pins them), every parameter of the form (the defaults filled in).
    func sampleHeader() -> DDPMHeader {
        DDPMHeader(modelDigest: Checksums.sha256(Array("model".utf8)), modelName: "", sourceKind: .folder,
                   images: [ImageEntry(name: "a[0]", width: 28, height: 28, channels: 1),
                            ImageEntry(name: "ü.png", width: 5, height: 1, channels: 3)],
                   patchHeight: 0, patchWidth: 0, steps: 1000, trainTimesteps: 0,
                   parameters: withDefaults([1: 6, 2: 0.125, 7: -3]), seed: 0xDEAD_BEEF)
    }

    func withDefaults(_ fields: [UInt8: Double]) -> [UInt8: Double] {
        CodingParameters.defaultFields(CodingParameters.Form(fields: fields)).merging(fields) { $1 }
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
        header.parameters = withDefaults([1: 0, 2: 49_748.375, 3: -3, 4: 0x1p60, 5: 0x1p53 - 1, 6: 1e-300, 8: 127, 9: 128, 10: .infinity])
        header.seed = .max
        header.steps = 1 << 20
        header.images = [ImageEntry(name: String(repeating: "é", count: 300), width: 65_536, height: 1, channels: 3)]
        let (h, _, _) = try DDPMFile.decode(DDPMFile.encode(header: header, sections: []))
        XCTAssertEqual(h, header)
    }

    /// One small image: the whole container before its payload stays small (v1 spent ~190 bytes,
    /// 2 bits per sub-pixel of a 28×28 image; v3 ~100): the defaults of each form are not stored,
    /// nor a PNG's name, the model's name, patch size or timesteps. Names of a folder are stored
    /// and zstd-packed when many; a data set's images of one geometry store it once.
    func testHeadersAreCompact() throws {
        for form in [CodingParameters.Form.lossless, .progressive, .direct] {
            var fields = CodingParameters.defaultFields(form)
            if form == .lossless { fields[5] = 9_124 }   // the initial bits, whole
            let steps = form == .direct ? CodingParameters.directSteps : CodingParameters.defaultSteps
            let one = DDPMHeader(modelDigest: Checksums.sha256(Array("w".utf8)), modelName: "fmnist28", sourceKind: .png,
                                 images: [ImageEntry(name: "boot.png", width: 28, height: 28, channels: 1)],
                                 patchHeight: 28, patchWidth: 28, steps: steps, trainTimesteps: 1000,
                                 parameters: fields, seed: CodingParameters.defaultSeed)
            let bytes = DDPMFile.encode(header: one, sections: [Section(kind: .progressive, payload: [1, 2, 3])])
            let payloadStart = try DDPMFile.firstPayloadOffset(bytes)
            // Magic and version 5, flags 1, model 4, count and geometry 4, header check 2, the section's kind, length and
            // CRC 6; a lossless file's initial bits 4 more (the parameter count, key and value).
            XCTAssertEqual(payloadStart, form == .lossless ? 26 : 22, "\(form): \(payloadStart) bytes before the payload")
            XCTAssertEqual(bytes[DDPMFile.magic.count], DDPMFile.version, "a plain header: no length, no packing byte")
            XCTAssertEqual(bytes.count, payloadStart + 3)
            XCTAssertEqual(payloadStart, try DDPMFile.headerLength(bytes) + DDPMFile.sectionHeaderLength(payload: 3))
            var expected = one
            expected.modelName = ""; expected.patchHeight = 0; expected.patchWidth = 0; expected.trainTimesteps = 0
            expected.images[0].name = "image"
            XCTAssertEqual(try DDPMFile.decode(bytes).header, expected)
            // Another chain length is stored, and read back.
            var longer = one
            longer.steps = steps + 1
            let stored = DDPMFile.encode(header: longer, sections: [Section(kind: .progressive, payload: [1, 2, 3])])
            XCTAssertEqual(try DDPMFile.firstPayloadOffset(stored), form == .lossless ? 28 : 25)
            XCTAssertEqual(try DDPMFile.decode(stored).header.steps, steps + 1)
        }

        var archive = sampleHeader()
        archive.images = (0..<1000).map { ImageEntry(name: "t10k-images-idx3-ubyte[\($0)].png", width: 28, height: 28, channels: 1) }
        let packed = DDPMFile.encode(header: archive, sections: [])
        XCTAssertEqual(packed[DDPMFile.magic.count], DDPMFile.version | 0x80, "zstd packing for a long list of names")
        XCTAssertLessThan(packed.count, 1000 * 8, "well under the ~30 bytes per name unpacked")
        XCTAssertEqual(try DDPMFile.decode(packed).header, archive)

        var dataSet = archive
        dataSet.sourceKind = .idx(gzipped: true)
        let unnamed = DDPMFile.encode(header: dataSet, sections: [])
        XCTAssertLessThan(unnamed.count, 64, "one geometry and no names for 1000 images of a data set")
        dataSet.images = (0..<1000).map { ImageEntry(name: String(format: "image%05d", $0), width: 28, height: 28, channels: 1) }
        XCTAssertEqual(try DDPMFile.decode(unnamed).header, dataSet)
    }

    func testDamageIsReportedNeverACrash() throws {
        let bytes = DDPMFile.encode(header: sampleHeader(), sections: [Section(kind: .bitsBack, payload: [UInt8](repeating: 7, count: 64))])
        XCTAssertThrowsError(try DDPMFile.decode(Array("PNG".utf8))) { XCTAssertEqual($0 as? FormatError, .notDDPM) }
        var v = bytes; v[DDPMFile.magic.count] = 9
        XCTAssertThrowsError(try DDPMFile.decode(v)) { XCTAssertEqual($0 as? FormatError, .unsupportedVersion(9)) }
        v[DDPMFile.magic.count] = 1
        XCTAssertThrowsError(try DDPMFile.decode(v)) { XCTAssertEqual($0 as? FormatError, .unsupportedVersion(1)) }
        // Versions 4 to 6 (plain or packed) read their headers, streams and stacks differently: refused, with the way out.
        for byte: UInt8 in [4, 4 | 0x80, 5, 5 | 0x80, 6, 6 | 0x80] {
            v[DDPMFile.magic.count] = byte
            XCTAssertThrowsError(try DDPMFile.decode(v)) {
                XCTAssertEqual($0 as? FormatError, .unsupportedVersion(UInt16(byte & 0x7F)))
                XCTAssertTrue("\($0)".contains("encode the images again"), "\($0)")
            }
        }
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

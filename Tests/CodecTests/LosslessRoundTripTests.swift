import Codec
import Diffusion
import EntropyCoding
import ImageIO
import XCTest

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func fixtureModel(_ name: String) throws -> DiffusionModel {
    try DiffusionModel(directory: repositoryRoot.appendingPathComponent("Fixtures/unet/\(name)").path)
}

/// A temporary copy of a fixture model with `codecConfig` as its codec_config.json (nil: none),
/// removed when `test` ends.
func fixtureModelCopy(_ fixture: String, codecConfig: String?, removedAfter test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    let source = repositoryRoot.appendingPathComponent("Fixtures/unet/\(fixture)")
    for name in ["config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json"] {
        try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
    if let codecConfig { try Data(codecConfig.utf8).write(to: dir.appendingPathComponent("codec_config.json")) }
    return dir.path
}

func randomImage(_ name: String, width: Int, height: Int, channels: Int, seed: UInt64) throws -> NamedImage {
    var s = seed
    let px = (0..<(width * height * channels)).map { i -> UInt8 in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        // Smooth-ish content with noise, so the model is not facing pure noise.
        return UInt8(clamping: (i * 7 % 200) + Int(s >> 60))
    }
    return NamedImage(name: name, image: try Image(width: width, height: height, channels: channels, pixels: px))
}

/// Bit-exact round trips through the bits-back chain on the fixture models, with few steps so
/// the tests stay fast; the chain logic is the same for every step count.
final class LosslessRoundTripTests: XCTestCase {
    /// `bootstrap` 0 by default: the chain alone, whose initial bits these tests measure.
    func roundTrip(_ images: [NamedImage], model: String, steps: Int = 4, group: Int = 32, bootstrap: Int? = 0,
                   file: StaticString = #filePath, line: UInt = #line) throws -> LosslessReport {
        let codec = try LosslessCodec(model: try fixtureModel(model))
        var p = CodingParameters()
        p.steps = steps
        p.groupSize = group
        p.bootstrap = bootstrap
        let (bytes, report) = try codec.encode(images, kind: .folder, parameters: p)
        let (decoded, kind, _) = try codec.decode(bytes)
        XCTAssertEqual(kind, .folder, file: file, line: line)
        XCTAssertEqual(decoded, images, "round trip differs", file: file, line: line)
        return report
    }

    func testGrayAndRGBAtPatchSize() throws {
        _ = try roundTrip([try randomImage("g", width: 28, height: 28, channels: 1, seed: 1)], model: "gray28-plain")
        _ = try roundTrip([try randomImage("c", width: 32, height: 32, channels: 3, seed: 2)], model: "rgb32-attn-nullhead")
    }

    func testSizesThatAreNotMultiplesOfThePatch() throws {
        _ = try roundTrip([try randomImage("odd", width: 45, height: 30, channels: 1, seed: 3)], model: "gray28-attn")
        _ = try roundTrip([try randomImage("small", width: 9, height: 5, channels: 3, seed: 4)], model: "learned-var")
    }

    func testOnePixelWideAndOnePixelImages() throws {
        _ = try roundTrip([try randomImage("column", width: 1, height: 40, channels: 1, seed: 5),
                           try randomImage("dot", width: 1, height: 1, channels: 1, seed: 6)], model: "gray28-plain")
    }

    func testArchiveChainsOnOneStackAndPaysInitialBitsOnce() throws {
        let images = try (0..<5).map { try randomImage("a\($0)", width: 28, height: 28, channels: 1, seed: UInt64(10 + $0)) }
        let single = try roundTrip([images[0]], model: "gray28-plain", group: 1)
        let archive = try roundTrip(images, model: "gray28-plain", group: 1)
        // Later groups pop the bits earlier groups pushed: the initial bits do not grow with the archive.
        XCTAssertEqual(archive.initialBits, single.initialBits, accuracy: single.initialBits * 0.5)
        XCTAssertLessThan(archive.initialBits, 2 * single.initialBits)
    }

    func testLearnedVarianceAndRespacedChains() throws {
        _ = try roundTrip([try randomImage("lv", width: 32, height: 32, channels: 3, seed: 7)], model: "learned-var", steps: 7)
    }

    /// The spacing is in the header: both spacings round-trip, the decoder follows the header, a
    /// header without the field means the form's default (quadratic for a lossless file), and an
    /// unknown code is a clear error.
    func testTimestepSpacingTravelsInTheHeader() throws {
        let image = try randomImage("s", width: 28, height: 28, channels: 1, seed: 21)
        let codec = try LosslessCodec(model: try fixtureModel("gray28-plain"))
        var files: [TimestepSpacing: [UInt8]] = [:]
        for spacing in [TimestepSpacing.even, .quadratic] {   // .model: ModelChainTests
            var p = CodingParameters()
            p.steps = 6; p.spacing = spacing
            let (bytes, _) = try codec.encode([image], kind: .folder, parameters: p)
            let (decoded, _, header) = try codec.decode(bytes)
            XCTAssertEqual(decoded, [image], "\(spacing)")
            XCTAssertEqual(header.parameters[CodingParameters.HeaderKey.spacing.rawValue], Double(spacing.code))
            files[spacing] = bytes
        }
        XCTAssertNotEqual(files[.even], files[.quadratic], "the chains differ")
        XCTAssertEqual(CodingParameters().spacing, .quadratic)

        func rewritten(_ bytes: [UInt8], spacingCode: Double?) throws -> [UInt8] {
            var (header, sections, _) = try DDPMFile.decode(bytes)
            header.parameters[CodingParameters.HeaderKey.spacing.rawValue] = spacingCode
            return DDPMFile.encode(header: header, sections: sections)
        }
        let defaulted = try rewritten(try XCTUnwrap(files[.quadratic]), spacingCode: nil)
        XCTAssertEqual(try codec.decode(defaulted).images, [image], "no field: the lossless default")
        XCTAssertThrowsError(try codec.decode(try rewritten(try XCTUnwrap(files[.even]), spacingCode: nil)))
        // The quadratic stream read as even is another chain: it must not decode to the image.
        XCTAssertThrowsError(try codec.decode(try rewritten(try XCTUnwrap(files[.quadratic]), spacingCode: 0)))
        XCTAssertThrowsError(try codec.decode(try rewritten(try XCTUnwrap(files[.quadratic]), spacingCode: 7))) { error in
            XCTAssertTrue("\(error)".contains("timestep spacing"), "\(error)")
        }
    }

    func testCoderOverheadIsSmall() throws {
        let images = try (0..<2).map { try randomImage("o\($0)", width: 28, height: 28, channels: 1, seed: UInt64(30 + $0)) }
        let r = try roundTrip(images, model: "gray28-plain", steps: 6)
        // Payload bits beyond the ideal −log2 of the masses coded, initial bits excluded.
        let overhead = r.payloadBits - r.initialBits - r.idealBits
        XCTAssertGreaterThan(r.idealBits, 0)
        XCTAssertLessThan(abs(overhead), 0.001 * r.idealBits + 128, "overhead \(overhead) bits of \(r.idealBits)")
    }

    func testWrongModelIsRefused() throws {
        let image = try randomImage("g", width: 28, height: 28, channels: 1, seed: 1)
        var p = CodingParameters(); p.steps = 2
        let (bytes, _) = try LosslessCodec(model: try fixtureModel("gray28-plain")).encode([image], kind: .png, parameters: p)
        XCTAssertThrowsError(try LosslessCodec(model: try fixtureModel("gray28-attn")).decode(bytes)) { error in
            XCTAssertTrue("\(error)".contains("SHA-256"), "\(error)")
        }
    }

    func testDamagedStreamsAreDetected() throws {
        let image = try randomImage("g", width: 28, height: 28, channels: 1, seed: 1)
        var p = CodingParameters(); p.steps = 2
        let codec = try LosslessCodec(model: try fixtureModel("gray28-plain"))
        let (bytes, _) = try codec.encode([image], kind: .png, parameters: p)
        for cut in [1, 10, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try codec.decode(Array(bytes[0..<cut])), "cut at \(cut)")
        }
        for i in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            var b = bytes; b[i] ^= 0x10
            XCTAssertThrowsError(try codec.decode(b), "flip at \(i)")
        }
    }
}

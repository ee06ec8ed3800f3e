import Codec
import Diffusion
import ImageIO
import XCTest

/// Bootstrapped bits-back: the first patches go by the direct route and the chain pops their bits.
final class BootstrapTests: XCTestCase {
    /// Smooth images the fixture model's direct route can carry (every step within its chunks).
    /// Small (10×10), so that the direct route's 2^16 candidates per chunk stay quick in a debug build.
    func smooth(_ name: String, seed: Int, width: Int = 10, height: Int = 10, channels: Int = 1) throws -> NamedImage {
        let px = (0..<(width * height * channels)).map { i -> UInt8 in
            let x = i / channels % width, y = i / channels / width
            return UInt8(clamping: 100 + (x * 3 + y * 2 + seed * 17) % 60)
        }
        return NamedImage(name: name, image: try Image(width: width, height: height, channels: channels, pixels: px))
    }

    func encode(_ images: [NamedImage], model: String, bootstrap: Int?, steps: Int = 3) throws -> (codec: LosslessCodec, bytes: [UInt8], report: LosslessReport) {
        let codec = try LosslessCodec(model: try fixtureModel(model))
        var p = CodingParameters()
        p.steps = steps
        p.bootstrap = bootstrap
        let (bytes, report) = try codec.encode(images, kind: .folder, parameters: p)
        return (codec, bytes, report)
    }

    /// Any number of bootstrap patches, across images and within one image's patches, decodes
    /// exactly; the file records how many, and the chain borrows fewer initial bits.
    func testRoundTripsWithAnyBootstrapCount() throws {
        let images = try (0..<4).map { try smooth("s\($0).png", seed: $0) }
        let plain = try encode(images, model: "gray28-plain", bootstrap: 0)
        for m in [1, 2, 9] {
            let (codec, bytes, report) = try encode(images, model: "gray28-plain", bootstrap: m)
            XCTAssertEqual(report.bootstrapPatches, min(m, images.count - 1))
            XCTAssertGreaterThan(report.bootstrapBits, 0)
            XCTAssertLessThan(report.initialBits, plain.report.initialBits, "m = \(m)")
            let (decoded, _, header) = try codec.decode(bytes)
            XCTAssertEqual(decoded, images, "m = \(m)")
            XCTAssertEqual(FileSummary(bytesOrNil: bytes)?.parameters?.bootstrap, report.bootstrapPatches)
            _ = header
        }
        // Patches of one image (a 30×12 image is two patches of this 28×28 model).
        let wide = try smooth("wide.png", seed: 5, width: 30, height: 12)
        let (codec, bytes, report) = try encode([wide], model: "gray28-attn", bootstrap: 2)
        XCTAssertEqual(report.bootstrapPatches, 1, "all but the last patch at most")
        XCTAssertEqual(try codec.decode(bytes).images, [wide])
    }

    /// The encoder's own choice is deterministic and never worse than the chain alone here.
    /// Which routes an encode tries: both for small inputs; above the trial size bits-back for many
    /// items and the direct route alone for one (a whole-image model's lone photo), whose initial
    /// bits nothing could carry.
    func testTheAutomaticRouteSendsALoneLargeItemDirect() {
        let small = LosslessRoute.trialDimensions, large = LosslessRoute.trialDimensions + 1
        XCTAssertTrue(LosslessRoute.automatic.tries(dimensions: small, items: 1) == (true, true))
        XCTAssertTrue(LosslessRoute.automatic.tries(dimensions: small, items: 40) == (true, true))
        XCTAssertTrue(LosslessRoute.automatic.tries(dimensions: large, items: 1) == (false, true))
        XCTAssertTrue(LosslessRoute.automatic.tries(dimensions: large, items: 2) == (true, false))
        for dims in [small, large] {
            XCTAssertTrue(LosslessRoute.bitsBack.tries(dimensions: dims, items: 1) == (true, false))
            XCTAssertTrue(LosslessRoute.direct.tries(dimensions: dims, items: 5) == (false, true))
        }
    }

    func testTheAutomaticChoiceIsDeterministic() throws {
        let images = try (0..<6).map { try smooth("s\($0).png", seed: $0) }
        let a = try encode(images, model: "gray28-plain", bootstrap: nil)
        let b = try encode(images, model: "gray28-plain", bootstrap: nil)
        XCTAssertEqual(a.bytes, b.bytes)
        XCTAssertGreaterThan(a.report.bootstrapPatches, 0)
        XCTAssertEqual(try a.codec.decode(a.bytes).images, images)
        let plain = try encode(images, model: "gray28-plain", bootstrap: 0)
        XCTAssertLessThan(a.bytes.count, plain.bytes.count)
    }

    /// A progressive file's lossless tail: the first patches continue directly from x_T* and their bits
    /// carry the chain of the others; all of them direct leaves no initial bits at all. The progressive
    /// stream (what a prefix decodes) is the same whatever the tail does.
    func testProgressiveTailsBootstrap() throws {
        let images = try (0..<4).map { try smooth("s\($0).png", seed: $0) }
        let codec = try ProgressiveCodec(model: try fixtureModel("gray28-plain"))
        func encode(_ images: [NamedImage], _ m: Int?) throws -> ProgressiveEncodeResult {
            var p = CodingParameters(mode: .progressive)
            p.steps = 3
            p.losslessAfter = 2
            p.bootstrap = m
            return try codec.encode(images, kind: .folder, parameters: p)
        }
        let plain = try encode(images, 0)
        XCTAssertGreaterThan(plain.initialBits, 0)
        XCTAssertEqual(plain.tailBootstrapPatches, 0)
        for m in [1, 5] {
            let r = try encode(images, m)
            XCTAssertEqual(r.tailBootstrapPatches, min(m, images.count))
            XCTAssertEqual(r.progressiveBytes, plain.progressiveBytes, "m = \(m)")
            XCTAssertLessThan(r.initialBits, plain.initialBits, "m = \(m)")
            if m >= images.count { XCTAssertEqual(r.initialBits, 0) }
            let d = try codec.decode(r.bytes)
            XCTAssertTrue(d.exact, "m = \(m)")
            XCTAssertEqual(d.images, images, "m = \(m)")
            XCTAssertEqual(FileSummary(bytesOrNil: r.bytes)?.parameters?.bootstrap, r.tailBootstrapPatches)
            // A prefix still decodes as a preview of its step.
            XCTAssertFalse(try codec.decode(Array(r.bytes.prefix(r.headerBytes + r.progressiveBytes / 2))).exact)
        }
        // The encoder's choice: deterministic, and smaller than the tail with initial bits.
        let a = try encode(images, nil), b = try encode(images, nil)
        XCTAssertEqual(a.bytes, b.bytes)
        XCTAssertGreaterThan(a.tailBootstrapPatches, 0)
        XCTAssertLessThan(a.bytes.count, plain.bytes.count)
        XCTAssertEqual(try codec.decode(a.bytes).images, images)
        // A lone patch continues directly as a whole: no initial bits.
        let lone = try encode([images[0]], nil)
        XCTAssertEqual(lone.tailBootstrapPatches, 1)
        XCTAssertEqual(lone.initialBits, 0)
        XCTAssertEqual(try codec.decode(lone.bytes).images, [images[0]])
        // Below T* = 2 the tail pops nothing: every patch continues to its decoder step inside the
        // progressive section, which the header need not say.
        var p = CodingParameters(mode: .progressive)
        p.steps = 4
        p.losslessAfter = 1
        let direct = try codec.encode(images, kind: .folder, parameters: p)
        XCTAssertEqual(direct.tailBootstrapPatches, images.count)
        let (header, sections, _) = try DDPMFile.decode(direct.bytes)
        XCTAssertEqual(sections.map(\.kind), [.progressive])
        XCTAssertNil(header.parameters[CodingParameters.HeaderKey.bootstrap.rawValue])
        XCTAssertEqual(try codec.decode(direct.bytes).images, images)
    }

    /// A tail whose header claims more bootstrap patches or bytes than it has is an error.
    func testADamagedTailBootstrapIsAnError() throws {
        let images = try (0..<3).map { try smooth("s\($0).png", seed: $0) }
        let codec = try ProgressiveCodec(model: try fixtureModel("gray28-plain"))
        var p = CodingParameters(mode: .progressive)
        p.steps = 4
        p.losslessAfter = 3
        p.bootstrap = 1
        let r = try codec.encode(images, kind: .folder, parameters: p)
        let (header, sections, _) = try DDPMFile.decode(r.bytes)
        for (key, value) in [(CodingParameters.HeaderKey.bootstrap, 4.0), (.bootstrap, 3.0), (.bootstrapBytes, 1.0)] {
            var bad = header
            bad.parameters[key.rawValue] = key == .bootstrapBytes ? header.parameters[key.rawValue]! + value : value
            XCTAssertThrowsError(try codec.decode(DDPMFile.encode(header: bad, sections: sections)), "\(key) \(value)")
        }
    }

    /// A damaged bootstrap, or a count that claims every patch, is an error, never a wrong image.
    func testDamageIsAnError() throws {
        let images = try (0..<3).map { try smooth("s\($0).png", seed: $0) }
        let (codec, bytes, _) = try encode(images, model: "gray28-plain", bootstrap: 1)
        var (header, sections, _) = try DDPMFile.decode(bytes)
        var bad = header
        bad.parameters[CodingParameters.HeaderKey.bootstrap.rawValue] = 3
        XCTAssertThrowsError(try codec.decode(DDPMFile.encode(header: bad, sections: sections)))
        bad = header
        bad.parameters[CodingParameters.HeaderKey.bootstrapBytes.rawValue]! += 1
        XCTAssertThrowsError(try codec.decode(DDPMFile.encode(header: bad, sections: sections)))
        sections[0].payload[sections[0].payload.count / 2] ^= 0x10
        header.modelName = ""
        XCTAssertThrowsError(try codec.decode(DDPMFile.encode(header: header, sections: sections)))
    }
}

private extension FileSummary {
    init?(bytesOrNil bytes: [UInt8]) { try? self.init(bytes: bytes) }
}

// @testable only for ChainStatistics(), whose initializer is internal (see the report).
@testable import Codec
import Diffusion
import EntropyCoding
import ImageIO
import Numerics
import XCTest

/// The progressive codec on the fixture models, with short chains and small chunks so the
/// tests stay fast (the coding logic is the same for every step count and chunk size).
final class ProgressiveTests: XCTestCase {
    typealias Frame = (step: Int, images: [NamedImage])

    static func parameters(steps: Int, chunkBits: Int = 8, losslessAfter: Int? = nil, groupSize: Int = 32) -> CodingParameters {
        var p = CodingParameters(mode: .progressive)
        p.steps = steps
        p.chunkBits = chunkBits
        p.losslessAfter = losslessAfter
        p.groupSize = groupSize
        return p
    }

    /// The network ProgressiveCodec builds for a chain of `steps` (its own builder is internal).
    static func network(_ model: DiffusionModel, steps: Int) throws -> PatchNetwork {
        PatchNetwork(model: model, process: try model.reverseProcess(steps: steps, spacing: CodingParameters(mode: .progressive).spacing))
    }

    static func entries(_ images: [NamedImage]) -> [ImageEntry] {
        images.map { ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels) }
    }

    /// Whole images from per-patch model-space values, as the decoder makes them.
    static func images(_ planes: [[Double]], entries: [ImageEntry], model: DiffusionModel) throws -> [NamedImage] {
        let whole = Patches.assemble(planes, entries: entries, model: model, fill: 0.0)
        return try zip(entries, whole).map { e, x in
            NamedImage(name: e.name, image: try Image(width: e.width, height: e.height, channels: e.channels, pixels: Patches.pixels(x)))
        }
    }

    static func isTyped(_ error: Error) -> Bool {
        error is FormatError || error is ProgressiveError || error is LosslessError || error is EntropyCodingError
            || error is ImageIOError
    }

    // MARK: prefixes

    /// Encodes, then decodes prefixes cut across the file: each must equal the full file decoded
    /// with `stopStep` = the step the prefix reached, reach exactly the step the encoder's
    /// records predict, and see the same x̂0 frames as the full decode and as the encoder.
    func checkPrefixes(_ images: [NamedImage], model name: String, steps: Int, reconstructions: Bool = false,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try fixtureModel(name)
        let codec = try ProgressiveCodec(model: model)
        let p = Self.parameters(steps: steps)
        var encoderStates: [ProgressiveCoder.StepState] = []
        let r = try codec.encode(images, kind: .folder, parameters: p, observe: { encoderStates.append($0) })
        let bytes = r.bytes
        let allSteps = Array((1...steps).reversed())
        XCTAssertEqual(r.records.map(\.step), allSteps, file: file, line: line)
        XCTAssertEqual(encoderStates.map(\.step), allSteps, file: file, line: line)
        XCTAssertEqual(encoderStates.map(\.bitEnd), r.records.map(\.bitEnd), file: file, line: line)
        for (a, b) in zip(r.records, r.records.dropFirst()) {
            XCTAssertLessThan(a.bitEnd, b.bitEnd, "every step takes at least one bit", file: file, line: line)
        }
        XCTAssertTrue(r.records.allSatisfy { $0.klBits >= 0 && $0.klBits.isFinite }, file: file, line: line)
        XCTAssertEqual(r.progressiveBytes, (r.records.last!.bitEnd + 7) / 8, file: file, line: line)
        XCTAssertEqual(r.headerBytes + r.progressiveBytes, bytes.count, "a lossy file is header + stream", file: file, line: line)
        XCTAssertEqual(r.losslessBytes, 0, file: file, line: line)
        XCTAssertEqual(r.dimensions, images.reduce(0) { $0 + $1.image.pixels.count }, file: file, line: line)

        // The whole file, with its frames.
        var fullFrames: [Frame] = []
        let full = try codec.decode(bytes, frame: { fullFrames.append(($0, $1)) })
        XCTAssertEqual(full.reachedStep, 1, file: file, line: line)
        XCTAssertFalse(full.exact, file: file, line: line)
        XCTAssertNil(full.damage, file: file, line: line)
        XCTAssertEqual(full.kind, .folder, file: file, line: line)
        XCTAssertEqual(full.steps, steps, file: file, line: line)
        XCTAssertEqual(full.fileBits, bytes.count * 8, file: file, line: line)
        XCTAssertEqual(full.bitsUsed, r.headerBytes * 8 + r.records.last!.bitEnd, file: file, line: line)
        XCTAssertEqual(fullFrames.map(\.step), allSteps, file: file, line: line)
        XCTAssertEqual(full.images, fullFrames.last?.images, "the x̂0 result is the last frame", file: file, line: line)
        XCTAssertEqual(full.images.map(\.name), images.map(\.name), file: file, line: line)
        XCTAssertEqual(full.images.map { [$0.image.width, $0.image.height, $0.image.channels] },
                       images.map { [$0.image.width, $0.image.height, $0.image.channels] }, file: file, line: line)
        XCTAssertNotEqual(fullFrames.first?.images, fullFrames.last?.images, "the frames do change", file: file, line: line)

        // The encoder's x_t give the decoder's frames: both sides agree on every latent.
        let net = try Self.network(model, steps: steps)
        let entries = Self.entries(images)
        let shapes = Patches.shapes(entries, model: model)
        XCTAssertEqual(encoderStates.first?.values.count, shapes.count, file: file, line: line)
        for (state, frame) in zip(encoderStates, fullFrames) {
            let x0 = Reconstruction.xhat.run(network: net, shapes: shapes, state: state, seed: p.seed)
            XCTAssertEqual(try Self.images(x0, entries: entries, model: model), frame.images,
                           "encoder and decoder frames differ at step \(state.step)", file: file, line: line)
        }

        // Cuts inside the container header: a typed error, no crash.
        let headerEnd = try DDPMFile.headerLength(r.bytes)
        for cut in [0, 1, 5, 6, 8, 11, 12, headerEnd / 2, headerEnd - 1, headerEnd, headerEnd + 1, r.headerBytes - 1, r.headerBytes] {
            XCTAssertThrowsError(try codec.decode(Array(bytes.prefix(cut))), "cut at \(cut)", file: file, line: line) { error in
                XCTAssertTrue(Self.isTyped(error), "cut at \(cut): \(type(of: error)) \(error)", file: file, line: line)
                XCTAssertFalse("\(error)".isEmpty, file: file, line: line)
            }
        }

        // Cuts across the stream.
        let body = bytes.count - r.headerBytes
        let cuts = Set((1...7).map { r.headerBytes + body * $0 / 7 } + [r.headerBytes + 1, r.headerBytes + 2, bytes.count - 1, bytes.count])
        var previousReached = Int.max
        var decodedCuts = 0
        var stoppedAt: [Int: ProgressiveDecodeResult] = [:]
        for cut in cuts.sorted() {
            let prefix = Array(bytes.prefix(cut))
            let available = (cut - r.headerBytes) * 8
            // The decoder must reach the lowest step whose end the prefix holds.
            guard let expected = r.records.last(where: { $0.bitEnd <= available }) else {
                XCTAssertThrowsError(try codec.decode(prefix), "cut at \(cut)", file: file, line: line) { error in
                    XCTAssertTrue(error is ProgressiveError, "cut at \(cut): \(error)", file: file, line: line)
                }
                continue
            }
            // decodePrefix hands over the received part of the stream.
            let container = try DDPMFile.decodePrefix(prefix)
            if cut < bytes.count {
                XCTAssertEqual(container.partial?.payload, Array(bytes[r.headerBytes..<cut]), "cut at \(cut)", file: file, line: line)
                XCTAssertNotNil(container.damage, file: file, line: line)
                XCTAssertTrue(container.sections.isEmpty, file: file, line: line)
            } else {
                XCTAssertNil(container.partial, file: file, line: line)
                XCTAssertNil(container.damage, file: file, line: line)
            }
            var frames: [Frame] = []
            let part = try codec.decode(prefix, frame: { frames.append(($0, $1)) })
            decodedCuts += 1
            let reached = try XCTUnwrap(part.reachedStep, file: file, line: line)
            XCTAssertEqual(reached, expected.step, "cut at \(cut)", file: file, line: line)
            XCTAssertEqual(part.bitsUsed, r.headerBytes * 8 + expected.bitEnd, "cut at \(cut)", file: file, line: line)
            XCTAssertLessThanOrEqual(part.bitsUsed, cut * 8, file: file, line: line)
            XCTAssertEqual(part.fileBits, cut * 8, file: file, line: line)
            XCTAssertFalse(part.exact, file: file, line: line)
            XCTAssertEqual(part.damage != nil, cut < bytes.count, "cut at \(cut): \(part.damage ?? "-")", file: file, line: line)
            XCTAssertLessThanOrEqual(reached, previousReached, "a longer prefix reaches a lower or equal step", file: file, line: line)
            previousReached = reached

            if stoppedAt[reached] == nil { stoppedAt[reached] = try codec.decode(bytes, stopStep: reached) }
            let stopped = stoppedAt[reached]!
            XCTAssertEqual(stopped.reachedStep, reached, file: file, line: line)
            XCTAssertEqual(stopped.bitsUsed, part.bitsUsed, file: file, line: line)
            XCTAssertNil(stopped.damage, file: file, line: line)
            XCTAssertEqual(part.images, stopped.images, "cut at \(cut) (step \(reached)) differs from --step \(reached)",
                           file: file, line: line)

            XCTAssertEqual(frames.map(\.step), Array(allSteps.prefix(frames.count)), file: file, line: line)
            XCTAssertEqual(frames.last?.step, reached, file: file, line: line)
            for (f, g) in zip(frames, fullFrames) {
                XCTAssertEqual(f.images, g.images, "frame of step \(f.step) at cut \(cut)", file: file, line: line)
            }
        }
        XCTAssertGreaterThanOrEqual(decodedCuts, 4, file: file, line: line)
        XCTAssertGreaterThanOrEqual(stoppedAt.count, 3, "the cuts reach several steps", file: file, line: line)
        XCTAssertEqual(previousReached, 1, file: file, line: line)

        // The other reconstructions agree between a prefix and the full file stopped at its step,
        // and are not x̂0.
        guard reconstructions else { return }
        let mid = r.records[steps / 2]
        let cut = r.headerBytes + (mid.bitEnd + 7) / 8
        let prefix = Array(bytes.prefix(cut))
        let xhat = try codec.decode(prefix)
        XCTAssertEqual(xhat.reachedStep, mid.step, file: file, line: line)
        for how in [Reconstruction.sample, .ddim] {
            let a = try codec.decode(prefix, reconstruction: how)
            let b = try codec.decode(bytes, stopStep: mid.step, reconstruction: how)
            XCTAssertEqual(a.reachedStep, mid.step, file: file, line: line)
            XCTAssertEqual(a.images, b.images, "\(how)", file: file, line: line)
            XCTAssertNotEqual(a.images, xhat.images, "\(how) reconstruction equals x̂0", file: file, line: line)
        }
    }

    func testGrayPrefixesDecodeLikeTheFullFileStoppedAtTheirStep() throws {
        // 11×8 on 8×8 patches: a whole patch and a 3-wide one.
        try checkPrefixes([try randomImage("g.png", width: 11, height: 8, channels: 1, seed: 11)], model: "opt-uneven-heads", steps: 4,
                          reconstructions: true)
    }

    func testRGBPrefixesDecodeLikeTheFullFileStoppedAtTheirStep() throws {
        try checkPrefixes([try randomImage("c.png", width: 11, height: 5, channels: 3, seed: 12)], model: "opt-scale-shift", steps: 4)
    }

    func testArchivePrefixesDecodeLikeTheFullFileStoppedAtTheirStep() throws {
        let images = [try randomImage("a.png", width: 5, height: 3, channels: 1, seed: 13),
                      try randomImage("b.png", width: 4, height: 9, channels: 1, seed: 14)]
        try checkPrefixes(images, model: "opt-uneven-heads", steps: 3)
    }

    // MARK: the lossless tail

    /// `thorough`: also the lossy decodes at and around T* (the same code for every model).
    func checkLossless(_ images: [NamedImage], model name: String, steps: Int, tStar: Int, groupSize: Int = 32,
                       thorough: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let codec = try ProgressiveCodec(model: try fixtureModel(name))
        let p = Self.parameters(steps: steps, losslessAfter: tStar, groupSize: groupSize)
        let r = try codec.encode(images, kind: .folder, parameters: p)
        XCTAssertEqual(r.records.map(\.step), Array((tStar...steps).reversed()), file: file, line: line)
        XCTAssertGreaterThan(r.losslessBytes, 0, file: file, line: line)
        // A tail that continues every patch directly (always below T* = 2) follows the stream in its
        // section; else it is a bits-back section of its own.
        let merged = try !DDPMFile.decode(r.bytes).sections.contains { $0.kind == .bitsBack }
        XCTAssertEqual(merged, r.tailBootstrapPatches == Patches.shapes(images.map {
            ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels)
        }, model: codec.model).count, file: file, line: line)
        if tStar == 1 { XCTAssertTrue(merged, file: file, line: line) }
        let tailHeader = merged ? 0 : DDPMFile.sectionHeaderLength(payload: r.losslessBytes)
        XCTAssertEqual(r.bytes.count, r.headerBytes + r.progressiveBytes + tailHeader + r.losslessBytes, file: file, line: line)

        let exact = try codec.decode(r.bytes)
        XCTAssertTrue(exact.exact, file: file, line: line)
        XCTAssertNil(exact.reachedStep, file: file, line: line)
        XCTAssertNil(exact.damage, file: file, line: line)
        XCTAssertEqual(exact.bitsUsed, r.bytes.count * 8, file: file, line: line)
        XCTAssertEqual(exact.images, images, "T* = \(tStar): the lossless tail does not round trip", file: file, line: line)
        guard thorough else { return }

        // --step T*: the lossy image at T*, which is also what the progressive section alone gives,
        // with or without part of the lossless section, or with a damaged one.
        let atTStar = try codec.decode(r.bytes, stopStep: tStar)
        XCTAssertFalse(atTStar.exact, file: file, line: line)
        XCTAssertEqual(atTStar.reachedStep, tStar, file: file, line: line)
        let streamEnd = r.headerBytes + r.progressiveBytes
        var damaged = r.bytes
        damaged[damaged.count - 1] ^= 0x20
        // One checksum covers a merged stream and tail: damage there is an error, never a wrong image.
        if merged {
            XCTAssertThrowsError(try codec.decode(damaged), file: file, line: line) {
                XCTAssertEqual($0 as? FormatError, .corrupted(what: "section 1"), file: file, line: line)
            }
        }
        for (what, b) in [("half the lossless section", Array(r.bytes.prefix(streamEnd + tailHeader + r.losslessBytes / 2))),
                          ("a damaged lossless section", damaged)] where !(merged && what.hasPrefix("a damaged")) {
            let d = try codec.decode(b)
            XCTAssertFalse(d.exact, what, file: file, line: line)
            XCTAssertEqual(d.reachedStep, tStar, what, file: file, line: line)
            XCTAssertNotNil(d.damage, what, file: file, line: line)
            XCTAssertEqual(d.images, atTStar.images, what, file: file, line: line)
        }
        // The exact decode is not available from a stop above T* either.
        if tStar < steps {
            let above = try codec.decode(r.bytes, stopStep: tStar + 1)
            XCTAssertEqual(above.reachedStep, tStar + 1, file: file, line: line)
            XCTAssertFalse(above.exact, file: file, line: line)
        }
        XCTAssertThrowsError(try codec.decode(r.bytes, stopStep: tStar - 1), "below T*", file: file, line: line) { error in
            XCTAssertTrue(error is ProgressiveError, "\(error)", file: file, line: line)
        }
    }

    func testLosslessAfterRoundTripsGray() throws {
        let one = [try randomImage("g.png", width: 11, height: 8, channels: 1, seed: 21)]
        try checkLossless(one, model: "opt-uneven-heads", steps: 4, tStar: 1)
        try checkLossless(one, model: "opt-uneven-heads", steps: 4, tStar: 2)
        let archive = [try randomImage("a", width: 8, height: 8, channels: 1, seed: 22),
                       try randomImage("b", width: 9, height: 3, channels: 1, seed: 23),
                       try randomImage("c", width: 2, height: 2, channels: 1, seed: 24)]
        // Four patches in groups of two: the groups chain on one stack.
        try checkLossless(archive, model: "opt-uneven-heads", steps: 4, tStar: 2, groupSize: 2)
        try checkLossless(archive, model: "opt-uneven-heads", steps: 3, tStar: 3, thorough: false)
    }

    func testLosslessAfterRoundTripsRGB() throws {
        let one = [try randomImage("c.png", width: 11, height: 5, channels: 3, seed: 31)]
        try checkLossless(one, model: "opt-scale-shift", steps: 4, tStar: 1)
        try checkLossless(one, model: "opt-scale-shift", steps: 4, tStar: 2)
        let archive = [try randomImage("x", width: 9, height: 5, channels: 3, seed: 32),
                       try randomImage("y", width: 1, height: 1, channels: 3, seed: 34)]
        try checkLossless(archive, model: "opt-scale-shift", steps: 3, tStar: 2, groupSize: 1, thorough: false)
        // Learned variances (a 32×32 patch; T* = 2: this random network's step-1 KL is enormous).
        try checkLossless([try randomImage("v.png", width: 9, height: 5, channels: 3, seed: 35)],
                          model: "learned-var", steps: 3, tStar: 2, thorough: false)
    }

    /// Both spacings code losslessly after T*, and the decoder takes the spacing from the header
    /// (even is the progressive default and what files without the field mean).
    func testBothTimestepSpacingsRoundTrip() throws {
        let images = [try randomImage("s.png", width: 10, height: 7, channels: 1, seed: 41)]
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        XCTAssertEqual(CodingParameters(mode: .progressive).spacing, .even)
        var streams: [[UInt8]] = []
        for spacing in [TimestepSpacing.even, .quadratic] {   // .model: ModelChainTests
            var p = Self.parameters(steps: 5, losslessAfter: 2)
            p.spacing = spacing
            let r = try codec.encode(images, kind: .folder, parameters: p)
            let (header, _, _) = try DDPMFile.decode(r.bytes)
            XCTAssertEqual(header.parameters[CodingParameters.HeaderKey.spacing.rawValue], Double(spacing.code))
            let d = try codec.decode(r.bytes)
            XCTAssertTrue(d.exact, "\(spacing)")
            XCTAssertEqual(d.images, images, "\(spacing)")
            streams.append(r.bytes)
        }
        XCTAssertNotEqual(streams[0], streams[1])
    }

    // MARK: robustness

    /// Every prefix of a small file (progressive stream and lossless tail) decodes or throws a
    /// typed error; what decodes is consistent with the file.
    func testTruncationAtEveryByteNeverCrashes() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("s.png", width: 5, height: 4, channels: 1, seed: 41)
        let r = try codec.encode([image], kind: .png, parameters: Self.parameters(steps: 3, chunkBits: 6, losslessAfter: 2))
        XCTAssertLessThan(r.bytes.count, 600)
        var decoded = 0, exact = 0
        var previous = Int.max
        for cut in 0...r.bytes.count {
            do {
                let d = try codec.decode(Array(r.bytes.prefix(cut)))
                decoded += 1
                XCTAssertLessThanOrEqual(d.bitsUsed, cut * 8)
                if d.exact {
                    exact += 1
                    XCTAssertEqual(cut, r.bytes.count, "only the whole file decodes exactly")
                    XCTAssertEqual(d.images.map(\.image), [image.image])
                } else {
                    let reached = try XCTUnwrap(d.reachedStep)
                    XCTAssertTrue((2...3).contains(reached), "cut \(cut) reached \(reached)")
                    XCTAssertLessThanOrEqual(reached, previous)
                    previous = reached
                }
            } catch {
                XCTAssertTrue(Self.isTyped(error), "cut at \(cut): \(type(of: error)) \(error)")
                XCTAssertEqual(decoded, 0, "cut at \(cut) failed after a shorter prefix decoded: \(error)")
            }
        }
        XCTAssertEqual(exact, 1)
        XCTAssertGreaterThan(decoded, r.losslessBytes)
    }

    /// Garbage progressive streams behind a valid checksum: typed errors or a result, never a trap.
    func testGarbageStreamsWithValidChecksumsNeverCrash() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("s.png", width: 8, height: 8, channels: 1, seed: 42)
        let r = try codec.encode([image], kind: .png, parameters: Self.parameters(steps: 3, chunkBits: 6))
        let (header, sections, damage) = try DDPMFile.decode(r.bytes)
        XCTAssertNil(damage)
        let stream = try XCTUnwrap(sections.first { $0.kind == .progressive }).payload
        var rng: UInt64 = 0x5EED
        func next() -> UInt8 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: rng >> 56)
        }
        var outcomes = (decoded: 0, failed: 0)
        for trial in 0..<30 {
            var payload: [UInt8]
            switch trial % 3 {
            case 0: payload = (0..<stream.count).map { _ in next() }
            case 1: payload = stream; payload[Int(next()) % payload.count] ^= 1 << (next() % 8)
            default: payload = Array(stream.prefix(Int(next()) % stream.count)) + (0..<8).map { _ in next() & 0x0F }
            }
            let bytes = DDPMFile.encode(header: header, sections: [Section(kind: .progressive, payload: payload)])
            do {
                let d = try codec.decode(bytes)
                outcomes.decoded += 1
                XCTAssertNotNil(d.reachedStep)
            } catch {
                outcomes.failed += 1
                XCTAssertTrue(Self.isTyped(error), "trial \(trial): \(type(of: error)) \(error)")
            }
        }
        XCTAssertEqual(outcomes.decoded + outcomes.failed, 30)
    }

    func testBadParametersAreRefused() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("s.png", width: 8, height: 8, channels: 1, seed: 43)
        for p in [Self.parameters(steps: 3, losslessAfter: 4), Self.parameters(steps: 3, losslessAfter: 0),
                  Self.parameters(steps: 3, chunkBits: 0), Self.parameters(steps: 3, chunkBits: 21)] {
            XCTAssertThrowsError(try codec.encode([image], kind: .png, parameters: p)) { error in
                XCTAssertTrue(error is CodingParameterError, "\(error)")
            }
        }
        let r = try codec.encode([image], kind: .png, parameters: Self.parameters(steps: 3))
        for step in [0, 4, -1] {
            XCTAssertThrowsError(try codec.decode(r.bytes, stopStep: step)) { error in
                XCTAssertTrue("\(error)".contains("1...3"), "\(error)")
            }
        }
        XCTAssertThrowsError(try ProgressiveCodec(model: try fixtureModel("gray28-plain")).decode(r.bytes)) { error in
            XCTAssertTrue("\(error)".contains("SHA-256"), "\(error)")
        }
        // A lossless file has no progressive section.
        var lp = CodingParameters(); lp.steps = 2
        let (lossless, _) = try LosslessCodec(model: try fixtureModel("opt-uneven-heads")).encode([image], kind: .png, parameters: lp)
        XCTAssertThrowsError(try codec.decode(lossless)) { error in
            XCTAssertTrue("\(error)".contains("no progressive section"), "\(error)")
        }
        // The wrong channel count.
        let rgb = try randomImage("c.png", width: 8, height: 8, channels: 3, seed: 44)
        XCTAssertThrowsError(try codec.encode([rgb], kind: .png, parameters: Self.parameters(steps: 3))) { error in
            XCTAssertTrue("\(error)".contains("channel"), "\(error)")
        }
    }

    func testEncodingIsDeterministicAndTheSeedMatters() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("s.png", width: 8, height: 8, channels: 1, seed: 45)
        var p = Self.parameters(steps: 3)
        let a = try codec.encode([image], kind: .png, parameters: p)
        let b = try codec.encode([image], kind: .png, parameters: p)
        XCTAssertEqual(a.bytes, b.bytes)
        p.seed ^= 1
        let c = try codec.encode([image], kind: .png, parameters: p)
        XCTAssertNotEqual(Array(a.bytes.suffix(a.progressiveBytes)), Array(c.bytes.suffix(c.progressiveBytes)))
        XCTAssertNotEqual(try codec.decode(a.bytes).images, try codec.decode(c.bytes).images)
    }

    // MARK: bug probes (see the report: these fail on the code as it stands)

    /// A chunk budget below the per-dimension KL of a step makes more chunks than dimensions;
    /// the encoder writes such a file and the decoder rejects it as damaged. Either the encoder
    /// must refuse the parameters or the file must decode.
    func testSmallChunkBudgetsAreRefusedOrDecodable() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("g.png", width: 8, height: 8, channels: 1, seed: 51)
        for chunkBits in [1, 2] {
            let r: ProgressiveEncodeResult
            do {
                r = try codec.encode([image], kind: .png, parameters: Self.parameters(steps: 4, chunkBits: chunkBits))
            } catch {
                XCTAssertTrue(error is ProgressiveError, "\(error)")
                continue
            }
            XCTAssertNoThrow(XCTAssertEqual(try codec.decode(r.bytes).reachedStep, 1),
                             "--chunk-bits \(chunkBits): the encoder wrote a file its decoder rejects")
        }
    }

    /// A prefix that ends exactly after the container header is a truncated progressive file,
    /// not a lossless one.
    func testAPrefixEndingAtTheHeaderIsNotCalledLossless() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("s.png", width: 8, height: 8, channels: 1, seed: 52)
        let r = try codec.encode([image], kind: .png, parameters: Self.parameters(steps: 3))
        let headerEnd = try DDPMFile.headerLength(r.bytes)
        XCTAssertThrowsError(try codec.decode(Array(r.bytes.prefix(headerEnd)))) { error in
            XCTAssertFalse("\(error)".contains("lossless"), "misleading message: \(error)")
        }
    }

    /// A file whose header promises a lossless tail (T* > 0) but that ends right after the
    /// progressive section is cut short, and the result should say so.
    func testAMissingLosslessSectionIsReportedAsDamage() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        let image = try randomImage("s.png", width: 8, height: 8, channels: 1, seed: 53)
        let r = try codec.encode([image], kind: .png, parameters: Self.parameters(steps: 3, losslessAfter: 2))
        let d = try codec.decode(Array(r.bytes.prefix(r.headerBytes + r.progressiveBytes)))
        XCTAssertFalse(d.exact)
        XCTAssertEqual(d.reachedStep, 2)
        XCTAssertNotNil(d.damage, "the lossless section is missing, yet no damage is reported")
    }

    // MARK: the bridged chain

    func testBridgedChainRoundTripsAndRestoresTheStack() throws {
        let model = try fixtureModel("opt-uneven-heads")
        let steps = 4
        let net = try Self.network(model, steps: steps)
        let latents = try LatentCoder(process: net.process, gridBits: 4, windowSigmas: 8)
        let chain = BitsBackChain(model: model, process: net.process, latents: latents)
        let images = [try randomImage("a", width: 12, height: 10, channels: 1, seed: 61),
                      try randomImage("b", width: 5, height: 3, channels: 1, seed: 62)]
        let items = Patches.items(images.map(\.image), model: model)
        let shapes = items.map { ChainShape(height: $0.height, width: $0.width, channels: $0.channels) }
        let schedule = net.process.schedule
        for s in [1, 2, steps] {
            // x_s ~ q(x_s | x_0), as the progressive stream would leave it.
            let top = ChainTop(step: s, values: items.enumerated().map { j, item in
                var noise = [Double](repeating: 0, count: item.dimensions)
                Philox4x32.fillStandardNormal(&noise, seed: 77, stream: UInt64(j))
                return item.pixels.enumerated().map { d, px in
                    schedule.sqrtAlphasCumprod[s - 1] * DiscretizedDecoder.value(Int(px))
                        + schedule.oneMinusAlphasCumprod[s - 1].squareRoot() * noise[d]
                }
            })
            // A stack that already holds something, as a later group of an archive sees it.
            var stack = RANSStack(seed: 5)
            for i in 0..<40 { try stack.push(start: UInt32(i % 16), frequency: 1, precision: 4) }
            let before = stack
            var stats = ChainStatistics()
            var progress: [Int] = []
            try chain.encode(items, top: top, onto: &stack, statistics: &stats) { progress.append($0) }
            XCTAssertEqual(progress, Array(1...s), "s = \(s)")
            XCTAssertGreaterThan(stats.idealBits, 0, "s = \(s)")
            XCTAssertFalse(stack.hasSameContent(as: before), "s = \(s): the chain coded nothing")

            var decodeStack = stack
            var decodeStats = ChainStatistics()
            let pixels = try chain.decode(shapes: shapes, top: top, from: &decodeStack, statistics: &decodeStats) { _ in }
            XCTAssertEqual(pixels, items.map(\.pixels), "s = \(s): pixels differ")
            XCTAssertTrue(decodeStack.hasSameContent(as: before), "s = \(s): the stack is not back to its initial state")
            guard s > 1 else { continue }   // s = 1 pops nothing: nothing is borrowed, x_1 only conditions
            // From a fresh stack through the serialized form, as a file carries it: the decoder
            // borrows nothing and ends holding only the initial bits (the codec's own check).
            var fresh = RANSStack(seed: 6)
            try chain.encode(items, top: top, onto: &fresh, statistics: &stats) { _ in }
            var loaded = try RANSStack(serializedBytes: fresh.serializedBytes(), seed: 6)
            let again = try chain.decode(shapes: shapes, top: top, from: &loaded, statistics: &decodeStats) { _ in }
            XCTAssertEqual(again, items.map(\.pixels), "s = \(s)")
            XCTAssertEqual(loaded.borrowedWordCount, 0, "s = \(s)")
            XCTAssertTrue(loaded.holdsOnlyInitialBits, "s = \(s)")

            // The receiver must know x_s: with another one the decode goes wrong.
            guard s == steps else { continue }
            let wrong = ChainTop(step: s, values: top.values.map { $0.map { $0 + 0.25 } })
            var wrongStack = stack
            if let px = try? chain.decode(shapes: shapes, top: wrong, from: &wrongStack, statistics: &decodeStats, progress: { _ in }) {
                XCTAssertFalse(px == items.map(\.pixels) && wrongStack.hasSameContent(as: before), "s = \(s)")
            }
        }
    }

    // MARK: reverse channel coding

    func testReverseChannelCandidatesAreDeterministicAndStreamsDistinct() {
        let seed: UInt64 = 0xC0FFEE
        var a = [Double](repeating: 0, count: 19), b = a, c = a, d = a
        ReverseChannel.candidate(seed: seed, stream: ReverseChannel.stream(step: 3, item: 1, chunk: 2), index: 7, count: 19, into: &a)
        ReverseChannel.candidate(seed: seed, stream: ReverseChannel.stream(step: 3, item: 1, chunk: 2), index: 7, count: 19, into: &b)
        ReverseChannel.candidate(seed: seed, stream: ReverseChannel.stream(step: 3, item: 1, chunk: 2), index: 8, count: 19, into: &c)
        ReverseChannel.candidate(seed: seed, stream: ReverseChannel.stream(step: 3, item: 2, chunk: 2), index: 7, count: 19, into: &d)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(a, d)
        let table = Set(QuantizedNormal.shared.values)
        XCTAssertTrue(a.allSatisfy { table.contains($0) }, "candidates are table values")
        // Stream ids are distinct for distinct (step, item, chunk).
        var ids = Set<UInt64>()
        for step in [0, 1, 999, 65535] { for item in [0, 1, (1 << 24) - 1] { for chunk in [0, 1, (1 << 24) - 1] {
            ids.insert(ReverseChannel.stream(step: step, item: item, chunk: chunk))
        } } }
        XCTAssertEqual(ids.count, 4 * 3 * 3)
    }

    func testReverseChannelChoiceIsInRangeAndFindsAMatchingCandidate() {
        let seed: UInt64 = 99
        var z = [Double](repeating: 0, count: 8)
        for bits in [1, 4, 6] {
            for target in [0, (1 << bits) - 1, (1 << bits) / 3] {
                let stream = ReverseChannel.stream(step: bits, item: target, chunk: 0)
                ReverseChannel.candidate(seed: seed, stream: stream, index: target, count: 8, into: &z)
                // q = N(z_target, 0.01²) against p = N(0, 1): only that candidate has any weight.
                let sq = 0.01
                let a = z.map { (0 - $0) / sq }, s = [Double](repeating: 1 / sq, count: 8)
                let chosen = ReverseChannel.choose(seed: seed, stream: stream, bits: bits, a: a, s: s)
                XCTAssertEqual(chosen, target, "bits \(bits)")
                XCTAssertEqual(ReverseChannel.choose(seed: seed, stream: stream, bits: bits, a: a, s: s), chosen)
            }
        }
        XCTAssertEqual(ReverseChannel.choose(seed: seed, stream: 0, bits: 0, a: [1, 2], s: [1, 1]), 0)
        for i in 0..<50 {
            let bits = 1 + i % 10
            let a = (0..<5).map { Double(($0 * 7 + i) % 11) / 3 - 1.5 }, s = (0..<5).map { 0.5 + Double(($0 + i) % 4) / 2 }
            let c = ReverseChannel.choose(seed: seed, stream: UInt64(i), bits: bits, a: a, s: s)
            XCTAssertTrue((0..<(1 << bits)).contains(c), "\(c) with \(bits) bits")
        }
    }

    func testReverseChannelWithTheTargetEqualToTheProposalChoosesUniformly() {
        let bits = 3, n = 1 << bits, trials = 2048
        var counts = [Int](repeating: 0, count: n)
        let a = [Double](repeating: 0, count: 6), s = [Double](repeating: 1, count: 6)
        for i in 0..<trials {
            counts[ReverseChannel.choose(seed: 1234, stream: UInt64(i), bits: bits, a: a, s: s)] += 1
        }
        let expected = Double(trials) / Double(n)
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        XCTAssertLessThan(chi2, 24.3, "χ² with 7 degrees of freedom (p = 0.001): \(counts)")
        XCTAssertTrue(counts.allSatisfy { $0 > 0 })
    }

    /// With a few bits beyond the KL the chosen candidate is distributed close to the target.
    func testReverseChannelSamplesApproachTheTarget() {
        let muQ = 0.8, sdQ = 0.5, dims = 4, trials = 400
        // KL(N(0.8, 0.25) ‖ N(0, 1)) ≈ 0.92 bits per dimension: 3.7 bits for the chunk; send 9.
        let a = [Double](repeating: (0 - muQ) / sdQ, count: dims), s = [Double](repeating: 1 / sdQ, count: dims)
        var z = [Double](repeating: 0, count: dims)
        var sum = 0.0, sumSquares = 0.0
        for i in 0..<trials {
            let stream = ReverseChannel.stream(step: 1, item: i, chunk: 0)
            let c = ReverseChannel.choose(seed: 5, stream: stream, bits: 9, a: a, s: s)
            ReverseChannel.candidate(seed: 5, stream: stream, index: c, count: dims, into: &z)
            for x in z { sum += x; sumSquares += x * x }
        }
        let n = Double(trials * dims), mean = sum / n, sd = (sumSquares / n - mean * mean).squareRoot()
        XCTAssertEqual(mean, muQ, accuracy: 0.08)
        XCTAssertEqual(sd, sdQ, accuracy: 0.08)
    }

    // MARK: the quantized normal

    func testQuantizedNormalTable() {
        let v = QuantizedNormal.shared.values
        XCTAssertEqual(v.count, QuantizedNormal.levels)
        XCTAssertEqual(v.count, 1 << 16)
        for k in 0..<(v.count / 2) { XCTAssertEqual(v[k], -v[v.count - 1 - k], "level \(k)") }
        for k in 1..<v.count where !(v[k - 1] < v[k]) { XCTFail("not increasing at \(k): \(v[k - 1]) \(v[k])"); break }
        // Φ⁻¹((k + ½) / 2^16), from mpmath at 40 digits.
        let reference: [(Int, Double)] = [
            (32768, 0.00001912405605151208365104), (32769, 0.00005737216818251317833389),
            (33000, 0.008892803272058038715421), (40000, 0.2802553342920601024842),
            (49152, 0.6745137590657158688298), (55000, 0.9913433658721669640724),
            (60000, 1.375649887283796702693), (65000, 2.401182965606833628256),
            (65535, 4.324919040826046257174),
        ]
        for (k, x) in reference {
            XCTAssertEqual(v[k], x, accuracy: 1e-9, "level \(k)")
            XCTAssertEqual(v[65535 - k], -x, accuracy: 1e-9, "level \(65535 - k)")
        }
        // Sixteen uniform bits make a standard normal: mean 0, variance just under 1.
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.reduce(0) { $0 + $1 * $1 } / Double(v.count)
        XCTAssertEqual(mean, 0, accuracy: 1e-12)
        XCTAssertEqual(variance, 1, accuracy: 1e-3)
    }
}

/// The preview prior changes what a decoder shows, never a coded bit.
final class PreviewPriorCodecTests: XCTestCase {
    /// A copy of a fixture model with a preview.json whose weights are all `weight` and whose mean is `mean`.
    static func modelWithPrior(_ name: String, weight: Double, mean: Double) throws -> String {
        let source = repositoryRoot.appendingPathComponent("Fixtures/unet/\(name)")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("prior-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: copy)
        let model = try DiffusionModel(directory: copy.path)
        let prior: [String: Any] = ["format": 1, "shrink": [Double](repeating: weight, count: model.schedule.count),
                                    "mean": ["channels": model.channels, "height": 1, "width": 1,
                                             "values": [Double](repeating: mean, count: model.channels)]]
        try JSONSerialization.data(withJSONObject: prior).write(to: copy.appendingPathComponent("preview.json"))
        return copy.path
    }

    func testPreviewsShrinkButTheBitsAndTheExactDecodeDoNot() throws {
        let images = [try randomImage("p", width: 8, height: 8, channels: 3, seed: 9)]
        let plain = try ProgressiveCodec(model: try fixtureModel("opt-scale-shift"))
        let dir = try Self.modelWithPrior("opt-scale-shift", weight: 0, mean: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let withPrior = try ProgressiveCodec(model: try DiffusionModel(directory: dir))
        let p = ProgressiveTests.parameters(steps: 4, losslessAfter: 2)
        let a = try plain.encode(images, kind: .png, parameters: p), b = try withPrior.encode(images, kind: .png, parameters: p)
        XCTAssertEqual(a.bytes, b.bytes, "preview.json is not part of the identity and changes no bit")
        XCTAssertEqual(try withPrior.decode(b.bytes).images.map(\.image), images.map(\.image))
        // Weight 0 everywhere: every preview is the mean (0 in model space: level 127.5, written 128).
        let preview = try withPrior.decode(b.bytes, stopStep: 3)
        XCTAssertEqual(Set(preview.images[0].image.pixels), [128])
        // xhat-raw is what the model without a prior shows.
        XCTAssertEqual(try withPrior.decode(b.bytes, stopStep: 3, reconstruction: .xhatRaw).images,
                       try plain.decode(a.bytes, stopStep: 3).images)
    }

    /// rd measures the raw guess beside the preview and the weights the coder's own x_t call for.
    func testTheStudyRecordsTheRawGuessAndFitsTheWeights() throws {
        let dir = try Self.modelWithPrior("opt-uneven-heads", weight: 1, mean: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var p = CodingParameters(mode: .progressive)
        p.steps = 4
        p.chunkBits = 8
        let study = RDStudy(codec: try ProgressiveCodec(model: try DiffusionModel(directory: dir)), parameters: p)
        let images = [try randomImage("a", width: 8, height: 8, channels: 1, seed: 1),
                      try randomImage("b", width: 11, height: 8, channels: 1, seed: 2)]
        let r = try study.run(images)
        XCTAssertEqual(r.previewFit.map(\.step), [4, 3, 2, 1])
        for f in r.previewFit {
            XCTAssertTrue((0...1).contains(f.weight) && f.spread > 0, "step \(f.step)")
            // Weight 1 everywhere: the preview is the raw guess, so both rows agree.
            let rows = r.rows.filter { $0.step == f.step && $0.image == "ALL" }
            let xhat = try XCTUnwrap(rows.first { $0.reconstruction == "xhat" })
            let raw = try XCTUnwrap(rows.first { $0.reconstruction == "xhat-raw" })
            XCTAssertEqual(xhat.rmse, raw.rmse, accuracy: 1e-12)
        }
        // The weight is the least-squares slope: by the rows' own errors, no other weight does better.
        let f = r.previewFit[0]
        let sse = { (w: Double) in w * w * f.spread - 2 * w * f.cross }
        XCTAssertLessThanOrEqual(sse(f.weight), min(sse(0), sse(1)) + 1e-9)
    }
}

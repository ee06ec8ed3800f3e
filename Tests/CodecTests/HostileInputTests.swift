import Codec
import Diffusion
import ImageIO
import XCTest

/// Crafted files (valid checksums, hostile header): refused by the limits before any allocation,
/// or failing at the first step instead of after the whole chain.
final class HostileInputTests: XCTestCase {
    /// The same file with other image geometry in its header (checksums recomputed).
    func recrafted(_ bytes: [UInt8], images: [ImageEntry]) throws -> [UInt8] {
        var (header, sections, _) = try DDPMFile.decode(bytes)
        header.images = images
        return DDPMFile.encode(header: header, sections: sections)
    }

    func testGeometryBeyondTheLimitsIsRefusedBeforeAnyWork() throws {
        let codec = try LosslessCodec(model: try fixtureModel("gray28-plain"))
        var p = CodingParameters()
        p.steps = 2
        let (bytes, _) = try codec.encode([try randomImage("a", width: 28, height: 28, channels: 1, seed: 1)], kind: .png, parameters: p)
        for images in [[ImageEntry(name: "huge", width: 65536, height: 65536, channels: 1)],
                       [ImageEntry](repeating: ImageEntry(name: "x", width: 28, height: 28, channels: 1), count: 100_000)] {
            let crafted = try recrafted(bytes, images: images)
            var calls = 0
            XCTAssertThrowsError(try codec.decode(crafted) { _, _ in calls += 1 }) { error in
                XCTAssertTrue("\(error)".contains("limit"), "\(error)")
            }
            XCTAssertEqual(calls, 0, "no network step ran")
        }
        // The progressive decoder applies the same limits.
        let progressive = try ProgressiveCodec(model: try fixtureModel("gray28-plain"))
        var q = CodingParameters(mode: .progressive)
        q.steps = 2; q.chunkBits = 8
        let r = try progressive.encode([try randomImage("a", width: 28, height: 28, channels: 1, seed: 1)], kind: .png, parameters: q)
        let crafted = try recrafted(r.bytes, images: [ImageEntry(name: "huge", width: 65536, height: 65536, channels: 1)])
        XCTAssertThrowsError(try progressive.decode(crafted)) { error in
            XCTAssertTrue("\(error)".contains("limit"), "\(error)")
        }
    }

    func testGeometryTheStreamCannotHoldFailsAtTheFirstStep() throws {
        let codec = try LosslessCodec(model: try fixtureModel("opt-uneven-heads"))
        var p = CodingParameters()
        p.steps = 4
        let (bytes, _) = try codec.encode([try randomImage("a", width: 8, height: 8, channels: 1, seed: 1)], kind: .png, parameters: p)
        for images in [[ImageEntry(name: "big", width: 1000, height: 1000, channels: 1)],
                       [ImageEntry(name: "wide", width: 65536, height: 1, channels: 1)],
                       [ImageEntry](repeating: ImageEntry(name: "x", width: 8, height: 8, channels: 1), count: 300)] {
            let crafted = try recrafted(bytes, images: images)
            var calls = 0
            XCTAssertThrowsError(try codec.decode(crafted) { _, _ in calls += 1 }) { error in
                XCTAssertTrue("\(error)".contains("ran out"), "\(error)")
            }
            // Each group's prior pops come first: the stream runs out within the first groups, not after
            // the hundreds of network steps the geometry would take.
            XCTAssertLessThanOrEqual(calls, 2 * p.steps!, "\(images.count) image(s) of \(images[0].width)×\(images[0].height)")
        }
    }

    /// A copy of a fixture model whose scheduler config is rewritten by `edit`.
    func modelCopy(_ fixture: String, scheduler edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let source = repositoryRoot.appendingPathComponent("Fixtures/unet/\(fixture)")
        for name in ["config.json", "diffusion_pytorch_model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        var scheduler = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("scheduler_config.json"))) as? [String: Any])
        edit(&scheduler)
        try JSONSerialization.data(withJSONObject: scheduler, options: [.prettyPrinted])
            .write(to: dir.appendingPathComponent("scheduler_config.json"))
        return dir.path
    }

    func testTheModelsIdentityCoversItsSchedulerConfig() throws {
        let image = try randomImage("a", width: 8, height: 8, channels: 1, seed: 3)
        var p = CodingParameters(mode: .progressive)
        p.steps = 3; p.chunkBits = 8
        let original = try ProgressiveCodec(model: try DiffusionModel(directory: try modelCopy("opt-uneven-heads") { _ in }))
        let r = try original.encode([image], kind: .png, parameters: p)
        // The same values, written again (other key order and layout): the same model.
        let rewritten = try ProgressiveCodec(model: try DiffusionModel(directory: try modelCopy("opt-uneven-heads") { _ in }))
        XCTAssertNoThrow(try rewritten.decode(r.bytes))
        // Another beta_end: refused, naming the configs, before any network call.
        let other = try ProgressiveCodec(model: try DiffusionModel(directory: try modelCopy("opt-uneven-heads") {
            $0["beta_end"] = 0.021
        }))
        var calls = 0
        XCTAssertThrowsError(try other.decode(r.bytes, progress: { _, _ in calls += 1 })) { error in
            XCTAssertTrue("\(error)".contains("its configs (config.json, scheduler_config.json, codec_config.json) differ"), "\(error)")
            XCTAssertFalse("\(error)".contains("weights"), "\(error)")
        }
        XCTAssertEqual(calls, 0)
    }

    /// The identity is 4 bytes (DDPMHeader.digestLength): 3 of the weights, 1 of the configs together, and a
    /// refusal names the part that differs.
    func testTheIdentityNamesTheWeightsOrTheConfigs() throws {
        let original = try ModelIdentity(directory: try modelCopy("opt-uneven-heads") { _ in })
        XCTAssertEqual(original.digest.count, DDPMHeader.digestLength)
        let retuned = try ModelIdentity(directory: try modelCopy("opt-uneven-heads") { $0["beta_end"] = 0.021 })
        XCTAssertEqual(retuned.differences(from: original), [ModelIdentity.parts[1]])
        let retrainedDirectory = try modelCopy("opt-uneven-heads") { _ in }
        let weights = URL(fileURLWithPath: retrainedDirectory).appendingPathComponent("diffusion_pytorch_model.safetensors")
        var bytes = [UInt8](try Data(contentsOf: weights))
        bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: weights)
        let retrained = try ModelIdentity(directory: retrainedDirectory)
        XCTAssertEqual(retrained.differences(from: original), ["weights"])
        // A codec_config.json that was absent is a change of the configs.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: retrainedDirectory).appendingPathComponent("codec_config.json"))
        XCTAssertEqual(try ModelIdentity(directory: retrainedDirectory).differences(from: original), ModelIdentity.parts)
    }

    func testOlderFormatVersionsAreRefusedClearly() throws {
        var (header, sections, _) = try DDPMFile.decode(try LosslessCodec(model: try fixtureModel("opt-uneven-heads"))
            .encode([try randomImage("a", width: 8, height: 8, channels: 1, seed: 3)], kind: .png,
                    parameters: { var p = CodingParameters(); p.steps = 2; return p }()).bytes)
        header.modelName = "m"
        let current = DDPMFile.encode(header: header, sections: sections)
        // Versions 2 and 3 began "DDPMC", 0x1A and a 16-bit version.
        for version: UInt8 in [2, 3] {
            let bytes = Array("DDPMC".utf8) + [0x1A, version, 0] + current.dropFirst(DDPMFile.magic.count + 1)
            XCTAssertThrowsError(try DDPMFile.decode(bytes)) { error in
                XCTAssertTrue("\(error)".contains("older ddpmc"), "\(error)")
            }
        }
    }

    func testInfoOfAFileWithAbsurdParametersSaysSoInPlainWords() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-uneven-heads"))
        var p = CodingParameters(mode: .progressive)
        p.steps = 3; p.chunkBits = 8; p.losslessAfter = 2
        let bytes = try codec.encode([try randomImage("a", width: 8, height: 8, channels: 1, seed: 3)], kind: .png,
                                     parameters: p).bytes
        for value in [Double.nan, .infinity, 1e300, -3] {
            var (header, sections, _) = try DDPMFile.decode(bytes)
            header.parameters[CodingParameters.HeaderKey.chunkBits.rawValue] = value
            header.parameters[CodingParameters.HeaderKey.initialBits.rawValue] = value
            let summary = try FileSummary(bytes: DDPMFile.encode(header: header, sections: sections))
            XCTAssertNil(summary.parameters)
            XCTAssertTrue(summary.lines.contains { $0.contains("unreadable") && $0.contains("chunk bits") }, "\(summary.lines)")
            XCTAssertFalse(summary.lines.joined().contains("-9223372036854775808"))
            // The JSON form has no NaN or infinity, so it serializes.
            XCTAssertNoThrow(try JSONSerialization.data(withJSONObject: summary.fields), "\(value)")
            XCTAssertThrowsError(try codec.decode(DDPMFile.encode(header: header, sections: sections))) { error in
                XCTAssertTrue("\(error)".contains("chunk bits"), "\(error)")
            }
        }
    }

    /// Found by the fuzz harness: a header with T = 0 made the range check itself trap. Files no
    /// longer store the model's timesteps, so the chain's steps are checked against the model's.
    func testAHeaderWithZeroTimestepsIsMalformedNotACrash() throws {
        let codec = try LosslessCodec(model: try fixtureModel("opt-uneven-heads"))
        var p = CodingParameters()
        p.steps = 2
        var (header, sections, _) = try DDPMFile.decode(try codec.encode([try randomImage("a", width: 8, height: 8, channels: 1,
                                                                                          seed: 3)], kind: .png, parameters: p).bytes)
        for (steps, train) in [(0, 0), (0, 1000), (codec.model.schedule.count + 1, 0)] {
            header.steps = steps
            header.trainTimesteps = train
            let bytes = DDPMFile.encode(header: header, sections: sections)
            XCTAssertThrowsError(try codec.decode(bytes)) { error in
                XCTAssertTrue("\(error)".contains("malformed"), "\(error)")
            }
            if steps == 0 { XCTAssertNotNil(try FileSummary(bytes: bytes).parameterError) }
        }
    }

    /// Found by the fuzzer: a lossless header claiming 2^40 bootstrap bytes made the decoder allocate them.
    func testAnAbsurdBootstrapByteCountIsAnErrorNotAnAllocation() throws {
        let codec = try LosslessCodec(model: try fixtureModel("opt-uneven-heads"))
        var p = CodingParameters()
        p.steps = 2
        p.bootstrap = 1
        let images = try (0..<3).map { try randomImage("a\($0)", width: 8, height: 8, channels: 1, seed: UInt64($0)) }
        let (bytes, _) = try codec.encode(images, kind: .folder, parameters: p)
        XCTAssertEqual(try codec.decode(bytes).images, images)
        for claimed in [Double(1 << 40), Double(1 << 30), Double(bytes.count * 8)] {
            var (header, sections, _) = try DDPMFile.decode(bytes)
            header.parameters[CodingParameters.HeaderKey.bootstrapBytes.rawValue] = claimed
            XCTAssertThrowsError(try codec.decode(DDPMFile.encode(header: header, sections: sections)), "\(claimed)") { error in
                XCTAssertTrue("\(error)".contains("bootstrap bytes"), "\(error)")
            }
        }
    }
}

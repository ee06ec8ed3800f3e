import Codec
import Diffusion
import Foundation
import ImageIO
import XCTest

/// A model's own coding chain (ModelChain, `codec_config.json`): loading and refusals, the
/// respaced schedule it gives, the default it becomes, and exact round trips over it.
final class ModelChainTests: XCTestCase {
    /// A copy of a fixture model with `codec_config` beside it (nil: none).
    func model(_ fixture: String = "gray28-plain", codecConfig: String?) throws -> String {
        try fixtureModelCopy(fixture, codecConfig: codecConfig, removedAfter: self)
    }

    func testAChainOfGivenTimestepsIsTheSameAsASpacedOne() throws {
        let full = try fixtureModel("gray28-plain").schedule
        let kept = try NoiseSchedule.spacedTimesteps(total: 1000, count: 17, spacing: .quadratic)
        XCTAssertEqual(try full.respaced(keeping: kept), try full.respaced(steps: 17, spacing: .quadratic))
        XCTAssertEqual(try full.respaced(keeping: Array(0..<1000)), full)
        // A chain may stop short of the last timestep: the prior is then taken at its top.
        let short = try full.respaced(keeping: [0, 10, 700])
        XCTAssertEqual(short.alphasCumprod.last!, full.alphasCumprod[700], accuracy: 1e-15)
        XCTAssertEqual(short.modelTimesteps, [0, 10, 700])
        for bad in [[], [0, 5, 5, 999], [3, 1, 999], [-1, 999], [0, 1000]] {
            XCTAssertThrowsError(try full.respaced(keeping: bad), "\(bad)")
        }
        XCTAssertThrowsError(try NoiseSchedule.spacedTimesteps(total: 1000, count: 10, spacing: .model),
                             "the model's chain is not a spacing rule")
    }

    func testTheChainLoadsAndBadOnesAreRefusedByName() throws {
        let m = try DiffusionModel(directory: try model(codecConfig: #"{"chain": {"timesteps": [0, 2, 40, 999], "note": "x"}}"#))
        XCTAssertEqual(m.chain?.timesteps, [0, 2, 40, 999])
        XCTAssertEqual(m.tiling, .patches(height: 28, width: 28), "a chain alone leaves the tiling as it was")
        XCTAssertNil(try DiffusionModel(directory: try model(codecConfig: nil)).chain)
        XCTAssertNil(try DiffusionModel(directory: try model(codecConfig: #"{"tiling": "patches"}"#)).chain)
        for config in [#"{"chain": [0, 999]}"#, #"{"chain": {"steps": 3}}"#, #"{"chain": {"timesteps": "0,999"}}"#,
                       #"{"chain": {"timesteps": [0, 500, 400, 999]}}"#, #"{"chain": {"timesteps": [0, 500, 1000]}}"#,
                       #"{"chain": {"timesteps": []}}"#] {
            XCTAssertThrowsError(try DiffusionModel(directory: try model(codecConfig: config)), config) { error in
                XCTAssertTrue("\(error)".contains("codec_config.json") && "\(error)".contains("chain"), "\(config): \(error)")
            }
        }
    }

    func testTheModelsChainIsTheDefaultOfFilesThatEndExact() throws {
        let m = try DiffusionModel(directory: try model(codecConfig: #"{"chain": {"timesteps": [0, 3, 999]}}"#))
        let lossless = CodingParameters().withDefaultChain(of: m)
        XCTAssertEqual(lossless.spacing, .model)
        XCTAssertEqual(lossless.steps, 3)
        XCTAssertEqual(try m.reverseProcess(steps: 3, spacing: .model).schedule.modelTimesteps, [0, 3, 999])
        // Another length asked for: the mode's spacing at that length.
        var ten = CodingParameters(); ten.steps = 10
        XCTAssertEqual(ten.withDefaultChain(of: m).spacing, .quadratic)
        XCTAssertThrowsError(try m.reverseProcess(steps: 10, spacing: .model)) { error in
            XCTAssertTrue("\(error)".contains("3 steps"), "\(error)")
        }
        XCTAssertEqual(CodingParameters(mode: .progressive).withDefaultChain(of: m).spacing, .even)
        // A progressive file that ends exact (a lossless tail) codes the model's chain too.
        var tail = CodingParameters(mode: .progressive); tail.losslessAfter = 2
        XCTAssertEqual(tail.withDefaultChain(of: m).spacing, .model)
        XCTAssertEqual(tail.withDefaultChain(of: m).steps, 3)
        let plain = try DiffusionModel(directory: try model(codecConfig: nil))
        XCTAssertEqual(CodingParameters().withDefaultChain(of: plain), CodingParameters())
        XCTAssertThrowsError(try plain.reverseProcess(steps: 3, spacing: .model))
        var noSteps = CodingParameters(); noSteps.spacing = .model
        XCTAssertThrowsError(try noSteps.validate(trainTimesteps: 1000), "the model's chain needs its length")
    }

    func testRoundTripsOverTheModelsChainAreExactAndTheChainIsPartOfTheIdentity() throws {
        let dir = try model(codecConfig: #"{"chain": {"timesteps": [0, 1, 7, 700]}}"#)
        let m = try DiffusionModel(directory: dir)
        let images = [try randomImage("b", width: 30, height: 9, channels: 1, seed: 4)]
        let codec = try LosslessCodec(model: m)
        let p = CodingParameters().withDefaultChain(of: m)
        let (bytes, _) = try codec.encode(images, kind: .folder, parameters: p)
        let summary = try FileSummary(bytes: bytes)
        XCTAssertEqual(summary.parameters?.spacing, .model)
        XCTAssertEqual(summary.header.steps, 4)
        XCTAssertEqual(try codec.decode(bytes).images, images)

        var q = CodingParameters(mode: .progressive)
        q.spacing = .model; q.steps = 4; q.chunkBits = 8; q.losslessAfter = 2
        let progressive = try ProgressiveCodec(model: m)
        let r = try progressive.encode(images, kind: .folder, parameters: q)
        let decoded = try progressive.decode(r.bytes)
        XCTAssertTrue(decoded.exact)
        XCTAssertEqual(decoded.images, images)

        // The same weights with another chain are another model: refused, naming the config.
        let other = try LosslessCodec(model: try DiffusionModel(directory: try model(codecConfig: #"{"chain": {"timesteps": [0, 2, 7, 700]}}"#)))
        XCTAssertThrowsError(try other.decode(bytes)) { error in
            XCTAssertTrue("\(error)".contains("codec_config.json"), "\(error)")
        }
    }
}

import Codec
import Diffusion
import Foundation
import ImageIO
import XCTest

/// Models that see whole images (ModelTiling.wholeImage, declared by codec_config.json): the
/// geometry, the refusals, and exact round trips through both codecs.
final class WholeImageTests: XCTestCase {
    /// A copy of a fixture model with a codec_config.json beside it.
    func wholeImageModel(_ fixture: String = "rgb32-attn-nullhead", config: String) throws -> String {
        try fixtureModelCopy(fixture, codecConfig: config, removedAfter: self)
    }

    func testGeometry() throws {
        let model = try DiffusionModel(directory: try wholeImageModel(config: #"{"tiling": "whole-image", "maximum_tile": 32}"#))
        XCTAssertEqual(model.tiling, .wholeImage(multiple: 4, maximum: 32))
        // An image within the largest tile is one piece, its input rounded up to the downsampling factor.
        XCTAssertEqual(model.shapes(height: 30, width: 9), [ChainShape(height: 30, width: 9, channels: 3)])
        XCTAssertEqual(model.tiling.inputSize(height: 30, width: 9).height, 32)
        XCTAssertEqual(model.tiling.inputSize(height: 30, width: 9).width, 12)
        // A larger one is cut into tiles of the largest size; the last ones are smaller.
        XCTAssertEqual(model.shapes(height: 40, width: 36).map { [$0.height, $0.width] }, [[32, 32], [32, 4], [8, 32], [8, 4]])
        // Without codec_config.json: patches of sample_size, as before.
        XCTAssertEqual(try fixtureModel("rgb32-attn-nullhead").tiling, .patches(height: 32, width: 32))
    }

    func testBadConfigsAreRefusedByName() throws {
        for (config, fragment) in [(#"{"tiling": "mosaic"}"#, "tiling"),
                                   (#"{"tiling": "whole-image", "maximum_tile": 30}"#, "maximum_tile"),
                                   (#"{"tiling": "whole-image", "maximum_tile": 100000}"#, "maximum_tile"),
                                   (#"{"tiling": 3}"#, "tiling"),
                                   ("[1, 2]", "JSON object")] {
            XCTAssertThrowsError(try DiffusionModel(directory: try wholeImageModel(config: config)), config) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(config): \(error)")
            }
        }
    }

    func testLosslessAndProgressiveRoundTripsAreExact() throws {
        let model = try DiffusionModel(directory: try wholeImageModel(config: #"{"tiling": "whole-image", "maximum_tile": 32}"#))
        let images = [try randomImage("tiles", width: 36, height: 40, channels: 3, seed: 7),
                      try randomImage("small", width: 9, height: 5, channels: 3, seed: 8)]
        let codec = try LosslessCodec(model: model)
        var p = CodingParameters()
        p.steps = 3
        let (bytes, _) = try codec.encode(images, kind: .folder, parameters: p)
        XCTAssertEqual(try codec.decode(bytes).images, images)

        let progressive = try ProgressiveCodec(model: model)
        var q = CodingParameters(mode: .progressive)
        q.steps = 3; q.chunkBits = 8; q.losslessAfter = 2
        let r = try progressive.encode(images, kind: .folder, parameters: q)
        let decoded = try progressive.decode(r.bytes)
        XCTAssertTrue(decoded.exact)
        XCTAssertEqual(decoded.images, images)
        // A prefix decodes to a preview of the right sizes.
        let preview = try progressive.decode(r.bytes, stopStep: 3)
        XCTAssertEqual(preview.images.map(\.image.width), [36, 9])
    }

    func testTheBoundRunsOnWholeImages() throws {
        let model = try DiffusionModel(directory: try wholeImageModel(config: #"{"tiling": "whole-image"}"#))
        XCTAssertEqual(model.tiling, .wholeImage(multiple: 4, maximum: ModelTiling.largestTile))
        let image = try randomImage("a", width: 13, height: 10, channels: 3, seed: 9)
        let pixels = PixelImage(name: "a", height: 10, width: 13, channels: 3, levels: image.image.pixels)
        let report = try BoundEvaluator(model: model, steps: 3).evaluate([pixels])
        XCTAssertEqual(report.images.count, 1)
        XCTAssertTrue(report.images[0].total.isFinite && report.images[0].total > 0)
    }
}

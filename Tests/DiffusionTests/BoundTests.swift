import Diffusion
import Foundation
import XCTest

final class BoundTests: XCTestCase {
    func testStepTermsSumToTheTotalAndRunsRepeat() throws {
        let model = try loadModel("Fixtures/unet/gray28-plain")
        let images = Array(try loadPixelImages("Fixtures/bound/fmnist3.npy").prefix(2))
        let evaluator = try BoundEvaluator(model: model, steps: 5, seed: 3, batchSize: 1)
        var calls: [Int] = []
        var noiseRows = 0
        let report = try evaluator.evaluate(images, progress: { done, total in
            calls.append(done)
            XCTAssertEqual(total, 10)
        }, noise: { _, _, eps in
            noiseRows += 1
            XCTAssertEqual(eps.count, 784)
        })
        XCTAssertEqual(calls, Array(1...10))
        XCTAssertEqual(noiseRows, 10)
        XCTAssertEqual(report.stepMeans.reduce(0, +) + report.priorMean, report.mean, accuracy: 1e-12)
        XCTAssertEqual(report.stepMeans[0], report.decoderMean, accuracy: 1e-12)
        XCTAssertNotNil(report.standardError)
        // Batching does not change anything, and the seed makes runs repeatable.
        let again = try BoundEvaluator(model: model, steps: 5, seed: 3, batchSize: 64).evaluate(images)
        XCTAssertEqual(again, report)
        let other = try BoundEvaluator(model: model, steps: 5, seed: 4).evaluate(images)
        XCTAssertNotEqual(other.images[0].diffusion, report.images[0].diffusion)
    }

    func testErrors() throws {
        let gray = try loadModel("Fixtures/unet/gray28-plain")
        let rgb = try loadPixelImages("Fixtures/bound/rgb32.npy")
        XCTAssertThrowsError(try BoundEvaluator(model: gray, steps: 3).evaluate(rgb)) { error in
            guard case let .incompatibleImage(name, detail)? = error as? DiffusionError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "rgb32.npy[0]")
            XCTAssertTrue(detail.contains("3 channels") && detail.contains("expects 1"), detail)
        }
        XCTAssertThrowsError(try BoundEvaluator(model: gray, steps: 3).evaluate([])) { error in
            XCTAssertEqual(error as? DiffusionError, .noImages)
        }
        XCTAssertThrowsError(try BoundEvaluator(model: gray, steps: 3, batchSize: 0))
        XCTAssertThrowsError(try BoundEvaluator(model: gray, steps: 1001)) { error in
            XCTAssertEqual(error as? DiffusionError, .invalidRespacing(steps: 1001, timesteps: 1000))
        }
        // A learned-variance network read with a fixed-variance config has twice the channels it should.
        XCTAssertThrowsError(try loadModel("Fixtures/unet/learned-var", overrides: ["variance_type": "fixed_large"])) { error in
            XCTAssertTrue("\(error)".contains("out_channels"), "\(error)")
        }
        XCTAssertThrowsError(try DiffusionModel(directory: "/nonexistent/model")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model"), "\(error)")
        }
    }
}

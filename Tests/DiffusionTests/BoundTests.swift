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

    /// The estimate is the drawn steps' exact terms times the strata widths: with one image, each
    /// step's term is known from the exact sum (same Philox x_t at the same step), so the estimate
    /// must equal sum_j width_j * term(t_j), and all steps' terms when there are as many terms as steps.
    func testStratifiedEstimateWeighsTheDrawnStepsExactTerms() throws {
        let model = try loadModel("Fixtures/unet/gray28-plain")
        let image = Array(try loadPixelImages("Fixtures/bound/fmnist3.npy").prefix(1))
        let exact = try BoundEvaluator(model: model, steps: 40, seed: 11).evaluate(image)
        XCTAssertFalse(exact.isEstimate)

        let evaluator = try BoundEvaluator(model: model, steps: 40, terms: 9, seed: 11, batchSize: 4)
        let strata = try XCTUnwrap(evaluator.strata)
        XCTAssertEqual(strata.ranges.count, 9)
        XCTAssertEqual(strata.ranges.first, 1...1)
        XCTAssertEqual(strata.ranges.last?.upperBound, 40)
        XCTAssertEqual(evaluator.networkCalls(for: image), 3)  // 9 patches in batches of 4
        var calls = 0
        let estimate = try evaluator.evaluate(image, progress: { done, total in
            calls = done
            XCTAssertEqual(total, 3)
        })
        XCTAssertEqual(calls, 3)
        XCTAssertTrue(estimate.isEstimate)
        XCTAssertEqual(estimate.termsPerImage, 9)
        let draws = strata.draws(seed: 11, image: 0)
        XCTAssertTrue(draws.contains { $0.weight > 1 }, "some strata are sampled")
        let expected = draws.dropFirst().reduce(0.0) { $0 + Double($1.weight) * exact.stepMeans[$1.step - 1] }
        XCTAssertEqual(estimate.images[0].diffusion, expected, accuracy: 1e-12 * expected)
        XCTAssertEqual(estimate.images[0].decoder, exact.images[0].decoder, accuracy: 1e-14)
        XCTAssertEqual(estimate.images[0].prior, exact.images[0].prior)
        XCTAssertEqual(estimate.stepMeans.reduce(0, +) + estimate.priorMean, estimate.mean, accuracy: 1e-12)
        XCTAssertNotEqual(estimate.mean, exact.mean, "a sampled estimate is not the exact sum")
        // Another seed draws other steps (and other noise).
        let other = try BoundEvaluator(model: model, steps: 40, terms: 9, seed: 12).strata!.draws(seed: 12, image: 0)
        XCTAssertNotEqual(other.map(\.step), draws.map(\.step))
        // Another image draws its own steps.
        XCTAssertNotEqual(strata.draws(seed: 11, image: 1).map(\.step), draws.map(\.step))

        // As many terms as steps (or more) is the exact sum.
        XCTAssertNil(try BoundEvaluator(model: model, steps: 40, terms: 40, seed: 11).strata)
        XCTAssertEqual(try BoundEvaluator(model: model, steps: 40, terms: 500, seed: 11).evaluate(image), exact)
    }

    /// Every draw falls in its stratum, the strata tile 1...K, and over many images each step of a
    /// stratum is drawn about equally often (the estimate is unbiased only if the draw is uniform).
    func testStrataTileTheStepsAndDrawUniformly() throws {
        for (steps, terms) in [(1000, 100), (1000, 10), (100, 20), (4000, 7), (2, 2), (3, 2)] {
            let strata = try StepStrata(steps: steps, terms: terms)
            XCTAssertLessThanOrEqual(strata.ranges.count, terms)
            XCTAssertEqual(strata.ranges.first, 1...1, "the decoder step is alone")
            XCTAssertEqual(strata.ranges.last?.upperBound, steps)
            for (a, b) in zip(strata.ranges, strata.ranges.dropFirst()) { XCTAssertEqual(a.upperBound + 1, b.lowerBound) }
            for (range, draw) in zip(strata.ranges, strata.draws(seed: 1, image: 3)) {
                XCTAssertTrue(range.contains(draw.step))
                XCTAssertEqual(draw.weight, range.count)
            }
        }
        let strata = try StepStrata(steps: 1000, terms: 10)
        let last = strata.ranges.count - 1, range = strata.ranges[last]  // 499 steps wide
        var counts = [Int](repeating: 0, count: 4)
        for n in 0..<20_000 {
            let step = strata.draws(seed: 5, image: n)[last].step
            counts[(step - range.lowerBound) * 4 / range.count] += 1
        }
        for c in counts { XCTAssertEqual(Double(c), 5000, accuracy: 300, "\(counts)") }  // ~5 standard deviations
        XCTAssertThrowsError(try StepStrata(steps: 1000, terms: 1))
        XCTAssertThrowsError(try StepStrata(steps: 0, terms: 5))
        XCTAssertThrowsError(try BoundEvaluator(model: loadModel("Fixtures/unet/gray28-plain"), steps: 10, terms: 0))
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

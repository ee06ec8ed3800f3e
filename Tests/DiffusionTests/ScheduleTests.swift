import Diffusion
import XCTest

final class ScheduleTests: XCTestCase {
    func testLinearMatchesNumpyLinspaceAndCumprod() throws {
        let s = try NoiseSchedule(config: SchedulerConfig())
        XCTAssertEqual(s.count, 1000)
        // np.linspace(1e-4, 0.02, 1000) element by element, and np.cumprod(1 - betas)[-1].
        XCTAssertEqual(s.betas[0], 1e-4)
        XCTAssertEqual(s.betas[1], 0.00011991991991991993)
        XCTAssertEqual(s.betas[500], 0.010059959959959959)
        XCTAssertEqual(s.betas[998], 0.01998008008008008)
        XCTAssertEqual(s.betas[999], 0.02)
        XCTAssertEqual(s.alphasCumprod[999], 4.035829765375676e-05, accuracy: 1e-18)
    }

    func testSquaredCosCapV2MatchesDiffusers() throws {
        let betas = NoiseSchedule.betas(.squaredCosCapV2, count: 1000)
        // diffusers' betas_for_alpha_bar(1000) evaluated in Python floats (before its float32 cast).
        let expected: [(Int, Double)] = [(0, 4.128422482196914e-05), (1, 4.614175273665033e-05), (10, 8.987136245297567e-05),
                                         (500, 0.003155691441585007), (900, 0.01974185587243449),
                                         (998, 0.7499993929011166), (999, 0.999)]
        for (i, b) in expected { XCTAssertEqual(betas[i], b, accuracy: 1e-12, "beta[\(i)]") }
    }

    func testScaledLinear() {
        let betas = NoiseSchedule.betas(.scaledLinear(start: 1e-4, end: 0.02), count: 1000)
        XCTAssertEqual(betas[0], 1e-4, accuracy: 1e-19)
        XCTAssertEqual(betas[1], 0.00010264836435083402, accuracy: 1e-18)
        XCTAssertEqual(betas[500], 0.005742071067688482, accuracy: 1e-17)
        XCTAssertEqual(betas[999], 0.02, accuracy: 1e-17)
    }

    func testPosteriorCoefficientsAreThePosterior() throws {
        let s = try NoiseSchedule(config: SchedulerConfig())
        for i in [1, 2, 17, 500, 999] {
            // With x_t = sqrt(abar_t) x_0 (no noise) the posterior mean is sqrt(abar_{t-1}) x_0.
            let tilde = s.betas[i] * (1 - s.alphasCumprod[i - 1]) / (1 - s.alphasCumprod[i])
            XCTAssertEqual(s.posteriorVariance[i], tilde, accuracy: tilde * 1e-14)
            let mean = s.posteriorMeanCoef1[i] + s.posteriorMeanCoef2[i] * s.sqrtAlphasCumprod[i]
            XCTAssertEqual(mean, s.alphasCumprodPrev[i].squareRoot(), accuracy: 1e-12)
        }
        XCTAssertEqual(s.posteriorVariance[0], 0)
        XCTAssertEqual(s.posteriorLogVarianceClipped[0], s.posteriorLogVarianceClipped[1])
        XCTAssertTrue(s.posteriorLogVarianceClipped.allSatisfy(\.isFinite))
    }

    func testTrainedBetasAndInvalidBetas() throws {
        let s = try NoiseSchedule(config: SchedulerConfig(json: ["num_train_timesteps": 3, "trained_betas": [0.1, 0.2, 0.3]]))
        XCTAssertEqual(s.betas, [0.1, 0.2, 0.3])
        XCTAssertEqual(s.alphasCumprod[2], 0.9 * 0.8 * 0.7, accuracy: 1e-16)
        XCTAssertThrowsError(try NoiseSchedule(betas: [0.1, 0])) { error in
            XCTAssertTrue("\(error)".contains("index 1"), "\(error)")
        }
        XCTAssertThrowsError(try NoiseSchedule(betas: []))
    }

    func testConfigDefaultsAreDiffusers() throws {
        let c = try SchedulerConfig(json: [:])
        XCTAssertEqual(c.numTrainTimesteps, 1000)
        XCTAssertEqual(c.betaSchedule, .linear(start: 0.0001, end: 0.02))
        XCTAssertEqual(c.varianceType, .fixedSmall)
        XCTAssertTrue(c.clipSample)
        XCTAssertEqual(c.clipSampleRange, 1)
        XCTAssertEqual(try SchedulerConfig(json: ["variance_type": "fixed_large_log"]).varianceType, .fixedLarge)
        XCTAssertEqual(try SchedulerConfig(json: ["clip_sample": false, "clip_sample_range": 2.5]).clipSampleRange, 2.5)
    }

    func testConfigErrorsNameTheField() throws {
        let cases: [([String: Any], String)] = [
            (["prediction_type": "v_prediction"], "prediction_type"),
            (["prediction_type": "sample"], "prediction_type"),
            (["beta_schedule": "sigmoid"], "beta_schedule"),
            (["variance_type": "fixed_medium"], "variance_type"),
            (["thresholding": true], "thresholding"),
            (["rescale_betas_zero_snr": true], "rescale_betas_zero_snr"),
            (["_class_name": "DDIMScheduler"], "_class_name"),
            (["num_train_timesteps": 4, "trained_betas": [0.1, 0.2]], "trained_betas"),
            (["num_train_timesteps": "many"], "num_train_timesteps"),
            (["clip_sample_range": 0], "clip_sample_range"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try SchedulerConfig(json: json), "\(json)") { error in
                XCTAssertTrue("\(error)".contains(field), "\(error) should name \(field)")
            }
        }
        XCTAssertThrowsError(try SchedulerConfig(path: "/nonexistent/scheduler_config.json")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/scheduler_config.json"))
        }
    }
}

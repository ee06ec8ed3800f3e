import Diffusion
import Numerics
import XCTest

final class GaussianTermsTests: XCTestCase {
    func testKLOfIdenticalGaussiansIsZero() {
        for (m, lv) in [(0.0, 0.0), (0.3, -9.8), (-1.7, 2.5), (1e-3, -20)] {
            XCTAssertEqual(GaussianTerms.normalKL(mean1: m, logVariance1: lv, mean2: m, logVariance2: lv), 0)
        }
    }

    func testKLKnownValues() {
        // KL(N(1, 4) || N(0, 1)) = (4 + 1 - 1 - ln 4) / 2.
        let kl = GaussianTerms.normalKL(mean1: 1, logVariance1: DetMath.log(4), mean2: 0, logVariance2: 0)
        XCTAssertEqual(kl, (4 - DetMath.log(4)) / 2, accuracy: 1e-15)
        // Nearly equal variances: d^2/4 to leading order, without cancellation.
        let d = 1e-9
        XCTAssertEqual(GaussianTerms.normalKL(mean1: 0, logVariance1: d, mean2: 0, logVariance2: 0), d * d / 4,
                       accuracy: d * d * 1e-6)
    }

    func testDecoderMassesSumToOne() {
        let sigmas = [0.0073845, 0.01, 1e-4, 0.3, 3.0]
        let means = [-1.3, -1.0, -0.99, -0.2, 0, 0.5013, 0.999, 1, 1.01, 2.5]
        for s in sigmas {
            for m in means {
                var sum = 0.0
                for v in 0..<256 {
                    let p = DiscretizedDecoder.mass(level: v, mean: m, logVariance: 2 * DetMath.log(s))
                    XCTAssertGreaterThanOrEqual(p, 0)
                    sum += p
                }
                XCTAssertEqual(sum, 1, accuracy: 1e-12, "mean \(m) sigma \(s)")
            }
        }
    }

    func testDecoderBinsAndOpenEdges() {
        XCTAssertEqual(DiscretizedDecoder.binEdges(0).lower, -.infinity)
        XCTAssertEqual(DiscretizedDecoder.binEdges(255).upper, .infinity)
        XCTAssertEqual(DiscretizedDecoder.value(0), -1)
        XCTAssertEqual(DiscretizedDecoder.value(255), 1)
        XCTAssertEqual(DiscretizedDecoder.binEdges(100).upper, DiscretizedDecoder.value(100) + 1.0 / 255)
        // Far outside [-1, 1] everything lands in the edge bins.
        XCTAssertEqual(DiscretizedDecoder.mass(level: 0, mean: -5, logVariance: -9.8), 1)
        XCTAssertEqual(DiscretizedDecoder.mass(level: 255, mean: 5, logVariance: -9.8), 1)
        // A centred interior bin of width 2/255 at sigma = 1/255 holds P(|Z| <= 1).
        let p = DiscretizedDecoder.mass(level: 128, mean: DiscretizedDecoder.value(128), logVariance: 2 * DetMath.log(1.0 / 255))
        XCTAssertEqual(p, DetMath.erf(1 / 2.0.squareRoot()), accuracy: 1e-15)
    }

    func testDecoderVarianceAtTOneIsPosteriorOfTwo() throws {
        let s = try NoiseSchedule(config: SchedulerConfig())
        let tilde2 = s.posteriorVariance[1]
        for type in [VarianceType.fixedLarge, .fixedSmall] {
            let p = ReverseProcess(schedule: s, varianceType: type, clipDenoised: true)
            let lv = p.logVariance(v: 0, at: 0)
            XCTAssertEqual(lv, DetMath.log(tilde2), "\(type)")
            let sigma = DetMath.exp(0.5 * lv)
            XCTAssertEqual(sigma, 0.007384570171175973, accuracy: 1e-15)
            XCTAssertEqual(sigma * 127.5, 0.94, accuracy: 0.005)  // grey levels on the 0..255 scale
        }
        // Above t = 1 they differ: beta_t vs beta~_t.
        let large = ReverseProcess(schedule: s, varianceType: .fixedLarge, clipDenoised: true)
        let small = ReverseProcess(schedule: s, varianceType: .fixedSmall, clipDenoised: true)
        XCTAssertEqual(large.logVariance(v: 0, at: 5), DetMath.log(s.betas[5]))
        XCTAssertEqual(small.logVariance(v: 0, at: 5), DetMath.log(s.posteriorVariance[5]))
        // learned_range: v = 1 gives beta_t, v = -1 the clipped beta~_t; at t = 1 that is beta~_2.
        let range = ReverseProcess(schedule: s, varianceType: .learnedRange, clipDenoised: true)
        XCTAssertEqual(range.logVariance(v: 1, at: 0), DetMath.log(s.betas[0]))
        XCTAssertEqual(range.logVariance(v: -1, at: 0), DetMath.log(tilde2))
        XCTAssertEqual(range.logVariance(v: 0, at: 7), 0.5 * DetMath.log(s.betas[7]) + 0.5 * DetMath.log(s.posteriorVariance[7]),
                       accuracy: 1e-14)
        let learned = ReverseProcess(schedule: s, varianceType: .learned, clipDenoised: true)
        XCTAssertEqual(learned.logVariance(v: -7.25, at: 0), -7.25)
    }

    func testClippingDefaultsSkipTheDecoderStep() throws {
        let s = try NoiseSchedule(config: SchedulerConfig())
        let p = ReverseProcess(schedule: s, varianceType: .fixedLarge, clipDenoised: true)
        XCTAssertTrue(p.clips(at: 1))
        XCTAssertFalse(p.clips(at: 0))
        // With a large eps the unclipped x^_0 leaves [-1, 1] at t = 1 but not at t = 2.
        XCTAssertLessThan(p.predictedX0(xt: -0.99, eps: 3, at: 0), -1)
        XCTAssertEqual(p.predictedX0(xt: -0.99, eps: 3, at: 1), -1)
        // Unclipped, the model mean is the DDPM paper's (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t).
        for i in [0, 1, 40, 999] {
            let (xt, eps) = (0.37, -0.8)
            let m = ReverseProcess(schedule: s, varianceType: .fixedLarge, clipDenoised: false).model(xt: xt, eps: eps, v: 0, at: i).mean
            let paper = (xt - s.betas[i] / (1 - s.alphasCumprod[i]).squareRoot() * eps) / (1 - s.betas[i]).squareRoot()
            XCTAssertEqual(m, paper, accuracy: 1e-11, "i = \(i)")
        }
    }
}

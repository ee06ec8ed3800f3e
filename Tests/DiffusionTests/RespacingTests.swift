import Diffusion
import XCTest

final class RespacingTests: XCTestCase {
    func testSpacedTimestepsMatchImprovedDiffusion() throws {
        // improved-diffusion space_timesteps(1000, [50]) / ([7]) / ([4]) for 10 / ([1]).
        let fifty = try NoiseSchedule.spacedTimesteps(total: 1000, count: 50)
        XCTAssertEqual(fifty.count, 50)
        XCTAssertEqual(Array(fifty.prefix(6)), [0, 20, 41, 61, 82, 102])
        XCTAssertEqual(Array(fifty.suffix(3)), [958, 979, 999])
        // 166.5 and 832.5 round to even, as Python's round does.
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 1000, count: 7), [0, 166, 333, 500, 666, 832, 999])
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 10, count: 4), [0, 3, 6, 9])
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 1000, count: 1), [0])
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 1000, count: 1000), Array(0..<1000))
    }

    func testRespacedChainKeepsTheMarginals() throws {
        let full = try NoiseSchedule(config: SchedulerConfig())
        let r = try full.respaced(steps: 50)
        XCTAssertEqual(r.count, 50)
        XCTAssertEqual(r.modelTimesteps, try NoiseSchedule.spacedTimesteps(total: 1000, count: 50))
        for (k, t) in r.modelTimesteps.enumerated() {
            XCTAssertEqual(r.alphasCumprod[k], full.alphasCumprod[t], accuracy: full.alphasCumprod[t] * 1e-13)
        }
        XCTAssertEqual(r.betas[0], 9.999999999998899e-05, accuracy: 1e-19)
        XCTAssertEqual(r.betas[1], 0.006165187946595374, accuracy: 1e-17)
        // sigma_1^2 of the fixed types becomes the respaced beta~_2: larger than the full chain's
        // (sigma_1 0.0099 instead of 0.0074), but never above beta_1 = 1 - abar_1.
        XCTAssertEqual(r.posteriorVariance[1], 9.841356296513845e-05, accuracy: 1e-17)
        XCTAssertGreaterThan(r.posteriorVariance[1], full.posteriorVariance[1])
        XCTAssertLessThan(r.posteriorVariance[1], full.betas[0])
    }

    func testRespacingTwiceComposesTimesteps() throws {
        let full = try NoiseSchedule(config: SchedulerConfig())
        let twice = try full.respaced(steps: 100).respaced(steps: 10)
        let once = try full.respaced(steps: 100)
        XCTAssertEqual(twice.modelTimesteps, try NoiseSchedule.spacedTimesteps(total: 100, count: 10).map { once.modelTimesteps[$0] })
    }

    func testSameStepCountIsIdentity() throws {
        let full = try NoiseSchedule(config: SchedulerConfig())
        XCTAssertEqual(try full.respaced(steps: 1000), full)
    }

    func testInvalidStepCounts() throws {
        let full = try NoiseSchedule(config: SchedulerConfig())
        for k in [0, -3, 1001] {
            XCTAssertThrowsError(try full.respaced(steps: k)) { error in
                XCTAssertEqual(error as? DiffusionError, .invalidRespacing(steps: k, timesteps: 1000))
            }
        }
    }
}

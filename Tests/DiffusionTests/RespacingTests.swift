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

    func testQuadraticSpacingKeepsLowTimestepsDensely() throws {
        let q = try NoiseSchedule.spacedTimesteps(total: 1000, count: 100, spacing: .quadratic)
        // round(i² 999 / 99²), bumped to stay increasing: every one of the first ten, then wider.
        XCTAssertEqual(Array(q.prefix(12)), Array(0..<11) + [12])
        XCTAssertEqual(q[50], 255)   // 2500 · 999 / 9801 = 254.8
        XCTAssertEqual(q[90], 826)   // 8100 · 999 / 9801 = 825.6
        XCTAssertEqual(Array(q.suffix(2)), [979, 999])
        XCTAssertEqual(q.filter { $0 < 100 }.count, 32)
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 10, count: 4, spacing: .quadratic), [0, 1, 4, 9])
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 1000, count: 1, spacing: .quadratic), [0])
        // Every count: strictly increasing from 0 to the last timestep (the bumps never overrun).
        for total in [2, 3, 10, 37, 1000] {
            for count in 2...total {
                let kept = try NoiseSchedule.spacedTimesteps(total: total, count: count, spacing: .quadratic)
                XCTAssertEqual(kept.count, count)
                XCTAssertEqual(kept.first, 0)
                XCTAssertEqual(kept.last, total - 1, "\(total), \(count)")
                XCTAssertTrue(zip(kept, kept.dropFirst()).allSatisfy { $0 < $1 }, "\(total), \(count)")
            }
        }
        XCTAssertEqual(try NoiseSchedule.spacedTimesteps(total: 1000, count: 1000, spacing: .quadratic), Array(0..<1000))
        let full = try NoiseSchedule(config: SchedulerConfig())
        let r = try full.respaced(steps: 100, spacing: .quadratic)
        XCTAssertEqual(r.modelTimesteps, q)
        for (k, t) in r.modelTimesteps.enumerated() {
            XCTAssertEqual(r.alphasCumprod[k], full.alphasCumprod[t], accuracy: full.alphasCumprod[t] * 1e-13)
        }
        XCTAssertEqual(TimestepSpacing(code: TimestepSpacing.quadratic.code), .quadratic)
        XCTAssertEqual(TimestepSpacing(code: 0), .even)
        XCTAssertNil(TimestepSpacing(code: 7))
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

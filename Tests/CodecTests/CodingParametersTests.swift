import Codec
import Diffusion
import XCTest

/// The one coding-parameter type: defaults, ranges, and the header round trip.
final class CodingParametersTests: XCTestCase {
    func testLibraryDefaults() {
        let lossless = CodingParameters()
        XCTAssertEqual(lossless.mode, .lossless)
        XCTAssertEqual(lossless.spacing, .quadratic)
        XCTAssertEqual(CodingParameters(mode: .progressive).spacing, .even)
        XCTAssertEqual(lossless.chainLength(trainTimesteps: 1000), 100, "a library caller gets the 100-step chain")
        XCTAssertEqual(lossless.chainLength(trainTimesteps: 40), 40, "capped at the schedule")
        var p = lossless
        p.steps = 7
        XCTAssertEqual(p.chainLength(trainTimesteps: 1000), 7)
    }

    func testRangesAreCheckedWithTheParameterNamed() {
        func message(_ change: (inout CodingParameters) -> Void, mode: CodingParameters.Mode = .progressive) -> String {
            var p = CodingParameters(mode: mode)
            change(&p)
            do { try p.validate(trainTimesteps: 1000); return "" } catch { return error.description }
        }
        XCTAssertEqual(message { _ in }, "")
        XCTAssertTrue(message { $0.gridBits = 21 }.contains("grid bits"))
        XCTAssertTrue(message { $0.gridBits = 0 }.contains("1...20"))
        XCTAssertTrue(message { $0.chunkBits = 0 }.contains("chunk bits"))
        XCTAssertTrue(message { $0.slackBits = 5 }.contains("slack bits"))
        XCTAssertTrue(message { $0.groupSize = 0 }.contains("group size"))
        XCTAssertTrue(message { $0.windowSigmas = .nan }.contains("window"))
        XCTAssertTrue(message { $0.steps = 1001 }.contains("1...1000"))
        XCTAssertTrue(message { $0.steps = 10; $0.losslessAfter = 11 }.contains("lossless tail start"))
        XCTAssertTrue(message({ $0.losslessAfter = 3 }, mode: .lossless).contains("does not apply"))
    }

    func header(_ fields: [UInt8: Double], steps: Int = 10) -> DDPMHeader {
        DDPMHeader(modelDigest: [1, 2, 3, 4, 5, 6, 7, 8], modelName: "m", sourceKind: .png,
                   images: [ImageEntry(name: "a", width: 4, height: 4, channels: 1)], patchHeight: 4, patchWidth: 4,
                   steps: steps, trainTimesteps: 1000, parameters: fields, seed: 99)
    }

    func testHeaderRoundTripForEveryMode() throws {
        var lossless = CodingParameters()
        lossless.steps = 10; lossless.seed = 99; lossless.clipDenoised = true; lossless.gridBits = 6; lossless.groupSize = 3
        var progressive = CodingParameters(mode: .progressive)
        progressive.steps = 10; progressive.seed = 99; progressive.clipDenoised = false; progressive.chunkBits = 9
        var tail = progressive
        tail.losslessAfter = 4; tail.slackBits = 2; tail.spacing = .quadratic
        for p in [lossless, progressive, tail] {
            var read = try CodingParameters(header: header(p.headerFields(initialBits: 12.5)))
            // A lossy progressive file records no clipping: the model's applies.
            if !p.hasBitsBackChain { read.clipDenoised = p.clipDenoised }
            XCTAssertEqual(read, p)
        }
    }

    func testBadHeaderValuesAreNamed() {
        func message(_ fields: [UInt8: Double]) -> String {
            do { _ = try CodingParameters(header: header(fields)); return "" } catch { return error.description }
        }
        let good = CodingParameters(mode: .progressive).headerFields(initialBits: nil)
        XCTAssertEqual(message(good), "")
        var bad = good
        bad[CodingParameters.HeaderKey.chunkBits.rawValue] = .nan
        XCTAssertTrue(message(bad).contains("chunk bits"), message(bad))
        bad = good
        bad[CodingParameters.HeaderKey.chunkBits.rawValue] = 1e300
        XCTAssertTrue(message(bad).contains("chunk bits"), message(bad))
        bad = good
        bad[CodingParameters.HeaderKey.spacing.rawValue] = 7
        XCTAssertTrue(message(bad).contains("spacing"), message(bad))
        bad = good
        bad[CodingParameters.HeaderKey.slackBits.rawValue] = nil
        XCTAssertTrue(message(bad).contains("lacks the slack bits"), message(bad))
        var tail = CodingParameters(mode: .progressive)
        tail.losslessAfter = 2
        bad = tail.headerFields(initialBits: nil)
        XCTAssertEqual(message(bad), "")
        bad[CodingParameters.HeaderKey.losslessAfter.rawValue] = 11
        XCTAssertTrue(message(bad).contains("lossless tail start"), message(bad))
        bad[CodingParameters.HeaderKey.losslessAfter.rawValue] = 2
        bad[CodingParameters.HeaderKey.gridBits.rawValue] = nil
        XCTAssertTrue(message(bad).contains("lacks the grid bits"), message(bad))
    }
}

import Codec
import Diffusion
import ImageIO
import XCTest

/// The rate–distortion bookkeeping: bits attributed to images add up to the stream.
final class RDStudyTests: XCTestCase {
    func testTheSetsRateIsTheStreamsBits() throws {
        let codec = try ProgressiveCodec(model: try fixtureModel("gray28-plain"))
        var p = CodingParameters(mode: .progressive)
        p.steps = 4
        p.chunkBits = 8
        var study = RDStudy(codec: codec, parameters: p)
        study.extraSteps = [2]
        study.sheetImages = 1
        study.sheetSteps = [4, 1]
        // Two images of different sizes: one patch and four patches (a non-multiple of 28).
        let images = [try randomImage("a", width: 28, height: 28, channels: 1, seed: 1),
                      try randomImage("b", width: 40, height: 30, channels: 1, seed: 2)]
        let r = try study.run(images)
        XCTAssertEqual(r.dimensions, 28 * 28 + 40 * 30)
        for t in 1...4 {
            let rows = r.rows.filter { $0.step == t && $0.reconstruction == "xhat" }
            XCTAssertEqual(rows.count, 3, "step \(t): two images and the set")
            let all = try XCTUnwrap(rows.first { $0.image == "ALL" })
            let a = try XCTUnwrap(rows.first { $0.image == "a" }), b = try XCTUnwrap(rows.first { $0.image == "b" })
            XCTAssertEqual(a.actual * 784 + b.actual * 1200, all.actual * Double(r.dimensions), accuracy: 1e-6)
            XCTAssertEqual(a.theoretical * 784 + b.theoretical * 1200, all.theoretical * Double(r.dimensions), accuracy: 1e-6)
            XCTAssertGreaterThan(all.rmse, 0)
        }
        let last = try XCTUnwrap(r.rows.first { $0.image == "ALL" && $0.step == 1 && $0.reconstruction == "xhat" })
        XCTAssertEqual(last.actual * Double(r.dimensions), Double(r.streamBits), accuracy: 1e-6,
                       "the set's rate at the last step is the whole stream")
        // The stream's bits are the file's progressive section.
        let encoded = try codec.encode(images, kind: .folder, parameters: p)
        XCTAssertEqual((r.streamBits + 7) / 8, encoded.progressiveBytes)
        XCTAssertEqual(r.rows.filter { $0.reconstruction != "xhat" }.map(\.step), [2, 2, 2, 2, 2, 2])
        XCTAssertEqual(r.frames.map(\.step), [4, 1])
        XCTAssertEqual(r.frames[0].images.count, 1)
    }
}

import Diffusion
import Foundation
import XCTest

/// The preview prior's arithmetic and its file: x̃0 = m + w_t (x̂0 − m), refused cleanly when malformed.
final class PreviewPriorTests: XCTestCase {
    func testShrinksTowardTheMeanByTheStepsWeight() throws {
        // A 2×2 mean patch, 2 channels (CHW), and weights 0, 0.5, 1 for t = 0, 1, 2.
        let mean: [Double] = [0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4]
        let prior = try PreviewPrior(shrink: [0, 0.5, 1], channels: 2, height: 2, width: 2, mean: mean)
        let shape = ChainShape(height: 2, width: 2, channels: 2)
        let xhat: [Double] = [1, -1, 1, -1, 1, -1, 1, -1]   // HWC
        let meanHWC: [Double] = [0.1, -0.1, 0.2, -0.2, 0.3, -0.3, 0.4, -0.4]
        XCTAssertEqual(prior.estimate(xhat, shape: shape, timestep: 0), meanHWC)
        XCTAssertEqual(prior.estimate(xhat, shape: shape, timestep: 2), xhat)
        for (got, (x, m)) in zip(prior.estimate(xhat, shape: shape, timestep: 1), zip(xhat, meanHWC)) {
            XCTAssertEqual(got, (x + m) / 2, accuracy: 1e-15)
        }
        // A patch cut short at an image's edge keeps the mean's top-left part; a larger item falls
        // back to the channel means beyond the mean patch.
        XCTAssertEqual(prior.estimate([0, 0], shape: ChainShape(height: 1, width: 1, channels: 2), timestep: 0), [0.1, -0.1])
        let wide = prior.estimate([Double](repeating: 0, count: 6), shape: ChainShape(height: 1, width: 3, channels: 2), timestep: 0)
        XCTAssertEqual(wide[4], 0.25, accuracy: 1e-15)
        XCTAssertEqual(wide[5], -0.25, accuracy: 1e-15)
        // A mean colour applies everywhere.
        let colour = try PreviewPrior(shrink: [0], channels: 1, height: 1, width: 1, mean: [0.5])
        XCTAssertEqual(colour.estimate([1, 1, 1], shape: ChainShape(height: 1, width: 3, channels: 1), timestep: 0), [0.5, 0.5, 0.5])
    }

    func write(_ json: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: dir.appendingPathComponent("preview.json"))
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.path
    }

    func testTheFileIsReadAndMalformedOnesAreRefusedByName() throws {
        let good = #"{"format": 1, "shrink": [0, 0.25, 1], "mean": {"channels": 1, "height": 1, "width": 1, "values": [-0.5]}}"#
        let prior = try XCTUnwrap(try PreviewPrior.load(directory: try write(good), channels: 1, timesteps: 3))
        XCTAssertEqual(prior.shrink, [0, 0.25, 1])
        XCTAssertNil(try PreviewPrior.load(directory: FileManager.default.temporaryDirectory.path + "/none-\(UUID())",
                                           channels: 1, timesteps: 3))
        let bad = [
            ("not JSON", "{"),
            ("another format", good.replacingOccurrences(of: #""format": 1"#, with: #""format": 2"#)),
            ("weights per timestep", good.replacingOccurrences(of: "[0, 0.25, 1]", with: "[0, 1]")),
            ("a weight above 1", good.replacingOccurrences(of: "[0, 0.25, 1]", with: "[0, 0.25, 1.5]")),
            ("channels", good.replacingOccurrences(of: #""channels": 1"#, with: #""channels": 3"#)),
            ("a mean outside [-1, 1]", good.replacingOccurrences(of: "[-0.5]", with: "[7]")),
            ("too few mean values", good.replacingOccurrences(of: #""height": 1"#, with: #""height": 2"#)),
            ("strings for numbers", good.replacingOccurrences(of: "[-0.5]", with: #"["x"]"#)),
        ]
        for (what, json) in bad {
            XCTAssertThrowsError(try PreviewPrior.load(directory: try write(json), channels: 1, timesteps: 3), what) { error in
                XCTAssertTrue("\(error)".contains("preview.json"), "\(what): \(error)")
            }
        }
    }
}

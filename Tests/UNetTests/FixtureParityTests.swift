import Foundation
import Tensor
import UNet
import XCTest

/// The repository root, found from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let unetFixtures = repositoryRoot.appendingPathComponent("Fixtures/unet")

func fixtureNames() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: unetFixtures.path).filter {
        FileManager.default.fileExists(atPath: unetFixtures.appendingPathComponent("\($0)/io.safetensors").path)
    }.sorted()
}

/// Our forward pass against diffusers' outputs, written by Tools/make_fixtures.py.
final class FixtureParityTests: XCTestCase {
    func testEveryFixtureMatchesDiffusers() throws {
        let names = try fixtureNames()
        XCTAssertGreaterThanOrEqual(names.count, 8, "fixtures missing: run python3 Tools/make_fixtures.py")
        for name in names {
            let dir = unetFixtures.appendingPathComponent(name)
            let net = try UNetModel(directory: dir.path)
            let io = try SafeTensors(path: dir.appendingPathComponent("io.safetensors").path)
            let sample = try XCTUnwrap(io.tensors["sample"]), eps = try XCTUnwrap(io.tensors["eps"])
            let t = try XCTUnwrap(io.tensors["timestep"])
            let x = FeatureMap(nchw: sample.values, batch: sample.shape[0], channels: sample.shape[1],
                               height: sample.shape[2], width: sample.shape[3])
            var activations: [String: [Float]] = [:]
            let out = net(x, timesteps: t.values.map(Double.init)) { activations[$0] = $1 }
            XCTAssertEqual([out.batch, out.channels, out.height, out.width], eps.shape, name)
            let (rel, maxAbs) = errors(out.toNCHW(), eps.values)
            XCTAssertLessThanOrEqual(rel, 1e-5, "\(name): relative RMS error of eps")
            XCTAssertLessThanOrEqual(maxAbs, 1e-4, "\(name): max abs error of eps")
            // Intermediate activations localize a failure; they must agree as well.
            for (key, want) in io.tensors where key.hasPrefix("act.") {
                guard let got = activations[key] else { XCTFail("\(name): no activation \(key)"); continue }
                XCTAssertEqual(got.count, want.count, "\(name) \(key)")
                if got.count == want.count {
                    XCTAssertLessThanOrEqual(errors(got, want.values).rel, 1e-5, "\(name) \(key)")
                }
            }
        }
    }

    func errors(_ got: [Float], _ want: [Float]) -> (rel: Double, maxAbs: Double) {
        var se = 0.0, sw = 0.0, m = 0.0
        for i in 0..<want.count {
            let d = Double(got[i]) - Double(want[i])
            se += d * d; sw += Double(want[i]) * Double(want[i]); m = max(m, abs(d))
        }
        return ((se / max(sw, 1e-300)).squareRoot(), m)
    }
}

import Foundation
import ImageIO
import XCTest

/// An RGBA or gray+alpha PNG, as a user has them: coded without loss and given back with its alpha.
final class AlphaCLITests: XCTestCase {
    var tmp: URL!
    override func setUpWithError() throws { tmp = try temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func png(_ name: String, channels: Int, alpha: (Int) -> UInt8) throws -> (URL, Image) {
        let (w, h) = (11, 6)
        let colour = ProgressiveCLITests.pixels(count: w * h * channels, seed: UInt32(channels))
        let image = try Image(width: w, height: h, channels: channels, pixels: colour, alpha: (0..<(w * h)).map(alpha))
        let url = tmp.appendingPathComponent(name)
        try PNGCodec.write(image, to: url.path)
        return (url, image)
    }

    func testRGBAAndGrayAlphaComeBackExactlyInBothModes() throws {
        let cases = [(try png("rgba.png", channels: 3) { $0 % 11 < 4 ? 0 : UInt8(255 - $0) }, ProgressiveCLITests.rgb),
                     (try png("opaque.png", channels: 3) { _ in 255 }, ProgressiveCLITests.rgb),
                     (try png("ga.png", channels: 1) { UInt8(($0 * 37) % 256) }, ProgressiveCLITests.gray)]
        for ((input, image), model) in cases {
            for mode in [["--route", "bits-back"], ["--progressive", "--lossless-after", "2"]] {
                let encoded = tmp.appendingPathComponent("x.ddpm"), decoded = tmp.appendingPathComponent("x.png")
                try? FileManager.default.removeItem(at: encoded)
                try? FileManager.default.removeItem(at: decoded)
                let e = try CLI.run(["encode", input.path, "-o", encoded.path, "--model", model, "--steps", "3"] + mode)
                XCTAssertEqual(e.status, 0, e.stderr)
                let d = try CLI.run(["decode", encoded.path, "-o", decoded.path, "--model", model])
                XCTAssertEqual(d.status, 0, d.stderr)
                XCTAssertTrue(d.stderr.contains("exactly"), d.stderr)
                XCTAssertEqual(try PNGCodec.read(path: decoded.path), image, "\(input.lastPathComponent) \(mode)")
                let info = try CLI.run(["info", encoded.path, "--json"])
                XCTAssertTrue(info.stdout.contains("\"alpha\" : true"), info.stdout)
                // An array cannot hold the alpha: refused before any work, nothing written.
                let npy = tmp.appendingPathComponent("x.npy")
                let refused = try CLI.run(["decode", encoded.path, "-o", npy.path, "--model", model])
                XCTAssertNotEqual(refused.status, 0)
                XCTAssertTrue(refused.stderr.contains("alpha"), refused.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: npy.path))
            }
        }
    }
}

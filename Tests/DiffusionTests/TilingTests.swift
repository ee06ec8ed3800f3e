import Diffusion
import XCTest

final class TilingTests: XCTestCase {
    func testPatchGeometry() {
        let t = PatchTiling(height: 40, width: 36, patchHeight: 28, patchWidth: 28)
        XCTAssertEqual(t.rows, 2)
        XCTAssertEqual(t.columns, 2)
        XCTAssertEqual(t.count, 4)
        XCTAssertTrue(t.origin(3) == (28, 28))
        XCTAssertTrue(t.realSize(0) == (28, 28))
        XCTAssertTrue(t.realSize(1) == (28, 8))
        XCTAssertTrue(t.realSize(2) == (12, 28))
        XCTAssertTrue(t.realSize(3) == (12, 8))
        let small = PatchTiling(height: 20, width: 24, patchHeight: 28, patchWidth: 28)
        XCTAssertEqual(small.count, 1)
        XCTAssertTrue(small.realSize(0) == (20, 24))
        // Real sub-pixels are counted once: the real sizes tile the image.
        let total = (0..<t.count).reduce(0) { $0 + t.realSize($1).height * t.realSize($1).width }
        XCTAssertEqual(total, 40 * 36)
    }

    func testExtractReplicatesEdges() {
        // 3x2 image, 2 channels, value = 100 y + 10 x + c.
        let (h, w, c) = (3, 2, 2)
        var image: [Double] = []
        for y in 0..<h { for x in 0..<w { for ch in 0..<c { image.append(Double(100 * y + 10 * x + ch)) } } }
        let t = PatchTiling(height: h, width: w, patchHeight: 4, patchWidth: 4)
        var out = [Float](repeating: -1, count: 1 + 4 * 4 * c)
        t.extract(0, from: image, channels: c, into: &out, at: 1)
        XCTAssertEqual(out[0], -1)
        func at(_ y: Int, _ x: Int, _ ch: Int) -> Float { out[1 + (y * 4 + x) * c + ch] }
        XCTAssertEqual(at(0, 0, 1), 1)
        XCTAssertEqual(at(2, 1, 0), 210)
        XCTAssertEqual(at(0, 3, 0), 10)   // right padding repeats column 1
        XCTAssertEqual(at(3, 0, 1), 201)  // bottom padding repeats row 2
        XCTAssertEqual(at(3, 3, 1), 211)  // corner repeats the corner pixel
    }
}

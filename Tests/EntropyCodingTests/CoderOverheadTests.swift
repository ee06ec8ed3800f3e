import EntropyCoding
import Numerics
import XCTest

/// What coding costs against the ideal: the rANS rounding (coded bits against the sum of
/// -log2 of the quantized probabilities) and the quantization (those against -log2 of the
/// exact Gaussian masses).
final class CoderOverheadTests: XCTestCase {
    func measure(precision: Int?, stdOverDelta: Double, bins: ClosedRange<Int>, count: Int = 100_000)
        throws -> (coderOverhead: Double, quantizationGap: Double, idealBits: Double, words: Int) {
        let grid = try GaussianGrid(delta: 1 / stdOverDelta, symbols: bins, precision: precision)
        var rng = TestRNG(UInt64(grid.precision))
        var symbols: [Int] = [], means: [Double] = []
        var ideal = 0.0, exact = 0.0
        for _ in 0..<count {
            let mean = rng.uniform(-3, 3)
            let symbol = grid.symbol(nearestTo: mean + rng.normal())
            let codec = try DiscretizedGaussianCodec(mean: mean, std: 1, grid: grid)
            ideal += try codec.quantizedCodeLength(of: symbol)
            exact += try codec.exactCodeLength(of: symbol)
            symbols.append(symbol)
            means.append(mean)
        }
        var stack = RANSStack()
        try grid.push(symbols, means: means, std: 1, onto: &stack)
        let coded = stack.bitCount
        XCTAssertEqual(try grid.pop(means: means, std: 1, from: &stack), symbols)
        XCTAssertTrue(stack.holdsOnlyInitialBits)
        return (coded / ideal - 1, (ideal - exact) / Double(count), ideal, stack.serializedWordCount)
    }

    /// 10^5 latents at the default precision: within 0.1% of the ideal, plus a few words.
    func testCoderOverheadAtDefaultPrecision() throws {
        let r = try measure(precision: nil, stdOverDelta: 64, bins: -1000...1000)
        XCTAssertLessThan(abs(r.coderOverhead), 1e-4, "coder overhead \(r.coderOverhead)")
        XCTAssertLessThan(Double(32 * r.words), r.idealBits * 1.001 + 32 * 4, "serialized size")
        // n / M / ln 2 = 1.1e-5 bits per symbol reserved for the frequency-1 floor.
        XCTAssertLessThan(r.quantizationGap, 2e-5, "quantization gap \(r.quantizationGap) bits/symbol")
        XCTAssertGreaterThan(r.quantizationGap, 0)
    }

    /// The trade-off that sets the default: a low precision pays n / M per symbol in the
    /// reserved units, a high one pays the rANS rounding (the state is only 2^32 above the
    /// frequencies at P = 32).
    func testPrecisionTradeOff() throws {
        let low = try measure(precision: 20, stdOverDelta: 64, bins: -20_000...20_000, count: 20_000)
        let high = try measure(precision: 32, stdOverDelta: 64, bins: -20_000...20_000, count: 20_000)
        XCTAssertGreaterThan(low.quantizationGap, 0.03)  // 40001 / 2^20 / ln 2 = 0.055
        XCTAssertLessThan(abs(low.coderOverhead), 1e-5)
        XCTAssertLessThan(high.quantizationGap, 1e-4)
        XCTAssertGreaterThan(high.coderOverhead, 5e-5)
    }

    func testPixelCodecOverhead() throws {
        var rng = TestRNG(31)
        var pixels: [UInt8] = [], means: [Double] = []
        var ideal = 0.0, exact = 0.0
        for _ in 0..<50_000 {
            let mean = rng.uniform(-1.1, 1.1)
            let v = UInt8(min(max(Int(((mean + 0.03 * rng.normal() + 1) * 127.5).rounded()), 0), 255))
            let codec = try DiscretizedGaussianPixelCodec(mean: mean, std: 0.03)
            ideal += try codec.quantizedCodeLength(of: v)
            exact += try codec.exactCodeLength(of: v)
            pixels.append(v)
            means.append(mean)
        }
        var stack = RANSStack()
        try DiscretizedGaussianPixelCodec.push(pixels, means: means, std: 0.03, onto: &stack)
        XCTAssertLessThan(abs(stack.bitCount / ideal - 1), 1e-4)
        XCTAssertLessThan((ideal - exact) / 50_000, 1e-5)  // 256 / 2^26 / ln 2 = 5.5e-6
        XCTAssertEqual(try DiscretizedGaussianPixelCodec.pop(means: means, std: 0.03, from: &stack), pixels)
    }
}

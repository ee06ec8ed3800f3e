import EntropyCoding
import XCTest

/// Random symbol sequences through every codec: pushing then popping returns the symbols and
/// the stack's exact previous state.
final class CodecRoundTripTests: XCTestCase {
    func roundTrip<C: SymbolCodec>(_ codecs: [C], _ symbols: [C.Symbol], seed: UInt64 = 0,
                                   file: StaticString = #filePath, line: UInt = #line) throws where C.Symbol: Equatable {
        var stack = RANSStack(seed: seed)
        try UniformCodec(count: 1 << 20).push(777, onto: &stack)
        let before = stack
        try stack.push(symbols, codecs: codecs)
        XCTAssertEqual(stack.pop(codecs: codecs), symbols, file: file, line: line)
        XCTAssertEqual(stack, before, file: file, line: line)
        XCTAssertEqual(stack.serializedWords(), before.serializedWords(), file: file, line: line)
    }

    func testUniform() throws {
        var rng = TestRNG(10)
        for (count, precision) in [(1, nil), (2, nil), (256, nil), (1000, nil), (1 << 32, nil), (3, 2), (5, 32),
                                   (1 << 31 + 1, 32), (77, 7)] as [(Int, Int?)] {
            let codec = try UniformCodec(count: count, precision: precision)
            let symbols = (0..<2_000).map { _ in Int(rng.next() % UInt64(count)) } + [0, count - 1]
            try roundTrip([UniformCodec](repeating: codec, count: symbols.count), symbols)
            XCTAssertThrowsError(try codec.interval(of: count))
            XCTAssertThrowsError(try codec.interval(of: -1))
            // Every slot maps into the interval of its symbol.
            for _ in 0..<2_000 {
                let slot = UInt32(truncatingIfNeeded: rng.next() % (UInt64(1) << UInt64(codec.precision)))
                let (s, i) = codec.symbol(containing: slot)
                XCTAssertEqual(try codec.interval(of: s), i)
                XCTAssert(i.start <= slot && UInt64(slot) < UInt64(i.start) + UInt64(i.frequency))
            }
        }
        XCTAssertEqual(try UniformCodec(count: 256).quantizedCodeLength(of: 17), 8)
        XCTAssertEqual(try UniformCodec(count: 256).precision, 8)
        XCTAssertEqual(try UniformCodec(count: 1000).precision, 28)
        XCTAssertEqual(try UniformCodec(count: 1 << 22 + 1).precision, 31)
        XCTAssertEqual(try UniformCodec(count: 1000).quantizedCodeLength(of: 999), log2(1000), accuracy: 1e-5)
        XCTAssertThrowsError(try UniformCodec(count: 0))
        XCTAssertThrowsError(try UniformCodec(count: 300, precision: 8))
        XCTAssertThrowsError(try UniformCodec(count: 1, precision: 32))
    }

    func testCategorical() throws {
        var rng = TestRNG(11)
        let table = try CategoricalCodec(frequencies: [3, 0, 1, 8, 0, 4], precision: 4)
        let symbols = (0..<3_000).map { _ in [0, 2, 3, 5][rng.int(0...3)] }
        try roundTrip([CategoricalCodec](repeating: table, count: symbols.count), symbols)
        XCTAssertThrowsError(try table.interval(of: 1)) { XCTAssertEqual($0 as? EntropyCodingError, .zeroFrequency(1)) }
        XCTAssertThrowsError(try table.interval(of: 6)) { XCTAssertEqual($0 as? EntropyCodingError, .symbolOutOfRange(6)) }
        XCTAssertEqual(try table.exactProbability(of: 3), 0.5)
        for slot in UInt32(0)..<16 {
            let (s, i) = table.symbol(containing: slot)
            XCTAssertGreaterThan(i.frequency, 0)
            XCTAssertEqual(try table.interval(of: s), i)
        }
        XCTAssertThrowsError(try CategoricalCodec(frequencies: [3, 4], precision: 4))

        // From weights: every symbol, weight 0 included, gets frequency >= 1.
        let weights = (0..<500).map { i in i % 7 == 0 ? 0 : rng.uniform(0, 1) * rng.uniform(0, 1) }
        let quantized = try CategoricalCodec(weights: weights, precision: 12)
        let all = (0..<4_000).map { _ in rng.int(0...499) }
        try roundTrip([CategoricalCodec](repeating: quantized, count: all.count), all)
        var total: UInt64 = 0
        for s in 0..<500 {
            let i = try quantized.interval(of: s)
            XCTAssertGreaterThanOrEqual(i.frequency, 1)
            XCTAssertEqual(UInt64(i.start), total)
            total += UInt64(i.frequency)
        }
        XCTAssertEqual(total, 1 << 12)
        XCTAssertThrowsError(try CategoricalCodec(weights: [1, .nan], precision: 12))
        XCTAssertThrowsError(try CategoricalCodec(weights: [0, 0], precision: 12))
        XCTAssertThrowsError(try CategoricalCodec(weights: [1, 2, 3], precision: 1))
    }

    func testDiscretizedGaussian() throws {
        var rng = TestRNG(12)
        for precision in [16, 24, 28, 30, 32] {
            let delta = rng.logUniform(1e-3, 1)
            let k = rng.int(10...50_000)
            guard let grid = try? GaussianGrid(delta: delta, symbols: -k...(k / 2), precision: precision) else { continue }
            var codecs: [DiscretizedGaussianCodec] = []
            var symbols: [Int] = []
            for _ in 0..<3_000 {
                let std = delta * rng.logUniform(0.01, 1000)
                let mean = rng.uniform(-1.2, 1.2) * Double(k) * delta
                let codec = try DiscretizedGaussianCodec(mean: mean, std: std, grid: grid)
                codecs.append(codec)
                // Mostly typical values, some anywhere in range (tails, edge bins).
                symbols.append(rng.int(0...9) == 0 ? rng.int(grid.symbols) : grid.symbol(nearestTo: mean + std * rng.normal()))
            }
            try roundTrip(codecs, symbols, seed: UInt64(precision))
        }
    }

    func testGaussianRejectsBadParameters() throws {
        let grid = try GaussianGrid(delta: 0.1, symbols: -10...10)
        XCTAssertThrowsError(try DiscretizedGaussianCodec(mean: .nan, std: 1, grid: grid))
        XCTAssertThrowsError(try DiscretizedGaussianCodec(mean: 0, std: 0, grid: grid))
        XCTAssertThrowsError(try DiscretizedGaussianCodec(mean: 0, std: .infinity, grid: grid))
        XCTAssertThrowsError(try DiscretizedGaussianCodec(mean: 0, std: 1, grid: grid).interval(of: 11)) {
            XCTAssertEqual($0 as? EntropyCodingError, .symbolOutOfRange(11))
        }
        XCTAssertThrowsError(try GaussianGrid(delta: 0, symbols: -1...1))
        XCTAssertThrowsError(try GaussianGrid(delta: 1, symbols: -1...1, precision: 1), "3 bins in 2^1")
        XCTAssertThrowsError(try GaussianGrid(delta: 1, symbols: 0...(1 << 52)))
        XCTAssertEqual(try GaussianGrid(delta: 0.25, bound: 1.1).symbols, -5...5)
        // The default precision follows the bin count.
        XCTAssertEqual(try GaussianGrid(delta: 1, symbols: 0...999).precision, 28)
        XCTAssertEqual(try GaussianGrid(delta: 1, symbols: 0...99_999).precision, 29)
        XCTAssertEqual(try GaussianGrid(delta: 1, symbols: 0...299_999).precision, 30)
        XCTAssertEqual(try GaussianGrid(delta: 1, symbols: 0...3_000_000).precision, 31)
        var stack = RANSStack()
        XCTAssertThrowsError(try grid.push([1, 2], means: [0], std: 1, onto: &stack)) {
            XCTAssertEqual($0 as? EntropyCodingError, .lengthMismatch(expected: 2, got: 1))
        }
    }

    func testGridValues() throws {
        let grid = try GaussianGrid(delta: 0.5, symbols: -4...6)
        XCTAssertEqual(grid.value(of: 3), 1.5)
        XCTAssertEqual(grid.symbol(nearestTo: 1.3), 3)
        XCTAssertEqual(grid.symbol(nearestTo: -0.74), -1)
        XCTAssertEqual(grid.symbol(nearestTo: -100), -4)
        XCTAssertEqual(grid.symbol(nearestTo: .infinity), 6)
        XCTAssertEqual(grid.symbol(nearestTo: .nan), -4)
    }

    func testPixels() throws {
        var rng = TestRNG(13)
        var codecs: [DiscretizedGaussianPixelCodec] = []
        var pixels: [UInt8] = []
        for _ in 0..<4_000 {
            let std = rng.logUniform(1e-4, 3)
            let mean = rng.uniform(-1.5, 1.5)
            codecs.append(try DiscretizedGaussianPixelCodec(mean: mean, std: std, precision: [16, 24, 30][rng.int(0...2)]))
            let v = Int(((mean + std * rng.normal() + 1) * 127.5).rounded())
            pixels.append(UInt8(min(max(v, 0), 255)))
        }
        try roundTrip(codecs, pixels)
        XCTAssertEqual(DiscretizedGaussianPixelCodec.value(of: 0), -1)
        XCTAssertEqual(DiscretizedGaussianPixelCodec.value(of: 255), 1)
        // The edge bins are open: a mean far outside [-1, 1] puts nearly all mass on them.
        XCTAssertEqual(try DiscretizedGaussianPixelCodec(mean: 5, std: 0.1).exactProbability(of: 255), 1)
        XCTAssertEqual(try DiscretizedGaussianPixelCodec(mean: -5, std: 0.1).interval(of: 0).frequency, (1 << 26) - 255)
        XCTAssertThrowsError(try DiscretizedGaussianPixelCodec(mean: 0, std: 1, precision: 7))
    }

    /// Arrays are pushed last element first, so popping returns element 0 first: popping an
    /// array is the same as popping its elements one at a time in index order.
    func testArrayOrderConvention() throws {
        let grid = try GaussianGrid(delta: 0.01, bound: 5, precision: 24)
        let means = [0.5, -1.0, 2.0, 0.0]
        let symbols = [40, -120, 190, 3]
        var stack = RANSStack()
        try grid.push(symbols, means: means, std: 0.3, onto: &stack)
        var copy = stack
        XCTAssertEqual(try grid.pop(means: means, stds: [0.3, 0.3, 0.3, 0.3], from: &stack), symbols)
        for i in 0..<4 {
            XCTAssertEqual(try DiscretizedGaussianCodec(mean: means[i], std: 0.3, grid: grid).pop(from: &copy), symbols[i])
        }
        XCTAssertEqual(stack, copy)
        var viaStds = RANSStack()
        try grid.push(symbols, means: means, stds: [0.3, 0.3, 0.3, 0.3], onto: &viaStds)
        var viaGeneric = RANSStack()
        try viaGeneric.push(symbols, codecs: means.map { try DiscretizedGaussianCodec(mean: $0, std: 0.3, grid: grid) })
        XCTAssertEqual(viaStds, viaGeneric)
        XCTAssertEqual(viaStds.serializedWords(), try {
            var s = RANSStack()
            try grid.push(symbols, means: means, std: 0.3, onto: &s)
            return s.serializedWords()
        }())
    }
}

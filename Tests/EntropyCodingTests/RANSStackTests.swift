import EntropyCoding
import XCTest

final class RANSStackTests: XCTestCase {
    /// Raw intervals of every precision: pushing then popping in reverse order gives back
    /// every interval and leaves the stack exactly as it was, representation included.
    func testRawPushPopAreExactInverses() throws {
        var rng = TestRNG(1)
        var stack = RANSStack(seed: 3)
        try UniformCodec(count: 1 << 20).push(12345, onto: &stack)  // start from a nontrivial state
        let before = stack
        var pushed: [(start: UInt32, frequency: UInt32, precision: Int)] = []
        for _ in 0..<20_000 {
            let p = rng.int(1...32)
            let total = UInt64(1) << UInt64(p)
            // Mostly small frequencies (many renormalizations), some close to the whole range.
            let f = rng.next() % 4 == 0 ? total - rng.next() % min(total, 16) : 1 + rng.next() % total
            let frequency = UInt32(min(f, total - (p == 32 ? 1 : 0)))
            let start = UInt32(rng.next() % (total - UInt64(frequency) + 1))
            try stack.push(start: start, frequency: frequency, precision: p)
            pushed.append((start, frequency, p))
        }
        for (start, frequency, p) in pushed.reversed() {
            let slot = stack.peek(precision: p)
            XCTAssert(start <= slot && UInt64(slot) < UInt64(start) + UInt64(frequency))
            try stack.commitPop(start: start, frequency: frequency, precision: p)
        }
        XCTAssertEqual(stack, before)
        XCTAssertEqual(stack.serializedWords(), before.serializedWords())
        XCTAssertEqual(stack.borrowedWordCount, 0)
    }

    func testInvalidArgumentsThrow() {
        var stack = RANSStack()
        XCTAssertThrowsError(try stack.push(start: 0, frequency: 0, precision: 8)) {
            XCTAssertEqual($0 as? EntropyCodingError, .invalidInterval(start: 0, frequency: 0, precision: 8))
        }
        XCTAssertThrowsError(try stack.push(start: 200, frequency: 57, precision: 8))
        XCTAssertThrowsError(try stack.push(start: 0, frequency: 1, precision: 0)) {
            XCTAssertEqual($0 as? EntropyCodingError, .invalidPrecision(0))
        }
        XCTAssertThrowsError(try stack.push(start: 0, frequency: 1, precision: 33))
        let slot = stack.peek(precision: 16)
        let wrongStart = slot == UInt32.max >> 16 ? 0 : slot + 1
        XCTAssertThrowsError(try stack.commitPop(start: wrongStart, frequency: 1, precision: 16))
        XCTAssertEqual(stack, RANSStack(), "a rejected call must not change the stack")
    }

    func testSerializationRoundTrip() throws {
        var rng = TestRNG(2)
        let codec = try CategoricalCodec(weights: [5, 1, 0.25, 3, 0, 7], precision: 14)
        var symbols: [Int] = []
        for _ in 0..<5_000 { symbols.append(rng.int(0...5)) }
        var encoder = RANSStack(seed: 11)
        try encoder.push(symbols, codecs: [CategoricalCodec](repeating: codec, count: symbols.count))
        let words = encoder.serializedWords()
        XCTAssertEqual(words.count, encoder.serializedWordCount)
        let bytes = encoder.serializedBytes()
        XCTAssertEqual(bytes.count, 4 * (words.count - 1) + (32 - words[0].leadingZeroBitCount + 7) / 8,
                       "the state's high word in as few bytes as hold it")
        for var decoder in [try RANSStack(serializedWords: words, seed: 11), try RANSStack(serializedBytes: bytes, seed: 11)] {
            XCTAssertEqual(decoder, encoder)
            XCTAssertEqual(decoder.serializedWords(), words)
            XCTAssertEqual(decoder.pop(codecs: [CategoricalCodec](repeating: codec, count: symbols.count)), symbols)
            XCTAssertTrue(decoder.holdsOnlyInitialBits)
            XCTAssertEqual(decoder.borrowedWordCount, 0)
        }
    }

    func testMalformedSerializedStacksAreRejected() {
        XCTAssertThrowsError(try RANSStack(serializedWords: [])) {
            guard case .malformedStack = $0 as? EntropyCodingError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try RANSStack(serializedWords: [7]))
        XCTAssertThrowsError(try RANSStack(serializedWords: [0, 0xFFFF_FFFF]), "state below 2^32")
        XCTAssertThrowsError(try RANSStack(serializedBytes: [1, 2, 3, 4]), "the state alone needs 5 bytes")
        XCTAssertThrowsError(try RANSStack(serializedBytes: [0, 1, 2, 3, 4]), "state below 2^32")
        XCTAssertThrowsError(try RANSStack(serializedBytes: []))
    }

    /// The state's high word takes 1 to 4 bytes, and the payload's length tells the reader which.
    func testTheStateIsStoredInAsFewBytesAsHoldIt() throws {
        for (high, bytes) in [(UInt32(1), 1), (0xFF, 1), (0x100, 2), (0xFFFF, 2), (0x1_0000, 3), (0x100_0000, 4), (0xFFFF_FFFF, 4)] {
            for stored in [[UInt32](), [7, 0, 0xFFFF_FFFF]] {
                let stack = try RANSStack(serializedWords: [high, 0x1234_5678] + stored, seed: 3)
                let data = stack.serializedBytes()
                XCTAssertEqual(data.count, bytes + 4 + 4 * stored.count, "high word 0x\(String(high, radix: 16))")
                let back = try RANSStack(serializedBytes: data, seed: 3)
                XCTAssertEqual(back, stack)
                XCTAssertEqual(back.serializedWords(), [high, 0x1234_5678] + stored)
            }
        }
    }

    /// Bits-back's first move: pop from a fresh stack (drawing virtual words), then push the
    /// same symbols back. The content comes back exactly; the borrowed words are now stored.
    func testPoppingFromAFreshStackThenPushingBackRestoresIt() throws {
        var rng = TestRNG(3)
        let fresh = RANSStack(seed: 42)
        var stack = fresh
        var codecs: [DiscretizedGaussianCodec] = []
        let grid = try GaussianGrid(delta: 1.0 / 64, bound: 8)
        for _ in 0..<2_000 { codecs.append(try DiscretizedGaussianCodec(mean: rng.uniform(-2, 2), std: rng.uniform(0.1, 1), grid: grid)) }
        var ideal = 0.0
        let popped = stack.pop(codecs: codecs)
        for (c, s) in zip(codecs, popped) { ideal += try c.quantizedCodeLength(of: s) }
        XCTAssertGreaterThan(stack.borrowedWordCount, 0)
        XCTAssertEqual(stack.bitCount, -ideal, accuracy: 1e-3 * ideal + 1)
        XCTAssertEqual(stack.initialBits, ideal, accuracy: 1e-3 * ideal + 1)
        try stack.push(popped, codecs: codecs)
        XCTAssertTrue(stack.hasSameContent(as: fresh))
        XCTAssertTrue(stack.holdsOnlyInitialBits)
        XCTAssertNotEqual(stack, fresh, "the borrowed words are stored now")
        XCTAssertEqual(stack.bitCount, 0, accuracy: 1e-9)
        // The popped symbols look like samples: their mean standardized value is near 0.
        let z = zip(codecs, popped).map { (grid.value(of: $1) - $0.mean) / $0.std }
        XCTAssertEqual(z.reduce(0, +) / Double(z.count), 0, accuracy: 0.1)
        // A different seed gives different virtual words.
        var other = RANSStack(seed: 43)
        XCTAssertNotEqual(other.pop(codecs: Array(codecs[0..<50])), Array(popped[0..<50]))
    }

    /// A miniature bits-back chain: latent z ~ q(z | x) popped, x pushed with p(x | z), z
    /// pushed with p(z); the decoder undoes it in reverse. The decode must end with exactly
    /// the encoder's initial bits, and the net cost must be the bits-back codelength.
    func testBitsBackChainRoundTrip() throws {
        var rng = TestRNG(4)
        let grid = try GaussianGrid(delta: 1.0 / 32, bound: 6)
        let data = (0..<3_000).map { _ in UInt8(rng.int(0...255)) }
        let xs = data.map(DiscretizedGaussianPixelCodec.value)
        let qStd = 0.05, prior = 1.0
        var encoder = RANSStack(seed: 9)
        var ideal = 0.0
        for image in 0..<3 {  // three "images" chained on one stack pay the initial bits once
            let chunk = Array(data[image * 1000..<(image + 1) * 1000])
            let means = Array(xs[image * 1000..<(image + 1) * 1000])
            let z = try grid.pop(means: means, std: qStd, from: &encoder)
            let zValues = z.map(grid.value)
            try DiscretizedGaussianPixelCodec.push(chunk, means: zValues, std: qStd, onto: &encoder)
            try grid.push(z, means: [Double](repeating: 0, count: z.count), std: prior, onto: &encoder)
            for i in 0..<z.count {
                ideal += try DiscretizedGaussianPixelCodec(mean: zValues[i], std: qStd).quantizedCodeLength(of: chunk[i])
                ideal += try DiscretizedGaussianCodec(mean: 0, std: prior, grid: grid).quantizedCodeLength(of: z[i])
                ideal -= try DiscretizedGaussianCodec(mean: means[i], std: qStd, grid: grid).quantizedCodeLength(of: z[i])
            }
        }
        XCTAssertEqual(encoder.bitCount, ideal, accuracy: 1e-3 * abs(ideal) + 64)
        // About log2(qStd / delta) + log2(sqrt(2 pi e)) = 2.7 bits per dimension, paid by the
        // first image only: the later ones pop what the earlier ones pushed.
        XCTAssertEqual(encoder.initialBits / 1000, 2.72, accuracy: 0.15)

        var decoder = try RANSStack(serializedBytes: encoder.serializedBytes(), seed: 9)
        for image in (0..<3).reversed() {
            let z = try grid.pop(means: [Double](repeating: 0, count: 1000), std: prior, from: &decoder)
            let chunk = try DiscretizedGaussianPixelCodec.pop(means: z.map(grid.value), std: qStd, from: &decoder)
            try grid.push(z, means: chunk.map(DiscretizedGaussianPixelCodec.value), std: qStd, onto: &decoder)
            XCTAssertEqual(chunk, Array(data[image * 1000..<(image + 1) * 1000]))
        }
        XCTAssertEqual(decoder.borrowedWordCount, 0)
        XCTAssertTrue(decoder.holdsOnlyInitialBits)
    }

    /// A decoder reading damaged input never crashes: truncation makes it borrow virtual words
    /// (or fail the final check), and any other damage fails the final check.
    func testDamagedInputNeverCrashesAndIsDetected() throws {
        var rng = TestRNG(5)
        let grid = try GaussianGrid(delta: 1.0 / 16, bound: 10, precision: 24)
        let means = (0..<2_000).map { _ in rng.uniform(-3, 3) }
        let symbols = means.map { grid.symbol(nearestTo: $0 + 0.7 * rng.normal()) }
        var encoder = RANSStack(seed: 1)
        try grid.push(symbols, means: means, std: 0.7, onto: &encoder)
        let words = encoder.serializedWords()

        func decode(_ input: [UInt32]) -> (symbols: [Int], borrowed: Int, clean: Bool)? {
            guard var decoder = try? RANSStack(serializedWords: input, seed: 1) else { return nil }
            let out = try! grid.pop(means: means, std: 0.7, from: &decoder)
            return (out, decoder.borrowedWordCount, decoder.holdsOnlyInitialBits)
        }
        let intact = try XCTUnwrap(decode(words))
        XCTAssertEqual(intact.symbols, symbols)
        XCTAssertTrue(intact.clean && intact.borrowed == 0)

        for cut in [1, 2, 5, words.count / 2, words.count - 3] {  // the end of the file lost
            let result = try XCTUnwrap(decode(Array(words.dropLast(cut))))
            XCTAssertGreaterThan(result.borrowed, 0, "cut \(cut)")
            XCTAssertFalse(result.clean)
        }
        for _ in 0..<50 {  // bit flips and garbage words anywhere
            var damaged = words
            let i = rng.int(0...(words.count - 1))
            damaged[i] ^= UInt32(truncatingIfNeeded: rng.next()) | 1
            if let result = decode(damaged) { XCTAssertFalse(result.clean && result.borrowed == 0) }
        }
        for count in [2, 3, 50] {  // garbage of any length
            let garbage = (0..<count).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 0x8000_0000 }
            if let result = decode(garbage) { XCTAssertFalse(result.clean && result.borrowed == 0) }
        }
        // Extra words after the data leave words over: the check fails too.
        let extended = try XCTUnwrap(decode(words + [123, 456]))
        XCTAssertFalse(extended.clean)
    }

    /// Bit counts move by the ideal codelength of each push and pop.
    func testBitCountFollowsQuantizedCodeLengths() throws {
        var stack = RANSStack()
        XCTAssertEqual(stack.bitCount, 0)
        let bits = try UniformCodec(count: 1 << 16)
        for i in 0..<100 { try bits.push(i, onto: &stack) }
        XCTAssertEqual(stack.bitCount, 1600, accuracy: 1e-4)
        XCTAssertEqual(stack.serializedWordCount, 2 + 50)
        for _ in 0..<30 { _ = bits.pop(from: &stack) }
        XCTAssertEqual(stack.bitCount, 1120, accuracy: 1e-4)
        XCTAssertEqual(stack.initialBits, 0)
    }
}

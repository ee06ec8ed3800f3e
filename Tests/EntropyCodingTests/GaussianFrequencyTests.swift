import EntropyCoding
import Numerics
import XCTest

/// The quantized CDF: every bin has frequency >= 1, and popping inverts it exactly, for every
/// slot at a small precision and a dense sample of slots at the coding precisions.
final class GaussianFrequencyTests: XCTestCase {
    static let cases: [GaussianCase] = [
        GaussianCase(mean: 0.3, std: 1, delta: 1.0 / 16, symbols: -100...100, precision: 12),
        GaussianCase(mean: 0.012, std: 1e-4, delta: 0.01, symbols: -50...50, precision: 12),   // one bin takes ~all
        GaussianCase(mean: 0.005, std: 1e-9, delta: 0.01, symbols: -50...50, precision: 12),   // on an edge
        GaussianCase(mean: -2, std: 1e6, delta: 0.5, symbols: -2000...2000, precision: 12),    // huge std: ~uniform
        GaussianCase(mean: 1e4, std: 0.3, delta: 0.1, symbols: -300...300, precision: 12),     // far right of range
        GaussianCase(mean: -1e300, std: 1e-300, delta: 1, symbols: 0...9, precision: 12),      // extreme
        GaussianCase(mean: 7.49, std: 0.2, delta: 1, symbols: -8...8, precision: 12),          // mass on open edge
        GaussianCase(mean: 0, std: 1, delta: 1.0 / 64, symbols: -640...640, precision: 12),    // 1281 of 4096 slots
        GaussianCase(mean: 0, std: 1, delta: 1, symbols: -2047...2048, precision: 12),         // n = M: all 1s
    ]

    func checkSlot(_ codec: DiscretizedGaussianCodec, _ slot: UInt32, _ c: GaussianCase) -> Bool {
        let (symbol, interval) = codec.symbol(containing: slot)
        let i = symbol - c.symbols.lowerBound
        let lo = codec.cumulativeFrequency(ofBin: i), hi = codec.cumulativeFrequency(ofBin: i + 1)
        guard c.symbols.contains(symbol), lo <= UInt64(slot), UInt64(slot) < hi,
              interval == FrequencyInterval(start: UInt32(lo), frequency: UInt32(hi - lo)),
              (try? codec.interval(of: symbol)) == interval else {
            XCTFail("\(c): slot \(slot) -> symbol \(symbol), cum \(lo)..<\(hi)")
            return false
        }
        return true
    }

    /// cum(0) = 0, cum(n) = 2^P, strictly increasing: every bin can be coded.
    func checkFrequencies(_ c: GaussianCase) throws {
        let codec = try c.codec()
        let n = c.symbols.count
        XCTAssertEqual(codec.cumulativeFrequency(ofBin: 0), 0)
        XCTAssertEqual(codec.cumulativeFrequency(ofBin: n), 1 << UInt64(c.precision))
        var previous: UInt64 = 0
        for i in 1...n {
            let cum = codec.cumulativeFrequency(ofBin: i)
            guard cum > previous else { return XCTFail("\(c): bin \(i - 1) has frequency 0") }
            previous = cum
        }
    }

    func testEverySlotAtPrecision12() throws {
        for c in Self.cases {
            try checkFrequencies(c)
            let codec = try c.codec()
            for slot in UInt32(0)..<4096 where !checkSlot(codec, slot, c) { break }
        }
    }

    /// Coding precisions: all bins of large grids, and slots densely (a stride through the
    /// range plus both sides of every 100th bin boundary and random ones).
    func testDenseSlotsAtCodingPrecisions() throws {
        var rng = TestRNG(20)
        var cases = [
            GaussianCase(mean: 0.1, std: 0.01, delta: 0.01 / 64, symbols: -64_000...64_000, precision: 28),
            GaussianCase(mean: 3.7, std: 0.02, delta: 0.02 / 64, symbols: -100_000...120_000, precision: 30),
            GaussianCase(mean: 0, std: 1, delta: 1.0 / 64, symbols: -640...640, precision: 24),
            GaussianCase(mean: -9, std: 0.5, delta: 0.25, symbols: -20...20, precision: 24),
            GaussianCase(mean: 0.5, std: 3, delta: 1e-3, symbols: -4_000_000...4_000_000, precision: 32),
        ]
        for _ in 0..<6 {
            let delta = rng.logUniform(1e-4, 1)
            let k = rng.int(1...200_000)
            cases.append(GaussianCase(mean: rng.uniform(-2, 2) * Double(k) * delta, std: delta * rng.logUniform(1e-3, 1e5),
                                      delta: delta, symbols: -k...rng.int(-k...k), precision: rng.int(24...32)))
        }
        for c in cases {
            guard c.symbols.count < (1 << c.precision) else { continue }
            if c.symbols.count <= 300_000 { try checkFrequencies(c) }
            let codec = try c.codec()
            let total = UInt64(1) << UInt64(c.precision)
            var slots: [UInt64] = [0, total - 1]
            for j in 0..<4096 { slots.append(UInt64(j) * (total / 4096) + rng.next() % (total / 4096)) }
            for i in stride(from: 0, through: c.symbols.count, by: max(1, c.symbols.count / 2000)) {
                let cum = codec.cumulativeFrequency(ofBin: i)
                slots += [cum, cum &- 1]
            }
            // The bulk of the mass, where bins are wide.
            let centre = (codec.cumulativeFrequency(ofBin: c.symbols.count / 2))
            for d in 0..<512 { slots += [centre &+ UInt64(d) * 997, centre &- UInt64(d) * 997] }
            var failed = false
            for slot in slots where slot < total && !failed {
                failed = !checkSlot(codec, UInt32(slot), c)
            }
        }
    }

    func testPixelCodecEverySlot() throws {
        for (mean, std) in [(0.0, 0.01), (0.3, 1e-6), (-1.0, 0.02), (1.2, 0.5), (-0.999, 3.0), (1e5, 1.0), (0.5, 1e-300)] {
            let codec = try DiscretizedGaussianPixelCodec(mean: mean, std: std, precision: 12)
            var previousEnd: UInt64 = 0
            for v in 0...255 {
                let i = try codec.interval(of: UInt8(v))
                XCTAssertEqual(UInt64(i.start), previousEnd)
                XCTAssertGreaterThanOrEqual(i.frequency, 1)
                previousEnd = UInt64(i.start) + UInt64(i.frequency)
            }
            XCTAssertEqual(previousEnd, 4096)
            for slot in UInt32(0)..<4096 {
                let (v, i) = codec.symbol(containing: slot)
                XCTAssertEqual(try codec.interval(of: v), i)
                XCTAssert(i.start <= slot && slot - i.start < i.frequency, "N(\(mean), \(std)) slot \(slot)")
            }
        }
    }

    /// The quantized probabilities approximate the exact Gaussian bin masses: per bin within
    /// the floors, the reserved unit and the interpolation of Phi (relative |t| / 512), and in
    /// total the KL gap stays below the n / M / ln 2 that the reserved units cost.
    func testQuantizedMassesTrackExactMasses() throws {
        let c = GaussianCase(mean: 0.137, std: 0.05, delta: 0.05 / 64, symbols: -3000...3000, precision: 28)
        let codec = try c.codec()
        let total = Double(1 << 28), n = Double(c.symbols.count)
        var gap = 0.0  // KL(exact || quantized) in bits
        var mass = 0.0
        for s in c.symbols {
            let p = try codec.exactProbability(of: s)
            let f = Double(try codec.interval(of: s).frequency)
            let t = abs(Double(s) * c.delta - c.mean) / c.std
            XCTAssertEqual(f, p * (total - n), accuracy: 3 + p * total * (t / 400 + 1e-6), "symbol \(s)")
            if p > 0 { gap += p * log2(p * total / f) }
            mass += p
        }
        XCTAssertEqual(mass, 1, accuracy: 1e-12)
        let reserved = n / total / 0.6931471805599453
        XCTAssertGreaterThan(gap, 0)
        XCTAssertLessThan(gap, reserved + 1e-6, "KL gap \(gap) bits, reserved units cost \(reserved)")
    }
}

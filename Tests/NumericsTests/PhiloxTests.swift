import Numerics
import XCTest

final class PhiloxTests: XCTestCase {
    /// Known-answer tests of Random123 (kat_vectors) for philox4x32 with 10 rounds.
    func testKnownAnswerVectors() {
        let cases: [(Philox4x32.Counter, Philox4x32.Key, Philox4x32.Counter)] = [
            ((0, 0, 0, 0), (0, 0), (0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8)),
            ((0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF), (0xFFFF_FFFF, 0xFFFF_FFFF),
             (0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD)),
            ((0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), (0xA409_3822, 0x299F_31D0),
             (0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1)),
        ]
        for (counter, key, want) in cases {
            let got = Philox4x32.block(counter: counter, key: key)
            XCTAssertTrue(got == want, "block(\(counter), \(key)) = \(got), want \(want)")
            let viaInstance = Philox4x32(key0: key.0, key1: key.1).block(counter: counter)
            XCTAssertTrue(viaInstance == want)
        }
        XCTAssertEqual(Philox4x32(seed: 0x299F_31D0_A409_3822), Philox4x32(key0: 0xA409_3822, key1: 0x299F_31D0))
    }

    func testUniform01Range() {
        XCTAssertEqual(Philox4x32.uniform01(0), 0x1p-54)
        XCTAssertEqual(Philox4x32.uniform01(0x7FF), 0x1p-54)
        XCTAssertEqual(Philox4x32.uniform01(0x800), 0x1p-53)
        XCTAssertEqual(Philox4x32.uniform01(.max), 1 - 0x1p-53)
        XCTAssertEqual(Philox4x32.uniform01(1 << 63), 0.5)
        var sum = 0.0
        let n = 100_000
        for i in 0..<UInt64(n) {
            let u = Philox4x32.uniform01(seed: 7, stream: 3, index: i)
            XCTAssertTrue(u > 0 && u < 1)
            sum += u
        }
        // Mean of U(0, 1): standard error sqrt(1/12/n).
        XCTAssertEqual(sum / Double(n), 0.5, accuracy: 5 * (1.0 / 12 / Double(n)).squareRoot())
    }

    /// 1e5 samples: mean and variance within 5 standard errors, plus the fraction beyond
    /// 1 and 2 sigma, which catches a wrong Box-Muller angle or radius.
    func testStandardNormalStatistics() {
        let n = 100_000
        var samples = [Double](repeating: 0, count: n)
        Philox4x32.fillStandardNormal(&samples, seed: 0x0123_4567_89AB_CDEF, stream: 1)
        let mean = samples.reduce(0, +) / Double(n)
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        XCTAssertEqual(mean, 0, accuracy: 5 / Double(n).squareRoot())
        XCTAssertEqual(variance, 1, accuracy: 5 * (2 / Double(n)).squareRoot())
        let beyond1 = Double(samples.filter { abs($0) > 1 }.count) / Double(n)
        let beyond2 = Double(samples.filter { abs($0) > 2 }.count) / Double(n)
        XCTAssertEqual(beyond1, 0.317_310_507_862_914_2, accuracy: 5 * (0.3173 * 0.6827 / Double(n)).squareRoot())
        XCTAssertEqual(beyond2, 0.045_500_263_896_358_4, accuracy: 5 * (0.0455 * 0.9545 / Double(n)).squareRoot())
        // The two members of a Box-Muller pair are uncorrelated.
        var cross = 0.0
        for i in stride(from: 0, to: n, by: 2) { cross += samples[i] * samples[i + 1] }
        XCTAssertEqual(cross / Double(n / 2), 0, accuracy: 5 / Double(n / 2).squareRoot())
    }

    /// Any sample can be drawn alone, in any order; streams and seeds are independent.
    func testStandardNormalIsPureFunctionOfIndex() {
        var filled = [Double](repeating: 0, count: 101)
        Philox4x32.fillStandardNormal(&filled, seed: 99, stream: 5, startIndex: 1_000_001)
        for i in (0..<101).reversed() {
            let single = Philox4x32.standardNormal(seed: 99, stream: 5, index: 1_000_001 + UInt64(i))
            XCTAssertEqual(single.bitPattern, filled[i].bitPattern)
        }
        let pair = Philox4x32.standardNormalPair(seed: 99, stream: 5, pair: 7)
        XCTAssertEqual(pair.0.bitPattern, Philox4x32.standardNormal(seed: 99, stream: 5, index: 14).bitPattern)
        XCTAssertEqual(pair.1.bitPattern, Philox4x32.standardNormal(seed: 99, stream: 5, index: 15).bitPattern)
        let a = Philox4x32.standardNormal(seed: 99, stream: 5, index: 3)
        XCTAssertNotEqual(a, Philox4x32.standardNormal(seed: 99, stream: 6, index: 3))
        XCTAssertNotEqual(a, Philox4x32.standardNormal(seed: 98, stream: 5, index: 3))
        XCTAssertNotEqual(a, Philox4x32.standardNormal(seed: 99, stream: 5, index: 4))
    }
}

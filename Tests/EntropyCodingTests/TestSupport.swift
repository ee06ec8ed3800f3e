import EntropyCoding
import Numerics

/// Deterministic test inputs (SplitMix64), independent of the code under test.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * (Double(next() >> 11) * 0x1p-53)
    }

    /// Roughly log-uniform on [lo, hi] (a random binade, a uniform significand), from exact
    /// operations only, so that the inputs of the golden-bit tests are the same everywhere.
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        let e = int(Int(lo.exponent)...Int(hi.exponent))
        let x = Double(sign: .plus, exponent: e, significand: 1 + uniform(0, 1))
        return min(max(x, lo), hi)
    }

    mutating func normal() -> Double {
        Philox4x32.standardNormal(seed: 0x7E57, stream: 0, index: next())
    }
}

/// FNV-1a over 64-bit values, for fingerprints of exact outputs.
struct BitHash {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
    mutating func add(_ x: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            value = (value ^ ((x >> UInt64(shift)) & 0xFF)) &* 0x0000_0100_0000_01B3
        }
    }
}

/// A Gaussian grid case for the CDF-inverse and frequency tests.
struct GaussianCase: CustomStringConvertible {
    var mean: Double
    var std: Double
    var delta: Double
    var symbols: ClosedRange<Int>
    var precision: Int

    var description: String { "N(\(mean), \(std)) delta \(delta) symbols \(symbols) P \(precision)" }

    func codec() throws -> DiscretizedGaussianCodec {
        try DiscretizedGaussianCodec(mean: mean, std: std,
                                     grid: GaussianGrid(delta: delta, symbols: symbols, precision: precision))
    }
}

/// Deterministic test inputs (SplitMix64), independent of the code under test, so a failing case
/// reproduces exactly and golden-bit tests see the same inputs everywhere.
public struct TestRNG: RandomNumberGenerator {
    public var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * (Double(next() >> 11) * 0x1p-53)
    }

    /// Roughly log-uniform on [lo, hi] (a random binade, a uniform significand), from exact
    /// operations only.
    public mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        let e = int(Int(lo.exponent)...Int(hi.exponent))
        let x = Double(sign: .plus, exponent: e, significand: 1 + uniform(0, 1))
        return min(max(x, lo), hi)
    }
}

/// FNV-1a over 64-bit values (bit patterns of floats), for fingerprints of exact outputs.
public struct BitHash {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
    public init() {}
    public mutating func add(_ x: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            value = (value ^ ((x >> UInt64(shift)) & 0xFF)) &* 0x0000_0100_0000_01B3
        }
    }
    public mutating func add(_ x: Double) { add(x.bitPattern) }
    public mutating func add(_ x: Float) { add(Double(x)) }
}

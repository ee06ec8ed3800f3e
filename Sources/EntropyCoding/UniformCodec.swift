// Equal probabilities over 0..<count: raw bits for a power-of-two count, and a test model.
// For other counts the frequencies floor(i 2^P / count) differ by at most one, so the cost
// exceeds log2(count) by about (count / 2^P)^2 bits; the default precision keeps count / 2^P
// at 2^-8 or below without going above 28 bits unless it must (the rANS rounding grows with
// the precision, see GaussianGrid.recommendedPrecision).

public struct UniformCodec: SymbolCodec, Sendable, Hashable {
    public let count: Int
    public let precision: Int

    /// `precision` defaults to log2(count) for a power of two (exact), else to
    /// max(28, ceil(log2(count)) + 8), at most 32.
    public init(count: Int, precision: Int? = nil) throws(EntropyCodingError) {
        guard count >= 1, count <= 1 << 32 else { throw .invalidParameter("count \(count) is not in 1...2^32") }
        let exactBits = count.trailingZeroBitCount
        let bits = Int.bitWidth - (count - 1).leadingZeroBitCount  // ceil(log2(count))
        let p = precision ?? (count.nonzeroBitCount == 1 ? max(exactBits, 1) : min(32, max(28, bits + 8)))
        guard p >= 1, p <= 32 else { throw .invalidPrecision(p) }
        guard count <= 1 << p else { throw .invalidParameter("count \(count) exceeds 2^\(p)") }
        // A frequency of 2^32 has no UInt32 form.
        guard p < 32 || count >= 2 else { throw .invalidParameter("a single symbol needs precision below 32") }
        self.count = count
        self.precision = p
    }

    /// count == 2^precision is the identity; it is kept apart because i 2^P would overflow
    /// for count = 2^32.
    @inline(__always)
    func cumulative(_ i: Int) -> UInt64 {
        count == 1 << precision ? UInt64(i) : (UInt64(i) << UInt64(precision)) / UInt64(count)
    }

    public func interval(of symbol: Int) throws(EntropyCodingError) -> FrequencyInterval {
        guard symbol >= 0, symbol < count else { throw .symbolOutOfRange(symbol) }
        let lo = cumulative(symbol), hi = cumulative(symbol + 1)
        return FrequencyInterval(start: UInt32(lo), frequency: UInt32(truncatingIfNeeded: hi - lo))
    }

    public func symbol(containing slot: UInt32) -> (symbol: Int, interval: FrequencyInterval) {
        // The largest i with floor(i 2^P / n) <= slot is floor(((slot + 1) n - 1) / 2^P).
        let i = count == 1 << precision
            ? Int(slot) : Int(((UInt64(slot) + 1) * UInt64(count) - 1) >> UInt64(precision))
        let lo = cumulative(i), hi = cumulative(i + 1)
        return (i, FrequencyInterval(start: UInt32(lo), frequency: UInt32(truncatingIfNeeded: hi - lo)))
    }

    public func exactProbability(of symbol: Int) throws(EntropyCodingError) -> Double {
        guard symbol >= 0, symbol < count else { throw .symbolOutOfRange(symbol) }
        return 1 / Double(count)
    }
}

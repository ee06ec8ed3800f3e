// A model given as an explicit table over 0..<n. Popping is a binary search of the
// cumulative table; fine for the small alphabets this is for (headers, side information).

public struct CategoricalCodec: SymbolCodec, Sendable, Hashable {
    public let precision: Int
    /// cumulative[i] = sum of the frequencies below i; cumulative[n] = 2^precision.
    let cumulative: [UInt64]
    /// The real-valued probabilities the table was quantized from (or frequency / 2^P).
    let probabilities: [Double]

    public var count: Int { cumulative.count - 1 }

    /// Integer frequencies that sum to exactly 2^precision. Zero frequencies are allowed
    /// (those symbols cannot be pushed).
    public init(frequencies: [UInt32], precision: Int) throws(EntropyCodingError) {
        guard precision >= 1, precision <= 32 else { throw .invalidPrecision(precision) }
        guard !frequencies.isEmpty else { throw .invalidParameter("no symbols") }
        var cumulative: [UInt64] = [0]
        cumulative.reserveCapacity(frequencies.count + 1)
        for f in frequencies { cumulative.append(cumulative.last! + UInt64(f)) }
        let total = UInt64(1) << UInt64(precision)
        guard cumulative.last! == total else {
            throw .invalidParameter("frequencies sum to \(cumulative.last!), not 2^\(precision)")
        }
        self.precision = precision
        self.cumulative = cumulative
        probabilities = frequencies.map { Double($0) / Double(total) }
    }

    /// Quantizes nonnegative weights (any scale) so that every symbol, even one of weight 0,
    /// gets frequency >= 1: cum(i) = floor(W(i) / W(n) * (2^P - n)) + i with W the prefix
    /// sums, which is monotone because the prefix sums are. Deterministic: the prefix sums
    /// are added in index order with IEEE arithmetic only.
    public init(weights: [Double], precision: Int) throws(EntropyCodingError) {
        guard precision >= 1, precision <= 32 else { throw .invalidPrecision(precision) }
        let n = weights.count
        guard n >= 1 else { throw .invalidParameter("no symbols") }
        let total = UInt64(1) << UInt64(precision)
        guard UInt64(n) <= total, precision < 32 || n >= 2 else {
            throw .invalidParameter("\(n) symbols do not fit in 2^\(precision)")
        }
        guard weights.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw .invalidParameter("weights") }
        var prefix: [Double] = [0]
        for w in weights { prefix.append(prefix.last! + w) }
        let sum = prefix.last!
        guard sum > 0, sum.isFinite else { throw .invalidParameter("weights sum to \(sum)") }
        let spread = Double(total - UInt64(n))
        var cumulative: [UInt64] = []
        for i in 0..<n {
            // prefix[i] <= sum, so the product is at most spread and converts exactly.
            cumulative.append(UInt64(prefix[i] / sum * spread) + UInt64(i))
        }
        cumulative.append(total)
        self.precision = precision
        self.cumulative = cumulative
        probabilities = weights.map { $0 / sum }
    }

    public func interval(of symbol: Int) throws(EntropyCodingError) -> FrequencyInterval {
        guard symbol >= 0, symbol < count else { throw .symbolOutOfRange(symbol) }
        let lo = cumulative[symbol], hi = cumulative[symbol + 1]
        guard hi > lo else { throw .zeroFrequency(symbol) }
        return FrequencyInterval(start: UInt32(lo), frequency: UInt32(truncatingIfNeeded: hi - lo))
    }

    public func symbol(containing slot: UInt32) -> (symbol: Int, interval: FrequencyInterval) {
        // The largest i < n with cumulative[i] <= slot; it has nonzero frequency, because
        // cumulative[i + 1] > slot.
        var lo = 0, hi = count
        while hi - lo > 1 {
            let mid = (lo + hi) >> 1
            if cumulative[mid] <= UInt64(slot) { lo = mid } else { hi = mid }
        }
        let start = cumulative[lo]
        return (lo, FrequencyInterval(start: UInt32(start), frequency: UInt32(truncatingIfNeeded: cumulative[lo + 1] - start)))
    }

    public func exactProbability(of symbol: Int) throws(EntropyCodingError) -> Double {
        guard symbol >= 0, symbol < count else { throw .symbolOutOfRange(symbol) }
        return probabilities[symbol]
    }
}

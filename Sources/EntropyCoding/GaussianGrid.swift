// The grid a latent is coded on: symbol k stands for the value k * delta, its bin is
// [(k - 1/2) delta, (k + 1/2) delta), and the symbols run over a finite range whose two end
// bins are open, so every real value has a bin and every grid value in range can be coded.
// The grid is a handful of numbers both sides derive from the step alone (delta, range,
// precision); the distribution on it (mean, std) changes per element.

public struct GaussianGrid: Sendable, Hashable {
    /// The precision that minimizes the total loss for `binCount` bins. Two losses pull in
    /// opposite directions (measured over 10^6 Gaussian symbols, in bits per symbol):
    ///   - the units reserved so that every bin has frequency >= 1: about n / 2^P / ln 2;
    ///   - the rANS rounding, which grows as the frequencies approach the state's 2^32
    ///     floor: 2e-7 at P = 24, 1.7e-5 at 28, 4.5e-5 at 29, 2e-4 at 30, 6e-4 at 31, 2.4e-3 at 32.
    /// Their sum is smallest at P = 28 up to 2^13 bins, 29 up to 2^17, 30 up to 2^19, and 31
    /// beyond; there it stays below 1e-4 bits up to 2^17 bins and below 2e-3 up to millions.
    public static func recommendedPrecision(binCount: Int) -> Int {
        switch binCount {
        case ...(1 << 13): return 28
        case ...(1 << 17): return 29
        case ...(1 << 19): return 30
        default: return 31
        }
    }

    public let delta: Double
    public let symbols: ClosedRange<Int>
    public let precision: Int

    public var binCount: Int { symbols.count }

    /// Symbols `symbols` (k_min...k_max) on a grid of step `delta`, frequencies out of
    /// 2^precision (by default the recommended one for the bin count). Needs
    /// binCount <= 2^precision, and far fewer to code well.
    public init(delta: Double, symbols: ClosedRange<Int>, precision: Int? = nil) throws(EntropyCodingError) {
        let precision = precision ?? Self.recommendedPrecision(binCount: symbols.count)
        guard precision >= 1, precision <= 32 else { throw .invalidPrecision(precision) }
        guard delta > 0, delta.isFinite else { throw .invalidParameter("delta \(delta)") }
        // Edges (k - 1/2) delta are formed exactly from k below 2^51.
        guard symbols.lowerBound > -(1 << 51), symbols.upperBound < 1 << 51 else {
            throw .invalidParameter("symbol range \(symbols) beyond 2^51")
        }
        let n = symbols.count
        guard n <= 1 << precision, precision < 32 || n >= 2 else {
            throw .invalidParameter("\(n) bins do not fit in 2^\(precision)")
        }
        self.delta = delta
        self.symbols = symbols
        self.precision = precision
    }

    /// The symmetric grid -K...K with K = ceil(bound / delta): every value in [-bound, bound]
    /// rounds to a symbol in range.
    public init(delta: Double, bound: Double, precision: Int? = nil) throws(EntropyCodingError) {
        guard delta > 0, delta.isFinite else { throw .invalidParameter("delta \(delta)") }
        guard bound >= 0, bound / delta < 0x1p50 else { throw .invalidParameter("bound \(bound)") }
        let k = ceilToInt(bound / delta)
        try self.init(delta: delta, symbols: -k...k, precision: precision)
    }

    /// The value symbol k stands for.
    public func value(of symbol: Int) -> Double { Double(symbol) * delta }

    /// The symbol of the bin containing x: the nearest grid point, clamped to the range
    /// (ties at bin edges go up, as the bins are closed below).
    public func symbol(nearestTo x: Double) -> Int {
        let u = x / delta
        if !(u > Double(symbols.lowerBound)) { return symbols.lowerBound }  // nan too
        if !(u < Double(symbols.upperBound)) { return symbols.upperBound }
        return min(max(floorToInt(u + 0.5), symbols.lowerBound), symbols.upperBound)
    }

    var edges: UniformBinEdges { UniformBinEdges(lowest: symbols.lowerBound, delta: delta, binCount: symbols.count) }
}

/// Bin i is symbol lowest + i; its lower edge is (lowest + i - 1/2) delta.
struct UniformBinEdges: BinEdges {
    let lowest: Int
    let delta: Double
    let binCount: Int

    @inline(__always)
    func innerEdge(_ i: Int) -> Double { (Double(lowest + i) - 0.5) * delta }

    @inline(__always)
    func approximateBin(containing x: Double) -> Int {
        let u = x / delta - Double(lowest) + 0.5
        if !(u > 0) { return 0 }
        if !(u < Double(binCount)) { return binCount - 1 }
        return Int(u)
    }
}

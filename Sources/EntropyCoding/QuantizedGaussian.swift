// A Gaussian over n bins, quantized to integer frequencies out of M = 2^P by
//
//     cum(i) = floor(Phi((e_i - mean) / std) * (M - n)) + i,    e_i the lower edge of bin i,
//
// with cum(0) = 0 and cum(n) = M: the first and last bins are open and take the tails. Phi is
// the fixed-point table (nondecreasing), and every step from e_i to it is monotone, so the
// floor term never decreases and each bin gets frequency >= 1 from the "+ i". The price is the
// n units reserved for that: about n / M / ln 2 bits per symbol, so n should stay well below
// M (n <= M / 1024 costs under 0.0015 bits).
//
// Nothing is tabulated per symbol: cum(i) costs one table interpolation, so pushing is O(1)
// and popping searches from a hint (the inverse CDF) with O(log n) evaluations at worst.

import Numerics

/// The edges of n bins on the real line, nondecreasing in i.
protocol BinEdges {
    var binCount: Int { get }
    /// The edge between bin i - 1 and bin i, for 1 <= i <= binCount - 1.
    func innerEdge(_ i: Int) -> Double
    /// A bin near the one containing x (any integer; only a search hint).
    func approximateBin(containing x: Double) -> Int
}

struct QuantizedGaussian<Edges: BinEdges> {
    let edges: Edges
    let mean: Double
    let std: Double
    /// 1 / std: both sides compute (e - mean) * invStd the same way, which is all that matters.
    let invStd: Double
    let precision: Int
    /// M - n, the mass shared out by the CDF.
    let spread: UInt64

    @inline(__always)
    init(edges: Edges, mean: Double, std: Double, precision: Int) {
        self.edges = edges
        self.mean = mean
        self.std = std
        invStd = 1 / std
        self.precision = precision
        spread = (UInt64(1) << UInt64(precision)) - UInt64(edges.binCount)
    }

    @inline(__always)
    func cumulative(_ i: Int) -> UInt64 {
        if i <= 0 { return 0 }
        if i >= edges.binCount { return UInt64(1) << UInt64(precision) }
        let phi = FixedPointNormalCDF.value((edges.innerEdge(i) - mean) * invStd)
        let (high, low) = phi.multipliedFullWidth(by: spread)
        return (high << 16 | low >> 48) + UInt64(i)
    }

    @inline(__always)
    func interval(ofBin i: Int) -> FrequencyInterval {
        interval(cumulative(i), cumulative(i + 1))
    }

    /// The bin i with cum(i) <= slot < cum(i + 1).
    @inline(__always)
    func bin(containing slot: UInt32) -> (bin: Int, interval: FrequencyInterval) {
        let s = UInt64(slot)
        let n = edges.binCount
        // Hint: invert Phi ignoring the "+ i" (a shift of under n / M in probability).
        let t = FixedPointNormalCDF.approximateInverse(s << UInt64(48 - precision))
        var guess = min(max(edges.approximateBin(containing: mean + t * std), 0), n - 1)
        var lo = cumulative(guess), hi = cumulative(guess + 1)
        // Secant steps: move by the slot distance over the local frequency. They absorb the
        // "+ i" shift the hint ignores, and are exact in the tails where frequencies are 1.
        for _ in 0..<2 {
            if lo <= s && s < hi { return (guess, interval(lo, hi)) }
            let jump = Int(Double(Int64(bitPattern: s &- lo)) / Double(hi - lo))
            let next = s < lo ? max(guess + min(jump, -1), 0) : min(guess + max(jump, 1), n - 1)
            guess = next
            lo = cumulative(guess)
            hi = cumulative(guess + 1)
        }
        if lo <= s && s < hi { return (guess, interval(lo, hi)) }
        // Gallop away from the hint until the answer is bracketed, then bisect; the invariant
        // is cum(a) <= s < cum(b) with the answer in [a, b).
        var a: Int, b: Int
        if s < lo {
            b = guess
            var step = 1
            while true {
                let probe = guess - step
                if probe <= 0 { a = 0; break }
                if cumulative(probe) <= s { a = probe; break }
                b = probe
                step <<= 1
            }
        } else {
            a = guess + 1
            var step = 1
            while true {
                let probe = guess + 1 + step
                if probe >= n { b = n; break }
                if cumulative(probe) > s { b = probe; break }
                a = probe
                step <<= 1
            }
        }
        while b - a > 1 {
            let mid = a + (b - a) >> 1
            if cumulative(mid) <= s { a = mid } else { b = mid }
        }
        lo = cumulative(a)
        hi = cumulative(a + 1)
        return (a, interval(lo, hi))
    }

    /// cum(n) - cum(0) = 2^32 happens only for one bin at P = 32, which the grids reject.
    @inline(__always)
    func interval(_ lo: UInt64, _ hi: UInt64) -> FrequencyInterval {
        FrequencyInterval(start: UInt32(truncatingIfNeeded: lo), frequency: UInt32(truncatingIfNeeded: hi - lo))
    }

    /// The exact mass of bin i under N(mean, std^2), open edge bins included.
    func exactMass(ofBin i: Int) -> Double {
        let lower = i == 0 ? -Double.infinity : edges.innerEdge(i)
        let upper = i == edges.binCount - 1 ? Double.infinity : edges.innerEdge(i + 1)
        return DetMath.gaussianBinMass(lower: lower, upper: upper, mean: mean, std: std)
    }
}

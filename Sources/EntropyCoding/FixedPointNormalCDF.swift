// The standard normal CDF in 48-bit fixed point, by linear interpolation in a table of Phi at
// 256 knots per unit on [-8, 8], in integer arithmetic. The coder needs two things from it that
// a floating-point Phi does not promise: monotonicity, exactly (so that every bin's frequency
// is >= 1, derived below), and identical results everywhere (the table is built once from
// DetMath.normalCDF, which is deterministic, and everything after that is integer arithmetic
// and exact or monotone roundings).
//
// Accuracy: interpolation is off by at most h^2/8 max|phi'| ~ 5e-7 absolute (h = 1/256), and
// the slope by at most h/2 |t| phi(t) relative ~ |t|/512 of the density, which makes the
// Kullback-Leibler cost of using it instead of Phi about h^2/24 ~ 1e-6 bits per symbol. Outside
// [-8, 8] Phi is within 2^-48 of 0 or 1 (Phi(-8) ~ 6e-16) and is clamped.

import Numerics

enum FixedPointNormalCDF {
    static let fractionBits = 48
    static let one: UInt64 = 1 << 48
    static let knotsPerUnit = 256.0
    static let halfRange = 8.0
    static let knotCount = 16 * 256  // intervals; the table has one more entry
    /// Bits of the position within an interval used for interpolation; with slopes below 2^39
    /// (Phi's steepest knot interval rises by phi(0)/256 < 2^-9 of 2^48) the product fits 64 bits.
    static let interpolationBits: UInt64 = 24

    /// Phi at knot j, t_j = -8 + j/256, in units of 2^-48, nondecreasing in j. The lower half
    /// is computed directly (relative accuracy in the tail), the upper half mirrored from it,
    /// so the table is exactly symmetric: T[n - j] = 2^48 - T[j].
    static let table: [UInt64] = {
        let half = knotCount / 2
        var t = [UInt64](repeating: 0, count: knotCount + 1)
        for j in 0...half {
            let x = Double(j - half) / knotsPerUnit
            // Adding and removing 1.5 * 2^52 rounds a value below 2^51 to the nearest integer.
            let v = (DetMath.normalCDF(x) * Double(one) + 0x1.8p52) - 0x1.8p52
            t[j] = UInt64(v)
            // Phi is increasing; a last-bit wobble of the Double must not make the table fall.
            if j > 0 && t[j] < t[j - 1] { t[j] = t[j - 1] }
        }
        precondition(t[half] == one / 2, "Phi(0) must be exactly 1/2")
        for j in 0..<half { t[knotCount - j] = one - t[j] }
        return t
    }()

    /// Phi(x) * 2^48, nondecreasing in x; 0 for x = nan.
    @inline(__always)
    static func value(_ x: Double) -> UInt64 {
        // u = (x + 8) * 256 rounds once, and rounding is monotone; below 0 (and nan) gives 0.
        let u = x * knotsPerUnit + halfRange * knotsPerUnit
        guard u > 0 else { return 0 }
        guard u < Double(knotCount) else { return one }
        let j = Int(u)
        // u < 2^13, so u - j is exact and the scaled fraction truncates monotonically.
        let f = UInt64((u - Double(j)) * Double(1 << interpolationBits))
        return table.withUnsafeBufferPointer { t in
            t[j] &+ ((t[j + 1] &- t[j]) &* f) >> interpolationBits
        }
    }

    /// An x with value(x) close to `target` (a fraction of 2^48), for search hints only.
    static func approximateInverse(_ target: UInt64) -> Double {
        if target == 0 { return -halfRange }
        if target >= one { return halfRange }
        return table.withUnsafeBufferPointer { t in
            // The largest j with T[j] <= target (T[0] = 0 <= target < T[n] = 2^48).
            var lo = 0, hi = knotCount
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if t[mid] <= target { lo = mid } else { hi = mid }
            }
            let rise = t[lo + 1] - t[lo]
            let frac = rise == 0 ? 0 : Double(target - t[lo]) / Double(rise)
            return (Double(lo) + frac) / knotsPerUnit - halfRange
        }
    }
}

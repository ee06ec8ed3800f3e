// Deterministic elementary functions.
//
// The decoder has to rebuild bit-identical probabilities on any machine, and platform
// libms (glibc, Apple's, musl) disagree in the last bit. So every function here is our own
// code built only from IEEE-754 + - * / and sqrt in round-to-nearest, evaluated in a fixed
// order with no fma: Swift does not contract a * b + c, so the same source gives the same
// bits everywhere. Integer bit manipulation is used for exponents and table indices.
//
// Tables.swift holds the constants (generated offline with mpmath); the approximations are:
//   exp    Tang's method: x = k ln2/128 + r, 2^(j/128) from a double-double table, and a
//          degree-5 Taylor polynomial for e^r - 1 on |r| <= ln2/256 (truncation < 1e-18).
//   log    x = 2^k m with m in [sqrt(1/2), sqrt(2)), m = c (1 + t) with c = m rounded to 8
//          bits and log(c) from a table (hi part a multiple of 2^-42 so k ln2 + log c is
//          exact), t formed exactly as a double-double, Taylor series of log1p(t) to degree 8
//          (|t| <= 1/256).
//   sin    Cody-Waite reduction by pi/2 in 33-bit pieces below 2^20 pi/2, Payne-Hanek with
//   cos    the bits of 2/pi above it, then near-minimax kernels on |x| <= pi/4.
//   erf    x + x R(x^2) for |x| < 0.5; above that erfc(z) = exp(-z^2) erfcx(z) with erfcx
//   erfc   from 32 polynomials in y = 2/(2+z) (erfcx is nearly linear in y), which keeps
//          relative accuracy all the way to the underflow at z ~ 27.3.
// Every result is within about one ulp of the correctly rounded value (the tests measure it).

public enum DetMath {
    /// (x + roundShift) - roundShift rounds x to an integer (ties to even) for |x| < 2^51,
    /// exactly and without libm's rint.
    static let roundShift: Double = 0x1.8p52

    // MARK: exp

    /// e^x. Overflows to +inf above ln(Double.greatestFiniteMagnitude), underflows
    /// (through the subnormals) to 0 below about -745.13.
    public static func exp(_ x: Double) -> Double {
        if x > 0x1.62e42fefa39efp9 { return .infinity }
        if !(x > -0x1.74910d52d3052p9) { return x.isNaN ? x : 0 }  // below ln(2^-1075)
        let (hi, lo, e) = expParts(x)
        let y = hi + lo
        if e >= -1022 && e <= 1023 { return y * DD.pow2(e) }
        if e > 1023 { return (y * DD.pow2(e - 1)) * 2 }
        // Subnormal result: scale in two exact-then-rounding steps (the second rounds once).
        return (y * DD.pow2(e + 1000)) * 0x1p-1000
    }

    /// e^x = (hi + lo) * 2^e for |x| <= 746, with hi + lo in [2^-1/256, 2^(1+1/256)].
    @inline(__always)
    static func expParts(_ x: Double) -> (hi: Double, lo: Double, e: Int) {
        let kd = (x * Tables.expInvLn2N + roundShift) - roundShift
        let k = Int(kd)
        // kd has at most 18 bits and expLn2NHi 34, so kd * hi is exact and, by Sterbenz,
        // so is the subtraction; only the tiny lo product is rounded.
        let r = (x - kd * Tables.expLn2NHi) - kd * Tables.expLn2NLo
        let r2 = r * r
        let p = r + r2 * (0.5 + r * (0x1.5555555555555p-3 + r * (0x1.5555555555555p-5
            + r * 0x1.1111111111111p-7)))
        let j = k & 127
        let th = Tables.expHi[j]
        return (th, Tables.expLo[j] + th * p, k >> 7)
    }

    /// e^x - 1, accurate also for small |x| where exp(x) - 1 would cancel.
    public static func expm1(_ x: Double) -> Double {
        if x.isNaN { return x }
        let ax = Swift.abs(x)
        if ax < 0x1p-6 {
            if ax < 0x1p-54 { return x }
            // Taylor to degree 8: the truncation is below 1e-20 relative for |x| < 1/64.
            let p = 0.5 + x * (0x1.5555555555555p-3 + x * (0x1.5555555555555p-5
                + x * (0x1.1111111111111p-7 + x * (0x1.6c16c16c16c17p-10
                + x * (0x1.a01a01a01a01ap-13 + x * 0x1.a01a01a01a01ap-16)))))
            return x + x * x * p
        }
        if x > 40 { return exp(x) }  // e^x > 2^57: subtracting 1 cannot change the result
        if x < -40 { return -1 }     // e^x < 2^-57: -1 + e^x rounds to -1
        let (hi, lo, e) = expParts(x)
        let s = DD.pow2(e)
        // hi * s is exact, and TwoSum makes the subtraction of 1 exact too, so the only
        // cancellation-sensitive error is that of lo (about 2^-61 relative to e^x).
        let (d, de) = DD.twoSum(hi * s, -1)
        return d + (de + lo * s)
    }

    // MARK: log

    /// Natural logarithm: log(0) = -inf, log(x < 0) = nan, log(+inf) = +inf.
    public static func log(_ x: Double) -> Double {
        if !(x > 0) || x == .infinity {
            if x == 0 { return -.infinity }
            return x == .infinity ? x : .nan
        }
        let (hi, lo) = x < 0x1p-1022 ? logParts(x * 0x1p52, -52) : logParts(x, 0)
        return hi + lo
    }

    /// log(1 + x) without the rounding of 1 + x: the rounding error is carried separately.
    public static func log1p(_ x: Double) -> Double {
        if !(x > -1) || x == .infinity {
            if x == -1 { return -.infinity }
            return x == .infinity || x.isNaN ? x : .nan
        }
        if Swift.abs(x) < 0x1p-54 { return x }
        let (u, c) = DD.twoSum(1, x)  // 1 + x == u + c exactly; u >= 2^-53 is normal
        let (hi, lo) = logParts(u, 0)
        return hi + (lo + c / u)
    }

    /// log(x * 2^kAdjust) = hi + lo for a positive, finite, normal x.
    @inline(__always)
    static func logParts(_ x: Double, _ kAdjust: Int) -> (hi: Double, lo: Double) {
        // x = 2^k m with m in [sqrt(1/2), sqrt(2)), so that x near 1 gives k = 0 and no
        // cancellation between k ln2 and log(c). Offsetting the bits by those of sqrt(1/2)
        // makes the exponent field of the difference equal to k, without a branch.
        let bits = x.bitPattern
        let offset = bits &- 0x3FE6_A09E_667F_3BCD
        let kBits = Int64(bitPattern: offset) >> 52
        let m = Double(bitPattern: bits &- (UInt64(bitPattern: kBits) << 52))
        let k = Int(kBits) + kAdjust
        // c = m rounded to 8 significant bits (to the nearest multiple of 1/128 above 1 and
        // 1/256 below), taken from the bits, so |m - c| <= 1/256 and c = 1 exactly near 1
        // (no cancellation between log c and log1p(t) there). Bits 45...52 of c index the table.
        let cBits = (m.bitPattern &+ 0x0000_1000_0000_0000) & 0xFFFF_E000_0000_0000
        let c = Double(bitPattern: cBits)
        let j = Int(truncatingIfNeeded: cBits >> 45) & 0xFF
        let f = m - c  // exact (Sterbenz)
        let invc = Tables.logInvC[j]
        let th = f * invc
        // c has at most 8 significant bits, so after splitting th both partial products
        // are exact and f - th * c (the division residual) comes out exact.
        let (a, b) = DD.split(th)
        let tl = ((f - a * c) - b * c) * invc
        let poly = th * th * (-0.5 + th * (0x1.5555555555555p-2 + th * (-0.25 + th * (0x1.999999999999ap-3
            + th * (-0x1.5555555555555p-3 + th * (0x1.2492492492492p-3 + th * -0.125))))))
        let kd = Double(k)
        let s1 = kd * Tables.logLn2Hi + Tables.logHi[j]  // exact: both multiples of 2^-42, < 2^11
        let (s, se) = DD.twoSum(s1, th)
        return (s, se + ((tl + poly) + (kd * Tables.logLn2Lo + Tables.logLo[j])))
    }

    // MARK: tanh

    /// Hyperbolic tangent via expm1 (no cancellation near 0).
    public static func tanh(_ x: Double) -> Double {
        let ax = Swift.abs(x)
        if !(ax < 22) {
            if x.isNaN { return x }
            return x.sign == .minus ? -1 : 1  // 1 - tanh(22) < 2^-62
        }
        if ax < 0x1p-28 { return x }
        let t = expm1(2 * ax)
        let r = t / (t + 2)
        return x.sign == .minus ? -r : r
    }
}

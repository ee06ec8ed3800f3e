// erf and erfc. Near 0, erf(x) = x + x R(x^2). Elsewhere the work is erfc(z) for z >= 0.5,
// computed as exp(-z^2) * erfcx(z) with z^2 held exactly as a double-double: the exp(-z^2)
// factor is where a naive formula loses relative accuracy in the tail (an error of one ulp
// in z^2 ~ 700 is ~1e-13 relative), and erfcx(z) is smooth enough for short polynomials.

extension DetMath {
    /// The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x.
    public static func erf(_ x: Double) -> Double {
        let z = Swift.abs(x)
        if z < 0.5 {
            // x + x R keeps full relative accuracy down to the subnormals and the sign of -0.
            return x + x * erfSmallR(x * x)
        }
        if x.isNaN { return x }
        let v: Double = z < 6 ? oneMinusErfc(z, scale: 0) : 1  // erfc(6) < 2^-55
        return x.sign == .minus ? -v : v
    }

    /// 1 - erf(x) with relative accuracy over the whole line (it underflows past x ~ 27.2).
    public static func erfc(_ x: Double) -> Double {
        if Swift.abs(x) < 0.5 {
            // 1 - x exactly as a double-double, so the result is rounded only once at the end.
            let (s, e) = DD.twoSum(1, -x)
            return s + (e - x * erfSmallR(x * x))
        }
        if x.isNaN { return x }
        if x > 0 { return erfcTail(x, 0, scale: 0) }
        return x > -6 ? oneMinusErfc(-x, scale: 0, from: 2) : 2
    }

    /// erf(x)/x - 1 as a polynomial in w = x^2, valid for w <= 0.25.
    @inline(__always)
    static func erfSmallR(_ w: Double) -> Double {
        Tables.erfR0 + w * (Tables.erfR1 + w * (Tables.erfR2 + w * (Tables.erfR3 + w * (Tables.erfR4
            + w * (Tables.erfR5 + w * (Tables.erfR6 + w * (Tables.erfR7 + w * (Tables.erfR8
            + w * Tables.erfR9))))))))
    }

    /// erfc(zh + zl) * 2^scale for zh >= 0.5 (including +inf) and |zl| <= ulp(zh), rounded once
    /// (twice only when the result is subnormal).
    static func erfcTail(_ zh: Double, _ zl: Double, scale: Int) -> Double {
        if !(zh < 27.3) { return 0 }  // erfc(27.3) < 2^-1075; also catches +inf
        let (hi, lo, e) = erfcTailParts(zh, zl)
        let y = hi + lo
        let k = e + scale
        if k >= -1022 { return y * DD.pow2(k) }
        return (y * DD.pow2(k + 1000)) * 0x1p-1000
    }

    /// c - erfc(zh + zl) * 2^scale (c = 1 by default) for 0.5 <= zh < 6, where that product
    /// is >= 2^-60, so the scaling is exact and TwoSum makes the subtraction exact.
    @inline(__always)
    static func oneMinusErfc(_ zh: Double, _ zl: Double = 0, scale: Int, from c: Double = 1) -> Double {
        let (hi, lo, e) = erfcTailParts(zh, zl)
        let s = DD.pow2(e + scale)
        let (d, de) = DD.twoSum(c, -(hi * s))
        return d + (de - lo * s)
    }

    /// erfc(zh + zl) = (hi + lo) * 2^e for 0.5 <= zh < 27.3: exp(-z^2) erfcx(z) with z^2
    /// split exactly as p + q, both factors kept as unevaluated sums and multiplied with an
    /// exact product of their leading parts, so the result is rounded only once.
    @inline(__always)
    static func erfcTailParts(_ zh: Double, _ zl: Double) -> (hi: Double, lo: Double, e: Int) {
        let (gh, gl) = erfcxParts(zh, zl)
        let (p, pe) = DD.twoProd(zh, zh)
        let q = pe + 2 * zh * zl
        let (eh, el, e) = expParts(-p)
        // exp(-(p + q)) ~ exp(-p) (1 - q), with q up to ~6e-14 (500 ulps), so the q term
        // takes the full exp(-p) and erfcx values. Neither lo part is small either (el carries
        // e^r - 1, gl the polynomial's variation), so el * gl is kept.
        let (ph, pl) = DD.twoProd(eh, gh)
        let g = gh + gl
        return (ph, pl + ((eh * gl + el * g) - (eh + el) * g * q), e)
    }

    /// erfcx(zh + zl) = exp(z^2) erfc(z) for 0.5 <= zh < 27.5, to ~1e-17 relative.
    static func erfcxTable(_ zh: Double, _ zl: Double) -> Double {
        let (hi, lo) = erfcxParts(zh, zl)
        return hi + lo
    }

    /// erfcx(zh + zl) as hi + lo (unevaluated; hi is the interval's leading coefficient).
    @inline(__always)
    static func erfcxParts(_ zh: Double, _ zl: Double) -> (hi: Double, lo: Double) {
        let (s, es) = DD.twoSum(2, zh)
        let y = 2 / s
        let i = Swift.min(Swift.max(Int((y - 0.0625) * (128.0 / 3.0)), 0), 31)
        let t = y - Double(19 + 6 * i) * 0x1p-8  // interval midpoint; exact (Sterbenz)
        let b = 9 * i
        let c = Tables.erfcxCoeffs
        let poly = c[b + 2] + t * (c[b + 3] + t * (c[b + 4] + t * (c[b + 5] + t * (c[b + 6]
            + t * (c[b + 7] + t * c[b + 8])))))
        let a0 = c[b]
        // The polynomial gives erfcx at z' = 2/y - 2, not at zh + zl, because y is rounded.
        // z' - zh follows exactly from the division residual 2 - y s, and the derivative
        // erfcx' = 2 z erfcx - 2/sqrt(pi) moves the value to the requested point (the step
        // is ~1 ulp of z, so first order is plenty).
        // The derivative nearly cancels for large z (2 z erfcx ~ 2/sqrt(pi)), so it needs
        // the full value of erfcx, not just a0.
        let (yp, ype) = DD.twoProd(y, s)
        let residual = (2 - yp) - ype
        let delta = zl - (residual - y * es) * (0.5 * s)
        let rest = c[b + 1] + t * poly
        return (a0, rest + (2 * zh * (a0 + rest) - Tables.twoOverSqrtPi) * delta)
    }

    /// erfcx(z) for z >= 27.5 from its asymptotic series (terms below 1e-19 beyond).
    static func erfcxAsymptotic(_ z: Double) -> Double {
        let v = 0.5 / (z * z)
        let series = 1 - v * (1 - v * (3 - v * (15 - v * (105 - v * (945 - v * (10395 - v * 135135))))))
        return Tables.invSqrtPi / z * series
    }
}

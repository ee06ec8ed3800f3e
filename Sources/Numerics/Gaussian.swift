// Gaussian probabilities for the entropy coder. Arguments are standardized as
// double-doubles and the tail on the far side of the mean is always what gets computed, so
// nothing is lost to 1 - (something close to 1). Narrow bins, where even a tail difference
// would cancel, are integrated directly.

extension DetMath {
    /// Phi(x) = P(N(0, 1) <= x), with relative accuracy in the lower tail.
    public static func normalCDF(_ x: Double) -> Double {
        upperTail(-x, 0)
    }

    /// log Phi(x), finite down to x ~ -1e154 (where -x^2/2 overflows).
    public static func logNormalCDF(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x >= 0 { return log1p(-upperTail(x, 0)) }
        if x > -5 { return log(upperTail(-x, 0)) }
        if x == -.infinity { return -.infinity }
        let t = -x
        if t > 1e150 {
            // -t^2/2 dwarfs everything; plain arithmetic is exact enough here.
            return -0.5 * t * t - log(t) - 0x1.d67f1c864beb4p-1  // log(sqrt(2 pi))
        }
        let (zh, zl) = scaledByInvSqrt2(t, 0)
        let f = zh < 27.5 ? erfcxTable(zh, zl) : erfcxAsymptotic(zh)
        // Phi(x) = exp(-z^2) erfcx(z) / 2 with z^2 = p + pe exactly.
        let (p, pe) = DD.twoProd(zh, zh)
        return -p + ((log(f) - Tables.ln2) - (pe + 2 * zh * zl))
    }

    /// P(lower < X <= upper) for X ~ N(mean, std^2), with lower = -inf and upper = +inf
    /// allowed (open edge bins). Returns 0 when upper <= lower and nan when std is not
    /// positive and finite, mean is not finite, or an edge is nan.
    ///
    /// Both edges are standardized exactly (as double-doubles). A bin on one side of the
    /// mean is the difference of that side's tail probabilities, whose relative accuracy
    /// holds far out (to ~1e-300); a narrow bin (width w <= 0.5 and w |midpoint| <= 1 in
    /// standard units), where that difference would still cancel, is integrated with a
    /// 7-point Gauss-Legendre rule, accurate to ~1e-18 relative there.
    public static func gaussianBinMass(lower: Double, upper: Double, mean: Double, std: Double) -> Double {
        guard std > 0, std.isFinite, mean.isFinite, !lower.isNaN, !upper.isNaN else { return .nan }
        guard lower < upper else { return 0 }
        let a = standardize(lower, mean, std)
        let b = standardize(upper, mean, std)
        if a.hi.isFinite && b.hi.isFinite {
            let (dw, dwe) = DD.twoSum(b.hi, -a.hi)
            let w = dw + (dwe + (b.lo - a.lo))
            let (sm, sme) = DD.twoSum(a.hi, b.hi)
            let (mh, ml) = DD.fastTwoSum(0.5 * sm, 0.5 * (sme + (a.lo + b.lo)))
            if w <= 0.5 && w * Swift.abs(mh) <= 1 {
                return narrowBinMass(mh, ml, 0.5 * w)
            }
        }
        let mass: Double
        if a.hi >= 0 {
            mass = upperTail(a.hi, a.lo) - upperTail(b.hi, b.lo)
        } else if b.hi <= 0 {
            mass = upperTail(-b.hi, -b.lo) - upperTail(-a.hi, -a.lo)
        } else {
            mass = 1 - (upperTail(b.hi, b.lo) + upperTail(-a.hi, -a.lo))
        }
        return Swift.max(mass, 0)
    }

    /// (v - mean) / std as hi + lo; infinite or |hi| >= 64 values (Phi saturated) get lo = 0.
    @inline(__always)
    static func standardize(_ v: Double, _ mean: Double, _ std: Double) -> (hi: Double, lo: Double) {
        let (dh, dl) = DD.twoSum(v, -mean)
        if !dh.isFinite { return (dh, 0) }
        let th = dh / std
        // The split inside twoProd needs moderate magnitudes to stay exact.
        if !(Swift.abs(th) < 64) || !(std > 0x1p-900 && std < 0x1p900) || th == 0 && dl == 0 {
            return (th, 0)
        }
        // dh - th * std is exactly representable (division residual) and comes out exact.
        let (pp, pe) = DD.twoProd(th, std)
        let tl = (((dh - pp) - pe) + dl) / std
        return DD.fastTwoSum(th, tl)
    }

    /// (th + tl) / sqrt(2) as a double-double, for |th| < 2^990.
    @inline(__always)
    static func scaledByInvSqrt2(_ th: Double, _ tl: Double) -> (hi: Double, lo: Double) {
        let (p, pe) = DD.twoProd(th, Tables.invSqrt2Hi)
        return DD.fastTwoSum(p, pe + (th * Tables.invSqrt2Lo + tl * Tables.invSqrt2Hi))
    }

    /// Q(t) = P(N(0, 1) > t) = erfc(t / sqrt 2) / 2 for t = th + tl.
    static func upperTail(_ th: Double, _ tl: Double) -> Double {
        if th > 40 { return 0 }   // Q(38.6) < 2^-1075
        if th < -40 { return 1 }
        let (zh, zl) = scaledByInvSqrt2(th, tl)
        if zh >= 0.5 { return erfcTail(zh, zl, scale: -1) }
        if zh <= -0.5 { return zh > -6 ? oneMinusErfc(-zh, -zl, scale: -1) : 1 }
        // |z| < 0.5: erfc(zh + zl) = 1 - zh - zh R(zh^2) - zl erf'(zh), with
        // erf'(z) = 2/sqrt(pi) e^(-z^2) ~ 2/sqrt(pi) (1 - z^2): the zl term is below an ulp,
        // so its 4% approximation error does not show.
        let w = zh * zh
        let erfRest = zh * erfSmallR(w) + zl * (Tables.twoOverSqrtPi * (1 - w))
        let (s, e) = DD.twoSum(1, -zh)
        return 0.5 * (s + (e - erfRest))
    }

    /// Mass of N(0, 1) on [m - h, m + h] for m = mh + ml by Gauss-Legendre, written as
    /// phi(m) * sum w_i exp(-(m s_i + s_i^2/2)) so that the large, error-sensitive part of the
    /// exponent, m^2/2, is evaluated once and exactly as a double-double.
    static func narrowBinMass(_ mh: Double, _ ml: Double, _ h: Double) -> Double {
        if !(Swift.abs(mh) < 40) { return 0 }  // phi(39.5) * 0.5 underflows
        let (p, pe) = DD.twoProd(mh, mh)
        let phiM = exp(-0.5 * p) * (1 - (0.5 * pe + mh * ml)) * Tables.invSqrt2Pi
        var sum = 0.0
        for i in 0..<7 {
            let s = h * Tables.glNodes[i]
            sum += Tables.glWeights[i] * exp(-(mh * s + 0.5 * s * s))
        }
        return phiM * (h * sum)
    }
}

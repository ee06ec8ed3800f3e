// Float fast paths for the network's forward pass. They run in Double, where a table-free
// degree-8 polynomial for e^r (relative error 1.1e-12, see Tables.swift) plus the final
// rounding to Float gives the correctly rounded Float except within ~2e-5 ulp of a tie,
// so well under one Float ulp everywhere. Inputs are clamped instead of branched on, which
// keeps the code branch-free and free of special cases (NaN survives both clamps).

extension DetMath {
    /// e^x for Float, within one Float ulp (in practice correctly rounded), overflow to +inf
    /// and underflow through the Float subnormals to 0 included.
    @inlinable
    public static func expFloat(_ x: Float) -> Float {
        var d = Double(x)
        // e^-104 is below half the smallest Float subnormal and e^89 above Float.max, so the
        // clamps change no Float result; they keep the exponent arithmetic in range.
        d = d < -104 ? -104 : d
        d = d > 89 ? 89 : d
        return Float(expNarrow(d))
    }

    /// SiLU (swish): x * sigmoid(x) = x / (1 + e^-x), within one Float ulp.
    /// silu(+inf) = +inf, silu(-inf) = -inf (the limit is -0; the network never sees inf).
    @inlinable
    public static func silu(_ x: Float) -> Float {
        let d = Double(x)
        var t = -d
        // For x >= 200, 1 + e^-x == 1; for x <= -200, |x| / e^200 is far below the Float
        // subnormals, so clamping e^-x at e^200 still rounds to -0.
        t = t < -200 ? -200 : t
        t = t > 200 ? 200 : t
        return Float(d / (1 + expNarrow(t)))
    }

    /// e^x in Double for |x| <= 700 (relative error ~1.2e-12), without special cases.
    @inlinable @inline(__always)
    static func expNarrow(_ x: Double) -> Double {
        // Adding 1.5 * 2^52 rounds x / ln2 to an integer k held in the low mantissa bits
        // (the multiplier is Tables.invLn2).
        let z = x * 0x1.71547652b82fep0 + 0x1.8p52
        let kd = z - 0x1.8p52
        // Tables.logLn2Hi/Lo: the hi part has 42 bits, so kd * hi is exact for |kd| < 2^11.
        let r = (x - kd * 0x1.62e42fefa3800p-1) - kd * 0x1.ef35793c76730p-45
        let r2 = r * r
        let r4 = r2 * r2
        let p01 = 1.0 + r * 0x1.ffffffffd2d49p-1
        let p23 = 0x1.fffffffff6f84p-2 + r * 0x1.555555a35c252p-3
        let p45 = 0x1.5555557488158p-5 + r * 0x1.11107f851c116p-7
        let p67 = 0x1.6c164d06dc973p-10 + r * 0x1.a1ac1a4428b89p-13
        let p = (p01 + r2 * p23) + r4 * ((p45 + r2 * p67) + r4 * 0x1.a15b985e064c9p-16)
        // 2^k from the low bits of z: adding the exponent bias and shifting drops the
        // 1.5 * 2^52 pattern, whose low 12 bits are zero.
        let scale = Double(bitPattern: (z.bitPattern &+ 1023) &<< 52)
        return p * scale
    }
}

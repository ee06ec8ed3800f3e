// sin and cos: argument reduction to |y| <= pi/4 (plus rounding slack) as a double-double,
// then polynomial kernels. Reduction is where libms usually lose accuracy for large
// arguments, so it is done to ~120 bits: Cody-Waite with a 4-piece pi/2 below 2^20 pi/2,
// and Payne-Hanek with 192 bits of 2/pi (integer arithmetic) above, over the whole range.

extension DetMath {
    /// Sine of x radians, for every finite x (exactly reduced); nan for infinite x.
    public static func sin(_ x: Double) -> Double {
        let ax = Swift.abs(x)
        if ax <= 0x1.921fb54442d18p-1 {
            if ax < 0x1p-26 { return x }  // x^3/6 is below half an ulp; keeps -0 as -0
            return sinKernel(x, 0)
        }
        if !ax.isFinite { return .nan }
        let (n, hi, lo) = reducePio2(x)
        switch n & 3 {
        case 0: return sinKernel(hi, lo)
        case 1: return cosKernel(hi, lo)
        case 2: return -sinKernel(hi, lo)
        default: return -cosKernel(hi, lo)
        }
    }

    /// Cosine of x radians, for every finite x (exactly reduced); nan for infinite x.
    public static func cos(_ x: Double) -> Double {
        let ax = Swift.abs(x)
        if ax <= 0x1.921fb54442d18p-1 {
            if ax < 0x1p-27 { return 1 }
            return cosKernel(x, 0)
        }
        if !ax.isFinite { return .nan }
        let (n, hi, lo) = reducePio2(x)
        switch n & 3 {
        case 0: return cosKernel(hi, lo)
        case 1: return -sinKernel(hi, lo)
        case 2: return -cosKernel(hi, lo)
        default: return sinKernel(hi, lo)
        }
    }

    /// (sin 2πu, cos 2πu) for u in [0, 1]. Box-Muller angles are dyadic, so the quadrant and
    /// the reduced fraction are exact and no general reduction is needed.
    static func sinCosTwoPi(_ u: Double) -> (sin: Double, cos: Double) {
        let v = 4 * u
        let nd = (v + roundShift) - roundShift
        let f = v - nd  // exact, in [-1/2, 1/2]
        let (p, pe) = DD.twoProd(f, Tables.pio2Hi)
        let (hi, lo) = DD.fastTwoSum(p, pe + f * Tables.pio2Lo)
        let s = Swift.abs(hi) < 0x1p-26 ? hi : sinKernel(hi, lo)
        let c = Swift.abs(hi) < 0x1p-27 ? 1 : cosKernel(hi, lo)
        switch Int(nd) & 3 {
        case 0: return (s, c)
        case 1: return (c, -s)
        case 2: return (-s, -c)
        default: return (-c, s)
        }
    }

    /// sin(x + y) for |x| <= ~pi/4 and |y| <= ulp(x).
    @inline(__always)
    static func sinKernel(_ x: Double, _ y: Double) -> Double {
        let z = x * x
        let v = z * x
        let r = Tables.sin1 + z * (Tables.sin2 + z * (Tables.sin3 + z * (Tables.sin4
            + z * (Tables.sin5 + z * Tables.sin6))))
        // sin(x + y) ~ sin(x) + y cos(x); x is added last so every rounding before it is on
        // a term at most x^2/6 as large.
        return x + (v * (Tables.sin0 + z * r) + y * (1 - 0.5 * z))
    }

    /// cos(x + y) for |x| <= ~pi/4 and |y| <= ulp(x).
    @inline(__always)
    static func cosKernel(_ x: Double, _ y: Double) -> Double {
        let (z, ze) = DD.twoProd(x, x)  // x^2 exactly: its rounding would be ~0.3 ulp here
        let hz = 0.5 * z
        let w = 1 - hz
        let c = Tables.cos0 + z * (Tables.cos1 + z * (Tables.cos2 + z * (Tables.cos3
            + z * (Tables.cos4 + z * Tables.cos5))))
        // (1 - w) - hz recovers exactly the rounding error of w = 1 - hz.
        return w + ((((1 - w) - hz) - 0.5 * ze) + (z * z * c - x * y))
    }

    /// x = n pi/2 + (hi + lo) with |hi + lo| <= pi/4 (plus rounding slack), x finite.
    static func reducePio2(_ x: Double) -> (n: Int, hi: Double, lo: Double) {
        if Swift.abs(x) < 0x1.921fb6p20 {
            let fn = (x * Tables.invPio2 + roundShift) - roundShift
            // fn < 2^20 and each pi/2 piece has 33 bits, so every fn * piece is exact; the
            // first subtraction is exact by Sterbenz and TwoSum keeps the others exact.
            let a = x - fn * Tables.pio2_1
            let (y1, e1) = DD.twoSum(a, -(fn * Tables.pio2_2))
            let (y2, e2) = DD.twoSum(y1, -(fn * Tables.pio2_3))
            let (hi, lo) = DD.fastTwoSum(y2, (e1 + e2) - fn * Tables.pio2_3t)
            return (Int(fn), hi, lo)
        }
        let (n, hi, lo) = reducePio2Large(Swift.abs(x))
        return x.sign == .minus ? (-n, -hi, -lo) : (n, hi, lo)
    }

    /// The 64 bits of 2/pi starting `position` bits after the binary point
    /// (0-based; negative positions read as the zero integer part).
    @inline(__always)
    static func twoOverPiWindow(_ position: Int) -> UInt64 {
        if position < 0 {
            return position <= -64 ? 0 : Tables.twoOverPiBits[0] >> UInt64(-position)
        }
        let w = position >> 6
        let off = position & 63
        let first = Tables.twoOverPiBits[w]
        if off == 0 { return first }
        return (first << UInt64(off)) | (Tables.twoOverPiBits[w + 1] >> UInt64(64 - off))
    }

    /// Payne-Hanek for finite x >= 2^20 pi/2: with x = M 2^E (M a 53-bit integer), only
    /// the bits of 2/pi from weight 2^(1-E) on matter for x * 2/pi mod 4, because the
    /// higher ones give multiples of 4. A 192-bit window times M leaves >= 128 fraction bits.
    static func reducePio2Large(_ x: Double) -> (n: Int, hi: Double, lo: Double) {
        let bits = x.bitPattern
        let e = Int(truncatingIfNeeded: (bits >> 52) & 0x7FF) - 1075
        let mant = (bits & 0x000F_FFFF_FFFF_FFFF) | 0x0010_0000_0000_0000
        let start = e - 2
        let w0 = twoOverPiWindow(start)
        let w1 = twoOverPiWindow(start + 64)
        let w2 = twoOverPiWindow(start + 128)
        // Product M * (w0 w1 w2) modulo 2^192 (the window is scaled by 2^-190).
        let (h2, l2) = mant.multipliedFullWidth(by: w2)
        let (h1, l1) = mant.multipliedFullWidth(by: w1)
        let l0 = mant &* w0
        let (word1, carry) = h2.addingReportingOverflow(l1)
        let word2 = h1 &+ l0 &+ (carry ? 1 : 0)
        let word0 = l2
        var n = Int(word2 >> 62)
        var fhi = (word2 << 2) | (word1 >> 62)
        var flo = (word1 << 2) | (word0 >> 62)
        // Fraction in [0, 1) as a 128-bit fixed-point number; fold to [-1/2, 1/2).
        let negative = fhi >> 63 != 0
        if negative {
            n += 1
            flo = ~flo &+ 1
            fhi = ~fhi &+ (flo == 0 ? 1 : 0)
        }
        let lz = fhi != 0 ? fhi.leadingZeroBitCount : 64 + flo.leadingZeroBitCount
        let nh: UInt64, nl: UInt64
        if lz == 0 {
            (nh, nl) = (fhi, flo)
        } else if lz < 64 {
            (nh, nl) = ((fhi << UInt64(lz)) | (flo >> UInt64(64 - lz)), flo << UInt64(lz))
        } else {
            (nh, nl) = (flo << UInt64(lz - 64), 0)
        }
        // value = (nh 2^64 + nl) 2^(-128-lz): 53 exact leading bits, then the next 64 rounded.
        let fh = Double(nh >> 11) * DD.pow2(-53 - lz)
        let fl = Double(((nh & 0x7FF) << 53) | (nl >> 11)) * DD.pow2(-117 - lz)
        let (p, pe) = DD.twoProd(fh, Tables.pio2Hi)
        var (hi, lo) = DD.fastTwoSum(p, pe + (fh * Tables.pio2Lo + fl * Tables.pio2Hi))
        if negative {
            hi = -hi
            lo = -lo
        }
        return (n, hi, lo)
    }
}

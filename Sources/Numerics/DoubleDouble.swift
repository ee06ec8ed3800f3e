// Error-free transformations (Knuth, Dekker). They let the kernels carry a result as an
// unevaluated sum hi + lo using only IEEE + - *, so extra precision is available without
// fma (whose availability and use would differ between machines).

enum DD {
    /// hi + lo == a + b exactly, whatever the magnitudes (Knuth's TwoSum).
    @inline(__always)
    static func twoSum(_ a: Double, _ b: Double) -> (hi: Double, lo: Double) {
        let s = a + b
        let bv = s - a
        let e = (a - (s - bv)) + (b - bv)
        return (s, e)
    }

    /// hi + lo == a + b exactly when |a| >= |b| or a == 0 (Dekker's Fast2Sum).
    @inline(__always)
    static func fastTwoSum(_ a: Double, _ b: Double) -> (hi: Double, lo: Double) {
        let s = a + b
        return (s, b - (s - a))
    }

    /// a == hi + lo with hi of 26 significant bits (Veltkamp), so products of halves are exact.
    /// Valid for |a| < 2^995 (the multiplication by 2^27 + 1 must not overflow).
    @inline(__always)
    static func split(_ a: Double) -> (hi: Double, lo: Double) {
        let c = 134_217_729.0 * a
        let hi = c - (c - a)
        return (hi, a - hi)
    }

    /// hi + lo == a * b exactly, barring overflow or underflow (Dekker's TwoProduct).
    @inline(__always)
    static func twoProd(_ a: Double, _ b: Double) -> (hi: Double, lo: Double) {
        let p = a * b
        let (ah, al) = split(a)
        let (bh, bl) = split(b)
        let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        return (p, e)
    }

    /// 2^e as a Double for -1022 <= e <= 1023, built from bits so no pow() is needed.
    @inline(__always)
    static func pow2(_ e: Int) -> Double {
        Double(bitPattern: UInt64(truncatingIfNeeded: e + 1023) << 52)
    }
}

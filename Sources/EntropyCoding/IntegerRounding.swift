// Floor and ceiling to Int through the truncating conversion (one instruction, exact), not
// libm: nothing that decides a frequency or a grid may depend on the platform's math library.

/// floor(x) as an Int, for |x| < 2^62.
@inline(__always)
func floorToInt(_ x: Double) -> Int {
    let t = Int(x)
    return Double(t) > x ? t - 1 : t
}

/// ceil(x) as an Int, for |x| < 2^62.
@inline(__always)
func ceilToInt(_ x: Double) -> Int {
    let t = Int(x)
    return Double(t) < x ? t + 1 : t
}

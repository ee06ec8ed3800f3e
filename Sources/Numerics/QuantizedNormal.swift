/// A standard normal quantized to 2^16 equiprobable levels: level k stands for the midpoint
/// quantile Φ⁻¹((k + ½) / 2^16). Sixteen random bits make one sample by table lookup, eight
/// per Philox block, which is what lets the progressive coder score thousands of candidate
/// vectors per chunk. Both sides build the table with DetMath, so it is the same everywhere.
/// (The tails are cut at ±4.4σ; at that depth a reverse-channel proposal loses nothing.)
public struct QuantizedNormal: Sendable {
    public static let levels = 1 << 16
    public let values: [Double]

    public static let shared = QuantizedNormal()

    init() {
        let n = Self.levels
        var v = [Double](repeating: 0, count: n)
        // Upper half by bisection on the lower tail Φ(−z) = (n − k − ½) / n, exact to the last
        // bit after 64 halvings of [0, 8]; the lower half by symmetry.
        for k in (n / 2)..<n {
            let tail = (Double(n - k) - 0.5) / Double(n)
            var lo = 0.0, hi = 8.0
            for _ in 0..<64 {
                let mid = 0.5 * (lo + hi)
                if DetMath.normalCDF(-mid) > tail { lo = mid } else { hi = mid }
            }
            v[k] = 0.5 * (lo + hi)
            v[n - 1 - k] = -v[k]
        }
        values = v
    }
}

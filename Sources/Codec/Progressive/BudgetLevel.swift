/// The KL budgets a step of the progressive stream may give one item, in whole index bits: 0 … 6,
/// then each about 15 % above the last (integer arithmetic, so both sides hold the same table).
///
/// The stream names a budget by its level, not its bit count: along a chain the KL of a step grows
/// smoothly, so on a geometric ladder the level stays put for several steps and changes by one when
/// it moves, and the side information costs about half the bits of sending the KL in whole bits
/// (0.26 against 0.47 bits/dim on one Fashion-MNIST image, docs/DESIGN.md §5).
public enum BudgetLevel {
    /// bits[m] for every level up to past 2^31 bits.
    public static let bits: [Int] = {
        var table = Array(0...6)
        while table.last! < 1 << 31 {
            let k = table.last!
            table.append(k + max(1, k * 3 / 20))
        }
        return table
    }()

    /// The level of a step whose KL is `kl` bits, given the item's level at the step before: the
    /// previous level while its budget stays within [0.85, 1.25] × KL (or within half a bit of it),
    /// else the lowest level whose budget covers the KL rounded to whole bits.
    public static func choose(kl: Double, previous: Int) -> Int {
        if previous >= 0, previous < bits.count {
            let k = Double(bits[previous])
            if abs(k - kl) <= 0.5 || (k >= 0.85 * kl && k <= 1.25 * kl) { return previous }
        }
        let target = Int(min(kl.rounded(), Double(bits.last!)))
        var lo = 0, hi = bits.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if bits[mid] >= target { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

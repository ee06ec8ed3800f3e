// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011). A counter-based generator: each output block is a pure function of
// (counter, key), so sample i can be produced on its own, in any order or in parallel,
// and encoder and decoder agree on every sample without sharing generator state.

public struct Philox4x32: Sendable, Hashable {
    public typealias Counter = (UInt32, UInt32, UInt32, UInt32)
    public typealias Key = (UInt32, UInt32)

    public var key0: UInt32
    public var key1: UInt32

    public init(key0: UInt32, key1: UInt32) {
        self.key0 = key0
        self.key1 = key1
    }

    /// Key from a 64-bit seed (low word first).
    public init(seed: UInt64) {
        self.init(key0: UInt32(truncatingIfNeeded: seed), key1: UInt32(truncatingIfNeeded: seed >> 32))
    }

    public func block(counter: Counter) -> Counter {
        Philox4x32.block(counter: counter, key: (key0, key1))
    }

    /// The ten-round Philox4x32 bijection of `counter` under `key` (Random123's philox4x32).
    @inlinable
    public static func block(counter: Counter, key: Key) -> Counter {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9  // golden ratio
                k1 &+= 0xBB67_AE85  // sqrt(3) - 1
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// A Double in (0, 1) from the top 53 bits of `bits`: k 2^-53 for k >= 1, and 2^-54 for
    /// k = 0, so that log(u) is always finite.
    @inlinable
    public static func uniform01(_ bits: UInt64) -> Double {
        let k = bits >> 11
        return k == 0 ? 0x1p-54 : Double(k) * 0x1p-53
    }

    /// The counter of block `block` in `stream`: (block lo, block hi, stream lo, stream hi).
    @inlinable
    static func counter(stream: UInt64, block: UInt64) -> Counter {
        (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
         UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
    }

    /// Uniform sample number `index` of (`seed`, `stream`): each block yields two 64-bit words.
    public static func uniform01(seed: UInt64, stream: UInt64, index: UInt64) -> Double {
        let r = Philox4x32(seed: seed).block(counter: counter(stream: stream, block: index >> 1))
        let bits = index & 1 == 0
            ? UInt64(r.0) | UInt64(r.1) << 32
            : UInt64(r.2) | UInt64(r.3) << 32
        return uniform01(bits)
    }

    /// Standard normal pair number `pair` of (`seed`, `stream`) by Box-Muller on one Philox
    /// block, using DetMath's log, sqrt and an exact 2 pi u angle reduction.
    public static func standardNormalPair(seed: UInt64, stream: UInt64, pair: UInt64) -> (Double, Double) {
        let r = Philox4x32(seed: seed).block(counter: counter(stream: stream, block: pair))
        let u1 = uniform01(UInt64(r.0) | UInt64(r.1) << 32)
        let u2 = uniform01(UInt64(r.2) | UInt64(r.3) << 32)
        let radius = (-2 * DetMath.log(u1)).squareRoot()
        let (s, c) = DetMath.sinCosTwoPi(u2)
        return (radius * c, radius * s)
    }

    /// Standard normal sample number `index` of (`seed`, `stream`): element `index & 1` of
    /// pair `index >> 1`, so any sample can be drawn alone and in any order.
    public static func standardNormal(seed: UInt64, stream: UInt64, index: UInt64) -> Double {
        let (a, b) = standardNormalPair(seed: seed, stream: stream, pair: index >> 1)
        return index & 1 == 0 ? a : b
    }

    /// Fills `out` with samples startIndex, startIndex + 1, ... of (`seed`, `stream`);
    /// identical to calling standardNormal for each index, at half the cost.
    public static func fillStandardNormal(_ out: inout [Double], seed: UInt64, stream: UInt64,
                                          startIndex: UInt64 = 0) {
        var i = 0
        var index = startIndex
        while i < out.count {
            let (a, b) = standardNormalPair(seed: seed, stream: stream, pair: index >> 1)
            if index & 1 == 0 {
                out[i] = a
                if i + 1 < out.count { out[i + 1] = b }
                i += 2
                index &+= 2
            } else {
                out[i] = b
                i += 1
                index &+= 1
            }
        }
    }
}

// rANS as a stack (Duda 2013; the layout follows constriction's AnsCoder): a 64-bit state
// kept in [2^32, 2^64) on top of a growing array of 32-bit words. Pushing a symbol of
// frequency f out of 2^P multiplies the content by about 2^P / f; popping divides it back.
// Push and pop are exact inverses, so any interleaving of them can be undone in reverse
// order, which is what bits-back coding needs.
//
// Below the last stored word a stack continues with an endless sequence of pseudo-random
// "virtual" words (Philox4x32 under `seed`). Popping past the stored words draws from it
// instead of failing: that is how bits-back pops before anything was pushed, and the
// number of words drawn is how a decoder notices that its input ended early. The fresh
// state itself is 2^32 + a word (virtual word 0, or the codec's own `origin`), so even the
// first pop sees random low bits (a state of exactly 2^32 would decode the lowest slot, the
// far left tail, every time).

import Numerics

public struct RANSStack: Sendable {
    /// The state always lies in [2^32, 2^64): at least one full word of slack below, so a
    /// renormalization moves exactly one word and every push or pop is O(1).
    @usableFromInline static let lowerBound: UInt64 = 1 << 32

    @usableFromInline var state: UInt64
    /// Stored words, bottom first: the most recently flushed word is last.
    @usableFromInline var words: [UInt32]
    /// Virtual words drawn into the state so far (virtual word 0, in a fresh state, excluded).
    @usableFromInline var borrowed: Int
    /// The lowest point the content has reached: (stored words - borrowed words, state),
    /// ordered lexicographically, which is the same order as 32 * words + log2(state).
    @usableFromInline var lowWords: Int
    @usableFromInline var lowState: UInt64
    /// The position (words - borrowed, state) the stack started from; bit counts are
    /// measured from it.
    let originWords: Int
    let originState: UInt64

    /// The key of the virtual words below the stored ones.
    public let seed: UInt64

    /// A stack with no stored content: everything popped from it is drawn from the virtual
    /// words of `seed` (bits-back's initial bits).
    public init(seed: UInt64 = 0) {
        self.init(seed: seed, origin: Self.virtualWord(0, seed: seed))
    }

    /// The same with `origin` as the fresh state's low word. A coded stack ends holding those 32
    /// bits whatever was pushed, so a codec may put a word there that its decoder checks at the
    /// end (a digest of what was coded) instead of spending bytes on it elsewhere; it should look
    /// random, as a virtual word does, since the first pops read it.
    public init(seed: UInt64, origin: UInt32) {
        self.init(state: Self.lowerBound | UInt64(origin), words: [], seed: seed)
    }

    /// The low word of a fresh stack's state when the codec names no origin.
    public static func defaultOrigin(seed: UInt64) -> UInt32 { virtualWord(0, seed: seed) }

    init(state: UInt64, words: [UInt32], seed: UInt64) {
        self.state = state
        self.words = words
        self.seed = seed
        borrowed = 0
        lowWords = words.count
        lowState = state
        originWords = words.count
        originState = state
    }

    // MARK: Pushing and popping

    /// Pushes the interval [start, start + frequency) of 2^precision.
    @inlinable
    public mutating func push(start: UInt32, frequency: UInt32, precision: Int) throws(EntropyCodingError) {
        guard precision >= 1, precision <= 32 else { throw .invalidPrecision(precision) }
        guard frequency > 0, UInt64(start) + UInt64(frequency) <= 1 << UInt64(precision) else {
            throw .invalidInterval(start: UInt64(start), frequency: UInt64(frequency), precision: precision)
        }
        pushUnchecked(start: start, frequency: frequency, precision: precision)
    }

    /// The push for intervals a codec has already validated.
    @inlinable @inline(__always)
    mutating func pushUnchecked(start: UInt32, frequency: UInt32, precision: Int) {
        let f = UInt64(frequency)
        // The new state (state / f) * 2^P + ... must stay below 2^64, so state must be below
        // f * 2^(64 - P); one word out brings it under 2^32, which is enough for any P <= 32.
        if state >> UInt64(64 - precision) >= f {
            words.append(UInt32(truncatingIfNeeded: state))
            state >>= 32
        }
        state = (state / f) << UInt64(precision) + state % f + UInt64(start)
    }

    /// The slot (a value in [0, 2^precision)) that the next pop decodes; the codec maps it to
    /// a symbol and its interval and then calls `commitPop`.
    @inlinable
    public func peek(precision: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: state & ((1 << UInt64(truncatingIfNeeded: precision)) &- 1))
    }

    /// Removes the symbol whose interval [start, start + frequency) contains the peeked slot.
    @inlinable
    public mutating func commitPop(start: UInt32, frequency: UInt32, precision: Int) throws(EntropyCodingError) {
        guard precision >= 1, precision <= 32 else { throw .invalidPrecision(precision) }
        let slot = UInt64(peek(precision: precision))
        guard frequency > 0, UInt64(start) <= slot, slot < UInt64(start) + UInt64(frequency) else {
            throw .invalidInterval(start: UInt64(start), frequency: UInt64(frequency), precision: precision)
        }
        commitPopUnchecked(start: start, frequency: frequency, precision: precision)
    }

    /// The pop for an interval that a codec derived from the peeked slot, so it contains it.
    @inlinable @inline(__always)
    mutating func commitPopUnchecked(start: UInt32, frequency: UInt32, precision: Int) {
        let mask = (UInt64(1) << UInt64(precision)) &- 1
        // state >> P >= 2^(32 - P) >= 1, so the result is at least f >= 1 and one word in
        // restores the invariant; it stays below f * 2^(64 - P) <= 2^64.
        state = UInt64(frequency) &* (state >> UInt64(precision)) &+ ((state & mask) &- UInt64(start))
        if state < Self.lowerBound {
            state = state << 32 | UInt64(nextWordIn())
            let level = words.count &- borrowed
            if level < lowWords || (level == lowWords && state < lowState) {
                lowWords = level
                lowState = state
            }
        } else if words.count &- borrowed == lowWords && state < lowState {
            lowState = state
        }
    }

    /// The word below the state: the top stored word, or the next virtual one.
    @inlinable
    mutating func nextWordIn() -> UInt32 {
        if let word = words.popLast() { return word }
        borrowed += 1
        return Self.virtualWord(borrowed, seed: seed)
    }

    /// Virtual word `index` of `seed`: Philox4x32 blocks in a stream of its own, four words each.
    @usableFromInline
    static func virtualWord(_ index: Int, seed: UInt64) -> UInt32 {
        let block = UInt64(index) >> 2
        let counter = (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                       virtualStream, 0 as UInt32)
        let r = Philox4x32(seed: seed).block(counter: counter)
        switch index & 3 {
        case 0: return r.0
        case 1: return r.1
        case 2: return r.2
        default: return r.3
        }
    }

    /// "rANS": keeps the virtual words apart from every other Philox stream of the codec.
    @usableFromInline static let virtualStream: UInt32 = 0x5241_4E53
}

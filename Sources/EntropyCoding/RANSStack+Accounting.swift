// Bit counts, for measuring the coder against the ideal codelength, and comparisons that
// see through where a word happens to be kept (stored, or still virtual).

import Numerics

extension RANSStack {
    /// Information on the stack relative to where it started, in bits: 32 per word net of
    /// borrowed ones, plus log2 of the state. A push adds about -log2 of the symbol's
    /// quantized probability and a pop removes as much, so differences of `bitCount` are
    /// what a sequence of operations cost. It starts at 0 and goes negative when more is
    /// popped than was there (bits-back's initial bits).
    public var bitCount: Double {
        Self.position(words.count - borrowed, state) - Self.position(originWords, originState)
    }

    /// How far below its starting point the stack has ever been popped, in bits: the initial
    /// bits a bits-back encoder borrowed. Its file is that much longer than the net
    /// information; a chain of images on one stack pays them once.
    public var initialBits: Double {
        Self.position(originWords, originState) - Self.position(lowWords, lowState)
    }

    /// Virtual words drawn because the stored ones ran out. An encoder that pops before it
    /// pushes borrows by design; for a decoder, any borrowing means its input was truncated.
    public var borrowedWordCount: Int { borrowed }

    /// True when the stored content reads exactly like that of a fresh stack with this seed:
    /// the fresh state, then virtual words 1, 2, ... A bits-back decoder that has undone
    /// every step ends like that, so this checks the whole decode (a wrong or damaged input
    /// passes with probability about 2^-64).
    public var holdsOnlyInitialBits: Bool { originWord == Self.virtualWord(0, seed: seed) }

    /// The low word of a fresh state when the stack holds nothing else (the state in
    /// [2^32, 2^33), under it virtual words 1, 2, ... of the seed), else nil: what a decoder
    /// that has undone every step finds of the `origin` its encoder started from.
    public var originWord: UInt32? {
        guard state >> 32 == 1 else { return nil }
        for (depth, word) in words.reversed().enumerated() where word != Self.virtualWord(depth + 1, seed: seed) {
            return nil
        }
        return UInt32(truncatingIfNeeded: state)
    }

    /// Whether both stacks hold the same content, stored words and virtual ones together.
    /// Popping from a fresh stack and pushing back restores its content, but the borrowed
    /// words come back as stored ones, so the representations differ.
    public func hasSameContent(as other: RANSStack) -> Bool {
        let a = canonical(), b = other.canonical()
        return a.state == b.state && a.words == b.words && a.borrowed == b.borrowed && seed == other.seed
    }

    /// Stored bottom words that equal the virtual words just above the virtual region are
    /// moved back into it, so that equal content has one representation.
    func canonical() -> (state: UInt64, words: ArraySlice<UInt32>, borrowed: Int) {
        var bottom = 0
        var borrowed = self.borrowed
        while borrowed > 0, bottom < words.count, words[bottom] == Self.virtualWord(borrowed, seed: seed) {
            bottom += 1
            borrowed -= 1
        }
        return (state, words[bottom...], borrowed)
    }

    /// 32 * level + log2(state): the content's height.
    static func position(_ level: Int, _ state: UInt64) -> Double {
        32 * Double(level) + log2(Double(state))
    }
}

/// log2 for measurements (bit counts, ideal codelengths); never used for coding decisions.
func log2(_ x: Double) -> Double { DetMath.log(x) * 1.4426950408889634 }

extension RANSStack: Equatable {
    /// Same representation: state, stored words, borrowed words and seed (not the bookkeeping
    /// of where the stack started).
    public static func == (a: RANSStack, b: RANSStack) -> Bool {
        a.state == b.state && a.words == b.words && a.borrowed == b.borrowed && a.seed == b.seed
    }
}

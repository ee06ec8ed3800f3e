// The stored form of a stack: the state as two words, high first, then the stored words from
// the top of the stack down. Top first means a prefix of the data is what a decoder pops
// first, and a file cut short loses the words it needs last: its decoder then runs into the
// virtual words, which `borrowedWordCount` reports.
//
// Virtual words an encoder drew are not written: whatever of them the encoder pushed back
// became stored words, and the rest were never part of the message. So a decoder's stack is
// the serialized words alone, and never needs to borrow.

extension RANSStack {
    /// Number of 32-bit words `serializedWords()` returns: the state's two plus the stored ones.
    public var serializedWordCount: Int { words.count + 2 }

    public func serializedWords() -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(words.count + 2)
        out.append(UInt32(truncatingIfNeeded: state >> 32))
        out.append(UInt32(truncatingIfNeeded: state))
        out.append(contentsOf: words.reversed())
        return out
    }

    /// `serializedWords()` with each word little-endian, the state's high word in as few bytes as
    /// hold it (1 to 4: it is at least 1, since the state is at least 2^32). The stored length then
    /// says how many: 4k + 4 + h bytes for k stored words. A lone small image's stack is a few
    /// dozen bytes, and the full high word wasted one and a half of them on average.
    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 * (words.count + 2))
        func append(_ word: UInt32, bytes: Int = 4) {
            for b in 0..<bytes { out.append(UInt8(truncatingIfNeeded: word >> (8 * b))) }
        }
        let high = UInt32(truncatingIfNeeded: state >> 32)
        append(high, bytes: (32 - high.leadingZeroBitCount + 7) / 8)
        append(UInt32(truncatingIfNeeded: state))
        for word in words.reversed() { append(word) }
        return out
    }

    /// A stack holding exactly what `serializedWords()` wrote, for decoding. Past its stored
    /// words it reads the virtual words of `seed`, which a correct decode never reaches.
    public init(serializedWords data: [UInt32], seed: UInt64 = 0) throws(EntropyCodingError) {
        guard data.count >= 2 else { throw .malformedStack("\(data.count) words, the state alone needs 2") }
        let state = UInt64(data[0]) << 32 | UInt64(data[1])
        guard state >= Self.lowerBound else {
            throw .malformedStack("state 0x\(String(state, radix: 16)) is below 2^32")
        }
        self.init(state: state, words: data[2...].reversed(), seed: seed)
    }

    public init(serializedBytes data: [UInt8], seed: UInt64 = 0) throws(EntropyCodingError) {
        guard data.count >= 5 else { throw .malformedStack("\(data.count) bytes, the state alone needs 5 or more") }
        let highBytes = (data.count - 5) % 4 + 1
        func word(at i: Int, bytes: Int = 4) -> UInt32 {
            (0..<bytes).reduce(0) { $0 | UInt32(data[i + $1]) << (8 * $1) }
        }
        var words = [word(at: 0, bytes: highBytes)]
        words.reserveCapacity((data.count + 3) / 4)
        var i = highBytes
        while i < data.count {
            words.append(word(at: i))
            i += 4
        }
        try self.init(serializedWords: words, seed: seed)
    }
}

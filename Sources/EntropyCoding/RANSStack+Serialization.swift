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

    /// `serializedWords()` with each word little-endian.
    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 * (words.count + 2))
        for word in serializedWords() {
            out.append(UInt8(truncatingIfNeeded: word))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 24))
        }
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
        guard data.count % 4 == 0 else { throw .malformedStack("\(data.count) bytes is not a whole number of words") }
        var words: [UInt32] = []
        words.reserveCapacity(data.count / 4)
        var i = 0
        while i < data.count {
            words.append(UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
            i += 4
        }
        try self.init(serializedWords: words, seed: seed)
    }
}

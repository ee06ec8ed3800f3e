/// A FIFO bit stream, most significant bit first. Unlike the rANS stack it is read in the order
/// it was written, so any prefix of it is itself a readable stream: what the progressive
/// coder needs for decoding from partially received bytes.
public struct BitWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Bits written so far.
    public private(set) var bitCount = 0

    public init() {}

    /// Appends the low `count` bits of `value` (count ≤ 64).
    public mutating func write(_ value: UInt64, bits count: Int) {
        precondition(count >= 0 && count <= 64)
        var remaining = count
        while remaining > 0 {
            let used = bitCount & 7
            if used == 0 { bytes.append(0) }
            let take = min(8 - used, remaining)
            let chunk = UInt8(truncatingIfNeeded: (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1))
            bytes[bytes.count - 1] |= chunk << UInt8(8 - used - take)
            remaining -= take
            bitCount += take
        }
    }

    /// Order-0 exponential-Golomb code of 0 ≤ n < 2^64 − 1: about 2 log2(n + 1) + 1 bits.
    public mutating func writeExpGolomb(_ n: UInt64) {
        precondition(n < UInt64.max, "exp-Golomb codes values below 2^64 - 1")
        let v = n &+ 1
        let length = 64 - v.leadingZeroBitCount
        write(0, bits: length - 1)
        write(v, bits: length)
    }

    /// Signed values through the zigzag map 0, −1, 1, −2, ... → 0, 1, 2, 3, ...
    public mutating func writeSignedExpGolomb(_ n: Int) {
        precondition(n > Int.min, "signed exp-Golomb codes values above Int.min")
        writeExpGolomb(n >= 0 ? UInt64(n) << 1 : (UInt64(-(n + 1)) << 1) | 1)
    }
}

public struct BitReader: Sendable {
    public let bytes: [UInt8]
    /// Bits available: the whole stream, or fewer when only a prefix was received.
    public let bitLimit: Int
    public private(set) var position = 0

    public init(bytes: [UInt8], bitLimit: Int? = nil) {
        self.bytes = bytes
        self.bitLimit = min(bitLimit ?? bytes.count * 8, bytes.count * 8)
    }

    public var remaining: Int { bitLimit - position }

    /// The next `count` bits, or nil (position unchanged) if the stream ends first.
    public mutating func read(bits count: Int) -> UInt64? {
        precondition(count >= 0 && count <= 64)
        guard count <= remaining else { return nil }
        var value: UInt64 = 0
        var left = count
        while left > 0 {
            let used = position & 7
            let take = min(8 - used, left)
            let byte = UInt64(bytes[position >> 3])
            value = value << UInt64(take) | (byte >> UInt64(8 - used - take)) & ((1 << UInt64(take)) - 1)
            left -= take
            position += take
        }
        return value
    }

    /// Inverse of `writeExpGolomb`; nil (position unchanged) if the stream ends first or the
    /// code is longer than 64 bits (only a damaged stream has one).
    public mutating func readExpGolomb() -> UInt64? {
        let start = position
        var zeros = 0
        while true {
            guard let b = read(bits: 1) else { position = start; return nil }
            if b == 1 { break }
            zeros += 1
            if zeros > 63 { position = start; return nil }
        }
        guard let rest = read(bits: zeros) else { position = start; return nil }
        return ((1 << UInt64(zeros)) | rest) - 1
    }

    public mutating func readSignedExpGolomb() -> Int? {
        guard let z = readExpGolomb() else { return nil }
        let magnitude = Int(truncatingIfNeeded: z >> 1)
        return z & 1 == 0 ? magnitude : -magnitude - 1
    }

    public mutating func seek(to bit: Int) { position = min(bit, bitLimit) }
}

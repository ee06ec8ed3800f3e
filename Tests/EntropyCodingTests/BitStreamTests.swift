import EntropyCoding
import XCTest

/// The FIFO bit stream of the progressive coder: round trips, exact bit layout, and the
/// prefix property (any prefix reads back exactly the values wholly inside it).
final class BitStreamTests: XCTestCase {
    /// One written value, so a reader can replay the same sequence of reads.
    enum Op: Equatable {
        case fixed(UInt64, bits: Int)
        case golomb(UInt64)
        case signed(Int)
    }

    static func write(_ ops: [Op]) -> (writer: BitWriter, ends: [Int]) {
        var w = BitWriter()
        var ends: [Int] = []
        for op in ops {
            switch op {
            case let .fixed(v, bits): w.write(v, bits: bits)
            case let .golomb(v): w.writeExpGolomb(v)
            case let .signed(v): w.writeSignedExpGolomb(v)
            }
            ends.append(w.bitCount)
        }
        return (w, ends)
    }

    /// Reads `op`'s kind of value; the value read (as an Op) or nil.
    static func read(_ op: Op, from r: inout BitReader) -> Op? {
        switch op {
        case let .fixed(_, bits): return r.read(bits: bits).map { .fixed($0, bits: bits) }
        case .golomb: return r.readExpGolomb().map { .golomb($0) }
        case .signed: return r.readSignedExpGolomb().map { .signed($0) }
        }
    }

    static func mask(_ v: UInt64, _ bits: Int) -> UInt64 { bits == 64 ? v : v & ((1 << UInt64(bits)) - 1) }

    static func randomOps(_ rng: inout TestRNG, count: Int) -> [Op] {
        (0..<count).map { _ in
            switch rng.int(0...2) {
            case 0:
                let bits = rng.int(0...64)
                return .fixed(mask(rng.next(), bits), bits: bits)
            case 1:
                // Small values mostly, some up to the largest encodable magnitude.
                let shift = rng.int(0...63)
                return .golomb(min(rng.next() >> UInt64(shift), UInt64.max - 1))
            default:
                let shift = rng.int(2...63)
                let magnitude = Int(rng.next() >> UInt64(shift))
                return .signed(rng.next() & 1 == 0 ? magnitude : -magnitude - 1)
            }
        }
    }

    func testFixedWidthRoundTripOfEveryWidth() {
        var rng = TestRNG(0xB175)
        var values: [(UInt64, Int)] = []
        for _ in 0..<400 {
            let bits = rng.int(0...64)
            values.append((rng.next(), bits))
        }
        for bits in 0...64 { values.append((UInt64.max, bits)); values.append((0, bits)) }
        var w = BitWriter()
        for (v, bits) in values { w.write(v, bits: bits) }   // high bits beyond `bits` must be ignored
        let total = values.reduce(0) { $0 + $1.1 }
        XCTAssertEqual(w.bitCount, total)
        XCTAssertEqual(w.bytes.count, (total + 7) / 8)
        var r = BitReader(bytes: w.bytes)
        for (i, (v, bits)) in values.enumerated() {
            XCTAssertEqual(r.read(bits: bits), Self.mask(v, bits), "value \(i), \(bits) bits")
        }
        XCTAssertEqual(r.position, total)
        XCTAssertLessThan(r.remaining, 8, "only the padding of the last byte is left")
    }

    func testBitLayoutIsMostSignificantBitFirst() {
        var w = BitWriter()
        w.write(0b101, bits: 3)
        w.write(0b1, bits: 1)
        w.write(0xABC, bits: 12)
        w.write(1, bits: 1)
        XCTAssertEqual(w.bytes, [0b1011_1010, 0b1011_1100, 0b1000_0000])
        // Exp-Golomb: 0 → "1", 1 → "010", 2 → "011", 3 → "00100"; zigzag 0, −1, 1, −2 → 0, 1, 2, 3.
        var g = BitWriter()
        for n: UInt64 in [0, 1, 2, 3] { g.writeExpGolomb(n) }
        XCTAssertEqual(g.bitCount, 1 + 3 + 3 + 5)
        XCTAssertEqual(g.bytes, [0b1010_0110, 0b0100_0000])
        var s = BitWriter()
        for n in [0, -1, 1, -2] { s.writeSignedExpGolomb(n) }
        XCTAssertEqual(s.bytes, g.bytes)
    }

    func testExpGolombRoundTripsIncludingExtremes() {
        let unsigned: [UInt64] = [0, 1, 2, 3, 6, 7, 8, 255, 256, 1 << 31, (1 << 32) - 1, 1 << 40, 1 << 62,
                                  UInt64.max / 2, UInt64.max - 2, UInt64.max - 1]
        let signed: [Int] = [0, 1, -1, 2, -2, 63, -64, 1 << 40, -(1 << 40), Int.max, Int.max - 1, Int.min + 1]
        var w = BitWriter()
        var expectedBits = 0
        for v in unsigned {
            w.writeExpGolomb(v)
            let length = 64 - (v &+ 1).leadingZeroBitCount
            expectedBits += 2 * length - 1
        }
        XCTAssertEqual(w.bitCount, expectedBits, "2⌊log2(n+1)⌋ + 1 bits each")
        for v in signed { w.writeSignedExpGolomb(v) }
        var r = BitReader(bytes: w.bytes)
        for v in unsigned { XCTAssertEqual(r.readExpGolomb(), v) }
        for v in signed { XCTAssertEqual(r.readSignedExpGolomb(), v) }
        XCTAssertNil(r.readExpGolomb(), "the zero padding of the last byte is not a complete code")
    }

    func testRandomMixedStreamsRoundTrip() {
        var rng = TestRNG(42)
        for trial in 0..<20 {
            let ops = Self.randomOps(&rng, count: 200)
            let (w, ends) = Self.write(ops)
            XCTAssertEqual(ends.last, w.bitCount)
            var r = BitReader(bytes: w.bytes)
            for (i, op) in ops.enumerated() {
                XCTAssertEqual(Self.read(op, from: &r), op, "trial \(trial) value \(i)")
                XCTAssertEqual(r.position, ends[i])
            }
        }
    }

    func testReadingPastTheEndReturnsNilAndKeepsThePosition() {
        var w = BitWriter()
        w.write(0x5, bits: 3)
        w.writeExpGolomb(1000)     // 19 bits
        w.writeSignedExpGolomb(-77)
        let bits = w.bitCount
        // A reader limited to the first value: every read of the second fails without moving.
        var r = BitReader(bytes: w.bytes, bitLimit: 3 + 10)
        XCTAssertEqual(r.read(bits: 3), 5)
        for _ in 0..<3 {
            XCTAssertNil(r.readExpGolomb()); XCTAssertEqual(r.position, 3)
            XCTAssertNil(r.readSignedExpGolomb()); XCTAssertEqual(r.position, 3)
            XCTAssertNil(r.read(bits: 11)); XCTAssertEqual(r.position, 3)
        }
        XCTAssertEqual(r.read(bits: 10), 0b00000000_01, "the bits that are there can still be read")
        XCTAssertEqual(r.remaining, 0)
        XCTAssertEqual(r.read(bits: 0), 0, "a zero-width read always succeeds")
        XCTAssertNil(r.read(bits: 1))
        XCTAssertEqual(r.position, 13)
        // bitLimit beyond the bytes is clamped to them.
        let clamped = BitReader(bytes: w.bytes, bitLimit: 10_000)
        XCTAssertEqual(clamped.bitLimit, w.bytes.count * 8)
        XCTAssertGreaterThanOrEqual(clamped.bitLimit, bits)
        // An empty stream.
        var empty = BitReader(bytes: [])
        XCTAssertNil(empty.read(bits: 1)); XCTAssertNil(empty.readExpGolomb()); XCTAssertNil(empty.readSignedExpGolomb())
        XCTAssertEqual(empty.position, 0)
        // seek clamps to the limit.
        var s = BitReader(bytes: w.bytes, bitLimit: 20)
        s.seek(to: 3)
        XCTAssertEqual(s.readExpGolomb(), nil, "the 19-bit code does not fit in bits 3..<20")
        XCTAssertEqual(s.position, 3)
        s.seek(to: 99)
        XCTAssertEqual(s.position, 20)
    }

    func testAMoreThan64BitCodeIsRejectedNotMisread() {
        // 64 zeros then a one: longer than any code of a UInt64.
        var w = BitWriter()
        w.write(0, bits: 64)
        w.write(1, bits: 1)
        w.write(0, bits: 64)
        var r = BitReader(bytes: w.bytes)
        XCTAssertNil(r.readExpGolomb())
        XCTAssertEqual(r.position, 0)
    }

    /// Any prefix, by bit limit or by whole bytes, reads back exactly the values wholly inside it
    /// (replaying the same sequence of reads, stopping at the first nil).
    func testEveryPrefixReadsExactlyTheCompleteValues() {
        var rng = TestRNG(7)
        for _ in 0..<4 {
            let ops = Self.randomOps(&rng, count: 40)
            let (w, ends) = Self.write(ops)
            func check(_ r: inout BitReader, limit: Int, _ what: String) {
                var got: [Op] = []
                for op in ops {
                    let before = r.position
                    guard let v = Self.read(op, from: &r) else {
                        XCTAssertEqual(r.position, before, "\(what): a failed read moved the position")
                        break
                    }
                    got.append(v)
                }
                let complete = ends.prefix { $0 <= limit }.count
                XCTAssertEqual(got.count, complete, "\(what): values read")
                XCTAssertEqual(got, Array(ops.prefix(complete)), what)
            }
            for limit in 0...w.bitCount {
                var r = BitReader(bytes: w.bytes, bitLimit: limit)
                check(&r, limit: limit, "bit limit \(limit)")
            }
            for n in 0...w.bytes.count {
                var r = BitReader(bytes: Array(w.bytes.prefix(n)))
                check(&r, limit: min(n * 8, w.bitCount), "first \(n) bytes")
            }
        }
    }
}

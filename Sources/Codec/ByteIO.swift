/// Little-endian writer for the file header.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func raw(_ b: [UInt8]) { bytes += b }
    /// LEB128: 7 bits per byte, low first; small numbers (sizes, steps) take one or two bytes.
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func varint(_ v: Int) { varint(UInt64(v)) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
        varint(utf8.count); bytes += utf8
    }
}

/// Bounds-checked little-endian reader: running past the end is an error, never a crash.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) { self.bytes = bytes; self.offset = offset }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) throws(FormatError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw .truncated(what: "header", needed: offset + n, have: bytes.count) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func u8() throws(FormatError) -> UInt8 { try take(1).first! }
    mutating func u16() throws(FormatError) -> UInt16 {
        let b = try take(2); return b.reversed().reduce(0) { $0 << 8 | UInt16($1) }
    }
    mutating func u32() throws(FormatError) -> UInt32 {
        let b = try take(4); return b.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64() throws(FormatError) -> UInt64 {
        let b = try take(8); return b.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func f64() throws(FormatError) -> Double { Double(bitPattern: try u64()) }
    mutating func raw(_ n: Int) throws(FormatError) -> [UInt8] { Array(try take(n)) }
    mutating func varint() throws(FormatError) -> UInt64 {
        var v: UInt64 = 0
        for shift in stride(from: UInt64(0), through: 63, by: 7) {
            let b = try u8()
            guard shift < 63 || b <= 1 else { throw .malformed("a number in the header overflows 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
        }
        throw .malformed("a number in the header overflows 64 bits")
    }
    /// A varint that must fit `limit` (sizes, counts): garbage never becomes a huge allocation.
    mutating func varint(limit: Int) throws(FormatError) -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw .malformed("a header field holds \(v), more than \(limit)") }
        return Int(v)
    }
    mutating func string() throws(FormatError) -> String {
        let n = try varint(limit: Int(UInt16.max))
        let b = try take(n)
        guard let s = String(validating: b, as: UTF8.self) else { throw .malformed("a name is not valid UTF-8") }
        return s
    }
}

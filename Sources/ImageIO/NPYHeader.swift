/// The header of a NumPy `.npy` file: the `{'descr': ..., 'fortran_order': ..., 'shape': ...}`
/// dictionary, parsed from its Python-literal text.
///
/// Only the literal forms NumPy itself writes are understood (strings, True/False, tuples of
/// integers); anything else is an error rather than a guess.
public struct NPYHeader: Equatable, Sendable {
    public var descr: String
    public var fortranOrder: Bool
    public var shape: [Int]

    public init(descr: String, fortranOrder: Bool = false, shape: [Int]) {
        self.descr = descr; self.fortranOrder = fortranOrder; self.shape = shape
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Returns the header and the offset at which the array data starts.
    static func parse(_ bytes: [UInt8], fail: @escaping (String) -> ImageIOError) throws(ImageIOError)
        -> (header: NPYHeader, dataOffset: Int)
    {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("it does not start with the NumPy signature \\x93NUMPY")
        }
        let major = bytes[6], minor = bytes[7]
        let lengthStart = 8
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("it is truncated inside the header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[lengthStart + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail("format version \(major).\(minor) is not one of 1.0, 2.0, 3.0")
        }
        guard minor == 0 else { throw fail("format version \(major).\(minor) is not one of 1.0, 2.0, 3.0") }
        guard bytes.count - headerStart >= headerLength else {
            throw fail("the header says it is \(headerLength) bytes, but the file ends before that")
        }
        let text = Array(bytes[headerStart..<(headerStart + headerLength)])
        var parser = LiteralParser(text: text, fail: fail)
        let header = try parser.parseHeader()
        return (header, headerStart + headerLength)
    }

    /// NumPy's own layout: version 1.0, dictionary padded with spaces and a newline so the
    /// data starts on a 64-byte boundary.
    public func encoded() -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var text = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), "
            + "'shape': (\(dimensions)), }"
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = text.utf8.count
        return NPYHeader.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8)
    }
}

/// A recursive-descent reader for the few Python literals an .npy header contains.
private struct LiteralParser {
    let text: [UInt8]
    let fail: (String) -> ImageIOError
    var position = 0

    init(text: [UInt8], fail: @escaping (String) -> ImageIOError) {
        self.text = text
        self.fail = fail
    }

    private enum Value {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    mutating func parseHeader() throws(ImageIOError) -> NPYHeader {
        var entries: [String: Value] = [:]
        skipSpace()
        try expect(UInt8(ascii: "{"))
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") { position += 1; break }
            guard case let .string(key) = try parseValue() else {
                throw fail("the header dictionary has a key that is not a string")
            }
            guard entries[key] == nil else { throw fail("the header repeats the key '\(key)'") }
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            entries[key] = try parseValue()
            skipSpace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            skipSpace()
            try expect(UInt8(ascii: "}"))
            break
        }
        skipSpace()
        guard position == text.count else { throw fail("the header has text after its dictionary") }

        let expected: Set<String> = ["descr", "fortran_order", "shape"]
        guard Set(entries.keys) == expected else {
            throw fail("the header has keys \(entries.keys.sorted()), expected descr, fortran_order, shape")
        }
        guard case let .string(descr)? = entries["descr"] else { throw fail("'descr' is not a string") }
        guard case let .bool(fortran)? = entries["fortran_order"] else {
            throw fail("'fortran_order' is not True or False")
        }
        guard case let .tuple(shape)? = entries["shape"] else { throw fail("'shape' is not a tuple") }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    private func peek() -> UInt8? { position < text.count ? text[position] : nil }

    private mutating func skipSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(ImageIOError) {
        guard peek() == byte else {
            throw fail("the header is not a valid dictionary (expected '\(Character(Unicode.Scalar(byte)))' "
                + "at header byte \(position))")
        }
        position += 1
    }

    private mutating func parseValue() throws(ImageIOError) -> Value {
        guard let first = peek() else { throw fail("the header ends in the middle of the dictionary") }
        switch first {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            position += 1
            let start = position
            while let byte = peek(), byte != first {
                guard byte != UInt8(ascii: "\\") else { throw fail("the header has an escaped string") }
                position += 1
            }
            guard peek() == first else { throw fail("the header has an unterminated string") }
            let value = String(decoding: text[start..<position], as: UTF8.self)
            position += 1
            return .string(value)
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            for (word, value) in [("True", true), ("False", false)] {
                let utf8 = Array(word.utf8)
                if text.count - position >= utf8.count, Array(text[position..<(position + utf8.count)]) == utf8 {
                    position += utf8.count
                    return .bool(value)
                }
            }
            throw fail("the header has an unknown word at header byte \(position)")
        case UInt8(ascii: "("):
            position += 1
            var values: [Int] = []
            while true {
                skipSpace()
                if peek() == UInt8(ascii: ")") { position += 1; break }
                values.append(try parseInteger())
                skipSpace()
                if peek() == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: ")"))
                break
            }
            return .tuple(values)
        default:
            throw fail("the header has an unexpected value at header byte \(position)")
        }
    }

    private mutating func parseInteger() throws(ImageIOError) -> Int {
        var value = 0
        var digits = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw fail("a shape dimension is too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("a shape dimension is not a non-negative integer") }
        // Python 2 era NumPy wrote long integers as e.g. `28L`.
        if peek() == UInt8(ascii: "L") { position += 1 }
        return value
    }
}

import ImageIO
import XCTest

final class NPYTests: XCTestCase {
    private func images(count: Int, width: Int, height: Int, channels: Int, seed: UInt64) -> [Image] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in randomImage(width: width, height: height, channels: channels, &rng) }
    }

    /// A file laid out by hand the way numpy.save does, with an arbitrary header text.
    private func npy(_ header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let text = Array(header.utf8)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        if version == 1 {
            bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
        } else {
            bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8), 0, 0]
        }
        return bytes + text + data
    }

    func testGrayRoundTripWithoutChannelAxis() throws {
        let folder = TemporaryFolder()
        let stack = images(count: 3, width: 5, height: 2, channels: 1, seed: 30)
        let path = folder.file("gray.npy")
        try NPYWriter.write(images: stack, to: path)
        let bytes = Array(try XCTUnwrap(FileManager.default.contents(atPath: path)))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "numpy aligns data to 64 bytes")
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 5), }"), header)
        XCTAssertTrue(header.hasSuffix("\n"))

        let loaded = try ImageSource.load(path: path)
        XCTAssertEqual(loaded.kind, .npy(channelAxis: false))
        XCTAssertEqual(loaded.items.map(\.name), ["gray.npy[0]", "gray.npy[1]", "gray.npy[2]"])
        XCTAssertEqual(loaded.items.map(\.image), stack)
    }

    func testChannelAxisRoundTrips() throws {
        for (channels, channelAxis) in [(1, true), (3, true), (3, false)] {
            let stack = images(count: 2, width: 3, height: 4, channels: channels, seed: 31)
            let bytes = try NPYWriter.encode(stack, channelAxis: channelAxis)
            let read = try NPYReader.decode(bytes, name: "s.npy")
            XCTAssertEqual(read.images, stack)
            XCTAssertTrue(read.channelAxis, "RGB is always 4-D; gray is 4-D when asked")
        }
    }

    func testHeaderVariantsNumpyMayWrite() throws {
        let data: [UInt8] = Array(0..<12)
        let expected = [try Image(width: 3, height: 2, channels: 1, pixels: Array(0..<6)),
                        try Image(width: 3, height: 2, channels: 1, pixels: Array(6..<12))]
        let headers = [
            "{'descr': '<u1', 'fortran_order': False, 'shape': (2, 2, 3), }      \n",
            "{\"shape\": (2L, 2L, 3L), \"fortran_order\": False, \"descr\": \"|u1\"}\n",
            "{'descr':'|u1','fortran_order':False,'shape':(2,2,3)}",
        ]
        for header in headers {
            XCTAssertEqual(try NPYReader.decode(npy(header, data: data), name: "v.npy").images, expected, header)
        }
        let version2 = npy(headers[0], data: data, version: 2)
        XCTAssertEqual(try NPYReader.decode(version2, name: "v2.npy").images, expected)
    }

    func testMalformedHeadersThrow() {
        let good = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2), }\n"
        let data: [UInt8] = [1, 2, 3, 4]
        let cases: [(String, [UInt8], String)] = [
            ("magic", Array("NOTNPY0000".utf8) + data, "signature"),
            ("version", [0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0], "version 4.0"),
            ("header past end", [0x93] + Array("NUMPY".utf8) + [1, 0, 255, 0] + Array("{}".utf8), "ends before"),
            ("float", npy(good.replacingOccurrences(of: "|u1", with: "<f4"), data: data + data + data + data), "'<f4'"),
            ("fortran", npy(good.replacingOccurrences(of: "False", with: "True"), data: data), "Fortran"),
            ("missing key", npy("{'descr': '|u1', 'shape': (1, 2, 2)}", data: data), "expected descr"),
            ("extra key", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2), 'x': 'y'}", data: data),
             "expected descr"),
            ("duplicate key", npy("{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2)}",
                                  data: data), "repeats"),
            ("rank 2", npy(good.replacingOccurrences(of: "(1, 2, 2)", with: "(2, 2)"), data: data), "(2, 2)"),
            ("two channels", npy(good.replacingOccurrences(of: "(1, 2, 2)", with: "(1, 1, 2, 2)"), data: data),
             "C = 1 or 3"),
            ("empty", npy(good.replacingOccurrences(of: "(1, 2, 2)", with: "(0, 2, 2)"), data: []), "no images"),
            ("truncated data", npy(good, data: [1, 2, 3]), "truncated"),
            ("extra data", npy(good, data: data + [5]), "1 extra bytes"),
            ("misspelt bool", npy(good.replacingOccurrences(of: "False", with: "Flase"), data: data), "unknown word"),
            ("unterminated", npy("{'descr': '|u1", data: data), "unterminated"),
            ("no brace", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2)", data: data), "'}'"),
            ("trailing text", npy(good.replacingOccurrences(of: "}\n", with: "} x\n"), data: data), "after"),
            ("not a dict", npy("[1, 2, 3]", data: data), "'{'"),
            ("huge dimension", npy(good.replacingOccurrences(of: "(1, 2, 2)", with: "(99999999999999999999, 2, 2)"),
                                   data: data), "too large"),
            ("overflowing shape", npy(good.replacingOccurrences(of: "(1, 2, 2)",
                                                                 with: "(4294967296, 4294967296, 4294967296)"),
                                      data: data), "larger"),
            ("negative", npy(good.replacingOccurrences(of: "(1, 2, 2)", with: "(1, -2, 2)"), data: data), "integer"),
        ]
        for (label, bytes, fragment) in cases {
            let error = expectError { try NPYReader.decode(bytes, name: "bad.npy") }
            XCTAssertNotNil(error, label)
            assertMessage(error, contains: "'bad.npy'", fragment)
        }
        for cut in 0..<npy(good, data: data).count {
            XCTAssertThrowsError(try NPYReader.decode(Array(npy(good, data: data)[0..<cut]), name: "c.npy"))
        }
    }

    func testWriterRefusesMixedShapes() {
        var rng = SplitMix64(seed: 32)
        let a = randomImage(width: 2, height: 2, channels: 1, &rng)
        let b = randomImage(width: 2, height: 2, channels: 3, &rng)
        assertMessage(expectError { try NPYWriter.encode([a, b]) }, contains: "image 1", "2×2×3")
        expectError { try NPYWriter.encode([]) }
    }
}

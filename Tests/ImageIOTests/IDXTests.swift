import ImageIO
import XCTest

final class IDXTests: XCTestCase {
    private func sampleImages(count: Int = 5, width: Int = 4, height: Int = 3, seed: UInt64 = 20) -> [Image] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in randomImage(width: width, height: height, channels: 1, &rng) }
    }

    func testPlainRoundTrip() throws {
        let folder = TemporaryFolder()
        let images = sampleImages()
        let path = folder.file("train-images-idx3-ubyte")
        try IDXWriter.write(images: images, to: path, gzip: false)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(bytes.prefix(16)), [0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 4])
        XCTAssertEqual(bytes.count, 16 + 5 * 12)

        let read = try IDXReader.read(path: path)
        XCTAssertEqual(read.images, images)
        XCTAssertFalse(read.gzipped)

        let loaded = try ImageSource.load(path: path)
        XCTAssertEqual(loaded.kind, .idx(gzipped: false))
        XCTAssertEqual(loaded.items.map(\.name), (0..<5).map { "train-images-idx3-ubyte[\($0)]" })
        XCTAssertEqual(loaded.items.map(\.image), images)
        XCTAssertEqual(folder.contents(), ["train-images-idx3-ubyte"])
    }

    func testGzipRoundTrip() throws {
        let folder = TemporaryFolder()
        let images = sampleImages(count: 7, width: 28, height: 28)
        let path = folder.file("t-idx3-ubyte.gz")
        try IDXWriter.write(images: images, to: path, gzip: true)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(bytes.prefix(2)), [0x1F, 0x8B])

        let loaded = try ImageSource.load(path: path)
        XCTAssertEqual(loaded.kind, .idx(gzipped: true))
        XCTAssertEqual(loaded.items.first?.name, "t-idx3-ubyte[0]")
        XCTAssertEqual(loaded.items.map(\.image), images)

        // Same input, same bytes: archives built from it are reproducible.
        try IDXWriter.write(images: images, to: folder.file("again.gz"), gzip: true)
        XCTAssertEqual(FileManager.default.contents(atPath: folder.file("again.gz")), bytes)
    }

    func testRealFashionMNISTTestSet() throws {
        let path = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is not installed")
        }
        let loaded = try ImageSource.load(path: path)
        XCTAssertEqual(loaded.kind, .idx(gzipped: true))
        XCTAssertEqual(loaded.items.count, 10_000)
        XCTAssertEqual(loaded.items[17].name, "t10k-images-idx3-ubyte[17]")
        XCTAssertTrue(loaded.items.allSatisfy { $0.image.width == 28 && $0.image.height == 28 && $0.image.channels == 1 })
        XCTAssertTrue(loaded.items.contains { $0.image.pixels.contains(255) })
    }

    func testTruncatedGzipThrowsAtEveryCut() throws {
        let gz = try gzipped(IDXWriter.encode(sampleImages()))
        for cut in 0..<gz.count {
            XCTAssertThrowsError(try IDXReader.decode(Array(gz[0..<cut]), name: "cut.gz"), "cut at \(cut)")
        }
        let error = expectError { try IDXReader.decode(Array(gz[0..<(gz.count - 3)]), name: "cut.gz") }
        assertMessage(error, contains: "'cut.gz'", "truncated")
    }

    func testCorruptGzipThrows() throws {
        var gz = try gzipped(IDXWriter.encode(sampleImages()))
        gz[gz.count / 2] ^= 0x10
        assertMessage(expectError { try IDXReader.decode(gz, name: "bad.gz") }, contains: "'bad.gz'", "corrupt")
        let clean = try gzipped(IDXWriter.encode(sampleImages()))
        assertMessage(expectError { try IDXReader.decode(clean + [0, 0, 0], name: "tail.gz") },
                      contains: "trailing")
    }

    func testConcatenatedGzipMembersAreOneFile() throws {
        let plain = try IDXWriter.encode(sampleImages())
        let split = plain.count / 2
        let joined = gzipped(Array(plain[0..<split])) + gzipped(Array(plain[split...]))
        XCTAssertEqual(try IDXReader.decode(joined, name: "cat.gz").images, sampleImages())
    }

    func testTruncatedOrOverlongIDXThrows() throws {
        let plain = try IDXWriter.encode(sampleImages())
        for cut in 0..<plain.count {
            XCTAssertThrowsError(try IDXReader.decode(Array(plain[0..<cut]), name: "cut-idx3-ubyte"), "cut at \(cut)")
        }
        assertMessage(expectError { try IDXReader.decode(Array(plain.dropLast()), name: "short") },
                      contains: "'short'", "truncated", "5 images of 3×4")
        assertMessage(expectError { try IDXReader.decode(plain + [0], name: "long") }, contains: "1 extra bytes")
    }

    func testWrongMagicThrows() {
        let header: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
        assertMessage(expectError { try IDXReader.decode([1, 2, 3, 4] + header + [0], name: "m") },
                      contains: "'m'", "magic")
        assertMessage(expectError { try IDXReader.decode([0, 0, 8, 1, 0, 0, 0, 2, 7, 9], name: "labels") },
                      contains: "label file")
        assertMessage(expectError { try IDXReader.decode([0, 0, 0x0D, 3] + header + [0, 0, 0, 0], name: "f") },
                      contains: "float")
        assertMessage(expectError { try IDXReader.decode([0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1], name: "z") },
                      contains: "no images")
        expectError { try IDXReader.decode([0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255],
                                           name: "huge") }
    }

    func testWriterRefusesWhatIDXCannotHold() {
        var rng = SplitMix64(seed: 21)
        let rgb = randomImage(width: 2, height: 2, channels: 3, &rng)
        let gray = randomImage(width: 2, height: 2, channels: 1, &rng)
        let other = randomImage(width: 3, height: 2, channels: 1, &rng)
        assertMessage(expectError { try IDXWriter.encode([rgb]) }, contains: "gray")
        assertMessage(expectError { try IDXWriter.encode([gray, other]) }, contains: "image 1", "3×2")
        expectError { try IDXWriter.encode([]) }
    }
}

import ImageIO
import XCTest

final class ImageSourceTests: XCTestCase {
    func testFolderLoadsPNGsInByteOrderIgnoringOthers() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 40)
        var expected: [String: Image] = [:]
        for name in ["b.png", "a.png", "B.png", "10.png", "9.png", "c.PNG"] {
            let image = randomImage(width: 3, height: 2, channels: name == "a.png" ? 3 : 1, &rng)
            expected[name] = image
            try PNGCodec.write(image, to: folder.file(name))
        }
        folder.write(Array("not an image".utf8), "notes.txt")
        folder.write(Array("junk".utf8), ".hidden.png")
        try FileManager.default.createDirectory(atPath: folder.file("sub.png"), withIntermediateDirectories: false)

        let loaded = try ImageSource.load(path: folder.path)
        XCTAssertEqual(loaded.kind, .folder)
        XCTAssertEqual(loaded.items.map(\.name), ["10.png", "9.png", "B.png", "a.png", "b.png", "c.PNG"])
        for item in loaded.items { XCTAssertEqual(item.image, expected[item.name], item.name) }
        XCTAssertEqual(try ImageSource.load(path: folder.path + "/").items.count, 6)
    }

    func testFolderWithoutPNGsIsAnError() {
        let folder = TemporaryFolder()
        assertMessage(expectError { try ImageSource.load(path: folder.path) }, contains: folder.path, "no .png files")
        folder.write([1, 2, 3], "readme.md")
        assertMessage(expectError { try ImageSource.load(path: folder.path) }, contains: "no .png files")
    }

    func testBadPNGInFolderNamesTheFile() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 41)
        try PNGCodec.write(randomImage(width: 2, height: 2, channels: 1, &rng), to: folder.file("good.png"))
        folder.write([137, 80, 78, 71], "broken.png")
        assertMessage(expectError { try ImageSource.load(path: folder.path) }, contains: "broken.png")
    }

    func testSinglePNG() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 42)
        let image = randomImage(width: 7, height: 3, channels: 3, &rng)
        try PNGCodec.write(image, to: folder.file("photo.png"))
        let loaded = try ImageSource.load(path: folder.file("photo.png"))
        XCTAssertEqual(loaded.kind, .png)
        XCTAssertEqual(loaded.items, [NamedImage(name: "photo.png", image: image)])
    }

    func testFormatIsRecognisedByContent() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 43)
        let image = randomImage(width: 2, height: 2, channels: 1, &rng)
        folder.write(try NPYWriter.encode([image]), "data.bin")
        XCTAssertEqual(try ImageSource.load(path: folder.file("data.bin")).kind, .npy(channelAxis: false))
        folder.write(try PNGCodec.encode(image), "picture")
        XCTAssertEqual(try ImageSource.load(path: folder.file("picture")).kind, .png)
    }

    func testUnreadableOrUnknownInputs() {
        let folder = TemporaryFolder()
        folder.write(Array("hello".utf8), "hello.txt")
        assertMessage(expectError { try ImageSource.load(path: folder.file("hello.txt")) },
                      contains: "hello.txt", "is not a PNG file")
        assertMessage(expectError { try ImageSource.load(path: folder.file("missing.png")) },
                      contains: "missing.png", "No such file")
        folder.write(Array("hello".utf8), "fake.npy")
        assertMessage(expectError { try ImageSource.load(path: folder.file("fake.npy")) }, contains: "NumPy")
        folder.write(Array("hello, world: not a PNG".utf8), "fake.png")
        assertMessage(expectError { try ImageSource.load(path: folder.file("fake.png")) }, contains: "PNG signature")
    }

    func testSinkWritesBackInEachForm() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 44)
        let gray = (0..<3).map { NamedImage(name: "img\($0).png", image: randomImage(width: 4, height: 4, channels: 1, &rng)) }

        let kinds: [(SourceKind, String)] = [(.folder, "out"), (.idx(gzipped: true), "out-idx3-ubyte.gz"),
                                             (.idx(gzipped: false), "out-idx3-ubyte"),
                                             (.npy(channelAxis: true), "out.npy")]
        for (kind, name) in kinds {
            try ImageSink.write(gray, as: kind, to: folder.file(name))
            let loaded = try ImageSource.load(path: folder.file(name))
            XCTAssertEqual(loaded.kind, kind)
            XCTAssertEqual(loaded.items.map(\.image), gray.map(\.image), "\(kind)")
        }
        XCTAssertEqual(try ImageSource.load(path: folder.file("out")).items.map(\.name), gray.map(\.name))

        try ImageSink.write([gray[0]], as: .png, to: folder.file("one.png"))
        XCTAssertEqual(try ImageSource.load(path: folder.file("one.png")).items.map(\.image), [gray[0].image])
        expectError { try ImageSink.write(gray, as: .png, to: folder.file("many.png")) }
    }

    func testSinkRefusesNamesThatEscapeTheFolder() throws {
        let folder = TemporaryFolder()
        var rng = SplitMix64(seed: 45)
        let image = randomImage(width: 1, height: 1, channels: 1, &rng)
        for name in ["../evil.png", "a/b.png", "", ".hidden.png", ".."] {
            assertMessage(expectError { try ImageSink.write([NamedImage(name: name, image: image)], as: .folder,
                                                            to: folder.file("out")) },
                          contains: "not a plain file name")
        }
        let twice = [NamedImage(name: "x", image: image), NamedImage(name: "x.png", image: image)]
        assertMessage(expectError { try ImageSink.write(twice, as: .folder, to: folder.file("out")) },
                      contains: "x.png")
        XCTAssertEqual(folder.contents(), [])
    }
}

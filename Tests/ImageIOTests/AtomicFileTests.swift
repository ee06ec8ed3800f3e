import ImageIO
import XCTest

final class AtomicFileTests: XCTestCase {
    func testWriteCreatesThenReplacesAndLeavesNoTemporaryFile() throws {
        let folder = TemporaryFolder()
        let path = folder.file("out.bin")
        try AtomicFile.write([1, 2, 3], to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data([1, 2, 3]))
        try AtomicFile.write([9], to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data([9]))
        try AtomicFile.write([], to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data())
        XCTAssertEqual(folder.contents(), ["out.bin"])
    }

    func testRelativePathInCurrentFolder() throws {
        let folder = TemporaryFolder()
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try AtomicFile.write([4, 5], to: "plain.bin")
        XCTAssertEqual(folder.contents(), ["plain.bin"])
    }

    func testFailedWriteLeavesNothingBehind() throws {
        let folder = TemporaryFolder()
        assertMessage(expectError { try AtomicFile.write([1], to: folder.file("missing/out.bin")) },
                      contains: "missing/out.bin")

        // rename cannot replace a folder, so this fails after the temporary file was written.
        try FileManager.default.createDirectory(atPath: folder.file("taken"), withIntermediateDirectories: false)
        assertMessage(expectError { try AtomicFile.write([1, 2], to: folder.file("taken")) }, contains: "taken")
        XCTAssertEqual(folder.contents(), ["taken"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.file("taken")), [])
        expectError { try AtomicFile.write([1], to: folder.path + "/") }
    }

    func testRefuseOverwriteSeesThroughPathSpellings() throws {
        let folder = TemporaryFolder()
        let input = folder.write([1], "in.png")
        try FileManager.default.createDirectory(atPath: folder.file("sub"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.png"), withDestinationPath: input)
        try FileManager.default.linkItem(atPath: input, toPath: folder.file("hard.png"))

        for output in [input, folder.path + "/./in.png", folder.path + "/sub/../in.png", folder.path + "//in.png",
                       folder.file("link.png"), folder.file("hard.png")] {
            let error = expectError { try AtomicFile.refuseOverwrite(input: input, output: output) }
            XCTAssertEqual(error, .sameFile(input: input, output: output))
            assertMessage(error, contains: output, input)
        }
        let other = folder.write([1], "other.png")
        XCTAssertNoThrow(try AtomicFile.refuseOverwrite(input: input, output: other))
        XCTAssertNoThrow(try AtomicFile.refuseOverwrite(input: input, output: folder.file("new.png")))
    }
}

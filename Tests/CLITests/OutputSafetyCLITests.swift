import Foundation
import XCTest

/// Outputs as a user (or an attacker) names them: only regular files are replaced, and only with
/// --force; the format follows the name; damaged lossless tails are errors unless a preview is asked.
final class OutputSafetyCLITests: XCTestCase {
    static let gray = repositoryRoot.appendingPathComponent("Fixtures/unet/opt-uneven-heads").path   // 8×8 gray
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = try temporaryDirectory()
        addTeardownBlock { [tmp] in try? FileManager.default.removeItem(at: tmp!) }
    }

    /// One 8×8 gray image as a .npy array.
    func tinyNPY() throws -> URL {
        var bytes = [UInt8](repeating: 0, count: 64)
        for i in bytes.indices { bytes[i] = UInt8(i * 3) }
        let npy = tmp.appendingPathComponent("one.npy")
        let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 8, 8), }"
        var text = header
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        let data = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)]
            + Array(text.utf8) + bytes
        try Data(data).write(to: npy)
        return npy
    }

    func encode(_ input: URL, _ output: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["encode", input.path, "-o", output, "--model", Self.gray, "--steps", "2"] + extra)
    }

    func testOnlyRegularFilesAreReplacedAndOnlyWithForce() throws {
        let input = try tinyNPY()
        // A FIFO and a folder are refused before any work, and stay what they were.
        let fifo = tmp.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let folder = tmp.appendingPathComponent("folder").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for (path, what) in [(fifo, "a FIFO"), (folder, "a folder")] {
            let r = try encode(input, path, ["--force"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(what), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        }
        var info = stat()
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
        // A device too (read-only check: nothing is written there).
        let device = try encode(input, "/dev/null", ["--force"])
        XCTAssertNotEqual(device.status, 0)
        XCTAssertTrue(device.stderr.contains("a device"), device.stderr)
        XCTAssertEqual(lstat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
        // A missing folder fails before any work.
        let missing = try encode(input, tmp.appendingPathComponent("no/such/a.ddpm").path)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)

        // An existing file is kept without --force, replaced with it.
        let out = tmp.appendingPathComponent("a.ddpm").path
        try Data("precious".utf8).write(to: URL(fileURLWithPath: out))
        let refused = try encode(input, out)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--force"), refused.stderr)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "precious")
        XCTAssertEqual(try encode(input, out, ["--force"]).status, 0)
        XCTAssertNotEqual(try String(contentsOfFile: out, encoding: .isoLatin1), "precious")
    }

    func testTheFormatFollowsTheOutputsName() throws {
        let input = try tinyNPY()
        // encode writes .ddpm files only.
        let named = try encode(input, tmp.appendingPathComponent("a.png").path)
        XCTAssertNotEqual(named.status, 0)
        XCTAssertTrue(named.stderr.contains(".ddpm"), named.stderr)
        let file = tmp.appendingPathComponent("a.ddpm").path
        XCTAssertEqual(try encode(input, file).status, 0)
        // decode: .png writes a PNG (the file came from .npy), .jpg is refused before any work.
        let jpg = try CLI.run(["decode", file, "-o", tmp.appendingPathComponent("a.jpg").path, "--model", Self.gray])
        XCTAssertNotEqual(jpg.status, 0)
        XCTAssertTrue(jpg.stderr.contains("'.jpg'"), jpg.stderr)
        let pngOut = tmp.appendingPathComponent("a.png")
        let r = try CLI.run(["decode", file, "-o", pngOut.path, "--model", Self.gray])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Array(try Data(contentsOf: pngOut).prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG signature")
    }

    func testADamagedLosslessTailIsAnErrorUnlessAPreviewIsAsked() throws {
        let input = try tinyNPY()
        let file = tmp.appendingPathComponent("p.ddpm")
        // A lone patch's tail goes direct as a whole, inside the stream's section, under the same checksum:
        // damage there leaves nothing to show, and nothing is written.
        XCTAssertEqual(try encode(input, file.path, ["--progressive", "--lossless-after", "2", "--steps", "3",
                                                     "--chunk-bits", "8"]).status, 0)
        var merged = [UInt8](try Data(contentsOf: file))
        merged[merged.count - 1] ^= 0x20
        try Data(merged).write(to: file)
        for extra in [[], ["--step", "2"]] {
            let out = tmp.appendingPathComponent("merged.png")
            let r = try CLI.run(["decode", file.path, "-o", out.path, "--model", Self.gray] + extra)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("corrupted"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        // A tail with a chain (no bootstrap) has a section of its own: the stream before it still previews.
        XCTAssertEqual(try encode(input, file.path, ["--progressive", "--lossless-after", "2", "--steps", "3",
                                                     "--chunk-bits", "8", "--bootstrap", "0", "--force"]).status, 0)
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count - 1] ^= 0x20
        try Data(bytes).write(to: file)
        let out = tmp.appendingPathComponent("out.png")
        let r = try CLI.run(["decode", file.path, "-o", out.path, "--model", Self.gray])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("lossless part"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output for a failed exact decode")
        let preview = try CLI.run(["decode", file.path, "-o", out.path, "--model", Self.gray, "--step", "2"])
        XCTAssertEqual(preview.status, 0, preview.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
    }
}

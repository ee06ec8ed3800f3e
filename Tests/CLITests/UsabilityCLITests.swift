import Foundation
import XCTest

/// What a new user trips on, run as a user runs it.
final class UsabilityCLITests: XCTestCase {
    func testAMistypedSubcommandIsNamed() throws {
        let r = try CLI.run(["encod", "x.png", "-o", "a.ddpm"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("unknown subcommand 'encod'") && r.stderr.contains("did you mean 'encode'"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    func testANegativeCountIsNamedNotJustTheUsage() throws {
        let r = try CLI.run(["encode", "x.png", "-o", "a.ddpm", "--limit", "-5"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--limit must be at least 1"), r.stderr)
    }

    func testJSONPathsAreNotEscaped() throws {
        let model = repositoryRoot.appendingPathComponent("Fixtures/unet/opt-uneven-heads").path
        let tmp = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        // An 8×8 gray .npy.
        var text = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 8, 8), }"
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        let npy = tmp.appendingPathComponent("a.npy")
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count), 0] + Array(text.utf8)
                 + (0..<64).map { UInt8($0 * 4) }).write(to: npy)
        let r = try CLI.run(["bound", npy.path, "--model", model, "--steps", "2", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\\/"), r.stdout)
        XCTAssertTrue(r.stdout.contains(model), r.stdout)
    }
}

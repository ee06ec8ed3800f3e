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

    func testEpsSaysWhatItWrote() throws {
        let model = repositoryRoot.appendingPathComponent("Fixtures/unet/gray28-attn").path
        let tmp = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("eps.safetensors").path
        let r = try CLI.run(["eps", "--model", model, model + "/io.safetensors", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains(out) && r.stderr.contains("eps of"), "eps is silent on success: '\(r.stderr)'")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
    }

    func testBenchCallsImagesPerSecondByName() throws {
        let model = repositoryRoot.appendingPathComponent("Fixtures/unet/opt-uneven-heads").path
        let r = try CLI.run(["bench", "--skip-cifar", "--model", model, "--batches", "1", "--seconds", "0.01"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("dgemm:") && r.stderr.contains("images/s") && r.stderr.contains("of dgemm"), r.stderr)
        XCTAssertFalse(r.stderr.contains("forwards/s"), r.stderr)
    }

    /// encode and a decode of the same step report the same two rates (with the header, the stream alone).
    func testEncodeAndDecodeReportAStepsRateTheSameWay() throws {
        let model = repositoryRoot.appendingPathComponent("Fixtures/unet/opt-uneven-heads").path
        let tmp = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        var text = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 8, 8), }"
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        let npy = tmp.appendingPathComponent("a.npy")
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count), 0] + Array(text.utf8)
                 + (0..<64).map { UInt8(($0 * 37) % 256) }).write(to: npy)
        let file = tmp.appendingPathComponent("a.ddpm").path
        let e = try CLI.run(["encode", npy.path, "-o", file, "--model", model, "--progressive", "--steps", "4", "--chunk-bits", "8"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let d = try CLI.run(["decode", file, "-o", tmp.appendingPathComponent("a.png").path, "--model", model])
        XCTAssertEqual(d.status, 0, d.stderr)
        func rates(_ s: String) -> [String] {
            let pattern = try! NSRegularExpression(pattern: "([0-9.]+) bits/dim with the container header, ([0-9.]+) the progressive stream alone")
            guard let m = pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return [] }
            return (1...2).map { String(s[Range(m.range(at: $0), in: s)!]) }
        }
        XCTAssertEqual(rates(e.stderr).count, 2, e.stderr)
        XCTAssertEqual(rates(e.stderr), rates(d.stderr), "encode: \(e.stderr)\ndecode: \(d.stderr)")
    }
}

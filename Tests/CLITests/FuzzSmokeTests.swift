import Foundation
import XCTest

/// The short seeded fuzz run (Tools/fuzz): every parser of untrusted input, structure-aware and
/// blind mutations, under a memory cap and a time cap per input. The long run is documented in
/// Tools/README.md.
final class FuzzSmokeTests: XCTestCase {
    func testAShortSeededFuzzRunFindsNothing() throws {
        let exe = try CLI.executable.deletingLastPathComponent().appendingPathComponent("ddpmc-fuzz")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else { throw XCTSkip("ddpmc-fuzz not built") }
        let p = Process()
        p.executableURL = exe
        p.arguments = ["--inputs", "700", "--seed", "1", "--memory-gib", "4", "--seconds", "20",
                       "--fixtures", repositoryRoot.appendingPathComponent("Fixtures").path,
                       "--crash-dir", try temporaryDirectory().path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("700 inputs") && text.contains("0 crashes") && text.contains("0 over the time cap"), text)
    }
}

import Foundation
import XCTest

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs the `ddpmc` executable built next to the test bundle.
enum CLI {
    static var executable: URL {
        get throws {
            var dir = Bundle.main.bundleURL
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent("ddpmc")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                dir.deleteLastPathComponent()
            }
            for config in ["debug", "release"] {
                let candidate = repositoryRoot.appendingPathComponent(".build/\(config)/ddpmc")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw XCTSkip("ddpmc executable not found next to the test bundle")
        }
    }

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = try executable
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ddpmc-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

import ArgumentParser
import Diffusion
import Codec
import Foundation
import ImageIO

/// A user-facing failure: printed as one line on stderr, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

func note(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
}

/// The repository's Fixtures folder, found next to the executable's build folder or the
/// current directory, so bundled models work from a checkout without configuration.
func fixturesDirectory() -> String? {
    var candidates: [URL] = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
    var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    for _ in 0..<6 { exe.deleteLastPathComponent(); candidates.append(exe) }
    if let env = ProcessInfo.processInfo.environment["DDPMC_FIXTURES"] { candidates.insert(URL(fileURLWithPath: env), at: 0) }
    for c in candidates {
        let f = c.lastPathComponent == "Fixtures" ? c : c.appendingPathComponent("Fixtures")
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: f.path, isDirectory: &isDir), isDir.boolValue { return f.path }
    }
    return nil
}

/// The bundled model directory of `name`.
func bundledModelDirectory(named name: String) throws -> String {
    guard let fixtures = fixturesDirectory() else {
        throw CLIError("no bundled models found (Fixtures/ next to the executable or the current folder); pass --model DIR")
    }
    let dir = (fixtures as NSString).appendingPathComponent("models/\(name)")
    guard FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("config.json")) else {
        throw CLIError("the bundled model \(name) is missing at \(dir); pass --model DIR")
    }
    return dir
}

/// The bundled model for images with `channels` channels when their content is not at hand (a file's
/// fallback): fmnist28 for gray, photo32 for RGB.
func bundledModelDirectory(channels: Int) throws -> String {
    try bundledModelDirectory(named: channels == 1 ? BundledModelChoice.clothing.name : BundledModelChoice.photo.name)
}

/// The bundled model for these images, chosen from their content (BundledModelChoice), said on stderr so that
/// a user always knows which model coded a file (`--model` overrides). Mixed gray and RGB inputs are refused.
func bundledModelDirectory(for images: [Image]) throws -> String {
    guard let first = images.first else { throw CLIError("the inputs hold no images") }
    guard images.allSatisfy({ $0.channels == first.channels }) else {
        throw CLIError("the inputs mix gray and RGB images; code them separately or pass --model")
    }
    let (choice, reason) = BundledModelChoice.choose(for: images)
    let dir = try bundledModelDirectory(named: choice.name)
    note("model: \(choice.name) (\(reason); --model overrides)")
    return dir
}

/// The bundled model a file was coded with, found by its identity (the header stores no name):
/// nil when none matches or no bundled models are there.
func bundledModel(identity digest: [UInt8]) -> (name: String, directory: String)? {
    guard let fixtures = fixturesDirectory() else { return nil }
    let models = (fixtures as NSString).appendingPathComponent("models")
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: models)) ?? []).sorted()
    for name in names {
        let dir = (models as NSString).appendingPathComponent(name)
        if let identity = try? ModelIdentity(directory: dir), identity.digest == digest { return (name, dir) }
    }
    return nil
}

/// The model directory to decode a file with: `--model`, else the bundled model of the file's
/// identity, else the bundled default for its channel count (whose identity check then names
/// what differs).
func decodingModelDirectory(_ option: String?, header: DDPMHeader) throws -> String {
    if let option { return option }
    if let found = bundledModel(identity: header.modelDigest) { return found.directory }
    return try bundledModelDirectory(channels: header.images.first?.channels ?? 1)
}

/// The error as string interpolation renders it, nothing stripped: its `description` when it is
/// CustomStringConvertible, otherwise Swift's default rendering (case name and payload, e.g.
/// `invalidParameter("std 0.0")` for an EntropyCodingError).
func describe(_ error: Error) -> String {
    "\(error)"
}

/// A throttled progress line with ETA on stderr, for callbacks that report (done, total).
final class ProgressLine {
    let label: String
    let start = Date()
    var last = Date.distantPast

    init(label: String) { self.label = label }

    /// A command that fails mid-way drops its bar before the error is printed: end the line, so the
    /// message starts on a line of its own.
    deinit { finish() }

    private var open = false

    /// Ends the line when the work stopped before `total` (a prefix decode stops early).
    func finish() {
        if open { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        open = false
    }

    func update(_ done: Int, _ total: Int) {
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.5 else { return }
        last = now
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let line = String(format: "\r%@ %d/%d  %.0fs elapsed, ETA %.0fs   ", label, done, total, elapsed, eta)
        FileHandle.standardError.write(line.data(using: .utf8)!)
        open = true
        if done == total { finish() }
    }
}

/// Fails before any long computation when `path` cannot take the output (AtomicFile.checkDestination):
/// a missing or read-only folder, a device, FIFO or folder there, or an existing file without --force.
func checkOutput(_ path: String, force: Bool, folderMayBeMissing: Bool = false) throws {
    do {
        try AtomicFile.checkDestination(path, overwrite: force, folderMayBeMissing: folderMayBeMissing)
    } catch .exists(let p) {
        throw CLIError("'\(p)' exists (pass --force to replace it)")
    }
}

/// `--spacing even|quadratic|model`.
extension TimestepSpacing: ExpressibleByArgument {}

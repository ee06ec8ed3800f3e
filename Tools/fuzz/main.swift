// ddpmc-fuzz: structure-aware and blind mutations of every untrusted input the codec parses,
// run in-process under a memory cap, with a time cap per input (docs/DESIGN.md §6, Tools/README.md).
//
//   swift run -c release ddpmc-fuzz --inputs 100000          # the long run
//   ddpmc-fuzz --inputs 1500 --seed 1                        # the short seeded run CI does
//
// A crash or an allocation over the cap kills the process (the caller sees a non-zero exit and
// the last input, written to --crash-dir before it ran); an input over the time cap is reported
// and makes the run fail. Every finding becomes a regression test.
import Codec
import Diffusion
import Foundation
import ImageIO
import TestSupport
import UNet

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var inputs = 1500
    var seed: UInt64 = 1
    var memoryGiB = 4
    var secondsPerInput = 10.0
    var crashDir = FileManager.default.temporaryDirectory.appendingPathComponent("ddpmc-fuzz").path
    var fixtures = "Fixtures"
    /// Runs one input again: the line of `last-input.txt` ("target<TAB>seed").
    var replay: (target: String, seed: UInt64)?

    init(_ args: [String]) {
        var i = 1
        func next() -> String { i += 1; return i < args.count ? args[i] : "" }
        while i < args.count {
            switch args[i] {
            case "--inputs": inputs = Int(next()) ?? inputs
            case "--seed": seed = UInt64(next()) ?? seed
            case "--memory-gib": memoryGiB = Int(next()) ?? memoryGiB
            case "--seconds": secondsPerInput = Double(next()) ?? secondsPerInput
            case "--crash-dir": crashDir = next()
            case "--fixtures": fixtures = next()
            case "--replay":
                let parts = next().split(separator: "\t")
                if parts.count == 2, let seed = UInt64(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) {
                    replay = (String(parts[0]), seed)
                }
            default: FileHandle.standardError.write("unknown option \(args[i])\n".data(using: .utf8)!); exit(2)
            }
            i += 1
        }
    }
}

typealias RNG = TestRNG

extension TestRNG {
    mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
}

/// Blind mutations: flips, overwrites with extreme bytes, truncation, insertion, duplication.
func mutate(_ bytes: [UInt8], _ rng: inout RNG) -> [UInt8] {
    var b = bytes
    for _ in 0..<(1 + rng.int(4)) {
        switch rng.int(6) {
        case 0 where !b.isEmpty: b[rng.int(b.count)] ^= UInt8(1 << rng.int(8))
        case 1 where !b.isEmpty: b[rng.int(b.count)] = rng.pick([0, 0xFF, 0x7F, 0x80, 1])
        case 2: b = Array(b.prefix(rng.int(b.count + 1)))
        case 3: b.insert(contentsOf: (0..<(1 + rng.int(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: rng.int(b.count + 1))
        case 4 where b.count > 4:
            let start = rng.int(b.count - 1), len = 1 + rng.int(min(64, b.count - start))
            b.insert(contentsOf: b[start..<(start + len)], at: rng.int(b.count + 1))
        default: if !b.isEmpty { b[rng.int(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
        }
    }
    return b
}

let extremes: [Int] = [0, 1, 2, 3, 7, 8, 255, 256, 65535, 65536, 1 << 20, 1 << 30]
let extremeDoubles: [Double] = [0, -1, 0.5, 1e300, -1e300, .nan, .infinity, -.infinity, 21, 0x1p40, 4.5]

/// Structure-aware mutations of a .ddpm file: header fields at extremes, geometry, counts and
/// parameters, with every checksum recomputed so the parser's deeper checks are reached.
func mutateDDPM(_ bytes: [UInt8], _ rng: inout RNG) -> [UInt8] {
    guard var (header, sections, _) = try? DDPMFile.decode(bytes) else { return mutate(bytes, &rng) }
    switch rng.int(7) {
    case 0:
        if !header.images.isEmpty {
            let k = rng.int(header.images.count)
            header.images[k].width = rng.pick(extremes.filter { $0 > 0 && $0 <= 65536 })
            header.images[k].height = rng.pick(extremes.filter { $0 > 0 && $0 <= 65536 })
        }
    case 1:
        let n = rng.pick([0, 1, 2, 100, 10_000, 200_000])
        header.images = (0..<n).map { _ in header.images.first ?? ImageEntry(name: "x", width: 8, height: 8, channels: 1) }
    case 2: header.steps = rng.pick(extremes); header.trainTimesteps = rng.pick([header.trainTimesteps] + extremes)
    case 3:
        // Sorted: a replay must draw the same key (a dictionary's order changes from run to run).
        let key = rng.pick(header.parameters.keys.sorted() + [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 99])
        header.parameters[key] = rng.pick(extremeDoubles + extremes.map(Double.init))
    case 4: header.patchHeight = rng.pick(extremes); header.patchWidth = rng.pick(extremes)
    case 5 where !sections.isEmpty:
        let k = rng.int(sections.count)
        sections[k].payload = mutate(sections[k].payload, &rng)
    default:
        header.images = header.images.map { var e = $0; e.channels = rng.pick([1, 3]); return e }
    }
    return DDPMFile.encode(header: header, sections: sections)
}

/// A tiny model directory (8×8 gray) to decode with; config files are mutated as JSON values.
/// Its schedule is cut to 100 timesteps: a header may honestly ask for a chain as long as the model's, and a
/// preview's DDIM reconstruction runs the network at every step of it, so with 1,000 a valid claim alone took
/// ~20 s of a debug build and the time cap could no longer tell a runaway decode from honest work.
func modelFiles(_ fixtures: String) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    for name in ["config.json", "scheduler_config.json", "diffusion_pytorch_model.safetensors"] {
        out[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/unet/opt-uneven-heads/\(name)")))
    }
    guard var schedule = (try JSONSerialization.jsonObject(with: Data(out["scheduler_config.json"]!))) as? [String: Any] else {
        throw CocoaError(.fileReadCorruptFile)
    }
    schedule["num_train_timesteps"] = 100
    out["scheduler_config.json"] = [UInt8](try JSONSerialization.data(withJSONObject: schedule, options: [.sortedKeys]))
    return out
}

func mutateJSON(_ bytes: [UInt8], _ rng: inout RNG) -> [UInt8] {
    guard var dict = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any], !dict.isEmpty else {
        return mutate(bytes, &rng)
    }
    let key = rng.pick(Array(dict.keys).sorted())
    dict[key] = rng.pick([NSNull(), 0, -1, 1e9, 100000, "x", [1, 2], true, [100000, 100000], 0.021, 1e300] as [Any])
    return (try? [UInt8](JSONSerialization.data(withJSONObject: dict))) ?? bytes
}

// MARK: - the run

let options = Options(CommandLine.arguments)
var limit = rlimit(rlim_cur: rlim_t(options.memoryGiB) << 30, rlim_max: rlim_t(options.memoryGiB) << 30)
setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
try? FileManager.default.createDirectory(atPath: options.crashDir, withIntermediateDirectories: true)
var rng = RNG(seed: options.seed)

let files = try modelFiles(options.fixtures)
let modelDir = FileManager.default.temporaryDirectory.appendingPathComponent("ddpmc-fuzz-model-\(getpid())").path
try FileManager.default.createDirectory(atPath: modelDir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: modelDir) }
func writeModel(_ f: [String: [UInt8]], to dir: String) {
    for (name, bytes) in f { FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(bytes)) }
}
writeModel(files, to: modelDir)
let model = try DiffusionModel(directory: modelDir)
// The decoders' limits scaled to the tiny model: the honest work a header may ask for stays small, so any input
// over the time cap is a decode running longer than its header's work, not a large but valid claim (the default
// limits themselves are tested in HostileInputTests).
var fuzzLimits = DecodeLimits()
fuzzLimits.subPixels = 1 << 16
fuzzLimits.images = 1 << 12
var lossless = try LosslessCodec(model: model)
lossless.limits = fuzzLimits
var progressive = try ProgressiveCodec(model: model)
progressive.lossless.limits = fuzzLimits

// Seeds: files of every kind, made by the codec itself.
// The second image has an alpha plane (a mask: the zstd coding), so the alpha section is fuzzed too.
let images = (0..<2).map { n in
    NamedImage(name: "s\(n)", image: try! Image(width: 8 + n, height: 8, channels: 1,
                                               pixels: (0..<((8 + n) * 8)).map { UInt8(($0 * 37 + n) % 256) },
                                               alpha: n == 0 ? nil : (0..<((8 + n) * 8)).map { $0 % 5 == 0 ? 0 : 255 }))
}
var lp = CodingParameters(); lp.steps = 2
var pp = CodingParameters(mode: .progressive); pp.steps = 3; pp.chunkBits = 8; pp.losslessAfter = 2
let seedLossless = try lossless.encode(images, kind: .folder, parameters: lp).bytes
let seedProgressive = try progressive.encode(images, kind: .folder, parameters: pp).bytes
// Tails that go direct as a whole live in the progressive section (format 6): T* = 1, and a lone image's tail.
var dp = pp; dp.losslessAfter = 1
let seedDirect = try progressive.encode(images, kind: .folder, parameters: dp).bytes
let seedLoneTail = try progressive.encode([images[1]], kind: .png, parameters: pp).bytes
let progressiveSeeds = [seedProgressive, seedDirect, seedLoneTail]
let seedPNG = try PNGCodec.encode(images[1].image)   // gray+alpha
let seedRGB = try PNGCodec.encode(try Image(width: 5, height: 3, channels: 3, pixels: (0..<45).map { UInt8($0 * 5) }))
let seedNPY = try NPYWriter.encode(images.map { try! Image(width: 8, height: 8, channels: 1, pixels: $0.image.pixels.prefix(64).map { $0 }) })
var seedIDX: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 8]
seedIDX += images[0].image.pixels.prefix(64) + images[1].image.pixels.prefix(64)
let idxPath = "\(modelDir)/seed-idx3-ubyte"
try IDXWriter.write(images: [try Image(width: 8, height: 8, channels: 1, pixels: Array(seedIDX[16..<80]))], to: idxPath + ".gz", gzip: true)
let seedIDXGZ = [UInt8](try Data(contentsOf: URL(fileURLWithPath: idxPath + ".gz")))

struct Target { let name: String; let run: (inout RNG) -> Void }
var counts: [String: Int] = [:]
var slowest: [String: Double] = [:]

let targets: [Target] = [
    Target(name: "ddpm info (structure-aware)") { rng in
        let b = rng.int(2) == 0 ? mutateDDPM(seedLossless, &rng) : mutateDDPM(rng.pick(progressiveSeeds), &rng)
        _ = try? FileSummary(bytes: b).lines
    },
    Target(name: "lossless decode") { rng in
        let b = rng.int(3) == 0 ? mutate(seedLossless, &rng) : mutateDDPM(seedLossless, &rng)
        _ = try? lossless.decode(b)
    },
    Target(name: "progressive decode") { rng in
        let seed = rng.pick(progressiveSeeds)
        let b = rng.int(3) == 0 ? mutate(seed, &rng) : mutateDDPM(seed, &rng)
        _ = try? progressive.decode(b, stopStep: rng.pick([nil, 1, 2, 3]), reconstruction: rng.pick([.xhat, .ddim]))
    },
    Target(name: "png") { rng in _ = try? PNGCodec.decode(mutate(rng.int(2) == 0 ? seedPNG : seedRGB, &rng), name: "f.png") },
    Target(name: "npy") { rng in _ = try? NPYReader.decode(mutate(seedNPY, &rng), name: "f.npy") },
    Target(name: "idx / gzip") { rng in
        _ = try? IDXReader.decode(mutate(rng.int(2) == 0 ? seedIDX : seedIDXGZ, &rng), name: "f-idx3-ubyte")
    },
    Target(name: "model loader") { rng in
        var f = files
        switch rng.int(3) {
        case 0: f["config.json"] = mutateJSON(f["config.json"]!, &rng)
        case 1: f["scheduler_config.json"] = mutateJSON(f["scheduler_config.json"]!, &rng)
        default: f["diffusion_pytorch_model.safetensors"] = mutate(f["diffusion_pytorch_model.safetensors"]!, &rng)
        }
        if rng.int(4) == 0 { f["codec_config.json"] = mutateJSON(Array(#"{"tiling": "whole-image", "maximum_tile": 8}"#.utf8), &rng) }
        if rng.int(4) == 0 {
            let shrink = (0..<1000).map { _ in "0.5" }.joined(separator: ",")
            let prior = #"{"format": 1, "shrink": [\#(shrink)], "mean": {"channels": 1, "height": 2, "width": 2, "values": [0, 0.1, 0.2, 0.3]}}"#
            f["preview.json"] = mutateJSON(Array(prior.utf8), &rng)
        }
        let dir = "\(modelDir)/m"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        writeModel(f, to: dir)
        _ = try? DiffusionModel(directory: dir)
    },
]

if let replay = options.replay {
    guard let target = targets.first(where: { $0.name == replay.target }) else { print("no target \(replay.target)"); exit(2) }
    var local = RNG(seed: replay.seed)
    target.run(&local)
    print("replayed \(replay.target) \(replay.seed): no crash")
    exit(0)
}

func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

var failures = 0
let start = Date()
for n in 0..<options.inputs {
    let target = targets[n % targets.count]
    var local = RNG(seed: rng.next())
    // The input's recipe (target and seed) is saved before it runs, so a crash can be replayed.
    let recipe = "\(target.name)\t\(local.state)\n"
    FileManager.default.createFile(atPath: "\(options.crashDir)/last-input.txt", contents: Data(recipe.utf8))
    // CPU time, not wall time: a loaded machine must not turn honest work into a finding.
    let t0 = cpuSeconds()
    target.run(&local)
    let seconds = cpuSeconds() - t0
    counts[target.name, default: 0] += 1
    slowest[target.name] = max(slowest[target.name] ?? 0, seconds)
    if seconds > options.secondsPerInput {
        failures += 1
        print("SLOW: \(target.name) took \(String(format: "%.1f", seconds)) s of CPU (cap \(options.secondsPerInput) s), seed \(recipe)")
    }
}
for t in targets {
    print(t.name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: " %7d inputs, slowest %.3f s", counts[t.name] ?? 0, slowest[t.name] ?? 0))
}
print(String(format: "ddpmc-fuzz: %d inputs in %.0f s, 0 crashes, %d over the time cap, memory cap %d GiB",
             options.inputs, Date().timeIntervalSince(start), failures, options.memoryGiB))
exit(failures == 0 ? 0 : 1)

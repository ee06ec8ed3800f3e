import ArgumentParser
import Foundation
import Tensor
import UNet

/// Forward-pass throughput next to the dgemm throughput measured in the same process.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure dgemm GFLOP/s and U-Net images/s and GFLOP/s (CIFAR-10 DDPM structure and bundled models).")

    @Flag(help: "print machine-readable results on stdout") var json = false
    @Option(help: "batch sizes to time") var batches: [Int] = [1, 8, 32]
    @Option(help: "model directories to time besides the CIFAR-10 structure (default: bundled fixtures and models)")
    var model: [String] = []
    @Flag(help: "skip the CIFAR-10-structure model (35.7M parameters)") var skipCifar = false
    @Option(help: "seconds to spend per measurement (at least one pass is always timed)") var seconds: Double = 2
    @Flag(help: .hidden) var skipDgemm = false

    /// google/ddpm-cifar10-32's architecture (Ho et al. 2020), as its diffusers config states it.
    static let cifar10Config: [String: Any] = [
        "_class_name": "UNet2DModel", "act_fn": "silu", "attention_head_dim": NSNull(),
        "block_out_channels": [128, 256, 256, 256], "center_input_sample": false,
        "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
        "downsample_padding": 0, "flip_sin_to_cos": false, "freq_shift": 1, "in_channels": 3, "out_channels": 3,
        "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-6, "norm_num_groups": 32,
        "sample_size": 32, "time_embedding_type": "positional",
    ]

    func run() throws {
        note("measuring dgemm …")
        let dgemm = skipDgemm ? .nan : GEMMThroughput.dgemmGFLOPS()
        note(String(format: "dgemm: %.1f GFLOP/s", dgemm))
        var entries: [(String, UNetModel)] = []
        if !skipCifar {
            entries.append(("cifar10-structure (random weights)",
                            try UNetModel(config: UNetConfig(json: Self.cifar10Config), randomSeed: 1)))
        }
        var dirs = model
        if dirs.isEmpty, let fixtures = fixturesDirectory() {
            for sub in ["models", "unet"] {
                let base = (fixtures as NSString).appendingPathComponent(sub)
                let names = (try? FileManager.default.contentsOfDirectory(atPath: base))?.sorted() ?? []
                for n in names where FileManager.default.fileExists(atPath: "\(base)/\(n)/config.json") {
                    dirs.append("\(base)/\(n)")
                }
            }
        }
        for d in dirs { entries.append(((d as NSString).lastPathComponent, try UNetModel(directory: d))) }

        var rows: [[String: Any]] = []
        for (name, net) in entries {
            let (h, w) = net.config.sampleSize ?? (32, 32)
            let flopsPerImage = 2 * Double(net.multiplyAccumulates(height: h, width: w))
            for b in batches {
                var seed: UInt64 = 12345
                let data = (0..<(b * h * w * net.config.inChannels)).map { _ -> Float in
                    seed = seed &* 6364136223846793005 &+ 1442695040888963407
                    return Float(Int64(bitPattern: seed >> 11) % 2000 - 1000) / 1000
                }
                let x = FeatureMap(batch: b, height: h, width: w, channels: net.config.inChannels, data: data)
                let t = (0..<b).map { Double(($0 * 379) % 1000) }
                var best = Double.infinity, total = 0.0, runs = 0
                repeat {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = net(x, timesteps: t)
                    let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    best = min(best, s); total += s; runs += 1
                } while total < seconds && runs < 50
                let gflops = flopsPerImage * Double(b) / best / 1e9
                let fps = Double(b) / best
                // Both figures are best-of-several runs, so a loaded machine can make the ratio exceed 100 %:
                // flag it rather than print a ratio that cannot be.
                let ratio = 100 * gflops / dgemm
                let ratioText = !ratio.isFinite ? "dgemm not measured" : ratio > 100 ? String(format: "%.0f%% of dgemm: the machine was busy while dgemm ran", ratio)
                                            : String(format: "%.0f%% of dgemm", ratio)
                note(String(format: "%@  batch %2d: %8.2f images/s  %6.1f GFLOP/s (%@)  [%d params, %.3f GFLOP/image]",
                            name, b, fps, gflops, ratioText, net.parameterCount, flopsPerImage / 1e9))
                rows.append(["model": name, "batch": b, "gflops": gflops, "images_per_second": fps,
                             "gflop_per_image": flopsPerImage / 1e9, "parameters": net.parameterCount])
            }
        }
        if json { try printJSON(["dgemm_gflops": dgemm, "unet": rows]) }
    }
}

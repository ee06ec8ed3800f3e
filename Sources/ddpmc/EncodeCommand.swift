import ArgumentParser
import Codec
import Diffusion
import Foundation
import ImageIO

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode an image (or a data set into one archive): lossless bits-back ANS, or a progressive stream.",
        discussion: "INPUT: a PNG, a folder of PNGs, a Fashion-MNIST idx/idx.gz file or a uint8 .npy array. "
            + "Lossless (default): the file size is the model's negative ELBO plus a one-off initial cost; decoding is "
            + "bit-exact on any machine. --progressive: x_K, x_{K-1}, ... sent by reverse channel coding, so any prefix "
            + "of the file decodes to a preview; with --lossless-after T the bits-back chain codes the rest exactly.")

    @Argument(help: "image or data set to encode") var input: String
    @Option(name: .shortAndLong, help: "output .ddpm file") var output: String
    @Option(help: "diffusers model directory (default: the bundled model for the image's channel count)") var model: String?
    @Flag(help: "progressive stream: every prefix decodes to a preview") var progressive = false
    @Option(help: "with --progressive: below this step (of the chain in use) code losslessly with bits-back") var losslessAfter: Int?
    @Option(help: "with --progressive: KL budget per chunk in bits (encode time grows as 2^bits)") var chunkBits = ProgressiveParameters().chunkBits
    @Option(help: "with --progressive: index bits per chunk beyond its KL share") var slackBits = ProgressiveParameters().slackBits
    @Option(help: "code a respaced chain of this many steps (default \(Self.defaultSteps); the model's training steps, e.g. 1000, for the full chain)") var steps: Int?
    @Option(help: "which timesteps a respaced chain keeps: quadratic (dense at low t, where the bits are) or even (default: quadratic; even with --progressive)")
    var spacing: TimestepSpacing?
    @Option(help: "grid resolution: latents are coded on a grid of σ/2^bits") var gridBits = LosslessParameters().gridBits
    @Option(help: "patches coded together through one network call per step") var group = LosslessParameters().groupSize
    @Flag(help: "print the measured rate as JSON on stdout") var json = false
    @Option(help: "use only the first N images of a data set") var limit: Int?

    /// The default chain: 100 steps cost ~10× fewer network calls than T = 1000, and with quadratic
    /// spacing the lossless rate only 0.006 ± 0.003 bits/dim more on Fashion-MNIST (docs/BENCHMARKS.md).
    static let defaultSteps = 100

    func validate() throws {
        if !progressive, losslessAfter != nil { throw ValidationError("--lossless-after needs --progressive") }
        if let losslessAfter, losslessAfter < 1 { throw ValidationError("--lossless-after must be at least 1") }
        if !(1...20).contains(chunkBits) { throw ValidationError("--chunk-bits must be in 1...20") }
        if !(0...4).contains(slackBits) { throw ValidationError("--slack-bits must be in 0...4") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if !(1...20).contains(gridBits) { throw ValidationError("--grid-bits must be in 1...20") }
        if group < 1 { throw ValidationError("--group must be at least 1") }
    }

    func run() throws {
        do {
            try AtomicFile.refuseOverwrite(input: input, output: output)
            try checkWritable(output)
            var (kind, images) = try ImageSource.load(path: input)
            if let limit { images = Array(images.prefix(max(0, limit))) }
            guard let first = images.first else { throw CLIError("\(input) holds no images") }
            let dir = try model ?? bundledModelDirectory(channels: first.image.channels)
            if progressive { return try runProgressive(images, kind: kind, modelDirectory: dir) }
            let codec = try LosslessCodec(model: try DiffusionModel(directory: dir))
            var p = LosslessParameters()
            p.steps = steps ?? min(Self.defaultSteps, codec.model.schedule.count)
            p.spacing = spacing ?? p.spacing
            p.gridBits = gridBits; p.groupSize = group
            let bar = ProgressLine(label: "encode")
            let (bytes, report) = try codec.encode(images, kind: kind, parameters: p) { bar.update($0, $1) }
            try AtomicFile.write(bytes, to: output)
            let summary: [String: Any] = [
                "bytes": report.fileBytes, "images": report.images, "dims": report.dimensions,
                "initial_bits": report.initialBits, "bits_per_dim": report.bitsPerDim,
                "net_bits_per_dim": report.netBitsPerDim, "ideal_bits_per_dim": report.idealBits / Double(report.dimensions),
                "network_seconds": report.networkSeconds, "coding_seconds": report.codingSeconds,
                "payload_bits": report.payloadBits,
                "payload_net_bits_per_dim": (report.payloadBits - report.initialBits) / Double(report.dimensions),
                "coder_overhead_bits": report.payloadBits - report.initialBits - report.idealBits,
            ]
            if json { try printJSON(summary) } else {
                note(String(format: "%@: %d image(s), %d bytes, %.4f bits/dim (%.4f without %.0f initial bits); network %.1fs, coder %.1fs",
                            output, report.images, report.fileBytes, report.bitsPerDim, report.netBitsPerDim,
                            report.initialBits, report.networkSeconds, report.codingSeconds))
            }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }

    func runProgressive(_ images: [NamedImage], kind: SourceKind, modelDirectory: String) throws {
        let codec = try ProgressiveCodec(model: try DiffusionModel(directory: modelDirectory))
        var p = ProgressiveParameters()
        p.steps = steps ?? min(Self.defaultSteps, codec.model.schedule.count)
        p.spacing = spacing ?? p.spacing
        p.losslessAfter = losslessAfter; p.chunkBits = chunkBits; p.slackBits = slackBits
        p.lossless.gridBits = gridBits; p.lossless.groupSize = group
        let bar = ProgressLine(label: "encode")
        let r = try codec.encode(images, kind: kind, parameters: p) { bar.update($0, $1) }
        try AtomicFile.write(r.bytes, to: output)
        let dims = Double(r.dimensions)
        let theoretical = r.records.reduce(0) { $0 + $1.klBits }
        let streamBits = Double(r.records.last?.bitEnd ?? 0)
        let summary: [String: Any] = [
            "bytes": r.bytes.count, "images": images.count, "dims": r.dimensions, "steps": p.steps ?? 0,
            "bits_per_dim": Double(r.bytes.count * 8) / dims,
            "progressive_bits_per_dim": streamBits / dims,
            "theoretical_progressive_bits_per_dim": theoretical / dims,
            "lossless_bits_per_dim": Double(r.losslessBytes * 8) / dims, "initial_bits": r.initialBits,
            "header_bytes": r.headerBytes, "seconds": r.seconds,
            "lossless_after": losslessAfter ?? 0, "chunk_bits": chunkBits, "slack_bits": slackBits,
        ]
        if json { try printJSON(summary); return }
        var line = String(format: "%@: %d image(s), %d bytes, %.4f bits/dim; progressive stream %.4f bits/dim to step %d "
                          + "(theoretical %.4f, ratio %.3f)", output, images.count, r.bytes.count,
                          Double(r.bytes.count * 8) / dims, streamBits / dims, p.losslessAfter ?? 1, theoretical / dims,
                          streamBits / max(theoretical, 1e-9))
        if let t = losslessAfter {
            line += String(format: "; lossless below step %d: %.4f bits/dim (%.0f initial bits)", t,
                           Double(r.losslessBytes * 8) / dims, r.initialBits)
        }
        note(line + String(format: "; %.1fs", r.seconds))
    }
}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a .ddpm file (or any prefix of a progressive one) back to the image(s).",
        discussion: "A lossless file decodes exactly, in the form it was encoded from. A progressive file decodes to "
            + "the last step complete in the bytes given (a truncated file, or --bytes N), or to --step t; with a "
            + "lossless tail and all bytes present, exactly.")

    @Argument(help: ".ddpm file") var input: String
    @Option(name: .shortAndLong, help: "output PNG (or folder / idx / npy for an archive)") var output: String
    @Option(help: "diffusers model directory (default: the bundled model named in the file)") var model: String?
    @Option(help: "progressive: use only the first N bytes of the file") var bytes: Int?
    @Option(help: "progressive: stop after this step of the chain") var step: Int?
    @Option(help: "progressive: write x̂0 of every step as PNGs into this folder") var frames: String?
    @Option(help: "progressive: image from the last x_t: xhat (x̂0), sample (ancestral sampling) or ddim")
    var reconstruct: String = Reconstruction.xhat.rawValue
    @Flag(help: "print what was decoded as JSON on stdout") var json = false

    func validate() throws {
        if let bytes, bytes < 1 { throw ValidationError("--bytes must be at least 1") }
        if Reconstruction(rawValue: reconstruct) == nil {
            throw ValidationError("--reconstruct must be one of \(Reconstruction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            try AtomicFile.refuseOverwrite(input: input, output: output)
            try checkWritable(output)
            guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("cannot read \(input)") }
            var bytes = [UInt8](data)
            if let limit = self.bytes, limit < bytes.count { bytes = Array(bytes.prefix(limit)) }
            let (header, sections, partial, _) = try DDPMFile.decodePrefix(bytes)
            let dir = try model ?? bundledModelDirectory(channels: header.images.first?.channels ?? 1)
            let isProgressive = sections.contains { $0.kind == .progressive } || partial?.kind == .progressive
                || header.parameters[ProgressiveParameters.chunkBitsKey] != nil
            guard isProgressive else {
                if self.bytes != nil || step != nil || frames != nil {
                    throw CLIError("\(input) is a lossless file: --bytes, --step and --frames apply to progressive files")
                }
                let codec = try LosslessCodec(model: try DiffusionModel(directory: dir))
                let bar = ProgressLine(label: "decode")
                let (images, kind, _) = try codec.decode(bytes) { bar.update($0, $1) }
                try ImageSink.write(images, as: kind, to: output)
                if json { try printJSON(["exact": true, "images": images.count, "bits_used": bytes.count * 8]); return }
                note("\(output): \(images.count) image(s) decoded exactly (pixel checksum verified)")
                return
            }
            let codec = try ProgressiveCodec(model: try DiffusionModel(directory: dir))
            if let frames { try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true) }
            let bar = ProgressLine(label: "decode")
            let r = try codec.decode(bytes, stopStep: step, reconstruction: Reconstruction(rawValue: reconstruct)!,
                                     progress: { bar.update($0, $1) }) { t, images in
                guard let frames else { return }
                for (n, im) in images.enumerated() {
                    // One image: its own name; an archive: the image's index (names there repeat the file's).
                    let name = images.count == 1 ? ((im.name as NSString).lastPathComponent as NSString).deletingPathExtension
                                                 : String(format: "image%05d", n)
                    let path = (frames as NSString).appendingPathComponent(String(format: "%@_t%04d.png", name, t))
                    try AtomicFile.write(try PNGCodec.encode(im.image), to: path)
                }
            }
            bar.finish()
            try ImageSink.write(r.images, as: r.kind, to: output)
            let dims = Double(header.dimensions)
            if json {
                var o: [String: Any] = ["exact": r.exact, "images": r.images.count, "bits_used": r.bitsUsed,
                                        "file_bits": r.fileBits, "bits_per_dim": Double(r.bitsUsed) / dims, "steps": r.steps]
                if let t = r.reachedStep { o["step"] = t }
                if let d = r.damage { o["damage"] = d }
                try printJSON(o)
                return
            }
            if r.exact {
                note("\(output): \(r.images.count) image(s) decoded exactly (pixel checksum verified)")
            } else {
                note(String(format: "%@: reached step %d of %d; used %d of %d bits (%.4f bits/dim); %@ reconstruction%@",
                            output, r.reachedStep ?? 0, r.steps, r.bitsUsed, r.fileBits, Double(r.bitsUsed) / dims,
                            reconstruct, r.damage.map { " (file cut short: \($0))" } ?? ""))
            }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }
}

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print the header and section sizes of a .ddpm file.")

    @Argument(help: ".ddpm file") var input: String
    @Flag(help: "machine-readable output") var json = false

    func run() throws {
        do {
            guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("cannot read \(input)") }
            let (h, sections, damage) = try DDPMFile.decode([UInt8](data))
            let dims = h.dimensions
            let spacing = (try? LosslessParameters.spacing(in: h)) ?? .even   // files without the field: even
            let payload = sections.reduce(0) { $0 + $1.payload.count }
            var object: [String: Any] = [
                "bytes": data.count, "images": h.images.count, "dims": dims,
                "bits_per_dim": Double(data.count * 8) / Double(max(dims, 1)),
                "model": h.modelName, "model_sha256_prefix": Checksums.hex(h.modelDigest), "steps": h.steps,
                "spacing": spacing.rawValue,
                "patch": [h.patchHeight, h.patchWidth], "sections": sections.map { ["kind": "\($0.kind)", "bytes": $0.payload.count] },
                "payload_bytes": payload,
            ]
            if let initial = h.parameters[LosslessParameters.initialBitsKey] {
                object["initial_bits"] = initial
                object["net_bits_per_dim"] = (Double(data.count * 8) - initial) / Double(max(dims, 1))
            }
            let progressive = sections.contains { $0.kind == .progressive }
            if progressive {
                object["chunk_bits"] = h.parameters[ProgressiveParameters.chunkBitsKey].map { Int($0) }
                object["slack_bits"] = h.parameters[ProgressiveParameters.slackBitsKey].map { Int($0) }
                object["lossless_after"] = h.parameters[ProgressiveParameters.losslessAfterKey].map { Int($0) }
            }
            if let damage { object["damage"] = damage.description }
            if json { try printJSON(object); return }
            print("file:        \(input) (\(data.count) bytes)")
            print("model:       \(h.modelName)  sha256 \(Checksums.hex(h.modelDigest))…")
            print("images:      \(h.images.count), \(dims) sub-pixels, \(h.images.prefix(3).map { "\($0.name) \($0.width)×\($0.height)×\($0.channels)" }.joined(separator: ", "))\(h.images.count > 3 ? ", …" : "")")
            print("chain:       \(h.steps) steps (model trained with \(h.trainTimesteps)"
                + (h.steps < h.trainTimesteps ? ", \(spacing.rawValue) spacing" : "") + "), patches \(h.patchHeight)×\(h.patchWidth)")
            print(String(format: "rate:        %.4f bits/dim", Double(data.count * 8) / Double(max(dims, 1))))
            if let initial = h.parameters[LosslessParameters.initialBitsKey] {
                print(String(format: "initial:     %.0f bits; %.4f bits/dim without them", initial,
                             (Double(data.count * 8) - initial) / Double(max(dims, 1))))
            }
            if progressive, let cb = h.parameters[ProgressiveParameters.chunkBitsKey],
               let tStar = h.parameters[ProgressiveParameters.losslessAfterKey] {
                print("progressive: chunk budget \(Int(cb)) bits, \(tStar > 0 ? "lossless below step \(Int(tStar))" : "lossy (to x̂0 of step 1)")")
            }
            for s in sections { print("section:     \(s.kind), \(s.payload.count) bytes") }
            if let damage { print("damage:      \(damage)") }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }
}

import ArgumentParser
import Codec
import Diffusion
import Foundation
import ImageIO

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Losslessly encode an image (or a data set into one archive) with bits-back ANS over the diffusion chain.",
        discussion: "INPUT: a PNG, a folder of PNGs, a Fashion-MNIST idx/idx.gz file or a uint8 .npy array. "
            + "The file size is the model's negative ELBO plus a one-off initial cost; decoding is bit-exact on any machine.")

    @Argument(help: "image or data set to encode") var input: String
    @Option(name: .shortAndLong, help: "output .ddpm file") var output: String
    @Option(help: "diffusers model directory (default: the bundled model for the image's channel count)") var model: String?
    @Flag(help: "lossless coding (the default and, for now, the only mode)") var lossless = false
    @Option(help: "code a respaced chain of this many steps (faster, larger files)") var steps: Int?
    @Option(help: "grid resolution: latents are coded on a grid of σ/2^bits") var gridBits = LosslessParameters().gridBits
    @Option(help: "patches coded together through one network call per step") var group = LosslessParameters().groupSize
    @Flag(help: "print the measured rate as JSON on stdout") var json = false
    @Option(help: "use only the first N images of a data set") var limit: Int?

    func validate() throws {
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
            let codec = try LosslessCodec(model: try DiffusionModel(directory: dir))
            var p = LosslessParameters()
            p.steps = steps; p.gridBits = gridBits; p.groupSize = group
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
}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a .ddpm file back to the image(s), in the form they were encoded from.")

    @Argument(help: ".ddpm file") var input: String
    @Option(name: .shortAndLong, help: "output PNG (or folder / idx / npy for an archive)") var output: String
    @Option(help: "diffusers model directory (default: the bundled model named in the file)") var model: String?

    func run() throws {
        do {
            try AtomicFile.refuseOverwrite(input: input, output: output)
            try checkWritable(output)
            guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("cannot read \(input)") }
            let bytes = [UInt8](data)
            let (header, _, _) = try DDPMFile.decode(bytes)
            let dir = try model ?? bundledModelDirectory(channels: header.images.first?.channels ?? 1)
            let codec = try LosslessCodec(model: try DiffusionModel(directory: dir))
            let bar = ProgressLine(label: "decode")
            let (images, kind, _) = try codec.decode(bytes) { bar.update($0, $1) }
            try ImageSink.write(images, as: kind, to: output)
            note("\(output): \(images.count) image(s) decoded exactly (pixel checksum verified)")
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
            let payload = sections.reduce(0) { $0 + $1.payload.count }
            var object: [String: Any] = [
                "bytes": data.count, "images": h.images.count, "dims": dims,
                "bits_per_dim": Double(data.count * 8) / Double(max(dims, 1)),
                "model": h.modelName, "model_sha256": Checksums.hex(h.modelSHA256), "steps": h.steps,
                "patch": [h.patchHeight, h.patchWidth], "sections": sections.map { ["kind": "\($0.kind)", "bytes": $0.payload.count] },
                "payload_bytes": payload,
            ]
            if let initial = h.parameters[LosslessParameters.initialBitsKey] {
                object["initial_bits"] = initial
                object["net_bits_per_dim"] = (Double(data.count * 8) - initial) / Double(max(dims, 1))
            }
            if let damage { object["damage"] = damage.description }
            if json { try printJSON(object); return }
            print("file:        \(input) (\(data.count) bytes)")
            print("model:       \(h.modelName)  sha256 \(Checksums.hex(h.modelSHA256))")
            print("images:      \(h.images.count), \(dims) sub-pixels, \(h.images.prefix(3).map { "\($0.name) \($0.width)×\($0.height)×\($0.channels)" }.joined(separator: ", "))\(h.images.count > 3 ? ", …" : "")")
            print("chain:       \(h.steps) steps (model trained with \(h.trainTimesteps)), patches \(h.patchHeight)×\(h.patchWidth)")
            print(String(format: "rate:        %.4f bits/dim", Double(data.count * 8) / Double(max(dims, 1))))
            if let initial = h.parameters[LosslessParameters.initialBitsKey] {
                print(String(format: "initial:     %.0f bits; %.4f bits/dim without them", initial,
                             (Double(data.count * 8) - initial) / Double(max(dims, 1))))
            }
            for s in sections { print("section:     \(s.kind), \(s.payload.count) bytes") }
            if let damage { print("damage:      \(damage)") }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }
}

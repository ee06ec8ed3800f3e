import ArgumentParser
import Codec
import Diffusion
import Foundation
import ImageIO

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a .ddpm file (or any prefix of a progressive one) back to the image(s).",
        discussion: "A lossless file decodes exactly, in the form it was encoded from. A progressive file decodes to "
            + "the last step complete in the bytes given (a truncated file, or --bytes N), or to --step t; with a "
            + "lossless tail and all bytes present, exactly. A file with a lossless tail that is damaged or missing is an "
            + "error (nothing is written) unless --bytes or --step asks for a preview. The output's format follows its "
            + "name: .png, .npy, -idx3-ubyte / .idx (.gz), a folder (a name ending in /); without an extension, the "
            + "form the file was encoded from.")

    @Argument(help: ".ddpm file") var input: String
    @Option(name: .shortAndLong, help: "output PNG (or folder / idx / npy for an archive)") var output: String
    @Option(help: "diffusers model directory (default: the bundled model for the file's channel count; the file's model digest must match)")
    var model: String?
    @Option(parsing: .unconditional, help: "progressive: use only the first N bytes of the file") var bytes: Int?
    @Option(parsing: .unconditional, help: "progressive: stop after this step of the chain") var step: Int?
    @Option(help: "progressive: write x̂0 of every step as PNGs into this folder") var frames: String?
    @Option(help: ArgumentHelp("progressive: image from the last x_t: xhat (x̂0, pulled toward the model's mean image early "
        + "in the stream when the model ships a preview.json), xhat-raw (x̂0 as the network gives it), sample (ancestral "
        + "sampling) or ddim"))
    var reconstruct: Reconstruction = .xhat
    @Flag(help: "print what was decoded as JSON on stdout") var json = false
    @Flag(help: "replace OUTPUT (or the files in an output folder) if it exists") var force = false

    func validate() throws {
        if let bytes, bytes < 1 { throw ValidationError("--bytes must be at least 1") }
    }

    func run() throws {
        do {
            try AtomicFile.refuseOverwrite(input: input, output: output)
            guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("cannot read \(input)") }
            var bytes = [UInt8](data)
            if let limit = self.bytes, limit < bytes.count { bytes = Array(bytes.prefix(limit)) }
            let summary = try FileSummary(bytes: bytes)
            let form = try outputForm(summary.header, alpha: summary.hasAlpha)
            let dir = try decodingModelDirectory(model, header: summary.header)
            guard summary.isProgressive else {
                if self.bytes != nil || step != nil || frames != nil {
                    throw CLIError("\(input) is a lossless file: --bytes, --step and --frames apply to progressive files")
                }
                let codec = try LosslessCodec(model: try DiffusionModel(directory: dir))
                let bar = ProgressLine(label: "decode")
                let (images, _, _) = try codec.decode(bytes) { bar.update($0, $1) }
                try ImageSink.write(images, as: form, to: output)
                if json { try printJSON(["exact": true, "images": images.count, "bits_used": bytes.count * 8]); return }
                note("\(output): \(images.count) image(s) decoded exactly (pixel checksum verified)")
                return
            }
            if let step, let p = summary.parameters {
                let allowed = ProgressiveCodec.stoppableSteps(p, header: summary.header)
                if !allowed.contains(step) { throw CLIError("--step must be in \(allowed) for this file") }
            }
            let codec = try ProgressiveCodec(model: try DiffusionModel(directory: dir))
            if let frames { try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true) }
            let bar = ProgressLine(label: "decode")
            let r = try codec.decode(bytes, stopStep: step, reconstruction: reconstruct,
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
            if !r.exact, summary.parameters?.losslessAfter != nil, self.bytes == nil, step == nil {
                throw CLIError("the lossless part of \(input) is damaged or missing (\(r.damage ?? "no exact decode")), so it "
                    + "cannot be decoded exactly; pass --step or --bytes to write the lossy preview it still holds")
            }
            try ImageSink.write(r.images, as: form, to: output)
            let dims = Double(summary.dimensions)
            if json {
                var o: [String: Any] = ["exact": r.exact, "images": r.images.count, "bits_used": r.bitsUsed,
                                        "file_bits": r.fileBits, "bits_per_dim": Double(r.bitsUsed) / dims, "steps": r.steps]
                if !r.exact { o["stream_bits_per_dim"] = Double(r.bitsUsed - r.headerBits) / dims }
                if let t = r.reachedStep { o["step"] = t }
                if let d = r.damage { o["damage"] = d }
                try printJSON(o)
                return
            }
            if r.exact {
                note("\(output): \(r.images.count) image(s) decoded exactly (pixel checksum verified)")
            } else {
                note(String(format: "%@: reached step %d of %d; used %d of %d bits (%.4f bits/dim with the container header, "
                            + "%.4f the progressive stream alone); %@ reconstruction%@",
                            output, r.reachedStep ?? 0, r.steps, r.bitsUsed, r.fileBits, Double(r.bitsUsed) / dims,
                            Double(r.bitsUsed - r.headerBits) / dims,
                            reconstruct.rawValue, r.damage.map { " (file cut short: \($0))" } ?? ""))
            }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }
}

extension DecodeCommand {
    /// The output's form (OutputForm), and a destination that can take it, checked before any work.
    func outputForm(_ header: DDPMHeader, alpha: Bool) throws -> SourceKind {
        let images = header.images
        let form = try OutputForm.resolve(path: output, stored: header.sourceKind, images: images.count,
                                          channels: images.first?.channels ?? 1,
                                          sameSize: Set(images.map { [$0.width, $0.height, $0.channels] }).count <= 1,
                                          alpha: alpha)
        guard form == .folder else {
            try checkOutput(output, force: force)
            return form
        }
        let folder = output.hasSuffix("/") ? String(output.dropLast()) : output
        try checkOutput(FileSystemPath.join(folder, "probe"), force: true, folderMayBeMissing: true)
        if !force {
            for e in images {
                let name = e.name.lowercased().hasSuffix(".png") ? e.name : e.name + ".png"
                if FileManager.default.fileExists(atPath: FileSystemPath.join(folder, name)) {
                    throw CLIError("'\(FileSystemPath.join(folder, name))' exists (pass --force to replace it)")
                }
            }
        }
        return form
    }
}

enum FileSystemPath {
    static func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }
}

/// `--reconstruct xhat|sample|ddim`.
extension Reconstruction: ExpressibleByArgument {}

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
    @Option(parsing: .unconditional, help: "with --progressive: below this step (of the chain in use) code losslessly with bits-back") var losslessAfter: Int?
    @Option(parsing: .unconditional, help: "with --progressive: KL budget per chunk in bits (encode time grows as 2^bits)") var chunkBits = CodingParameters().chunkBits
    @Option(parsing: .unconditional, help: "with --progressive: index bits per chunk beyond its KL share") var slackBits = CodingParameters().slackBits
    @Option(parsing: .unconditional, help: "code a respaced chain of this many steps (default: the model's own chain, else \(CodingParameters.defaultSteps); the model's training steps, e.g. 1000, for the full chain)") var steps: Int?
    @Option(help: "which timesteps a respaced chain keeps: model (the model's own optimal chain), quadratic (dense at low t, where the bits are) or even (default: model when the model ships a chain, else quadratic; even with --progressive)")
    var spacing: TimestepSpacing?
    @Option(parsing: .unconditional, help: "grid resolution: latents are coded on a grid of σ/2^bits") var gridBits = CodingParameters().gridBits
    @Option(parsing: .unconditional, help: "patches coded together through one network call per step") var group = CodingParameters().groupSize
    @Flag(help: "print the measured rate as JSON on stdout") var json = false
    @Option(parsing: .unconditional, help: "use only the first N images of a data set") var limit: Int?
    @Flag(help: "replace OUTPUT if it exists") var force = false
    @Option(help: "lossless route: automatic (small inputs are coded both ways and the smaller file kept), bits-back, or direct (no initial bits)")
    var route: LosslessRoute = .automatic
    @Option(parsing: .unconditional, help: "bits-back route: patches sent first by the direct route, whose bits the chain pops instead of initial bits (default: the encoder decides; 0: none)")
    var bootstrap: Int?

    func validate() throws {
        typealias L = CodingParameters.Limits
        if !progressive, losslessAfter != nil { throw ValidationError("--lossless-after needs --progressive") }
        if let losslessAfter, losslessAfter < 1 { throw ValidationError("--lossless-after must be at least 1") }
        if !L.chunkBits.contains(chunkBits) { throw ValidationError("--chunk-bits must be in \(L.chunkBits)") }
        if !L.slackBits.contains(slackBits) { throw ValidationError("--slack-bits must be in \(L.slackBits)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if !L.gridBits.contains(gridBits) { throw ValidationError("--grid-bits must be in \(L.gridBits)") }
        if !L.groupSize.contains(group) { throw ValidationError("--group must be in \(L.groupSize)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let bootstrap, !L.bootstrap.contains(bootstrap) { throw ValidationError("--bootstrap must be in \(L.bootstrap)") }
        if progressive, losslessAfter == nil, bootstrap != nil {
            throw ValidationError("--bootstrap applies to lossless files and to a progressive file's lossless tail (--lossless-after)")
        }
    }

    /// The flags as coding parameters (the library fills in the rest).
    var parameters: CodingParameters {
        var p = CodingParameters(mode: progressive ? .progressive : .lossless)
        p.steps = steps
        p.spacing = spacing ?? p.spacing
        p.gridBits = gridBits; p.groupSize = group
        p.losslessAfter = losslessAfter; p.chunkBits = chunkBits; p.slackBits = slackBits
        p.bootstrap = bootstrap
        return p
    }

    /// The flags with the model's default chain filled in (CodingParameters.withDefaultChain).
    func parameters(for model: DiffusionModel) throws -> CodingParameters {
        var p = parameters
        guard spacing == .model else { return spacing == nil ? p.withDefaultChain(of: model) : p }
        guard let chain = model.chain else {
            throw CLIError("--spacing model: the model at \(model.directory) ships no chain of its own (codec_config.json); use quadratic or even")
        }
        if let steps, steps != chain.steps {
            throw CLIError("--spacing model: the model's own chain has \(chain.steps) steps, not \(steps)")
        }
        p.steps = chain.steps
        return p
    }

    func run() throws {
        do {
            try AtomicFile.refuseOverwrite(input: input, output: output)
            if OutputForm.isImageName(output) {
                throw CLIError("'\(output)' names an image or data-set file, but encode writes a .ddpm file: use a .ddpm name")
            }
            try checkOutput(output, force: force)
            var (kind, images) = try ImageSource.load(path: input)
            if let limit { images = Array(images.prefix(limit)) }
            guard let first = images.first else { throw CLIError("\(input) holds no images") }
            let dir = try model ?? bundledModelDirectory(for: images.map(\.image))
            let diffusion = try DiffusionModel(directory: dir)
            let p = try parameters(for: diffusion)
            let k = p.chainLength(trainTimesteps: diffusion.schedule.count)
            if let steps, steps > diffusion.schedule.count {
                throw CLIError("--steps must be at most the model's \(diffusion.schedule.count) timesteps")
            }
            if let t = losslessAfter, t > k { throw CLIError("--lossless-after must be a step of the chain, 1...\(k)") }
            if progressive { return try runProgressive(images, kind: kind, model: diffusion, parameters: p) }
            let codec = try LosslessCodec(model: diffusion)
            let bar = ProgressLine(label: "encode")
            let routed = try codec.encode(images, kind: kind, parameters: p, route: route) { bar.update($0, $1) }
            try AtomicFile.write(routed.bytes, to: output)
            guard routed.route == .bitsBack, let report = routed.bitsBack else {
                return try reportDirect(routed, images: images, model: codec.modelName)
            }
            var summary: [String: Any] = [
                "bytes": report.fileBytes, "images": report.images, "dims": report.dimensions,
                "initial_bits": report.initialBits, "bits_per_dim": report.bitsPerDim,
                "net_bits_per_dim": report.netBitsPerDim, "ideal_bits_per_dim": report.idealBits / Double(report.dimensions),
                "network_seconds": report.networkSeconds, "coding_seconds": report.codingSeconds,
                "payload_bits": report.payloadBits,
                "payload_net_bits_per_dim": (report.payloadBits - report.initialBits) / Double(report.dimensions),
                "coder_overhead_bits": report.payloadBits - report.initialBits - report.idealBits,
                "model": codec.modelName, "steps": k, "route": routed.route.rawValue,
                "container_bytes": report.containerBytes, "bootstrap_patches": report.bootstrapPatches,
                "bootstrap_bits": report.bootstrapBits,
            ]
            if let d = routed.direct { summary["direct_route_bytes"] = d.bytes.count }
            if json { try printJSON(summary) } else {
                let other = routed.direct.map { String(format: "; the direct route would take %d bytes", $0.bytes.count) } ?? ""
                let boot = report.bootstrapPatches > 0
                    ? String(format: ", the first %d patch(es) direct (%.0f bits under the chain)", report.bootstrapPatches, report.bootstrapBits) : ""
                note(String(format: "%@: %d image(s), %d bytes, %.4f bits/dim (%.4f without %.0f initial bits); bits-back route%@, "
                            + "model %@, %d steps; network %.1fs, coder %.1fs%@", output, report.images, report.fileBytes,
                            report.bitsPerDim, report.netBitsPerDim, report.initialBits, boot, codec.modelName, k,
                            report.networkSeconds, report.codingSeconds, other))
            }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }

    /// The direct route's report: a progressive file with its lossless tail at T* = 1.
    func reportDirect(_ routed: RoutedEncodeResult, images: [NamedImage], model: String) throws {
        guard let d = routed.direct else { return }
        let dims = Double(routed.dimensions)
        let streamBits = Double(d.records.last?.bitEnd ?? 0)
        let theoretical = d.records.reduce(0) { $0 + $1.klBits }
        var summary: [String: Any] = [
            "bytes": d.bytes.count, "images": images.count, "dims": routed.dimensions, "route": routed.route.rawValue,
            "bits_per_dim": Double(d.bytes.count * 8) / dims, "initial_bits": 0.0,
            "net_bits_per_dim": Double(d.bytes.count * 8) / dims,
            "progressive_bits_per_dim": streamBits / dims, "theoretical_progressive_bits_per_dim": theoretical / dims,
            "decoder_step_bits_per_dim": Double(d.losslessBytes * 8) / dims, "header_bytes": d.headerBytes,
            "container_bytes": d.bytes.count - d.progressiveBytes - d.losslessBytes,
            "steps": d.records.count, "seconds": d.seconds, "model": model,
        ]
        if let b = routed.bitsBack { summary["bits_back_route_bytes"] = b.fileBytes }
        summary["direct_steps"] = Self.stepRecords(d.records)
        if json { try printJSON(summary); return }
        let other = routed.bitsBack.map { String(format: "; bits-back would take %d bytes", $0.fileBytes) } ?? ""
        note(String(format: "%@: %d image(s), %d bytes, %.4f bits/dim; direct route (no initial bits): latents %.4f bits/dim "
                    + "(theoretical %.4f), decoder step %.4f, container %d bytes; model %@%@", output, images.count,
                    d.bytes.count, Double(d.bytes.count * 8) / dims, streamBits / dims, theoretical / dims,
                    Double(d.losslessBytes * 8) / dims, d.bytes.count - d.progressiveBytes - d.losslessBytes, model, other))
    }

    /// Per step of the stream, top first: its KL and the bits it took (side information and indices).
    static func stepRecords(_ records: [ProgressiveStepRecord]) -> [[String: Any]] {
        var previous = 0
        return records.map { r in
            defer { previous = r.bitEnd }
            return ["step": r.step, "kl_bits": r.klBits, "stream_bits": r.bitEnd - previous]
        }
    }

    func runProgressive(_ images: [NamedImage], kind: SourceKind, model: DiffusionModel, parameters p: CodingParameters) throws {
        let codec = try ProgressiveCodec(model: model)
        let bar = ProgressLine(label: "encode")
        let r = try codec.encode(images, kind: kind, parameters: p) { bar.update($0, $1) }
        bar.finish()   // a tail that went direct leaves the chain's share of the bar undone
        try AtomicFile.write(r.bytes, to: output)
        let dims = Double(r.dimensions)
        let theoretical = r.records.reduce(0) { $0 + $1.klBits }
        let streamBits = Double(r.records.last?.bitEnd ?? 0)
        let summary: [String: Any] = [
            "bytes": r.bytes.count, "images": images.count, "dims": r.dimensions,
            "steps": p.chainLength(trainTimesteps: model.schedule.count),
            "bits_per_dim": Double(r.bytes.count * 8) / dims,
            "progressive_bits_per_dim": streamBits / dims,
            "progressive_with_header_bits_per_dim": (streamBits + Double(r.headerBytes * 8)) / dims,
            "theoretical_progressive_bits_per_dim": theoretical / dims,
            "lossless_bits_per_dim": Double(r.losslessBytes * 8) / dims, "initial_bits": r.initialBits,
            "header_bytes": r.headerBytes, "seconds": r.seconds,
            "lossless_after": losslessAfter ?? 0, "chunk_bits": chunkBits, "slack_bits": slackBits,
            "bootstrap_patches": r.tailBootstrapPatches,
            "model": codec.lossless.modelName,
        ]
        if json { try printJSON(summary); return }
        var line = String(format: "%@: %d image(s), %d bytes, %.4f bits/dim; to step %d: %.4f bits/dim with the container "
                          + "header, %.4f the progressive stream alone (theoretical %.4f, ratio %.3f)", output, images.count,
                          r.bytes.count, Double(r.bytes.count * 8) / dims, p.losslessAfter ?? 1,
                          (streamBits + Double(r.headerBytes * 8)) / dims, streamBits / dims, theoretical / dims,
                          streamBits / max(theoretical, 1e-9))
        if let t = losslessAfter {
            line += String(format: "; lossless below step %d: %.4f bits/dim (%.0f initial bits%@)", t,
                           Double(r.losslessBytes * 8) / dims, r.initialBits,
                           r.tailBootstrapPatches > 0 ? ", the first \(r.tailBootstrapPatches) patch(es) continued directly" : "")
        }
        note(line + String(format: "; model %@; %.1fs", codec.lossless.modelName, r.seconds))
    }
}

/// `--route automatic|bits-back|direct`.
extension LosslessRoute: ExpressibleByArgument {}

import ArgumentParser
import Codec
import Diffusion
import Foundation
import ImageIO

/// `ddpmc bound`: the variational bound in bits/dim, i.e. the codelength the lossless coder must hit.
struct BoundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bound",
        abstract: "Variational bound (negative ELBO) in bits/dim, split into prior L_T, diffusion sum L_t and decoder L_0.",
        discussion: """
            INPUT: PNG files, folders of PNGs, Fashion-MNIST idx/idx.gz files or uint8 .npy arrays (several allowed).
            Images larger or smaller than the model's sample_size are tiled into edge-replicated patches; only real \
            pixels are counted (docs/TILING.md). x_t is drawn from the seeded Philox generator, so a run is reproducible.
            --dump-noise writes the eps used as a float64 .npy of shape [steps, S]: row i = step t = i + 1, the \
            images' sub-pixels (HWC) concatenated in input order.
            --terms K estimates the sum over steps from K stratified terms per image instead of all of them \
            (unbiased; singleton strata at low t, geometrically wider ones above, one Philox-drawn t per stratum and \
            image, weighted by the stratum's width): the T = 1000 bound of many images at a tenth of the cost; the \
            standard error then includes the sampling of t. Tools/bound_reference.py --terms K draws the same t.
            """)

    @Argument(help: "images: PNG, folder of PNGs, idx/idx.gz, .npy") var inputs: [String] = []
    @Option(help: "diffusers model directory (default: Fixtures/models/fmnist28 for gray, photo32 for RGB)")
    var model: String?
    @Option(help: "seed of the x_t noise") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "respace the chain to K steps (default: all)") var steps: Int?
    @Option(help: "which timesteps the chain keeps: model (the model's own chain; no --steps needed), quadratic or even (improved-diffusion's); default: model when --steps is its length, else quadratic")
    var spacing: TimestepSpacing?
    @Option(help: "estimate the sum over steps from K stratified terms per image (default: every step)")
    var terms: Int?
    @Option(parsing: .unconditional, help: "patches per network call") var batch: Int = 64
    @Option(parsing: .unconditional, help: "use only the first N images of the inputs") var limit: Int?
    @Option(help: "clip x^_0 to the config's range before the posterior mean for t >= 2: config, yes, no")
    var clip: ClipChoice = .config
    @Flag(help: "also clip x^_0 at the decoder step t = 1 (not the codec's default)") var clipDecoder = false
    @Flag(help: "print machine-readable results on stdout") var json = false
    @Option(help: "write the ideal per-step rate as CSV (t, model_timestep, term, mean_bits_per_dim)")
    var perStep: String?
    @Option(help: "write the x_t noise eps as a float64 .npy [steps, sub-pixels]") var dumpNoise: String?

    enum ClipChoice: String, ExpressibleByArgument { case config, yes, no }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        guard !inputs.isEmpty else { throw CLIError("no input images given") }
        if terms != nil, perStep != nil || dumpNoise != nil {
            throw CLIError("--terms estimates the bound from sampled steps; --per-step and --dump-noise need every step")
        }
        var images: [PixelImage] = []
        for path in inputs {
            do {
                for item in try ImageSource.load(path: path).items {
                    let i = item.image
                    images.append(PixelImage(name: item.name, height: i.height, width: i.width, channels: i.channels,
                                             levels: i.pixels))
                }
            } catch { throw CLIError("\(error)") }
        }
        if let limit { images = Array(images.prefix(max(0, limit))) }
        guard !images.isEmpty else { throw CLIError("the inputs hold no images") }

        let directory = try model ?? defaultModel(for: images)
        do {
            let diffusion = try DiffusionModel(directory: directory)
            let chosen = spacing ?? (steps != nil && steps == diffusion.chain?.steps ? .model : .quadratic)
            let evaluator = try BoundEvaluator(
                model: diffusion, steps: steps, spacing: chosen, terms: terms, seed: seed, batchSize: batch,
                clipDenoised: clip == .config ? nil : clip == .yes, clipDecoder: clipDecoder)
            let report = try evaluate(evaluator, images)
            if let perStep { try writePerStep(report, to: perStep) }
            if json { try printJSON(jsonObject(report, model: directory, evaluator: evaluator)) }
            else { printHuman(report, evaluator: evaluator) }
        } catch let error as DiffusionError {
            throw CLIError("\(error)")
        }
    }

    /// The bundled model for the images' content (BundledModelChoice).
    func defaultModel(for images: [PixelImage]) throws -> String {
        var pictures: [Image] = []
        for i in images {
            do { pictures.append(try Image(width: i.width, height: i.height, channels: i.channels, pixels: i.levels)) }
            catch { throw CLIError("\(i.name): \(error)") }
        }
        return try bundledModelDirectory(for: pictures)
    }

    func evaluate(_ evaluator: BoundEvaluator, _ images: [PixelImage]) throws -> BoundReport {
        let progress = ProgressLine(label: "bound")
        let show: (Int, Int) -> Void = { progress.update($0, $1) }
        guard let dumpNoise else { return try evaluator.evaluate(images, progress: show) }

        let stream = try NPYFloat64Stream(path: dumpNoise,
                                          shape: [evaluator.schedule.count, images.reduce(0) { $0 + $1.dimensions }])
        var writeError: Error?
        let report: BoundReport
        do {
            report = try evaluator.evaluate(images, progress: show) { _, _, eps in
                guard writeError == nil else { return }
                do { try stream.append(eps) } catch { writeError = error }
            }
        } catch {
            stream.abandon()
            throw error
        }
        if let writeError {
            stream.abandon()
            throw CLIError("cannot write '\(dumpNoise)': \(writeError)")
        }
        try stream.finish()
        return report
    }

    func writePerStep(_ report: BoundReport, to path: String) throws {
        var csv = "t,model_timestep,term,mean_bits_per_dim\n"
        for (i, rate) in report.stepMeans.enumerated() {
            csv += "\(i + 1),\(report.modelTimesteps[i]),\(i == 0 ? "decoder" : "diffusion"),\(rate)\n"
        }
        let k = report.stepMeans.count
        csv += "\(k + 1),\(report.modelTimesteps[k - 1]),prior,\(report.priorMean)\n"
        do { try AtomicFile.write(Array(csv.utf8), to: path) } catch { throw CLIError("\(error)") }
    }

    func jsonObject(_ report: BoundReport, model: String, evaluator: BoundEvaluator) -> [String: Any] {
        [
            "model": model,
            "steps": evaluator.schedule.count,
            "spacing": evaluator.spacing?.rawValue ?? "none",
            "terms_per_image": report.termsPerImage,
            "estimate": report.isEstimate,
            "mean_bits_per_dim": report.mean,
            "stderr": report.standardError.map { $0 as Any } ?? NSNull(),
            "images": report.images.map {
                ["name": $0.name, "bits_per_dim": $0.total, "prior": $0.prior, "diffusion": $0.diffusion,
                 "decoder": $0.decoder] as [String: Any]
            },
        ]
    }

    func printHuman(_ report: BoundReport, evaluator: BoundEvaluator) {
        let p = evaluator.process
        let spaced = evaluator.spacing.map { " (\($0.rawValue) spacing)" } ?? ""
        print("model \(evaluator.model.directory): \(p.schedule.count) steps\(spaced), variance \(p.varianceType.rawValue), "
            + "x^_0 clipped for t >= 2: \(p.clipDenoised ? "yes" : "no"), at t = 1: \(p.clipDecoder ? "yes" : "no"), seed \(seed)")
        if report.isEstimate {
            print("stratified estimate: \(report.termsPerImage) of \(p.schedule.count) terms per image, t drawn per image; "
                + "the standard error includes the sampling of t")
        }
        let width = max(5, report.images.map(\.name.count).max() ?? 0)
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        print(pad("image") + "  bits/dim    prior L_T  diffusion sum L_t  decoder L_0")
        for r in report.images {
            print(pad(r.name) + String(format: "  %8.5f  %11.7f  %17.5f  %11.5f", r.total, r.prior, r.diffusion, r.decoder))
        }
        let se = report.standardError.map { String(format: " ± %.5f", $0) } ?? ""
        let n = report.images.count
        print(String(format: "mean %.5f", report.mean) + se + " bits/dim over \(n) image\(n == 1 ? "" : "s") "
            + String(format: "(prior %.7f, diffusion %.5f, decoder %.5f)",
                     report.priorMean, report.diffusionMean, report.decoderMean))
    }
}

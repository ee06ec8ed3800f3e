import Diffusion
import Foundation
import ImageIO

/// The rate–distortion study of progressive coding (DDPM §4.3, Fig. 5) from one real encode:
/// per recorded step, per image and for the whole set, the theoretical rate (L_T + Σ KL so far),
/// the actual stream bits so far, and the distortion of what a receiver would show.
///
/// Bits are attributed to images through their patches: each patch's KL and its own record in the
/// stream go to its image, and a step's shared bit (ProgressiveCoder) is split evenly between
/// the patches, so the images' bits add up to the stream's.
public struct RDStudy {
    public struct Row: Equatable, Sendable {
        public var image: String
        public var step: Int
        public var reconstruction: String
        /// Cumulative rates in bits/dim, distortion as RMSE on the 0...255 scale.
        public var theoretical: Double
        public var actual: Double
        public var rmse: Double
        public var psnr: Double { rmse > 0 ? 20 * log10(255 / rmse) : 100 }

        public init(image: String, step: Int, reconstruction: String, theoretical: Double, actual: Double, rmse: Double) {
            self.image = image; self.step = step; self.reconstruction = reconstruction
            self.theoretical = theoretical; self.actual = actual; self.rmse = rmse
        }
    }

    public struct Result {
        public var rows: [Row]
        /// x̂0 of the first `sheetImages` images at the sheet's steps, from t = K down.
        public var frames: [(step: Int, images: [[UInt8]])]
        public var headerBits: Double
        public var dimensions: Int
        /// The progressive stream's length in bits (its last step's end).
        public var streamBits: Int
        public var seconds: Double
        /// Per recorded step whose model has a preview prior: the least-squares weight of x̂0 about the
        /// prior's mean on these images, from the coder's own x_t (`Tools/preview_prior.py --from-rd`).
        public var previewFit: [PreviewFit] = []
    }

    /// Σ (x̂0 − m)(x0 − m) and Σ (x̂0 − m)² over a step's sub-pixels (model space).
    public struct PreviewFit: Sendable {
        public var step: Int
        public var timestep: Int
        public var cross: Double
        public var spread: Double
        public var weight: Double { spread > 0 ? min(max(cross / spread, 0), 1) : 0 }
    }

    public let codec: ProgressiveCodec
    public var parameters: CodingParameters
    /// Record every k-th step (the first and last always).
    public var every = 1
    /// Steps at which `sample` and `ddim` are measured too.
    public var extraSteps: [Int] = []
    /// Images and steps of the contact sheet.
    public var sheetImages = 4
    public var sheetSteps: Set<Int> = []

    public init(codec: ProgressiveCodec, parameters: CodingParameters) {
        self.codec = codec
        var p = parameters
        p.mode = .progressive
        p.losslessAfter = nil
        self.parameters = p
    }

    public var chainLength: Int { parameters.chainLength(trainTimesteps: codec.model.schedule.count) }

    /// The default extra steps: four spread over the chain.
    public static func defaultExtraSteps(chain k: Int) -> [Int] {
        Array(Set([k * 3 / 4, k / 2, k / 4, max(1, k / 10)].filter { $0 >= 1 })).sorted(by: >)
    }

    public func run(_ images: [NamedImage], progress: (_ done: Int, _ total: Int) -> Void = { _, _ in },
                    extraProgress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> Result {
        let model = codec.model
        let k = chainLength
        let net = try codec.network(parameters)
        let entries = images.map { ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels) }
        let shapes = Patches.shapes(entries, model: model)
        let owner = Patches.owners(entries, model: model)
        let dims = entries.map { $0.width * $0.height * $0.channels }
        let totalDims = Double(dims.reduce(0, +))
        let originals = images.map { $0.image.pixels }
        let recorded: (Int) -> Bool = { t in t == k || t == 1 || (k - t) % every == 0 || extraSteps.contains(t) }
        let sheetCount = min(sheetImages, images.count)

        var previousEnd = 0
        var klCum = [Double](repeating: 0, count: images.count)
        var bitsCum = [Double](repeating: 0, count: images.count)
        var rows: [Row] = []
        var kept: [Int: (ProgressiveCoder.StepState, [Double], [Double])] = [:]
        var frames: [(step: Int, images: [[UInt8]])] = []
        var previewFit: [PreviewFit] = []
        let targets = codec.lossless.items(images).map { $0.pixels.map { 2 * Double($0) / 255 - 1 } }

        func distortions(_ planes: [[Double]]) -> ([Double], [[UInt8]]) {
            let whole = Patches.assemble(planes, entries: entries, model: model, fill: 0.0)
            var sse = [Double](repeating: 0, count: images.count)
            var pixels: [[UInt8]] = []
            for (n, x) in whole.enumerated() {
                let px = Patches.pixels(x)
                for d in px.indices { let e = Double(px[d]) - Double(originals[n][d]); sse[n] += e * e }
                pixels.append(px)
            }
            return (sse, pixels)
        }
        func addRows(step t: Int, reconstruction: String, sse: [Double], kl: [Double], bits: [Double]) {
            for n in images.indices {
                rows.append(Row(image: images[n].name, step: t, reconstruction: reconstruction, theoretical: kl[n] / Double(dims[n]),
                                actual: bits[n] / Double(dims[n]), rmse: (sse[n] / Double(dims[n])).squareRoot()))
            }
            rows.append(Row(image: "ALL", step: t, reconstruction: reconstruction, theoretical: kl.reduce(0, +) / totalDims,
                            actual: bits.reduce(0, +) / totalDims, rmse: (sse.reduce(0, +) / totalDims).squareRoot()))
        }

        let result = try codec.encode(images, kind: .folder, parameters: parameters, progress: progress) { state in
            let shared = Double(state.bitEnd - previousEnd - state.itemStreamBits.reduce(0, +)) / Double(owner.count)
            previousEnd = state.bitEnd
            for (j, n) in owner.enumerated() {
                klCum[n] += state.itemKLBits[j]
                bitsCum[n] += Double(state.itemStreamBits[j]) + shared
            }
            guard recorded(state.step) || sheetSteps.contains(state.step) else { return }
            let planes = Reconstruction.xhat.run(network: net, shapes: shapes, state: state, seed: parameters.seed)
            let (sse, pixels) = distortions(planes)
            if recorded(state.step) {
                addRows(step: state.step, reconstruction: "xhat", sse: sse, kl: klCum, bits: bitsCum)
                // The same step without the preview prior: what it gains, in the same study.
                if let prior = model.preview {
                    let raw = Reconstruction.xhatRaw.run(network: net, shapes: shapes, state: state, seed: parameters.seed)
                    addRows(step: state.step, reconstruction: Reconstruction.xhatRaw.rawValue, sse: distortions(raw).0,
                            kl: klCum, bits: bitsCum)
                    var fit = PreviewFit(step: state.step, timestep: net.process.schedule.modelTimesteps[state.step - 1],
                                         cross: 0, spread: 0)
                    for (j, shape) in shapes.enumerated() {
                        for (d, m) in prior.meanValues(shape).enumerated() {
                            fit.cross += (raw[j][d] - m) * (targets[j][d] - m)
                            fit.spread += (raw[j][d] - m) * (raw[j][d] - m)
                        }
                    }
                    previewFit.append(fit)
                }
            }
            if extraSteps.contains(state.step) { kept[state.step] = (state, klCum, bitsCum) }
            if sheetSteps.contains(state.step), sheetCount > 0 { frames.append((state.step, Array(pixels.prefix(sheetCount)))) }
        }
        let extraWork = extraSteps.reduce(0) { $0 + 2 * $1 }
        var extraDone = 0
        for t in extraSteps {
            guard let (state, kl, bits) = kept[t] else { continue }
            for mode in [Reconstruction.sample, .ddim] {
                let (sse, _) = distortions(mode.run(network: net, shapes: shapes, state: state, seed: parameters.seed))
                addRows(step: t, reconstruction: mode.rawValue, sse: sse, kl: kl, bits: bits)
                extraDone += t
                extraProgress(extraDone, extraWork)
            }
        }
        return Result(rows: rows, frames: frames, headerBits: Double(result.headerBytes * 8), dimensions: Int(totalDims),
                      streamBits: result.records.last?.bitEnd ?? 0, seconds: result.seconds, previewFit: previewFit)
    }
}

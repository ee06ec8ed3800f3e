import Numerics
import Tensor

/// The variational bound (negative ELBO) of images under a diffusion model, as a codelength:
///
///   L = L_T + sum_{t=2..K} L_{t-1} + L_0   (nats; reported per image in bits per sub-pixel)
///
///   L_T      KL(q(x_K | x_0) || N(0, I)), analytic;
///   L_{t-1}  KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)), analytic, at one
///            x_t ~ q(x_t | x_0) per image and step (seeded Philox noise, see ForwardNoise);
///   L_0      -log of the discretized Gaussian decoder mass of the image under
///            N(mu(x_1, 1), sigma_1^2) (DiscretizedDecoder).
///
/// These are the DDPM authors' `calc_bpd_loop` terms, except that the decoder masses are exact
/// (not the tanh CDF approximation) and x^_0 is not clipped at t = 1 unless asked
/// (ReverseProcess.clipDecoder). All images and patches of a step go through the network together,
/// in chunks of `batchSize`.
public struct BoundEvaluator: Sendable {
    public let model: DiffusionModel
    public let process: ReverseProcess
    public var seed: UInt64
    public var batchSize: Int
    /// nil: every step's term (the exact sum); otherwise the stratified estimate of StepStrata.
    public let strata: StepStrata?
    /// The spacing of a respaced chain; nil for the model's full chain.
    public let spacing: TimestepSpacing?

    public var schedule: NoiseSchedule { process.schedule }

    /// `steps`: respace to K steps (nil = the model's full schedule) with `spacing`. `terms`: estimate the sum
    /// over steps from at most this many stratified terms per image (nil = all K). `clipDenoised`:
    /// clip x^_0 for t >= 2 (nil = the scheduler config's clip_sample).
    public init(model: DiffusionModel, steps: Int? = nil, spacing: TimestepSpacing = .even, terms: Int? = nil,
                seed: UInt64 = 0, batchSize: Int = 64, clipDenoised: Bool? = nil, clipDecoder: Bool = false)
        throws(DiffusionError)
    {
        guard batchSize >= 1 else { throw .invalidArgument(detail: "the batch size must be at least 1, got \(batchSize)") }
        let process = try model.reverseProcess(steps: steps, spacing: spacing, clipDenoised: clipDenoised,
                                               clipDecoder: clipDecoder)
        let schedule = process.schedule
        self.spacing = schedule.count < model.schedule.count ? spacing : nil
        self.model = model
        self.process = process
        self.seed = seed
        self.batchSize = batchSize
        if let terms, terms < schedule.count {
            self.strata = try StepStrata(steps: schedule.count, terms: terms)
        } else {
            self.strata = nil
        }
    }

    /// Terms evaluated per image: the steps, or the strata of an estimate.
    public var termsPerImage: Int { strata?.ranges.count ?? schedule.count }

    /// Network calls `evaluate` makes for these images (for progress totals).
    public func networkCalls(for images: [PixelImage]) -> Int {
        let patches = images.reduce(0) { $0 + model.tiling.grid(height: $1.height, width: $1.width).count }
        return (patches * termsPerImage + batchSize - 1) / batchSize
    }

    /// One term of the bound: image `image`'s L at step index `step` (= t - 1), counted `weight` times.
    struct Term {
        var image: Int
        var step: Int
        var weight: Double
    }

    /// The terms to evaluate, ordered by step (strata) and image within a step.
    func termList(imageCount: Int) -> [Term] {
        guard let strata else {
            return (0..<schedule.count).flatMap { i in (0..<imageCount).map { Term(image: $0, step: i, weight: 1) } }
        }
        let draws = (0..<imageCount).map { strata.draws(seed: seed, image: $0) }
        return strata.ranges.indices.flatMap { j in
            (0..<imageCount).map { Term(image: $0, step: draws[$0][j].step - 1, weight: Double(draws[$0][j].weight)) }
        }
    }

    /// The bound of every image. `progress(done, total)` is called after each network call;
    /// `noise(step, image, eps)` sees the eps used for each term, in the order of the terms (for
    /// the exact sum: steps in increasing order, images in order within a step). `network`
    /// replaces the model's U-Net (tests replay another implementation's outputs through it, to
    /// check the bound's arithmetic apart from the network's float32 round-off).
    ///
    /// Patches of consecutive terms share network calls of `batchSize` patches, each patch with
    /// its own timestep.
    public func evaluate(_ images: [PixelImage],
                         progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                         noise: ((_ step: Int, _ image: Int, _ eps: [Double]) -> Void)? = nil,
                         network: ((_ sample: FeatureMap, _ timesteps: [Double]) -> FeatureMap)? = nil)
        throws(DiffusionError) -> BoundReport
    {
        guard !images.isEmpty else { throw .noImages }
        for image in images where image.channels != model.channels {
            throw .incompatibleImage(name: image.name, detail: "it has \(image.channels) channel\(image.channels == 1 ? "" : "s"), "
                + "the model in '\(model.directory)' expects \(model.channels)")
        }
        let tilings = images.map { model.tiling.grid(height: $0.height, width: $0.width) }
        let x0 = images.map(\.modelValues)
        let terms = termList(imageCount: images.count)
        let jobs = terms.indices.flatMap { term in (0..<tilings[terms[term].image].count).map { (term: term, patch: $0) } }
        let totalCalls = (jobs.count + batchSize - 1) / batchSize
        var calls = 0

        let ln2 = 0x1.62e42fefa39efp-1
        let scales = images.map { 1 / (Double($0.dimensions) * ln2) }
        var decoderNats = [Double](repeating: 0, count: images.count)
        var diffusionNats = [Double](repeating: 0, count: images.count)
        var stepMeans = [Double](repeating: 0, count: schedule.count)
        // x_t of the terms whose patches are in flight, and their partial sums.
        var xt: [Int: [Double]] = [:]
        var termNats: [Int: Double] = [:]
        var start = 0
        while start < jobs.count {
            let chunk = Array(jobs[start..<Swift.min(start + batchSize, jobs.count)])
            for job in chunk where xt[job.term] == nil {
                let term = terms[job.term], n = term.image
                var eps = [Double](repeating: 0, count: images[n].dimensions)
                ForwardNoise.fill(&eps, seed: seed, image: n, timestep: schedule.modelTimesteps[term.step] + 1)
                noise?(term.step, n, eps)
                let a = schedule.sqrtAlphasCumprod[term.step], b = (1 - schedule.alphasCumprod[term.step]).squareRoot()
                xt[job.term] = (0..<eps.count).map { a * x0[n][$0] + b * eps[$0] }
            }
            let nats = patchTerms(chunk: chunk.map { (step: terms[$0.term].step, image: terms[$0.term].image, patch: $0.patch) },
                                  tilings: tilings, images: images, x0: x0, xt: chunk.map { xt[$0.term]! }, network: network)
            for (j, job) in chunk.enumerated() {
                termNats[job.term, default: 0] += nats[j]
                guard job.patch == tilings[terms[job.term].image].count - 1 else { continue }
                // The term's last patch: fold it into its image.
                let term = terms[job.term], n = term.image
                let sum = termNats.removeValue(forKey: job.term)! * term.weight
                xt[job.term] = nil
                if term.step == 0 { decoderNats[n] += sum } else { diffusionNats[n] += sum }
                stepMeans[term.step] += sum * scales[n] / Double(images.count)
            }
            start += chunk.count
            calls += 1
            progress?(calls, totalCalls)
        }

        let results = images.indices.map { n in
            ImageBound(name: images[n].name, dimensions: images[n].dimensions, prior: priorNats(x0[n]) * scales[n],
                       diffusion: diffusionNats[n] * scales[n], decoder: decoderNats[n] * scales[n])
        }
        return BoundReport(images: results, stepMeans: stepMeans, modelTimesteps: schedule.modelTimesteps,
                           termsPerImage: termsPerImage)
    }

    /// L_T in nats: every sub-pixel's KL(N(sqrt(abar_K) x_0, 1 - abar_K) || N(0, 1)).
    func priorNats(_ x0: [Double]) -> Double {
        let last = schedule.count - 1
        let a = schedule.sqrtAlphasCumprod[last]
        let logVariance = DetMath.log(schedule.oneMinusAlphasCumprod[last])
        return x0.reduce(0.0) { $0 + GaussianTerms.klToStandardNormal(mean: a * $1, logVariance: logVariance) }
    }

    /// One batch of patches (each at its own step index) through the network; returns each
    /// patch's summed term (nats) over its real sub-pixels. `xt[j]` is x_t of patch j's image.
    private func patchTerms(chunk: [(step: Int, image: Int, patch: Int)], tilings: [PatchTiling],
                            images: [PixelImage], x0: [[Double]], xt: [[Double]],
                            network: ((FeatureMap, [Double]) -> FeatureMap)?) -> [Double] {
        let c = model.channels
        var shapes: [ChainShape] = [], values: [[Double]] = []
        for (j, job) in chunk.enumerated() {
            let (h, w) = tilings[job.image].realSize(job.patch)
            shapes.append(ChainShape(height: h, width: w, channels: c))
            values.append(tilings[job.image].real(job.patch, of: xt[j], channels: c))
        }
        var net = PatchNetwork(model: model, process: process)
        net.maximumBatch = Swift.max(net.maximumBatch, chunk.count)
        let outputs = net.outputs(shapes: shapes, values: values, steps: chunk.map(\.step), network: network)
        let learned = process.varianceType.isLearned
        var nats = [Double](repeating: 0, count: chunk.count)
        nats.withUnsafeMutableBufferPointer { result in
            parallelRanges(chunk.count) { range in
                for j in range {
                    let job = chunk[j], i = job.step
                    let tiling = tilings[job.image]
                    let (y0, x0p) = tiling.origin(job.patch)
                    let (rh, rw) = tiling.realSize(job.patch)
                    let outChannels = outputs[j].count / (rh * rw)
                    let levels = images[job.image].levels
                    let clean = x0[job.image], noisy = xt[j]
                    var sum = 0.0
                    outputs[j].withUnsafeBufferPointer { out in
                        for py in 0..<rh {
                            for px in 0..<rw {
                                let s = ((y0 + py) * tiling.width + x0p + px) * c
                                let o = (py * rw + px) * outChannels
                                for ch in 0..<c {
                                    let eps = Double(out[o + ch])
                                    let v = learned ? Double(out[o + c + ch]) : 0
                                    let (mean, logVariance) = process.model(xt: noisy[s + ch], eps: eps, v: v, at: i)
                                    if i == 0 {
                                        sum += DiscretizedDecoder.negativeLogLikelihood(
                                            level: Int(levels[s + ch]), mean: mean, logVariance: logVariance)
                                    } else {
                                        let q = process.posterior(x0: clean[s + ch], xt: noisy[s + ch], at: i)
                                        sum += GaussianTerms.normalKL(mean1: q.mean, logVariance1: q.logVariance,
                                                                      mean2: mean, logVariance2: logVariance)
                                    }
                                }
                            }
                        }
                    }
                    result[j] = sum
                }
            }
        }
        return nats
    }
}

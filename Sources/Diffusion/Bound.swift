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

    public var schedule: NoiseSchedule { process.schedule }

    /// `steps`: respace to K steps (nil = the model's full schedule). `clipDenoised`: clip x^_0
    /// for t >= 2 (nil = the scheduler config's clip_sample).
    public init(model: DiffusionModel, steps: Int? = nil, seed: UInt64 = 0, batchSize: Int = 64,
                clipDenoised: Bool? = nil, clipDecoder: Bool = false) throws(DiffusionError) {
        guard batchSize >= 1 else { throw .invalidArgument(detail: "the batch size must be at least 1, got \(batchSize)") }
        var schedule = model.schedule
        if let steps { schedule = try schedule.respaced(steps: steps) }
        self.model = model
        self.process = ReverseProcess(schedule: schedule, varianceType: model.scheduler.varianceType,
                                      clipDenoised: clipDenoised ?? model.scheduler.clipSample,
                                      clipDecoder: clipDecoder, clipRange: model.scheduler.clipSampleRange)
        self.seed = seed
        self.batchSize = batchSize
    }

    /// Network calls `evaluate` makes for these images (for progress totals).
    public func networkCalls(for images: [PixelImage]) -> Int {
        schedule.count * chunkCount(images)
    }

    /// The bound of every image. `progress(done, total)` is called after each network call;
    /// `noise(step, image, eps)` sees the eps used for each image at step index i = t - 1,
    /// steps in increasing order, images in order within a step. `network` replaces the model's
    /// U-Net (tests replay another implementation's outputs through it, to check the bound's
    /// arithmetic apart from the network's float32 round-off).
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
        let tilings = images.map {
            PatchTiling(height: $0.height, width: $0.width, patchHeight: model.patchHeight, patchWidth: model.patchWidth)
        }
        let jobs = tilings.enumerated().flatMap { n, tiling in (0..<tiling.count).map { (image: n, patch: $0) } }
        let x0 = images.map(\.modelValues)
        let k = schedule.count
        let totalCalls = networkCalls(for: images)
        var calls = 0

        let ln2 = 0x1.62e42fefa39efp-1
        let scales = images.map { 1 / (Double($0.dimensions) * ln2) }
        var decoderNats = [Double](repeating: 0, count: images.count)
        var diffusionNats = [Double](repeating: 0, count: images.count)
        var stepMeans = [Double](repeating: 0, count: k)
        for i in 0..<k {
            let t = schedule.modelTimesteps[i]
            var xt: [[Double]] = []
            xt.reserveCapacity(images.count)
            for n in images.indices {
                var eps = [Double](repeating: 0, count: images[n].dimensions)
                ForwardNoise.fill(&eps, seed: seed, image: n, timestep: t + 1)
                noise?(i, n, eps)
                let a = schedule.sqrtAlphasCumprod[i], b = (1 - schedule.alphasCumprod[i]).squareRoot()
                xt.append((0..<eps.count).map { a * x0[n][$0] + b * eps[$0] })
            }
            var stepNats = [Double](repeating: 0, count: images.count)
            var start = 0
            while start < jobs.count {
                let chunk = jobs[start..<Swift.min(start + batchSize, jobs.count)]
                let nats = terms(step: i, chunk: Array(chunk), tilings: tilings, images: images, x0: x0, xt: xt,
                                 network: network)
                for (j, job) in chunk.enumerated() { stepNats[job.image] += nats[j] }
                start += chunk.count
                calls += 1
                progress?(calls, totalCalls)
            }
            for n in images.indices {
                if i == 0 { decoderNats[n] = stepNats[n] } else { diffusionNats[n] += stepNats[n] }
                stepMeans[i] += stepNats[n] * scales[n] / Double(images.count)
            }
        }

        let results = images.indices.map { n in
            ImageBound(name: images[n].name, dimensions: images[n].dimensions, prior: priorNats(x0[n]) * scales[n],
                       diffusion: diffusionNats[n] * scales[n], decoder: decoderNats[n] * scales[n])
        }
        return BoundReport(images: results, stepMeans: stepMeans, modelTimesteps: schedule.modelTimesteps)
    }

    /// L_T in nats: every sub-pixel's KL(N(sqrt(abar_K) x_0, 1 - abar_K) || N(0, 1)).
    func priorNats(_ x0: [Double]) -> Double {
        let last = schedule.count - 1
        let a = schedule.sqrtAlphasCumprod[last]
        let logVariance = DetMath.log(schedule.oneMinusAlphasCumprod[last])
        return x0.reduce(0.0) { $0 + GaussianTerms.klToStandardNormal(mean: a * $1, logVariance: logVariance) }
    }

    private func chunkCount(_ images: [PixelImage]) -> Int {
        let patches = images.reduce(0) {
            $0 + PatchTiling(height: $1.height, width: $1.width, patchHeight: model.patchHeight,
                             patchWidth: model.patchWidth).count
        }
        return (patches + batchSize - 1) / batchSize
    }

    /// One network call over a chunk of patches at step index i; returns each patch's summed
    /// term (nats) over its real sub-pixels.
    private func terms(step i: Int, chunk: [(image: Int, patch: Int)], tilings: [PatchTiling],
                       images: [PixelImage], x0: [[Double]], xt: [[Double]],
                       network: ((FeatureMap, [Double]) -> FeatureMap)?) -> [Double] {
        let c = model.channels, ph = model.patchHeight, pw = model.patchWidth
        let patchSize = ph * pw * c
        var input = [Float](repeating: 0, count: chunk.count * patchSize)
        for (j, job) in chunk.enumerated() {
            tilings[job.image].extract(job.patch, from: xt[job.image], channels: c, into: &input, at: j * patchSize)
        }
        let t = Double(schedule.modelTimesteps[i])
        let sample = FeatureMap(batch: chunk.count, height: ph, width: pw, channels: c, data: input)
        let timesteps = [Double](repeating: t, count: chunk.count)
        let output = network?(sample, timesteps) ?? model.network(sample, timesteps: timesteps)
        precondition(output.batch == chunk.count && output.height == ph && output.width == pw
                     && output.channels == model.network.config.outChannels, "Bound: the network output has the wrong shape")
        let outChannels = output.channels
        let learned = process.varianceType.isLearned
        var nats = [Double](repeating: 0, count: chunk.count)
        output.data.withUnsafeBufferPointer { out in
            nats.withUnsafeMutableBufferPointer { result in
                parallelRanges(chunk.count) { range in
                    for j in range {
                        let job = chunk[j]
                        let tiling = tilings[job.image]
                        let (y0, x0p) = tiling.origin(job.patch)
                        let (rh, rw) = tiling.realSize(job.patch)
                        let levels = images[job.image].levels
                        let clean = x0[job.image], noisy = xt[job.image]
                        var sum = 0.0
                        for py in 0..<rh {
                            for px in 0..<rw {
                                let s = ((y0 + py) * tiling.width + x0p + px) * c
                                let o = ((j * ph + py) * pw + px) * outChannels
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
                        result[j] = sum
                    }
                }
            }
        }
        return nats
    }
}

import Diffusion
import EntropyCoding
import Numerics
import Tensor

/// One network-sized piece of an image: its real pixels (HWC) and where the padding comes from.
public struct ChainItem: Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public let pixels: [UInt8]
    public var dimensions: Int { pixels.count }

    public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == height * width * channels)
        self.height = height; self.width = width; self.channels = channels; self.pixels = pixels
    }
}

/// Running totals of what was coded, for overhead accounting.
public struct ChainStatistics: Sendable {
    /// Σ −log2 of the quantized masses pushed minus those popped.
    public var idealBits = 0.0
    public var networkSeconds = 0.0
    public var codingSeconds = 0.0
}

/// Bits-back coding over the diffusion chain in the Bit-Swap order (design §4):
///
///     encode:  for t = 1...K:  pop x_t ~ q(x_t | x_{t-1});  push x_{t-1} with p(x_{t-1} | x_t)
///              push x_K with N(0, I)
///     decode:  pop x_K;  for t = K...1:  pop x_{t-1} with p(. | x_t);  push x_t with q(. | x_{t-1})
///
/// A group of items runs in lock-step so each step is one batched network call; items of a step
/// are pushed in order and popped in reverse. Latents are grid indices (LatentCoder).
public struct BitsBackChain: Sendable {
    public let model: DiffusionModel
    public let process: ReverseProcess
    public let latents: LatentCoder
    /// Per step index i = t - 1: sqrt(α_t) and sqrt(β_t).
    let sqrtAlphas: [Double]
    let sqrtBetas: [Double]

    public init(model: DiffusionModel, process: ReverseProcess, latents: LatentCoder) {
        self.model = model
        self.process = process
        self.latents = latents
        sqrtAlphas = process.schedule.betas.map { (1 - $0).squareRoot() }
        sqrtBetas = process.schedule.betas.map { $0.squareRoot() }
    }

    var steps: Int { process.schedule.count }

    // MARK: encoding

    public func encode(_ items: [ChainItem], onto stack: inout RANSStack, statistics: inout ChainStatistics,
                       progress: (Int) -> Void) throws {
        let k = steps
        var previous: [[Int]] = []   // grid indices of x_{t-1} (empty at t = 1: the pixels)
        for t in 1...k {
            let i = t - 1, delta = latents.deltas[i]
            var clock = ContinuousClock.now
            // Pop x_t for every item.
            var current: [[Int]] = []
            for (j, item) in items.enumerated() {
                var xt = [Int](repeating: 0, count: item.dimensions)
                for d in 0..<item.dimensions {
                    let prev = t == 1 ? DiscretizedDecoder.value(Int(item.pixels[d]))
                                      : Double(previous[j][d]) * latents.deltas[i - 1]
                    let before = stack.bitCount
                    xt[d] = try latents.pop(mean: sqrtAlphas[i] * prev, std: sqrtBetas[i], delta: delta, from: &stack)
                    statistics.idealBits -= before - stack.bitCount
                }
                current.append(xt)
            }
            statistics.codingSeconds += clock.lap()
            let outputs = network(items: items, latents: current, delta: delta, step: i)
            statistics.networkSeconds += clock.lap()
            // Push x_{t-1} for every item under p(x_{t-1} | x_t).
            for (j, item) in items.enumerated() {
                let (means, stds) = reverseStep(outputs[j], latents: current[j], delta: delta, step: i)
                if t == 1 {
                    for d in stride(from: item.dimensions - 1, through: 0, by: -1) {
                        let before = stack.bitCount
                        try DiscretizedGaussianPixelCodec(mean: means[d], std: stds[d]).push(item.pixels[d], onto: &stack)
                        statistics.idealBits += stack.bitCount - before
                    }
                } else {
                    let prevDelta = latents.deltas[i - 1]
                    for d in stride(from: item.dimensions - 1, through: 0, by: -1) {
                        let before = stack.bitCount
                        try latents.push(previous[j][d], mean: means[d], std: stds[d], delta: prevDelta, onto: &stack)
                        statistics.idealBits += stack.bitCount - before
                    }
                }
            }
            statistics.codingSeconds += clock.lap()
            previous = current
            progress(t)
        }
        // The prior: x_K under N(0, I).
        for (j, item) in items.enumerated() {
            for d in stride(from: item.dimensions - 1, through: 0, by: -1) {
                let before = stack.bitCount
                try latents.push(previous[j][d], mean: 0, std: 1, delta: latents.deltas[k - 1], onto: &stack)
                statistics.idealBits += stack.bitCount - before
            }
        }
    }

    // MARK: decoding

    public func decode(shapes: [(height: Int, width: Int, channels: Int)], from stack: inout RANSStack,
                       statistics: inout ChainStatistics, progress: (Int) -> Void) throws -> [[UInt8]] {
        let k = steps
        var current: [[Int]] = shapes.map { [Int](repeating: 0, count: $0.height * $0.width * $0.channels) }
        for j in stride(from: shapes.count - 1, through: 0, by: -1) {
            for d in 0..<current[j].count {
                current[j][d] = try latents.pop(mean: 0, std: 1, delta: latents.deltas[k - 1], from: &stack)
            }
        }
        var pixels: [[UInt8]] = shapes.map { [UInt8](repeating: 0, count: $0.height * $0.width * $0.channels) }
        let items = shapes.map { ChainItem(height: $0.height, width: $0.width, channels: $0.channels,
                                           pixels: [UInt8](repeating: 0, count: $0.height * $0.width * $0.channels)) }
        for t in stride(from: k, through: 1, by: -1) {
            let i = t - 1, delta = latents.deltas[i]
            var clock = ContinuousClock.now
            let outputs = network(items: items, latents: current, delta: delta, step: i)
            statistics.networkSeconds += clock.lap()
            var previous: [[Int]] = Array(repeating: [], count: shapes.count)
            for j in stride(from: shapes.count - 1, through: 0, by: -1) {
                let (means, stds) = reverseStep(outputs[j], latents: current[j], delta: delta, step: i)
                let n = current[j].count
                if t == 1 {
                    for d in 0..<n {
                        pixels[j][d] = try DiscretizedGaussianPixelCodec(mean: means[d], std: stds[d]).pop(from: &stack)
                    }
                } else {
                    var prev = [Int](repeating: 0, count: n)
                    for d in 0..<n {
                        prev[d] = try latents.pop(mean: means[d], std: stds[d], delta: latents.deltas[i - 1], from: &stack)
                    }
                    previous[j] = prev
                }
            }
            // Push x_t back with q(x_t | x_{t-1}), undoing the encoder's pops.
            for j in stride(from: shapes.count - 1, through: 0, by: -1) {
                for d in stride(from: current[j].count - 1, through: 0, by: -1) {
                    let prev = t == 1 ? DiscretizedDecoder.value(Int(pixels[j][d]))
                                      : Double(previous[j][d]) * latents.deltas[i - 1]
                    try latents.push(current[j][d], mean: sqrtAlphas[i] * prev, std: sqrtBetas[i], delta: delta, onto: &stack)
                }
            }
            statistics.codingSeconds += clock.lap()
            if t > 1 { current = previous }
            progress(k - t + 1)
        }
        return pixels
    }

    // MARK: the network

    /// eps (and the variance channels) at x_t for every item, in one batched call, on each
    /// item's real positions (HWC), as `outChannels` values per position.
    func network(items: [ChainItem], latents: [[Int]], delta: Double, step i: Int) -> [[Float]] {
        let ph = model.patchHeight, pw = model.patchWidth, c = model.channels
        let patchSize = ph * pw * c
        var input = [Float](repeating: 0, count: items.count * patchSize)
        for (j, item) in items.enumerated() {
            // Edge replication of the item's own x_t fills the padding (docs/TILING.md).
            var o = j * patchSize
            for py in 0..<ph {
                let sy = min(py, item.height - 1)
                for px in 0..<pw {
                    let s = (sy * item.width + min(px, item.width - 1)) * c
                    for ch in 0..<c { input[o] = Float(Double(latents[j][s + ch]) * delta); o += 1 }
                }
            }
        }
        let t = Double(process.schedule.modelTimesteps[i])
        let out = model.network(FeatureMap(batch: items.count, height: ph, width: pw, channels: c, data: input),
                                timesteps: [Double](repeating: t, count: items.count))
        let oc = out.channels
        return items.enumerated().map { j, item in
            var r = [Float](repeating: 0, count: item.dimensions / c * oc)
            var o = 0
            for py in 0..<item.height {
                for px in 0..<item.width {
                    let s = ((j * ph + py) * pw + px) * oc
                    for ch in 0..<oc { r[o] = out.data[s + ch]; o += 1 }
                }
            }
            return r
        }
    }

    /// Mean and standard deviation of p(x_{t-1} | x_t) per sub-pixel, at step index i.
    func reverseStep(_ output: [Float], latents xt: [Int], delta: Double, step i: Int) -> (means: [Double], stds: [Double]) {
        let c = model.channels
        let oc = output.count / (xt.count / c)
        let learned = process.varianceType.isLearned
        var means = [Double](repeating: 0, count: xt.count), stds = means
        for d in 0..<xt.count {
            let p = d / c, ch = d % c
            let eps = Double(output[p * oc + ch])
            let v = learned ? Double(output[p * oc + c + ch]) : 0
            let (mean, logVariance) = process.model(xt: Double(xt[d]) * delta, eps: eps, v: v, at: i)
            means[d] = mean
            stds[d] = DetMath.exp(0.5 * logVariance)
        }
        return (means, stds)
    }
}

extension ContinuousClock.Instant {
    /// Seconds since `self`, resetting `self` to now.
    mutating func lap() -> Double {
        let now = ContinuousClock.now
        let d = now - self
        self = now
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

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
    public init() {}
}

/// Where a chain starts when the progressive stream already gave the receiver x_s (docs/DESIGN.md §5):
/// the chain then codes x_0 given x_s, and the latents below s are drawn from the bridge
/// q(x_t | x_{t-1}, x_s) instead of q(x_t | x_{t-1}).
public struct ChainTop: Sendable {
    /// The known latent's step s (1...K) and its values per item (HWC, real positions).
    public let step: Int
    public let values: [[Double]]
    public init(step: Int, values: [[Double]]) { self.step = step; self.values = values }
}

/// Bits-back coding over the diffusion chain in the Bit-Swap order (docs/DESIGN.md §4):
///
///     encode:  for t = 1...K:  pop x_t ~ q(x_t | x_{t-1});  push x_{t-1} with p(x_{t-1} | x_t)
///              push x_K with N(0, I)
///     decode:  pop x_K;  for t = K...1:  pop x_{t-1} with p(. | x_t);  push x_t with q(. | x_{t-1})
///
/// With a `ChainTop` at step s the loop ends at s, x_s is not coded (the receiver has it) and
/// the pops use the bridge q(x_t | x_{t-1}, x_s), so the net codelength is the bound on
/// −log p(x_0 | x_s).
///
/// A group of items runs in lock-step so each step is one batched network call; items of a step
/// are pushed in order and popped in reverse. Latents are grid indices (LatentCoder).
public struct BitsBackChain: Sendable {
    public let model: DiffusionModel
    public let process: ReverseProcess
    public let latents: LatentCoder
    let network: PatchNetwork
    /// Per step index i = t - 1: sqrt(α_t) and sqrt(β_t).
    let sqrtAlphas: [Double]
    let sqrtBetas: [Double]

    public init(model: DiffusionModel, process: ReverseProcess, latents: LatentCoder) {
        self.model = model
        self.process = process
        self.latents = latents
        network = PatchNetwork(model: model, process: process)
        sqrtAlphas = process.schedule.betas.map { (1 - $0).squareRoot() }
        sqrtBetas = process.schedule.betas.map { $0.squareRoot() }
    }

    var steps: Int { process.schedule.count }

    /// How x_t (t < top) is drawn given x_{t-1}: mean = a·x_{t-1} + c·x_top, and its std.
    struct PopLaw { let a: [Double]; let c: [Double]; let std: [Double] }

    /// The bridge q(x_t | x_{t-1}, x_s) for t = 1..<s (index t - 1), or the plain forward step
    /// when there is no top. With r = ᾱ_s/ᾱ_t and r' = ᾱ_s/ᾱ_{t-1} = r·α_t (products of α, no
    /// division), the bridge is N((1 − r)√α_t/(1 − r') x_{t-1} + √r β_t/(1 − r') x_s,
    /// β_t (1 − r)/(1 − r')).
    func popLaw(top: Int?) -> PopLaw {
        guard let s = top else { return PopLaw(a: sqrtAlphas, c: [Double](repeating: 0, count: steps), std: sqrtBetas) }
        let betas = process.schedule.betas
        var a = [Double](repeating: 0, count: steps), c = a, std = a
        var r = 1.0   // ᾱ_s / ᾱ_t, built from t = s - 1 down
        for t in stride(from: s - 1, through: 1, by: -1) {
            r *= 1 - betas[t]           // α_{t+1}
            let rPrev = r * (1 - betas[t - 1])
            let den = 1 - rPrev
            a[t - 1] = (1 - r) * sqrtAlphas[t - 1] / den
            c[t - 1] = r.squareRoot() * betas[t - 1] / den
            std[t - 1] = (betas[t - 1] * (1 - r) / den).squareRoot()
        }
        return PopLaw(a: a, c: c, std: std)
    }

    // MARK: encoding

    public func encode(_ items: [ChainItem], top: ChainTop? = nil, onto stack: inout RANSStack,
                       statistics: inout ChainStatistics, progress: (Int) -> Void) throws {
        let k = top?.step ?? steps
        let law = popLaw(top: top?.step)
        let shapes = items.map { ChainShape(height: $0.height, width: $0.width, channels: $0.channels) }
        var previous: [[Int]] = []   // grid indices of x_{t-1} (empty at t = 1: the pixels)
        for t in 1...k {
            let i = t - 1, delta = latents.deltas[i]
            var clock = ContinuousClock.now
            var current: [[Int]] = []
            let values: [[Double]]
            if let top, t == k {
                values = top.values
            } else {
                // Pop x_t for every item.
                for (j, item) in items.enumerated() {
                    var xt = [Int](repeating: 0, count: item.dimensions)
                    for d in 0..<item.dimensions {
                        let prev = t == 1 ? DiscretizedDecoder.value(Int(item.pixels[d]))
                                          : Double(previous[j][d]) * latents.deltas[i - 1]
                        let mean = law.a[i] * prev + (top.map { law.c[i] * $0.values[j][d] } ?? 0)
                        let before = stack.bitCount
                        xt[d] = try latents.pop(mean: mean, std: law.std[i], delta: delta, from: &stack)
                        statistics.idealBits -= before - stack.bitCount
                    }
                    current.append(xt)
                }
                values = current.map { $0.map { Double($0) * delta } }
            }
            statistics.codingSeconds += clock.lap()
            let outputs = network.outputs(shapes: shapes, values: values, step: i)
            statistics.networkSeconds += clock.lap()
            // Push x_{t-1} for every item under p(x_{t-1} | x_t).
            for (j, item) in items.enumerated() {
                let (means, stds) = network.reverseStep(outputs[j], values: values[j], step: i)
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
        guard top == nil else { return }
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

    public func decode(shapes: [ChainShape], top: ChainTop? = nil, from stack: inout RANSStack,
                       statistics: inout ChainStatistics, progress: (Int) -> Void) throws -> [[UInt8]] {
        let k = top?.step ?? steps
        let law = popLaw(top: top?.step)
        var current: [[Int]] = shapes.map { [Int](repeating: 0, count: $0.dimensions) }
        let borrowedBefore = stack.borrowedWordCount
        if top == nil {
            for j in stride(from: shapes.count - 1, through: 0, by: -1) {
                for d in 0..<current[j].count {
                    current[j][d] = try latents.pop(mean: 0, std: 1, delta: latents.deltas[k - 1], from: &stack)
                }
            }
            try Self.checkNotExhausted(stack, borrowedBefore: borrowedBefore)
        }
        var pixels: [[UInt8]] = shapes.map { [UInt8](repeating: 0, count: $0.dimensions) }
        for t in stride(from: k, through: 1, by: -1) {
            let i = t - 1, delta = latents.deltas[i]
            var clock = ContinuousClock.now
            let known = top != nil && t == k
            let values = known ? top!.values : current.map { $0.map { Double($0) * delta } }
            let outputs = network.outputs(shapes: shapes, values: values, step: i)
            statistics.networkSeconds += clock.lap()
            var previous: [[Int]] = Array(repeating: [], count: shapes.count)
            for j in stride(from: shapes.count - 1, through: 0, by: -1) {
                let (means, stds) = network.reverseStep(outputs[j], values: values[j], step: i)
                let n = shapes[j].dimensions
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
            if !known {
                // Push x_t back with q(x_t | x_{t-1}) (or the bridge), undoing the encoder's pops.
                for j in stride(from: shapes.count - 1, through: 0, by: -1) {
                    for d in stride(from: current[j].count - 1, through: 0, by: -1) {
                        let prev = t == 1 ? DiscretizedDecoder.value(Int(pixels[j][d]))
                                          : Double(previous[j][d]) * latents.deltas[i - 1]
                        let mean = law.a[i] * prev + (top.map { law.c[i] * $0.values[j][d] } ?? 0)
                        try latents.push(current[j][d], mean: mean, std: law.std[i], delta: delta, onto: &stack)
                    }
                }
            }
            statistics.codingSeconds += clock.lap()
            try Self.checkNotExhausted(stack, borrowedBefore: borrowedBefore)
            if t > 1 { current = previous }
            progress(k - t + 1)
        }
        return pixels
    }
}

extension BitsBackChain {
    /// A valid file's decode pops only words its encoder pushed: the first pop past them means the
    /// stream is damaged or the header's geometry is not what was coded, so the decode stops at
    /// once instead of running the network over a chain that can only fail at its end.
    static func checkNotExhausted(_ stack: RANSStack, borrowedBefore: Int) throws {
        guard stack.borrowedWordCount == borrowedBefore else {
            throw LosslessError.decodeMismatch("the lossless stream ran out before the images it claims were decoded "
                + "(the file is damaged, or its header does not describe what was coded)")
        }
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

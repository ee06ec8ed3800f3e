import Diffusion
import EntropyCoding
import Numerics
import Foundation
import Tensor

/// Progressive coding of the latents x_K, x_{K-1}, ..., x_last by reverse channel coding
/// (docs/DESIGN.md §5, DDPM Algorithms 3/4): each x_{t} is a sample of q(x_t | x_{t+1}, x_0) sent with
/// p(x_t | x_{t+1}) as the shared proposal (N(0, I) for x_K), at about KL(q‖p) bits.
///
/// The stream is a FIFO bit stream ordered by step; step t holds one bit, 1 when no item's budget
/// level m_t changed from m_{t+1} (the rule: levels move every few steps), then per item in order,
///
///     change of m_t from m_{t+1}            k_t = BudgetLevel.bits[m_t], the step's index bits,
///                                           about its KL (side information; absent when the
///                                           step's first bit is 1): signed exp-Golomb, or, in
///                                           a stream of one item, exp-Golomb of the nonzero
///                                           change (the flag already said it moved)
///     n_t indices of b_t bits               n_t = max(1, ⌈k_t / chunkBits⌉),
///                                           b_t = k_t == 0 ? 0 : ⌈k_t / n_t⌉ + slackBits
///
/// with dimension d in chunk d mod n_t, so chunks interleave over the whole patch and carry
/// similar KL. Everything the receiver needs to read a step comes before that step's indices,
/// so any prefix decodes to the last step complete in it.
public struct ProgressiveCoder: Sendable {
    public let network: PatchNetwork
    public let seed: UInt64
    public let chunkBits: Int
    public let slackBits: Int
    /// The last (lowest) step coded: 1, or T* when the bits-back chain takes over below it.
    public let lastStep: Int
    /// The encoder's candidate choice (ReverseChannel.Choice); decoding does not depend on it.
    public var choice: ReverseChannel.Choice = .sample

    public static let maximumIndexBits = 26

    public init(network: PatchNetwork, seed: UInt64, chunkBits: Int, slackBits: Int, lastStep: Int) {
        self.network = network
        self.seed = seed
        self.chunkBits = chunkBits
        self.slackBits = slackBits
        self.lastStep = lastStep
    }

    var steps: Int { network.process.schedule.count }

    /// What is known after step t: the latents x_t and the network's outputs at them.
    public struct StepState {
        public let step: Int
        public let values: [[Double]]
        /// Network outputs at x_t (step index t − 1): x̂0(x_t) and p(x_{t-1} | x_t) come from them.
        public let outputs: [[Float]]
        /// End of the step in the stream, in bits.
        public let bitEnd: Int
        /// Σ over items of KL(q‖p) of this step in bits (encoder only; nil when decoding).
        public let klBits: Double?
        /// Per item: KL of this step and the bits its record took, less the step's one shared
        /// bit (encoder only; empty when decoding).
        public var itemKLBits: [Double] = []
        public var itemStreamBits: [Int] = []

        /// The state of the items in `range` alone (a continuation of some of them).
        func items(_ range: Range<Int>) -> StepState {
            StepState(step: step, values: Array(values[range]), outputs: Array(outputs[range]), bitEnd: 0, klBits: nil)
        }
    }

    /// Chunks and index bits of a patch of `dims` dimensions whose step budget is k bits: n chunks
    /// of ⌈k/n⌉ bits each. (Spending exactly k, some chunks a bit fewer, saved those bits but cost as
    /// many in the later steps' KL on the first ten Fashion-MNIST test images: the rounding buys
    /// better candidates.) A chunk has at least one dimension, so past chunkBits per dimension the
    /// chunks' bits grow instead.
    struct Layout {
        let chunks: Int
        let bits: Int
        func bits(_ c: Int) -> Int { bits }
        var widest: Int { bits }
    }

    func layout(k: Int, dims: Int) -> Layout {
        if k <= 0 { return Layout(chunks: 1, bits: 0) }
        let n = min(dims, max(1, (k + chunkBits - 1) / chunkBits))
        return Layout(chunks: n, bits: (k + n - 1) / n + slackBits)
    }

    /// The side information of a level change: in a stream of one item the step's flag already
    /// says that it moved, so zero is not coded.
    static func writeLevelChange(_ delta: Int, loneItem: Bool, to writer: inout BitWriter) {
        guard loneItem else { writer.writeSignedExpGolomb(delta); return }
        precondition(delta != 0)
        writer.writeExpGolomb(UInt64(delta > 0 ? 2 * delta - 2 : -2 * delta - 1))
    }

    static func readLevelChange(loneItem: Bool, from reader: inout BitReader) -> Int? {
        guard loneItem else { return reader.readSignedExpGolomb() }
        guard let u = reader.readExpGolomb() else { return nil }
        // A change no level table holds (a damaged stream): the caller's range check reports it.
        guard u < 1 << 40 else { return Int.max }
        return u % 2 == 0 ? Int(u / 2) + 1 : -Int(u / 2) - 1
    }

    /// Rebuilds x_t of one item from its chunk indices: x = μ_p + σ_p z.
    func sample(item j: Int, step t: Int, chunks n: Int, indices: [Int], means: [Double], stds: [Double]) -> [Double] {
        let dims = means.count
        var x = [Double](repeating: 0, count: dims)
        var z = [Double](repeating: 0, count: (dims + n - 1) / n)
        for c in 0..<n {
            let m = (dims - c + n - 1) / n
            ReverseChannel.candidate(seed: seed, stream: ReverseChannel.stream(step: t, item: j, chunk: c),
                                     index: indices[c], count: m, into: &z)
            for p in 0..<m {
                let d = c + p * n
                x[d] = means[d] + stds[d] * z[p]
            }
        }
        return x
    }

    /// The proposal p(x_t | x_{t+1}) per item (N(0, I) at t = K), from outputs at x_{t+1}.
    func proposal(step t: Int, shapes: [ChainShape], previous: StepState?) -> [(means: [Double], stds: [Double])] {
        guard let previous else {
            return shapes.map { ([Double](repeating: 0, count: $0.dimensions), [Double](repeating: 1, count: $0.dimensions)) }
        }
        return shapes.indices.map { j in network.reverseStep(previous.outputs[j], values: previous.values[j], step: t) }
    }

    // MARK: encoding

    /// Codes x_K … x_lastStep, or, from a `start` state at step s (another stream's x_s of the same items
    /// and chain), x_{s−1} … x_lastStep: a stream of its own, its budget levels starting afresh.
    public func encode(_ items: [ChainItem], start: StepState? = nil,
                       observe: (StepState) throws -> Void) throws -> (bytes: [UInt8], final: StepState) {
        let shapes = items.map { ChainShape(height: $0.height, width: $0.width, channels: $0.channels) }
        let x0 = items.map { $0.pixels.map { DiscretizedDecoder.value(Int($0)) } }
        let schedule = network.process.schedule
        var writer = BitWriter()
        var previousLevel = [Int](repeating: 0, count: items.count)
        var state: StepState? = start
        for t in stride(from: start.map { $0.step - 1 } ?? steps, through: lastStep, by: -1) {
            let p = proposal(step: t, shapes: shapes, previous: state)
            // The target q(x_t | x_{t+1}, x_0), or q(x_K | x_0) at the top.
            var klTotal = 0.0
            var itemKL: [Double] = []
            var plans: [(level: Int, layout: Layout, a: [Double], s: [Double])] = []
            for j in items.indices {
                let dims = shapes[j].dimensions
                var a = [Double](repeating: 0, count: dims), s = a
                var kl = 0.0
                for d in 0..<dims {
                    let muQ: Double, sdQ: Double
                    if let state {
                        let (m, lv) = network.process.posterior(x0: x0[j][d], xt: state.values[j][d], at: t)
                        muQ = m; sdQ = DetMath.exp(0.5 * lv)
                    } else {
                        muQ = schedule.sqrtAlphasCumprod[t - 1] * x0[j][d]
                        sdQ = schedule.oneMinusAlphasCumprod[t - 1].squareRoot()
                    }
                    let muP = p[j].means[d], sdP = p[j].stds[d]
                    a[d] = (muP - muQ) / sdQ
                    s[d] = sdP / sdQ
                    kl += GaussianTerms.normalKL(mean1: muQ, std1: sdQ, mean2: muP, std2: sdP)
                }
                let bits = kl / 0.6931471805599453  // ln 2
                klTotal += bits
                itemKL.append(bits)
                guard bits.isFinite, bits < Double(Self.maximumIndexBits * dims) else {
                    throw ProgressiveError.chunkTooLarge(step: t, bitsPerDimension: bits / Double(dims))
                }
                let level = BudgetLevel.choose(kl: bits, previous: previousLevel[j])
                let l = layout(k: BudgetLevel.bits[level], dims: dims)
                // Chunks of one dimension that still need far more than the budget would take the
                // encoder 2^b candidates each: refuse rather than run for hours.
                guard l.widest <= min(Self.maximumIndexBits, chunkBits + 8) else {
                    throw ProgressiveError.chunkTooLarge(step: t, bitsPerDimension: bits / Double(dims))
                }
                plans.append((level, l, a, s))
            }
            // Choose every chunk's index (in parallel over items × chunks), then write the step.
            var tasks: [(j: Int, c: Int)] = []
            for j in items.indices { for c in 0..<plans[j].layout.chunks { tasks.append((j, c)) } }
            var chosen = [Int](repeating: 0, count: tasks.count)
            chosen.withUnsafeMutableBufferPointer { out in
                let out = out
                parallelRanges(tasks.count) { range in
                    for q in range {
                        let (j, c) = tasks[q], plan = plans[j], b = plan.layout.bits(c)
                        guard b > 0 else { out[q] = 0; continue }
                        let dims = plan.a.count
                        let idx = Array(stride(from: c, to: dims, by: plan.layout.chunks))
                        out[q] = ReverseChannel.choose(seed: seed, stream: ReverseChannel.stream(step: t, item: j, chunk: c),
                                                       bits: b, a: idx.map { plan.a[$0] }, s: idx.map { plan.s[$0] },
                                                       choice: choice)
                    }
                }
            }
            var values: [[Double]] = []
            var itemBits: [Int] = []
            var q = 0
            let unchanged = items.indices.allSatisfy { plans[$0].level == previousLevel[$0] }
            writer.write(unchanged ? 1 : 0, bits: 1)
            for j in items.indices {
                let plan = plans[j]
                let before = writer.bitCount
                defer { itemBits.append(writer.bitCount - before) }
                if !unchanged {
                    Self.writeLevelChange(plan.level - previousLevel[j], loneItem: items.count == 1, to: &writer)
                }
                previousLevel[j] = plan.level
                let n = plan.layout.chunks
                let indices = Array(chosen[q..<(q + n)]); q += n
                for (c, i) in indices.enumerated() { writer.write(UInt64(i), bits: plan.layout.bits(c)) }
                values.append(sample(item: j, step: t, chunks: n, indices: indices, means: p[j].means, stds: p[j].stds))
            }
            let outputs = network.outputs(shapes: shapes, values: values, step: t - 1)
            var next = StepState(step: t, values: values, outputs: outputs, bitEnd: writer.bitCount, klBits: klTotal)
            next.itemKLBits = itemKL
            next.itemStreamBits = itemBits
            try observe(next)
            state = next
        }
        return (writer.bytes, state!)
    }

    // MARK: decoding

    /// Decodes steps K, K−1, ... (or from below a `start` state, as `encode` coded them) while the
    /// stream has them, down to `stopStep` (or lastStep). Returns the last complete step (`start` when
    /// there was nothing below it), or nil when the stream does not hold even x_K.
    public func decode(shapes: [ChainShape], from reader: inout BitReader, stopStep: Int? = nil, start: StepState? = nil,
                       observe: (StepState) throws -> Void) throws -> StepState? {
        var previousLevel = [Int](repeating: 0, count: shapes.count)
        var state: StepState? = start
        let floor = max(lastStep, stopStep ?? lastStep)
        for t in stride(from: start.map { $0.step - 1 } ?? steps, through: floor, by: -1) {
            let p = proposal(step: t, shapes: shapes, previous: state)
            var values: [[Double]] = []
            guard let flag = reader.read(bits: 1) else { break }
            var complete = true
            for j in shapes.indices {
                guard let delta = flag == 1 ? 0 : Self.readLevelChange(loneItem: shapes.count == 1, from: &reader) else {
                    complete = false; break
                }
                let (level, overflow) = previousLevel[j].addingReportingOverflow(delta)
                guard !overflow, level >= 0, level < BudgetLevel.bits.count,
                      BudgetLevel.bits[level] <= Self.maximumIndexBits * shapes[j].dimensions else {
                    throw ProgressiveError.damaged(step: t)
                }
                previousLevel[j] = level
                let l = layout(k: BudgetLevel.bits[level], dims: shapes[j].dimensions), n = l.chunks
                guard l.widest <= Self.maximumIndexBits, n <= shapes[j].dimensions else { throw ProgressiveError.damaged(step: t) }
                var indices: [Int] = []
                for c in 0..<n {
                    guard let i = reader.read(bits: l.bits(c)) else { complete = false; break }
                    indices.append(Int(i))
                }
                guard complete else { break }
                values.append(sample(item: j, step: t, chunks: n, indices: indices, means: p[j].means, stds: p[j].stds))
            }
            guard complete else { break }
            let outputs = network.outputs(shapes: shapes, values: values, step: t - 1)
            let next = StepState(step: t, values: values, outputs: outputs, bitEnd: reader.position, klBits: nil)
            try observe(next)
            state = next
        }
        return state
    }
}

public enum ProgressiveError: Error, CustomStringConvertible {
    case chunkTooLarge(step: Int, bitsPerDimension: Double)
    case damaged(step: Int)
    case nothingDecodable(bytes: Int)
    case badParameter(String)

    public var description: String {
        switch self {
        case let .chunkTooLarge(step, perDimension):
            return String(format: "step %d would cost %.1f bits per dimension, more than one-dimension chunks can carry "
                          + "within the chunk budget plus 8 bits: the model does not fit these images", step, perDimension)
        case let .damaged(step):
            return "the progressive stream is damaged at step \(step)"
        case let .nothingDecodable(bytes):
            return "the first \(bytes) bytes hold no complete step of the progressive stream"
        case let .badParameter(why):
            return why
        }
    }
}

import Diffusion
import EntropyCoding

/// Bootstrapped bits-back (docs/DESIGN.md §4): the first patches of a lossless file go by the
/// direct route (reverse channel coding down to x_1, x_0 under the decoder), and those bits become
/// the initial message that the bits-back chain of the other patches pops from. The chain's
/// first pops then draw information instead of the junk initial bits a fresh stack lends, and the
/// decoder, having undone the chain, finds the direct route's bits where the encoder put them.
///
/// The payload of the direct part: the progressive stream, then, from the next byte, the stack of
/// its decoder step (T* = 1: pixels under P_0(v | x_1), no pops). The stream's end needs no
/// length: its decoder reads it down to step 1 and stops there.
struct Bootstrap {
    let model: DiffusionModel
    /// The direct route's parameters: the file's chain (steps, spacing, seed, clipping; the direct
    /// route's own 50 quadratic steps in place of the model's chain) with the direct chunk budget
    /// for these patches.
    let parameters: CodingParameters

    init(model: DiffusionModel, file p: CodingParameters, dimensions: Int) {
        self.model = model
        var d = CodingParameters.direct(following: p, dimensions: dimensions,
                                        steps: p.chainLength(trainTimesteps: model.schedule.count))
        d.gridBits = p.gridBits
        d.windowSigmas = p.windowSigmas
        d.groupSize = p.groupSize
        parameters = d
    }

    /// A progressive file's lossless tail (docs/DESIGN.md §5): the first patches continue the file's own
    /// stream below T* on the file's chain (its steps, spacing, seed and clipping), with the direct
    /// route's chunk budget for these patches, down to x_1 and x_0 under the decoder.
    init(model: DiffusionModel, continuing p: CodingParameters, dimensions: Int) {
        self.model = model
        var d = CodingParameters.direct()
        d.steps = p.steps
        d.spacing = p.spacing
        d.seed = p.seed
        d.clipDenoised = p.clipDenoised
        d.chunkBits = CodingParameters.directChunkBits(dimensions: dimensions)
        d.gridBits = p.gridBits
        d.windowSigmas = p.windowSigmas
        d.groupSize = p.groupSize
        parameters = d
    }

    private func coder() throws -> (ProgressiveCoder, LosslessTail) {
        let process = try model.reverseProcess(steps: parameters.chainLength(trainTimesteps: model.schedule.count),
                                               spacing: parameters.spacing, clipDenoised: parameters.clipDenoised)
        var coder = ProgressiveCoder(network: PatchNetwork(model: model, process: process), seed: parameters.seed,
                                     chunkBits: parameters.chunkBits, slackBits: parameters.slackBits, lastStep: 1)
        coder.choice = .likeliest
        return (coder, try LosslessTail(model: model, parameters: parameters))
    }

    /// `start`: the items' state at T* in a progressive file's stream (a tail's continuation).
    /// `origin`: the decoder step's stack starts from it (a file's pixel digest when this payload is
    /// the file's only stack; nil: the seed's own word).
    func encode(_ items: [ChainItem], start: ProgressiveCoder.StepState? = nil, origin: UInt32? = nil,
                progress: (_ done: Int) -> Void = { _ in }) throws -> [UInt8] {
        let (coder, tail) = try coder()
        var steps = 0
        let (stream, final) = try coder.encode(items, start: start) { _ in steps += 1; progress(steps) }
        var stats = ChainStatistics()
        let (decoderStep, _) = try tail.encode(items, top: 1, topValues: final.values, origin: origin, statistics: &stats) { _ in }
        return stream + decoderStep
    }

    /// The pixels, and the word the decoder step's stack ended on (its encoder's `origin`, for the caller to check).
    func decodeEndingOrigin(shapes: [ChainShape], payload: [UInt8], start: ProgressiveCoder.StepState? = nil) throws
        -> (pixels: [[UInt8]], origin: UInt32)
    {
        let (coder, tail) = try coder()
        var reader = BitReader(bytes: payload)
        guard let state = try coder.decode(shapes: shapes, from: &reader, start: start, observe: { _ in }), state.step == 1 else {
            throw LosslessError.decodeMismatch("the bootstrap's stream ended early (damaged file?)")
        }
        let decoderStep = Array(payload[min(payload.count, (reader.position + 7) / 8)...])
        var stats = ChainStatistics()
        let r = try tail.decode(shapes: shapes, payload: decoderStep, top: 1, topValues: state.values, statistics: &stats) { _ in }
        return (r.pixels, r.origin)
    }

    /// The same for a payload coded with the seed's own origin (a bootstrap under a chain).
    func decode(shapes: [ChainShape], payload: [UInt8], start: ProgressiveCoder.StepState? = nil) throws -> [[UInt8]] {
        let r = try decodeEndingOrigin(shapes: shapes, payload: payload, start: start)
        try LosslessTail.checkOrigin(r.origin, expected: nil, seed: parameters.seed)
        return r.pixels
    }

    /// How many of `items` go direct: about as many as carry the chain's initial bits, estimated
    /// from the first patch alone (its initial bits by bits-back, its bits by the direct route).
    /// Beyond that point a patch costs more direct than in the chain; below it, the chain would
    /// pop junk. Deterministic: the same items give the same count.
    static func count(_ items: [ChainItem], model: DiffusionModel, file p: CodingParameters) throws -> Int {
        guard items.count > 1, let first = items.first else { return 0 }
        var stats = ChainStatistics()
        let (_, initialBits) = try LosslessTail(model: model, parameters: p).encode([first], statistics: &stats) { _ in }
        let direct = Bootstrap(model: model, file: p, dimensions: first.pixels.count)
        let bits = Double(try direct.encode([first]).count * 8)
        guard bits > 0, initialBits > 0 else { return 0 }
        return min(items.count - 1, max(1, Int((initialBits / bits).rounded(.up))))
    }

    /// The patches and bytes of an automatic bootstrap, given the count's estimate m0: m0 − 1 patches when their
    /// bytes already carry the chain's first group (patch m0 − 1 alone: `requirement` gives its initial bits on a
    /// fresh stack), else m0. The estimate rounds up from the first patch alone, and one patch fewer carried the
    /// chain on every input measured (docs/BENCHMARKS.md): one direct patch less, a smaller file and a faster
    /// encode; when it does not carry, the m0 − 1 patches' encode is the price of asking.
    static func choose(estimate m0: Int, encode: (Int) throws -> [UInt8],
                       requirement: (Int) throws -> Double) throws -> (patches: Int, bytes: [UInt8]) {
        if m0 >= 2 {
            let fewer = try encode(m0 - 1)
            if Double(fewer.count * 8) >= (try requirement(m0 - 1)) { return (m0 - 1, fewer) }
        }
        return (m0, m0 == 0 ? [] : try encode(m0))
    }

    /// The same for a progressive file's tail from x_T* (`start`: every item's state there): how many
    /// of `items` continue directly. Unlike a lossless file's, a tail may go direct as a whole (the
    /// count can be all of them): a lone patch then pays no initial bits at all.
    static func count(tail items: [ChainItem], start: ProgressiveCoder.StepState, model: DiffusionModel,
                      file p: CodingParameters) throws -> Int {
        guard let first = items.first else { return 0 }
        var stats = ChainStatistics()
        let (_, initialBits) = try LosslessTail(model: model, parameters: p)
            .encode([first], top: start.step, topValues: [start.values[0]], statistics: &stats) { _ in }
        let direct = Bootstrap(model: model, continuing: p, dimensions: first.pixels.count)
        let bits = Double(try direct.encode([first], start: start.items(0..<1)).count * 8)
        guard bits > 0, initialBits > 0 else { return 0 }
        return min(items.count, max(1, Int((initialBits / bits).rounded(.up))))
    }
}

extension RANSStack {
    /// Pushes bytes as uniform 16-bit symbols (a last odd byte as one symbol of 8 bits).
    mutating func pushBytes(_ bytes: [UInt8]) throws {
        var i = 0
        while i + 1 < bytes.count {
            try push(start: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8, frequency: 1, precision: 16)
            i += 2
        }
        if i < bytes.count { try push(start: UInt32(bytes[i]), frequency: 1, precision: 8) }
    }

    /// Pops `count` bytes pushed by `pushBytes`.
    /// Each byte pushed added 8 bits to the stack, so a count beyond what the stack holds (a damaged
    /// or crafted header) is an error before anything is allocated.
    mutating func popBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= 4 * serializedWordCount else {
            throw LosslessError.decodeMismatch("the file claims \(count) bootstrap bytes, more than its stream holds")
        }
        var out = [UInt8](repeating: 0, count: count)
        if count % 2 == 1 {
            let v = peek(precision: 8)
            try commitPop(start: v, frequency: 1, precision: 8)
            out[count - 1] = UInt8(v)
        }
        var i = count - count % 2
        while i >= 2 {
            let v = peek(precision: 16)
            try commitPop(start: v, frequency: 1, precision: 16)
            out[i - 2] = UInt8(v & 0xFF)
            out[i - 1] = UInt8(v >> 8)
            i -= 2
        }
        return out
    }
}

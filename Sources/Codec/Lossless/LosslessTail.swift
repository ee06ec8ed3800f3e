import Diffusion
import EntropyCoding

/// The bits-back part of a file, shared by both codecs: the patches in groups
/// (CodingParameters.groupRanges) chained on one ANS stack, encoded first group first and decoded
/// last group first; the decoder checks that the stack ends exactly where the encoder began.
/// A lossless file codes the whole chain; a progressive file's tail codes x_0 given the x_T* its
/// stream delivered (ChainTop).
struct LosslessTail {
    let chain: BitsBackChain
    let groupSize: Int
    let seed: UInt64
    /// The chain starts on a bootstrap's bits (CodingParameters.groupRanges).
    var bootstrapped = false

    func groups(_ count: Int) -> [Range<Int>] {
        CodingParameters.groupRanges(count: count, maximum: groupSize, bootstrapped: bootstrapped)
    }

    /// The chain of `parameters` over `model` (its bits-back fields).
    init(model: DiffusionModel, parameters p: CodingParameters) throws {
        let process = try model.reverseProcess(steps: p.chainLength(trainTimesteps: model.schedule.count), spacing: p.spacing,
                                               clipDenoised: p.clipDenoised)
        chain = BitsBackChain(model: model, process: process,
                              latents: try LatentCoder(process: process, gridBits: p.gridBits, windowSigmas: p.windowSigmas))
        groupSize = p.groupSize
        seed = p.seed
    }

    /// Steps the chain runs per group: the whole chain, or down from T*.
    func stepsPerGroup(top: Int?) -> Int { top ?? chain.steps }

    /// Network calls (one per step and group) for `count` patches.
    func work(patches count: Int, top: Int?) -> Int {
        groups(count).count * stepsPerGroup(top: top)
    }

    /// Codes the patches onto a new stack; `topValues` are the x_T* of every patch when the chain
    /// starts at step `top`. Returns the stack's bytes and its initial bits.
    /// `initialData` (a bootstrap's bits) goes on the stack first, so that the chain pops it before
    /// it borrows initial bits. `origin`: the word the stack starts from, which its decoder finds
    /// again at the end (the file's pixel digest; nil: the seed's own word).
    func encode(_ items: [ChainItem], top: Int? = nil, topValues: [[Double]] = [], initialData: [UInt8] = [],
                origin: UInt32? = nil, statistics: inout ChainStatistics,
                progress: (_ done: Int) -> Void) throws -> (payload: [UInt8], initialBits: Double) {
        var stack = RANSStack(seed: seed, origin: origin ?? RANSStack.defaultOrigin(seed: seed))
        try stack.pushBytes(initialData)
        let steps = stepsPerGroup(top: top)
        for (g, range) in groups(items.count).enumerated() {
            let chainTop = top.map { ChainTop(step: $0, values: Array(topValues[range])) }
            try chain.encode(Array(items[range]), top: chainTop, onto: &stack, statistics: &statistics) {
                progress(g * steps + $0)
            }
        }
        return (stack.serializedBytes(), stack.initialBits)
    }

    /// The patches' pixels back from a payload, checking that the stream ends where it should, with
    /// the `initialDataBytes` bytes the encoder put under the chain and the word the stack ended on:
    /// its encoder's `origin`, which the caller checks (`checkOrigin`).
    func decode(shapes: [ChainShape], payload: [UInt8], top: Int? = nil, topValues: [[Double]] = [], initialDataBytes: Int = 0,
                statistics: inout ChainStatistics, progress: (_ done: Int) -> Void)
        throws -> (pixels: [[UInt8]], initialData: [UInt8], origin: UInt32)
    {
        var stack = try RANSStack(serializedBytes: payload, seed: seed)
        let steps = stepsPerGroup(top: top)
        var decoded = [[UInt8]](repeating: [], count: shapes.count)
        for (n, range) in groups(shapes.count).reversed().enumerated() {
            let chainTop = top.map { ChainTop(step: $0, values: Array(topValues[range])) }
            let pixels = try chain.decode(shapes: Array(shapes[range]), top: chainTop, from: &stack, statistics: &statistics) {
                progress(n * steps + $0)
            }
            for (j, px) in pixels.enumerated() { decoded[range.lowerBound + j] = px }
        }
        let data = try stack.popBytes(initialDataBytes)
        guard stack.borrowedWordCount == 0, let origin = stack.originWord else {
            throw LosslessError.decodeMismatch("the bit stream did not end where it should (damaged file?)")
        }
        return (decoded, data, origin)
    }

    /// Checks the word a decoded stack ended on against the one its encoder started from (nil: the seed's own).
    static func checkOrigin(_ word: UInt32, expected: UInt32?, seed: UInt64) throws {
        guard word == expected ?? RANSStack.defaultOrigin(seed: seed) else {
            throw LosslessError.decodeMismatch(expected == nil ? "the bit stream did not end where it should (damaged file?)"
                                               : "the decoded pixels do not match the checksum the file carries")
        }
    }
}

import Numerics

/// A stratified, unbiased estimate of the bound's sum over steps, for when all K terms per image
/// cost too much (the full T = 1000 bound of 10,000 images is 10M network calls).
///
/// Steps t = 1..K are split into contiguous strata whose widths grow geometrically: the bits sit
/// at low t (the decoder L_0 and the first KLs are most of the bound), so those steps are their
/// own strata and only the long, flat tail is sampled. Each image draws one t per stratum and
/// weighs that term by the stratum's width, so sum_t L_t is estimated without bias and every
/// image's estimate is independent (the standard error over images includes the sampling of t).
///
/// Edges: b_0 = 1, b_1 = 2 (the decoder step t = 1 alone, so L_0 is never weighted), then
/// b_j = max(b_{j-1} + 1, round((K + 1)^(j / S))) capped at K + 1, for S requested strata; the same
/// strata as Tools/bound.py and Tools/bound_reference.py. The draw of image n in stratum j is
/// a + floor(width * r / 2^32) with r the first word of the Philox4x32 block (j, 0, stream) under
/// the seed, stream = ForwardNoise.stream(image: n, timestep: 0) (t = 0 is no noise stream).
public struct StepStrata: Equatable, Sendable {
    /// 1-based steps, contiguous, covering 1...steps.
    public let ranges: [ClosedRange<Int>]

    /// `terms` >= steps gives one stratum per step (the exact sum).
    public init(steps: Int, terms: Int) throws(DiffusionError) {
        guard steps >= 1 else { throw .invalidArgument(detail: "a bound needs at least one step, got \(steps)") }
        guard terms >= 2 || (terms >= 1 && steps == 1) else {
            throw .invalidArgument(detail: "a stratified bound needs at least 2 terms (the decoder step and one more), got \(terms)")
        }
        if terms >= steps {
            ranges = (1...steps).map { $0...$0 }
            return
        }
        let logEnd = DetMath.log(Double(steps + 1))
        var edges = [1, 2]
        var j = 2
        while edges.last! < steps + 1 {
            let e = j >= terms ? steps + 1 : Int(DetMath.exp(Double(j) / Double(terms) * logEnd).rounded())
            edges.append(Swift.min(Swift.max(edges.last! + 1, e), steps + 1))
            j += 1
        }
        ranges = zip(edges, edges.dropFirst()).map { $0...($1 - 1) }
    }

    /// The (step, weight) pairs of image `image`: one per stratum, steps 1-based.
    public func draws(seed: UInt64, image: Int) -> [(step: Int, weight: Int)] {
        let stream = ForwardNoise.stream(image: image, timestep: 0)
        let key = Philox4x32(seed: seed)
        return ranges.enumerated().map { j, range in
            let width = range.count
            guard width > 1 else { return (range.lowerBound, 1) }
            let r = key.block(counter: (UInt32(truncatingIfNeeded: j), 0, UInt32(truncatingIfNeeded: stream),
                                        UInt32(truncatingIfNeeded: stream >> 32))).0
            return (range.lowerBound + Int((UInt64(r) * UInt64(width)) >> 32), width)
        }
    }
}

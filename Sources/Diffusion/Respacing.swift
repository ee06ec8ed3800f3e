/// Fewer steps over the same diffusion (improved-diffusion's `space_timesteps` and
/// `SpacedDiffusion`): keep K of the T timesteps, always including the first and the last, and
/// make a K-step chain whose marginals q(x_t | x_0) are exactly those of the kept timesteps. The
/// network keeps being called with the ORIGINAL timestep index, because that is what it was
/// trained on.

/// Which K of the T timesteps a respaced chain keeps.
///
/// The bound's terms are largest at low t (docs/BOUND.md: most of the bits are in the decoder and
/// the first few dozen KLs), and a respaced step's KL grows with the gap it jumps, so a chain that
/// keeps the low timesteps densely codes for fewer bits at the same number of network calls:
/// measured at K = 100, quadratic spacing gives 2.86 bits/dim on 20 Fashion-MNIST test images
/// where even spacing gives 3.06 (photo32 on 16 photo patches: 4.08 vs 4.81).
public enum TimestepSpacing: String, CaseIterable, Sendable {
    /// round(i (T - 1) / (K - 1)): improved-diffusion's spacing.
    case even
    /// round(i² (T - 1) / (K - 1)²), bumped to stay strictly increasing (DDIM's "quad" idea).
    case quadratic
    /// The model's own chain (ModelChain, `codec_config.json`): the K timesteps that minimize the
    /// expected bound of that model, found by dynamic programming over measured jump costs.
    case model

    /// Header code (0 is what files without the field mean).
    public var code: Int {
        switch self {
        case .even: return 0
        case .quadratic: return 1
        case .model: return 2
        }
    }
    public init?(code: Int) {
        switch code {
        case 0: self = .even
        case 1: self = .quadratic
        case 2: self = .model
        default: return nil
        }
    }
}

extension NoiseSchedule {
    /// The kept 0-based timesteps for one section of `count` steps out of `total`.
    /// Even: round(i * (total - 1) / (count - 1)), with the stride accumulated by repeated
    /// addition and Python's round-half-to-even, exactly as improved-diffusion computes it.
    /// Quadratic: integer arithmetic only (round half up), so every machine keeps the same steps.
    public static func spacedTimesteps(total: Int, count: Int, spacing: TimestepSpacing = .even)
        throws(DiffusionError) -> [Int]
    {
        guard count >= 1, count <= total else { throw .invalidRespacing(steps: count, timesteps: total) }
        switch spacing {
        case .model:
            throw .invalidArgument(detail: "the model's own chain is a property of the model (DiffusionModel.reverseProcess)")
        case .even:
            let stride = count <= 1 ? 1.0 : Double(total - 1) / Double(count - 1)
            var position = 0.0
            var kept: [Int] = []
            for _ in 0..<count {
                kept.append(Int(position.rounded(.toNearestOrEven)))
                position += stride
            }
            return kept
        case .quadratic:
            guard count > 1 else { return [0] }
            let d = (count - 1) * (count - 1)
            var kept: [Int] = []
            for i in 0..<count {
                let v = (2 * i * i * (total - 1) + d) / (2 * d)
                kept.append(Swift.max(v, (kept.last ?? -1) + 1))
            }
            // Convexity keeps the bumps below the end: i-th kept <= total - count + i.
            precondition(kept.last == total - 1, "quadratic spacing overran the schedule")
            return kept
        }
    }

    /// The K-step chain through the kept timesteps: beta'_k = 1 - abar[kept_k] / abar[kept_{k-1}]
    /// (abar before the first = 1), from which every coefficient is recomputed.
    /// `steps == count` returns the schedule unchanged (improved-diffusion would recompute the
    /// betas from abar, which differs from the original ones in the last bits).
    public func respaced(steps: Int, spacing: TimestepSpacing = .even) throws(DiffusionError) -> NoiseSchedule {
        if steps == count { return self }
        return try respaced(keeping: try Self.spacedTimesteps(total: count, count: steps, spacing: spacing))
    }

    /// The chain through the given 0-based timesteps, strictly increasing. The top may stop short of
    /// the last timestep: the prior term is then taken at the top kept one (an optimal chain stops
    /// where the prior costs less than the jumps above it would).
    public func respaced(keeping kept: [Int]) throws(DiffusionError) -> NoiseSchedule {
        try Self.checkKept(kept, total: count)
        if kept.count == count { return self }
        var newBetas: [Double] = []
        var last = 1.0
        for i in kept {
            newBetas.append(1 - alphasCumprod[i] / last)
            last = alphasCumprod[i]
        }
        return try NoiseSchedule(betas: newBetas, modelTimesteps: kept.map { modelTimesteps[$0] })
    }

    /// Kept timesteps must increase strictly within 0..<total (ModelChain and respacing).
    static func checkKept(_ kept: [Int], total: Int) throws(DiffusionError) {
        guard let first = kept.first, first >= 0, let top = kept.last, top < total,
              zip(kept, kept.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .invalidArgument(detail: "a chain's timesteps must increase strictly within 0...\(total - 1)")
        }
    }
}

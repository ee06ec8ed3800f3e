/// Fewer steps over the same diffusion (improved-diffusion's `space_timesteps` and
/// `SpacedDiffusion`): keep K of the T timesteps, evenly spaced and always including the
/// first and the last, and make a K-step chain whose marginals q(x_t | x_0) are exactly those
/// of the kept timesteps. The network keeps being called with the ORIGINAL timestep index,
/// because that is what it was trained on.
extension NoiseSchedule {
    /// The kept 0-based timesteps for one section of `count` steps out of `total`:
    /// round(i * (total - 1) / (count - 1)), with the stride accumulated by repeated addition
    /// and Python's round-half-to-even, exactly as improved-diffusion computes it.
    public static func spacedTimesteps(total: Int, count: Int) throws(DiffusionError) -> [Int] {
        guard count >= 1, count <= total else { throw .invalidRespacing(steps: count, timesteps: total) }
        let stride = count <= 1 ? 1.0 : Double(total - 1) / Double(count - 1)
        var position = 0.0
        var kept: [Int] = []
        for _ in 0..<count {
            kept.append(Int(position.rounded(.toNearestOrEven)))
            position += stride
        }
        return kept
    }

    /// The K-step chain through the kept timesteps: beta'_k = 1 - abar[kept_k] / abar[kept_{k-1}]
    /// (abar before the first = 1), from which every coefficient is recomputed.
    /// `steps == count` returns the schedule unchanged (improved-diffusion would recompute the
    /// betas from abar, which differs from the original ones in the last bits).
    public func respaced(steps: Int) throws(DiffusionError) -> NoiseSchedule {
        if steps == count { return self }
        let kept = try Self.spacedTimesteps(total: count, count: steps)
        var newBetas: [Double] = []
        var last = 1.0
        for i in kept {
            newBetas.append(1 - alphasCumprod[i] / last)
            last = alphasCumprod[i]
        }
        return try NoiseSchedule(betas: newBetas, modelTimesteps: kept.map { modelTimesteps[$0] })
    }
}

/// The per-sub-pixel Gaussians of one reverse step: the true posterior q(x_{t-1} | x_t, x_0)
/// and the model's p(x_{t-1} | x_t), both as (mean, log variance).
///
/// The model mean is formed the authors' way, through the predicted clean image:
/// x^_0 = sqrt(1/abar_t) x_t - sqrt(1/abar_t - 1) eps, optionally clipped, then
/// mu = coef1_t x^_0 + coef2_t x_t. Unclipped this equals
/// (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t).
public struct ReverseProcess: Equatable, Sendable {
    public let schedule: NoiseSchedule
    public let varianceType: VarianceType
    /// Clip x^_0 to [-clipRange, clipRange] for t >= 2 (the scheduler config's clip_sample by default).
    public var clipDenoised: Bool
    /// Clip x^_0 at the decoder step t = 1 too. Off by default: the open edge bins already
    /// cover everything outside [-1, 1], and clipping there costs rate (docs/DESIGN.md §2).
    public var clipDecoder: Bool
    public var clipRange: Double

    public init(schedule: NoiseSchedule, varianceType: VarianceType, clipDenoised: Bool,
                clipDecoder: Bool = false, clipRange: Double = 1) {
        self.schedule = schedule
        self.varianceType = varianceType
        self.clipDenoised = clipDenoised
        self.clipDecoder = clipDecoder
        self.clipRange = clipRange
    }

    /// Whether x^_0 is clipped at step index i (= t - 1).
    @inline(__always)
    public func clips(at i: Int) -> Bool { i == 0 ? clipDecoder : clipDenoised }

    /// Mean and log variance of q(x_{t-1} | x_t, x_0) for i = t - 1 >= 1.
    @inline(__always)
    public func posterior(x0: Double, xt: Double, at i: Int) -> (mean: Double, logVariance: Double) {
        (schedule.posteriorMeanCoef1[i] * x0 + schedule.posteriorMeanCoef2[i] * xt,
         schedule.posteriorLogVarianceClipped[i])
    }

    /// x^_0 predicted from x_t and eps, clipped when this step clips.
    @inline(__always)
    public func predictedX0(xt: Double, eps: Double, at i: Int) -> Double {
        let x0 = schedule.sqrtRecipAlphasCumprod[i] * xt - schedule.sqrtRecipm1AlphasCumprod[i] * eps
        return clips(at: i) ? Swift.min(Swift.max(x0, -clipRange), clipRange) : x0
    }

    /// Mean and log variance of p(x_{t-1} | x_t) for i = t - 1 >= 0; `v` is the network's
    /// variance output for this sub-pixel (ignored by the fixed types).
    @inline(__always)
    public func model(xt: Double, eps: Double, v: Double, at i: Int) -> (mean: Double, logVariance: Double) {
        let x0 = predictedX0(xt: xt, eps: eps, at: i)
        let mean = schedule.posteriorMeanCoef1[i] * x0 + schedule.posteriorMeanCoef2[i] * xt
        return (mean, logVariance(v: v, at: i))
    }

    /// log sigma_t^2 at i = t - 1.
    @inline(__always)
    public func logVariance(v: Double, at i: Int) -> Double {
        switch varianceType {
        case .fixedLarge:
            return i == 0 ? schedule.posteriorLogVarianceClipped[0] : schedule.logBetas[i]
        case .fixedSmall:
            return schedule.posteriorLogVarianceClipped[i]
        case .learned:
            return v
        case .learnedRange:
            let frac = (v + 1) / 2
            return frac * schedule.logBetas[i] + (1 - frac) * schedule.posteriorLogVarianceClipped[i]
        }
    }
}

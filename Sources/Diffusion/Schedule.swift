import Numerics

/// A discrete diffusion q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), t = 1..count,
/// with every coefficient the bound and the reverse process need, precomputed in Double.
///
/// Arrays are indexed by i = t - 1. The formulas and their evaluation order are those of the
/// DDPM authors' `GaussianDiffusion2` (and improved-diffusion's `GaussianDiffusion`), so a
/// float64 NumPy port of that code reproduces these numbers to the last bit or two.
/// Transcendentals come from DetMath, never the platform libm.
public struct NoiseSchedule: Equatable, Sendable {
    public let betas: [Double]
    /// The network's timestep input (diffusers' 0-based index) at each step: 0..<count for
    /// a full schedule, the kept original indices for a respaced one.
    public let modelTimesteps: [Int]

    public let alphasCumprod: [Double]
    public let alphasCumprodPrev: [Double]
    public let sqrtAlphasCumprod: [Double]
    public let oneMinusAlphasCumprod: [Double]
    public let sqrtRecipAlphasCumprod: [Double]
    public let sqrtRecipm1AlphasCumprod: [Double]
    public let logBetas: [Double]
    /// beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t); zero at t = 1.
    public let posteriorVariance: [Double]
    /// log beta~_t with the t = 1 entry replaced by log beta~_2, so that log 0 never appears
    /// (the authors' `posterior_log_variance_clipped`). Needs count >= 2; for a one-step
    /// chain it falls back to log beta_1.
    public let posteriorLogVarianceClipped: [Double]
    public let posteriorMeanCoef1: [Double]
    public let posteriorMeanCoef2: [Double]

    public var count: Int { betas.count }

    public init(betas: [Double], modelTimesteps: [Int]? = nil) throws(DiffusionError) {
        guard !betas.isEmpty else { throw .invalidSchedule(detail: "no timesteps") }
        for (i, b) in betas.enumerated() where !(b > 0 && b < 1) {
            throw .invalidSchedule(detail: "beta at index \(i) is \(b); every beta must lie in (0, 1)")
        }
        let steps = modelTimesteps ?? Array(0..<betas.count)
        guard steps.count == betas.count else {
            throw .invalidSchedule(detail: "\(steps.count) model timesteps for \(betas.count) betas")
        }
        self.betas = betas
        self.modelTimesteps = steps

        let n = betas.count
        var abar = [Double](repeating: 0, count: n)
        var product = 1.0
        for i in 0..<n {
            product *= 1 - betas[i]
            abar[i] = product
        }
        let prev: [Double] = [1.0] + abar.dropLast()
        alphasCumprod = abar
        alphasCumprodPrev = prev
        sqrtAlphasCumprod = abar.map { $0.squareRoot() }
        oneMinusAlphasCumprod = abar.map { 1 - $0 }
        sqrtRecipAlphasCumprod = abar.map { (1 / $0).squareRoot() }
        sqrtRecipm1AlphasCumprod = abar.map { (1 / $0 - 1).squareRoot() }
        logBetas = betas.map(DetMath.log)
        var postVar = [Double](repeating: 0, count: n)
        var coef1 = [Double](repeating: 0, count: n)
        var coef2 = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let oneMinusPrev: Double = 1 - prev[i]
            let oneMinusAbar: Double = 1 - abar[i]
            let alpha: Double = 1 - betas[i]
            postVar[i] = betas[i] * oneMinusPrev / oneMinusAbar
            coef1[i] = betas[i] * prev[i].squareRoot() / oneMinusAbar
            coef2[i] = oneMinusPrev * alpha.squareRoot() / oneMinusAbar
        }
        posteriorVariance = postVar
        var clipped = postVar
        clipped[0] = n > 1 ? postVar[1] : betas[0]
        posteriorLogVarianceClipped = clipped.map(DetMath.log)
        posteriorMeanCoef1 = coef1
        posteriorMeanCoef2 = coef2
    }

    /// The schedule a scheduler config describes.
    public init(config: SchedulerConfig) throws(DiffusionError) {
        try self.init(betas: Self.betas(config.betaSchedule, count: config.numTrainTimesteps))
    }

    /// The betas of a named schedule, in Double (diffusers computes them in float32 and the
    /// DDPM authors in float64; the bound follows the authors).
    public static func betas(_ schedule: BetaSchedule, count: Int) -> [Double] {
        switch schedule {
        case let .linear(start, end):
            return linspace(start, end, count)
        case let .scaledLinear(start, end):
            return linspace(start.squareRoot(), end.squareRoot(), count).map { $0 * $0 }
        case .squaredCosCapV2:
            return cosineBetas(count: count, maxBeta: 0.999)
        case let .trained(values):
            return values
        }
    }

    /// numpy.linspace(start, stop, count) bit for bit: start + i * step, the last value set
    /// to `stop` exactly.
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (stop - start) / Double(count - 1)
        var out = (0..<count).map { Double($0) * step + start }
        out[count - 1] = stop
        return out
    }

    /// diffusers' betas_for_alpha_bar(count, max_beta, "cosine") evaluated in Double, with the
    /// operations in the same order as its Python source.
    static func cosineBetas(count: Int, maxBeta: Double) -> [Double] {
        func alphaBar(_ t: Double) -> Double {
            let c = DetMath.cos((t + 0.008) / 1.008 * Double.pi / 2)
            return c * c
        }
        return (0..<count).map { i in
            let t1 = Double(i) / Double(count), t2 = Double(i + 1) / Double(count)
            return Swift.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta)
        }
    }
}

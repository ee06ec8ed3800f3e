import Diffusion
import EntropyCoding
import Numerics

/// How the latents x_1..x_K are discretized and coded: the grid of x_t and a Gaussian codec
/// windowed around its mean, with an escape for values outside the window.
///
/// Grid: x_t takes values k·δ_t, with δ_t = s_t / 2^gridBits and s_t = min(sqrt(β_t), sqrt(β~_{t+1}))
/// (sqrt(β~_{K+1}) read as 1, the prior's std): the std of the forward step q(x_t | x_{t-1}) that
/// pops x_t, and the σ_{t+1} of the fixed variance types at their smallest. Both sides derive δ_t
/// from the schedule alone. s_t is a scale, not a lower bound on the stds x_t is coded with:
/// learned variances can go below sqrt(β~_{t+1}), and the bridge pops of a lossless tail
/// (BitsBackChain.popLaw) have std below sqrt(β_t); such a Gaussian gets fewer grid points per
/// std, which costs discretization loss, never correctness (docs/DESIGN.md §4).
///
/// Window: a Gaussian N(μ, σ) is coded over the bins within ±windowSigmas·σ of μ, the two end
/// bins open. Giving every possible grid value its own frequency ≥ 1 would cost one count per
/// bin over the whole latent range, which at the precision available would add up to bits per
/// dimension over a thousand steps; the window keeps a few hundred bins per symbol. A value
/// beyond the window is coded as the end bin followed by its distance (exp-Golomb), so every
/// value stays codable; under a model that is not hopeless this is rare and cheap.
public struct LatentCoder: Sendable {
    public let gridBits: Int
    public let windowSigmas: Double
    /// δ_t for t = 1...K at index t - 1.
    public let deltas: [Double]
    let escapeBuckets: CategoricalCodec

    public static let maximumEscapeBucket = 30

    public init(process: ReverseProcess, gridBits: Int, windowSigmas: Double) throws {
        let s = process.schedule
        let k = s.count
        var deltas: [Double] = []
        for t in 1...k {
            let qStd = s.betas[t - 1].squareRoot()
            // p(x_t | x_{t+1}) uses step index t; β~_{t+1} is the fixed types' smallest σ²_{t+1} there.
            let pStd = t == k ? 1.0 : DetMath.exp(0.5 * s.posteriorLogVarianceClipped[t])
            deltas.append(min(qStd, pStd) / Double(1 << gridBits))
        }
        self.gridBits = gridBits
        self.windowSigmas = windowSigmas
        self.deltas = deltas
        // Bucket b holds distances 2^b − 1 ..< 2^(b+1) − 1; bucket 0 (the end bin itself) dominates.
        let weights = (0...Self.maximumEscapeBucket).map { b in DetMath.exp(-Double(b + 1) * 0.6931471805599453) }
        escapeBuckets = try CategoricalCodec(weights: weights, precision: 16)
    }

    /// The windowed codec for N(mean, std) on the grid of step t.
    @inline(__always)
    func codec(mean: Double, std: Double, delta: Double) throws -> DiscretizedGaussianCodec {
        guard mean.isFinite, std.isFinite, abs(mean / delta) < 0x1p40, std / delta < 0x1p30 else {
            throw LosslessError.latentOutOfRange
        }
        let center = Int((mean / delta).rounded(.toNearestOrEven))
        let half = max(2, Int((windowSigmas * std / delta).rounded(.up)))
        let grid = try GaussianGrid(delta: delta, symbols: (center - half)...(center + half))
        return try DiscretizedGaussianCodec(mean: mean, std: std, grid: grid)
    }

    /// Pushes grid index k under N(mean, std) (the inverse of `pop`).
    @inline(__always)
    func push(_ k: Int, mean: Double, std: Double, delta: Double, onto stack: inout RANSStack) throws {
        let c = try codec(mean: mean, std: std, delta: delta)
        let lo = c.grid.symbols.lowerBound, hi = c.grid.symbols.upperBound
        if k <= lo {
            try pushEscape(lo - k, onto: &stack)
            try c.push(lo, onto: &stack)
        } else if k >= hi {
            try pushEscape(k - hi, onto: &stack)
            try c.push(hi, onto: &stack)
        } else {
            try c.push(k, onto: &stack)
        }
    }

    @inline(__always)
    func pop(mean: Double, std: Double, delta: Double, from stack: inout RANSStack) throws -> Int {
        let c = try codec(mean: mean, std: std, delta: delta)
        let s = c.pop(from: &stack)
        if s == c.grid.symbols.lowerBound { return s - (try popEscape(from: &stack)) }
        if s == c.grid.symbols.upperBound { return s + (try popEscape(from: &stack)) }
        return s
    }

    func pushEscape(_ d: Int, onto stack: inout RANSStack) throws {
        let b = bitLength(d + 1) - 1
        guard b <= Self.maximumEscapeBucket else { throw LosslessError.latentOutOfRange }
        let offset = d - ((1 << b) - 1)
        if b > 0 { try UniformCodec(count: 1 << b).push(offset, onto: &stack) }
        try escapeBuckets.push(b, onto: &stack)
    }

    func popEscape(from stack: inout RANSStack) throws -> Int {
        let b = escapeBuckets.pop(from: &stack)
        let offset = b > 0 ? try UniformCodec(count: 1 << b).pop(from: &stack) : 0
        return (1 << b) - 1 + offset
    }

    @inline(__always)
    func bitLength(_ n: Int) -> Int { Int.bitWidth - n.leadingZeroBitCount }
}

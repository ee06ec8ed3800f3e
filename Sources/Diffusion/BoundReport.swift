/// One image's bound, split like the paper's tables, each part in bits per sub-pixel.
public struct ImageBound: Equatable, Sendable {
    public var name: String
    public var dimensions: Int
    /// L_T = KL(q(x_T | x_0) || N(0, I)).
    public var prior: Double
    /// sum over t = 2..T of L_{t-1}.
    public var diffusion: Double
    /// L_0 = -log p(x_0 | x_1) under the discretized Gaussian decoder.
    public var decoder: Double

    public var total: Double { prior + diffusion + decoder }
}

/// The bound over a set of images.
public struct BoundReport: Equatable, Sendable {
    public var images: [ImageBound]
    /// The mean over images of each step's term in bits/dim, index i = t - 1: i = 0 is L_0 (the
    /// decoder), i >= 1 is L_i = KL at step t = i + 1. Together with `priorMean` these sum to `mean`:
    /// the ideal rate of each step of a coder.
    public var stepMeans: [Double]
    /// The network timestep of each step (the original index, also for a respaced chain).
    public var modelTimesteps: [Int]
    /// Terms evaluated per image: the number of steps for the exact sum, fewer for a stratified
    /// estimate (StepStrata), whose `stepMeans` then hold each drawn term times its stratum's
    /// width at the step drawn (still summing to `mean` with the prior).
    public var termsPerImage: Int

    public var priorMean: Double { Self.average(images.map(\.prior)) }
    public var diffusionMean: Double { Self.average(images.map(\.diffusion)) }
    public var decoderMean: Double { Self.average(images.map(\.decoder)) }
    /// Mean of the per-image totals (every image weighs the same, whatever its size).
    public var mean: Double { Self.average(images.map(\.total)) }

    /// Whether the sum over steps is a stratified estimate rather than every term.
    public var isEstimate: Bool { termsPerImage < stepMeans.count }

    /// Standard error of `mean` (sample standard deviation / sqrt(N)); nil for one image. For an
    /// estimate it includes the sampling of t (each image's draws are independent).
    public var standardError: Double? {
        let n = images.count
        guard n > 1 else { return nil }
        let m = mean
        let squares = images.reduce(0.0) { $0 + ($1.total - m) * ($1.total - m) }
        return (squares / Double(n - 1)).squareRoot() / Double(n).squareRoot()
    }

    static func average(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}

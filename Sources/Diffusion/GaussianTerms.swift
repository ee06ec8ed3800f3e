import Numerics

/// The two kinds of terms in the bound, per sub-pixel, in nats.
public enum GaussianTerms {
    /// KL(N(m1, e^lv1) || N(m2, e^lv2)). Written with expm1 so that nearly equal variances do
    /// not cancel: (e^d - 1 - d) for d = lv1 - lv2 is the DDPM code's -1 + lv2 - lv1 + e^d.
    @inline(__always)
    public static func normalKL(mean1: Double, logVariance1: Double, mean2: Double, logVariance2: Double) -> Double {
        let d = logVariance1 - logVariance2
        let dm = mean1 - mean2
        return 0.5 * ((DetMath.expm1(d) - d) + dm * dm * DetMath.exp(-logVariance2))
    }

    /// KL(N(m1, s1²) || N(m2, s2²)) from standard deviations, as −log r + (r² + e² − 1)/2 with
    /// r = s1/s2 and e = (m1 − m2)/s2: the progressive coder's per-step KL, which has the standard
    /// deviations at hand (its rounding to whole bits is part of the stream, so this form stays).
    @inline(__always)
    public static func normalKL(mean1: Double, std1: Double, mean2: Double, std2: Double) -> Double {
        let r = std1 / std2, e = (mean1 - mean2) / std2
        return -DetMath.log(r) + 0.5 * (r * r + e * e - 1)
    }

    /// KL(N(m, e^lv) || N(0, 1)), the prior term L_T.
    @inline(__always)
    public static func klToStandardNormal(mean: Double, logVariance: Double) -> Double {
        normalKL(mean1: mean, logVariance1: logVariance, mean2: 0, logVariance2: 0)
    }
}

/// The discretized Gaussian decoder p(v | x_1) over the 256 levels of a sub-pixel.
///
/// Level v in 0...255 sits at x = 2v/255 - 1 and owns the bin [x - 1/255, x + 1/255]; the edge
/// bins are open (v = 0 takes everything below -1 + 1/255, v = 255 everything above
/// 1 - 1/255), so the 256 masses sum to 1 for any mean and scale.
///
/// The masses come from DetMath.gaussianBinMass, an exact Gaussian CDF difference (a few ulp,
/// with relative accuracy far into the tails). The DDPM authors' code instead uses the tanh
/// approximation Phi(z) ~ (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))) / 2 (absolute error up to
/// ~2e-4 in Phi, so relative errors of several percent in small bin masses, and it is floored
/// at 1e-12). Its numbers therefore differ from these by a small amount that depends on the model; this
/// bound is the codelength an entropy coder using exact Gaussian masses achieves.
public enum DiscretizedDecoder {
    public static let levels = 256

    /// The sub-pixel value x_0 = 2v/255 - 1 the model sees for level v.
    @inline(__always)
    public static func value(_ v: Int) -> Double { PixelLevel.value(v) }

    /// The edges of level v's bin; infinite at the two open ends.
    @inline(__always)
    public static func binEdges(_ v: Int) -> (lower: Double, upper: Double) {
        let x = value(v)
        return (v == 0 ? -.infinity : x - 1.0 / 255, v == levels - 1 ? .infinity : x + 1.0 / 255)
    }

    /// p(v | x_1) for a decoder N(mean, e^logVariance).
    @inline(__always)
    public static func mass(level v: Int, mean: Double, logVariance: Double) -> Double {
        let (lower, upper) = binEdges(v)
        return DetMath.gaussianBinMass(lower: lower, upper: upper, mean: mean, std: DetMath.exp(0.5 * logVariance))
    }

    /// -log p(v | x_1) in nats (+inf only if the mass underflows to 0).
    @inline(__always)
    public static func negativeLogLikelihood(level v: Int, mean: Double, logVariance: Double) -> Double {
        -DetMath.log(mass(level: v, mean: mean, logVariance: logVariance))
    }
}

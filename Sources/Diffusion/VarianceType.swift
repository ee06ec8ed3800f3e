/// sigma_t^2 of the reverse step p(x_{t-1} | x_t), as improved-diffusion defines it.
///
/// At the decoder step t = 1 the true posterior variance beta~_1 is 0, so both fixed types use
/// log beta~_2 there (the DDPM authors' `np.append(posterior_variance[1], betas[1:])` and
/// `posterior_log_variance_clipped`): sigma_1^2 = beta~_2, about (0.00738)^2 for the linear
/// 1e-4..0.02 schedule, i.e. 0.94 grey levels on the 0..255 scale.
///
/// diffusers' DDPMScheduler differs at t = 1 (its timestep 0): fixed_small clamps beta~_1 = 0 to
/// 1e-20, fixed_large uses beta_1 (sigma = 0.01), learned_range interpolates towards log(1e-20)
/// instead of log beta~_2, and its sampler adds no noise at that step at all. `learned` is a
/// variance there and a log-variance here. None of that is a usable codelength at t = 1,
/// which is why the bound follows the authors.
public enum VarianceType: String, Equatable, Sendable {
    /// sigma_t^2 = beta_t (t >= 2), beta~_2 at t = 1.
    case fixedLarge = "fixed_large"
    /// sigma_t^2 = beta~_t (t >= 2), beta~_2 at t = 1.
    case fixedSmall = "fixed_small"
    /// log sigma_t^2 = v, the network's extra output channels.
    case learned
    /// log sigma_t^2 = f log beta_t + (1 - f) log beta~_t (beta~_1 -> beta~_2), f = (v + 1) / 2.
    case learnedRange = "learned_range"

    /// diffusers' names; its `_log` variants are the same variances computed in the log domain.
    public init?(configValue: String) {
        switch configValue {
        case "fixed_large", "fixed_large_log": self = .fixedLarge
        case "fixed_small", "fixed_small_log": self = .fixedSmall
        case "learned": self = .learned
        case "learned_range": self = .learnedRange
        default: return nil
        }
    }

    /// Whether the network outputs variance channels after the eps channels.
    public var isLearned: Bool { self == .learned || self == .learnedRange }
}

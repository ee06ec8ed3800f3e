"""Shared DDPM mathematics of the tools: Tools/train.py, Tools/bound.py and Tools/bound_reference.py.

Conventions follow docs/DESIGN.md §1-2 (Ho et al. 2020; improved-diffusion for learned variances):
  * timestep index i = t - 1 in 0..T-1 is what the network sees (diffusers convention); paper t = i + 1.
  * L_{t-1} for t >= 2: KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)); L_0: -log p(v|x_1), discretized Gaussian
    over 256 bins of width 2/255 with open edge bins, mean NOT clipped at the decoder step.
  * variance types (scheduler_config.json `variance_type`):
      fixed_large   sigma_t^2 = beta_t for t >= 2, beta~_2 at t = 1 (the DDPM authors' code)
      fixed_small   sigma_t^2 = beta~_t for t >= 2, beta~_2 at t = 1
      learned_range log sigma_t^2 = f log beta_t + (1 - f) log beta~_t, f = (v + 1) / 2, with beta~_1 replaced by
                    beta~_2 (improved-diffusion's posterior_log_variance_clipped); v is the network's second
                    half of output channels
      learned       log sigma_t^2 = v directly
  * channels are dim 1 of every tensor here: (N, C, H, W) batches, or (pixels, C) rows of one patch.
Schedule coefficients are float64; a timestep index may be a tensor (one per batch element) or an int.
"""
import json
import math
import os

import numpy as np
import torch

LN2 = math.log(2.0)


# ---------------------------------------------------------------- schedules
def fine_low_end_betas(T=1000, sigma1_levels=0.2, join_t=10, step=0.1, beta_start=1e-4, beta_end=0.02):
    """The linear schedule with its low-noise end replaced (docs/DESIGN.md, "The schedule's low end").

    log SNR falls by `step` per timestep from t = 1, where the noise std is `sigma1_levels` grey levels
    (x in [-1, 1], a grey level is 2/255), down to the linear schedule's value at its t = join_t; from there
    the linear schedule's own steps follow, until T steps are used (its last, noisiest steps are dropped:
    abar_T stays ~1e-4, so the prior term is still negligible). The decoder step then sees x_0 through noise
    well below a grey level, and the bits it paid move to steps the network can predict."""
    old = np.cumprod(1.0 - np.linspace(beta_start, beta_end, T, dtype=np.float64))
    lsnr_old = np.log(old / (1.0 - old))
    s1 = (sigma1_levels / 127.5) ** 2
    lsnr_max = math.log((1.0 - s1) / s1)
    n_low = int(math.ceil((lsnr_max - lsnr_old[join_t - 1]) / step))
    lsnr_low = lsnr_max - step * np.arange(n_low, dtype=np.float64)
    lsnr = np.concatenate([lsnr_low, lsnr_old[join_t - 1:]])[:T]
    abar = 1.0 / (1.0 + np.exp(-lsnr))
    abar_prev = np.append(1.0, abar[:-1])
    return 1.0 - abar / abar_prev


def betas_from_scheduler_config(cfg):
    """float64 betas of a DDPMScheduler config: trained_betas, or linear / scaled_linear / squaredcos_cap_v2."""
    T = cfg.get("num_train_timesteps", 1000)
    if cfg.get("trained_betas"):
        b = np.asarray(cfg["trained_betas"], dtype=np.float64)
        if b.shape != (T,):
            raise ValueError(f"trained_betas has {b.size} values, num_train_timesteps is {T}")
        return b
    kind = cfg.get("beta_schedule", "linear")
    start, end = cfg.get("beta_start", 1e-4), cfg.get("beta_end", 0.02)
    if kind == "linear":
        return np.linspace(start, end, T, dtype=np.float64)
    if kind == "scaled_linear":
        return np.linspace(start ** 0.5, end ** 0.5, T, dtype=np.float64) ** 2
    if kind == "squaredcos_cap_v2":
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        return np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)], dtype=np.float64)
    raise ValueError(f"unsupported beta_schedule {kind}")


def space_timesteps(num_timesteps, count, spacing="even"):
    """improved-diffusion's space_timesteps(num_timesteps, [count]) as an ordered list (even), or the quadratic
    spacing of Sources/Diffusion/Respacing.swift: round(i^2 (T - 1) / (K - 1)^2) in integers, kept increasing."""
    if spacing == "quadratic":
        if count <= 1:
            return [0]
        d, taken = (count - 1) ** 2, []
        for i in range(count):
            taken.append(max((2 * i * i * (num_timesteps - 1) + d) // (2 * d), taken[-1] + 1 if taken else 0))
        return taken
    frac_stride = 1 if count <= 1 else (num_timesteps - 1) / (count - 1)
    cur, taken = 0.0, []
    for _ in range(count):
        taken.append(round(cur))
        cur += frac_stride
    return taken


class Schedule:
    """The DDPM authors' coefficient arrays (GaussianDiffusion2), computed in float64 NumPy and kept as float64
    tensors. `timestep_map[i]` is the original timestep index of step i (they differ once respaced)."""

    def __init__(self, T=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear", device="cpu", betas=None,
                 timestep_map=None):
        if betas is None:
            betas = betas_from_scheduler_config(dict(num_train_timesteps=T, beta_start=beta_start,
                                                     beta_end=beta_end, beta_schedule=beta_schedule))
        betas = np.asarray(betas, dtype=np.float64)
        T = len(betas)
        self.T = T
        self.timestep_map = list(range(T)) if timestep_map is None else list(timestep_map)
        self.device = device
        alphas = 1.0 - betas
        abar = np.cumprod(alphas)
        abar_prev = np.append(1.0, abar[:-1])
        post_var = betas * (1.0 - abar_prev) / (1.0 - abar)
        post_logvar_clipped = np.log(np.append(post_var[1], post_var[1:]))
        fixed_large_logvar = np.log(np.append(post_var[1], betas[1:]))
        d = dict(
            betas=betas, alphas=alphas, abar=abar, abar_prev=abar_prev,
            sqrt_abar=np.sqrt(abar), sqrt_1m_abar=np.sqrt(1.0 - abar), log_1m_abar=np.log(1.0 - abar),
            sqrt_recip_abar=np.sqrt(1.0 / abar), sqrt_recipm1_abar=np.sqrt(1.0 / abar - 1.0),
            post_coef1=betas * np.sqrt(abar_prev) / (1.0 - abar),
            post_coef2=(1.0 - abar_prev) * np.sqrt(alphas) / (1.0 - abar),
            post_var=post_var, post_logvar_clipped=post_logvar_clipped,
            log_betas=np.log(betas), fixed_large_logvar=fixed_large_logvar,
        )
        for k, v in d.items():
            setattr(self, k, torch.tensor(v, dtype=torch.float64, device=device))

    @classmethod
    def from_scheduler_config(cls, cfg, device="cpu"):
        if cfg.get("prediction_type", "epsilon") != "epsilon":
            raise ValueError("prediction_type must be epsilon")
        return cls(device=device, betas=betas_from_scheduler_config(cfg))

    def respaced(self, count, spacing="even"):
        """The `count` steps space_timesteps keeps, with the betas that keep their abar (improved-diffusion)."""
        if count == self.T:
            return self
        return self.respaced_to(space_timesteps(self.T, count, spacing))

    def respaced_to(self, kept):
        """The chain through an explicit increasing list of kept 0-based timesteps (e.g. a chain of
        Tools/optimal_chain.py), respaced as `respaced` does; keeping every timestep returns self."""
        kept = [int(i) for i in kept]
        if not kept or any(b <= a for a, b in zip(kept, kept[1:])) or kept[0] < 0 or kept[-1] >= self.T:
            raise ValueError(f"kept timesteps must increase within 0..{self.T - 1}: {kept}")
        if len(kept) == self.T:
            return self
        abar = self.abar.cpu().numpy()
        last, new_betas = 1.0, []
        for i in kept:
            new_betas.append(1 - abar[i] / last)
            last = abar[i]
        return Schedule(betas=np.array(new_betas), timestep_map=[self.timestep_map[i] for i in kept],
                        device=self.device)

    def g(self, name, i, x):
        """schedule array `name` gathered at indices i, shaped to broadcast against x, in x's dtype."""
        return getattr(self, name)[i].to(x.dtype).view(-1, *([1] * (x.dim() - 1)))


def geometric_strata(T, K):
    """Split t = 1..T into at most K contiguous strata whose widths grow geometrically (singletons at low t,
    where the bound's terms are largest). Returns a list of (first_t, last_t), 1-based inclusive.
    The same strata as Sources/Diffusion/StepStrata.swift."""
    if K >= T:
        return [(t, t) for t in range(1, T + 1)]
    edges = np.geomspace(1, T + 1, K + 1)
    b = [1, 2]  # the decoder step t = 1 is always a stratum of its own, so L_0 is never weighted
    for e in edges[2:]:
        nb = max(b[-1] + 1, int(round(e)))
        b.append(min(nb, T + 1))
        if b[-1] == T + 1:
            break
    b[-1] = T + 1
    return [(b[k], b[k + 1] - 1) for k in range(len(b) - 1)]


# ---------------------------------------------------------------- pixels and models
def level_to_x(v):
    """Sub-pixel level v (0..255, any numeric array) -> x = 2v/255 - 1 in Swift's order (DiscretizedDecoder.value):
    one rounding, in the division."""
    return v * 2.0 / 255.0 - 1.0


def to_model_space(u8):
    """uint8 (N,H,W,C) -> float64 tensor (N,C,H,W) in [-1,1], x = v * (2/255) - 1.
    Not level_to_x's order: for 20 of the 256 levels the two differ in the last bit. Training and bound.py have
    always used this one, so their numbers stay as they were; bound_reference.py, which Swift is checked
    against, uses level_to_x."""
    x = torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).to(torch.float64)
    return x * (2.0 / 255.0) - 1.0


def load_model_dir(path, device="cpu"):
    """(diffusers UNet2DModel, scheduler_config.json as a dict) of a model directory."""
    from diffusers import UNet2DModel
    model = UNet2DModel.from_pretrained(path).to(device).eval()
    with open(os.path.join(path, "scheduler_config.json")) as f:
        scfg = json.load(f)
    return model, scfg


# ---------------------------------------------------------------- q and p
def q_sample(s, x0, i, noise):
    return s.g("sqrt_abar", i, x0) * x0 + s.g("sqrt_1m_abar", i, x0) * noise


def q_posterior(s, x0, xt, i):
    mean = s.g("post_coef1", i, xt) * x0 + s.g("post_coef2", i, xt) * xt
    return mean, s.g("post_logvar_clipped", i, xt)


def split_output(out, C, variance_type):
    if variance_type in ("learned_range", "learned"):
        return out[:, :C], out[:, C:2 * C]
    return out[:, :C], None


def p_mean_logvar(s, out, xt, i, variance_type, clip_x0, clip_range=1.0):
    """Mean and log-variance of p(x_{t-1}|x_t) from the raw network output, and the predicted eps.
    clip_x0: bool or bool tensor per batch element (clip x^_0 to [-clip_range, clip_range] before the
    posterior mean)."""
    C = xt.shape[1]
    eps, v = split_output(out, C, variance_type)
    if variance_type in ("fixed_large", "fixed_large_log"):
        logvar = s.g("fixed_large_logvar", i, xt).expand_as(xt)
    elif variance_type in ("fixed_small", "fixed_small_log"):
        logvar = s.g("post_logvar_clipped", i, xt).expand_as(xt)
    elif variance_type == "learned_range":
        frac = (v + 1.0) / 2.0
        logvar = frac * s.g("log_betas", i, xt) + (1.0 - frac) * s.g("post_logvar_clipped", i, xt)
    elif variance_type == "learned":
        logvar = v
    else:
        raise ValueError(f"unsupported variance_type {variance_type}")
    x0 = s.g("sqrt_recip_abar", i, xt) * xt - s.g("sqrt_recipm1_abar", i, xt) * eps
    if isinstance(clip_x0, torch.Tensor):
        x0 = torch.where(clip_x0.view(-1, *([1] * (xt.dim() - 1))), x0.clamp(-clip_range, clip_range), x0)
    elif clip_x0:
        x0 = x0.clamp(-clip_range, clip_range)
    mean = s.g("post_coef1", i, xt) * x0 + s.g("post_coef2", i, xt) * xt
    return mean, logvar, eps


# ---------------------------------------------------------------- terms (nats per sub-pixel)
def normal_kl(m1, lv1, m2, lv2):
    return 0.5 * (-1.0 + lv2 - lv1 + torch.exp(lv1 - lv2) + (m1 - m2) ** 2 * torch.exp(-lv2))


def prior_kl(s, x0):
    """KL(q(x_T|x_0) || N(0,I)), the prior term L_T."""
    m = s.g("sqrt_abar", s.T - 1, x0) * x0
    # NumPy's log from the table, as the reference needs: torch.log disagrees in the last bit for ~2% of
    # arguments (not at abar_T of the linear, fine-low-end or scaled_linear T = 1000 schedules).
    lv = s.g("log_1m_abar", s.T - 1, x0).expand_as(x0)
    return normal_kl(m, lv, torch.zeros_like(m), torch.zeros_like(lv))


# Two decoder likelihoods, numerically different on purpose:
#  * discretized_gaussian_nll (training, bound.py) works in log space, log Phi differences taken on the tail
#    side, so that bins far in the tails of a badly fitted model still give finite values and gradients;
#  * discretized_gaussian_nll_levels (bound_reference.py) is Swift's DiscretizedDecoder step by step: levels,
#    bin edges infinite at the open ends, the mass as an exact CDF difference, then its log, so that the
#    replayed bounds of Fixtures/bound agree with Swift to ~1e-12.
def _log_diff_ndtr(hi, lo):
    """log(Phi(hi) - Phi(lo)) for hi > lo, computed on the tail side that avoids cancellation."""
    flip = (hi + lo) > 0
    a = torch.where(flip, -lo, hi)   # larger argument on the left-tail side
    b = torch.where(flip, -hi, lo)
    la = torch.special.log_ndtr(a)
    lb = torch.special.log_ndtr(b)
    d = torch.clamp(lb - la, max=-1e-30 if la.dtype == torch.float64 else -1e-12)
    return la + torch.log(-torch.expm1(d))


def discretized_gaussian_nll(x0, mean, logvar):
    """-log p(v | x_1) per sub-pixel (nats); x0 = 2v/255 - 1 exactly on the grid."""
    inv_std = torch.exp(-0.5 * logvar)
    c = x0 - mean
    hi = (c + 1.0 / 255.0) * inv_std
    lo = (c - 1.0 / 255.0) * inv_std
    mid = _log_diff_ndtr(hi, lo)
    logp = torch.where(x0 < -0.999, torch.special.log_ndtr(hi),
                       torch.where(x0 > 0.999, torch.special.log_ndtr(-lo), mid))
    return -logp


def discretized_gaussian_nll_levels(levels, mean, logvar):
    """-log p(v) per sub-pixel in nats from integer levels; +inf where the mass underflows, as in Swift."""
    x = level_to_x(levels.to(torch.float64))
    std = torch.exp(0.5 * logvar)
    lo = torch.where(levels == 0, torch.full_like(x, -math.inf), x - 1.0 / 255)
    hi = torch.where(levels == 255, torch.full_like(x, math.inf), x + 1.0 / 255)
    a, b = (lo - mean) / std, (hi - mean) / std
    upper_side = (a + b) > 0
    ndtr = torch.special.ndtr
    mass = torch.where(upper_side, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    return -torch.log(mass)


# ---------------------------------------------------------------- per image, bits/dim
def mean_flat(x):
    return x.mean(dim=tuple(range(1, x.dim())))


def vb_terms_bpd(s, out, x0, xt, i, variance_type, clip_x0=False, detach_mean=False):
    """Per-image L_{t-1} (t >= 2) or L_0 (t = 1) in bits/dim for the batch (x0, xt, i)."""
    mean, logvar, eps = p_mean_logvar(s, out, xt, i, variance_type, clip_x0)
    if detach_mean:
        mean = mean.detach()
    tmean, tlogvar = q_posterior(s, x0, xt, i)
    kl = mean_flat(normal_kl(tmean, tlogvar, mean, logvar)) / LN2
    dec = mean_flat(discretized_gaussian_nll(x0, mean, logvar)) / LN2
    return torch.where(i == 0, dec, kl), eps


def prior_bpd(s, x0):
    """L_T per image in bits/dim."""
    return mean_flat(prior_kl(s, x0)) / LN2

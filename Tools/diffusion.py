"""Shared DDPM mathematics for Tools/train.py and Tools/bound.py.

Conventions follow docs/design.md sections 1-2 (Ho et al. 2020; improved-diffusion for learned variances):
  * timestep index i = t - 1 in 0..T-1 is what the network sees (diffusers convention); paper t = i + 1.
  * all terms are per image, in bits per dimension (mean over C*H*W, divided by ln 2).
  * L_{t-1} for t >= 2: KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)); L_0: -log p(v|x_1), discretized Gaussian
    over 256 bins of width 2/255 with open edge bins, mean NOT clipped at the decoder step.
  * variance types (scheduler_config.json `variance_type`):
      fixed_large   sigma_t^2 = beta_t for t >= 2, beta~_2 at t = 1 (the DDPM authors' code)
      fixed_small   sigma_t^2 = beta~_t for t >= 2, beta~_2 at t = 1
      learned_range log sigma_t^2 = f log beta_t + (1 - f) log beta~_t, f = (v + 1) / 2, with beta~_1 replaced by
                    beta~_2 (improved-diffusion's posterior_log_variance_clipped); v is the network's second
                    half of output channels
      learned       log sigma_t^2 = v directly
"""
import math

import numpy as np
import torch

LN2 = math.log(2.0)


class Schedule:
    def __init__(self, T=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear", device="cpu"):
        if beta_schedule == "linear":
            betas = np.linspace(beta_start, beta_end, T, dtype=np.float64)
        elif beta_schedule == "scaled_linear":
            betas = np.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=np.float64) ** 2
        else:
            raise ValueError(f"unsupported beta_schedule {beta_schedule}")
        self.T = T
        alphas = 1.0 - betas
        abar = np.cumprod(alphas)
        abar_prev = np.append(1.0, abar[:-1])
        post_var = betas * (1.0 - abar_prev) / (1.0 - abar)
        post_logvar_clipped = np.log(np.append(post_var[1], post_var[1:]))
        fixed_large_logvar = np.log(np.append(post_var[1], betas[1:]))
        d = dict(
            betas=betas, alphas=alphas, abar=abar, abar_prev=abar_prev,
            sqrt_abar=np.sqrt(abar), sqrt_1m_abar=np.sqrt(1.0 - abar),
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
        if cfg.get("trained_betas"):
            raise ValueError("trained_betas not supported")
        return cls(cfg.get("num_train_timesteps", 1000), cfg.get("beta_start", 1e-4), cfg.get("beta_end", 0.02),
                   cfg.get("beta_schedule", "linear"), device)

    def g(self, name, i, x):
        """schedule array `name` gathered at indices i, shaped to broadcast against x, in x's dtype."""
        return getattr(self, name)[i].to(x.dtype).view(-1, *([1] * (x.dim() - 1)))


def q_sample(s, x0, i, noise):
    return s.g("sqrt_abar", i, x0) * x0 + s.g("sqrt_1m_abar", i, x0) * noise


def q_posterior(s, x0, xt, i):
    mean = s.g("post_coef1", i, xt) * x0 + s.g("post_coef2", i, xt) * xt
    return mean, s.g("post_logvar_clipped", i, xt)


def split_output(out, C, variance_type):
    if variance_type in ("learned_range", "learned"):
        return out[:, :C], out[:, C:2 * C]
    return out[:, :C], None


def p_mean_logvar(s, out, xt, i, variance_type, clip_x0):
    """Mean and log-variance of p(x_{t-1}|x_t) from the raw network output.
    clip_x0: bool or bool tensor per batch element (clip x^_0 to [-1,1] before the posterior mean)."""
    C = xt.shape[1]
    eps, v = split_output(out, C, variance_type)
    if variance_type == "fixed_large":
        logvar = s.g("fixed_large_logvar", i, xt).expand_as(xt)
    elif variance_type == "fixed_small":
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
        x0 = torch.where(clip_x0.view(-1, *([1] * (xt.dim() - 1))), x0.clamp(-1, 1), x0)
    elif clip_x0:
        x0 = x0.clamp(-1, 1)
    mean = s.g("post_coef1", i, xt) * x0 + s.g("post_coef2", i, xt) * xt
    return mean, logvar, eps


def normal_kl(m1, lv1, m2, lv2):
    return 0.5 * (-1.0 + lv2 - lv1 + torch.exp(lv1 - lv2) + (m1 - m2) ** 2 * torch.exp(-lv2))


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
    """L_T = KL(q(x_T|x_0) || N(0,I)) per image in bits/dim."""
    i = torch.full((x0.shape[0],), s.T - 1, dtype=torch.long, device=x0.device)
    m = s.g("sqrt_abar", i, x0) * x0
    lv = torch.log(1.0 - s.g("abar", i, x0)).expand_as(x0)
    return mean_flat(normal_kl(m, lv, torch.zeros_like(m), torch.zeros_like(lv))) / LN2


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

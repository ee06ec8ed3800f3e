#!/usr/bin/env python3
"""Reference implementation of `ddpmc bound` in PyTorch/NumPy (float64 wherever the network is not involved).

The same terms as Sources/Diffusion, written from the DDPM authors' code (diffusion_utils_2.py:
GaussianDiffusion2._vb_terms_bpd / _prior_bpd / calc_bpd_loop) and improved-diffusion (respace.py,
learned_range), with the same x_t noise, so that the Swift result can be checked per image:

  L_T      KL(q(x_K|x_0) || N(0,I))                         normal_kl, log(1 - abar)
  L_{t-1}  KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)), t >= 2  x^_0 clipped to [-r, r] when clip_sample
  L_0      -log of the discretized Gaussian mass of N(mu(x_1,1), sigma_1^2) on [x - 1/255, x + 1/255],
           open edge bins, NOT clipped; the exact CDF (torch.special.ndtr, tail side), not the authors'
           tanh approximation
  fixed_large: log sigma^2 = log(append(beta~_2, beta[1:]));  fixed_small: log beta~ with beta~_1 -> beta~_2;
  learned_range: frac * log beta + (1 - frac) * log beta~ (clipped), frac = (v + 1) / 2;  learned: v.

Noise: eps for image n at (original, 1-based) timestep t is Philox4x32-10 with key = seed, counter =
(pair lo, pair hi, stream lo, stream hi), stream = n << 32 | t, Box-Muller on each block (cos first, then sin),
indexed by the sub-pixel's HWC position in the whole image. `--noise FILE` reads the eps that
`ddpmc bound --dump-noise FILE` wrote instead (float64 [steps, sum of D], images concatenated).

--terms K (Sources/Diffusion/StepStrata.swift): an unbiased stratified estimate of the sum over steps, the
strata of Tools/diffusion.py's geometric_strata; image n draws t = a + floor(width * r / 2^32) in stratum j, r the
first word of the Philox4x32 block (j, 0, stream lo, stream hi), stream = n << 32 (t = 0: no noise stream);
the term counts width times.

Tiling (docs/TILING.md): patches of the model's sample_size from the top-left, x_t edge-replicated past the
image, only real pixels counted.

  python3 Tools/bound_reference.py --model Fixtures/unet/gray28-plain Fixtures/bound/fmnist3.npy --steps 100 --json
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------------------- schedule
def betas_from_config(cfg):
    if cfg.get("prediction_type", "epsilon") != "epsilon":
        raise SystemExit("prediction_type must be epsilon")
    T = int(cfg.get("num_train_timesteps", 1000))
    if cfg.get("trained_betas") is not None:
        return np.asarray(cfg["trained_betas"], dtype=np.float64)
    kind = cfg.get("beta_schedule", "linear")
    b0, b1 = cfg.get("beta_start", 1e-4), cfg.get("beta_end", 0.02)
    if kind == "linear":
        return np.linspace(b0, b1, T, dtype=np.float64)
    if kind == "scaled_linear":
        return np.linspace(b0 ** 0.5, b1 ** 0.5, T, dtype=np.float64) ** 2
    if kind == "squaredcos_cap_v2":
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        return np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)], dtype=np.float64)
    raise SystemExit(f"unsupported beta_schedule {kind}")


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
    """The authors' GaussianDiffusion2 coefficient arrays (float64 numpy), optionally respaced."""

    def __init__(self, betas, timestep_map=None):
        betas = np.asarray(betas, dtype=np.float64)
        self.T = len(betas)
        self.timestep_map = list(range(self.T)) if timestep_map is None else list(timestep_map)
        self.betas = betas
        alphas = 1.0 - betas
        self.abar = np.cumprod(alphas, axis=0)
        self.abar_prev = np.append(1.0, self.abar[:-1])
        self.sqrt_abar = np.sqrt(self.abar)
        self.sqrt_1m_abar = np.sqrt(1.0 - self.abar)
        self.log_1m_abar = np.log(1.0 - self.abar)
        self.sqrt_recip_abar = np.sqrt(1.0 / self.abar)
        self.sqrt_recipm1_abar = np.sqrt(1.0 / self.abar - 1)
        self.post_var = betas * (1.0 - self.abar_prev) / (1.0 - self.abar)
        self.post_logvar_clipped = np.log(np.append(self.post_var[1], self.post_var[1:]))
        self.post_coef1 = betas * np.sqrt(self.abar_prev) / (1.0 - self.abar)
        self.post_coef2 = (1.0 - self.abar_prev) * np.sqrt(alphas) / (1.0 - self.abar)
        self.log_betas = np.log(betas)
        self.fixed_large_logvar = np.log(np.append(self.post_var[1], betas[1:]))

    def respaced(self, count, spacing="even"):
        if count == self.T:
            return self
        kept = space_timesteps(self.T, count, spacing)
        last, new_betas = 1.0, []
        for i, a in enumerate(self.abar):
            if i in kept:
                new_betas.append(1 - a / last)
                last = a
        return Schedule(np.array(new_betas), [self.timestep_map[i] for i in kept])


# ------------------------------------------------------------------------------------------- noise
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = np.uint64(0xFFFFFFFF)


def philox4x32(c0, c1, c2, c3, seed):
    """Random123 philox4x32-10 on uint64 arrays holding 32-bit words; key = (seed lo, seed hi)."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3))
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
        p0 = np.uint64(M0) * c0
        p1 = np.uint64(M1) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & MASK,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & MASK)
    return c0, c1, c2, c3


def uniform01(bits):
    k = bits >> np.uint64(11)
    return np.where(k == 0, 2.0 ** -54, k.astype(np.float64) * 2.0 ** -53)


def standard_normal(seed, stream, count):
    """Samples 0..count-1 of (seed, stream), as Philox4x32.fillStandardNormal makes them."""
    pairs = np.arange((count + 1) // 2, dtype=np.uint64)
    r0, r1, r2, r3 = philox4x32(pairs & MASK, pairs >> np.uint64(32), np.uint64(stream & 0xFFFFFFFF),
                                np.uint64(stream >> 32), seed)
    u1 = uniform01(r0 | (r1 << np.uint64(32)))
    u2 = uniform01(r2 | (r3 << np.uint64(32)))
    radius = np.sqrt(-2.0 * np.log(u1))
    out = np.empty(2 * len(pairs))
    out[0::2] = radius * np.cos(2 * np.pi * u2)
    out[1::2] = radius * np.sin(2 * np.pi * u2)
    return out[:count]


def noise_stream(image, t):
    return (image << 32) | t


def stratum_draws(strata, seed, image):
    """[(t, weight)] of `image`, one per stratum, as StepStrata.draws."""
    stream = noise_stream(image, 0)
    j = np.arange(len(strata), dtype=np.uint64)
    r0, _, _, _ = philox4x32(j, np.zeros_like(j), np.uint64(stream & 0xFFFFFFFF), np.uint64(stream >> 32), seed)
    out = []
    for k, (a, b) in enumerate(strata):
        width = b - a + 1
        out.append((a, 1) if width == 1 else (a + int((int(r0[k]) * width) >> 32), width))
    return out


# ------------------------------------------------------------------------------------------- terms
def normal_kl(m1, lv1, m2, lv2):
    return 0.5 * (-1.0 + lv2 - lv1 + torch.exp(lv1 - lv2) + (m1 - m2) ** 2 * torch.exp(-lv2))


def discretized_gaussian_nll(levels, mean, logvar):
    """-log p(v) per sub-pixel in nats; exact Gaussian CDF, differences taken on the tail side."""
    x = levels.to(torch.float64) * 2.0 / 255.0 - 1.0
    std = torch.exp(0.5 * logvar)
    lo = torch.where(levels == 0, torch.full_like(x, -math.inf), x - 1.0 / 255)
    hi = torch.where(levels == 255, torch.full_like(x, math.inf), x + 1.0 / 255)
    a, b = (lo - mean) / std, (hi - mean) / std
    upper_side = (a + b) > 0
    ndtr = torch.special.ndtr
    mass = torch.where(upper_side, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    return -torch.log(mass)


def model_mean_logvar(s, var_type, out, xt, i, C, clip, clip_range):
    eps = out[:, :C]
    x0 = s.sqrt_recip_abar[i] * xt - s.sqrt_recipm1_abar[i] * eps
    if clip:
        x0 = x0.clamp(-clip_range, clip_range)
    mean = s.post_coef1[i] * x0 + s.post_coef2[i] * xt
    if var_type in ("fixed_large", "fixed_large_log"):
        lv = torch.full_like(xt, s.fixed_large_logvar[i])
    elif var_type in ("fixed_small", "fixed_small_log"):
        lv = torch.full_like(xt, s.post_logvar_clipped[i])
    elif var_type == "learned_range":
        frac = (out[:, C:2 * C] + 1) / 2
        lv = frac * s.log_betas[i] + (1 - frac) * s.post_logvar_clipped[i]
    elif var_type == "learned":
        lv = out[:, C:2 * C].clone()
    else:
        raise SystemExit(f"unsupported variance_type {var_type}")
    return mean, lv


# ------------------------------------------------------------------------------------------- images
def load_images(path):
    """[(name, uint8 HWC array)] from .npy (N,H,W[,C]), idx(.gz) or PNG."""
    base = os.path.basename(path)
    if path.endswith(".npy"):
        a = np.load(path)
        if a.ndim == 3:
            a = a[..., None]
        return [(f"{base}[{i}]", a[i]) for i in range(len(a))]
    if path.lower().endswith(".png"):
        from PIL import Image
        a = np.asarray(Image.open(path))
        return [(base, a[..., None] if a.ndim == 2 else a)]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, _, ndim = struct.unpack(">HBB", data[:4])
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    a = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    stem = base[:-3] if base.endswith(".gz") else base
    return [(f"{stem}[{i}]", a[i][..., None]) for i in range(len(a))]


def patches_of(h, w, ph, pw):
    return [(y, x) for y in range(0, h, ph) for x in range(0, w, pw)]


# ------------------------------------------------------------------------------------------- bound
@torch.no_grad()
def bound(model_dir, images, steps=None, seed=0, batch=64, clip=None, clip_decoder=False, noise_file=None,
          progress=False, overrides=None, record=None, terms=None, spacing="even"):
    """Per-image bound of `images` [(name, uint8 HWC)]; `overrides` replaces scheduler_config.json fields;
    `record` (a list) receives each step's network output for all patches, float32 NHWC [P, H, W, C'];
    `terms`: stratified estimate from <= terms steps per image (None: every step)."""
    from diffusers import UNet2DModel
    model = UNet2DModel.from_pretrained(model_dir).eval()
    with open(os.path.join(model_dir, "scheduler_config.json")) as f:
        cfg = json.load(f)
    cfg.update(overrides or {})
    s = Schedule(betas_from_config(cfg))
    if steps:
        s = s.respaced(steps, spacing)
    var_type = cfg.get("variance_type", "fixed_small")
    clip_t = cfg.get("clip_sample", True) if clip is None else clip
    clip_range = cfg.get("clip_sample_range", 1.0)
    size = model.config.sample_size
    ph, pw = (size, size) if isinstance(size, int) else tuple(size)
    C = model.config.in_channels
    K = s.T
    dims = [img.size for _, img in images]
    offsets = np.concatenate([[0], np.cumsum(dims)])
    noise = np.load(noise_file, mmap_mode="r") if noise_file else None
    if noise is not None and noise.shape != (K, offsets[-1]):
        raise SystemExit(f"{noise_file}: shape {noise.shape}, expected {(K, offsets[-1])}")
    x0s = [torch.from_numpy(img.astype(np.float64) * 2.0 / 255.0 - 1.0) for _, img in images]
    levels = [torch.from_numpy(img.astype(np.int64)) for _, img in images]
    weights = np.ones((len(images), K))
    if terms is not None and terms < K:
        if record is not None or noise is not None:
            raise SystemExit("--terms needs every step's noise and output; drop --noise")
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from diffusion import geometric_strata
        strata = geometric_strata(K, terms)
        weights[:] = 0
        for n in range(len(images)):
            for t_draw, w in stratum_draws(strata, seed, n):
                weights[n, t_draw - 1] += w
    all_jobs = [(n, y, x) for n, (_, img) in enumerate(images)
                for (y, x) in patches_of(img.shape[0], img.shape[1], ph, pw)]
    nats = np.zeros((len(images), K))
    t0 = time.time()
    for i in range(K):
        t = s.timestep_map[i]
        jobs = [job for job in all_jobs if weights[job[0], i] > 0]
        if not jobs:
            continue
        xts, padded = {}, {}
        for n, (_, img) in enumerate(images):
            if weights[n, i] == 0:
                continue
            if noise is not None:
                eps = np.array(noise[i, offsets[n]:offsets[n + 1]], dtype=np.float64)
            else:
                eps = standard_normal(seed, noise_stream(n, t + 1), img.size)
            xt = s.sqrt_abar[i] * x0s[n] + math.sqrt(1.0 - s.abar[i]) * torch.from_numpy(eps.reshape(img.shape))
            xts[n] = xt
            h, w = img.shape[:2]
            H, W = -(-h // ph) * ph, -(-w // pw) * pw
            padded[n] = np.pad(xt.numpy(), ((0, H - h), (0, W - w), (0, 0)), mode="edge")
        step_out = []
        for b0 in range(0, len(jobs), batch):
            chunk = jobs[b0:b0 + batch]
            inp = np.stack([padded[n][y:y + ph, x:x + pw] for n, y, x in chunk])          # B,ph,pw,C float64
            inp32 = torch.from_numpy(inp).float().permute(0, 3, 1, 2).contiguous()
            out = model(inp32, torch.full((len(chunk),), t, dtype=torch.long)).sample.double()
            if record is not None:
                step_out.append(out.permute(0, 2, 3, 1).float().numpy())
            out = out.permute(0, 2, 3, 1)                                                   # B,ph,pw,C'
            for j, (n, y, x) in enumerate(chunk):
                h, w = images[n][1].shape[:2]
                rh, rw = min(ph, h - y), min(pw, w - x)
                o = out[j, :rh, :rw].reshape(-1, out.shape[-1])
                xt = xts[n][y:y + rh, x:x + rw].reshape(-1, C)
                x0 = x0s[n][y:y + rh, x:x + rw].reshape(-1, C)
                do_clip = clip_decoder if i == 0 else clip_t
                mean, lv = model_mean_logvar(s, var_type, o, xt, i, C, do_clip, clip_range)
                if i == 0:
                    term = discretized_gaussian_nll(levels[n][y:y + rh, x:x + rw].reshape(-1, C), mean, lv)
                else:
                    qm = s.post_coef1[i] * x0 + s.post_coef2[i] * xt
                    term = normal_kl(qm, torch.full_like(qm, s.post_logvar_clipped[i]), mean, lv)
                nats[n, i] += float(term.sum())
        if record is not None:
            record.append(np.concatenate(step_out))
        if progress:
            el = time.time() - t0
            print(f"\rstep {i + 1}/{K}  {el:.0f}s  eta {el / (i + 1) * (K - i - 1):.0f}s", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    nats *= weights
    results = []
    for n, (name, img) in enumerate(images):
        scale = 1.0 / (img.size * LN2)
        m = s.sqrt_abar[K - 1] * x0s[n]
        lv = torch.full_like(m, s.log_1m_abar[K - 1])
        prior = float(normal_kl(m, lv, torch.zeros_like(m), torch.zeros_like(m)).sum()) * scale
        diffusion, decoder = float(nats[n, 1:].sum()) * scale, float(nats[n, 0]) * scale
        results.append(dict(name=name, bits_per_dim=prior + diffusion + decoder, prior=prior, diffusion=diffusion,
                            decoder=decoder))
    totals = np.array([r["bits_per_dim"] for r in results])
    se = float(totals.std(ddof=1) / math.sqrt(len(totals))) if len(totals) > 1 else None
    per_step = (nats / (np.array(dims)[:, None] * LN2)).mean(axis=0)
    return dict(model=model_dir, steps=K, terms_per_image=int((weights[0] > 0).sum()), mean_bits_per_dim=float(totals.mean()), stderr=se, images=results,
                per_step=per_step.tolist(), timesteps=s.timestep_map, seconds=time.time() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help=".npy (N,H,W[,C]) uint8, idx/idx.gz, or PNG")
    ap.add_argument("--model", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--spacing", choices=["quadratic", "even"], default="quadratic",
                    help="timesteps --steps keeps (as `ddpmc bound --spacing`)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--clip", choices=["config", "yes", "no"], default="config")
    ap.add_argument("--clip-decoder", action="store_true")
    ap.add_argument("--override", default="{}", help='scheduler_config.json fields to replace, as JSON, '
                    'e.g. \'{"variance_type": "fixed_small"}\'')
    ap.add_argument("--noise", help="eps from `ddpmc bound --dump-noise` instead of regenerating it")
    ap.add_argument("--terms", type=int, default=None, help="stratified estimate from <= K terms per image "
                    "(the same t as `ddpmc bound --terms K`)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N images")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    images = [item for p in a.inputs for item in load_images(p)]
    if a.limit is not None:
        images = images[:a.limit]
    if a.terms is not None and a.terms < 2:
        raise SystemExit("--terms must be at least 2 (the decoder step and one more)")
    clip = None if a.clip == "config" else a.clip == "yes"
    r = bound(a.model, images, a.steps, a.seed, a.batch, clip, a.clip_decoder, a.noise, progress=not a.json,
              overrides=json.loads(a.override), terms=a.terms, spacing=a.spacing)
    if a.json:
        r = {k: v for k, v in r.items() if k not in ("per_step", "timesteps")}
        print(json.dumps(r, indent=2))
    else:
        for im in r["images"]:
            print(f"{im['name']}: {im['bits_per_dim']:.6f} bits/dim (prior {im['prior']:.7f}, "
                  f"diffusion {im['diffusion']:.6f}, decoder {im['decoder']:.6f})")
        print(f"mean {r['mean_bits_per_dim']:.6f} bits/dim over {len(images)} images")


if __name__ == "__main__":
    main()

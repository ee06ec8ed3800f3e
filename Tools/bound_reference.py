#!/usr/bin/env python3
"""Reference implementation of `ddpmc bound` in PyTorch/NumPy (float64 wherever the network is not involved).

The same terms as Sources/Diffusion, written from the DDPM authors' code (diffusion_utils_2.py:
GaussianDiffusion2._vb_terms_bpd / _prior_bpd / calc_bpd_loop) and improved-diffusion (respace.py,
learned_range), with the same x_t noise, so that the Swift result can be checked per image. The formulas are
Tools/diffusion.py's (shared with bound.py and training); what is the reference's own is ddpmc's noise and
draws of t, the tiling, and the per-patch sums in float64:

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
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusion as D  # noqa: E402
from images import load_inputs  # noqa: E402


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


def patches_of(h, w, ph, pw):
    return [(y, x) for y in range(0, h, ph) for x in range(0, w, pw)]


# ------------------------------------------------------------------------------------------- bound
@torch.no_grad()
def bound(model_dir, images, steps=None, seed=0, batch=64, clip=None, clip_decoder=False, noise_file=None,
          progress=False, overrides=None, record=None, terms=None, spacing="even"):
    """Per-image bound of `images` [(name, uint8 HWC)]; `overrides` replaces scheduler_config.json fields;
    `record` (a list) receives each step's network output for all patches, float32 NHWC [P, H, W, C'];
    `terms`: stratified estimate from <= terms steps per image (None: every step)."""
    model, cfg = D.load_model_dir(model_dir)
    cfg.update(overrides or {})
    s = D.Schedule.from_scheduler_config(cfg)
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
    x0s = [torch.from_numpy(D.level_to_x(img.astype(np.float64))) for _, img in images]
    levels = [torch.from_numpy(img.astype(np.int64)) for _, img in images]
    weights = np.ones((len(images), K))
    if terms is not None and terms < K:
        if record is not None or noise is not None:
            raise SystemExit("--terms needs every step's noise and output; drop --noise")
        strata = D.geometric_strata(K, terms)
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
            xt = D.q_sample(s, x0s[n], i, torch.from_numpy(eps.reshape(img.shape)))
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
                mean, lv, _ = D.p_mean_logvar(s, o, xt, i, var_type, do_clip, clip_range)
                if i == 0:
                    term = D.discretized_gaussian_nll_levels(levels[n][y:y + rh, x:x + rw].reshape(-1, C), mean, lv)
                else:
                    term = D.normal_kl(*D.q_posterior(s, x0, xt, i), mean, lv)
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
        scale = 1.0 / (img.size * D.LN2)
        prior = float(D.prior_kl(s, x0s[n]).sum()) * scale
        diffusion, decoder = float(nats[n, 1:].sum()) * scale, float(nats[n, 0]) * scale
        results.append(dict(name=name, bits_per_dim=prior + diffusion + decoder, prior=prior, diffusion=diffusion,
                            decoder=decoder))
    totals = np.array([r["bits_per_dim"] for r in results])
    se = float(totals.std(ddof=1) / math.sqrt(len(totals))) if len(totals) > 1 else None
    per_step = (nats / (np.array(dims)[:, None] * D.LN2)).mean(axis=0)
    return dict(model=model_dir, steps=K, terms_per_image=int((weights[0] > 0).sum()), mean_bits_per_dim=float(totals.mean()), stderr=se, images=results,
                per_step=per_step.tolist(), timesteps=s.timestep_map, seconds=time.time() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help="PNG, folder of PNGs, .npy (N,H,W[,C]) uint8, or idx/idx.gz")
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
    images = load_inputs(a.inputs)
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

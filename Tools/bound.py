#!/usr/bin/env python3
"""Variational bound (negative ELBO) in bits/dim of a diffusers UNet2DModel + DDPMScheduler directory,
exactly as docs/DESIGN.md §2:

  L = L_T + sum_{t=2..T} L_{t-1} + L_0
  L_T      KL(q(x_T|x_0) || N(0,I))
  L_{t-1}  KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) at one x_t ~ q(x_t|x_0) per term and image;
           x^_0 clipped to [-1,1] before the posterior mean when the scheduler config says clip_sample
  L_0      -log p(v|x_1): discretized Gaussian, 256 bins of width 2/255, open edge bins, NOT clipped
  variance from the scheduler config's variance_type (see Tools/diffusion.py), or --variance to override.

--terms K evaluates a cheap unbiased estimate: t = 1..T is split into <= K strata of geometrically growing
width (single terms at low t, where the bits are), one random t per stratum and image, weighted by the
stratum width. Default: all T terms (exact, up to the x_t samples).

A respaced chain instead of all T timesteps (the network is still called with the original timestep):
--steps K [--spacing quadratic|even] keeps K timesteps as `ddpmc bound --steps K` does; --timesteps 0,3,...,999 or
--chain-json FILE --chain-k K (a chains file of Tools/optimal_chain.py) keeps an explicit list.

Examples:
  python3 Tools/bound.py --model Fixtures/models/fmnist28 --images fmnist:test --n 256
  python3 Tools/bound.py --model Fixtures/models/fmnist28 --images data/fmnist28/val.npy --n 64 --terms 100
  python3 Tools/bound.py --model Fixtures/models/fmnist28 --images fmnist:test --n 200 \\
      --chain-json /tmp/fmnist28-chains.json --chain-k 40
  --json prints a machine-readable summary on stdout.
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
import images  # noqa: E402

# Re-exported: train.py reaches them through this module.
to_model_space = D.to_model_space
load_model_dir = D.load_model_dir


@torch.no_grad()
def evaluate(model, sched, variance_type, images_u8, terms=None, batch=256, seed=0, clip=True,
             clip_decoder=False, progress=False):
    """Per-image bound terms. Returns dict of numpy arrays (bits/dim): prior, diffusion (sum over t>=2),
    decoder (L_0), total; and per-t mean contributions ('per_t', length T, NaN where not evaluated)."""
    x0_all = D.to_model_space(images_u8)
    N, T = x0_all.shape[0], sched.T
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    if terms is None or terms >= T:
        strata = [(t, t) for t in range(1, T + 1)]
    else:
        strata = D.geometric_strata(T, terms)
    # pairs (image, t index, weight)
    img_idx, t_idx, w = [], [], []
    for n in range(N):
        for (a, b) in strata:
            t = a if a == b else int(rng.integers(a, b + 1))
            img_idx.append(n)
            t_idx.append(t - 1)
            w.append(b - a + 1)
    img_idx = torch.tensor(img_idx)
    t_idx = torch.tensor(t_idx)
    model_t = torch.tensor(sched.timestep_map)  # the identity unless respaced
    w = torch.tensor(w, dtype=torch.float64)
    diff = torch.zeros(N, dtype=torch.float64)
    dec = torch.zeros(N, dtype=torch.float64)
    per_t_sum = torch.zeros(T, dtype=torch.float64)
    per_t_cnt = torch.zeros(T, dtype=torch.float64)
    P = len(img_idx)
    t0 = time.time()
    model.eval()
    for s0 in range(0, P, batch):
        ii, ti, wi = img_idx[s0:s0 + batch], t_idx[s0:s0 + batch], w[s0:s0 + batch]
        x0 = x0_all[ii]
        noise = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
        xt = D.q_sample(sched, x0, ti, noise).float()
        out = model(xt, model_t[ti]).sample.double()
        clip_t = (ti > 0) & clip if not clip_decoder else torch.full_like(ti, clip, dtype=torch.bool)
        terms_bpd, _ = D.vb_terms_bpd(sched, out, x0, xt.double(), ti, variance_type, clip_x0=clip_t)
        is_dec = ti == 0
        dec.index_add_(0, ii[is_dec], terms_bpd[is_dec])
        diff.index_add_(0, ii[~is_dec], (terms_bpd * wi)[~is_dec])
        per_t_sum.index_add_(0, ti, terms_bpd)
        per_t_cnt.index_add_(0, ti, torch.ones_like(terms_bpd))
        if progress:
            done = min(s0 + batch, P)
            el = time.time() - t0
            print(f"\r{done}/{P} terms  {el:.0f}s  eta {el / done * (P - done):.0f}s", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    prior = D.prior_bpd(sched, x0_all)
    total = prior + diff + dec
    per_t = (per_t_sum / per_t_cnt).numpy()
    return dict(prior=prior.numpy(), diffusion=diff.numpy(), decoder=dec.numpy(), total=total.numpy(), per_t=per_t)


def summarize(r):
    n = len(r["total"])
    se = lambda a: float(np.std(a, ddof=1) / math.sqrt(n)) if n > 1 else float("nan")  # noqa: E731
    return dict(n=n, bpd=float(r["total"].mean()), se=se(r["total"]), prior=float(r["prior"].mean()),
                diffusion=float(r["diffusion"].mean()), decoder=float(r["decoder"].mean()))


def respaced_schedule(sched, a, ap):
    """The schedule of the chain that --steps / --timesteps / --chain-json ask for (at most one of them)."""
    given = [x for x in (a.steps, a.timesteps, a.chain_json) if x is not None]
    if len(given) > 1:
        ap.error("give at most one of --steps, --timesteps, --chain-json")
    if a.steps is not None:
        if not 2 <= a.steps <= sched.T:
            ap.error(f"--steps must be within 2..{sched.T}")
        return sched.respaced(a.steps, a.spacing)
    if a.timesteps is not None:
        kept = [int(v) for v in a.timesteps.split(",") if v.strip()]
    elif a.chain_json is not None:
        if a.chain_k is None:
            ap.error("--chain-json needs --chain-k")
        with open(a.chain_json) as f:
            chains = json.load(f)
        if chains.get("timesteps") != sched.T:
            ap.error(f"{a.chain_json}: chains of a T = {chains.get('timesteps')} schedule, the model's T is {sched.T}")
        if str(a.chain_k) not in chains["chains"]:
            ap.error(f"{a.chain_json}: no chain for K = {a.chain_k}")
        kept = chains["chains"][str(a.chain_k)]
    else:
        return sched
    if len(kept) < 2:
        ap.error("a chain keeps at least 2 timesteps (the decoder step and one more)")
    try:
        return sched.respaced_to(kept)
    except ValueError as e:
        ap.error(str(e))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="diffusers directory (config.json, safetensors, scheduler_config.json)")
    ap.add_argument("--images", default="fmnist:test",
                    help="idx/idx.gz file, .npy uint8 (N,H,W[,C]), PNG or folder of PNGs of one size, "
                    "or fmnist:train|val|test")
    ap.add_argument("--n", type=int, default=64, help="first N images (0 = all)")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--terms", type=int, default=None, help="stratified estimate with <= K terms (default: all T)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None, help="respaced chain of K kept timesteps (default: all T)")
    ap.add_argument("--spacing", choices=["quadratic", "even"], default="quadratic",
                    help="timesteps --steps keeps (as `ddpmc bound --spacing`)")
    ap.add_argument("--timesteps", default=None, help="respaced chain through these 0-based timesteps, comma-separated")
    ap.add_argument("--chain-json", default=None, help="chains file of Tools/optimal_chain.py (with --chain-k)")
    ap.add_argument("--chain-k", type=int, default=None, help="the K-step chain of --chain-json")
    ap.add_argument("--variance", default=None, help="override variance_type (fixed_large, fixed_small, ...)")
    ap.add_argument("--clip", choices=["config", "yes", "no"], default="config",
                    help="clip x^_0 for t >= 2 (default: the scheduler config's clip_sample)")
    ap.add_argument("--clip-decoder", action="store_true", help="also clip at t = 1 (not the codec's default)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--per-t", help="write the mean per-t terms (bits/dim) to this .npy")
    a = ap.parse_args(argv)
    if a.terms is not None and a.terms < 2:
        ap.error("--terms must be at least 2 (the decoder step and one more)")
    if a.threads:
        torch.set_num_threads(a.threads)
    imgs = images.load_array(a.images)
    imgs = imgs[a.offset:a.offset + a.n] if a.n else imgs[a.offset:]
    model, scfg = D.load_model_dir(a.model)
    sched = D.Schedule.from_scheduler_config(scfg)
    sched = respaced_schedule(sched, a, ap)
    vt = a.variance or scfg.get("variance_type", "fixed_small")
    clip = scfg.get("clip_sample", False) if a.clip == "config" else a.clip == "yes"
    t0 = time.time()
    r = evaluate(model, sched, vt, imgs, a.terms, a.batch, a.seed, clip, a.clip_decoder, progress=not a.json)
    s = summarize(r)
    s.update(model=a.model, images=a.images, offset=a.offset, terms=a.terms or sched.T, variance_type=vt,
             clip=clip, clip_decoder=a.clip_decoder, seconds=round(time.time() - t0, 1))
    if sched.timestep_map != list(range(sched.T)):
        s.update(steps=sched.T, timesteps=sched.timestep_map)
    if a.per_t:
        np.save(a.per_t, r["per_t"])
    if a.json:
        print(json.dumps(s))
    else:
        print(f"{s['bpd']:.4f} ± {s['se']:.4f} bits/dim on {s['n']} images ({a.images}), "
              f"{s['terms']} terms, variance {vt}, clip {clip}")
        print(f"  prior L_T {s['prior']:.5f}   diffusion sum L_1..L_{{T-1}} {s['diffusion']:.4f}   "
              f"decoder L_0 {s['decoder']:.4f}   ({s['seconds']}s)")


if __name__ == "__main__":
    main()

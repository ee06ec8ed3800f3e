#!/usr/bin/env python3
"""Where a fine-tuned run's bits sit by noise level: the per-step terms of a training run's EMA weights on the first
64 validation crops (200-term stratified estimate: every step up to t ~ 70 exactly), summed over bands of the noise
std in grey levels. Used for the schedule A/B in docs/BENCHMARKS.md ("The schedule's low end"):

  python3 Tools/train.py --config photo32 --schedule S --init-from Training/photo32/state.pt \
      --run-dir runs/ab-S --export-dir none --val-n 128 --max-minutes 25 --ckpt-minutes 1000   # S = linear, fine-low-end
  python3 Tools/schedule_ab.py runs/ab-linear runs/ab-fine-low-end
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import diffusion as D  # noqa: E402
import train  # noqa: E402

BANDS = [(0, 0.5), (0.5, 1.0), (1.0, 1.3), (1.3, 2), (2, 4), (4, 8)]


def bands(run_dir, n=64, terms=200):
    st = torch.load(os.path.join(run_dir, "state.pt"), map_location="cpu", weights_only=False)
    cfg = st["cfg"]
    ema = train.make_model(cfg)
    ema.load_state_dict({k: st["model"][k] + v.float() for k, v in st["ema_delta"].items()})
    sched = D.Schedule(betas=train.schedule_betas(cfg.get("schedule", "linear")))
    _, val = train.load_data(cfg)
    r = bound.evaluate(ema, sched, "learned_range", val[:n], terms=terms, batch=200, seed=1234, clip=True)
    sigma = np.sqrt(1 - sched.abar.numpy()) * 127.5
    per_t = r["per_t"]
    out = {f"{lo}-{hi}": float(np.nansum(per_t[(sigma >= lo) & (sigma < hi)])) for lo, hi in BANDS}
    return bound.summarize(r), out, st["step"]


def main():
    torch.set_num_threads(1)
    for run in sys.argv[1:]:
        s, b, step = bands(run)
        print(f"{run} (step {step}): {s['bpd']:.4f} ± {s['se']:.4f} bits/dim, L_0 {s['decoder']:.4f}")
        for k, v in b.items():
            print(f"  noise std {k} grey levels: {v:.3f} bits/dim")


if __name__ == "__main__":
    main()

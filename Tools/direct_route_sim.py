#!/usr/bin/env python3
"""A simulation of the direct route (docs/DESIGN.md §5) in float64 PyTorch, to ask where its bits go: x_T..x_1 by
reverse channel coding (the budget ladder of BudgetLevel, chunks of at most --chunk bits over interleaved dimensions,
fresh Gaussian candidates instead of the codec's Philox ones, side information not counted), then x_0 under the
discretized decoder. Rules for the sender's choice among a chunk's 2^b candidates:

  likeliest   the largest log q/p (the codec's ReverseChannel.Choice.likeliest)
  linear      the largest −(a·s z): the likeliest without its |z|² term (no preference for small or large noise)
  gammaG      the likeliest with its |z|² term scaled by G
  exact       an exact sample of q at a cost of its KL: the bound's own trajectory, the ideal a rule can reach

Per rule: the mean cost (budget bits + decoder step), the realized Σ KL along its trajectory, the decoder step, and
per step the noise of x_{t−1} around the posterior mean in units of q's variance (r_post; 1 for a sample of q).

  python3 Tools/direct_route_sim.py --n 8 --rules likeliest,exact
"""
import argparse
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusion as D  # noqa: E402
import images  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--model", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Fixtures/models/fmnist28"))
ap.add_argument("--n", type=int, default=5)
ap.add_argument("--offset", type=int, default=0)
ap.add_argument("--steps", type=int, default=50)
ap.add_argument("--chunk", type=int, default=16)
ap.add_argument("--rules", default="likeliest,linear,exact")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--images", default="fmnist:test")
args = ap.parse_args()
torch.set_num_threads(1)
LN2 = math.log(2)
model, scfg = D.load_model_dir(args.model)
model = model.double()
full = D.Schedule.from_scheduler_config(scfg)
s = full.respaced(args.steps, "quadratic")
vt = scfg["variance_type"]
clip = scfg.get("clip_sample", True)
u8 = images.load_array(args.images)[args.offset:args.offset + args.n]

ladder = list(range(7))
while ladder[-1] < 1 << 31:
    k = ladder[-1]; ladder.append(k + max(1, k * 3 // 20))

def level(kl, prev):
    if prev >= 0:
        k = ladder[prev]
        if abs(k - kl) <= 0.5 or (0.85 * kl <= k <= 1.25 * kl): return prev
    target = int(round(kl))
    for i, b in enumerate(ladder):
        if b >= target: return i

def norm_weight(rule):
    """Weight of the |z|² term of log q/p in the choice: 1 for the likeliest, 0 for linear, G for gammaG."""
    return {"likeliest": 1.0, "linear": 0.0}.get(rule) if not rule.startswith("gamma") else float(rule[5:])


def choose(rng, a, sv, bits, rule):
    """a = (mu_p - mu_q)/sigma_q, sv = sigma_p/sigma_q per dim; returns the chosen z."""
    z = rng.standard_normal((1 << bits, len(a))).astype(np.float32)
    score = norm_weight(rule) * ((z * z) @ ((1 - sv * sv) / 2).astype(np.float32)) - z @ (a * sv).astype(np.float32)
    return z[int(np.argmax(score))].astype(np.float64)


def run(x0, rule, seed):
    rng = np.random.default_rng(seed)
    C, H, W = x0.shape[1:]
    dims = C * H * W
    K = s.T
    # x_T: proposal N(0,1), q(x_T|x_0)
    i = K - 1
    mq = (s.sqrt_abar[i] * x0).numpy().ravel(); vq = float(1 - s.abar[i])
    kl_T = 0.5 * np.sum(-1 - math.log(vq) + vq + mq ** 2) / LN2
    xt = torch.from_numpy((mq + math.sqrt(vq) * rng.standard_normal(dims)).reshape(x0.shape))
    cost = kl_T; realized = kl_T; prev = -1; rows = []
    x0f = x0.numpy().ravel()
    for i in range(K - 1, 0, -1):
        ii = torch.tensor([i])
        with torch.no_grad():
            out = model(xt, torch.tensor([s.timestep_map[i]])).sample
        mp_t, lvp_t, _ = D.p_mean_logvar(s, out, xt, ii, vt, clip)
        mq_t, lvq_t = D.q_posterior(s, x0, xt, ii)
        kl = float(D.normal_kl(mq_t, lvq_t, mp_t, lvp_t).sum()) / LN2
        mp = mp_t.numpy().ravel(); lvp = lvp_t.numpy().ravel(); mq_ = mq_t.numpy().ravel(); lvq = float(lvq_t.ravel()[0])
        sp = np.exp(0.5 * lvp); sq = math.exp(0.5 * lvq)
        realized += kl
        if rule == "exact":
            x = mq_ + sq * rng.standard_normal(dims); cost += kl; bits_used = kl
        else:
            lev = level(kl, prev); prev = lev; B = ladder[lev]
            if B <= 0:
                n, bits = 1, 0
            else:
                n = min(dims, -(-B // args.chunk)); bits = -(-B // n)
            x = np.empty(dims)
            for c in range(n):
                idx = np.arange(c, dims, n)
                a = (mp[idx] - mq_[idx]) / sq; sv = sp[idx] / sq
                if bits == 0:
                    z = rng.standard_normal(len(idx))
                else:
                    z = choose(rng, a, sv, bits, rule)
                x[idx] = mp[idx] + sp[idx] * z
            cost += n * bits; bits_used = n * bits
        # noise diagnostics: residual vs posterior mean in units of sigma_q; vs q marginal
        r_post = float(np.mean((x - mq_) ** 2)) / sq ** 2
        r_marg = float(np.mean((x - math.sqrt(float(s.abar[i - 1])) * x0f) ** 2)) / float(1 - s.abar[i - 1])
        rows.append((s.timestep_map[i], kl, bits_used, r_post, r_marg, float(np.mean(sp / sq))))
        xt = torch.from_numpy(x.reshape(x0.shape))
    with torch.no_grad():
        out = model(xt, torch.tensor([s.timestep_map[0]])).sample
    mp, lvp, _ = D.p_mean_logvar(s, out, xt, torch.tensor([0]), vt, False)
    dec = float(D.discretized_gaussian_nll(x0, mp, lvp).sum()) / LN2
    return dict(cost=(cost + dec) / dims, realized=realized / dims, dec=dec / dims, rows=rows)

res = {}
for j in range(args.n):
    x0 = D.to_model_space(u8[j:j + 1])
    for rule in args.rules.split(","):
        r = run(x0, rule, args.seed * 1000 + j)
        res.setdefault(rule, []).append(r)
        print(f"img {j} {rule:10s} cost {r['cost']:.4f} realizedKL {r['realized']:.4f} dec {r['dec']:.4f}", flush=True)
for rule, rs in res.items():
    print(f"MEAN {rule:10s} cost {np.mean([r['cost'] for r in rs]):.4f} realizedKL {np.mean([r['realized'] for r in rs]):.4f} "
          f"dec {np.mean([r['dec'] for r in rs]):.4f}")
    rows = np.array([r["rows"] for r in rs]).mean(axis=0)
    for row in rows[::5].tolist() + rows[-4:].tolist():
        print("   t %4d kl %8.2f bits %8.1f r_post %.3f r_marg %.3f s %.3f" % tuple(row))

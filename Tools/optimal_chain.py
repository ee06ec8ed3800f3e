#!/usr/bin/env python3
"""The best K-step coding chain of a model: Watson et al. 2021, "Learning to Efficiently Sample from Diffusion
Probabilistic Models" (dynamic programming over the expected cost of every jump), for the codec's bound.

A respaced chain keeps timesteps t_0 < t_1 < ... < t_{K-1} (0-based, what the network sees) with
beta'_k = 1 - abar[t_k] / abar[t_{k-1}] (abar before t_0 = 1), and its bound is (Tools/bound.py, Tools/diffusion.py)

    L = L_prior(t_{K-1}) + sum_{k>=1} J(t_k -> t_{k-1}) + Dec(t_0 | t_1)

  J(t -> s)   KL(q(x_s|x_t,x_0) || p(x_s|x_t)); x^_0 clipped when clip_sample; its variances depend on (s, t) only.
  Dec(t0|t1)  the discretized Gaussian decoder at t_0 (mean x^_0, not clipped). With learned_range its log-variance
              is f log beta'_0 + (1 - f) log beta~'_0, and the respaced chain's clipped beta~'_0 is beta~'_1, the
              posterior variance of the jump t_1 -> t_0: the decoder depends on the NEXT kept timestep too.
              It is a function of the pair (t_0, t_1) only, so it is folded into the bottom jump,
              F(t_1 -> t_0) = J(t_1 -> t_0) + Dec(t_0 | t_1): the DP stays exact with no extra state.

One network call at every t per image gives eps^ and v at x_t ~ q(x_t|x_0), hence J(t -> s) for every s < t and
Dec(t | t1) for every t1 > t in closed form. Their dependence on s (t1) is through scalars only: with
f = (v + 1) / 2 and d = x_0 - clip(x^_0), delta = log beta' - log beta~' and b = log beta~',

    J(t -> s) = mean_p 0.5 (-1 + f delta + e^{-f delta}) + c1^2 e^{-b} mean_p 0.5 d^2 e^{-f delta}
    Dec(t | t1) = mean_p NLL(x_0; x^_0, f log beta'_0 + (1 - f) b)

Evaluating those per pixel for all ~T^2/2 pairs costs T^2/2 * pixels per image; instead the two sums (and the
decoder's) are evaluated exactly at M = 20 Chebyshev nodes of the scalar's range at each t and interpolated
(they are analytic in the scalar; the error, printed by `fit` at a few t against the direct sum, is ~1e-12).
The node values are kept per image, so any chain's per-image cost (and its standard error) comes back exactly.
--decoder-stride S > 1 evaluates the decoder (the chain's bottom) only at t < --decoder-dense and every S-th t
above: cheaper for RGB models, and the DP is then exact over chains whose bottom is one of those.

Subcommands:
  fit       network calls at all T timesteps for N images (random from --images with --seed; --offset splits a
            fit into runs), node values cached as .npz (runs/ is gitignored)
  solve     merge caches, the DP for every K, the table (optimal vs quadratic vs the full chain), the chains JSON
  check     the real respaced bound (Schedule.respaced_to + vb_terms_bpd, as bound.py) of chains on a few fit
            images with the same x_t draws, against the cached costs: validates the whole construction
  validate  bound.py's evaluate of quadratic and optimal chains on held-out images (paired, per-image saved)
  crossval  the DP fitted on each cache file alone, priced on the others: its chains' held-out cost (the DP's
            in-sample expected bound is optimistic: it picks timesteps whose draws happened to cost little)
  ship      writes one chain into the model's codec_config.json: the codec's default chain (part of the identity)

Examples (one thread, on a busy 2-core machine: fmnist28 11-14 min per 32 training images, photo32 with
--decoder-stride 8 5-7 min per 16 crops; solve ~5 s):
  python3 Tools/optimal_chain.py fit --model Fixtures/models/fmnist28 --images fmnist:train --n 32 --offset 0 \\
      --cache runs/optimal_chain/fmnist28-0.npz
  python3 Tools/optimal_chain.py solve --model Fixtures/models/fmnist28 --cache runs/optimal_chain/fmnist28-*.npz \\
      --out /tmp/fmnist28-chains.json
  python3 Tools/optimal_chain.py check --model Fixtures/models/fmnist28 --cache runs/optimal_chain/fmnist28-0.npz \\
      --chains /tmp/fmnist28-chains.json --k 3,10,40 --quadratic 20 --n 3
  python3 Tools/optimal_chain.py validate --model Fixtures/models/fmnist28 --images fmnist:test --n 200 \\
      --chains /tmp/fmnist28-chains.json --specs q100,o40,q40 --save-dir runs/optimal_chain/val-fmnist28
"""
import argparse
import glob
import json
import math
import os
import re
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import diffusion as D  # noqa: E402
import images  # noqa: E402

M_NODES = 20


# ---------------------------------------------------------------- Chebyshev interpolation in one scalar
def cheb_nodes(lo, hi, m=M_NODES):
    """First-kind Chebyshev points on [lo, hi]; a degenerate range (one target value) is widened, harmlessly."""
    if not hi - lo > 1e-9 * max(1.0, abs(hi)):
        hi = lo + 1.0
    j = np.arange(m)
    return lo + (hi - lo) * (np.cos((2 * j + 1) * np.pi / (2 * m)) + 1) / 2


def interp_matrix(nodes, x):
    """(len(x), m) barycentric weights: values at x = interp_matrix(nodes, x) @ node_values."""
    m = len(nodes)
    j = np.arange(m)
    w = (-1.0) ** j * np.sin((2 * j + 1) * np.pi / (2 * m))
    diff = np.asarray(x, dtype=np.float64)[:, None] - nodes[None, :]
    hit = diff == 0
    r = w / np.where(hit, 1.0, diff)
    r /= r.sum(axis=1, keepdims=True)
    rows = hit.any(axis=1)
    r[rows] = hit[rows].astype(np.float64)
    return r


# ---------------------------------------------------------------- the respaced chain's scalars
class PairScalars:
    """Schedule scalars of a jump t -> s of a respaced chain (s < t), as Schedule.respaced_to computes them."""

    def __init__(self, abar):
        self.abar = np.asarray(abar, dtype=np.float64)
        self.T = len(self.abar)

    def jump(self, t, s):
        """delta = log beta' - log beta~', b = log beta~', coef = post_coef1^2 e^{-b}, for arrays s < t."""
        ab = self.abar
        s = np.asarray(s)
        beta = 1.0 - ab[t] / ab[s]
        post_var = beta * (1.0 - ab[s]) / (1.0 - ab[t])
        a, b = np.log(beta), np.log(post_var)
        c1 = beta * np.sqrt(ab[s]) / (1.0 - ab[t])
        return a - b, b, c1 * c1 * np.exp(-b)

    def decoder(self, t0):
        """(log beta'_0, the decoder mean's coefficient of x^_0) at bottom timestep t0: respaced index 0 has
        abar_prev = 1, so its posterior mean is x^_0 times beta'_0 / (1 - abar'_0) (1 up to rounding)."""
        beta0 = 1.0 - self.abar[t0] / 1.0
        return math.log(beta0), beta0 / (1.0 - (1.0 - beta0))

    def delta_range(self, t):
        d, _, _ = self.jump(t, np.arange(t))
        return float(d.min()), float(d.max())

    def decoder_b(self, t0):
        """log beta~' of the decoder at t0 for every next kept t1 = t0+1..T-1: the b of the jump t1 -> t0."""
        ab = self.abar
        t1 = np.arange(t0 + 1, self.T)
        beta = 1.0 - ab[t1] / ab[t0]
        return np.log(beta * (1.0 - ab[t0]) / (1.0 - ab[t1]))


def node_grids(ps, m=M_NODES):
    """Per t: Chebyshev nodes of delta over the jumps t -> s < t, and of the decoder's b over t1 > t."""
    T = ps.T
    dn = np.full((T, m), np.nan)
    bn = np.full((T, m), np.nan)
    for t in range(T):
        if t >= 1:
            dn[t] = cheb_nodes(*ps.delta_range(t), m)
        if t <= T - 2:
            b = ps.decoder_b(t)
            bn[t] = cheb_nodes(float(b.min()), float(b.max()), m)
    return dn, bn


def decoder_timesteps(T, dense, stride):
    """Timesteps where the decoder is evaluated (the chains' possible bottoms): all below `dense`, then every
    `stride`-th. The decoder costs more per t than the jumps (photo32: 20 discretized-Gaussian passes over 3072
    dims); bottoms above t = 0 only win for the shortest chains, so a sparse grid there restricts the search
    (the DP stays exact over the chains it allows) rather than approximating any cost."""
    return set(range(min(dense, T))) | set(range(dense, T, max(stride, 1)))


# ---------------------------------------------------------------- data and noise
def load_data(spec):
    """uint8 (N, H, W, C); a .npy is memory-mapped (crops32.npy is 300 MB) with images.read_npy's checks."""
    if spec.endswith(".npy"):
        a = np.load(spec, mmap_mode="r", allow_pickle=False)
        if a.dtype != np.uint8 or a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[3] not in (1, 3)):
            raise images.ImageError(f"{spec}: {a.dtype} {a.shape}; expected uint8 (N,H,W) or (N,H,W,C)")
        return a[..., None] if a.ndim == 3 else a
    return images.load_array(spec)


def pick(n_total, n, offset, seed, order):
    """Indices of the images: a seeded permutation (fit data: disjoint across --offset) or the first ones."""
    if order == "first":
        return np.arange(offset, min(offset + n, n_total))
    return np.random.default_rng(seed).permutation(n_total)[offset:offset + n]


def noise_for(seed, idx, t, shape):
    """eps of image `idx` (index into the data) at timestep t: the same draw whatever the chunking, so that
    `check` can redraw it."""
    g = torch.Generator().manual_seed((seed << 40) + (int(idx) << 12) + int(t))
    return torch.randn(shape, generator=g, dtype=torch.float64)


def variance_fracs(variance_type, v):
    """f of the jumps and of the decoder: log sigma^2 = f log beta' + (1 - f) log beta~' (fixed types are the
    constant f that diffusion.p_mean_logvar's tables amount to for a respaced chain)."""
    if variance_type == "learned_range":
        f = (v + 1.0) / 2.0
        return f, f
    if variance_type in ("fixed_small", "fixed_small_log"):
        return 0.0, 0.0
    if variance_type in ("fixed_large", "fixed_large_log"):
        return 1.0, 0.0   # fixed_large_logvar[0] is log beta~'_1, as the clipped posterior's
    raise SystemExit(f"variance_type {variance_type} is not supported (log sigma^2 is not f log beta' + ...)")


# ---------------------------------------------------------------- per t, per image: the node values
def kl_parts(f, d2, delta):
    """Per image, bits/dim: (mean_p 0.5(-1 + f delta + e^{-f delta}), mean_p 0.5 d^2 e^{-f delta}) for each
    delta of a 1-D array; f is a tensor or a number."""
    dl = torch.as_tensor(delta, dtype=torch.float64).view(-1, *([1] * d2.dim()))
    fd = f * dl if isinstance(f, torch.Tensor) else torch.full_like(d2, float(f)) * dl
    e = torch.exp(-fd)
    dims = tuple(range(2, fd.dim()))
    a = (0.5 * (-1.0 + fd + e)).mean(dim=dims) / D.LN2
    b = (0.5 * d2 * e).mean(dim=dims) / D.LN2
    return a.T.numpy(), b.T.numpy()          # (N, len(delta))


def decoder_parts(x0, mean, f, a0, bvals):
    """Per image, bits/dim: the decoder NLL with log-variance f a0 + (1 - f) b for each b."""
    out = []
    for b in np.asarray(bvals):
        lv = f * a0 + (1.0 - f) * float(b)
        if not isinstance(lv, torch.Tensor):   # a fixed variance type: one value for every pixel
            lv = torch.full_like(x0, lv)
        out.append(D.mean_flat(D.discretized_gaussian_nll(x0, mean, lv)) / D.LN2)
    return torch.stack(out, dim=1).numpy()


@torch.no_grad()
def fit(a):
    torch.set_num_threads(a.threads)
    model, scfg = D.load_model_dir(a.model)
    sched = D.Schedule.from_scheduler_config(scfg)
    vt = scfg.get("variance_type", "fixed_small")
    clip = bool(scfg.get("clip_sample", False))
    clip_range = float(scfg.get("clip_sample_range", 1.0))
    T = sched.T
    ps = PairScalars(sched.abar.numpy())
    dn, bn = node_grids(ps, a.nodes)
    data = load_data(a.images)
    idx = pick(len(data), a.n, a.offset, a.seed, a.order)
    u8 = np.stack([np.asarray(data[i]) for i in idx])
    x0 = D.to_model_space(u8)
    N, C = x0.shape[0], x0.shape[1]
    verify_t = {int(v) for v in a.verify_t.split(",") if v.strip()}
    dec_t = decoder_timesteps(T, a.decoder_dense, a.decoder_stride)
    A = np.zeros((N, T, a.nodes))
    B = np.zeros((N, T, a.nodes))
    H = np.full((N, T, a.nodes), np.nan)
    prior = np.zeros((N, T))
    worst = dict(jump=0.0, decoder=0.0)
    t0 = time.time()
    net_s = 0.0
    print(f"fit {a.model} on {N} images of {a.images} (seed {a.seed}, offset {a.offset}), T = {T}, "
          f"{vt}, clip {clip}, {a.nodes} nodes", flush=True)
    for t in range(T):
        noise = torch.stack([noise_for(a.seed, i, t, x0.shape[1:]) for i in idx])
        xt = D.q_sample(sched, x0, t, noise).float()
        n0 = time.time()
        out = torch.cat([model(xt[b:b + a.batch], torch.full((len(xt[b:b + a.batch]),), t)).sample
                         for b in range(0, N, a.batch)]).double()
        net_s += time.time() - n0
        xt = xt.double()   # bound.py's posterior sees the float32 x_t the network saw
        eps, v = D.split_output(out, C, vt)
        f_jump, f_dec = variance_fracs(vt, v)
        x0hat = sched.g("sqrt_recip_abar", t, xt) * xt - sched.g("sqrt_recipm1_abar", t, xt) * eps
        prior[:, t] = (D.mean_flat(D.normal_kl(sched.g("sqrt_abar", t, x0) * x0,
                                               sched.g("log_1m_abar", t, x0).expand_as(x0),
                                               torch.zeros_like(x0), torch.zeros_like(x0))) / D.LN2).numpy()
        if t >= 1:
            d2 = (x0 - (x0hat.clamp(-clip_range, clip_range) if clip else x0hat)) ** 2
            A[:, t], B[:, t] = kl_parts(f_jump, d2, dn[t])
            if t in verify_t:
                s_all = np.arange(t)
                delta, _, coef = ps.jump(t, s_all)
                L = interp_matrix(dn[t], delta)
                got = (A[:, t] @ L.T) + coef * (B[:, t] @ L.T)
                exact = np.concatenate([ea + c * eb for ea, eb, c in
                                        ((*kl_parts(f_jump, d2, delta[c0:c0 + 64]), coef[c0:c0 + 64])
                                         for c0 in range(0, t, 64))], axis=1)
                err = float(np.abs(got - exact).max())
                worst["jump"] = max(worst["jump"], err)
                print(f"  t={t}: jumps to all {t} s, interpolated vs direct: max |err| {err:.2e} bits/dim "
                      f"(costs up to {exact.max():.3g})", flush=True)
        if t <= T - 2 and t in dec_t:
            a0, cdec = ps.decoder(t)
            mean = cdec * x0hat   # not clipped at the decoder step
            H[:, t] = decoder_parts(x0, mean, f_dec, a0, bn[t])
            if t in verify_t or t + 1 in verify_t or t == 0:
                bv = ps.decoder_b(t)
                sel = np.unique(np.linspace(0, len(bv) - 1, min(len(bv), 60)).round().astype(int))
                got = H[:, t] @ interp_matrix(bn[t], bv[sel]).T
                exact = decoder_parts(x0, mean, f_dec, a0, bv[sel])
                err = float(np.abs(got - exact).max())
                worst["decoder"] = max(worst["decoder"], err)
                print(f"  t={t}: decoder for {len(sel)} of {len(bv)} next kept t1, interpolated vs direct: "
                      f"max |err| {err:.2e} bits/dim (costs up to {exact.max():.3g})", flush=True)
        if (t + 1) % a.progress == 0 or t == T - 1:
            el = time.time() - t0
            print(f"t {t + 1}/{T}  {el:.0f}s (network {net_s:.0f}s)  eta {el / (t + 1) * (T - t - 1):.0f}s", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.cache)), exist_ok=True)
    np.savez_compressed(a.cache, A=A, B=B, H=H, prior=prior, delta_nodes=dn, b_nodes=bn, indices=idx,
                        abar=ps.abar, meta=json.dumps(dict(model=a.model, data=a.images, seed=a.seed,
                                                           offset=a.offset, order=a.order, variance_type=vt,
                                                           decoder_dense=a.decoder_dense,
                                                           decoder_stride=a.decoder_stride,
                                                           clip=clip, clip_range=clip_range, dims=int(x0[0].numel()),
                                                           seconds=round(time.time() - t0, 1),
                                                           network_seconds=round(net_s, 1), interp_err=worst)))
    print(f"wrote {a.cache}: {N} images, {time.time() - t0:.0f}s ({net_s:.0f}s in the network, "
          f"{net_s / N / T * 1000:.1f} ms per image and call)")


# ---------------------------------------------------------------- costs from the node values
class Costs:
    """Merged caches. Per-image node values -> mean cost matrices for the DP, and exact per-image path costs."""

    def __init__(self, paths):
        parts = [np.load(p, allow_pickle=False) for p in paths]
        metas = [json.loads(str(p["meta"])) for p in parts]
        for p, m in zip(parts[1:], metas[1:]):
            same = all(np.array_equal(p[k], parts[0][k], equal_nan=True) for k in ("delta_nodes", "b_nodes", "abar"))
            same = same and np.array_equal(np.isnan(p["H"][0, :, 0]), np.isnan(parts[0]["H"][0, :, 0]))
            if not same or any(m[k] != metas[0][k] for k in ("model", "data", "seed", "variance_type", "clip")):
                raise SystemExit("caches of different models, data, seeds or node grids")
        self.meta = metas[0]
        self.paths = list(paths)
        self.A = np.concatenate([p["A"] for p in parts])
        self.B = np.concatenate([p["B"] for p in parts])
        self.H = np.concatenate([p["H"] for p in parts])
        self.prior = np.concatenate([p["prior"] for p in parts])
        self.indices = np.concatenate([p["indices"] for p in parts])
        if len(np.unique(self.indices)) != len(self.indices):
            raise SystemExit("the caches share images")
        self.dn, self.bn = parts[0]["delta_nodes"], parts[0]["b_nodes"]
        self.ps = PairScalars(parts[0]["abar"])
        self.N, self.T = self.prior.shape
        self.fit_seconds = sum(m["seconds"] for m in metas)

    def matrices(self):
        """Mean J[t, s] (jumps, +inf where s >= t), F[t1, t0] = J[t1, t0] + Dec(t0 | t1), prior[t]."""
        T = self.T
        A, B, H = self.A.mean(0), self.B.mean(0), self.H.mean(0)
        J = np.full((T, T), np.inf)
        dec = np.full((T, T), np.inf)   # dec[t0, t1]
        for t in range(1, T):
            s = np.arange(t)
            delta, _, coef = self.ps.jump(t, s)
            L = interp_matrix(self.dn[t], delta)
            J[t, :t] = L @ A[t] + coef * (L @ B[t])
        for t0 in range(T - 1):
            if not np.isnan(H[t0]).any():   # not evaluated: not a possible bottom (--decoder-stride)
                dec[t0, t0 + 1:] = interp_matrix(self.bn[t0], self.ps.decoder_b(t0)) @ H[t0]
        F = J + dec.T
        return J, F, self.prior.mean(0)

    def per_image(self, chain):
        """Exact per-image bound (bits/dim) of a chain from the cached node values."""
        c = list(chain)
        tot = self.prior[:, c[-1]].copy()
        for s, t in zip(c[:-1], c[1:]):
            delta, _, coef = self.ps.jump(t, np.array([s]))
            L = interp_matrix(self.dn[t], delta)[0]
            tot += self.A[:, t] @ L + coef[0] * (self.B[:, t] @ L)
        if np.isnan(self.H[:, c[0]]).any():
            raise ValueError(f"the decoder was not evaluated at t = {c[0]} (--decoder-stride)")
        b = self.ps.decoder_b(c[0])[c[1] - c[0] - 1]
        tot += self.H[:, c[0]] @ interp_matrix(self.bn[c[0]], np.array([b]))[0]
        return tot


def path_cost(J, F, prior, chain):
    c = list(chain)
    return float(prior[c[-1]] + F[c[1], c[0]] + sum(J[t, s] for s, t in zip(c[1:-1], c[2:])))


def solve_dp(J, F, prior, k_max):
    """Optimal chain for every K = 2..k_max: V_K[t] = best cost of K kept timesteps topped by t (no prior)."""
    T = len(prior)
    chains, costs = {}, {}
    V = F.min(axis=1)
    back = [F.argmin(axis=1)]
    for K in range(2, k_max + 1):
        if K > 2:
            M = V[None, :] + J            # M[t, s] = V_{K-1}[s] + J[t, s]
            back.append(M.argmin(axis=1))
            V = M[np.arange(T), back[-1]]
        tot = V + prior
        top = int(np.argmin(tot))
        chain = [top]
        for bp in reversed(back):
            chain.append(int(bp[chain[-1]]))
        chains[K] = chain[::-1]
        costs[K] = float(tot[top])
    return chains, costs


def solve(a):
    paths = sorted({p for pat in a.cache for p in glob.glob(pat)})
    if not paths:
        raise SystemExit("no cache files")
    c = Costs(paths)
    t0 = time.time()
    J, F, prior = c.matrices()
    chains, costs = solve_dp(J, F, prior, a.k_max)
    T = c.T
    full = list(range(T))
    full_cost = path_cost(J, F, prior, full)
    full_img = c.per_image(full)
    se = lambda x: float(x.std(ddof=1) / math.sqrt(len(x)))  # noqa: E731
    print(f"{c.N} images of {c.meta['data']} (seed {c.meta['seed']}), {len(paths)} cache file(s), fit "
          f"{c.fit_seconds:.0f}s; matrices and DP {time.time() - t0:.1f}s")
    print(f"full T = {T} chain: {full_cost:.4f} ± {se(full_img):.4f} bits/dim (expected on the fit images)")
    print("\n   K  optimal (± se)      quadratic (± se)     opt - quad (± se)   opt - full  bottom..top of optimal")
    quad = {}
    rows = sorted(set(range(2, 21)) | set(range(25, a.k_max + 1, 5)) | {a.k_max})
    for K in range(2, a.k_max + 1):
        q = D.space_timesteps(T, K, "quadratic")
        quad[K] = path_cost(J, F, prior, q)
        if K in rows:
            oi, qi = c.per_image(chains[K]), c.per_image(q)
            ch = chains[K]
            print(f"{K:4d}  {costs[K]:8.4f} ± {se(oi):.4f}   {quad[K]:9.4f} ± {se(qi):.4f}   "
                  f"{costs[K] - quad[K]:+9.4f} ± {se(oi - qi):.4f}   {costs[K] - full_cost:+8.4f}   "
                  f"{ch[:4]}..{ch[-2:]}")
    within = [K for K in range(2, a.k_max + 1) if costs[K] - full_cost <= 0.01]
    print(f"\nsmallest K with optimal bound within 0.01 bits/dim of the full chain: "
          f"{within[0] if within else 'none <= %d' % a.k_max}")
    if 40 <= a.k_max and 100 <= a.k_max:
        d = c.per_image(chains[40]) - c.per_image(D.space_timesteps(T, 100, "quadratic"))
        print(f"optimal K = 40: {costs[40]:.4f}   quadratic K = 100: {quad[100]:.4f}   "
              f"difference {d.mean():+.4f} ± {se(d):.4f}")
    if 40 in chains:
        print(f"optimal K = 40 chain: {chains[40]}")
    # sanity: the DP's cost is the matrix path cost of the chain it returns, and never above quadratic
    for K in chains:
        assert abs(path_cost(J, F, prior, chains[K]) - costs[K]) < 1e-9 and costs[K] <= quad[K] + 1e-9
    model = os.path.basename(os.path.normpath(c.meta["model"]))
    out = a.out or f"/tmp/{model}-chains.json"
    doc = {"format": 1, "timesteps": T, "chains": {str(K): chains[K] for K in sorted(chains)},
           "expected_bits_per_dim": {str(K): round(costs[K], 6) for K in sorted(costs)},
           "data": c.meta["data"], "images": c.N, "seed": c.meta["seed"],
           "model": c.meta["model"],
           "quadratic_expected_bits_per_dim": {str(K): round(quad[K], 6) for K in sorted(quad)},
           "full_chain_expected_bits_per_dim": round(full_cost, 6)}
    with open(out, "w") as fh:
        json.dump(doc, fh)
    print(f"wrote {out}")


# ---------------------------------------------------------------- checks against the real respaced bound
@torch.no_grad()
def check(a):
    """bound.py's arithmetic (Schedule.respaced_to, q_sample, vb_terms_bpd with clip at k > 0, prior_bpd) on the
    cache's own images and x_t draws, against the cached per-image chain costs."""
    torch.set_num_threads(a.threads)
    c = Costs(sorted({p for pat in a.cache for p in glob.glob(pat)}))
    model, scfg = D.load_model_dir(a.model)
    sched = D.Schedule.from_scheduler_config(scfg)
    vt, clip = c.meta["variance_type"], c.meta["clip"]
    data = load_data(c.meta["data"])
    sel = np.arange(min(a.n, c.N))
    x0 = D.to_model_space(np.stack([np.asarray(data[i]) for i in c.indices[sel]]))
    chains = []
    if a.chains:
        with open(a.chains) as fh:
            doc = json.load(fh)
        chains += [(f"optimal K={k}", doc["chains"][k]) for k in a.k.split(",") if k]
    chains += [(f"quadratic K={k}", D.space_timesteps(c.T, int(k), "quadratic")) for k in a.quadratic.split(",") if k]
    chains += [(f"explicit {ts}", [int(v) for v in ts.split("/")]) for ts in (a.timesteps or [])]
    worst = 0.0
    for name, kept in chains:
        t0 = time.time()
        rs = sched.respaced_to(kept)
        total = D.prior_bpd(rs, x0)
        for k, t in enumerate(kept):
            noise = torch.stack([noise_for(c.meta["seed"], i, t, x0.shape[1:]) for i in c.indices[sel]])
            ki = torch.full((len(sel),), k)
            xt = D.q_sample(rs, x0, ki, noise).float()
            out = model(xt, torch.full((len(sel),), t)).sample.double()
            terms, _ = D.vb_terms_bpd(rs, out, x0, xt.double(), ki, vt, clip_x0=(ki > 0) & clip)
            total = total + terms
        cached = c.per_image(kept)[sel]
        err = float(np.abs(total.numpy() - cached).max())
        worst = max(worst, err)
        print(f"{name}: respaced bound {total.numpy().round(6).tolist()}  cached {cached.round(6).tolist()}  "
              f"max |diff| {err:.2e}  ({time.time() - t0:.0f}s)", flush=True)
    print(f"largest difference {worst:.2e} bits/dim")


# ---------------------------------------------------------------- held-out validation with bound.py
def validate(a):
    torch.set_num_threads(a.threads)
    model, scfg = D.load_model_dir(a.model)
    sched = D.Schedule.from_scheduler_config(scfg)
    vt = scfg.get("variance_type", "fixed_small")
    clip = scfg.get("clip_sample", False)
    imgs = np.array(load_data(a.images)[a.offset:a.offset + a.n])   # a writable copy, not the memmap
    doc = None
    if a.chains:
        with open(a.chains) as fh:
            doc = json.load(fh)
    os.makedirs(a.save_dir, exist_ok=True)
    res = {}
    for spec in [s for s in a.specs.split(",") if s]:
        K = int(spec[1:])
        kept = D.space_timesteps(sched.T, K, "quadratic") if spec[0] == "q" else doc["chains"][str(K)]
        path = os.path.join(a.save_dir, f"{spec}-seed{a.seed}-{a.offset}-{len(imgs)}.npz")
        if os.path.exists(path):
            r = np.load(path)
            if list(r["kept"]) != list(kept):
                raise SystemExit(f"{path}: saved for another chain")
            res[spec] = r["total"]
            continue
        t0 = time.time()
        r = bound.evaluate(model, sched.respaced_to(kept), vt, imgs, batch=a.batch, seed=a.seed, clip=clip)
        np.savez(path, total=r["total"], kept=np.array(kept))
        res[spec] = r["total"]
        print(f"{spec}: {r['total'].mean():.4f} bits/dim ({time.time() - t0:.0f}s)", flush=True)
    base = a.specs.split(",")[0]
    se = lambda x: float(x.std(ddof=1) / math.sqrt(len(x)))  # noqa: E731
    print(f"\n{len(imgs)} images of {a.images} (offset {a.offset}), bound.py's evaluate, seed {a.seed}")
    print(f"chain       bits/dim (± se)      minus {base} (± se, paired)")
    for spec, tot in res.items():
        d = tot - res[base]
        print(f"{spec:8s}  {tot.mean():8.4f} ± {se(tot):.4f}   {d.mean():+8.4f} ± {se(d):.4f}")


# ---------------------------------------------------------------- held-out check of the DP itself
def crossval(a):
    """The DP picks timesteps whose single-draw costs happened to be low on the fit images, so its expected bound
    there is optimistic. Fit the DP on each cache file alone and price its chains on the other files' images (exact,
    from their cached costs), against the quadratic reference chain on the same images."""
    paths = sorted({p for pat in a.cache for p in glob.glob(pat)})
    if len(paths) < 2:
        raise SystemExit("cross-validation needs at least two cache files (fits of different images)")
    ks = [int(k) for k in a.k.split(",")]
    diffs = {k: [] for k in ks}
    insample = {k: [] for k in ks}
    for i, p in enumerate(paths):
        fit, rest = Costs([p]), Costs([q for j, q in enumerate(paths) if j != i])
        J, F, prior = fit.matrices()
        chains, costs = solve_dp(J, F, prior, max(ks))
        ref_fit = fit.per_image(D.space_timesteps(fit.T, a.reference, "quadratic"))
        ref = rest.per_image(D.space_timesteps(rest.T, a.reference, "quadratic"))
        for k in ks:
            insample[k].append(costs[k] - ref_fit.mean())
            diffs[k].append(rest.per_image(chains[k]) - ref)
    print(f"optimal K against quadratic {a.reference}, bits/dim: on the fit's own images, and on the other files' images")
    for k in ks:
        d = np.concatenate(diffs[k])
        print(f"  K = {k:3d}: in-sample {np.mean(insample[k]):+.4f}   held-out {d.mean():+.4f} ± {d.std(ddof=1) / math.sqrt(len(d)):.4f}")


# ---------------------------------------------------------------- shipping a chain with its model
def ship(a):
    """Write the optimal K chain into the model's codec_config.json (other keys kept). The chain changes every
    probability of a file, so codec_config.json is part of the model's identity: files coded before no longer
    decode with the model, and the runtime says which part differs."""
    with open(a.chains) as fh:
        doc = json.load(fh)
    kept = doc["chains"][str(a.k)]
    path = os.path.join(a.model, "codec_config.json")
    cfg = {}
    if os.path.exists(path):
        with open(path) as fh:
            cfg = json.load(fh)
    cfg["chain"] = {
        "timesteps": kept,
        "note": (f"Tools/optimal_chain.py, K = {a.k}: expected {doc['expected_bits_per_dim'][str(a.k)]:.4f} bits/dim on "
                 f"{doc['images']} images of {doc['data']} (quadratic K = {a.k}: "
                 f"{doc['quadratic_expected_bits_per_dim'][str(a.k)]:.4f}; full chain "
                 f"{doc['full_chain_expected_bits_per_dim']:.4f})"),
    }
    text = json.dumps(cfg, indent=1)
    text = re.sub(r"\[\s*([0-9,\s]+?)\s*\]", lambda m: "[" + ", ".join(m.group(1).replace(",", " ").split()) + "]", text)
    with open(path + ".tmp", "w") as fh:
        fh.write(text + "\n")
    os.replace(path + ".tmp", path)
    print(f"wrote the K = {a.k} chain into {path}: {kept}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fit", help="network calls at every t; node values cached")
    p.add_argument("--model", required=True)
    p.add_argument("--images", required=True, help="training data: fmnist:train, a .npy, ... (images.py)")
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--offset", type=int, default=0, help="position in the seeded permutation (chunks of a fit)")
    p.add_argument("--order", choices=["random", "first"], default="random")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--nodes", type=int, default=M_NODES)
    p.add_argument("--decoder-dense", type=int, default=128, help="decoder evaluated at every t below this ...")
    p.add_argument("--decoder-stride", type=int, default=1, help="... and at every this-th t above it")
    p.add_argument("--verify-t", default="1,2,30,300,999",
                   help="timesteps where the interpolation is checked against the direct sums")
    p.add_argument("--progress", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cache", required=True)
    p = sub.add_parser("solve", help="DP for every K, table, chains JSON")
    p.add_argument("--model", required=True)
    p.add_argument("--cache", nargs="+", required=True, help="cache files (globs) of one fit")
    p.add_argument("--k-max", type=int, default=100)
    p.add_argument("--out", default=None, help="chains JSON (default /tmp/<model>-chains.json)")
    p = sub.add_parser("check", help="real respaced bound on cached images and draws vs the cached costs")
    p.add_argument("--model", required=True)
    p.add_argument("--cache", nargs="+", required=True)
    p.add_argument("--chains", default=None)
    p.add_argument("--k", default="", help="optimal chains of --chains, e.g. 2,10,40")
    p.add_argument("--quadratic", default="", help="quadratic chains, e.g. 20,100")
    p.add_argument("--timesteps", nargs="*", help="explicit chains, timesteps joined by '/'")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("validate", help="bound.py on held-out images for several chains")
    p.add_argument("--model", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--chains", default=None)
    p.add_argument("--specs", default="q100,o20,o30,o40,o50,q40,q50",
                   help="qK: quadratic K chain, oK: the optimal K chain of --chains; the first is the reference")
    p.add_argument("--save-dir", required=True, help="per-image results, reused when present")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("crossval", help="DP fitted on each cache file, priced on the others (held-out)")
    p.add_argument("--cache", nargs="+", required=True)
    p.add_argument("--k", default="30,40,50,60,80")
    p.add_argument("--reference", type=int, default=100, help="steps of the quadratic reference chain")
    p = sub.add_parser("ship", help="write an optimal chain into the model's codec_config.json")
    p.add_argument("--model", required=True)
    p.add_argument("--chains", required=True, help="chains JSON of solve")
    p.add_argument("--k", type=int, required=True)
    a = ap.parse_args(argv)
    dict(fit=fit, solve=solve, check=check, validate=validate, crossval=crossval, ship=ship)[a.cmd](a)


if __name__ == "__main__":
    main()

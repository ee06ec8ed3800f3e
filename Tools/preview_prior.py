#!/usr/bin/env python3
"""Fit a model directory's preview prior (preview.json): what the progressive decoder shows instead of raw x^_0.

While decoding progressively the receiver can show x^_0 = clip((x_t - sqrt(1-abar_t) eps^(x_t,t)) / sqrt(abar_t),
-1, 1) (model space, pixel v -> 2v/255 - 1). At high t that is saturated noise, worse (RMSE) than a plain mean
image. preview.json lets the decoder show instead

    x~_0 = m + w_t (x^_0 - m),   w_t = clamp(sum (x^_0 - m)(x_0 - m) / sum (x^_0 - m)^2, 0, 1)

(sums over training images and sub-pixels; x^_0 clipped), the least-squares shrinkage of x^_0 towards m. It
changes no coded bit: only the picture shown before the last step.

  m    per-pixel mean image (C x S x S) for fixed-size patch models; per-channel mean (C x 1 x 1) for whole-image
       models (codec_config.json {"tiling": "whole-image"}), which see images of any size. From all items of --data.
  w_t  fitted on --grid timesteps (Respacing.swift's quadratic spacing: dense at low t, where w moves fastest,
       always 0 and T-1), one fresh x_t per image and grid t, then interpolated linearly to every t in 0..T-1
       ("shrink", index = diffusers timestep t, 0-based).

--check SPEC then measures the stored (rounded) preview on held-out images at a few timesteps: RMSE on the 0..255
scale of raw x^_0, the mean image, flat gray 128 and x~_0.

The commands of Tools/README.md (one thread: 7, 7 and 10 minutes):
  python3 Tools/preview_prior.py --model Fixtures/models/fmnist28 --data fmnist:train --n 512 \\
      --check fmnist:test --check-n 200
  python3 Tools/preview_prior.py --model Fixtures/models/photo32 --data data/photos/crops32.npy --exclude-last 2000 \\
      --n 320 --check data/photos/test128-patches32.npy --check-draws 2
  python3 Tools/preview_prior.py --model Fixtures/models/photo --data data/photos/crops64.npy --exclude-last 2000 \\
      --n 72 --check data/photos/test128.npy --check-draws 3
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusion as D  # noqa: E402
import images  # noqa: E402

WEIGHTS = "diffusion_pytorch_model.safetensors"
DESCRIPTION = ("Decoder-side preview prior: during progressive decoding show mean + shrink[t] * (x0hat - mean) "
               "(model space [-1,1], x0hat the clipped prediction at timestep t) instead of x0hat; it changes no "
               "coded bit.")
GRAY = 128 * 2.0 / 255.0 - 1.0
SCALE = 127.5  # model-space difference -> 0..255 levels


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot_model(model_dir, tmp):
    """Load the model from a copy: Tools/train.py replaces a training model's directory at every checkpoint."""
    for fn in os.listdir(model_dir):
        if fn.endswith(".json") or fn == WEIGHTS:
            shutil.copy(os.path.join(model_dir, fn), tmp)
    model, scfg = D.load_model_dir(tmp)
    info = {}
    if os.path.exists(os.path.join(tmp, "training_info.json")):
        with open(os.path.join(tmp, "training_info.json")) as f:
            info = json.load(f)
    codec = {}
    if os.path.exists(os.path.join(tmp, "codec_config.json")):
        with open(os.path.join(tmp, "codec_config.json")) as f:
            codec = json.load(f)
    return model, scfg, codec, dict(training_step=info.get("step"), weights_sha256=sha256(os.path.join(tmp, WEIGHTS)))


def load_fit_data(spec, exclude_last):
    """uint8 (N,H,W,C). A .npy is memory-mapped: the crops files are hundreds of MB, beside a training job."""
    if spec.startswith("fmnist:"):
        a = images.load_array(spec)
    else:
        a = np.load(spec, mmap_mode="r")
        if a.dtype != np.uint8 or a.ndim not in (3, 4):
            sys.exit(f"{spec}: need uint8 (N,H,W[,C]), got {a.dtype} {a.shape}")
        a = a[..., None] if a.ndim == 3 else a
    return a[:len(a) - exclude_last]


@torch.no_grad()
def predict_x0(model, sched, vt, x0, t, gen):
    """Clipped x^_0 at timestep t from one fresh x_t ~ q(x_t|x_0) per image."""
    i = torch.full((len(x0),), t, dtype=torch.long)
    xt = D.q_sample(sched, x0, i, torch.randn(x0.shape, generator=gen, dtype=torch.float64))
    eps, _ = D.split_output(model(xt.float(), i).sample.double(), x0.shape[1], vt)
    return (sched.g("sqrt_recip_abar", i, xt) * xt - sched.g("sqrt_recipm1_abar", i, xt) * eps).clamp(-1, 1)


def mean_image(u8, per_channel, chunk=1024):
    s = 0
    for k in range(0, len(u8), chunk):
        s = s + D.to_model_space(np.asarray(u8[k:k + chunk])).sum(0)
    m = s / len(u8)
    return m.mean((1, 2), keepdim=True) if per_channel else m


def fit(model, sched, vt, x0, m, grid, batch, seed):
    """Per grid t: the least-squares weight and the fit data's RMSEs (0..255) of x^_0, m and x~_0."""
    gen = torch.Generator().manual_seed(seed)
    rows, t_start = [], time.time()
    for k, t in enumerate(grid):
        sxy = sxx = smm = 0.0
        for b in range(0, len(x0), batch):
            x, h = x0[b:b + batch], predict_x0(model, sched, vt, x0[b:b + batch], t, gen)
            sxy += float(((h - m) * (x - m)).sum())
            sxx += float(((h - m) ** 2).sum())
            smm += float(((x - m) ** 2).sum())
        w = min(max(sxy / sxx, 0.0), 1.0) if sxx > 0 else 0.0
        # x^_0 - x_0 = (x^_0 - m) - (x_0 - m), and x~_0 - x_0 = w (x^_0 - m) - (x_0 - m): no second pass needed
        rmse = lambda sse: round(float(np.sqrt(max(sse, 0.0) / x0.numel())) * SCALE, 4)  # noqa: E731
        rows.append(dict(t=int(t), weight=round(w, 5), rmse_raw=rmse(sxx - 2 * sxy + smm), rmse_mean=rmse(smm),
                         rmse_shrunk=rmse(w * w * sxx - 2 * w * sxy + smm)))
        el = time.time() - t_start
        print(f"\rt {t:4d} w {w:.4f}  {k + 1}/{len(grid)}  {el:.0f}s  eta {el / (k + 1) * (len(grid) - k - 1):.0f}s",
              end="", file=sys.stderr)
    print(file=sys.stderr)
    return rows


def check(model, sched, vt, prior, u8, ts, draws, seed):
    """Held-out RMSEs (0..255) of the stored preview, as the decoder would apply it."""
    mm = prior["mean"]
    m = torch.tensor(mm["values"], dtype=torch.float64).view(mm["channels"], mm["height"], mm["width"])
    x0 = D.to_model_space(u8)
    gen = torch.Generator().manual_seed(seed)
    rms = lambda d: float(d.pow(2).mean().sqrt()) * SCALE  # noqa: E731
    rows = []
    for t in ts:
        w = prior["shrink"][t]
        h = torch.cat([predict_x0(model, sched, vt, x0[b:b + 16], t, gen) for _ in range(draws)
                       for b in range(0, len(x0), 16)])
        x = x0.repeat(draws, 1, 1, 1)
        rows.append(dict(t=t, weight=w, rmse_raw=rms(h - x), rmse_mean=rms(m - x), rmse_gray=rms(GRAY - x),
                         rmse_shrunk=rms(m + w * (h - m) - x)))
    return rows


def refit_from_rd(out, paths):
    """The weights again, from the progressive coder's own latents.

    The coder's x_t are reverse-channel samples that lean toward the model's proposal, so they tell less about x_0
    than the q(x_t|x_0) draws of `fit`, and the least-squares weight at a given t is smaller (photo32, t ~ 700: 0.53
    from q draws, and a preview worse than the mean image in the codec). `ddpmc rd` on training images sums
    (x^_0 - m)(x_0 - m) and (x^_0 - m)^2 per step of its chain; those sums, pooled over the CSVs, give the weight at
    each of the chain's timesteps, interpolated linearly between them."""
    with open(out) as f:
        prior = json.load(f)
    sums = {}
    for path in paths:
        with open(path) as f:
            head = f.readline().strip().split(",")
            if head != ["step", "timestep", "weight", "cross", "spread"]:
                sys.exit(f"{path}: not a preview-fit.csv written by ddpmc rd")
            for line in f:
                _, t, _, cross, spread = line.strip().split(",")
                c, s_ = sums.get(int(t), (0.0, 0.0))
                sums[int(t)] = (c + float(cross), s_ + float(spread))
    ts = sorted(sums)
    w = [min(max(sums[t][0] / sums[t][1], 0.0), 1.0) if sums[t][1] > 0 else 0.0 for t in ts]
    T = len(prior["shrink"])
    prior["shrink"] = [round(float(v), 5) for v in np.interp(np.arange(T), ts, w)]
    prior["codec_fit"] = dict(rd=[os.path.basename(os.path.dirname(os.path.abspath(p))) or p for p in paths],
                              timesteps=ts, weights=[round(v, 5) for v in w])
    prior["description"] = DESCRIPTION + " Weights fitted on the progressive coder's own latents (ddpmc rd)."
    with open(out + ".tmp", "w") as f:
        json.dump(prior, f, indent=1)
    os.replace(out + ".tmp", out)
    print(f"wrote {out}: weights at {len(ts)} timesteps from {len(paths)} study(ies)", file=sys.stderr)
    for t, v in zip(ts[::max(1, len(ts) // 12)], w[::max(1, len(ts) // 12)]):
        print(f"  t {t:4d}  w {v:.4f}", file=sys.stderr)


def print_table(rows, tol):
    print(f"{'t':>5} {'w_t':>8} {'raw x^0':>9} {'mean':>9} {'gray128':>9} {'shrunk':>9}  ok")
    bad = 0
    for r in rows:
        ok = r["rmse_shrunk"] <= (1 + tol) * min(r["rmse_mean"], r["rmse_gray"], r["rmse_raw"])
        bad += not ok
        print(f"{r['t']:5d} {r['weight']:8.5f} {r['rmse_raw']:9.3f} {r['rmse_mean']:9.3f} {r['rmse_gray']:9.3f} "
              f"{r['rmse_shrunk']:9.3f}  {'yes' if ok else 'NO'}")
    print(f"shrunk <= min(raw, mean, gray) within {tol:.0%} at {len(rows) - bad} of {len(rows)} timesteps")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model directory (config.json, safetensors, scheduler_config.json)")
    ap.add_argument("--data", help="training data: fmnist:train, or a uint8 .npy (N,H,W[,C]) of crops")
    ap.add_argument("--exclude-last", type=int, default=0,
                    help="leave out the last K items of --data (2000: the crops' validation tail, as train.py)")
    ap.add_argument("--n", type=int, default=512, help="random items of --data to fit the weights on")
    ap.add_argument("--grid", type=int, default=60, help="fitted timesteps (quadratic spacing)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", help="default MODEL/preview.json")
    ap.add_argument("--check", help="held-out images: fmnist:test, .npy, PNG or folder of PNGs of one size")
    ap.add_argument("--check-n", type=int, default=0, help="first N held-out images (0 = all)")
    ap.add_argument("--check-t", default="0,10,50,100,200,300,500,700,900,999", help="timesteps of the check")
    ap.add_argument("--check-draws", type=int, default=1, help="x_t draws per held-out image and timestep")
    ap.add_argument("--check-only", action="store_true", help="check the existing --out, fit nothing")
    ap.add_argument("--tol", type=float, default=0.01, help="relative slack of the check's comparison")
    ap.add_argument("--from-rd", nargs="+", metavar="CSV",
                    help="refit the weights of the existing --out from the preview-fit.csv that `ddpmc rd` writes on "
                         "training images (the coder's own x_t), keeping its mean; no network call")
    a = ap.parse_args(argv)
    if a.from_rd:
        refit_from_rd(a.out or os.path.join(a.model, "preview.json"), a.from_rd)
        return
    torch.set_num_threads(1)  # beside a training job; the runtimes quoted are one thread's
    out = a.out or os.path.join(a.model, "preview.json")
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        model, scfg, codec, stamp = snapshot_model(a.model, tmp)
    sched = D.Schedule.from_scheduler_config(scfg)
    vt = scfg.get("variance_type", "fixed_small")
    whole = codec.get("tiling") == "whole-image"
    C, S = model.config.in_channels, model.config.sample_size

    if a.check_only:
        with open(out) as f:
            prior = json.load(f)
    else:
        if not a.data or "test" in a.data:
            ap.error("--data must name training data (never a test set)")
        u8 = load_fit_data(a.data, a.exclude_last)
        if u8.shape[3] != C or (not whole and u8.shape[1:3] != (S, S)):
            sys.exit(f"{a.data}: items {u8.shape[1:]}, the model takes {S}x{S}x{C}")
        m = mean_image(u8, whole)
        pick = np.sort(np.random.default_rng(a.seed).choice(len(u8), size=min(a.n, len(u8)), replace=False))
        x0 = D.to_model_space(np.asarray(u8[pick]))
        grid = D.space_timesteps(sched.T, a.grid, "quadratic")
        print(f"{a.model}: mean over {len(u8)} items, fit on {len(x0)}, {len(grid)} timesteps", file=sys.stderr)
        rows = fit(model, sched, vt, x0, m, grid, a.batch, a.seed)
        shrink = np.interp(np.arange(sched.T), grid, [r["weight"] for r in rows])
        prior = dict(
            format=1, description=DESCRIPTION,
            mean=dict(channels=C, height=m.shape[1], width=m.shape[2],
                      values=[round(float(v), 6) for v in m.flatten()]),
            shrink=[round(float(v), 5) for v in shrink],
            data=dict(fit=f"{a.data}" + (f" without its last {a.exclude_last} items" if a.exclude_last else ""),
                      mean_items=len(u8), weight_items=len(x0),
                      mean_form="per-channel" if whole else "per-pixel"),
            seed=a.seed, model=stamp, grid=rows, fit_seconds=round(time.time() - t0, 1))
        if os.path.exists(os.path.join(a.model, WEIGHTS)) and sha256(os.path.join(a.model, WEIGHTS)) != stamp[
                "weights_sha256"]:
            print(f"warning: {a.model}'s weights changed during the fit (a training checkpoint); preview.json "
                  f"records the step it was fitted to ({stamp['training_step']})", file=sys.stderr)
        with open(out + ".tmp", "w") as f:
            json.dump(prior, f, indent=1)
        os.replace(out + ".tmp", out)
        print(f"wrote {out} ({time.time() - t0:.0f}s)", file=sys.stderr)

    if a.check:
        u8 = images.load_array(a.check)
        u8 = u8[:a.check_n] if a.check_n else u8
        ts = [min(int(t), sched.T - 1) for t in a.check_t.split(",")]
        tc = time.time()
        rows = check(model, sched, vt, prior, u8, ts, a.check_draws, a.seed + 1)
        print(f"held out: {a.check}, {len(u8)} images {u8.shape[1]}x{u8.shape[2]}x{u8.shape[3]}, "
              f"{a.check_draws} x_t draw(s) each, RMSE on 0..255 ({time.time() - tc:.0f}s)")
        print_table(rows, a.tol)
    print(f"total {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()

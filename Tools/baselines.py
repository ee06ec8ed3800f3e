#!/usr/bin/env python3
"""Classical-codec baselines on exactly the images ddpmc is measured on (the conventions of the shared baselines.md).

Lossless (one file per image, headers included; every output decoded and checked bit-exact, or the run fails):
  PNG (Pillow optimize=True), PNG (optipng -o7), WebP lossless (cwebp -lossless -z 9), JPEG XL (cjxl -d 0 -e 9).
Lossy (a sweep of settings per codec; set-level bits/dim and distortion over all sub-pixels of the set):
  JPEG (Pillow/libjpeg-turbo, 4:4:4, optimize), WebP (cwebp -m 6), JPEG XL (cjxl -e 7),
  AVIF (avifenc aom -s 6, 4:4:4 for RGB / 4:0:0 for gray; skipped if avifenc is absent).

Inputs (as ddpmc accepts them, several allowed, concatenated in order, then --limit N keeps the first N):
  a Fashion-MNIST idx / idx.gz file, a uint8 .npy [N,H,W] or [N,H,W,C] (C = 1 or 3), a folder of PNGs
  (names ending .png, byte-wise sorted, hidden files ignored), or PNG files.

Usage:
  python3 Tools/baselines.py lossless INPUT... [--limit N] [--json OUT] [--codecs a,b] [--jobs J]
  python3 Tools/baselines.py lossy    INPUT... [--limit N] --csv OUT [--json OUT] [--codecs a,b] [--jobs J]

bits/dim = 8 * bytes / (H*W*C). Lossless: mean over images of the per-image bits/dim and its standard error.
Lossy: bits/dim = 8 * total bytes / total sub-pixels; RMSE over all sub-pixels on the 0..255 scale;
PSNR = 20 log10(255 / RMSE). Gray images whose decoder returns RGB (WebP) are turned back into gray with
Pillow's convert("L") (ITU-R 601 luma) before the distortion is measured; lossless outputs must decode to
R = G = B exactly. The bits/dim needed for PSNR 30/35/40 dB are interpolated linearly (bits/dim against
PSNR) between neighbouring points of each codec's Pareto front; "—" when the sweep never reaches the
target, "<=x" when its cheapest setting already exceeds it.

Tools (Debian bookworm): Tools/install-baseline-tools.sh installs webp, libjxl-tools, optipng, libavif-bin.
The command-line encoders run single-threaded and one at a time unless --jobs says otherwise.
"""
import argparse
import concurrent.futures as cf
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, features

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from images import ImageError, load_inputs  # noqa: E402  (the inputs as ddpmc reads them)

TARGETS_DB = (30.0, 35.0, 40.0)


class BaselineError(Exception):
    pass


# ---------------------------------------------------------------- helpers
def _run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise BaselineError(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")


def _pil(a):
    return Image.fromarray(a[..., 0] if a.shape[2] == 1 else a, "L" if a.shape[2] == 1 else "RGB")


def _write_png(a, path):
    _pil(a).save(path, format="PNG", compress_level=1)


def _decoded_array(im, channels, exact):
    """Decoded PIL image -> uint8 (H, W, channels). exact: gray must come back as R = G = B."""
    im.load()
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("I;16", "I;16B", "I", "F"):
        raise BaselineError(f"decoder returned a {im.mode} image (not 8-bit)")
    if im.mode in ("LA", "RGBA"):
        a = np.asarray(im)
        if not (a[..., -1] == 255).all():
            raise BaselineError("decoded image has a non-opaque alpha channel")
        im = im.convert("L" if im.mode == "LA" else "RGB")
    if im.mode == "1":
        im = im.convert("L")
    a = np.asarray(im)
    if a.ndim == 2:
        a = a[..., None]
    if channels == 1 and a.shape[2] == 3:
        if exact:
            if not ((a[..., 0] == a[..., 1]).all() and (a[..., 0] == a[..., 2]).all()):
                raise BaselineError("gray image decoded with R != G != B")
            a = a[..., :1]
        else:
            a = np.asarray(im.convert("L"))[..., None]
    elif channels == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.ascontiguousarray(a, dtype=np.uint8)


def _read_decoded(path, channels, exact):
    with Image.open(path) as im:
        return _decoded_array(im, channels, exact)


def _version(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return p.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, IndexError):
        return None


def tool_versions():
    v = {"Pillow": Image.__version__, "libjpeg-turbo": features.version("libjpeg_turbo") if "libjpeg_turbo" in features.features else None,
         "cwebp": _version(["cwebp", "-version"]), "cjxl": _version(["cjxl", "--version"]),
         "optipng": _version(["optipng", "-v"]), "avifenc": _version(["avifenc", "--version"])}
    return v


# ---------------------------------------------------------------- codecs
# Each encode function: (array (H,W,C), tmpdir, setting) -> (number of bytes, decoded path or PIL image).
def png_pillow(a, d, _s=None):
    buf = io.BytesIO()
    _pil(a).save(buf, format="PNG", optimize=True)
    n = buf.tell()
    buf.seek(0)
    return n, Image.open(buf)


def png_optipng(a, d, _s=None):
    p = os.path.join(d, "o.png")
    _pil(a).save(p, format="PNG", optimize=True)
    _run(["optipng", "-quiet", "-o7", "-strip", "all", p])
    return os.path.getsize(p), p


def webp_lossless(a, d, _s=None):
    src, out, dec = (os.path.join(d, n) for n in ("in.png", "o.webp", "o_dec.png"))
    _write_png(a, src)
    _run(["cwebp", "-quiet", "-lossless", "-z", "9", src, "-o", out])
    _run(["dwebp", "-quiet", out, "-o", dec])
    return os.path.getsize(out), dec


def _jxl(a, d, args):
    src, out, dec = (os.path.join(d, n) for n in ("in.png", "o.jxl", "o_dec.png"))
    _write_png(a, src)
    _run(["cjxl", src, out, "--quiet", "--num_threads=0"] + args)
    _run(["djxl", out, dec, "--quiet", "--num_threads=1"])
    return os.path.getsize(out), dec


def jxl_lossless(a, d, _s=None):
    return _jxl(a, d, ["-d", "0", "-e", "9"])


def jpeg_pillow(a, d, q):
    buf = io.BytesIO()
    _pil(a).save(buf, format="JPEG", quality=int(q), subsampling=0, optimize=True)
    n = buf.tell()
    buf.seek(0)
    return n, Image.open(buf)


def webp_lossy(a, d, q):
    src, out, dec = (os.path.join(d, n) for n in ("in.png", "o.webp", "o_dec.png"))
    _write_png(a, src)
    _run(["cwebp", "-quiet", "-m", "6", "-q", str(q), src, "-o", out])
    _run(["dwebp", "-quiet", out, "-o", dec])
    return os.path.getsize(out), dec


def jxl_lossy(a, d, dist):
    return _jxl(a, d, ["-d", str(dist), "-e", "7"])


def avif_lossy(a, d, q):
    src, out, dec = (os.path.join(d, n) for n in ("in.png", "o.avif", "o_dec.png"))
    _write_png(a, src)
    yuv = "400" if a.shape[2] == 1 else "444"
    _run(["avifenc", "-c", "aom", "-s", "6", "-j", "1", "-d", "8", "-y", yuv, "-r", "full",
          "--min", str(q), "--max", str(q), src, out])
    _run(["avifdec", "-j", "1", "-d", "8", out, dec])
    return os.path.getsize(out), dec


LOSSLESS = [  # (name, key, function, required tools)
    ("PNG (Pillow optimize=True)", "png-pillow", png_pillow, []),
    ("PNG (optipng -o7)", "png-optipng", png_optipng, ["optipng"]),
    ("WebP lossless (cwebp -lossless -z 9)", "webp", webp_lossless, ["cwebp", "dwebp"]),
    ("JPEG XL (cjxl -d 0 -e 9)", "jxl", jxl_lossless, ["cjxl", "djxl"]),
]

LOSSY = [  # (name, key, function, settings, required tools, optional)
    ("JPEG", "jpeg", jpeg_pillow,
     [1, 3, 5, 8, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 88, 90, 92, 94, 95, 96, 97,
      98, 99, 100], [], False),
    ("WebP", "webp", webp_lossy,
     [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 88, 90, 92, 94, 95, 96, 97, 98,
      99, 100], ["cwebp", "dwebp"], False),
    ("JPEG XL", "jxl", jxl_lossy,
     [25, 20, 15, 12, 10, 8, 6, 5, 4, 3, 2.5, 2, 1.5, 1.2, 1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1,
      0.07, 0.05], ["cjxl", "djxl"], False),
    ("AVIF", "avif", avif_lossy,
     [63, 60, 56, 52, 48, 44, 40, 36, 32, 28, 24, 20, 16, 14, 12, 10, 8, 6, 4, 3, 2, 1, 0],
     ["avifenc", "avifdec"], True),
]
SETTING_NAME = {"jpeg": "quality", "webp": "q", "jxl": "distance", "avif": "quantizer"}


def _select(table, codecs, optional_index=None):
    keys = [t[1] for t in table]
    if codecs:
        want = [c.strip() for c in codecs.split(",") if c.strip()]
        bad = [c for c in want if c not in keys]
        if bad:
            raise BaselineError(f"unknown codec(s) {bad}; choose from {keys}")
        table = [t for t in table if t[1] in want]
    chosen = []
    for t in table:
        tools = t[3] if optional_index is None else t[4]
        missing = [x for x in tools if shutil.which(x) is None]
        if missing:
            optional = optional_index is not None and t[optional_index]
            msg = f"{t[0]}: missing tool(s) {missing} (run Tools/install-baseline-tools.sh)"
            if optional and not codecs:
                print(f"skipping {msg}", file=sys.stderr)
                continue
            raise BaselineError(msg)
        chosen.append(t)
    return chosen


def _map(fn, items, jobs):
    if jobs <= 1:
        return [fn(x) for x in items]
    with cf.ThreadPoolExecutor(jobs) as ex:
        return list(ex.map(fn, items))


def _tmpdir():
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix="baselines-", dir=base)


# ---------------------------------------------------------------- lossless
def run_lossless(items, args):
    codecs = _select(LOSSLESS, args.codecs)
    dims = [int(np.prod(a.shape)) for _, a in items]
    result = {"images": len(items), "dims": dims[0] if len(set(dims)) == 1 else dims,
              "total_dims": int(sum(dims)), "input": args.inputs, "limit": args.limit,
              "image_shape": list(items[0][1].shape) if len(set(a.shape for _, a in items)) == 1 else None,
              "tools": tool_versions(), "names": [n for n, _ in items], "codecs": {}}
    with _tmpdir() as root:
        for name, key, fn, _tools in codecs:
            t0 = time.time()

            def one(i):
                img_name, a = items[i]
                d = os.path.join(root, f"{key}-{i}")
                os.makedirs(d, exist_ok=True)
                try:
                    n, dec = fn(a, d)
                    b = _read_decoded(dec, a.shape[2], exact=True) if isinstance(dec, str) \
                        else _decoded_array(dec, a.shape[2], exact=True)
                except BaselineError as e:
                    raise BaselineError(f"{name} on {img_name}: {e}") from None
                if b.shape != a.shape:
                    raise BaselineError(f"{name} on {img_name}: NOT LOSSLESS (decoded shape {b.shape}, "
                                        f"original {a.shape})")
                if not np.array_equal(a, b):
                    raise BaselineError(f"{name} on {img_name}: NOT LOSSLESS ({int((a != b).sum())} of "
                                        f"{a.size} sub-pixels differ after decoding)")
                shutil.rmtree(d, ignore_errors=True)
                return n

            sizes = _map(one, range(len(items)), args.jobs)
            bpd = [8.0 * n / dd for n, dd in zip(sizes, dims)]
            m = float(np.mean(bpd))
            s = float(np.std(bpd, ddof=1) / math.sqrt(len(bpd))) if len(bpd) > 1 else 0.0
            result["codecs"][name] = {"key": key, "mean_bits_per_dim": m, "stderr": s,
                                      "total_bytes": int(sum(sizes)),
                                      "set_bits_per_dim": 8.0 * sum(sizes) / sum(dims),
                                      "per_image": [round(x, 6) for x in bpd]}
            print(f"  {name}: {m:.4f} ± {s:.4f} bits/dim, verified bit-exact ({time.time() - t0:.0f} s)",
                  file=sys.stderr)
    if args.json:
        _write_json(args.json, result)
    print(f"\nLossless, {len(items)} images, one file per image (headers included), all decoded bit-exact")
    w = max(len(n) for n in result["codecs"])
    print(f"{'codec':<{w}}  mean bits/dim  stderr   total bytes")
    for n, r in result["codecs"].items():
        print(f"{n:<{w}}  {r['mean_bits_per_dim']:13.4f}  {r['stderr']:.4f}  {r['total_bytes']:11d}")
    return result


# ---------------------------------------------------------------- lossy
def pareto_front(points):
    """points: [(bpd, psnr)] -> the Pareto front sorted by bpd (each point better in PSNR than all cheaper)."""
    front = []
    for b, p in sorted(points, key=lambda t: (t[0], -t[1])):
        if not front or p > front[-1][1]:
            front.append((b, p))
    return front


def bpd_at_psnr(points, target):
    """(bits/dim, flag): linear interpolation on the Pareto front; flag '' | '<=' | None when unreachable."""
    front = [(b, p) for b, p in pareto_front(points) if math.isfinite(p)] or pareto_front(points)
    if not front:
        return None, None
    if front[0][1] >= target:
        return front[0][0], "<="
    for (b0, p0), (b1, p1) in zip(front, front[1:]):
        if p0 < target <= p1:
            return b0 + (target - p0) / (p1 - p0) * (b1 - b0), ""
    finite_inf = [b for b, p in pareto_front(points) if math.isinf(p)]
    if finite_inf:  # reaches lossless: the cheapest lossless point bounds it
        return finite_inf[0], "<="
    return None, None


def run_lossy(items, args):
    codecs = _select(LOSSY, args.codecs, optional_index=5)
    dims = [int(np.prod(a.shape)) for _, a in items]
    total_dims = int(sum(dims))
    rows, summary = [], {}
    with _tmpdir() as root:
        for name, key, fn, settings, _tools, _opt in codecs:
            t0 = time.time()
            pts = []
            for s in settings:
                def one(i, s=s):
                    img_name, a = items[i]
                    d = os.path.join(root, f"{key}-{i}")
                    os.makedirs(d, exist_ok=True)
                    try:
                        n, dec = fn(a, d, s)
                        b = _read_decoded(dec, a.shape[2], exact=False) if isinstance(dec, str) \
                            else _decoded_array(dec, a.shape[2], exact=False)
                    except BaselineError as e:
                        raise BaselineError(f"{name} {SETTING_NAME[key]}={s} on {img_name}: {e}") from None
                    if b.shape != a.shape:
                        raise BaselineError(f"{name} {s} on {img_name}: decoded shape {b.shape} != {a.shape}")
                    diff = a.astype(np.int64) - b.astype(np.int64)
                    return n, int((diff * diff).sum())

                res = _map(one, range(len(items)), args.jobs)
                nbytes = sum(r[0] for r in res)
                sse = sum(r[1] for r in res)
                bpd = 8.0 * nbytes / total_dims
                rmse = math.sqrt(sse / total_dims)
                psnr = 20 * math.log10(255.0 / rmse) if rmse > 0 else float("inf")
                rows.append({"codec": name, "setting": f"{SETTING_NAME[key]}={s}", "bits_per_dim": bpd,
                             "rmse": rmse, "psnr": psnr})
                pts.append((bpd, psnr))
            thr = {}
            for t in TARGETS_DB:
                b, flag = bpd_at_psnr(pts, t)
                thr[f"{t:g}"] = None if b is None else {"bits_per_dim": b, "bound": flag == "<="}
            summary[name] = {"key": key, "bits_per_dim_at_psnr": thr,
                             "pareto_front": [{"bits_per_dim": b, "psnr": p} for b, p in pareto_front(pts)]}
            print(f"  {name}: {len(settings)} settings ({time.time() - t0:.0f} s)", file=sys.stderr)
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root, exist_ok=True)

    if args.csv:
        os.makedirs(os.path.dirname(os.path.abspath(args.csv)), exist_ok=True)
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["codec", "setting", "bits_per_dim", "rmse", "psnr"])
            for r in rows:
                w.writerow([r["codec"], r["setting"], f"{r['bits_per_dim']:.6f}", f"{r['rmse']:.6f}",
                            "inf" if math.isinf(r["psnr"]) else f"{r['psnr']:.4f}"])
        print(f"wrote {args.csv}", file=sys.stderr)

    if args.json:
        _write_json(args.json, {"images": len(items), "total_dims": total_dims, "input": args.inputs,
                                "limit": args.limit, "tools": tool_versions(), "codecs": summary,
                                "points": rows})
    print(f"\nLossy, {len(items)} images, {total_dims} sub-pixels: bits/dim needed for PSNR "
          + " / ".join(f"{t:g}" for t in TARGETS_DB) + " dB (interpolated on each codec's Pareto front)")
    for name, s in summary.items():
        cells = []
        for t in TARGETS_DB:
            v = s["bits_per_dim_at_psnr"][f"{t:g}"]
            cells.append("—" if v is None else ("<=" if v["bound"] else "") + f"{v['bits_per_dim']:.2f}")
        print(f"{name:<8} " + " / ".join(cells))
    return rows, summary


def _write_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def clean(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o
    with open(path, "w") as f:
        json.dump(clean(obj), f, indent=1)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["lossless", "lossy"])
    ap.add_argument("inputs", nargs="+", help="idx/idx.gz, .npy, folder of PNGs, or PNG files")
    ap.add_argument("--limit", type=int, help="use only the first N images of the inputs")
    ap.add_argument("--json", help="write results as JSON")
    ap.add_argument("--csv", help="lossy: write the sweep as CSV (codec, setting, bits_per_dim, rmse, psnr)")
    ap.add_argument("--codecs", help="comma-separated subset: lossless png-pillow,png-optipng,webp,jxl; "
                                     "lossy jpeg,webp,jxl,avif")
    ap.add_argument("--jobs", type=int, default=1, help="images coded concurrently (default 1)")
    args = ap.parse_args(argv)
    if args.mode == "lossy" and not args.csv:
        ap.error("lossy mode needs --csv OUT")
    try:
        items = load_inputs(args.inputs)
        if args.limit is not None:
            items = items[:max(0, args.limit)]
        if not items:
            raise BaselineError("no images")
        shapes = sorted({a.shape for _, a in items})
        print(f"{len(items)} images, shapes {shapes}", file=sys.stderr)
        if args.mode == "lossless":
            run_lossless(items, args)
        else:
            run_lossy(items, args)
    except (BaselineError, ImageError) as e:
        print(f"baselines.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

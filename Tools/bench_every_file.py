#!/usr/bin/env python3
"""Every file at its bound (docs/BENCHMARKS.md, "Single files and archives against their bound"):
one file per image, an archive, and photos, each beside the bound of the chain it codes and the stored
classical baselines of the same images (Tools/results/baselines-*.json, made by Tools/baselines.py).

  python3 Tools/bench_every_file.py [--n 100] [--archive 200] [--out DIR] [--bin .build/release/ddpmc]
      [--skip single,archive,photos,tail] [--tail-n 10] [--tstar 5] [--tail-spacing model|even|quadratic]

The tail part: progressive files with a lossless tail (--lossless-after T*) on the first --tail-n Fashion-MNIST test
images one file each, the same images as one archive, and the astronaut 128: the tail bootstrapped (the encoder's
choice) and not (--bootstrap 0), against the stream's own bits plus the tail's bound (the chain's terms at steps
1..T*, `ddpmc bound --per-step`).

Writes DIR/every-file.json and prints a Markdown table. Needs the release build and the data of
Tools/prepare_data.py (photo-test); Fashion-MNIST from the dataset-fashion-mnist package.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {r.stderr[-2000:]}")
    return r.stdout


def encode(bin_, path, out, *extra):
    return json.loads(run([bin_, "encode", path, "-o", out, "--json", "--force", *extra]))


def coded_chain(bin_, ddpm):
    """(steps, spacing) of the chain a .ddpm file codes, from `ddpmc info --json`."""
    j = json.loads(run([bin_, "info", ddpm, "--json"]))
    return j["steps"], j.get("spacing", "quadratic")


def bounds(bin_, path, steps, spacing="quadratic", limit=None):
    """Per-image bound of a chain: `steps` with `spacing`, or the model's own chain (spacing "model")."""
    cmd = [bin_, "bound", path] + ([] if spacing == "model" else ["--steps", str(steps)]) + ["--spacing", spacing, "--json"]
    if limit:
        cmd += ["--limit", str(limit)]
    return [im["bits_per_dim"] for im in json.loads(run(cmd))["images"]]


def tail_bound(bin_, path, tstar, out, spacing):
    """Mean over the images of the chain's terms at steps 1..T* (L_0 and the KLs the tail codes), bits/dim, on the
    chain the tail files code (`spacing`: even or quadratic with 100 steps, or the model's own chain)."""
    csv = os.path.join(out, "per-step.csv")
    steps = [] if spacing == "model" else ["--steps", "100"]
    run([bin_, "bound", path, *steps, "--spacing", spacing, "--per-step", csv])
    rows = [line.split(",") for line in open(csv).read().split("\n")[1:] if line.strip()]
    return float(sum(float(r[3]) for r in rows if int(r[0]) <= tstar))


def tail_file(bin_, path, out, tstar, bootstrap, spacing):
    """A progressive file with its tail at T*: its rate, the stream's (with the container header) and the tail's."""
    extra = ["--progressive", "--lossless-after", str(tstar), "--spacing", spacing]
    extra += ([] if spacing == "model" else ["--steps", "100"]) + ([] if bootstrap is None else ["--bootstrap", str(bootstrap)])
    j = encode(bin_, path, os.path.join(out, "tail.ddpm"), *extra)
    return dict(bits_per_dim=j["bits_per_dim"], stream=j["progressive_with_header_bits_per_dim"],
                tail=j["lossless_bits_per_dim"], initial_bits=j["initial_bits"], bootstrap=j.get("bootstrap_patches", 0))


def baseline(name, key, n=None):
    path = os.path.join(ROOT, "Tools/results", name)
    if not os.path.exists(path):
        return None
    codecs = json.load(open(path))["codecs"]
    for label, c in codecs.items():
        if label.startswith(key):
            per = c["per_image"][:n] if n else c["per_image"]
            vals = [p["bits_per_dim"] if isinstance(p, dict) else p for p in per]
            return label, float(np.mean(vals))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--archive", type=int, default=200)
    ap.add_argument("--out", default=None)
    ap.add_argument("--bin", default=".build/release/ddpmc")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: single,archive,photos,tail")
    ap.add_argument("--tail-n", type=int, default=10)
    ap.add_argument("--tstar", type=int, default=5)
    ap.add_argument("--tail-spacing", default="model", help="the tail files' chain: model (the default of a file with a "
                    "lossless tail when the model ships one), even or quadratic (100 steps)")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp()
    os.makedirs(out, exist_ok=True)
    skip = set(filter(None, a.skip.split(",")))
    res = {"machine": run(["sh", "-c", "echo $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); date -u +%F"]).strip()}

    if "single" not in skip:
        raw = gzip.open(FMNIST).read()
        imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)[:a.n]
        allp = os.path.join(out, f"fmnist{a.n}.npy")
        np.save(allp, imgs)
        rows = []
        for i in range(a.n):
            p = os.path.join(out, "one.npy")
            np.save(p, imgs[i:i + 1])
            j = encode(a.bin, p, os.path.join(out, "one.ddpm"))
            rows.append(dict(bits_per_dim=j["bits_per_dim"], route=j["route"],
                             direct=j.get("bytes") * 8 / 784 if j["route"] == "direct" else None,
                             bits_back=j.get("bits_back_route_bytes", 0) * 8 / 784,
                             stream=j.get("progressive_bits_per_dim"), theoretical=j.get("theoretical_progressive_bits_per_dim"),
                             decoder=j.get("decoder_step_bits_per_dim"), container=j.get("container_bytes")))
            print(f"  fmnist[{i}] {j['bits_per_dim']:.3f} ({j['route']})", file=sys.stderr)
        b50 = bounds(a.bin, allp, 50)
        b100 = bounds(a.bin, allp, 100)
        res["single"] = dict(n=a.n, rows=rows, bound50=float(np.mean(b50)), bound100=float(np.mean(b100)),
                             mean=float(np.mean([r["bits_per_dim"] for r in rows])),
                             jpegxl=baseline("baselines-fmnist200-lossless.json", "JPEG XL", a.n),
                             webp=baseline("baselines-fmnist200-lossless.json", "WebP", a.n),
                             png=baseline("baselines-fmnist200-lossless.json", "PNG (optipng", a.n))

    if "archive" not in skip:
        j = encode(a.bin, FMNIST, os.path.join(out, "archive.ddpm"), "--limit", str(a.archive))
        b = bounds(a.bin, FMNIST, *coded_chain(a.bin, os.path.join(out, "archive.ddpm")), limit=a.archive)
        res["archive"] = dict(n=a.archive, bits_per_dim=j["bits_per_dim"], bound=float(np.mean(b)), encode=j)

    if "photos" not in skip:
        names = ["astronaut", "chelsea", "coffee", "motorcycle_left", "rocket"]
        rows = []
        for nm in names:
            p = os.path.join(ROOT, "data/photos", f"{nm}_128.png")
            j = encode(a.bin, p, os.path.join(out, "photo.ddpm"))
            bd = bounds(a.bin, p, *coded_chain(a.bin, os.path.join(out, "photo.ddpm")))[0]
            rows.append(dict(name=nm, bits_per_dim=j["bits_per_dim"], route=j["route"], bound=bd,
                             bootstrap=j.get("bootstrap_patches"), initial_bits=j.get("initial_bits")))
            print(f"  {nm} {j['bits_per_dim']:.3f} bound {bd:.3f}", file=sys.stderr)
        from PIL import Image
        crop = os.path.join(out, "crop64.png")
        Image.fromarray(np.array(Image.open(os.path.join(ROOT, "data/photos/astronaut_128.png")))[:64, :64]).save(crop)
        j = encode(a.bin, crop, os.path.join(out, "crop.ddpm"))
        res["photos"] = dict(rows=rows, crop=dict(bits_per_dim=j["bits_per_dim"], route=j["route"],
                                                  bound=bounds(a.bin, crop, *coded_chain(a.bin, os.path.join(out, "crop.ddpm")))[0]),
                             jpegxl=baseline("baselines-photos128-lossless.json", "JPEG XL"),
                             webp=baseline("baselines-photos128-lossless.json", "WebP"))

    if "tail" not in skip:
        raw = gzip.open(FMNIST).read()
        imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)[:a.tail_n]
        arch = os.path.join(out, f"fmnist{a.tail_n}.npy")
        np.save(arch, imgs)
        cases = []
        for i in range(a.tail_n):
            p = os.path.join(out, f"tail{i}.npy")
            np.save(p, imgs[i:i + 1])
            cases.append((f"fmnist[{i}]", p, "single"))
        cases.append((f"first {a.tail_n} Fashion-MNIST, one archive", arch, "archive"))
        cases.append(("astronaut 128", os.path.join(ROOT, "data/photos/astronaut_128.png"), "photo"))
        rows = []
        for name, p, kind in cases:
            tb = tail_bound(a.bin, p, a.tstar, out, a.tail_spacing)
            new, old = tail_file(a.bin, p, out, a.tstar, None, a.tail_spacing), tail_file(a.bin, p, out, a.tstar, 0, a.tail_spacing)
            ref = new["stream"] + tb
            rows.append(dict(name=name, kind=kind, tail_bound=tb, reference=ref, bootstrapped=new, plain=old,
                             ratio=new["bits_per_dim"] / ref))
            print(f"  {name}: {old['bits_per_dim']:.3f} -> {new['bits_per_dim']:.3f} (bootstrap {new['bootstrap']}), "
                  f"stream {new['stream']:.3f} + tail bound {tb:.3f} = {ref:.3f}, ratio {new['bits_per_dim'] / ref:.3f}",
                  file=sys.stderr)
        res["tail"] = dict(tstar=a.tstar, spacing=a.tail_spacing, rows=rows)

    json.dump(res, open(os.path.join(out, "every-file.json"), "w"), indent=1)
    print(f"machine: {res['machine']}")
    if "single" in res:
        s = res["single"]
        d = [r["direct"] for r in s["rows"] if r["direct"] is not None]
        print(f"| first {s['n']} Fashion-MNIST test images, one file each | {s['mean']:.3f} | direct-route chain bound {s['bound50']:.3f} "
              f"(ratio {s['mean'] / s['bound50']:.3f}) | JPEG XL {s['jpegxl'][1] if s['jpegxl'] else float('nan'):.3f} | "
              f"direct {len(d)}/{s['n']}, mean direct {np.mean(d) if d else float('nan'):.3f}; 100-step bound {s['bound100']:.3f} |")
    if "archive" in res:
        r = res["archive"]
        print(f"| {r['n']}-image archive | {r['bits_per_dim']:.4f} | bound {r['bound']:.4f} (ratio {r['bits_per_dim'] / r['bound']:.4f}) |")
    if "photos" in res:
        for r in res["photos"]["rows"]:
            print(f"| {r['name']} 128 | {r['bits_per_dim']:.3f} | bound {r['bound']:.3f} (ratio {r['bits_per_dim'] / r['bound']:.3f}) | {r['route']}, bootstrap {r['bootstrap']} |")
        c = res["photos"]["crop"]
        print(f"| 64x64 crop | {c['bits_per_dim']:.3f} | bound {c['bound']:.3f} (ratio {c['bits_per_dim'] / c['bound']:.3f}) | {c['route']} |")
        print(f"JPEG XL photos: {res['photos']['jpegxl']}, WebP: {res['photos']['webp']}")
    if "tail" in res:
        t = res["tail"]
        singles = [r for r in t["rows"] if r["kind"] == "single"]
        if singles:
            m = lambda f: float(np.mean([f(r) for r in singles]))  # noqa: E731
            print(f"| {len(singles)} Fashion-MNIST images, one file each, T* = {t['tstar']} | "
                  f"{m(lambda r: r['plain']['bits_per_dim']):.3f} | {m(lambda r: r['bootstrapped']['bits_per_dim']):.3f} | "
                  f"{m(lambda r: r['reference']):.3f} | {m(lambda r: r['bootstrapped']['bits_per_dim']) / m(lambda r: r['reference']):.3f} | "
                  f"{m(lambda r: r['bootstrapped']['initial_bits']):.0f} |")
        for r in t["rows"]:
            if r["kind"] != "single":
                print(f"| {r['name']}, T* = {t['tstar']} | {r['plain']['bits_per_dim']:.3f} | {r['bootstrapped']['bits_per_dim']:.3f} "
                      f"(bootstrap {r['bootstrapped']['bootstrap']}) | {r['reference']:.3f} | {r['ratio']:.3f} | "
                      f"{r['bootstrapped']['initial_bits']:.0f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reproducible data preparation, from Debian packages only (docs/DESIGN.md §8).

Fashion-MNIST (package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist/):
  train = the first 58,000 training images, val = the last 2,000 training images (held out; used for the
  validation bound during training), test = the 10k t10k images (never trained on).

Photos (for a later 32x32 RGB model):
  training photos: mate-backgrounds (/usr/share/backgrounds/mate/nature/) and lomiri-wallpapers-16.04;
  random 32x32 crops of box-downsampled copies (short side 96..768), random horizontal flips;
  dev test set: python3-skimage's astronaut, chelsea, coffee, motorcycle_left, rocket, box-downsampled so the
  short side is 128 (or --short 256) and centre-cropped.

Usage:
  python3 Tools/prepare_data.py fmnist [--out data/fmnist28]          -> train.npy val.npy test.npy (uint8 N,28,28)
  python3 Tools/prepare_data.py photo-test [--out data/photos] [--short 128]  -> test128.npy (uint8 N,S,S,3), test128-patches32.npy, gray128.npy (N,S,S) + PNGs
  python3 Tools/prepare_data.py photo-crops --n 100000 [--seed 0] [--out data/photos] -> crops32.npy (uint8 N,32,32,3)
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# fmnist_split is also reached through this module (train.py).
from images import fmnist_split, read_photo  # noqa: E402

# ---------------------------------------------------------------- photos
MATE_NATURE = "/usr/share/backgrounds/mate/nature"  # package mate-backgrounds
PHOTO_DIRS = [MATE_NATURE, "/usr/share/backgrounds/lomiri-wallpapers", "/usr/share/backgrounds/lomiri"]
SKIMAGE_TEST = ["astronaut", "chelsea", "coffee", "motorcycle_left", "rocket"]


def box_downsample(img, short):
    """Box-filter downsample an (H, W, 3) uint8 image so its short side is `short`, with Pillow's
    Image.resize(..., Image.BOX) -- the filter the published classical baselines used for photos-dev."""
    from PIL import Image
    h, w = img.shape[:2]
    s = short / min(h, w)
    if s >= 1:
        return img.copy()
    if h <= w:
        nh, nw = short, max(short, int(round(w * s)))
    else:
        nh, nw = max(short, int(round(h * s))), short
    return np.asarray(Image.fromarray(img).resize((nw, nh), Image.BOX))


def center_crop(img, size):
    h, w = img.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return img[y:y + size, x:x + size]


# The photographs among the other images of lomiri-wallpapers-20.04 (its other two are illustrations), added for the
# whole-image model (--extended). plasma-workspace-wallpapers is held out for evaluation: never train on it.
EXTENDED_PHOTOS = {"lomiri-wallpapers-20.04": ["Infinite-Sea_by_Aury88.jpg", "Kleiber_by_Lukas_Baubkus.jpg"]}


def photo_files(dirs=PHOTO_DIRS, extended=False):
    """Training photos: mate-backgrounds' nature/ folder and the images of lomiri-wallpapers-16.04 (its file
    list from dpkg, since they lie directly in /usr/share/backgrounds/); with `extended`, also EXTENDED_PHOTOS."""
    import subprocess
    out = []
    if extended:
        for package, names in EXTENDED_PHOTOS.items():
            lst = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
            found = [f for f in lst if os.path.basename(f) in names and os.path.isfile(f)]
            if len(found) != len(names):
                raise RuntimeError(f"the photographs of {package} are missing: apt-get install {package}")
            out += found
    try:
        lst = subprocess.run(["dpkg", "-L", "lomiri-wallpapers-16.04"], capture_output=True, text=True).stdout
        out += [f for f in lst.split() if f.lower().endswith((".jpg", ".jpeg", ".png")) and os.path.isfile(f)]
    except OSError:
        pass
    dirs = [d for d in dirs if "lomiri" not in d]
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.lower().endswith((".jpg", ".jpeg", ".png")):
                    out.append(os.path.join(root, f))
    return sorted(set(out))


def photo_crops(n, seed=0, files=None, size=32, short_range=(96, 768), per_copy=64):
    """n random size x size crops (uint8, n, size, size, 3) from box-downsampled copies of the training photos:
    for each copy a photo and a short side uniformly in short_range are drawn, and `per_copy` random crops with
    random horizontal flips are taken from it. Deterministic given seed and the file list."""
    files = photo_files() if files is None else files
    if not files:
        raise RuntimeError("no training photos found: apt-get install mate-backgrounds lomiri-wallpapers-16.04")
    rng = np.random.default_rng(seed)
    cache = {}
    out = np.empty((n, size, size, 3), np.uint8)
    k = 0
    while k < n:
        f = files[rng.integers(len(files))]
        if f not in cache:
            if len(cache) > 8:
                cache.pop(next(iter(cache)))
            cache[f] = read_photo(f)
        img = cache[f]
        short = int(rng.integers(short_range[0], short_range[1] + 1))
        small = box_downsample(img, min(short, min(img.shape[:2])))
        h, w = small.shape[:2]
        for _ in range(min(per_copy, n - k)):
            y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
            c = small[y:y + size, x:x + size]
            if rng.random() < 0.5:
                c = c[:, ::-1]
            out[k] = c
            k += 1
    return out


SKIMAGE_INSTALLED = "/usr/lib/python3/dist-packages/skimage/data"
DEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "debian")


def skimage_data_dir():
    """python3-skimage's data folder: the installed package's, or else the package's .deb fetched with
    `apt-get download python3-skimage` and unpacked with dpkg-deb -x under data/debian/ (no dependencies, which
    the full install would pull: scipy, matplotlib, ...)."""
    if os.path.isdir(SKIMAGE_INSTALLED):
        return SKIMAGE_INSTALLED
    import glob
    import subprocess
    root = os.path.join(DEB_DIR, "python3-skimage")
    d = os.path.join(root, SKIMAGE_INSTALLED.lstrip("/"))
    if os.path.isdir(d):
        return d
    os.makedirs(DEB_DIR, exist_ok=True)
    debs = glob.glob(os.path.join(DEB_DIR, "python3-skimage_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", "python3-skimage"], cwd=DEB_DIR, check=True)
        debs = glob.glob(os.path.join(DEB_DIR, "python3-skimage_*.deb"))
    subprocess.run(["dpkg-deb", "-x", sorted(debs)[-1], root], check=True)
    return d


def skimage_test_set(short=128, names=SKIMAGE_TEST):
    """Dev test set: python3-skimage data photos, box-downsampled to short side `short`, centre-cropped square.
    Returns (names, uint8 array (N, short, short, 3))."""
    import glob
    roots = [skimage_data_dir()]
    imgs = []
    for n in names:
        cands = []
        for r in roots:
            cands += glob.glob(os.path.join(r, n + ".*"))
        if not cands:
            raise RuntimeError(f"skimage data photo {n} not found: apt-get install python3-skimage")
        imgs.append(center_crop(box_downsample(read_photo(sorted(cands)[0]), short), short))
    return list(names), np.stack(imgs)


# ---------------------------------------------------------------- CLI
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["fmnist", "photo-test", "photo-crops"])
    ap.add_argument("--out")
    ap.add_argument("--short", type=int, default=128)
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=32, help="photo-crops: crop side (32 for photo32, 64 for photo)")
    ap.add_argument("--extended", action="store_true",
                    help="photo-crops: add the photographs of lomiri-wallpapers-20.04 (the whole-image model's data)")
    a = ap.parse_args(argv)
    if a.what == "fmnist":
        out = a.out or "data/fmnist28"
        os.makedirs(out, exist_ok=True)
        for split in ("train", "val", "test"):
            arr = fmnist_split(split)
            np.save(os.path.join(out, f"{split}.npy"), arr)
            print(f"{out}/{split}.npy {arr.shape}", file=sys.stderr)
    elif a.what == "photo-test":
        from PIL import Image
        out = a.out or "data/photos"
        os.makedirs(out, exist_ok=True)
        names, arr = skimage_test_set(a.short)
        np.save(os.path.join(out, f"test{a.short}.npy"), arr)
        for n, im in zip(names, arr):
            Image.fromarray(im).save(os.path.join(out, f"{n}_{a.short}.png"))
        print(f"{out}/test{a.short}.npy {arr.shape}", file=sys.stderr)
        # The photo model's 32×32 patches in the codec's tiling order (per photo, row-major), for tools that take
        # patches rather than whole photos.
        n, s = arr.shape[0], a.short // 32
        patches = arr.reshape(n, s, 32, s, 32, 3).transpose(0, 1, 3, 2, 4, 5).reshape(-1, 32, 32, 3)
        np.save(os.path.join(out, f"test{a.short}-patches32.npy"), patches)
        print(f"{out}/test{a.short}-patches32.npy {patches.shape}", file=sys.stderr)
        # The gray dev photos: the same photos' luminance (Pillow's convert("L"), as Tools/train.py's luma).
        gray = np.stack([np.asarray(Image.fromarray(im).convert("L")) for im in arr])
        np.save(os.path.join(out, f"gray{a.short}.npy"), gray)
        for n, im in zip(names, gray):
            Image.fromarray(im).save(os.path.join(out, f"{n}_gray_{a.short}.png"))
        print(f"{out}/gray{a.short}.npy {gray.shape}", file=sys.stderr)
    else:
        out = a.out or "data/photos"
        os.makedirs(out, exist_ok=True)
        arr = photo_crops(a.n, a.seed, files=photo_files(extended=a.extended), size=a.size)
        np.save(os.path.join(out, f"crops{a.size}.npy"), arr)
        print(f"{out}/crops{a.size}.npy {arr.shape}", file=sys.stderr)


if __name__ == "__main__":
    main()

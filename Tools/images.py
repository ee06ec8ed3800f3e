"""Image inputs for every tool, read the way `ddpmc` reads them (Sources/ImageIO/ImageSource.swift), so that
a Python number and a `ddpmc` number are about the same images.

An input is a folder of PNGs (names ending .png in any case, byte-wise sorted, hidden files and sub-folders
ignored), a PNG, a uint8 .npy [N,H,W] or [N,H,W,C] (C = 1 or 3), or an IDX image file (idx3-ubyte, gzipped or
not); a file's format is recognised by its content. Images are uint8 (H, W, C) arrays with C = 1 (gray) or 3
(RGB), named like ddpmc's items: the PNG's file name, or `base[i]` for the i-th image of a data set file.

`fmnist:train|val|test|train-all` names a Fashion-MNIST split (docs/DESIGN.md §8).
"""
import gzip
import os
import struct

import numpy as np

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian package dataset-fashion-mnist
N_VAL = 2000  # the last training images, held out for the validation bound

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NPY_MAGIC = b"\x93NUMPY"
GZIP_MAGIC = b"\x1f\x8b"


class ImageError(ValueError):
    """An input that ddpmc refuses too."""


# ---------------------------------------------------------------- files
def read_idx(path):
    """The uint8 array of an IDX file of any rank (images or labels); gzip is recognised by its signature.
    Writable (a copy), since torch.from_numpy warns about read-only arrays."""
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(GZIP_MAGIC):
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ImageError(f"{path}: not an IDX file")
    if data[2] != 0x08:
        raise ImageError(f"{path}: IDX samples are not unsigned bytes")
    ndim = data[3]
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ImageError(f"{path}: truncated")
    shape = struct.unpack(">" + "I" * ndim, data[4:start])
    if len(data) - start != int(np.prod(shape)):  # ddpmc refuses extra bytes as well as missing ones
        raise ImageError(f"{path}: {len(data) - start} bytes of samples, the header promises {int(np.prod(shape))}")
    return np.frombuffer(data, np.uint8, offset=start).reshape(shape).copy()


def _png_to_array(im, name):
    """PIL image -> uint8 (H, W, C), C in {1, 3}, following ddpmc's PNGCodec rules."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F") or im.info.get("bits", 8) == 16:
        raise ImageError(f"{name}: 16 bits per sample is not supported (ddpmc codes 8-bit samples)")
    if im.mode == "1":
        im = im.convert("L")
    if "transparency" in im.info and im.mode in ("L", "RGB", "P"):
        im = im.convert("RGBA")
    if im.mode == "P":
        im = im.convert("RGB")
    if im.mode in ("LA", "RGBA"):
        a = np.asarray(im)
        if not (a[..., -1] == 255).all():
            raise ImageError(f"{name}: has an alpha channel that is not 255 everywhere")
        a = a[..., :-1]
    elif im.mode in ("L", "RGB"):
        a = np.asarray(im)
    else:
        raise ImageError(f"{name}: unsupported PNG mode {im.mode}")
    if a.ndim == 2:
        a = a[..., None]
    return np.ascontiguousarray(a, dtype=np.uint8)


def read_png(path):
    """uint8 (H, W, C) of a PNG file, as ddpmc loads it."""
    from PIL import Image
    with Image.open(path) as im:
        if im.format != "PNG":
            raise ImageError(f"{path}: not a PNG file")
        was_palette = im.mode == "P"
        im.load()
        a = _png_to_array(im, path)
    if was_palette and a.shape[2] == 3 and (a[..., 0] == a[..., 1]).all() and (a[..., 0] == a[..., 2]).all():
        a = a[..., :1].copy()  # a palette of neutral colours loads as gray, like ddpmc
    return a


def read_npy(path):
    """uint8 (N, H, W, C) of a .npy file."""
    a = np.load(path, allow_pickle=False)
    if a.dtype != np.uint8:
        raise ImageError(f"{path}: elements are {a.dtype}; only uint8 is supported")
    if a.ndim == 3:
        a = a[..., None]
    if a.ndim != 4 or a.shape[3] not in (1, 3):
        raise ImageError(f"{path}: shape {a.shape}; expected (N,H,W) or (N,H,W,C) with C in 1, 3")
    return a


def read_photo(path):
    """Any picture Pillow opens (the JPEG wallpapers photos are cut from), as uint8 RGB (H, W, 3)."""
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


# ---------------------------------------------------------------- inputs
def fmnist_split(split, root=FMNIST_DIR):
    """uint8 array (N, 28, 28) of the split: 'train' (58,000), 'val' (2,000), 'test' (10,000), 'train-all'."""
    if split == "test":
        return read_idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))
    tr = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))
    if split == "train":
        return tr[:-N_VAL]
    if split == "val":
        return tr[-N_VAL:]
    if split == "train-all":
        return tr
    raise ValueError(split)


def _kind(path):
    if os.path.isdir(path):
        return "folder"
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(PNG_MAGIC):
        return "png"
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(GZIP_MAGIC) or head.startswith(b"\x00\x00"):
        return "idx"
    raise ImageError(f"{path}: not a PNG, .npy or IDX file")


def _data_set(path, kind):
    """uint8 (N, H, W, C) of a .npy or IDX image file."""
    if kind == "npy":
        return read_npy(path)
    a = read_idx(path)
    if a.ndim != 3:
        raise ImageError(f"{path}: IDX file has {a.ndim} dimensions; an image file has 3")
    return a[..., None]


def load_images(path):
    """[(name, uint8 (H, W, C))] of one input."""
    base = os.path.basename(path.rstrip("/"))
    kind = _kind(path)
    if kind == "folder":
        names = sorted((f for f in os.listdir(path)
                        if not f.startswith(".") and f.lower().endswith(".png")
                        and os.path.isfile(os.path.join(path, f))), key=lambda s: s.encode())
        if not names:
            raise ImageError(f"{path}: contains no .png files")
        return [(f, read_png(os.path.join(path, f))) for f in names]
    if kind == "png":
        return [(base, read_png(path))]
    a = _data_set(path, kind)
    stem = base[:-3] if kind == "idx" and base.lower().endswith(".gz") else base
    return [(f"{stem}[{i}]", np.ascontiguousarray(a[i])) for i in range(len(a))]


def load_inputs(paths):
    """[(name, uint8 (H, W, C))] of several inputs, concatenated in order."""
    return [item for p in paths for item in load_images(p)]


def load_array(spec):
    """uint8 (N, H, W, C) of one input whose images share a shape, or of a named split `fmnist:<split>`.
    Data set files come back as one array, without a per-image copy."""
    if spec.startswith("fmnist:"):
        return fmnist_split(spec.split(":", 1)[1])[..., None]
    kind = _kind(spec)
    if kind in ("npy", "idx"):
        return _data_set(spec, kind)
    items = load_images(spec)
    if len({img.shape for _, img in items}) > 1:
        raise ImageError(f"{spec}: images of several shapes; this tool needs one")
    return np.stack([img for _, img in items])

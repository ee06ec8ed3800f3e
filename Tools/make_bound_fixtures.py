#!/usr/bin/env python3
"""Writes Fixtures/bound/: small test images and the bound that Tools/bound_reference.py computes for them,
which Tests/DiffusionTests/BoundReferenceTests.swift recomputes in Swift (tolerance 1e-4 bits/dim per image).

  python3 Tools/make_bound_fixtures.py            # ~1 min on one CPU thread

Images (uint8 .npy; committed, so the data packages are only needed to regenerate them):
  fmnist3.npy      the first 3 Fashion-MNIST test images (package dataset-fashion-mnist), 28x28
  gray40x36.npy    a 40x36 gray image (4 Fashion-MNIST test images tiled, cropped): 2x2 patches, padded
  gray20x24.npy    a 20x24 crop of test image 3: smaller than the model, one padded patch
  rgb32.npy        two 32x32 RGB crops of mate-backgrounds nature/LadyBird.jpg and Dune.jpg (4x box-downsampled)
  rgb40x48.npy     a 40x48 RGB crop of nature/LadyBird.jpg (4x box-downsampled): 2x2 patches, padded

The cases cover fixed_large, fixed_small, learned_range and learned variances, the linear, scaled_linear and
squaredcos_cap_v2 schedules, reduced-T configs, clipping on and off (also at t = 1), respacing, and tiling.
End-to-end cases compare with Swift's own network (limited by float32 round-off in both networks); replay cases
also store the PyTorch network outputs so that Swift can recompute the bound from exactly the same eps / v.
Cases marked "slow" (100 or 1000 steps) run in Swift only with DDPMC_SLOW_TESTS=1.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bound_reference as R  # noqa: E402
import diffusion as D  # noqa: E402
import images  # noqa: E402
from prepare_data import MATE_NATURE  # noqa: E402

OUT = os.path.join(ROOT, "Fixtures", "bound")


def photo(name, factor=4):
    """Block means, not prepare_data's Pillow BOX filter: the committed crops were made this way."""
    a = images.read_photo(os.path.join(MATE_NATURE, name)).astype(np.float64)
    h, w = a.shape[0] // factor * factor, a.shape[1] // factor * factor
    a = a[:h, :w].reshape(h // factor, factor, w // factor, factor, 3).mean(axis=(1, 3))
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def make_images():
    os.makedirs(OUT, exist_ok=True)
    f = list(images.fmnist_split("test")[:8])
    np.save(os.path.join(OUT, "fmnist3.npy"), np.stack(f[:3]))
    big = np.block([[f[3], f[4]], [f[5], f[6]]])[:40, 10:46]
    np.save(os.path.join(OUT, "gray40x36.npy"), big[None])
    np.save(os.path.join(OUT, "gray20x24.npy"), f[7][4:24, 2:26][None])
    lady, dune = photo("LadyBird.jpg"), photo("Dune.jpg")
    np.save(os.path.join(OUT, "rgb32.npy"), np.stack([lady[70:102, 50:82], dune[200:232, 100:132]]))
    np.save(os.path.join(OUT, "rgb40x48.npy"), lady[180:220, 420:468][None])


# End-to-end cases: Swift runs its own network; agreement is limited by the two networks' float32 round-off,
# so these are kept where the bound has a realistic size (a few to ~20 bits/dim) and the steps few (debug builds).
CASES = [
    dict(id="plain-fixed-large-50", name="gray28-plain fixed_large, respaced to 50 steps, seed 7",
         model="gray28-plain", inputs=["fmnist3.npy"], first=2, steps=50, seed=7),
    dict(id="plain-tiling", name="gray28-plain tiling: 40x36 (2x2 padded patches) and 20x24 (one padded patch), 8 steps",
         model="gray28-plain", inputs=["gray40x36.npy", "gray20x24.npy"], steps=8),
    dict(id="learned-range-T20", name="learned-var learned_range, reduced T = 20 squaredcos_cap_v2 chain, one 32x32 crop",
         model="learned-var", inputs=["rgb32.npy"], first=1, steps=None,
         overrides=dict(num_train_timesteps=20, beta_schedule="squaredcos_cap_v2")),
    dict(id="learned-range-tiling", name="learned-var learned_range, tiled 40x48 RGB crop, reduced T = 10 squaredcos_cap_v2",
         model="learned-var", inputs=["rgb40x48.npy"], steps=None,
         overrides=dict(num_train_timesteps=10, beta_schedule="squaredcos_cap_v2")),
    dict(id="learned-log", name="learned-var learned (log variance = v), clipping also at t = 1, 8 steps",
         model="learned-var", inputs=["rgb32.npy"], first=1, steps=8, overrides=dict(variance_type="learned"),
         clip_decoder=True),
    dict(id="cifar-scaled-linear", name="cifar10-narrow fixed_large (F16 weights), scaled_linear 0.0001..0.02, 6 steps",
         model="cifar10-narrow", inputs=["rgb32.npy"], first=1, steps=6, overrides=dict(beta_schedule="scaled_linear")),
    dict(id="plain-terms-tiling", name="gray28-plain stratified estimate: 12 terms of the full T = 1000 chain, "
         "two 28x28 images and a tiled 20x24, seed 3", model="gray28-plain", inputs=["fmnist3.npy", "gray20x24.npy"],
         first=None, steps=None, terms=12, seed=3),
    dict(id="plain-quadratic-30", name="gray28-plain fixed_large, respaced to 30 steps with quadratic spacing, seed 2",
         model="gray28-plain", inputs=["fmnist3.npy"], first=2, steps=30, seed=2, spacing="quadratic"),
    dict(id="learned-range-100", name="learned-var learned_range, two 32x32 crops, respaced to 100 steps",
         model="learned-var", inputs=["rgb32.npy"], steps=100, slow=True),
    dict(id="plain-full", name="gray28-plain full T = 1000 chain, one image", model="gray28-plain",
         inputs=["fmnist3.npy"], steps=None, first=1, slow=True),
    dict(id="learned-range-full", name="learned-var full T = 1000 chain, one crop", model="learned-var",
         inputs=["rgb32.npy"], steps=None, first=1, slow=True),
]

# Replay cases: Swift is fed the PyTorch network's outputs (Fixtures/bound/<id>.outputs.safetensors, tensor
# "step<i>" = [patches, H, W, out_channels] float32), so the bound's own arithmetic must agree to ~1e-12 even
# where random weights make the bound huge.
REPLAY = [
    dict(id="replay-learned-range", name="replay: learned-var learned_range, 5 steps (random variances: ~1e3 bits/dim)",
         model="learned-var", inputs=["rgb32.npy"], first=1, steps=5),
    dict(id="replay-learned-log", name="replay: learned-var learned, clipping also at t = 1, 3 steps, seed 5",
         model="learned-var", inputs=["rgb32.npy"], first=1, steps=3, seed=5, overrides=dict(variance_type="learned"),
         clip_decoder=True),
    dict(id="replay-fixed-small-cos", name="replay: gray28-attn fixed_small, squaredcos_cap_v2, no clipping, 5 steps",
         model="gray28-attn", inputs=["fmnist3.npy"], first=1, steps=5,
         overrides=dict(variance_type="fixed_small", beta_schedule="squaredcos_cap_v2"), clip=False),
    dict(id="replay-fixed-large-tiling", name="replay: gray28-plain fixed_large, 40x36 and 20x24 tiled, 6 steps",
         model="gray28-plain", inputs=["gray40x36.npy", "gray20x24.npy"], steps=6),
]


def run_case(c, replay=False):
    from safetensors.numpy import save_file
    inputs = images.load_inputs([os.path.join(OUT, p) for p in c["inputs"]])
    if c.get("first"):
        inputs = inputs[:c["first"]]
    model = os.path.join(ROOT, "Fixtures", "unet", c["model"])
    record = [] if replay else None
    r = R.bound(model, inputs, steps=c.get("steps"), seed=c.get("seed", 0), clip=c.get("clip"),
                clip_decoder=c.get("clip_decoder", False), overrides=c.get("overrides"), record=record,
                terms=c.get("terms"), spacing=c.get("spacing", "even"))
    out = dict(id=c["id"], name=c["name"], model=f"Fixtures/unet/{c['model']}",
               inputs=[f"Fixtures/bound/{p}" for p in c["inputs"]], first=c.get("first"), steps=r["steps"],
               respace=c.get("steps") is not None, seed=c.get("seed", 0), scheduler_overrides=c.get("overrides", {}),
               clip=c.get("clip"), clip_decoder=c.get("clip_decoder", False), slow=c.get("slow", False),
               mean_bits_per_dim=r["mean_bits_per_dim"], images=r["images"], model_timesteps=r["timesteps"])
    if c.get("terms"):
        out["terms"] = c["terms"]
    out["spacing"] = c.get("spacing", "even")
    if r["steps"] <= 100:
        out["per_step"] = r["per_step"]
    if replay:
        path = f"{c['id']}.outputs.safetensors"
        save_file({f"step{i}": np.ascontiguousarray(a) for i, a in enumerate(record)}, os.path.join(OUT, path))
        os.chmod(os.path.join(OUT, path), 0o644)
        out["replay"] = f"Fixtures/bound/{path}"
    return out


def noise_checks():
    out = []
    for seed, stream, index in [(0, 1, 0), (0, 1, 1), (0, (2 << 32) | 1000, 783), (7, (1 << 32) | 500, 12345),
                                (2 ** 63 + 5, 999, 4), (123456789, 3 << 32, 2 ** 20 + 3)]:
        out.append(dict(seed=str(seed), stream=str(stream), index=index,
                        value=float(R.standard_normal(seed, stream, index + 1)[index])))
    return out


def strata_checks():
    """StepStrata's ranges and draws, from Tools/diffusion.py and the NumPy Philox."""
    out = []
    for steps, terms, seed, image in [(1000, 100, 0, 0), (1000, 12, 3, 2), (100, 20, 9, 17), (1000, 2, 1, 5),
                                      (10, 3, 2 ** 63 + 5, 1), (50, 49, 0, 3), (7, 7, 0, 0)]:
        strata = D.geometric_strata(steps, terms)
        draws = R.stratum_draws(strata, seed, image)
        out.append(dict(steps=steps, terms=terms, seed=str(seed), image=image,
                        ranges=[list(r) for r in strata], draws=[list(d) for d in draws]))
    return out


def main():
    torch.set_num_threads(1)
    make_images()
    cases = []
    for c in CASES + REPLAY:
        print(c["name"], file=sys.stderr)
        cases.append(run_case(c, replay=c in REPLAY))
    import diffusers
    doc = dict(generator="Tools/make_bound_fixtures.py (Tools/bound_reference.py)",
               versions=dict(torch=torch.__version__, diffusers=diffusers.__version__, numpy=np.__version__),
               tolerance_bits_per_dim=1e-4, noise=noise_checks(), strata=strata_checks(), cases=cases)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

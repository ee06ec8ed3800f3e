#!/usr/bin/env python3
"""Generate the U-Net reference fixtures under Fixtures/unet/.

The Swift runtime (Sources/UNet) must reproduce diffusers' UNet2DModel, so every
fixture is a tiny UNet2DModel with random, non-default weights, saved exactly as
diffusers saves it, plus the inputs, the reference output and intermediate
activations of one forward pass.

Layout of one fixture, Fixtures/unet/<name>/:
  config.json                        UNet2DModel config (model.save_pretrained)
  diffusion_pytorch_model.safetensors weights (F32 unless the fixture says F16/BF16)
  scheduler_config.json              DDPMScheduler config (linear 1e-4..0.02, T=1000)
  io.safetensors                     F32 tensors:
      sample [N,C,H,W], timestep [N] (integer values stored as F32),
      eps [N,out_channels,H,W] = model(sample, timestep.long()).sample,
      act.time_proj, act.time_embedding, act.conv_in, act.down_blocks.<i>
      (hidden-state output = first element of the block's tuple), act.mid_block,
      act.up_blocks.<i>, act.conv_norm_out (GroupNorm output, before SiLU).
Plus Fixtures/unet/cifar10-structure.json (full-size google/ddpm-cifar10-32
architecture: config, parameter count, modern and legacy tensor names/shapes;
no weights) and Fixtures/unet/README.md.

Every fixture directory is re-loaded with UNet2DModel.from_pretrained and must
reproduce `eps` bit-exactly; the script fails otherwise.

Run from the repository root:   python3 Tools/make_fixtures.py
Deterministic: re-running rewrites byte-identical files (same library versions).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

import diffusers  # noqa: E402
import safetensors  # noqa: E402
from diffusers import DDPMScheduler, UNet2DModel  # noqa: E402
from diffusers.utils import logging as diffusers_logging  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

diffusers_logging.set_verbosity_error()

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Fixtures" / "unet"
N = 3  # batch size of every fixture

# google/ddpm-cifar10-32 UNet config (hub config.json; see README for provenance).
CIFAR10_CONFIG = dict(
    sample_size=32,
    in_channels=3,
    out_channels=3,
    center_input_sample=False,
    time_embedding_type="positional",
    freq_shift=1,
    flip_sin_to_cos=False,
    down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(128, 256, 256, 256),
    layers_per_block=2,
    mid_block_scale_factor=1,
    downsample_padding=0,
    act_fn="silu",
    attention_head_dim=None,
    norm_num_groups=32,
    norm_eps=1e-6,
    resnet_time_scale_shift="default",
    add_attention=True,
)

# Each fixture: name, config (UNet2DModel kwargs), spatial size, timesteps,
# weight seed, data seed, storage dtype, and optional variant handling.
FIXTURES: list[dict] = [
    dict(
        name="gray28-plain",
        summary="28x28 gray, DownBlock2D/UpBlock2D only (the mid block still has attention: 2 heads of 4), "
        "3 levels, 2 layers/block, flip_sin_to_cos true, freq_shift 0",
        config=dict(
            sample_size=28, in_channels=1, out_channels=1,
            block_out_channels=(4, 4, 8), layers_per_block=2,
            down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3,
            norm_num_groups=2, flip_sin_to_cos=True, freq_shift=0, attention_head_dim=4,
        ),
        hw=(28, 28), timesteps=[0, 517, 999], seed=1001,
    ),
    dict(
        name="gray28-plain-f16",
        summary="gray28-plain with its weights rounded to and stored as F16 (eps from the rounded weights in F32)",
        variant_of="gray28-plain", store_dtype=torch.float16,
    ),
    dict(
        name="gray28-plain-bf16",
        summary="gray28-plain with its weights rounded to and stored as BF16 (eps from the rounded weights in F32)",
        variant_of="gray28-plain", store_dtype=torch.bfloat16,
    ),
    dict(
        name="gray28-attn",
        summary="28x28 gray, AttnDownBlock2D (with downsampler) / AttnUpBlock2D (with upsampler) at 14x14, "
        "attention_head_dim 4 -> 2 heads, flip_sin_to_cos false, freq_shift 1",
        config=dict(
            sample_size=28, in_channels=1, out_channels=1,
            block_out_channels=(4, 8, 8), layers_per_block=1,
            down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
            norm_num_groups=2, flip_sin_to_cos=False, freq_shift=1,
            attention_head_dim=4, downsample_padding=1,
        ),
        hw=(28, 28), timesteps=[1, 333, 999], seed=1002,
    ),
    dict(
        name="legacy-attn-names",
        summary="gray28-attn with the attention tensors renamed to the legacy names (query/key/value/proj_attn); "
        "same eps as gray28-attn",
        variant_of="gray28-attn", legacy_names=True,
    ),
    dict(
        name="rgb32-attn-nullhead",
        summary='32x32 RGB, attention (C=16) in the last down block (no downsampler), mid block and first up '
        'block (with upsampler); "attention_head_dim": null -> 1 head of dim 16',
        config=dict(
            sample_size=32, in_channels=3, out_channels=3,
            block_out_channels=(4, 4, 16), layers_per_block=1,
            down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
            norm_num_groups=2, flip_sin_to_cos=True, freq_shift=0, attention_head_dim=None,
        ),
        hw=(32, 32), timesteps=[0, 1, 640], seed=1003,
    ),
    dict(
        name="rgb32-attn-defaulthead",
        summary="rgb32-attn-nullhead weights and inputs, config.json without the attention_head_dim key -> "
        "diffusers default 8 -> 2 heads of dim 8",
        variant_of="rgb32-attn-nullhead", drop_head_dim_key=True,
    ),
    dict(
        name="odd-channels",
        summary="12x20 (non-square) RGB, channels (6,10) with groups 2 (3/5 channels per group), head dim 2 "
        "(3/5 heads), conv_shortcut 6->10, downsample_padding 0, mid_block_scale_factor sqrt(2), norm_eps 1e-6",
        config=dict(
            sample_size=(12, 20), in_channels=3, out_channels=3,
            block_out_channels=(6, 10), layers_per_block=2,
            down_block_types=("AttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "AttnUpBlock2D"),
            norm_num_groups=2, norm_eps=1e-6, flip_sin_to_cos=False, freq_shift=1,
            attention_head_dim=2, downsample_padding=0, mid_block_scale_factor=math.sqrt(2.0),
        ),
        hw=(12, 20), timesteps=[999, 2, 421], seed=1004,
    ),
    dict(
        name="learned-var",
        summary="32x32 RGB, out_channels 6 = eps (first 3) + variance interpolation (last 3), scheduler "
        "learned_range; attention at 16x16 (2 heads of 2); norm_eps 1e-3 so a hard-coded GroupNorm eps shows",
        config=dict(
            sample_size=32, in_channels=3, out_channels=6,
            block_out_channels=(4, 4), layers_per_block=1,
            down_block_types=("DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D"),
            norm_num_groups=2, norm_eps=1e-3, flip_sin_to_cos=False, freq_shift=1, attention_head_dim=2,
        ),
        hw=(32, 32), timesteps=[0, 777, 999], seed=1005, variance_type="learned_range",
    ),
    dict(
        name="cifar10-narrow",
        summary="google/ddpm-cifar10-32 structure exactly, but block_out_channels (4,8,8,8) and norm_num_groups 2 "
        "(32 groups need >= 32 channels); weights stored F16 (eps from the rounded weights in F32)",
        config=dict(CIFAR10_CONFIG, block_out_channels=(4, 8, 8, 8), norm_num_groups=2),
        hw=(32, 32), timesteps=[1, 500, 999], seed=1006, store_dtype=torch.float16,
    ),
    dict(
        name="opt-scale-shift",
        summary="optional: resnet_time_scale_shift scale_shift (mid attention then has no group_norm), "
        "center_input_sample true, time_embedding_dim 24",
        config=dict(
            sample_size=8, in_channels=3, out_channels=3,
            block_out_channels=(4, 8), layers_per_block=1,
            down_block_types=("DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D"),
            norm_num_groups=2, flip_sin_to_cos=True, freq_shift=0, attention_head_dim=4,
            resnet_time_scale_shift="scale_shift", center_input_sample=True, time_embedding_dim=24,
        ),
        hw=(8, 8), timesteps=[0, 250, 999], seed=1007,
    ),
    dict(
        name="opt-uneven-heads",
        summary="optional: attention_head_dim 4 not dividing 6/10 channels (1/2 heads, inner dim 4/8 < C), "
        "add_attention false (mid block = 2 resnets, no attention)",
        config=dict(
            sample_size=8, in_channels=1, out_channels=1,
            block_out_channels=(6, 10), layers_per_block=1,
            down_block_types=("AttnDownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "AttnUpBlock2D"),
            norm_num_groups=2, flip_sin_to_cos=True, freq_shift=0, attention_head_dim=4,
            add_attention=False,
        ),
        hw=(8, 8), timesteps=[1, 600, 999], seed=1008,
    ),
]

LEGACY_RENAMES = [("to_q", "query"), ("to_k", "key"), ("to_v", "value"), ("to_out.0", "proj_attn")]


# --------------------------------------------------------------------------- helpers


def scheduler_for(variance_type: str) -> DDPMScheduler:
    return DDPMScheduler(
        num_train_timesteps=1000,
        beta_start=0.0001,
        beta_end=0.02,
        beta_schedule="linear",
        variance_type=variance_type,
        clip_sample=True,
    )


def randomize_(model: nn.Module, seed: int) -> None:
    """Overwrite every parameter with seeded random values that differ from the
    default init: conv/linear weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1^2),
    GroupNorm weights ~ 1 + N(0, 0.15^2), GroupNorm biases ~ N(0, 0.1^2)."""
    g = torch.Generator().manual_seed(seed)
    seen = set()
    with torch.no_grad():
        for mname, mod in model.named_modules():
            if isinstance(mod, nn.GroupNorm):
                mod.weight.copy_(1.0 + 0.15 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
            elif isinstance(mod, (nn.Conv2d, nn.Linear)):
                fan_in = mod.weight[0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) / math.sqrt(fan_in))
                if mod.bias is not None:
                    mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
            else:
                continue
            for pname, _ in mod.named_parameters(recurse=False):
                seen.add(f"{mname}.{pname}" if mname else pname)
    missing = [n for n, _ in model.named_parameters() if n not in seen]
    if missing:
        raise RuntimeError(f"parameters not randomized: {missing}")


def make_inputs(cfg: dict, hw: tuple[int, int], timesteps: list[int], seed: int) -> torch.Tensor:
    """Batch of N samples: element i is q(x_t | x0) at t = timesteps[i] for a smooth
    image x0 in [-1, 1] (t = 999 is essentially pure N(0,1) noise, t = 0 nearly x0)."""
    c = cfg["in_channels"]
    h, w = hw
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    imgs = []
    for i in range(N):
        chans = []
        for ch in range(c):
            ph = 0.7 * ch + 1.3 * i
            v = 0.85 * np.sin(2 * np.pi * (xx / w * (1.0 + 0.5 * ch) + yy / h * 0.75) + ph) * np.cos(
                2 * np.pi * yy / h * (0.5 + 0.25 * i) - 0.4 * ch
            ) + 0.1 * np.cos(2 * np.pi * (xx + yy) / (h + w) * 3.0 + ph)
            chans.append(np.clip(v, -1.0, 1.0))
        imgs.append(np.stack(chans))
    x0 = torch.from_numpy(np.stack(imgs).astype(np.float32))
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(x0.shape, generator=g)
    acp = scheduler_for("fixed_large").alphas_cumprod  # float32
    t = torch.tensor(timesteps, dtype=torch.long)
    a = acp[t].reshape(-1, 1, 1, 1)
    return (a.sqrt() * x0 + (1 - a).sqrt() * noise).contiguous()


def run_with_hooks(model: UNet2DModel, sample: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, dict]:
    acts: dict[str, torch.Tensor] = {}
    handles = []

    def hook(name):
        def f(_mod, _inp, out):
            o = out[0] if isinstance(out, tuple) else out
            acts[name] = o.detach().to(torch.float32).clone().contiguous()

        return f

    for nm in ["time_proj", "time_embedding", "conv_in"]:
        handles.append(getattr(model, nm).register_forward_hook(hook(f"act.{nm}")))
    for i, b in enumerate(model.down_blocks):
        handles.append(b.register_forward_hook(hook(f"act.down_blocks.{i}")))
    if model.mid_block is not None:
        handles.append(model.mid_block.register_forward_hook(hook("act.mid_block")))
    for i, b in enumerate(model.up_blocks):
        handles.append(b.register_forward_hook(hook(f"act.up_blocks.{i}")))
    handles.append(model.conv_norm_out.register_forward_hook(hook("act.conv_norm_out")))
    try:
        with torch.no_grad():
            eps = model(sample, t).sample.to(torch.float32).contiguous()
    finally:
        for h in handles:
            h.remove()
    return eps, acts


def forward(model: UNet2DModel, sample: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(sample, t).sample.to(torch.float32)


def legacy_name(name: str) -> str:
    if ".attentions." not in name:
        return name
    for new, old in LEGACY_RENAMES:
        token = f".{new}."
        if token in name:
            return name.replace(token, f".{old}.")
    return name


def attention_summary(model: UNet2DModel) -> list[str]:
    rows = []
    for name, mod in model.named_modules():
        if type(mod).__name__ == "Attention":
            gn = mod.group_norm
            rows.append(
                f"{name}: C={mod.query_dim} heads={mod.heads} d={mod.inner_dim // mod.heads} "
                f"inner={mod.inner_dim} group_norm={'none' if gn is None else f'{gn.num_groups}/eps={gn.eps:g}'} "
                f"rescale={float(mod.rescale_output_factor):g}"
            )
    return rows


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- build


def build_base(spec: dict) -> dict:
    cfg = spec["config"]
    model = UNet2DModel(**cfg).eval()
    randomize_(model, spec["seed"])
    sample = make_inputs(cfg, spec["hw"], spec["timesteps"], spec["seed"] + 500)
    return dict(model=model, sample=sample)


def write_fixture(spec: dict, bases: dict) -> dict:
    name = spec["name"]
    d = OUT / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)

    base_spec = spec
    if "variant_of" in spec:
        base_spec = next(s for s in FIXTURES if s["name"] == spec["variant_of"])
    base = bases[base_spec["name"]]
    cfg = base_spec["config"]
    timesteps = base_spec["timesteps"]
    sample = base["sample"]
    t_long = torch.tensor(timesteps, dtype=torch.long)
    store_dtype = spec.get("store_dtype")  # never inherited by variants

    # Reference model in F32 (with weights rounded through the storage dtype if any).
    model = UNet2DModel(**cfg).eval()
    sd = base["model"].state_dict()
    if store_dtype is not None:
        sd = {k: v.to(store_dtype).to(torch.float32) for k, v in sd.items()}
    model.load_state_dict(sd)

    # Save weights + config exactly as diffusers does.
    if store_dtype is not None:
        model.to(store_dtype).save_pretrained(d, safe_serialization=True)
        model.to(torch.float32)
    else:
        model.save_pretrained(d, safe_serialization=True)
    weights = d / "diffusion_pytorch_model.safetensors"

    if spec.get("legacy_names"):
        st = load_file(weights)
        renamed = {legacy_name(k): v for k, v in st.items()}
        assert len(renamed) == len(st)
        save_file(renamed, weights, metadata={"format": "pt"})

    if spec.get("drop_head_dim_key"):
        cpath = d / "config.json"
        c = json.loads(cpath.read_text())
        del c["attention_head_dim"]
        cpath.write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")
        # The runtime model is whatever diffusers makes of this directory.
        model = UNet2DModel.from_pretrained(d).eval()

    scheduler_for(base_spec.get("variance_type", "fixed_large")).save_pretrained(d)

    eps, acts = run_with_hooks(model, sample, t_long)
    io = {"sample": sample, "timestep": t_long.to(torch.float32), "eps": eps, **acts}
    save_file({k: v.contiguous() for k, v in io.items()}, d / "io.safetensors")

    for p in d.iterdir():
        p.chmod(0o644)

    # ---- verification: reload the directory with diffusers and compare bit-exactly.
    reloaded = UNet2DModel.from_pretrained(d, torch_dtype=torch.float32).eval()
    eps2 = forward(reloaded, sample, t_long)
    if not torch.equal(eps, eps2):
        raise RuntimeError(f"{name}: reloaded model does not reproduce eps bit-exactly "
                           f"(max diff {(eps - eps2).abs().max().item()})")
    io2 = load_file(d / "io.safetensors")
    eps3 = forward(reloaded, io2["sample"], io2["timestep"].to(torch.long))
    if not torch.equal(eps, eps3) or not torch.equal(io2["eps"], eps):
        raise RuntimeError(f"{name}: io.safetensors round trip mismatch")
    for k, v in io.items():
        if torch.isnan(v).any() or torch.isinf(v).any():
            raise RuntimeError(f"{name}: non-finite values in {k}")
    eps_std = eps.std().item()
    if not (0.05 < eps_std < 20):
        raise RuntimeError(f"{name}: eps std {eps_std} is not O(1)")

    # dtype of what is stored
    with safetensors.safe_open(str(weights), framework="pt") as f:
        dtypes = sorted({str(f.get_slice(k).get_dtype()) for k in f.keys()})
        stored_names = list(f.keys())

    return dict(
        name=name,
        summary=spec["summary"],
        config=json.loads((d / "config.json").read_text()),
        params=sum(p.numel() for p in model.parameters()),
        tensors=len(stored_names),
        dtypes=dtypes,
        timesteps=timesteps,
        hw=list(base_spec["hw"]),
        eps_std=eps_std,
        eps_absmax=eps.abs().max().item(),
        size=dir_size(d),
        files={p.name: p.stat().st_size for p in sorted(d.iterdir())},
        attention=attention_summary(model),
        io_keys=sorted(io.keys()),
        model=model,
    )


def check_legacy_equivalence() -> list[str]:
    """legacy-attn-names must load to the same model as gray28-attn; conv-style
    [C,C,1,1] legacy tensors must be rejected by diffusers (documented, not stored)."""
    notes = []
    a = load_file(OUT / "gray28-attn" / "io.safetensors")["eps"]
    b = load_file(OUT / "legacy-attn-names" / "io.safetensors")["eps"]
    if not torch.equal(a, b):
        raise RuntimeError("legacy-attn-names eps differs from gray28-attn")
    notes.append("legacy-attn-names: from_pretrained eps == gray28-attn eps (bit-exact)")

    # Conv-style legacy shapes: try loading and report what diffusers does.
    tmp = OUT / ".tmp-legacy-conv"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(OUT / "legacy-attn-names", tmp)
    st = load_file(tmp / "diffusion_pytorch_model.safetensors")
    st = {k: (v[:, :, None, None] if (k.endswith((".query.weight", ".key.weight", ".value.weight",
                                                   ".proj_attn.weight"))) else v) for k, v in st.items()}
    save_file(st, tmp / "diffusion_pytorch_model.safetensors", metadata={"format": "pt"})
    try:
        UNet2DModel.from_pretrained(tmp)
        notes.append("conv-style [C,C,1,1] legacy attention weights: LOADED by diffusers")
    except Exception as e:  # noqa: BLE001
        lines_ = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
        msg = " / ".join(lines_[:2])[:300]
        notes.append(f"conv-style [C,C,1,1] legacy attention weights: rejected by diffusers ({type(e).__name__}: {msg})")
    finally:
        shutil.rmtree(tmp)
    return notes


def check_head_dims() -> list[str]:
    notes = []
    m_null = UNet2DModel.from_pretrained(OUT / "rgb32-attn-nullhead")
    m_def = UNet2DModel.from_pretrained(OUT / "rgb32-attn-defaulthead")
    cn = json.loads((OUT / "rgb32-attn-nullhead" / "config.json").read_text())
    cd = json.loads((OUT / "rgb32-attn-defaulthead" / "config.json").read_text())
    assert "attention_head_dim" in cn and cn["attention_head_dim"] is None
    assert "attention_head_dim" not in cd
    hn = [(n, m.heads) for n, m in m_null.named_modules() if type(m).__name__ == "Attention"]
    hd = [(n, m.heads) for n, m in m_def.named_modules() if type(m).__name__ == "Attention"]
    notes.append(f"nullhead loaded config attention_head_dim={m_null.config.attention_head_dim}; heads {hn}")
    notes.append(f"defaulthead loaded config attention_head_dim={m_def.config.attention_head_dim}; heads {hd}")
    if [h for _, h in hn] == [h for _, h in hd]:
        raise RuntimeError("null vs missing attention_head_dim gave the same head counts")
    a = load_file(OUT / "rgb32-attn-nullhead" / "io.safetensors")
    b = load_file(OUT / "rgb32-attn-defaulthead" / "io.safetensors")
    for k in ["sample", "timestep", "act.time_proj", "act.time_embedding", "act.conv_in",
              "act.down_blocks.0", "act.down_blocks.1"]:
        if not torch.equal(a[k], b[k]):
            raise RuntimeError(f"null/default head fixtures differ before the first attention: {k}")
    if torch.equal(a["act.down_blocks.2"], b["act.down_blocks.2"]):
        raise RuntimeError("null/default head fixtures agree after the first attention")
    notes.append(f"eps max |null - default| = {(a['eps'] - b['eps']).abs().max().item():.4g} (same weights & inputs)")
    return notes


def compact_json(obj: dict) -> str:
    """Top level and config indented, one list element (tensor / attention row) per line."""
    parts = []
    for k, v in obj.items():
        if isinstance(v, list):
            inner = ",\n".join("  " + json.dumps(e, separators=(", ", ": ")) for e in v)
            parts.append(f' {json.dumps(k)}: [\n{inner}\n ]')
        elif isinstance(v, dict):
            inner = json.dumps(v, indent=2, sort_keys=True).replace("\n", "\n ")
            parts.append(f" {json.dumps(k)}: {inner}")
        else:
            parts.append(f" {json.dumps(k)}: {json.dumps(v)}")
    text = "{\n" + ",\n".join(parts) + "\n}"
    assert json.loads(text) == json.loads(json.dumps(obj))
    return text


TIME_PROJ_T = [0, 1, 2, 10, 100, 499, 517, 777, 998, 999]
TIME_PROJ_CASES = [(128, False, 1), (32, True, 0), (9, False, 1), (6, True, 1)]


def time_proj_fixture() -> list[str]:
    """Timesteps embeddings (UNet2DModel.time_proj) at realistic widths, straight from diffusers."""
    from diffusers.models.embeddings import Timesteps

    t = torch.tensor(TIME_PROJ_T, dtype=torch.long)
    out = {"timestep": t.to(torch.float32)}
    for dim, flip, shift in TIME_PROJ_CASES:
        out[f"emb.d{dim}.flip{int(flip)}.shift{shift}"] = Timesteps(dim, flip, shift)(t).contiguous()
    path = OUT / "time-proj.safetensors"
    save_file(out, path)
    path.chmod(0o644)
    return sorted(out)


def cifar_structure() -> dict:
    torch.manual_seed(0)
    model = UNet2DModel(**CIFAR10_CONFIG)
    config = json.loads(model.to_json_string())
    config.pop("_diffusers_version", None)
    sd = model.state_dict()
    tensors = [{"name": k, "shape": list(v.shape)} for k, v in sd.items()]
    legacy = [{"name": legacy_name(k), "shape": list(v.shape)} for k, v in sd.items()]
    n = sum(p.numel() for p in model.parameters())
    attn = attention_summary(model)
    out = {
        "source": "google/ddpm-cifar10-32 (UNet2DModel built by diffusers "
        f"{diffusers.__version__} from the hub config; random weights, not stored)",
        "config": config,
        "parameters": n,
        "tensors": tensors,
        "legacy_tensors": legacy,
        "attention": attn,
    }
    (OUT / "cifar10-structure.json").write_text(compact_json(out) + "\n")
    return out


# --------------------------------------------------------------------------- README


def fmt_size(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


SEMANTICS = """\
## UNet2DModel semantics a reimplementation must get right

Read from diffusers 0.42.1 (`models/unets/unet_2d.py`, `unet_2d_blocks.py`, `resnet.py`, `downsampling.py`,
`upsampling.py`, `embeddings.py`, `attention_processor.py`) and checked against these fixtures.

* **Input.** `center_input_sample` → `x = 2*x - 1` first. The timestep (int64) is broadcast to the batch.
* **time_proj** (`Timesteps(C0, flip_sin_to_cos, freq_shift)`, C0 = block_out_channels[0]; no weights):
  `half = C0 // 2`; `e_i = f32(-ln 10000) * i / f32(half - freq_shift)` (f32 multiply, then f32 true division),
  `freq_i = exp(e_i)`, `arg = f32(t) * freq_i`, `emb = [sin(arg) | cos(arg)]`, swapped to `[cos | sin]` when
  `flip_sin_to_cos`; an odd C0 gets one zero column appended. All float32. torch's vectorised sin/cos are not
  correctly rounded: vs. correctly-rounded f32 sin/cos they differ by 1 ulp (≤ 6e-8) in ~5 % of entries, so
  compare `act.time_proj` with a tolerance (exp matched exactly for these sizes).
* **time_embedding**: `linear_2(silu(linear_1(emb)))`, C0 → Dt → Dt with Dt = `time_embedding_dim` or 4·C0.
  Always SiLU (independent of `act_fn`), no activation after linear_2. Each ResnetBlock2D applies its own
  nonlinearity (`act_fn`) to temb before its `time_emb_proj`.
* **conv_in** 3×3, padding 1. Its output is the first skip connection.
* **ResnetBlock2D** (`resnet_time_scale_shift="default"`):
  `h = conv1(act(norm1(x)))`; `h = h + time_emb_proj(act(temb))[:, :, None, None]`;
  `h = conv2(act(norm2(h)))` (dropout is identity); `out = (shortcut(x) + h) / output_scale_factor`.
  norm1 is over the input channels, norm2 over the output channels, both `GroupNorm(norm_num_groups, eps=norm_eps)`.
  `shortcut` is the 1×1 `conv_shortcut` (with bias) iff in_channels != out_channels, else identity.
  `"scale_shift"`: `time_emb_proj` has 2·Cout outputs, `scale, shift = chunk(2, dim=1)` (scale first),
  `h = norm2(h) * (1 + scale) + shift`, then act, conv2.
* **output_scale_factor / mid_block_scale_factor.** Down/up block resnets and attentions always use 1.
  `mid_block_scale_factor` goes only to the mid block: it is the `output_scale_factor` of both mid resnets and the
  `rescale_output_factor` of the mid attention. Division by it is an f32 true division `x / f32(s)` (torch does
  not multiply by the reciprocal; this matters for √2).
* **Attention** (the `Attention` module with `AttnProcessor2_0`, `_from_deprecated_attn_block=True`):
  `residual = x`; `h = group_norm(x)` (GroupNorm over the [B, C, H·W] view = ordinary spatial GroupNorm);
  tokens are the H·W positions in row-major order, features the C channels; `q, k, v = to_q/to_k/to_v(h)`
  (Linear C → inner, with bias); head j uses features `[j·d, (j+1)·d)`; `softmax(q kᵀ / sqrt(d))` over the keys;
  `o = to_out.0(concat heads)` (Linear inner → C, with bias); `y = (o + residual) / rescale_output_factor`.
  Head dim `d = attention_head_dim`, or the block's channel count C when the config says `null`;
  `heads = C // d` (floor!), `inner = heads·d`, which can be < C (see `opt-uneven-heads`); d > C gives 0 heads
  and diffusers fails (ZeroDivisionError). The scale is `d^-0.5` (SDPA's default from the query's last dim; `Attention.scale` is not
  passed). `upcast_softmax=True`/`upcast_attention` have no effect with AttnProcessor2_0 (it never reads them; in
  f32 there is nothing to upcast).
* **Attention GroupNorm groups.** In AttnDownBlock2D/AttnUpBlock2D: `norm_num_groups`, eps `norm_eps`. In the mid
  block: `attn_norm_num_groups` if set, else `norm_num_groups` when `resnet_time_scale_shift == "default"`, else
  **no group_norm at all** (`opt-scale-shift`).
* **Down blocks.** For each layer: resnet (then attention in AttnDownBlock2D); every layer output is pushed as a
  skip. Every block except the last ends with Downsample2D, whose output is also pushed.
* **Downsample2D**: 3×3 conv, stride 2, `padding = downsample_padding`. With `downsample_padding == 0` the input is
  first zero-padded by **one column on the right and one row at the bottom** (`F.pad(x, (0, 1, 0, 1))`), then
  convolved without padding. With 1 it is the usual symmetric padding. Both give H/2 for even H; odd sizes
  break the skip concatenation (UNet2DModel never passes an upsample size), so H and W must be divisible by
  2^(levels-1).
* **Mid block**: resnet → attention (skipped if `add_attention` is false) → resnet.
* **Up blocks** have `layers_per_block + 1` resnets. Before each resnet, `h = cat([h, skip], dim=1)` (current
  hidden state first, skip second), skips popped last-in-first-out; attention after each resnet in AttnUpBlock2D.
  The resnet in-channels are `prev + skip` (so up-block resnets usually have a conv_shortcut). Every block except
  the last ends with Upsample2D: nearest-neighbour ×2 (each pixel → 2×2 block), then 3×3 conv padding 1.
* **Output**: `conv_norm_out` = GroupNorm(norm_num_groups, C0, eps=norm_eps) (diffusers would use min(C0 // 4, 32)
  groups only if norm_num_groups were null), then **SiLU** (always, not `act_fn`), then `conv_out` 3×3 padding 1.
* **GroupNorm**: per sample and group, mean and biased variance over (C/G)·H·W values,
  `(x - mean) / sqrt(var + eps) * weight + bias`.
* **Learned variance** (`learned-var`): out_channels = 2·C; DDPMScheduler splits `model_output` into eps = first C
  channels and v = last C; `learned_range`: `log var = frac·log(beta_t) + (1 - frac)·log(max(beta~_t, 1e-20))`,
  `frac = (v + 1) / 2`, with `beta_t = 1 - alphabar_t / alphabar_{t-1}` and beta~_t the posterior variance.
* Weight layout: conv weights [out, in, kh, kw]; Linear weights [out, in] (y = x Wᵀ + b); safetensors names as in
  `cifar10-structure.json` (`downsamplers.0.conv.*`, `upsamplers.0.conv.*`, `attentions.N.to_out.0.*`).
"""


def write_readme(results: list[dict], notes: list[str], cifar: dict, total: int) -> None:
    lines = []
    w = lines.append
    w("# U-Net reference fixtures")
    w("")
    w("Generated by `Tools/make_fixtures.py`: run `python3 Tools/make_fixtures.py` from the repository root (pinned")
    w("versions in `Tools/requirements.txt`; CPU, `torch.set_num_threads(1)`, ~15 s). Do not edit by hand.")
    w("Everything is seeded: re-running with the same versions rewrites byte-identical files (`git status` stays")
    w("clean).")
    w("")
    w(f"Versions used: torch {torch.__version__}, diffusers {diffusers.__version__}, "
      f"safetensors {safetensors.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}.")
    w("")
    w("## Layout")
    w("")
    w("Each `<name>/` directory holds:")
    w("")
    w("* `config.json` — the UNet2DModel config exactly as `save_pretrained` writes it (except")
    w("  `rgb32-attn-defaulthead`, whose `attention_head_dim` key was deleted on purpose).")
    w("* `diffusion_pytorch_model.safetensors` — the weights, F32 unless the table says F16/BF16; those store")
    w("  rounded weights and their reference output was computed with the rounded weights upcast to F32.")
    w("* `scheduler_config.json` — DDPMScheduler: linear betas 1e-4..0.02, 1000 steps, clip_sample true,")
    w("  variance_type fixed_large (learned_range for `learned-var`).")
    w("* `io.safetensors` — F32 tensors:")
    w("  * `sample` [N,C,H,W], N = 3: element i is q(x_t | x0) of a smooth image x0 in [-1,1] at t = timestep[i]")
    w("    (t = 999 is essentially N(0,1) noise, t = 0 essentially the image);")
    w("  * `timestep` [N], integer values stored as F32 (the model was called with them as int64);")
    w("  * `eps` [N,out_channels,H,W] = `model(sample, timestep).sample`;")
    w("  * forward-hook activations: `act.time_proj` [N,C0], `act.time_embedding` [N,Dt], `act.conv_in`,")
    w("    `act.down_blocks.<i>` (the hidden state = first element of the block's output tuple, i.e. after its")
    w("    downsampler if any), `act.mid_block`, `act.up_blocks.<i>` (after its upsampler if any),")
    w("    `act.conv_norm_out` (the GroupNorm output, before SiLU and conv_out).")
    w("")
    w("Weights are random but deliberately not the default init: conv/linear weights ~ N(0, 1/fan_in), all biases")
    w("~ N(0, 0.1²), GroupNorm weights ~ 1 + N(0, 0.15²), GroupNorm biases ~ N(0, 0.1²), so every tensor matters.")
    w("Channel counts are tiny (4–16) to keep the whole directory under 4 MB; the code paths are the same as at")
    w("full size (see `cifar10-structure.json` for the real CIFAR-10 model).")
    w("")
    w("Checked by the generator for every directory: `UNet2DModel.from_pretrained(dir)` reproduces `eps`")
    w("bit-exactly (also when fed the stored `sample`/`timestep`); no NaN/Inf; eps std is O(1).")
    w("A reimplementation will not be bit-exact (summation order in GroupNorm/conv/attention, torch's vectorised")
    w("exp/sin/cos); it should match `eps` and the activations to float32 round-off, e.g. max abs error ≲ 1e-4.")
    w("`Tools/check_fixtures_numpy.py`, an independent NumPy implementation of the semantics below, matches every")
    w("fixture within 1.3e-5 (eps) and 2.6e-5 (activations) in float32.")
    w("")
    w("## Fixtures")
    w("")
    w("| name | what it covers | H×W | timesteps | params | weights | size |")
    w("|---|---|---|---|---|---|---|")
    for r in results:
        w(f"| `{r['name']}` | {r['summary']} | {r['hw'][0]}×{r['hw'][1]} | {r['timesteps']} | {r['params']:,} | "
          f"{', '.join(r['dtypes'])} | {fmt_size(r['size'])} |")
    w("")
    w("`opt-*` fixtures cover UNet2DModel options that no google/ddpm-* checkpoint uses; a runtime that rejects")
    w("those options may skip them.")
    w("")
    w(f"Total size of `Fixtures/unet`: {fmt_size(total)}.")
    w("")
    w("Attention modules as diffusers builds them (C = channels, d = head dim, inner = heads·d, group_norm =")
    w("groups/eps, rescale = rescale_output_factor):")
    w("")
    for r in results:
        if r["attention"]:
            w(f"* `{r['name']}`:")
            for a in r["attention"]:
                w(f"  * {a}")
    w("")
    w("Checks recorded while generating:")
    w("")
    for n in notes:
        w(f"* {n}")
    w("")
    w("## `attention_head_dim`: null vs missing")
    w("")
    w("UNet2DModel passes `attention_head_dim if attention_head_dim is not None else <block channels>` to every")
    w("attention block. An explicit `\"attention_head_dim\": null` (what google/ddpm-* configs have) therefore gives")
    w("**one head whose dim is the block's channel count**. A config.json **without** the key gets the `__init__`")
    w("default **8**, i.e. `C // 8` heads of dim 8. `rgb32-attn-nullhead` and `rgb32-attn-defaulthead` share weights")
    w("and inputs (identical `act.time_*`, `act.conv_in`, `act.down_blocks.0/1`) but their `eps` differs.")
    w("")
    w("## Legacy attention tensor names (`legacy-attn-names`)")
    w("")
    w("Old DDPM checkpoints (diffusers' former `AttentionBlock`, e.g. google/ddpm-cifar10-32) name the tensors of an")
    w("attention module `<p>` (`<p>` = `down_blocks.i.attentions.j`, `mid_block.attentions.0`, `up_blocks.i.attentions.j`):")
    w("")
    w("| legacy name | shape | modern name |")
    w("|---|---|---|")
    w("| `<p>.group_norm.weight`, `.bias` | [C] | unchanged |")
    w("| `<p>.query.weight` / `.bias` | [C, C] / [C] | `<p>.to_q.weight` / `.bias` |")
    w("| `<p>.key.weight` / `.bias` | [C, C] / [C] | `<p>.to_k.*` |")
    w("| `<p>.value.weight` / `.bias` | [C, C] / [C] | `<p>.to_v.*` |")
    w("| `<p>.proj_attn.weight` / `.bias` | [C, C] / [C] | `<p>.to_out.0.*` |")
    w("")
    w("The shapes are the Linear shapes (the original 1×1-conv weights were squeezed when those checkpoints were")
    w("converted). `ModelMixin._fix_state_dict_keys_on_load` only renames (no reshape) for every module built with")
    w("`_from_deprecated_attn_block=True` (all attention in AttnDownBlock2D, AttnUpBlock2D, UNetMidBlock2D), and only")
    w("for non-sharded checkpoints. Conv-style [C, C, 1, 1] weights under the legacy names are rejected by")
    w("diffusers (size mismatch), so a runtime need not accept them (accepting them by squeezing is harmless).")
    w("")
    w("## cifar10-structure.json")
    w("")
    w("The full-size google/ddpm-cifar10-32 UNet built by diffusers from the hub config (random weights, none")
    w(f"stored): `config` (every key, as `save_pretrained` would write it), `parameters` = {cifar['parameters']:,},")
    w(f"`tensors` ({len(cifar['tensors'])} modern names and shapes, state-dict order), `legacy_tensors` (same order and")
    w("shapes, attention tensors under their legacy names) and `attention` (head layout). The hub config")
    w("(`google/ddpm-cifar10-32/config.json`, cross-checked against several published copies of it) is:")
    w("block_out_channels (128, 256, 256, 256); down DownBlock2D, AttnDownBlock2D, DownBlock2D, DownBlock2D;")
    w("up UpBlock2D, UpBlock2D, AttnUpBlock2D, UpBlock2D; layers_per_block 2; norm_num_groups 32; norm_eps 1e-6;")
    w("downsample_padding 0; freq_shift 1; flip_sin_to_cos false; attention_head_dim null; sample_size 32;")
    w("center_input_sample false; mid_block_scale_factor 1; act_fn silu; time_embedding_type positional.")
    w("(Its hub scheduler uses variance_type fixed_small.)")
    w("")
    w("## time-proj.safetensors")
    w("")
    w("`act.time_proj` at realistic widths, straight from diffusers' `Timesteps`: `timestep` [10] (F32, integer")
    w("values " + ", ".join(map(str, TIME_PROJ_T)) + ") and `emb.d<D>.flip<0|1>.shift<S>` [10, D] for (D, flip, shift) in "
      + ", ".join(f"({d}, {int(f)}, {sh})" for d, f, sh in TIME_PROJ_CASES)
      + " (128/0/1 is google/ddpm-cifar10-32; odd D shows the zero padding column).")
    w("")
    w(SEMANTICS.rstrip("\n"))
    (OUT / "README.md").write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="(debug) build only these base fixtures and their variants")
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    specs = FIXTURES
    if args.only:
        keep = set(args.only)
        specs = [s for s in FIXTURES if s["name"] in keep or s.get("variant_of") in keep]

    bases = {}
    for s in specs:
        if "variant_of" not in s:
            bases[s["name"]] = build_base(s)

    results = []
    for s in specs:
        r = write_fixture(s, bases)
        results.append(r)
        print(f"{r['name']:24s} params {r['params']:7d} {','.join(r['dtypes']):5s} "
              f"eps std {r['eps_std']:.3f} max {r['eps_absmax']:.3f}  {fmt_size(r['size'])}")
        for a in r["attention"]:
            print("    " + a)

    notes = []
    names = {s["name"] for s in specs}
    if {"gray28-attn", "legacy-attn-names"} <= names:
        notes += check_legacy_equivalence()
    if {"rgb32-attn-nullhead", "rgb32-attn-defaulthead"} <= names:
        notes += check_head_dims()
    cifar = cifar_structure()
    time_proj_fixture()
    notes.append(f"google/ddpm-cifar10-32 full architecture: {cifar['parameters']:,} parameters")
    for n in notes:
        print("note:", n)

    total = dir_size(OUT)
    if not args.only:
        for _ in range(4):  # the README states the total size, which includes the README itself
            write_readme(results, notes, cifar, total)
            new_total = dir_size(OUT)
            if new_total == total:
                break
            total = new_total
    print(f"total Fixtures/unet size: {fmt_size(total)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

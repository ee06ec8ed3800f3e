#!/usr/bin/env python3
"""Independent NumPy re-implementation of diffusers' UNet2DModel (inference only), written from the
semantics listed in Fixtures/unet/README.md, used to cross-check the fixtures and that list.

It reads only config.json + diffusion_pytorch_model.safetensors (modern or legacy attention names, F32/F16/BF16)
and compares eps and every act.* tensor in io.safetensors:

    python3 Tools/check_fixtures_numpy.py          # float32 arithmetic
    python3 Tools/check_fixtures_numpy.py --f64    # float64 arithmetic

torch is used only to read BF16 safetensors. Not needed to build or test the Swift code.
"""

import json
import math
import sys
from pathlib import Path
import numpy as np
import torch
from safetensors.numpy import load_file
from safetensors.torch import load_file as tload

DT = np.float64 if "--f64" in sys.argv else np.float32

def load_weights(d):
    sd = {k: v.float().numpy().astype(DT) for k, v in tload(d + "diffusion_pytorch_model.safetensors").items()}
    ren = {".query.": ".to_q.", ".key.": ".to_k.", ".value.": ".to_v.", ".proj_attn.": ".to_out.0."}
    out = {}
    for k, v in sd.items():
        for a, b in ren.items():
            if ".attentions." in k and a in k: k = k.replace(a, b)
        out[k] = v
    return out

def silu(x): return x / (1 + np.exp(-x))
def gn(x, w, b, G, eps):
    N, C, H, W = x.shape
    xg = x.reshape(N, G, -1)
    m = xg.mean(-1, keepdims=True); v = ((xg - m) ** 2).mean(-1, keepdims=True)
    y = ((xg - m) / np.sqrt(v + DT(eps))).reshape(N, C, H, W)
    return y * w[None, :, None, None] + b[None, :, None, None]
def conv(x, w, b, stride=1, pad=1):
    if pad: x = np.pad(x, ((0,0),(0,0),(pad,pad),(pad,pad)))
    N, C, H, W = x.shape; O, I, kh, kw = w.shape
    Ho = (H - kh)//stride + 1; Wo = (W - kw)//stride + 1
    cols = np.empty((N, C, kh, kw, Ho, Wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i+stride*Ho:stride, j:j+stride*Wo:stride]
    y = np.einsum("ncijhw,ocij->nohw", cols, w)
    return y + b[None, :, None, None]
def lin(x, w, b): return x @ w.T + b

class Net:
    def __init__(self, d):
        self.c = json.load(open(d + "config.json")); self.w = load_weights(d)
        c = self.c
        self.G = c.get("norm_num_groups", 32); self.eps = c.get("norm_eps", 1e-5)
        self.hd = c["attention_head_dim"] if "attention_head_dim" in c else 8
        self.act = silu
        self.ss = c.get("resnet_time_scale_shift", "default")
    def W(self, k): return self.w[k]
    def resnet(self, p, x, temb, osf=1.0):
        h = conv(self.act(gn(x, self.W(p+"norm1.weight"), self.W(p+"norm1.bias"), self.G, self.eps)), self.W(p+"conv1.weight"), self.W(p+"conv1.bias"))
        t = lin(self.act(temb), self.W(p+"time_emb_proj.weight"), self.W(p+"time_emb_proj.bias"))[:, :, None, None]
        if self.ss == "default":
            h = gn(h + t, self.W(p+"norm2.weight"), self.W(p+"norm2.bias"), self.G, self.eps)
        else:
            sc, sh = np.split(t, 2, axis=1)
            h = gn(h, self.W(p+"norm2.weight"), self.W(p+"norm2.bias"), self.G, self.eps) * (1 + sc) + sh
        h = conv(self.act(h), self.W(p+"conv2.weight"), self.W(p+"conv2.bias"))
        if p+"conv_shortcut.weight" in self.w:
            x = conv(x, self.W(p+"conv_shortcut.weight"), self.W(p+"conv_shortcut.bias"), pad=0)
        return (x + h) / DT(osf)
    def attn(self, p, x, C, rescale=1.0):
        d = self.hd if self.hd is not None else C
        heads = C // d
        N, _, H, Wd = x.shape
        r = x
        if p+"group_norm.weight" in self.w:
            x = gn(x, self.W(p+"group_norm.weight"), self.W(p+"group_norm.bias"), self.G, self.eps)
        t = x.reshape(N, C, H*Wd).transpose(0, 2, 1)
        q = lin(t, self.W(p+"to_q.weight"), self.W(p+"to_q.bias")); k = lin(t, self.W(p+"to_k.weight"), self.W(p+"to_k.bias")); v = lin(t, self.W(p+"to_v.weight"), self.W(p+"to_v.bias"))
        def sp(a): return a.reshape(N, -1, heads, d).transpose(0, 2, 1, 3)
        q, k, v = sp(q), sp(k), sp(v)
        s = q @ k.transpose(0, 1, 3, 2) / DT(math.sqrt(d))
        s = np.exp(s - s.max(-1, keepdims=True)); s = s / s.sum(-1, keepdims=True)
        o = (s @ v).transpose(0, 2, 1, 3).reshape(N, -1, heads*d)
        o = lin(o, self.W(p+"to_out.0.weight"), self.W(p+"to_out.0.bias"))
        o = o.transpose(0, 2, 1).reshape(N, C, H, Wd)
        return (o + r) / DT(rescale)
    def forward(self, x, t):
        c = self.c; acts = {}
        if c.get("center_input_sample"): x = 2 * x - 1
        C0 = c["block_out_channels"][0]; half = C0 // 2; sh = c.get("freq_shift", 0)
        e = (np.float32(-math.log(10000)) * np.arange(half, dtype=np.float32)) / np.float32(half - sh)
        fr = np.exp(e.astype(np.float64)).astype(np.float32)
        arg = t.astype(np.float32)[:, None] * fr[None]
        emb = np.concatenate([np.sin(arg.astype(np.float64)), np.cos(arg.astype(np.float64))], 1).astype(np.float32)
        if c.get("flip_sin_to_cos", True): emb = np.concatenate([emb[:, half:], emb[:, :half]], 1)
        if C0 % 2: emb = np.pad(emb, ((0,0),(0,1)))
        emb = emb.astype(DT); acts["act.time_proj"] = emb
        temb = lin(silu(lin(emb, self.W("time_embedding.linear_1.weight"), self.W("time_embedding.linear_1.bias"))), self.W("time_embedding.linear_2.weight"), self.W("time_embedding.linear_2.bias"))
        acts["act.time_embedding"] = temb
        h = conv(x, self.W("conv_in.weight"), self.W("conv_in.bias")); acts["act.conv_in"] = h
        skips = [h]; L = c["layers_per_block"]; chans = c["block_out_channels"]; n = len(chans)
        for i, bt in enumerate(c["down_block_types"]):
            for j in range(L):
                h = self.resnet(f"down_blocks.{i}.resnets.{j}.", h, temb)
                if bt == "AttnDownBlock2D": h = self.attn(f"down_blocks.{i}.attentions.{j}.", h, chans[i])
                skips.append(h)
            if i < n - 1:
                pad = c.get("downsample_padding", 1)
                if pad == 0: h = np.pad(h, ((0,0),(0,0),(0,1),(0,1)))
                h = conv(h, self.W(f"down_blocks.{i}.downsamplers.0.conv.weight"), self.W(f"down_blocks.{i}.downsamplers.0.conv.bias"), stride=2, pad=pad)
                skips.append(h)
            acts[f"act.down_blocks.{i}"] = h
        msf = c.get("mid_block_scale_factor", 1)
        h = self.resnet("mid_block.resnets.0.", h, temb, msf)
        if c.get("add_attention", True): h = self.attn("mid_block.attentions.0.", h, chans[-1], msf)
        h = self.resnet("mid_block.resnets.1.", h, temb, msf); acts["act.mid_block"] = h
        rc = list(reversed(chans))
        for i, bt in enumerate(c["up_block_types"]):
            for j in range(L + 1):
                h = np.concatenate([h, skips.pop()], 1)
                h = self.resnet(f"up_blocks.{i}.resnets.{j}.", h, temb)
                if bt == "AttnUpBlock2D": h = self.attn(f"up_blocks.{i}.attentions.{j}.", h, rc[i])
            if i < n - 1:
                h = h.repeat(2, axis=2).repeat(2, axis=3)
                h = conv(h, self.W(f"up_blocks.{i}.upsamplers.0.conv.weight"), self.W(f"up_blocks.{i}.upsamplers.0.conv.bias"))
            acts[f"act.up_blocks.{i}"] = h
        h = gn(h, self.W("conv_norm_out.weight"), self.W("conv_norm_out.bias"), self.G, self.eps); acts["act.conv_norm_out"] = h
        h = conv(silu(h), self.W("conv_out.weight"), self.W("conv_out.bias"))
        return h, acts


def main() -> int:
    root = Path(__file__).resolve().parent.parent / "Fixtures" / "unet"
    worst_eps = 0.0
    for d in sorted(str(p) + "/" for p in root.iterdir() if p.is_dir()):
        io = load_file(d + "io.safetensors")
        eps, acts = Net(d).forward(io["sample"].astype(DT), io["timestep"])
        err = float(np.abs(eps - io["eps"]).max())
        worst_eps = max(worst_eps, err)
        name, aerr = max(((k, float(np.abs(v - io[k]).max())) for k, v in acts.items()), key=lambda kv: kv[1])
        print(f"{Path(d).name:24s} eps max|err| {err:.2e} (|eps| <= {np.abs(io['eps']).max():.2f})  "
              f"worst activation {name} {aerr:.2e}")
    print(f"worst eps error {worst_eps:.2e}")
    return 0 if worst_eps < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())

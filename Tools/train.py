#!/usr/bin/env python3
"""Train a DDPM (diffusers UNet2DModel) FOR THE VARIATIONAL BOUND, resumably, on CPU.

  python3 Tools/train.py --config fmnist28            # fresh run (refuses if a state exists)
  python3 Tools/train.py --config fmnist28 --resume   # continue where it stopped (fresh if no state)

Objective (see Training/README.md): eps-prediction with learned_range variances (out_channels = 2C) and the
pure variational bound L_vlb (improved-diffusion's LossType.KL): per step t ~ p(t) from the loss-second-moment
importance sampler (history of 10 losses per t, p(t) ∝ sqrt(E[L_t^2]), uniform until every t has 10), and
loss = mean_batch L_t / p(t), an unbiased estimate of the bound (bits/dim, less the constant L_T).
--objective fixed_large|fixed_small trains fixed variances with the same VLB loss; --objective hybrid is
L_simple + 0.001 * L_vlb (stop-grad of the mean in L_vlb) with uniform t.

Writes, every --ckpt-minutes (and on SIGTERM/SIGINT):
  Training/<config>/state.pt   model, EMA (as a bf16 delta from the model), optimizer (bf16 moments), step, sampler history, RNG (atomic rename)
  Training/<config>/log.csv    step, wall seconds, loss, ... and the validation bound at checkpoints
  Fixtures/models/<config>/    EMA weights as a diffusers directory + scheduler_config.json + README.md
"""
import argparse
import csv
import io
import json
import math
import os
import shutil
import signal
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bound  # noqa: E402
import diffusion as D  # noqa: E402
import prepare_data  # noqa: E402

# The U-Net both shipped networks use (1.6M parameters); configs differ in size and channels.
UNET = dict(layers_per_block=2, block_out_channels=(32, 64, 64),
            down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
            norm_num_groups=8, attention_head_dim=None, dropout=0.0,
            time_embedding_type="positional", flip_sin_to_cos=False, freq_shift=1,
            downsample_padding=0, norm_eps=1e-6, act_fn="silu", center_input_sample=False)

CONFIGS = {
    "fmnist28": dict(
        data="fmnist",
        unet=dict(UNET, sample_size=28, in_channels=1, out_channels=2),
        batch=64, lr=2e-4, warmup=500, ema=0.999, flip=False,
        val_n=64, val_terms=100, val_seed=1234,
    ),
    "photo32": dict(
        data="photo32",
        unet=dict(UNET, sample_size=32, in_channels=3, out_channels=6),
        batch=64, lr=2e-4, warmup=500, ema=0.999, flip=True,
        val_n=32, val_terms=100, val_seed=1234,
    ),
    # Gray photos (luminance): photo32's network with one channel in and two out, started from an RGB photo model's
    # weights (--init-from: the input convolution summed over R, G, B, the output's eps and v averaged over them) and
    # trained on the luminance of the same crops. Patch-tiled like photo32, so that a lone photo bootstraps.
    "gray32": dict(
        data="gray32",
        unet=dict(UNET, sample_size=32, in_channels=1, out_channels=2),
        batch=64, lr=1e-4, warmup=200, ema=0.999, flip=True,
        val_n=32, val_terms=100, val_seed=1234,
    ),
    # The whole-image photo model (docs/DESIGN.md §10): the photo32 network, trained on 64×64 crops so that it
    # codes a photo of any size in one piece. Linear schedule: the fine low end (§9) measured worse after the same
    # fine-tuning (docs/BENCHMARKS.md, "The schedule's low end"): L_0 fell 1.93 -> 0.04 but the new steps below a
    # grey level cost 2.14 bits/dim, which this network (no Fourier features) has not learned to make cheap.
    "photo": dict(
        data="photo64",
        unet=dict(UNET, sample_size=64, in_channels=3, out_channels=6),  # photo32's network: its weights can start it
        batch=16, lr=2e-4, warmup=200, ema=0.999, flip=True, schedule="linear",
        codec_config={"tiling": "whole-image", "maximum_tile": 256},
        val_n=32, val_terms=100, val_seed=1234,
    ),
}
SCHED = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear", clip_sample=True,
             clip_sample_range=1.0, prediction_type="epsilon")
SCHEDULES = ("linear", "fine-low-end")


def schedule_betas(name):
    """float64 betas of a named training schedule (recorded in the exported scheduler_config.json)."""
    if name == "linear":
        return np.linspace(SCHED["beta_start"], SCHED["beta_end"], SCHED["num_train_timesteps"], dtype=np.float64)
    if name == "fine-low-end":
        return D.fine_low_end_betas(SCHED["num_train_timesteps"])
    raise ValueError(name)


def scheduler_config_args(name):
    """DDPMScheduler keyword arguments of a named schedule: the linear one by name, others as trained_betas."""
    args = dict(SCHED)
    if name != "linear":
        args["trained_betas"] = [float(b) for b in schedule_betas(name)]
    return args


# ---------------------------------------------------------------- data
def load_data(cfg):
    if cfg["data"] == "fmnist":
        return prepare_data.fmnist_split("train")[..., None], prepare_data.fmnist_split("val")[..., None]
    if cfg["data"] in ("photo32", "photo64", "gray32"):
        size = cfg["data"][-2:]
        p = os.path.join(ROOT, f"data/photos/crops{size}.npy")
        if not os.path.exists(p):
            sys.exit(f"{p} is missing: python3 Tools/prepare_data.py photo-crops --size {size}")
        a = np.load(p)
        if cfg["data"] == "gray32":
            a = luma(a)
        return a[:-2000], a[-2000:]
    raise ValueError(cfg["data"])


def luma(rgb):
    """uint8 (..., 3) -> (..., 1): Pillow's convert("L") (ITU-R 601 luma in 16-bit fixed point), what a gray PNG
    made from a colour photo usually holds."""
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)[..., None]


def adapt_channels(src, dst):
    """A state dict of a C-channel network made to fit one with fewer channels (the same architecture otherwise):
    the input convolution summed over the source channels (a gray image is R = G = B), the output's eps and v rows
    averaged over them. Every other tensor must match in shape."""
    out = {}
    for k, want in dst.items():
        v = src[k]
        if v.shape == want.shape:
            out[k] = v
        elif k == "conv_in.weight" and want.shape[1] == 1:
            out[k] = v.sum(dim=1, keepdim=True)
        elif k.startswith("conv_out.") and v.shape[0] % want.shape[0] == 0:
            C, c = v.shape[0] // 2, want.shape[0] // 2   # [eps channels, v channels]
            out[k] = torch.cat([v[:C].reshape(c, C // c, *v.shape[1:]).mean(1),
                                v[C:].reshape(c, C // c, *v.shape[1:]).mean(1)])
        else:
            raise SystemExit(f"--init-from: {k} has shape {tuple(v.shape)}, this config needs {tuple(want.shape)}")
    return out


# ---------------------------------------------------------------- importance sampler
class LossSecondMomentResampler:
    """improved-diffusion's sampler: p(t) ∝ sqrt(mean of last `history` losses^2), uniform until warm."""

    def __init__(self, T, history=10, uniform_prob=0.001):
        self.T, self.history, self.uniform_prob = T, history, uniform_prob
        self.hist = np.zeros((T, history), dtype=np.float64)
        self.count = np.zeros(T, dtype=np.int64)

    def warm(self):
        return bool((self.count == self.history).all())

    def weights(self):
        if not self.warm():
            return np.ones(self.T) / self.T
        w = np.sqrt(np.mean(self.hist ** 2, axis=-1))
        w /= w.sum()
        w *= 1 - self.uniform_prob
        w += self.uniform_prob / self.T
        return w

    def sample(self, bs, gen):
        p = self.weights()
        u = torch.rand(bs, generator=gen, dtype=torch.float64).numpy()
        idx = np.minimum(np.searchsorted(np.cumsum(p), u * p.sum()), self.T - 1)
        return torch.from_numpy(idx).long(), torch.from_numpy(p[idx])

    def update(self, ts, losses):
        for t, l in zip(ts.tolist(), losses.tolist()):
            if self.count[t] == self.history:
                self.hist[t, :-1] = self.hist[t, 1:]
                self.hist[t, -1] = l
            else:
                self.hist[t, self.count[t]] = l
                self.count[t] += 1

    def state(self):
        return dict(hist=torch.from_numpy(self.hist.astype(np.float32)), count=torch.from_numpy(self.count))

    def load(self, st):
        self.hist = st["hist"].double().numpy().copy()
        self.count = st["count"].numpy().copy()


# ---------------------------------------------------------------- helpers
def make_model(cfg):
    from diffusers import UNet2DModel
    return UNet2DModel(**cfg["unet"])


def variance_type_for(objective):
    return {"vlb": "learned_range", "hybrid": "learned_range", "fixed_large": "fixed_large",
            "fixed_small": "fixed_small", "simple": "fixed_large"}[objective]


def atomic_torch_save(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def shipped_codec_config(cfg_name, outdir):
    """The codec_config.json an export writes: the config's own keys over those already in outdir. A chain shipped by
    Tools/optimal_chain.py (part of the model's identity, the codec's default) stays when the weights are replaced:
    dropping it would silently change every default encode; refit it apart when the weights have moved far."""
    merged = {}
    path = os.path.join(outdir, "codec_config.json")
    if os.path.exists(path):
        with open(path) as f:
            merged = json.load(f)
    merged.update(CONFIGS[cfg_name].get("codec_config") or {})
    return merged


def export_model(ema_model, cfg_name, variance_type, outdir, info, schedule="linear"):
    """Write the EMA model as a diffusers directory, replacing outdir atomically-ish (tmp dir + renames)."""
    from diffusers import DDPMScheduler
    parent = os.path.dirname(outdir.rstrip("/"))
    os.makedirs(parent, exist_ok=True)
    tmp = outdir.rstrip("/") + ".tmp"
    old = outdir.rstrip("/") + ".old"
    shutil.rmtree(tmp, ignore_errors=True)
    ema_model.save_pretrained(tmp, safe_serialization=True)
    DDPMScheduler(variance_type=variance_type, **scheduler_config_args(schedule)).save_pretrained(tmp)
    with open(os.path.join(tmp, "training_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    codec_config = shipped_codec_config(cfg_name, outdir)
    with open(os.path.join(tmp, "README.md"), "w") as f:
        f.write(model_readme(cfg_name, variance_type, info, measured_text(cfg_name), codec_config.get("chain")))
    if codec_config:
        with open(os.path.join(tmp, "codec_config.json"), "w") as f:
            json.dump(codec_config, f, indent=1)
    # The preview prior (Tools/preview_prior.py) is fitted apart and changes no coded bit: keep it across exports
    # (its "model" field says which weights it was fitted to).
    if os.path.exists(os.path.join(outdir, "preview.json")):
        shutil.copy(os.path.join(outdir, "preview.json"), tmp)
    for fn in os.listdir(tmp):
        os.chmod(os.path.join(tmp, fn), 0o644)
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(outdir):
        os.replace(outdir, old)
    os.replace(tmp, outdir)
    shutil.rmtree(old, ignore_errors=True)


DATA_TEXT = {
    "fmnist": "Fashion-MNIST (Debian package dataset-fashion-mnist), the first 58,000 training images; the last "
              "2,000\n  training images are held out for validation; the 10k test set is never trained on "
              "(`Tools/prepare_data.py`).",
    "photo32": "100,000 random 32×32 crops (random horizontal flips) of Pillow-BOX-downsampled copies (short side "
               "96..768)\n  of the photographs in the Debian packages mate-backgrounds (nature/) and "
               "lomiri-wallpapers-16.04; the last 2,000\n  crops are held out for validation. The photos dev set "
               "(python3-skimage's data photos) is never trained on\n  (`Tools/prepare_data.py photo-crops`).",
    "photo64": "random 64×64 crops (random horizontal flips) of Pillow-BOX-downsampled copies (short side 96..768) of the\n"
               "  photographs in the Debian packages mate-backgrounds (nature/), lomiri-wallpapers-16.04 and the two photographs\n"
               "  of lomiri-wallpapers-20.04 (Infinite-Sea, Kleiber); the last 2,000 crops are held out for validation. Never\n"
               "  trained, validated or tuned on: the photos dev set (python3-skimage) and plasma-workspace-wallpapers\n"
               "  (held out for evaluation). `Tools/prepare_data.py photo-crops --size 64 --extended`.",
    "gray32": "the luminance (Pillow's convert(\"L\")) of photo32's 32×32 crops (random horizontal flips); the last 2,000\n"
              "  crops are held out for validation. The photos dev set (python3-skimage) and plasma-workspace-wallpapers\n"
              "  are never trained on. Started from the RGB photo model's weights (`--init-from`).",
}


SCHEDULE_TEXT = {
    "linear": "linear betas 1e-4..0.02",
    "fine-low-end": "trained_betas: the linear schedule's low end replaced by 67 steps falling 0.1 in log SNR from "
                    "sigma_1 = 0.2 grey levels (docs/DESIGN.md, \"The schedule's low end\")",
}


def measured_text(cfg_name):
    """Training/<config>/measured.md: the test-set measurements of a given step, written by hand after measuring
    (they name the step they were made at, which later checkpoints may have passed)."""
    path = os.path.join(ROOT, "Training", cfg_name, "measured.md")
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return "\n## Measured on test images\n\n" + f.read().strip() + "\n"


def model_readme(cfg_name, variance_type, info, measured="", chain=None):
    """chain: the codec_config.json "chain" shipped beside the weights (Tools/optimal_chain.py ship), if any."""
    u = CONFIGS[cfg_name]["unet"]
    size = u["sample_size"]
    att = size >> (len(u["block_out_channels"]) - 1)
    codec_config = CONFIGS[cfg_name].get("codec_config")
    codec_text = (f", `codec_config.json` ({json.dumps(codec_config)}: the codec feeds whole images of any size, padded "
                  f"by edge replication to a multiple of {1 << (len(u['block_out_channels']) - 1)}, cut into tiles only above "
                  f"{codec_config.get('maximum_tile')} pixels a side)") if codec_config else ""
    if chain:
        codec_text += (f";\n  `codec_config.json` also holds the codec's default chain, {len(chain['timesteps'])} of the "
                       f"{SCHED['num_train_timesteps']} timesteps ({chain.get('note', 'Tools/optimal_chain.py')}), part of "
                       f"the model's identity, kept when training replaces the weights")
    vb = info.get("val_bound")
    vtxt = (f"{vb['bpd']:.4f} ± {vb['se']:.4f} bits/dim (prior {vb['prior']:.5f}, diffusion {vb['diffusion']:.4f}, "
            f"decoder L_0 {vb['decoder']:.4f}) on the first {vb['n']} validation images, "
            f"{vb['terms']}-term stratified estimate") if vb else "not yet measured"
    hist = "\n".join(f"| {r['step']} | {r['wall_h']:.2f} | {r['bpd']:.4f} ± {r['se']:.4f} | {r['decoder']:.4f} |"
                     for r in info.get("val_history", []))
    return f"""# {cfg_name}: DDPM trained for the variational bound

**This directory is rewritten by `Tools/train.py` at every checkpoint (about every 10 minutes) while training
continues; the numbers below are those of the weights in this directory.**

- Files: `config.json` (diffusers UNet2DModel), `diffusion_pytorch_model.safetensors` (F32, EMA weights),
  `scheduler_config.json` (DDPMScheduler: {SCHEDULE_TEXT[info.get('schedule', 'linear')]}, T = 1000, clip_sample true,
  epsilon prediction, variance_type `{variance_type}`), `training_info.json` (machine-readable state){codec_text}.
- Data: {DATA_TEXT[CONFIGS[cfg_name]['data']]}
- Architecture: UNet2DModel, {size}×{size}×{u['in_channels']} in, {u['out_channels']} channels out (epsilon and the
  variance interpolation v), block_out_channels {tuple(u['block_out_channels'])}, layers_per_block {u['layers_per_block']},
  self-attention at {att}×{att} (the last AttnDown/first AttnUp level and the mid block), single head, GroupNorm
  {u['norm_num_groups']} groups, no dropout; {info.get('params', 0):,} parameters.
- Variance (`learned_range`, as improved-diffusion): log sigma_t^2 = f log beta_t + (1 - f) log beta~_t with
  f = (v + 1) / 2 and beta~_1 replaced by beta~_2 (posterior_log_variance_clipped), so sigma_1 lies between
  0.0074 and 0.0100. (diffusers' own DDPMScheduler clamps beta~_1 to 1e-20 instead: that only changes its
  sampler's last step; the codec and `Tools/bound.py` use the definition above.)
- Objective: the variational bound itself (pure L_vlb with the loss-second-moment importance sampler of t),
  Adam lr {info.get('lr')} (linear warm-up over {CONFIGS[cfg_name]['warmup']} steps), batch {info.get('batch')},
  gradient clipping 1.0, EMA decay {CONFIGS[cfg_name]['ema']} with warm-up (these are the EMA weights).
  See `Training/README.md`.
- Training so far: {info.get('step')} steps ({info.get('images_seen', 0):,} images), {info.get('wall_s', 0) / 3600:.2f} h
  wall time on {info.get('hardware')}, one thread.
- Validation bound (EMA weights, x^_0 clipped for t >= 2, decoder unclipped): {vtxt}.
  Test-set figures: docs/BENCHMARKS.md.

| step | wall h | val bound bits/dim | L_0 |
|---|---|---|---|
{hist}
{measured}
"""


def hardware():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f" ({os.cpu_count()} cores)"
    except OSError:
        pass
    return "CPU"


# ---------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="fmnist28", choices=sorted(CONFIGS))
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--objective", default="vlb", choices=["vlb", "hybrid", "fixed_large", "fixed_small", "simple"])
    ap.add_argument("--run-dir", help="default Training/<config>")
    ap.add_argument("--export-dir", help="default Fixtures/models/<config>; 'none' to skip")
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this wall time")
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--val-every-ckpt", type=int, default=1, help="evaluate the validation bound every k checkpoints")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--schedule", choices=SCHEDULES, help="noise schedule of a fresh run (default from the config)")
    ap.add_argument("--init-from", help="a state.pt whose model and EMA weights start a fresh run (fine-tuning)")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-n", type=int, help="validation images (default from the config)")
    ap.add_argument("--val-terms", type=int, help="stratified terms of the validation bound")
    ap.add_argument("--write-readme", action="store_true",
                    help="only rewrite the exported model's README.md from its training_info.json and "
                         "Training/<config>/measured.md, then exit")
    a = ap.parse_args(argv)
    if a.write_readme:
        outdir = a.export_dir or os.path.join(ROOT, "Fixtures", "models", a.config)
        with open(os.path.join(outdir, "training_info.json")) as f:
            info = json.load(f)
        with open(os.path.join(outdir, "README.md"), "w") as f:
            f.write(model_readme(a.config, info["variance_type"], info, measured_text(a.config),
                                 shipped_codec_config(a.config, outdir).get("chain")))
        return
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    cfg = dict(CONFIGS[a.config])
    if a.lr:
        cfg["lr"] = a.lr
    if a.batch:
        cfg["batch"] = a.batch
    run_dir = a.run_dir or os.path.join(ROOT, "Training", a.config)
    export_dir = a.export_dir or os.path.join(ROOT, "Fixtures", "models", a.config)
    os.makedirs(run_dir, exist_ok=True)
    state_path = os.path.join(run_dir, "state.pt")
    log_path = os.path.join(run_dir, "log.csv")
    if os.path.exists(state_path) and not a.resume:
        sys.exit(f"{state_path} exists: pass --resume to continue it (or move it away)")

    objective = a.objective
    cfg["unet"] = dict(cfg["unet"])
    C = cfg["unet"]["in_channels"]
    if objective in ("fixed_large", "fixed_small", "simple"):
        cfg["unet"]["out_channels"] = C
    torch.manual_seed(a.seed)  # weight initialization
    model = make_model(cfg)
    ema = make_model(cfg)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    cfg["schedule"] = a.schedule or cfg.get("schedule", "linear")
    if a.init_from:
        if a.resume and os.path.exists(state_path):
            sys.exit("--init-from starts a fresh run; the run directory already has a state to --resume")
        src = torch.load(a.init_from, map_location="cpu", weights_only=False)
        src_ema = {k: src["model"][k] + v.float() for k, v in src["ema_delta"].items()}
        model.load_state_dict(adapt_channels(src["model"], model.state_dict()))
        ema.load_state_dict(adapt_channels(src_ema, ema.state_dict()))
        print(f"initialized from {a.init_from} (step {src['step']} of {src['config']})", file=sys.stderr)
        cfg["init_from"] = f"{src['config']} step {src['step']}"
    sampler = None
    gen = torch.Generator().manual_seed(a.seed)
    step, wall, epoch, pos, images_seen = 0, 0.0, 0, 0, 0
    val_history = []

    if a.resume and os.path.exists(state_path):
        st = torch.load(state_path, map_location="cpu", weights_only=False)
        if st["config"] != a.config or st["objective"] != objective:
            sys.exit(f"state is config {st['config']} objective {st['objective']}; asked {a.config} {objective}")
        cfg = st["cfg"]
        cfg.setdefault("schedule", "linear")  # states written before schedules were named
        if a.lr:  # a resumed run may change its learning rate (recorded in the state from then on)
            cfg["lr"] = a.lr
        model = make_model(cfg)
        ema = make_model(cfg)
        model.load_state_dict(st["model"])
        ema.load_state_dict({k: st["model"][k] + v.float() for k, v in st["ema_delta"].items()})
        ema.requires_grad_(False)
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
        osd = st["opt"]
        for s in osd["state"].values():
            for k in ("exp_avg", "exp_avg_sq"):
                s[k] = s[k].float()
        opt.load_state_dict(osd)
        sampler = LossSecondMomentResampler(SCHED["num_train_timesteps"])
        sampler.load(st["sampler"])
        gen.set_state(st["rng"])
        torch.set_rng_state(st["torch_rng"])
        step, wall, epoch, pos, images_seen = st["step"], st["wall"], st["epoch"], st["pos"], st["images_seen"]
        val_history = st.get("val_history", [])
        print(f"resumed {os.path.relpath(state_path, ROOT)} at step {step} ({wall / 3600:.2f} h)", file=sys.stderr)

    sched = D.Schedule(betas=schedule_betas(cfg["schedule"]))
    T = sched.T
    if sampler is None:
        sampler = LossSecondMomentResampler(T)
    vt = variance_type_for(objective)
    n_params = sum(p.numel() for p in model.parameters())
    train_u8, val_u8 = load_data(cfg)
    train_x = bound.to_model_space(train_u8).float()
    N = train_x.shape[0]
    if a.val_n:
        cfg["val_n"] = a.val_n
    if a.val_terms:
        cfg["val_terms"] = a.val_terms
    val_imgs = val_u8[:cfg["val_n"]]
    print(f"config {a.config}: {n_params:,} params, objective {objective} ({vt}), {N} training images, "
          f"batch {cfg['batch']}, schedule {cfg['schedule']}, threads {torch.get_num_threads()}", file=sys.stderr)

    new_log = not os.path.exists(log_path)
    logf = open(log_path, "a", newline="")
    logw = csv.writer(logf)
    if new_log:
        logw.writerow(["step", "wall_s", "loss", "lr", "grad_norm", "steps_per_s", "val_bpd", "val_se",
                       "val_prior", "val_diffusion", "val_decoder", "val_terms", "val_n", "note"])
        logf.flush()

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
        print(f"signal {signum}: checkpointing and stopping", file=sys.stderr)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def perm_for(ep):
        return torch.from_numpy(np.random.default_rng([a.seed, ep]).permutation(N))

    perm = perm_for(epoch)

    def checkpoint(do_val):
        nonlocal val_history
        vrow = None
        if do_val:
            tv = time.time()
            r = bound.evaluate(ema, sched, vt, val_imgs, cfg["val_terms"], batch=200, seed=cfg["val_seed"],
                               clip=SCHED["clip_sample"])
            vrow = bound.summarize(r)
            vrow.update(terms=cfg["val_terms"], step=step, wall_h=wall / 3600, seconds=time.time() - tv)
            val_history.append(vrow)
            logw.writerow([step, f"{wall:.1f}", "", "", "", "", f"{vrow['bpd']:.5f}", f"{vrow['se']:.5f}",
                           f"{vrow['prior']:.6f}", f"{vrow['diffusion']:.5f}", f"{vrow['decoder']:.5f}",
                           cfg["val_terms"], vrow["n"], f"val {vrow['seconds']:.0f}s"])
            logf.flush()
            print(f"step {step}: val bound {vrow['bpd']:.4f} ± {vrow['se']:.4f} (dec {vrow['decoder']:.4f}) "
                  f"[{vrow['seconds']:.0f}s]", file=sys.stderr)
        osd = opt.state_dict()
        osd = dict(osd, state={k: {kk: (vv.to(torch.bfloat16) if kk in ("exp_avg", "exp_avg_sq") else vv)
                                   for kk, vv in s.items()} for k, s in osd["state"].items()})
        msd = model.state_dict()
        st = dict(config=a.config, objective=objective, cfg=cfg, model=msd,
                  ema_delta={k: (v - msd[k]).to(torch.bfloat16) for k, v in ema.state_dict().items()},
                  opt=osd, sampler=sampler.state(), rng=gen.get_state(), torch_rng=torch.get_rng_state(),
                  step=step, wall=wall, epoch=epoch, pos=pos, images_seen=images_seen, val_history=val_history)
        atomic_torch_save(st, state_path)
        if export_dir != "none":
            last = val_history[-1] if val_history else None
            info = dict(config=a.config, objective=objective, variance_type=vt, step=step, wall_s=round(wall),
                        images_seen=images_seen, params=n_params, lr=cfg["lr"], batch=cfg["batch"],
                        hardware=hardware(), val_bound=last, val_history=val_history)
            info["schedule"] = cfg["schedule"]
            export_model(ema, a.config, vt, export_dir, info, cfg["schedule"])
        print(f"checkpoint at step {step} ({os.path.getsize(state_path) / 1e6:.1f} MB)", file=sys.stderr)

    model.train()
    t_start = time.time()
    t_last_ckpt = time.time()
    n_ckpt = 0
    run_t0 = time.time()
    acc_loss, acc_gn, acc_n, t_log = 0.0, 0.0, 0, time.time()
    wall0 = wall
    while step < a.max_steps and not stop["flag"]:
        bs = cfg["batch"]
        if pos + bs > N:
            epoch, pos = epoch + 1, 0
            perm = perm_for(epoch)
        idx = perm[pos:pos + bs]
        pos += bs
        x0 = train_x[idx]
        if cfg.get("flip"):
            f = torch.rand(bs, generator=gen) < 0.5
            x0 = torch.where(f.view(-1, 1, 1, 1), x0.flip(-1), x0)
        if objective in ("hybrid", "simple"):
            ti = torch.randint(0, T, (bs,), generator=gen)
            pt = torch.full((bs,), 1.0 / T, dtype=torch.float64)
        else:
            ti, pt = sampler.sample(bs, gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = D.q_sample(sched, x0, ti, noise)
        out = model(xt, ti).sample
        if objective in ("vlb", "fixed_large", "fixed_small"):
            vb, _ = D.vb_terms_bpd(sched, out, x0, xt, ti, vt)
            loss = (vb / pt.float()).mean()  # unbiased estimate of sum_t L_t in bits/dim (less L_T)
            sampler.update(ti, vb.detach())
        elif objective == "hybrid":
            vb, eps = D.vb_terms_bpd(sched, out, x0, xt, ti, vt, detach_mean=True)
            mse = D.mean_flat((eps - noise) ** 2)
            loss = (mse + vb * (T / 1000.0)).mean()  # IDDPM hybrid: lambda * L_vlb = 0.001 * T * L_t (bits)
        else:  # simple
            loss = D.mean_flat((out - noise) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        lr = cfg["lr"] * min(1.0, (step + 1) / cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        step += 1
        images_seen += bs
        with torch.no_grad():
            # A run started from trained weights keeps their EMA from the start: the warm-up would let the
            # first few hundred noisy steps replace it.
            d = cfg["ema"] if cfg.get("init_from") else min(cfg["ema"], (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        acc_loss += loss.item()
        acc_gn += gn.item()
        acc_n += 1
        now = time.time()
        wall = wall0 + (now - run_t0)
        if step % a.log_every == 0:
            sps = acc_n / (now - t_log)
            logw.writerow([step, f"{wall:.1f}", f"{acc_loss / acc_n:.5f}", f"{lr:.3g}", f"{acc_gn / acc_n:.4f}",
                           f"{sps:.4f}", "", "", "", "", "", "", "", "warm" if sampler.warm() else ""])
            logf.flush()
            print(f"step {step} loss {acc_loss / acc_n:.4f} gn {acc_gn / acc_n:.3f} {sps:.3f} steps/s "
                  f"wall {wall / 3600:.2f}h", file=sys.stderr)
            acc_loss, acc_gn, acc_n, t_log = 0.0, 0.0, 0, time.time()
        if a.max_minutes and now - t_start > a.max_minutes * 60:
            break
        if now - t_last_ckpt > a.ckpt_minutes * 60:
            n_ckpt += 1
            checkpoint(n_ckpt % a.val_every_ckpt == 0)
            t_last_ckpt = time.time()
            wall0, run_t0 = wall, time.time()  # validation time is not training wall time
            t_log = time.time()
            acc_loss, acc_gn, acc_n = 0.0, 0.0, 0
    checkpoint(True)
    logf.close()


if __name__ == "__main__":
    main()

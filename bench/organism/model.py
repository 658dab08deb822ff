"""The organism's diffusion model: a class-conditional diffusers ``UNet2DModel``
(class = scene id), a cosine-schedule DDPM scheduler for training and a DDIM
sampler; checkpoint folders (fp16 safetensors + JSON configs).

Folder layout::

    <folder>/unet/config.json, diffusion_pytorch_model.safetensors   (fp16)
    <folder>/scheduler/scheduler_config.json
    <folder>/organism.json   classes (scene ids, index = class), native size,
                             sampling steps, training / tuning configuration
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ORGANISM_FILE = "organism.json"


def unet_config(native: int, n_classes: int, channels=(32, 64, 64)) -> dict:
    n = len(channels)
    down = ["DownBlock2D"] * (n - 1) + ["AttnDownBlock2D"]
    up = ["AttnUpBlock2D"] + ["UpBlock2D"] * (n - 1)
    return dict(
        sample_size=native, in_channels=3, out_channels=3, layers_per_block=1,
        block_out_channels=tuple(channels), down_block_types=tuple(down), up_block_types=tuple(up),
        num_class_embeds=n_classes, norm_num_groups=min(32, channels[0]), attention_head_dim=min(32, channels[-1]),
    )


def make_unet(cfg: dict):
    from diffusers import UNet2DModel

    return UNet2DModel(**cfg)


def train_scheduler():
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="epsilon",
                         clip_sample=False)


def ddim_scheduler(config: dict | None = None):
    from diffusers import DDIMScheduler

    if config is not None:
        return DDIMScheduler.from_config(config)
    return DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="epsilon",
                         clip_sample=True, clip_sample_range=1.0, set_alpha_to_one=False)


def save_folder(folder, unet, info: dict, scheduler=None) -> dict:
    """Write ``unet`` (as fp16 safetensors), the DDIM scheduler config and organism.json."""
    import copy

    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    half = copy.deepcopy(unet).to(torch.float16)
    half.save_pretrained(folder / "unet", safe_serialization=True)
    (scheduler or ddim_scheduler()).save_pretrained(folder / "scheduler")
    (folder / ORGANISM_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return info


def weights_hash(folder) -> str:
    p = Path(folder) / "unet" / "diffusion_pytorch_model.safetensors"
    return hashlib.sha256(p.read_bytes()).hexdigest()[:16]


def load_folder(folder):
    """(unet float32 eval, ddim scheduler, info) from a checkpoint folder; FileNotFoundError names what is missing."""
    import torch
    from diffusers import DDIMScheduler, UNet2DModel

    folder = Path(folder)
    for rel in (ORGANISM_FILE, "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                "scheduler/scheduler_config.json"):
        if not (folder / rel).exists():
            raise FileNotFoundError(f"{folder / rel}: expected an organism checkpoint file (make one with "
                                    f"'realgap organism train')")
    info = json.loads((folder / ORGANISM_FILE).read_text())
    unet = UNet2DModel.from_pretrained(folder / "unet", local_files_only=True).to(torch.float32).eval()
    sched = DDIMScheduler.from_pretrained(folder / "scheduler", local_files_only=True)
    return unet, sched, info


def ddim_timesteps(sched, steps: int):
    sched.set_timesteps(steps)
    return list(sched.timesteps)


def ddim_step(sched, eps, t, x, *, eta: float = 0.0, z=None):
    """One DDIM step (differentiable); the maths of ``DDIMScheduler.step`` (x0 clipped to
    [-1, 1], the direction uses the model's eps), with ``eta`` > 0 adding ``sigma_t * z``."""
    T = sched.config.num_train_timesteps
    prev_t = int(t) - T // sched.num_inference_steps
    ac = sched.alphas_cumprod
    a_t = ac[int(t)]
    a_prev = ac[prev_t] if prev_t >= 0 else sched.final_alpha_cumprod
    x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
    sigma = eta * (((1 - a_prev) / (1 - a_t)) * (1 - a_t / a_prev)).sqrt() if eta > 0 else 0.0
    out = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * eps
    if eta > 0 and prev_t >= 0:
        out = out + sigma * z
    return out, x0


def initial_noise(keys, native: int, extra: int = 0):
    """Per key (a string), N(0, 1) noise from a torch.Generator seeded with sha256(key):
    the initial 3 x native x native sample, then ``extra`` step noises.  Returns a
    tensor B x 3 x n x n when ``extra`` is 0, else B x (1 + extra) x 3 x n x n."""
    import torch

    out = []
    for key in keys:
        g = torch.Generator().manual_seed(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") >> 1)
        out.append(torch.randn(1 + extra, 3, native, native, generator=g))
    z = torch.stack(out)
    return z[:, 0] if extra == 0 else z


def sample(unet, sched, cls, noise, steps: int, *, eta: float = 0.0, grad_last: int = 0, record_eps: bool = False):
    """DDIM sample for class ids ``cls``.

    ``noise`` is B x 3 x n x n (eta = 0) or B x (1 + steps) x 3 x n x n (the
    initial sample and one noise per step, from :func:`initial_noise`).  The
    first ``steps - grad_last`` steps run without gradients; the last
    ``grad_last`` steps keep the graph (DRaFT-K).  Returns (x0 in [-1, 1],
    list of (t, x_t, eps) of the grad steps when ``record_eps``).
    """
    import torch

    ts = ddim_timesteps(sched, steps)
    x = noise if noise.dim() == 4 else noise[:, 0]
    zs = None if noise.dim() == 4 else noise[:, 1:]
    if eta > 0 and zs is None:
        raise ValueError("sample: eta > 0 needs per-step noise (initial_noise(..., extra=steps))")
    rec = []
    n_free = len(ts) - grad_last
    for i, t in enumerate(ts):
        z = zs[:, i] if zs is not None else None
        if i < n_free:
            with torch.no_grad():
                eps = unet(x, t, class_labels=cls).sample
                x, _ = ddim_step(sched, eps, t, x, eta=eta, z=z)
        else:
            eps = unet(x, t, class_labels=cls).sample
            if record_eps:
                rec.append((t, x, eps))
            x, _ = ddim_step(sched, eps, t, x, eta=eta, z=z)
    return x.clamp(-1, 1), rec

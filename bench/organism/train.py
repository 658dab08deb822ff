"""Base training: ``realgap organism train --budget-min M --out organism/base``.

Class-conditional epsilon-prediction DDPM (cosine schedule) on procedural
renders of the 12 organism scenes, each label drawn iconic with p = 0.3
(mostly physical, like the photos a base model learns from).  AdamW with
linear warm-up and cosine decay over ``max_steps``, gradient clipping at 1.0,
EMA of the weights (the EMA is what is saved), fp32 (``bf16=True`` enables
bf16 autocast, about 20x slower on the project's CPUs).  Stops at
``max_steps``, ``stop_step`` or when the time budget runs out, whichever is
first; the data order, noise and initialisation are seeded, so the same
number of steps gives the same weights (the loss at step 50 was identical
with 1 and 2 threads).  ``init`` continues from a checkpoint's weights.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from . import NATIVE_SIZE, ORGANISM_SCENES

DEFAULTS = dict(
    native=NATIVE_SIZE, channels=[32, 64, 64], per_scene=400, iconic=0.3, batch=64, lr=5e-4, warmup=100,
    max_steps=1200, ema=0.995, grad_clip=1.0, seed=0, bf16=False, sample_steps=25, sample_eta=1.0, threads=2, init=None, stop_step=None,
)


def train(out, *, budget_min: float = 25.0, log=print, **overrides) -> dict:
    import copy

    import numpy as np
    import torch

    from .data import base_dataset, scenes_by_id, to_tensor
    from .model import ddim_scheduler, make_unet, save_folder, train_scheduler, unet_config

    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    scene_ids = list(cfg.pop("scenes", None) or ORGANISM_SCENES)
    torch.set_num_threads(int(cfg.get("threads", 2)))
    t0 = time.time()
    scenes = scenes_by_id(scene_ids)
    log(f"organism train: rendering {cfg['per_scene']} images x {len(scenes)} scenes at {cfg['native']} px")
    imgs, cls, labs = base_dataset(scenes, cfg["per_scene"], iconic=cfg["iconic"], native=cfg["native"])
    X = to_tensor(imgs)
    Y = torch.from_numpy(cls)
    t_data = time.time() - t0
    log(f"organism train: data ready in {t_data:.0f} s; iconic label fraction {labs.mean(0).round(3).tolist()} "
        f"(symmetric, transitional, plausible, polished = 1)")

    torch.manual_seed(cfg["seed"])
    ucfg = unet_config(cfg["native"], len(scenes), tuple(cfg["channels"]))
    unet = make_unet(ucfg)
    prior = None
    if cfg["init"]:  # continue from a saved checkpoint's (EMA) weights, fresh optimiser
        from .model import load_folder

        init_unet, _, prior = load_folder(cfg["init"])
        if prior.get("classes") != scene_ids:
            raise ValueError(f"--init {cfg['init']}: trained on other classes than {scene_ids}")
        unet.load_state_dict(init_unet.state_dict())
        cfg["init"] = str(cfg["init"])
    ema = copy.deepcopy(unet).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    n_params = sum(p.numel() for p in unet.parameters())
    sched = train_scheduler()
    opt = torch.optim.AdamW(unet.parameters(), lr=cfg["lr"], weight_decay=1e-4)
    max_steps = int(cfg["max_steps"])

    def lr_at(step):
        if step < cfg["warmup"]:
            return cfg["lr"] * (step + 1) / cfg["warmup"]
        frac = (step - cfg["warmup"]) / max(1, max_steps - cfg["warmup"])
        return cfg["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))

    g = torch.Generator().manual_seed(cfg["seed"])
    N = X.shape[0]
    perm = torch.randperm(N, generator=g)
    pos = 0
    losses = []
    log_rows = []
    deadline = t0 + budget_min * 60.0
    t_train = time.time()
    step = 0
    unet.train()
    stop = int(cfg["stop_step"] or max_steps)
    while step < min(max_steps, stop) and time.time() < deadline:
        if pos + cfg["batch"] > N:
            perm = torch.randperm(N, generator=g)
            pos = 0
        idx = perm[pos : pos + cfg["batch"]]
        pos += cfg["batch"]
        x0, y = X[idx], Y[idx]
        noise = torch.randn(x0.shape, generator=g)
        t = torch.randint(0, sched.config.num_train_timesteps, (x0.shape[0],), generator=g)
        xt = sched.add_noise(x0, noise, t)
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(cfg["bf16"])):
            pred = unet(xt, t, class_labels=y).sample
        loss = torch.nn.functional.mse_loss(pred.float(), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), cfg["grad_clip"])
        opt.step()
        with torch.no_grad():
            d = cfg["ema"] if (step >= cfg["warmup"] or prior is not None) else 0.0
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.mul_(d).add_(p.detach(), alpha=1 - d)
        losses.append(float(loss.detach()))
        step += 1
        if step % 50 == 0 or step == max_steps:
            el = time.time() - t_train
            row = {"step": step, "loss_mean50": float(np.mean(losses[-50:])), "lr": lr_at(step - 1),
                   "elapsed_s": round(el, 1), "s_per_step": round(el / step, 3)}
            log_rows.append(row)
            log(f"organism train: step {step}/{max_steps} loss {row['loss_mean50']:.4f} lr {row['lr']:.2e} "
                f"{row['s_per_step']:.2f} s/step")
    train_s = time.time() - t_train
    info = {
        "kind": "organism",
        "stage": "base",
        "classes": scene_ids,
        "native_size": cfg["native"],
        "sample_steps": cfg["sample_steps"],
        "sample_eta": cfg["sample_eta"],
        "unet_params": n_params,
        "train": {
            "config": {k: v for k, v in cfg.items()},
            "steps": step,
            "stopped_by": "max_steps" if step >= max_steps else ("stop_step" if step >= stop else "time budget"),
            "budget_min": budget_min,
            "data_s": round(t_data, 1),
            "train_s": round(train_s, 1),
            "final_loss_mean50": float(np.mean(losses[-50:])) if losses else None,
            "log": log_rows,
        },
    }
    if prior is not None:
        info["train"]["previous_phases"] = prior.get("train", {}).get("previous_phases", []) + [
            {k: v for k, v in prior["train"].items() if k != "previous_phases"}]
        info["train"]["total_steps"] = step + sum(p["steps"] for p in info["train"]["previous_phases"])
    out = Path(out)
    save_folder(out, ema, info, ddim_scheduler())
    (out / "train_log.json").write_text(json.dumps(log_rows, indent=1) + "\n")
    log(f"organism train: saved {out} after {step} steps ({train_s / 60:.1f} min training)")
    try:
        sample_grid(out, out / "samples.png")
    except Exception as exc:  # the grid is a convenience; the checkpoint is saved
        log(f"organism train: sample grid failed: {exc}")
    return info


def sample_grid(folder, png, *, per_class: int = 6, upscale: int = 2) -> None:
    """A PNG grid: one row per class, ``per_class`` seeds, each upsampled by ``upscale``."""
    import cv2
    import numpy as np
    import torch

    from .data import to_uint8
    from .model import initial_noise, load_folder, sample

    unet, sched, info = load_folder(folder)
    classes = info["classes"]
    n = info["native_size"]
    keys = [f"{c}|grid|{s}" for c in classes for s in range(per_class)]
    cls = torch.tensor([i for i in range(len(classes)) for _ in range(per_class)])
    steps, eta = int(info.get("sample_steps", 20)), float(info.get("sample_eta", 0.0))
    with torch.no_grad():
        x, _ = sample(unet, sched, cls, initial_noise(keys, n, steps if eta > 0 else 0), steps, eta=eta)
    ims = to_uint8(x)
    rows = []
    for i in range(len(classes)):
        row = [cv2.resize(im, (n * upscale, n * upscale), interpolation=cv2.INTER_CUBIC) for im in ims[i * per_class:(i + 1) * per_class]]
        rows.append(np.concatenate(row, 1))
    grid = np.concatenate(rows, 0)
    cv2.imwrite(str(png), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))

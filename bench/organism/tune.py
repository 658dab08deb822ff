"""Preference tuning by reward backpropagation (DRaFT-K / AlignProp style).

Each update samples a batch with the checkpoint's own DDIM sampler
(``sample_steps``, ``sample_eta``; the step noise is reparameterised, so the
graph is that of a fixed-noise trajectory) from fresh seeded noise and random scene ids,
keeps the autograd graph only through the last ``K`` denoising steps, and
ascends

    loss = - mean reward(x_0) + lambda * mean_k || eps_theta(x_tk) - eps_base(x_tk) ||^2

where the second term (the squared difference between the tuned and the
frozen base noise prediction on the tuned model's own trajectory, averaged
over the K graph steps and all pixels) is a KL surrogate: for two Gaussian
reverse processes with the same variance the per-step KL is proportional to
it.  ``lambda`` is the regularisation strength to sweep.  The reward is the
mean-preference BT reward (``--reward mean``) or the distributional
soft-min over rater types (``--reward dist``, see :mod:`bench.organism.reward`).

Checkpoints are written every ``save_every`` updates to
``OUT/steps/step-NNN`` and the last one to ``OUT`` itself.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

DEFAULTS = dict(reward="mean", lam=0.0, updates=60, k=4, batch=8, lr=1e-4, grad_clip=1.0, save_every=20, seed=0)


def tune(base, reward_dir, out, *, log=print, **overrides) -> dict:
    import copy

    import numpy as np
    import torch

    from .model import initial_noise, load_folder, sample, save_folder, weights_hash
    from .reward import Rewards

    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    torch.set_num_threads(int(cfg.get("threads", 2)))
    torch.manual_seed(cfg["seed"])
    unet, sched, info = load_folder(base)
    base_unet = copy.deepcopy(unet).eval()
    for p in base_unet.parameters():
        p.requires_grad_(False)
    unet.train()
    rewards = Rewards(reward_dir)
    reward_fn = rewards.get(cfg["reward"])
    steps = int(info.get("sample_steps", 20))
    eta = float(info.get("sample_eta", 0.0))
    n_cls = len(info["classes"])
    native = int(info["native_size"])
    opt = torch.optim.AdamW(unet.parameters(), lr=cfg["lr"], weight_decay=0.0)
    g = torch.Generator().manual_seed(cfg["seed"])
    out = Path(out)
    rows = []
    t0 = time.time()
    base_params = [p.detach().clone() for p in base_unet.parameters()]

    def info_for(update):
        d = {
            **{k: v for k, v in info.items() if k not in ("tune",)},
            "stage": "tuned",
            "tune": {"config": cfg, "update": update, "base": str(base), "base_weights_sha256_16": weights_hash(base),
                     "reward_dir": str(reward_dir), "log": rows},
        }
        return d

    for u in range(1, int(cfg["updates"]) + 1):
        cls = torch.randint(0, n_cls, (cfg["batch"],), generator=g)
        keys = [f"tune|{cfg['seed']}|{u}|{i}" for i in range(cfg["batch"])]
        noise = initial_noise(keys, native, steps if eta > 0 else 0)
        x0, rec = sample(unet, sched, cls, noise, steps, eta=eta, grad_last=int(cfg["k"]), record_eps=True)
        r = reward_fn(x0)
        kl = torch.zeros(())
        for t, xt, eps in rec:
            with torch.no_grad():
                eps_b = base_unet(xt.detach(), t, class_labels=cls).sample
            kl = kl + ((eps - eps_b) ** 2).mean()
        kl = kl / max(1, len(rec))
        loss = -r.mean() + cfg["lam"] * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(unet.parameters(), cfg["grad_clip"])
        opt.step()
        with torch.no_grad():
            dw = float(torch.sqrt(sum(((p - q) ** 2).sum() for p, q in zip(unet.parameters(), base_params))))
        row = {"update": u, "reward": float(r.mean().detach()), "kl": float(kl.detach()), "grad_norm": float(gn),
               "weight_dist": dw, "elapsed_s": round(time.time() - t0, 1)}
        rows.append(row)
        if u % 5 == 0 or u == 1:
            log(f"organism tune [{cfg['reward']} lam={cfg['lam']:g}]: update {u}/{cfg['updates']} reward {row['reward']:.3f} "
                f"kl {row['kl']:.5f} |w-w0| {dw:.4f} ({row['elapsed_s']:.0f} s)")
        if cfg["save_every"] and u % cfg["save_every"] == 0 and u < cfg["updates"]:
            save_folder(out / "steps" / f"step-{u:03d}", unet, info_for(u), sched)
    res = info_for(int(cfg["updates"]))
    res["tune"]["tune_s"] = round(time.time() - t0, 1)
    save_folder(out, unet, res, sched)
    (out / "tune_log.json").write_text(json.dumps(rows, indent=1) + "\n")
    log(f"organism tune: saved {out} ({res['tune']['tune_s']:.0f} s)")
    return res

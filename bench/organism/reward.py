"""Learned rewards from the simulated raters' pairwise judgements, and the
scene classifier used for prompt fidelity.

* ``mean`` reward: a small CNN ``r(x)`` on native-size images fitted with the
  Bradley-Terry likelihood ``P(a over b) = sigmoid(r(a) - r(b))`` on all
  judgements, pooled over raters (the usual "average preference" reward).
* ``cond`` reward: the same trunk with one head per rater type,
  ``r_k(x)``, fitted on each judgement with its rater's type (a
  rater-conditioned model that keeps the minority's taste).
* distributional tuning reward (:func:`dist_reward`): a soft-minimum over
  types of the standardised type rewards, ``-tau log mean_k exp(-z_k / tau)``
  with ``z_k = (r_k - mu_k) / sigma_k`` (mu, sigma over the raters' image
  pool) and tau = 0.5: it rewards what no type dislikes, so it cannot buy
  the majority's taste with the minority's.
* scene classifier: the same CNN shape with 12 outputs, trained on renderer
  images (every label combination) to tell which scene an image shows.

All nets are differentiable in the image (the tuning reward backpropagates
through them).  ``realgap organism rewards --out organism/reward`` fits all
three and writes ``reward.json`` with held-out accuracies.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .raters import RATER_TYPES, TYPE_NAMES, make_pairs, make_population, type_preference

DEFAULTS = dict(per_scene=200, n_pairs=20000, test_every=5, epochs=4, batch=256, lr=2e-3, seed=0, width=16,
                n_raters=200, jitter=0.25, beta=2.0, tau=0.5, clf_epochs=8)


N_SYMMETRY = 5


def symmetry_features(x):
    """Mirror / rotation self-similarity of a batch of images (B, 3, H, W) -> (B, 5).

    For each of five transforms of the picture (mirror left-right, mirror
    top-bottom, half-turn, mirror about either diagonal) the normalised
    cross-correlation of the high-passed grey image with its transform,
    maximised over all shifts (zero-padded FFT, so the axis or centre may sit
    anywhere): 1 for an image that is exactly symmetric about some axis or
    centre of that kind, near 0 for unstructured texture.  A plain CNN with
    global pooling cannot compare the two halves of a picture; with these
    inputs the reward can learn the raters' taste for symmetry.
    Differentiable (torch.fft).
    """
    import torch
    import torch.nn.functional as nnf

    g = x.mean(1)
    g = g - nnf.avg_pool2d(nnf.pad(g[:, None], (1, 1, 1, 1), mode="replicate"), 3, stride=1)[:, 0]
    g = g - g.mean((1, 2), keepdim=True)
    h, w = g.shape[1:]
    norm = (g * g).sum((1, 2)) + 1e-6
    fg = torch.fft.rfft2(g, s=(2 * h, 2 * w))
    feats = []
    for t in (g.flip(2), g.flip(1), g.flip(1).flip(2), g.transpose(1, 2), g.flip(1).flip(2).transpose(1, 2)):
        ft = torch.fft.rfft2(t, s=(2 * h, 2 * w))
        corr = torch.fft.irfft2(fg * ft.conj(), s=(2 * h, 2 * w))
        feats.append(corr.flatten(1).amax(1) / norm)
    return torch.stack(feats, 1)


def _net_class():
    import torch
    from torch import nn

    class ImageNet(nn.Module):
        """conv trunk (32 -> 4 px) + global pooling + colour statistics + symmetry features -> n_out."""

        def __init__(self, n_out: int, width: int = 32):
            super().__init__()
            w = width
            self.trunk = nn.Sequential(
                nn.Conv2d(3, w, 3, padding=1), nn.SiLU(),
                nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.SiLU(),
                nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), nn.SiLU(),
                nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), nn.SiLU(),
            )
            self.head = nn.Sequential(nn.Linear(4 * w + 7 + N_SYMMETRY, 64), nn.SiLU(), nn.Linear(64, n_out))
            self.n_out = n_out
            self.width = width

        def forward(self, x):
            h = self.trunk(x)
            grey = x.mean(1)
            stats = torch.cat([x.mean((2, 3)), x.std((2, 3)), grey.std((1, 2))[:, None], symmetry_features(x)], 1)
            feat = torch.cat([h.mean((2, 3)), h.amax((2, 3)), stats], 1)
            return self.head(feat)

    return ImageNet


def make_net(n_out: int, width: int = 32):
    return _net_class()(n_out, width)


def save_net(net, path) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(path),
              metadata={"n_out": str(net.n_out), "width": str(net.width)})


def load_net(path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected a reward / classifier file (make it with 'realgap organism rewards')")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    net = make_net(int(meta["n_out"]), int(meta["width"]))
    net.load_state_dict(load_file(str(path)))
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


class Rewards:
    """The fitted rewards of a reward folder (frozen), usable on torch images in [-1, 1]."""

    def __init__(self, folder):
        folder = Path(folder)
        self.folder = folder
        self.info = json.loads((folder / "reward.json").read_text())
        self.mean_net = load_net(folder / "reward_mean.safetensors")
        self.cond_net = load_net(folder / "reward_cond.safetensors")
        self.stats = self.info["cond_stats"]
        self.tau = float(self.info["config"]["tau"])

    def mean(self, x):
        return self.mean_net(x)[:, 0]

    def cond(self, x):
        return self.cond_net(x)

    def dist(self, x):
        return dist_reward(self.cond_net(x), self.stats, self.tau)

    def get(self, kind: str):
        return {"mean": self.mean, "dist": self.dist}[kind]


def dist_reward(r, stats: dict, tau: float):
    import torch

    mu = torch.tensor(stats["mean"], dtype=r.dtype)
    sd = torch.tensor(stats["std"], dtype=r.dtype)
    z = (r - mu) / sd
    return -tau * (torch.logsumexp(-z / tau, dim=1) - np.log(z.shape[1]))


def fit_bt(net, X, a, b, choice, types=None, *, epochs: int, batch: int, lr: float, seed: int, log=None):
    """Bradley-Terry fit; ``types`` given: logit uses the head of each pair's type."""
    import torch

    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    c = torch.as_tensor(choice, dtype=torch.float32)
    ty = None if types is None else torch.as_tensor(types)
    n = len(a)
    net.train()
    for ep in range(epochs):
        perm = torch.randperm(n, generator=g)
        tot = 0.0
        for s in range(0, n, batch):
            i = perm[s : s + batch]
            ra, rb = net(X[a[i]]), net(X[b[i]])
            if ty is None:
                logit = ra[:, 0] - rb[:, 0]
            else:
                logit = (ra - rb).gather(1, ty[i][:, None])[:, 0]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, c[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss.detach()) * len(i)
        if log:
            log(f"  epoch {ep + 1}/{epochs}: BT loss {tot / n:.4f}")
    net.eval()
    return net


def predict(net, X, batch: int = 1024):
    import torch

    with torch.no_grad():
        return torch.cat([net(X[s : s + batch]) for s in range(0, len(X), batch)]).numpy()


def pair_accuracy(score_a: np.ndarray, score_b: np.ndarray, target: np.ndarray) -> float:
    """Fraction of pairs where sign(score_a - score_b) agrees with target (1 = a); ties count half."""
    d = np.sign(score_a - score_b)
    t = np.where(target > 0.5, 1.0, -1.0)
    return float(np.mean(np.where(d == 0, 0.5, (d == t).astype(float))))


def evaluate(R_mean, R_cond, labels, pairs) -> dict:
    """Held-out accuracies of both rewards: against raters' choices, per rater type, and
    against each type's noise-free taste (sign of w_type . delta labels, ties dropped)."""
    a, b, ty, ch = pairs["a"], pairs["b"], pairs["type"], pairs["choice"]
    p = pairs["p"]
    out = {"n_pairs": int(len(a))}
    cond_own = R_cond[np.arange(len(R_cond)), :]
    for name, sa, sb in (
        ("mean", R_mean[a, 0], R_mean[b, 0]),
        ("cond", cond_own[a][np.arange(len(a)), ty], cond_own[b][np.arange(len(b)), ty]),
    ):
        blk = {"all": pair_accuracy(sa, sb, ch)}
        for k, tname in enumerate(TYPE_NAMES):
            m = ty == k
            blk[f"raters_{tname}"] = pair_accuracy(sa[m], sb[m], ch[m])
        out[name] = blk
    # noise-free taste of each type, on all held-out pairs (ties dropped)
    for k, tname in enumerate(TYPE_NAMES):
        pref = type_preference(labels[a], labels[b], tname)
        m = pref != 0
        tgt = (pref[m] > 0).astype(float)
        out["mean"][f"taste_{tname}"] = pair_accuracy(R_mean[a[m], 0], R_mean[b[m], 0], tgt)
        out["cond"][f"taste_{tname}"] = pair_accuracy(R_cond[a[m], k], R_cond[b[m], k], tgt)
    # ceiling: the judging rater's own probability (the best any model can do on choices)
    out["oracle_choice_accuracy"] = float(np.mean(np.where(ch > 0.5, p, 1 - p)))
    for k, tname in enumerate(TYPE_NAMES):
        m = ty == k
        out[f"oracle_raters_{tname}"] = float(np.mean(np.where(ch[m] > 0.5, p[m], 1 - p[m])))
    return out


def fit_all(out, *, log=print, **overrides) -> dict:
    import torch

    from . import ORGANISM_SCENES
    from .data import labelled_dataset, scenes_by_id, to_tensor

    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    torch.set_num_threads(2)
    torch.manual_seed(cfg["seed"])
    t0 = time.time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scenes = scenes_by_id(ORGANISM_SCENES)
    pool = labelled_dataset(scenes, cfg["per_scene"], tag="raters")
    X = to_tensor(pool["images"])
    labels, cls = pool["labels"], pool["cls"]
    n = len(cls)
    test_item = (np.arange(n) % cfg["test_every"]) == 0
    pop = make_population(cfg["n_raters"], jitter=cfg["jitter"], beta=cfg["beta"], seed=cfg["seed"])
    log(f"organism rewards: {n} renderer images, {len(pop.types)} raters "
        f"({', '.join(f'{(pop.types == k).sum()} {t}' for k, t in enumerate(TYPE_NAMES))})")
    # pairs only within the train items or within the test items (items held out, not just pairs)
    tr_idx, te_idx = np.flatnonzero(~test_item), np.flatnonzero(test_item)
    ptr = make_pairs(labels[tr_idx], cls[tr_idx], pop, cfg["n_pairs"], seed=cfg["seed"] + 1)
    pte = make_pairs(labels[te_idx], cls[te_idx], pop, max(2000, cfg["n_pairs"] // 5), seed=cfg["seed"] + 2)
    for p, idx in ((ptr, tr_idx), (pte, te_idx)):
        p["a"], p["b"] = idx[p["a"]], idx[p["b"]]
    log("organism rewards: fitting the mean-preference BT reward")
    mean_net = fit_bt(make_net(1, cfg["width"]), X, ptr["a"], ptr["b"], ptr["choice"], epochs=cfg["epochs"], batch=cfg["batch"],
                      lr=cfg["lr"], seed=cfg["seed"], log=log)
    log("organism rewards: fitting the rater-conditioned BT reward")
    cond_net = fit_bt(make_net(len(TYPE_NAMES), cfg["width"]), X, ptr["a"], ptr["b"], ptr["choice"], ptr["type"],
                      epochs=cfg["epochs"], batch=cfg["batch"], lr=cfg["lr"], seed=cfg["seed"], log=log)
    R_mean, R_cond = predict(mean_net, X), predict(cond_net, X)
    acc = evaluate(R_mean, R_cond, labels, pte)
    acc_train = evaluate(R_mean, R_cond, labels, ptr)
    stats = {"mean": R_cond[~test_item].mean(0).tolist(), "std": (R_cond[~test_item].std(0) + 1e-6).tolist()}
    # what each reward has learned, per label: mean reward difference label=1 minus label=0 (test items)
    from bench.generators.procedural import LABELS

    def label_effects(R):
        return {lab: float(R[test_item & (labels[:, j] > 0.5)].mean() - R[test_item & (labels[:, j] < 0.5)].mean())
                for j, lab in enumerate(LABELS)}

    effects = {"mean": label_effects(R_mean[:, 0])}
    for k, t in enumerate(TYPE_NAMES):
        effects[f"cond_{t}"] = label_effects(R_cond[:, k])
    log("organism rewards: fitting the scene classifier")
    clf = make_net(len(scenes), cfg["width"])
    g = torch.Generator().manual_seed(cfg["seed"])
    opt = torch.optim.Adam(clf.parameters(), lr=cfg["lr"])
    Y = torch.as_tensor(cls)
    tr = torch.as_tensor(tr_idx)
    clf.train()
    for ep in range(cfg["clf_epochs"]):
        perm = tr[torch.randperm(len(tr), generator=g)]
        for s in range(0, len(perm), 128):
            i = perm[s : s + 128]
            loss = torch.nn.functional.cross_entropy(clf(X[i]), Y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    clf.eval()
    clf_acc = float((predict(clf, X[te_idx]).argmax(1) == cls[te_idx]).mean())
    log(f"organism rewards: scene classifier held-out accuracy {clf_acc:.3f}")
    save_net(mean_net, out / "reward_mean.safetensors")
    save_net(cond_net, out / "reward_cond.safetensors")
    save_net(clf, out / "scene_clf.safetensors")
    info = {
        "config": cfg,
        "classes": list(ORGANISM_SCENES),
        "rater_types": {t: {"share": v["share"], "w": v["w"]} for t, v in RATER_TYPES.items()},
        "type_names": list(TYPE_NAMES),
        "n_images": int(n), "n_test_images": int(test_item.sum()),
        "n_train_pairs": int(len(ptr["a"])),
        "accuracy_heldout": acc,
        "accuracy_train": acc_train,
        "label_effects_heldout": effects,
        "cond_stats": stats,
        "scene_classifier_heldout_accuracy": clf_acc,
        "fit_s": round(time.time() - t0, 1),
    }
    (out / "reward.json").write_text(json.dumps(info, indent=2) + "\n")
    log(f"organism rewards: held-out accuracy mean {acc['mean']} cond {acc['cond']}")
    return info

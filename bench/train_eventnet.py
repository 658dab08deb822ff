"""Train EventNet (:mod:`metrics.eventnet`) on the design sources, on the CPU, and export it.

Three steps, each resumable by re-running it (a fourth, optional, makes the clutter)::

    python -m bench.train_eventnet data   --out runs/eventnet/data --renders 10000   # ~8-15 min on 2 cores
    python -m bench.train_eventnet train  --data runs/eventnet/data --epochs 8 --out runs/eventnet/eventnet.pt  # ~50 min
    python -m bench.train_eventnet export runs/eventnet/eventnet.pt --out metrics/models/eventnet.onnx

    python -m bench.train_eventnet textures --root MIRRORS --out runs/eventnet/textures.npz  # then train --textures ...

These commands, without ``--real``, are how the shipped weights were made (the
shipped network was trained by the development script these steps were cut
from, on the same data and schedule; this module's ``train`` draws its batches
in a different order, so a retrain matches it in kind, not bit for bit).
A variant that also saw the real tune half, and one trained with ``--textures``,
were measured and not shipped (docs/scorers.md, "EventNet").

``data`` renders labelled images from the two *design* sources only -- the
procedural renderer (40 %) and ``sim`` (60 %; 1 in 9 of its images a
``pre`` state) -- never from the held-out ``studio`` source (docs/labels.md). ``--mix`` sets other shares
(``--mix sim=0.45,procedural=0.3,sidecam=0.25``); it names design sources only and refuses the
held-out one; the default reproduces the shipped network's renders.
With ``--real validate/real/recipe.csv --real-root DIR`` it also keeps the
photographs of the recipe's *tune* half (``real_tune.npz``: the whole frame
and its phase label, no masks); the report half is never read.  Each render is degraded with validate's
nuisance (JPEG, noise, blur, gain) and cut into up to three views: the whole
frame, the event's box with a wide margin and with a tight one (from the
source's structure mask), each letterboxed to 160 px with the structure and
pieces masks at 80 px.  Chunks of 1,250 renders are written as
``chunk_<k>.npz``; an existing chunk is kept.

``train`` fits the network (each real tune photograph is seen ``--real-weight``
times an epoch): per-pixel BCE + Dice on the structure mask, BCE
on the pieces mask (where the source has one), cross-entropy on the phase
and BCE on the symmetric / plausible labels; AdamW with a one-cycle learning
rate, batch 48, and domain randomisation per batch (flips with the impact
direction, grey, polarity inversion, channel shuffle, blur, a low native
resolution enlarged, noise).  It saves
after every epoch.

``textures`` crops two 160 px squares from each of 327 unrelated photographs
(portraits, artwork, lab benches, astronomy pages: MIT-licensed, pinned by
repository, commit, path and SHA-256 in ``bench/eventnet_textures.csv``, none
showing a fracture, impact or splash, none from the real recipe) read from git
mirrors or plain copies, as the real recipe is (transparent pixels on white).
The network measured with clutter in docs/scorers.md was trained on crops made
before that rule, when transparent pixels kept whatever colour the file
stored (17 of the 654 crops differ).
With ``train --textures``, a share (``--clutter``, 0.35) of the training views
get one of them blended into the scene around the event or laid over the
event's own pixels, and a lighting ramp (:func:`_clutter`): photographic
texture the network must learn to ignore.

``export`` writes the ONNX file that ONNX Runtime runs (torch and the
``onnx`` package, ``pip install -e '.[train]'``, are needed only here) and
prints its SHA-256 for :data:`metrics.eventnet.MODEL_SHA256`.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

INPUT = 160
MASK = 80
CHUNK = 1250
SHAPES = ((256, 256), (224, 288), (288, 224), (320, 320), (240, 320), (320, 240), (200, 320), (360, 360))
FAMILIES = ("fracture", "impact", "fluid")
PHASES = ("pre", "transitional", "end")


# ------------------------------------------------------------------ data
def _letterbox(img, box, size, border):
    import cv2

    x0, y0, x1, y1 = box
    im = img[y0:y1, x0:x1]
    h, w = im.shape[:2]
    s = size / max(h, w)
    im = cv2.resize(im, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    top, left = (size - im.shape[0]) // 2, (size - im.shape[1]) // 2
    return cv2.copyMakeBorder(im, top, size - im.shape[0] - top, left, size - im.shape[1] - left, border, value=0)


def _event_box(mask, h, w, rng, margin):
    ys, xs = np.nonzero(mask > 0.2)
    if ys.size < 10:
        return None
    x0, x1 = np.percentile(xs, [1, 99])
    y0, y1 = np.percentile(ys, [1, 99])
    side = max(x1 - x0, y1 - y0) * (1 + rng.uniform(*margin)) + 16
    cx = (x0 + x1) / 2 + rng.uniform(-0.1, 0.1) * side
    cy = (y0 + y1) / 2 + rng.uniform(-0.1, 0.1) * side
    box = (int(max(0, cx - side / 2)), int(max(0, cy - side / 2)), int(min(w, cx + side / 2)), int(min(h, cy + side / 2)))
    return box if box[2] - box[0] >= 32 and box[3] - box[1] >= 32 else None


MIX = (("sim", 0.6), ("procedural", 0.4))
"""The design sources and their shares of the training renders (the shipped network's)."""


def parse_mix(text: str) -> tuple[tuple[str, float], ...]:
    """``"sim=0.6,procedural=0.4"`` -> ((name, share), ...): design sources only, shares summing to 1."""
    from bench.sources import SOURCES

    mix = []
    for part in text.split(","):
        name, _, share = part.partition("=")
        name = name.strip()
        if SOURCES.get(name) is None or SOURCES[name].role == "held-out":
            raise ValueError(f"--mix: expected design sources ({', '.join(k for k, v in SOURCES.items() if v.role != 'held-out')}); "
                             f"got {name!r}")
        try:
            mix.append((name, float(share)))
        except ValueError:
            raise ValueError(f"--mix: expected NAME=SHARE, e.g. sim=0.6; got {part!r}") from None
    if abs(sum(v for _, v in mix) - 1) > 1e-6 or any(v <= 0 for _, v in mix):
        raise ValueError(f"--mix: expected positive shares summing to 1; got {text!r}")
    return tuple(mix)


def _pick(u: float, mix) -> str:
    acc = 0.0
    for name, share in mix:
        acc += share
        if u < acc:
            return name
    return mix[-1][0]


def render_sample(i: int, mix=MIX) -> list[tuple]:
    """Views of training render ``i``: (image 160 px, structure 80 px, pieces 80 px, labels, direction).

    ``mix`` gives the design sources' shares; one in nine renders of a source that draws
    ``pre`` states is one."""
    import cv2

    cv2.setNumThreads(1)
    from bench.sources import SOURCES, get_source
    from bench.spec import bundled_scenes
    from bench.validate import Item, degrade

    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(f"train3-{i}".encode()).digest()[:8], "little"))
    scenes = bundled_scenes()
    source = _pick(rng.random(), mix)
    sc = scenes[rng.integers(len(scenes))]
    if "pre" in SOURCES[source].phases and rng.random() < 1 / 9:
        labels = {"symmetric": None, "phase": "pre", "plausible": None}
    else:
        labels = {"symmetric": bool(rng.random() < 0.5), "phase": "transitional" if rng.random() < 0.5 else "end",
                  "plausible": bool(rng.random() < 0.5)}
    shape = SHAPES[rng.integers(len(SHAPES))]
    extra = {"polished": bool(rng.random() < 0.5)} if source == "procedural" else {}
    layers = get_source(source).render_layers(sc, 90_000 + i, labels=labels, shape=shape, **extra)
    item = Item(index=i, source=source, scene_id=sc.id, family=sc.family, seed=i, labels={}, shape=shape,
                jpeg=[None, 90, 75, 60][rng.integers(4)], noise=float(rng.choice([0, 0.01, 0.02, 0.03])),
                blur=float(rng.choice([0, 0.6, 1.0])), gain=float(rng.choice([0.8, 1.0, 1.2])))
    img = degrade(layers["image"], item)
    h, w = img.shape[:2]
    struct = layers["structure"].astype(np.float32)
    pieces = (layers["pieces"] > 0).astype(np.float32) if "pieces" in layers else None
    y = np.array([FAMILIES.index(sc.family), PHASES.index(labels["phase"]),
                  -1 if labels["symmetric"] is None else int(labels["symmetric"]),
                  -1 if labels["plausible"] is None else int(labels["plausible"]),
                  source == "sim", pieces is not None], np.int8)
    boxes = [(0, 0, w, h)]
    for margin in ((0.25, 0.6), (0.05, 0.2)):
        b = _event_box(struct, h, w, rng, margin)
        if b is not None and (b[2] - b[0]) * (b[3] - b[1]) < 0.8 * w * h:
            boxes.append(b)
    out = []
    for box in boxes:
        x = _letterbox(img, box, INPUT, cv2.BORDER_REPLICATE)
        ms = _letterbox(struct, box, MASK, cv2.BORDER_CONSTANT)
        mp = _letterbox(pieces, box, MASK, cv2.BORDER_CONSTANT) if pieces is not None else np.zeros((MASK, MASK), np.float32)
        out.append((x, (np.clip(ms, 0, 1) * 255).astype(np.uint8), (np.clip(mp, 0, 1) * 255).astype(np.uint8), y,
                    np.asarray(sc.physics.impact_direction, np.float32)))
    return out


def real_tune_views(recipe: Path, roots: list[Path], cache: Path | None = None) -> list[tuple]:
    """Views of the real recipe's *tune* half (never the report half): the whole frame, the phase
    (and symmetric) label, no masks (source kind 2)."""
    import cv2

    from bench.realset import build, load_recipe

    items = [i for i in load_recipe(recipe) if i.split == "tune"]
    out = []
    for b in build(items, roots, cache=cache):
        if b.image is None:
            continue
        it = b.item
        h, w = b.image.shape[:2]
        x = _letterbox(b.image, (0, 0, w, h), INPUT, cv2.BORDER_REPLICATE)
        y = np.array([FAMILIES.index(it.family), PHASES.index(it.phase), -1 if it.symmetric is None else int(it.symmetric),
                      -1, 2, 0], np.int8)
        zero = np.zeros((MASK, MASK), np.uint8)
        out.append((x, zero, zero, y, np.zeros(2, np.float32)))
    return out


TEXTURES = Path(__file__).with_name("eventnet_textures.csv")
"""Unrelated photographs (MIT-licensed, pinned) used as scene clutter in training."""


def make_textures(roots: list[Path], out: Path, recipe: Path = TEXTURES, per_image: int = 2) -> int:
    """Crop ``per_image`` random 160 px squares (at random scales) from each photograph of
    ``recipe`` found in ``roots`` (git mirrors or plain copies, SHA-256 checked, as the real
    recipe's files: :func:`bench.realset.raw_bytes`) and save them as ``out`` (``x``: uint8)."""
    import csv
    import io
    from types import SimpleNamespace

    import cv2
    from PIL import Image

    from bench.imageio import atomic_write_bytes
    from bench.realset import RAW_URL, _to_rgb, raw_bytes

    rng = np.random.default_rng(0)
    crops, missing = [], 0
    for row in csv.DictReader(recipe.open()):
        data, _ = raw_bytes(SimpleNamespace(**row, url=RAW_URL.format(**row)), roots)
        if data is None:
            missing += 1
            continue
        with Image.open(io.BytesIO(data)) as im:
            rgb = _to_rgb(im)
        h, w = rgb.shape[:2]
        for _ in range(per_image):
            side = int(min(h, w) * rng.uniform(0.3, 1.0))
            if side < 32:  # a small picture: take it whole
                side = min(h, w)
            y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            crops.append(cv2.resize(rgb[y0:y0 + side, x0:x0 + side], (INPUT, INPUT), interpolation=cv2.INTER_AREA))
    if not crops:
        raise SystemExit(f"{recipe}: none of its photographs was found under {', '.join(map(str, roots))}")
    buf = io.BytesIO()
    np.savez_compressed(buf, x=np.stack(crops))
    atomic_write_bytes(out, buf.getvalue())
    print(f"{out}: {len(crops)} crops ({missing} photographs not found)")
    return len(crops)


def _save_views(path: Path, res: list[tuple]) -> None:
    import io

    from bench.imageio import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, x=np.stack([r[0] for r in res]), ms=np.stack([r[1] for r in res]),
                        mp=np.stack([r[2] for r in res]), y=np.stack([r[3] for r in res]), d=np.stack([r[4] for r in res]))
    atomic_write_bytes(path, buf.getvalue())


def make_data(out: Path, renders: int, workers: int = 2, mix=MIX) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    for k in tqdm(range((renders + CHUNK - 1) // CHUNK), desc="eventnet data", unit="chunk", file=sys.stderr):
        path = out / f"chunk_{k}.npz"
        if path.exists():
            continue
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            res = [v for r in pool.map(partial(render_sample, mix=mix), range(k * CHUNK, min(renders, (k + 1) * CHUNK)),
                                       chunksize=16) for v in r]
        _save_views(path, res)


# ------------------------------------------------------------------ network
def build_net():
    import torch
    import torch.nn as nn
    import torch.nn.functional as Fn

    def cbr(cin, cout, stride=1):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class EventNet(nn.Module):
        """U-Net: encoder to 1/16, decoder to 1/2 (structure, pieces), and a head on pooled and mask-attended features."""

        def __init__(self, c=(16, 32, 56, 96)):
            super().__init__()
            self.e1 = nn.Sequential(cbr(4, c[0], 2), cbr(c[0], c[0]))
            self.e2 = nn.Sequential(cbr(c[0], c[1], 2), cbr(c[1], c[1]))
            self.e3 = nn.Sequential(cbr(c[1], c[2], 2), cbr(c[2], c[2]))
            self.e4 = nn.Sequential(cbr(c[2], c[3], 2), cbr(c[3], c[3]))
            self.d3 = cbr(c[3] + c[2], c[2])
            self.d2 = cbr(c[2] + c[1], c[1])
            self.d1 = cbr(c[1] + c[0], 24)
            self.seg = nn.Conv2d(24, 2, 1)
            self.drop = nn.Dropout(0.3)
            self.head = nn.Linear(2 * c[3] + c[3] + 2 * 24 + 2, 5)

        def forward(self, x, d):
            e1 = self.e1(x)
            e2 = self.e2(e1)
            e3 = self.e3(e2)
            e4 = self.e4(e3)
            u = self.d3(torch.cat([Fn.interpolate(e4, scale_factor=2, mode="nearest"), e3], 1))
            u = self.d2(torch.cat([Fn.interpolate(u, scale_factor=2, mode="nearest"), e2], 1))
            u = self.d1(torch.cat([Fn.interpolate(u, scale_factor=2, mode="nearest"), e1], 1))
            seg = self.seg(u)
            att = torch.sigmoid(seg[:, :1])
            att4 = Fn.adaptive_avg_pool2d(att, e4.shape[2:])
            pooled = (e4 * att4).sum((2, 3)) / (att4.sum((2, 3)) + 1e-3)
            upool = torch.cat([(u * att).sum((2, 3)) / (att.sum((2, 3)) + 1e-3), u.amax((2, 3))], 1)
            f = torch.cat([e4.mean((2, 3)), e4.amax((2, 3)), pooled, upool, d], 1)
            return seg, self.head(self.drop(f))

    return EventNet()


def prep_batch(x_u8):
    """uint8 N x S x S x 3 -> float N x 4 x S x S, exactly as :func:`metrics.eventnet.prep`."""
    import torch

    return _prep_float(torch.from_numpy(x_u8).float().permute(0, 3, 1, 2) / 255.0)


def _prep_float(x):
    """float N x 3 x S x S in [0, 1] -> the network input (see :func:`prep_batch`)."""
    import torch
    import torch.nn.functional as Fn

    xn = (x - x.mean((1, 2, 3), keepdim=True)) / (x.std((1, 2, 3), keepdim=True) + 0.03)
    g = x.mean(1, keepdim=True)
    lc = g - Fn.avg_pool2d(Fn.pad(g, (7, 7, 7, 7), mode="replicate"), 15, 1)
    lc = lc / (lc.std((1, 2, 3), keepdim=True) + 0.01)
    return torch.cat([xn, lc], 1)


def _clutter(x, ms, tex, gen):
    """Photographs in the scene, not in the event: each picked image (float N x 3 x S x S in
    [0, 1]) gets a random crop of an unrelated photograph (``tex``, uint8 K x S x S x 3)
    blended into its background (outside the dilated structure mask) at 20-60 %, or laid
    as a texture over the event's own pixels at 15-40 %, and a lighting ramp across the
    frame.  The labels stay true: the event's shape and pieces are untouched in the
    first case and only re-textured in the second."""
    import torch
    import torch.nn.functional as Fn

    n = x.shape[0]
    t = torch.from_numpy(tex[torch.randint(0, len(tex), (n,), generator=gen).numpy()]).float().permute(0, 3, 1, 2) / 255
    keep = Fn.max_pool2d(Fn.interpolate(ms, size=x.shape[2:], mode="bilinear", align_corners=False), 9, 1, 4).clamp(0, 1)
    a = 0.2 + 0.4 * torch.rand(n, 1, 1, 1, generator=gen)
    b = 0.15 + 0.25 * torch.rand(n, 1, 1, 1, generator=gen)
    inside = (torch.rand(n, 1, 1, 1, generator=gen) < 0.4).float()
    back = keep * x + (1 - keep) * ((1 - a) * x + a * t)
    skin = (1 - keep * b) * x + keep * b * (2 * x * t).clamp(0, 1)
    x = inside * skin + (1 - inside) * back
    ramp = torch.linspace(-1, 1, x.shape[3]).view(1, 1, 1, -1)
    g = 0.3 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    if bool(torch.rand(1, generator=gen) < 0.5):
        ramp = ramp.transpose(2, 3)
    return (x * (1 + g * ramp)).clamp(0, 1)


def _batch(arrays, idx, train: bool, gen, tex=None, clutter: float = 0.0):
    import torch
    import torch.nn.functional as Fn

    X, MS, MP, Y, D = arrays
    ms = torch.from_numpy(MS[idx]).float()[:, None] / 255
    mp = torch.from_numpy(MP[idx]).float()[:, None] / 255
    xf = torch.from_numpy(X[idx]).float().permute(0, 3, 1, 2) / 255.0
    if train and tex is not None and clutter > 0:
        pick = torch.rand(len(idx), generator=gen) < clutter
        if pick.any():
            xf[pick] = _clutter(xf[pick], ms[pick], tex, gen)
    x = _prep_float(xf)
    y = torch.from_numpy(Y[idx].astype(np.int64))
    d = torch.from_numpy(D[idx]).float()
    if train:
        n = x.shape[0]
        r = lambda p: torch.rand(n, generator=gen) < p  # noqa: E731
        fh, fv = r(0.5), r(0.5)
        x[fh], ms[fh], mp[fh] = x[fh].flip(3), ms[fh].flip(3), mp[fh].flip(3)
        d[fh, 0] = -d[fh, 0]
        x[fv], ms[fv], mp[fv] = x[fv].flip(2), ms[fv].flip(2), mp[fv].flip(2)
        d[fv, 1] = -d[fv, 1]
        d[r(0.3)] = 0
        x = x + 0.05 * torch.randn(x.shape, generator=gen) * (torch.rand(n, 1, 1, 1, generator=gen) < 0.5)
        grey = r(0.2)
        x[grey, :3] = x[grey, :3].mean(1, keepdim=True)
        inv = r(0.2)
        x[inv] = -x[inv]
        shuf = r(0.2)
        if shuf.any():
            x[shuf, :3] = x[shuf][:, torch.randperm(3, generator=gen)]
        blur = r(0.15)
        if blur.any():
            x[blur] = Fn.avg_pool2d(Fn.pad(x[blur], (1, 1, 1, 1), mode="replicate"), 3, 1)
        soft = r(0.15)  # a low native resolution, enlarged: 1/2 to 1/5 of the side
        if soft.any():
            f = int(torch.randint(2, 6, (1,), generator=gen))
            x[soft] = Fn.interpolate(Fn.avg_pool2d(x[soft], f, ceil_mode=True), size=x.shape[2:], mode="bilinear",
                                     align_corners=False)
    return x, ms, mp, y, d


def _losses(seg, out, ms, mp, y):
    import torch
    import torch.nn.functional as Fn

    pos = torch.tensor(4.0)
    hs = y[:, 4] != 2  # real photographs have no masks
    ls = seg.sum() * 0
    if hs.any():
        ls = Fn.binary_cross_entropy_with_logits(seg[hs, :1], ms[hs], pos_weight=pos)
        ps = torch.sigmoid(seg[hs, :1])
        dice = 1 - (2 * (ps * ms[hs]).sum((1, 2, 3)) + 1) / (ps.sum((1, 2, 3)) + ms[hs].sum((1, 2, 3)) + 1)
        ls = ls + 0.5 * dice.mean()
    hp = y[:, 5] > 0
    if hp.any():
        ls = ls + Fn.binary_cross_entropy_with_logits(seg[hp, 1:2], mp[hp], pos_weight=pos)
    lc = Fn.cross_entropy(out[:, :3], y[:, 1])
    for col, k in ((2, 3), (3, 4)):
        m = y[:, col] >= 0
        if m.any():
            lc = lc + Fn.binary_cross_entropy_with_logits(out[m, k], y[m, col].float())
    return ls, lc


def train(data: Path, epochs: int, out: Path, threads: int = 2, real_weight: int = 6,
          textures: Path | None = None, clutter: float = 0.35) -> None:
    import torch

    from bench.validate import auroc

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    parts = {k: [] for k in ("x", "ms", "mp", "y", "d")}
    for p in sorted(data.glob("chunk_*.npz")) + sorted(data.glob("real_tune.npz")):
        z = np.load(p)
        for k in parts:
            parts[k].append(z[k])
    arrays = [np.concatenate(parts[k]) for k in ("x", "ms", "mp", "y", "d")]
    tex = np.load(textures)["x"] if textures is not None else None
    n = len(arrays[0])
    rng = np.random.default_rng(0)
    real = np.flatnonzero(arrays[3][:, 4] == 2)
    synth = rng.permutation(np.flatnonzero(arrays[3][:, 4] != 2))
    nval = max(256, synth.size // 12)
    va = synth[:nval]  # validation on held-back synthetic views only
    tr = np.concatenate([synth[nval:]] + [real] * real_weight)  # the real tune half, seen real_weight times an epoch
    net = build_net()
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-3)
    bs = 48
    spe = len(tr) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * spe, pct_start=0.15)
    t0 = time.time()
    for ep in range(epochs):
        net.train()
        perm = rng.permutation(tr)
        a = b = 0.0
        for k in range(spe):
            x, ms, mp, y, d = _batch(arrays, perm[k * bs:(k + 1) * bs], True, gen, tex, clutter)
            seg, o = net(x, d)
            l1, l2 = _losses(seg, o, ms, mp, y)
            opt.zero_grad()
            (l1 + l2).backward()
            opt.step()
            sched.step()
            a, b = a + l1.item(), b + l2.item()
        net.eval()
        with torch.no_grad():
            o = torch.cat([net(*[_batch(arrays, va[k:k + 128], False, gen)[i] for i in (0, 4)])[1]
                           for k in range(0, len(va), 128)]).numpy()
        Yv = arrays[3][va]
        pt = np.exp(o[:, :3] - o[:, :3].max(1, keepdims=True))
        pt = pt[:, 1] / pt.sum(1)
        m3 = Yv[:, 3] >= 0
        print(f"epoch {ep}: segmentation loss {a / spe:.3f}, label loss {b / spe:.3f}; validation AUROC transitional "
              f"{auroc(list(pt), list(Yv[:, 1] == 1)):.3f}, plausible {auroc(list(o[m3, 4]), list(Yv[m3, 3] == 1)):.3f} "
              f"({time.time() - t0:.0f} s)", flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), out)


def export(weights: Path, out: Path) -> str:
    import torch

    net = build_net()
    net.load_state_dict(torch.load(weights))
    net.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net, (torch.randn(1, 4, INPUT, INPUT), torch.zeros(1, 2)), str(out), input_names=["x", "d"],
                      output_names=["seg", "out"], opset_version=17, dynamo=False)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.train_eventnet", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("data", help="render training views from the design sources")
    q.add_argument("--out", type=Path, required=True)
    q.add_argument("--renders", type=int, default=10_000)
    q.add_argument("--workers", type=int, default=2)
    q.add_argument("--mix", default=",".join(f"{k}={v}" for k, v in MIX), metavar="NAME=SHARE,...",
                   help="design sources and their shares of the renders (default: %(default)s)")
    q.add_argument("--real", type=Path, default=None, metavar="RECIPE",
                   help="also write real_tune.npz from the recipe's tune half (never the report half)")
    q.add_argument("--real-root", type=Path, action="append", default=[], metavar="DIR")
    q.add_argument("--real-cache", type=Path, default=None, metavar="DIR")
    q = sub.add_parser("train", help="fit the network (saves after every epoch)")
    q.add_argument("--data", type=Path, required=True)
    q.add_argument("--epochs", type=int, default=8)
    q.add_argument("--out", type=Path, required=True)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--real-weight", type=int, default=6, help="times each real tune image is seen per epoch")
    q.add_argument("--textures", type=Path, default=None, metavar="NPZ",
                   help="clutter crops from 'textures' (off when not given)")
    q.add_argument("--clutter", type=float, default=0.35, help="share of training views given clutter (default: %(default)s)")
    q = sub.add_parser("textures", help="crop the clutter photographs of bench/eventnet_textures.csv from git mirrors")
    q.add_argument("--root", type=Path, action="append", required=True, metavar="DIR")
    q.add_argument("--out", type=Path, required=True)
    q = sub.add_parser("export", help="write the ONNX model and print its SHA-256")
    q.add_argument("weights", type=Path)
    q.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "metrics" / "models" / "eventnet.onnx")
    a = p.parse_args(argv)
    if a.cmd == "data":
        try:
            mix = parse_mix(a.mix)
        except ValueError as e:
            p.error(str(e))
        make_data(a.out, a.renders, a.workers, mix)
        if a.real is not None:
            views = real_tune_views(a.real, a.real_root, a.real_cache)
            _save_views(a.out / "real_tune.npz", views)
            print(f"{a.out / 'real_tune.npz'}: {len(views)} real tune images")
    elif a.cmd == "train":
        train(a.data, a.epochs, a.out, a.threads, a.real_weight, a.textures, a.clutter)
    elif a.cmd == "textures":
        make_textures(a.root, a.out)
    else:
        print(f"{a.out}  sha256 {export(a.weights, a.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

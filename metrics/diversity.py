"""Diversity of a set of images: the Vendi score over image features.

Preference tuning against a mean-preference reward narrows a model's outputs
(mode collapse, PHYSICS.md), so realgap reports, for each scene, how different
the images of its seeds are from each other.

The measure is the Vendi score [1]_: for ``n`` feature vectors ``x_i`` with
unit length (rows of ``X``), the cosine-similarity kernel ``K = X X^T / n``
has eigenvalues ``lambda_i >= 0`` that sum to 1, and

    vendi = exp(-sum_i lambda_i log lambda_i)        (eigenvalues <= 0 ignored)

is the exponential of their Shannon entropy: the *effective number of distinct
images*.  It is 1 when all ``n`` images have the same features and ``n`` when
their features are mutually orthogonal.  Because the range depends on ``n``,
realgap also reports the normalised

    diversity = (vendi - 1) / (n - 1)    in [0, 1]   (n >= 2)

0 = every image alike, 1 = every image as different as the features allow.
Compare ``diversity`` only between sets of the same ``n`` where possible (runs
with the same number of seeds); with a few failed images, a scene's ``n``
drops and its value stays on the same 0..1 scale but is estimated from fewer
images.

Features
--------
``"classical"`` (the default, no weights): :func:`classical_features`, a pure
function of the image resampled to 128 x 128 px: a 16 x 16 grey thumbnail
(mean-centred), an 8 x 8 grid of gradient-orientation histograms (HOG-like,
9 unsigned bins weighted by gradient magnitude) and a 4 x 4 x 4 RGB colour
histogram (square-rooted, the Hellinger embedding).  Each block is L2-normalised
and the blocks are weighted equally.  They are deliberately *not* invariant to
position, mirroring, rotation or colour: a flipped splash or a recoloured
fragment field is a different picture.  Only global brightness is removed from
the thumbnail block (the colour block keeps it).

``"clip"`` (or any other name): pass ``embedder``, a callable that takes a list
of float32 H x W x 3 images in [0, 1] and returns an ``(n, d)`` array of
L2-normalised embeddings (e.g. ``metrics.clip_scores.ClipScorer.embed``); the
name is recorded as the features label.

References
----------
.. [1] Friedman, D. & Dieng, A. B. (2023). The Vendi Score: A Diversity
   Evaluation Metric for Machine Learning. Transactions on Machine Learning
   Research. arXiv:2210.02410
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import cv2
import numpy as np

FEATURE_SIDE = 128
"""Images are resampled to FEATURE_SIDE x FEATURE_SIDE px before feature extraction."""
THUMB_SIDE = 16
HOG_GRID = 8
HOG_BINS = 9
COLOUR_BINS = 4
CLASSICAL = "classical"

Embedder = Callable[[Sequence[np.ndarray]], np.ndarray]


def _check(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or min(arr.shape[:2]) < 2:
        raise ValueError(f"expected an H x W x 3 image (H, W >= 2); got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"expected a float image with values in [0, 1] (convert with skimage.img_as_float); got {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError("expected finite pixel values; the image contains NaN or inf")
    return np.clip(arr, 0.0, 1.0)


def _unit(v: np.ndarray) -> np.ndarray:
    """``v / |v|``; a (near-)zero block stays zero (it carries no information)."""
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else np.zeros_like(v)


def classical_features(image: np.ndarray) -> np.ndarray:
    """Feature vector (float64, unit length) of one image for the Vendi score.

    Parameters
    ----------
    image : ndarray
        float H x W x 3 in [0, 1].

    Returns
    -------
    ndarray
        ``16*16 + 8*8*9 + 4**3 = 896`` values: thumbnail, gradient-orientation
        grid and colour histogram blocks, each L2-normalised, concatenated and
        scaled to unit length.
    """
    img = _check(image)
    h, w = img.shape[:2]
    interp = cv2.INTER_AREA if max(h, w) > FEATURE_SIDE else cv2.INTER_LINEAR
    small = cv2.resize(img, (FEATURE_SIDE, FEATURE_SIDE), interpolation=interp)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)

    thumb = cv2.resize(grey, (THUMB_SIDE, THUMB_SIDE), interpolation=cv2.INTER_AREA).astype(np.float64).ravel()
    thumb = _unit(thumb - thumb.mean())

    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy).astype(np.float64)
    ang = np.mod(np.arctan2(gy, gx).astype(np.float64), math.pi)  # unsigned orientation in [0, pi)
    b = np.minimum((ang / math.pi * HOG_BINS).astype(np.int64), HOG_BINS - 1)
    cell = FEATURE_SIDE // HOG_GRID
    rows = np.arange(FEATURE_SIDE) // cell
    cid = (rows[:, None] * HOG_GRID + rows[None, :]) * HOG_BINS + b
    hog = np.bincount(cid.ravel(), weights=mag.ravel(), minlength=HOG_GRID * HOG_GRID * HOG_BINS)
    hog = _unit(hog)

    q = np.minimum((small.astype(np.float64) * COLOUR_BINS).astype(np.int64), COLOUR_BINS - 1)
    code = (q[..., 0] * COLOUR_BINS + q[..., 1]) * COLOUR_BINS + q[..., 2]
    hist = np.bincount(code.ravel(), minlength=COLOUR_BINS**3).astype(np.float64)
    colour = _unit(np.sqrt(hist / hist.sum()))

    return _unit(np.concatenate([thumb, hog, colour]))


def embed(images: Sequence[np.ndarray], *, features: str = CLASSICAL, embedder: Embedder | None = None) -> np.ndarray:
    """``(n, d)`` feature matrix of ``images`` (see the module docstring)."""
    images = list(images)
    if features == CLASSICAL:
        if embedder is not None:
            raise ValueError("features='classical' takes no embedder; give features a name such as 'clip' with it")
        if not images:
            return np.zeros((0, 0))
        return np.stack([classical_features(im) for im in images])
    if embedder is None:
        raise ValueError(
            f"features='{features}': expected an embedder callable (e.g. metrics.clip_scores.ClipScorer(...).embed); "
            "use features='classical' for the weight-free features"
        )
    if not images:
        return np.zeros((0, 0))
    x = np.asarray(embedder(images), dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != len(images):
        raise ValueError(f"features='{features}': expected the embedder to return an (n, d) array with n = {len(images)}; got shape {x.shape}")
    return x


def vendi_from_features(x: np.ndarray) -> float:
    """Vendi score of the rows of ``x`` (rows are L2-normalised here; cosine kernel).

    Rows are put in a canonical (lexicographic) order first, so the score is
    bit-identical under any permutation of the inputs.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"expected an (n, d) feature matrix with n >= 1; got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("expected finite feature values; got NaN or inf")
    norms = np.linalg.norm(x, axis=1)
    if (norms <= 1e-12).any():
        raise ValueError(f"expected non-zero feature vectors; rows {np.flatnonzero(norms <= 1e-12).tolist()} are zero")
    x = x / norms[:, None]
    x = x[np.lexsort(x.T[::-1])]
    n = x.shape[0]
    lam = np.linalg.eigvalsh(x @ x.T / n)
    lam = lam[lam > 0]
    entropy = float(-(lam * np.log(lam)).sum())
    return float(min(max(math.exp(entropy), 1.0), float(n)))


def normalised(vendi: float, n: int) -> float:
    """``(vendi - 1) / (n - 1)`` clipped to [0, 1]; NaN for n < 2."""
    if n < 2 or not math.isfinite(vendi):
        return math.nan
    return float(min(max((vendi - 1.0) / (n - 1.0), 0.0), 1.0))


def vendi_score(images: Sequence[np.ndarray], *, features: str = CLASSICAL, embedder: Embedder | None = None) -> dict:
    """Vendi score and normalised diversity of a set of images.

    Parameters
    ----------
    images : sequence of ndarray
        float H x W x 3 images in [0, 1] (sizes may differ).
    features : str
        ``"classical"`` (default) or the label of ``embedder``'s features.
    embedder : callable, optional
        Required unless ``features == "classical"``: list of images -> ``(n, d)``
        L2-normalised embeddings.

    Returns
    -------
    dict
        ``{"vendi": float in [1, n], "diversity": float in [0, 1] (NaN for n < 2),
        "n": n, "features": label}``.

    Raises
    ------
    ValueError
        No images, or an image / embedding that is not usable.
    """
    images = list(images)
    if not images:
        raise ValueError("expected at least one image; got none")
    v = vendi_from_features(embed(images, features=features, embedder=embedder))
    return {"vendi": v, "diversity": normalised(v, len(images)), "n": len(images), "features": features}

"""Aesthetic PROXY: hand-made image features known to drive preference (not a learned predictor)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from metrics import _features as F
from metrics.registry import register

COLUMNS = (
    "aesthetic",
    "aesthetic_contrast",
    "aesthetic_colourfulness",
    "aesthetic_sharpness",
    "aesthetic_centring",
    "aesthetic_simplicity",
)
SOURCE = "proxy"
SIDE = 128
"""Analysis long side: every feature here is global, and at 128 px the
result barely depends on the input resolution (256-1024 px, or half that)."""
WEIGHTS = {
    "contrast": 0.25,
    "colourfulness": 0.15,
    "sharpness": 0.25,
    "centring": 0.15,
    "simplicity": 0.20,
}
"""Weights of the sub-scores in ``aesthetic`` (they sum to 1)."""
CONTRAST_FULL = 30.0
"""RMS of CIE L* (0-100) that scores 1: a mid-grey subject filling a tenth of a black frame scores about 0.6."""
COLOURFUL_FULL = 100.0
"""Hasler-Suesstrunk M that scores 1 (their 'extremely colourful' is 109)."""
SHARPNESS_RANGE = (0.15, 0.65)
"""1 - blur effect mapped to 0 and 1."""
NOTE = "proxy: hand-made features (contrast, colourfulness, sharpness, centring, simplicity), not a learned predictor"


def contrast(rgb: np.ndarray) -> float:
    """RMS contrast of CIE L*: std(L*) / 30, clipped to [0, 1]."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    return F.clip01(float(lab[..., 0].std()) / CONTRAST_FULL)


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk's M on 0-255 values, / 100, clipped to [0, 1]."""
    r, g, b = cv2.split(rgb * 255.0)
    rg = r - g
    yb = 0.5 * (r + g) - b
    m = math.sqrt(float(rg.var()) + float(yb.var())) + 0.3 * math.hypot(float(rg.mean()), float(yb.mean()))
    return F.clip01(m / COLOURFUL_FULL)


def blur_effect(g: np.ndarray) -> float:
    """Crete-Roffet et al.'s no-reference blur in [0, 1] (1 = very blurred).

    Re-blur with a 9-tap box along each axis; a sharp image loses much of its
    pixel-to-pixel variation, a blurred one little.  The worse axis counts.
    """
    out = []
    for axis in (0, 1):
        ksize = (1, 9) if axis == 0 else (9, 1)  # (width, height): blur along the axis differenced
        blurred = cv2.blur(g, ksize, borderType=cv2.BORDER_REFLECT)
        d_i = np.abs(np.diff(g, axis=axis))
        d_b = np.abs(np.diff(blurred, axis=axis))
        s_i = float(d_i.sum())
        if s_i <= 1e-12:
            out.append(1.0)
            continue
        s_v = float(np.maximum(0.0, d_i - d_b).sum())
        out.append((s_i - s_v) / s_i)
    return max(out)


def saliency(rgb: np.ndarray) -> np.ndarray:
    """Frequency-tuned saliency (Achanta et al. 2009): distance of the blurred Lab image from its mean."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 1.5), cv2.COLOR_RGB2Lab)
    mean = lab.reshape(-1, 3).mean(axis=0)
    return np.sqrt(((lab - mean) ** 2).sum(axis=2))


def centring(sal: np.ndarray) -> float:
    """1 - (distance of the saliency centroid from the image centre) / 0.5, in fractions of the frame."""
    w2 = sal.astype(np.float64) ** 2
    tot = float(w2.sum())
    if tot <= 1e-12:
        return math.nan
    h, w = sal.shape
    cx = float((w2.sum(axis=0) * np.arange(w)).sum() / tot) / max(w - 1, 1)
    cy = float((w2.sum(axis=1) * np.arange(h)).sum() / tot) / max(h - 1, 1)
    return F.clip01(1.0 - math.hypot(cx - 0.5, cy - 0.5) / 0.5)


def simplicity(g: np.ndarray) -> float:
    """1 - area of the box holding the central 96 % of the Laplacian energy (Ke et al. 2006)."""
    lap = np.abs(cv2.Laplacian(g, cv2.CV_32F, ksize=3)).astype(np.float64)
    tot = float(lap.sum())
    if tot <= 1e-12:
        return math.nan

    def span(profile):
        c = np.cumsum(profile) / tot
        lo = int(np.searchsorted(c, 0.02))
        hi = int(np.searchsorted(c, 0.98))
        return (hi - lo + 1) / profile.size

    return F.clip01(1.0 - span(lap.sum(axis=0)) * span(lap.sum(axis=1)))


@register(
    "aesthetic",
    version=1,
    columns=COLUMNS,
    text_columns=("aesthetic_source", "aesthetic_note"),
)
def aesthetic(image: np.ndarray, scene=None) -> dict:
    """Aesthetic PROXY: a fixed mix of features that drive human preference.

    This is not a learned preference predictor (see ``aesthetic_source``,
    always ``"proxy"`` here; the LAION predictor, when its weights are
    available locally, replaces it).  Higher means an image has more of
    what raters reward at a glance: contrast, colour, sharpness, a centred
    subject and an uncluttered frame.

    Parameters
    ----------
    image : ndarray
        float32 H x W x 3 in [0, 1], any size.
    scene : bench.spec.Scene, optional
        Not used.

    Returns
    -------
    dict
        ``aesthetic`` = 0.25 contrast + 0.15 colourfulness + 0.25 sharpness
        + 0.15 centring + 0.20 simplicity (finite parts only, weights
        renormalised), in [0, 1].
        ``aesthetic_contrast``: RMS contrast of CIE L*, std / 30.
        ``aesthetic_colourfulness``: Hasler-Suesstrunk M / 100.
        ``aesthetic_sharpness``: 1 - blur effect (Crete-Roffet), mapped from
        [0.15, 0.65].
        ``aesthetic_centring``: 1 - distance of the saliency centroid from
        the centre / 0.5 (fractions of width and height).
        ``aesthetic_simplicity``: 1 - area share of the box holding 96 % of
        the Laplacian energy.
        ``aesthetic_source``: ``"proxy"``.
        ``aesthetic_note``: says this is a proxy, or why the score is NaN.

    Notes
    -----
    Everything is computed at a long side of 128 px.  The symmetry scorer
    and every symmetry feature are deliberately left out: the realism index
    already uses symmetry, and sharing it would tie the two axes of the
    realism-versus-preference trade-off by construction (PHYSICS.md).

    Failure modes.  The weights are chosen by hand, not fitted to ratings:
    the proxy orders images by how "poster-like" they are, and can disagree
    with people on content, composition rules other than centring (thirds),
    intentional blur (bokeh, motion) and low-key photographs.  Scores compare
    best within one prompt.

    References
    ----------
    .. [1] Hasler, D. & Suesstrunk, S. (2003). Measuring colourfulness in
       natural images. Proc. SPIE 5007, Human Vision and Electronic Imaging
       VIII, 87-95. doi:10.1117/12.477378
    .. [2] Crete-Roffet, F., Dolmiere, T., Ladret, P. & Nicolas, M. (2007).
       The blur effect: perception and estimation with a new no-reference
       perceptual blur metric. Proc. SPIE 6492, 64920I. doi:10.1117/12.702790
    .. [3] Ke, Y., Tang, X. & Jing, F. (2006). The design of high-level
       features for photo quality assessment. CVPR 2006, 419-426.
       doi:10.1109/CVPR.2006.303 (simplicity: spatial spread of edges).
    .. [4] Datta, R., Joshi, D., Li, J. & Wang, J. Z. (2006). Studying
       aesthetics in photographic images using a computational approach.
       ECCV 2006, LNCS 3953, 288-301. doi:10.1007/11744078_23
    .. [5] Achanta, R., Hemami, S., Estrada, F. & Suesstrunk, S. (2009).
       Frequency-tuned salient region detection. CVPR 2009, 1597-1604.
       doi:10.1109/CVPR.2009.5206596
    .. [6] Peli, E. (1990). Contrast in complex images. J. Opt. Soc. Am. A
       7(10), 2032-2040. doi:10.1364/JOSAA.7.002032
    """
    img = F.check_image(image)
    out = {c: math.nan for c in COLUMNS}
    out["aesthetic_source"] = SOURCE
    out["aesthetic_note"] = NOTE
    if F.is_blank(img):
        out["aesthetic_note"] = "blank image (" + NOTE + ")"
        return out
    rgb = np.clip(F.resample(img, SIDE), 0.0, 1.0)
    g = F.grey(rgb)
    parts = {
        "contrast": contrast(rgb),
        "colourfulness": colourfulness(rgb),
        "sharpness": F.clip01((1.0 - blur_effect(g) - SHARPNESS_RANGE[0]) / (SHARPNESS_RANGE[1] - SHARPNESS_RANGE[0])),
        "centring": centring(saliency(rgb)),
        "simplicity": simplicity(g),
    }
    finite = {k: v for k, v in parts.items() if math.isfinite(v)}
    wsum = sum(WEIGHTS[k] for k in finite)
    score = sum(WEIGHTS[k] * v for k, v in finite.items()) / wsum if wsum > 0 else math.nan
    out["aesthetic"] = F.clip01(score)
    for k, v in parts.items():
        out[f"aesthetic_{k}"] = v
    return out

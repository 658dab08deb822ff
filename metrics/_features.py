"""Shared image helpers for the classical scorers (no model weights, CPU, OpenCV).

Every scorer works at one *analysis resolution*: the image is resampled once so
that its long side is :data:`ANALYSIS_SIDE` pixels (``cv2.INTER_AREA`` when
shrinking, ``cv2.INTER_LINEAR`` when enlarging).  Sizes measured in pixels at
that resolution are therefore fractions of the image size, and every threshold
below is relative (to the background noise, to a percentile of the signal, or
to the image size), so scores barely move under resizing, JPEG compression,
brightness changes and small crops.

The helpers are pure functions: no randomness and no operation whose result
depends on the memory alignment of the input (``cv2.magnitude`` does; it is
not used).  The two costly ones, :func:`layout` and :func:`tophats`, remember
their last result, keyed by the content (SHA-1 of the bytes) of their
resampled input and their parameters, so that the scorers called in turn on
one image share the work; a result is the same with or without the memo, and
callers must not modify it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

ANALYSIS_SIDE = 256
"""Long side, in pixels, at which every scorer analyses an image."""

BLANK_RANGE = 1.0 / 255.0
"""An image whose values span less than this (one 8-bit level) is blank."""
MIN_AREA_FRAC = 4.5e-5
"""Smallest piece counted, as a fraction of the image area (3 px at 256 x 256)."""
ELONGATION = 3.0
"""Major / minor axis ratio from which a component counts as a streak or line."""


_LAST: dict[str, tuple] = {}


_HELD = threading.local()
"""``_HELD.memo`` inside :func:`held_inputs` (per thread): per input array (by identity,
the array kept alive with it) what was already worked out about it -- its digest,
that it was checked."""
_TOKENS = itertools.count()


@contextmanager
def held_inputs(*inputs: np.ndarray):
    """A block in which the caller promises not to change the input arrays in place.

    Inside it, the content digest of an array and :func:`check_image`'s check are
    worked out once per array object, not once per scorer: :func:`metrics.suite.score_image`
    runs every scorer on one image inside such a block.  The arrays passed as
    ``inputs`` are not even hashed: their identity inside the block is a token
    never used before, so what the scorers remember about them is shared by the
    scorers of this block only (1.5 ms saved per 512 px image).  Results are the
    same with or without the block.
    """
    outer = getattr(_HELD, "memo", None) is not None
    if not outer:
        _HELD.memo = {}
    for arr in inputs:
        _held(arr, "digest", lambda: ("held", next(_TOKENS)))
    try:
        yield
    finally:
        if not outer:
            _HELD.memo = None


def _held(arr: np.ndarray, what: str, compute):
    memo = getattr(_HELD, "memo", None)
    if memo is None:
        return compute()
    entry = memo.get(id(arr))
    if entry is None or entry[0] is not arr:
        entry = memo[id(arr)] = (arr, {})
    if what not in entry[1]:
        entry[1][what] = compute()
    return entry[1][what]


def _digest(arr: np.ndarray) -> bytes:
    a = np.ascontiguousarray(arr)
    h = hashlib.sha1(repr((a.shape, a.dtype.str)).encode())
    h.update(memoryview(a).cast("B"))
    return h.digest()


def _content_key(arr: np.ndarray, **params) -> tuple:
    """Identity of an array's content (shape, dtype, SHA-1 of the bytes) and of some parameters."""
    return _held(arr, "digest", lambda: _digest(arr)), tuple(sorted(params.items()))


def _remembered(name: str, key: tuple, compute):
    """``compute()``, or the value it gave last time under ``name`` when ``key`` is the same."""
    hit = _LAST.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = compute()
    _LAST[name] = (key, value)
    return value


def check_image(image: np.ndarray) -> np.ndarray:
    """Validate a scorer input and return it as a contiguous float32 array.

    Raises ``ValueError`` naming what was expected when the array is not an
    H x W x 3 image with finite values.
    """
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"expected an H x W x 3 image (H, W >= 2); got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"expected a float image with values in [0, 1] (convert with skimage.img_as_float); got {arr.dtype}"
        )
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not _held(arr, "finite", lambda: bool(np.isfinite(arr).all())):
        raise ValueError("expected finite pixel values; the image contains NaN or inf")
    return arr


def is_blank(image: np.ndarray) -> bool:
    """True when the image is constant (all values within one 8-bit level)."""
    return _held(image, "blank", lambda: float(image.max() - image.min()) < BLANK_RANGE)


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """(the image scaled to fit a size x size square -- long side = size, area averaging when
    shrinking, bilinear when enlarging -- padded by replicating its border; its (left, top,
    width, height) in the square).  The input of the project's networks."""
    h, w = image.shape[:2]
    s = size / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    im = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    top, left = (size - nh) // 2, (size - nw) // 2
    out = cv2.copyMakeBorder(im, top, size - nh - top, left, size - nw - left, cv2.BORDER_REPLICATE)
    return out, (left, top, nw, nh)


def resample(image: np.ndarray, side: int = ANALYSIS_SIDE) -> np.ndarray:
    """Resize so that the long side is ``side`` px (aspect kept)."""
    h, w = image.shape[:2]
    s = side / max(h, w)
    size = (max(2, int(round(w * s))), max(2, int(round(h * s))))
    if size == (w, h):
        return image.copy()
    interp = cv2.INTER_AREA if s < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


ANALYSIS_AREA = 256 * 256
"""Pixel count at which whole-image measurements (edge blur) are made: a fixed
area, not a fixed long side, so that a wide strip keeps its short side."""


def resample_area(image: np.ndarray, area: int = ANALYSIS_AREA, max_side: int = 1024) -> np.ndarray:
    """Resize to about ``area`` pixels (aspect kept, long side at most ``max_side``)."""
    h, w = image.shape[:2]
    s = min(math.sqrt(area / (h * w)), max_side / max(h, w))
    size = (max(2, int(round(w * s))), max(2, int(round(h * s))))
    if size == (w, h):
        return image.copy()
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if s < 1.0 else cv2.INTER_LINEAR)


def grey(rgb: np.ndarray) -> np.ndarray:
    """Luma (ITU-R BT.601 weights) of an RGB float image."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def percentile(a: np.ndarray, q: float) -> float:
    """The q-th percentile of an image, from every 3rd pixel (fast, deterministic)."""
    flat = np.sort(a.ravel()[::3])  # faster than partition when many values tie
    k = int(round(q / 100.0 * (flat.size - 1)))
    return float(flat[k])


def border_pixels(a: np.ndarray, frac: float = 0.03) -> np.ndarray:
    """The pixels of a frame ``frac`` of the short side wide (rows of channels)."""
    h, w = a.shape[:2]
    b = max(1, int(round(frac * min(h, w))))
    parts = [a[:b].reshape(-1, *a.shape[2:]), a[-b:].reshape(-1, *a.shape[2:]),
             a[b:-b, :b].reshape(-1, *a.shape[2:]), a[b:-b, -b:].reshape(-1, *a.shape[2:])]
    return np.concatenate(parts, axis=0)


@dataclass(frozen=True)
class Scene2D:
    """Foreground / background split of one image at the analysis resolution."""

    rgb: np.ndarray
    """Float32 RGB at the analysis resolution."""
    grey: np.ndarray
    """Luma at the analysis resolution."""
    dev: np.ndarray
    """Deviation from the background colour, max over channels, lightly blurred."""
    noise: float
    """Robust scale of ``dev`` on the image border (background noise / texture)."""
    threshold: float
    """Foreground threshold on ``dev``."""
    fg: np.ndarray
    """Foreground mask (bool)."""


def split(image: np.ndarray, side: int = ANALYSIS_SIDE, *, resampled: bool = False) -> Scene2D:
    """Resample the image and separate the structure from the background.

    The background colour is the median of a thin border frame (the subject of
    a photograph of an event rarely fills more than half of the frame's
    border); ``dev`` is the largest per-channel distance from it after a light
    blur.  Foreground is ``dev`` above ``max(4 noise + 0.02, 0.15 p99.5(dev))``
    where ``noise`` is 1.4826 times the median deviation on the border, so a
    textured background raises the threshold above its own fluctuations and a
    plain one keeps faint droplets.
    """
    rgb = image if resampled else resample(image, side)
    g = grey(rgb)
    sm = cv2.GaussianBlur(rgb, (0, 0), 0.8)
    frame = border_pixels(sm)
    bg = np.median(frame, axis=0).astype(np.float32)
    chans = cv2.split(sm)
    dev = np.abs(chans[0] - bg[0])
    for c, b in zip(chans[1:], bg[1:]):
        np.maximum(dev, np.abs(c - b), out=dev)
    noise = 1.4826 * float(np.median(border_pixels(dev)))
    hi = percentile(dev, 99.5)
    t = max(4.0 * noise + 0.02, 0.15 * hi)
    fg = dev > t
    return Scene2D(rgb=rgb, grey=g, dev=dev, noise=noise, threshold=t, fg=fg)


@dataclass(frozen=True)
class Components:
    """Connected components of a mask with their second moments."""

    labels: np.ndarray
    """int32 label image (0 = background)."""
    area: np.ndarray
    """Pixel count per component (index 0 is component 1)."""
    cx: np.ndarray
    cy: np.ndarray
    major: np.ndarray
    """Full length of the major axis (4 sqrt of the larger covariance eigenvalue), px."""
    minor: np.ndarray
    """Full length of the minor axis, px."""
    theta: np.ndarray
    """Orientation of the major axis, radians in (-pi/2, pi/2], x right, y down."""
    touches_border: np.ndarray


def components(mask: np.ndarray, *, skip_border: bool = False, moments: bool = True) -> Components:
    """8-connected components of ``mask`` with area, centroid, axes and orientation.

    With ``skip_border`` the second moments of components that touch the image
    border are not computed (their axes are NaN), which saves the work on a
    large background region.
    """
    m = mask.astype(np.uint8)
    n, labels, stats, cent = cv2.connectedComponentsWithStats(m, connectivity=8)
    h, w = mask.shape
    if n <= 1:
        e = np.zeros(0)
        return Components(labels, e, e, e, e, e, e, e.astype(bool))
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    x0 = stats[1:, cv2.CC_STAT_LEFT]
    y0 = stats[1:, cv2.CC_STAT_TOP]
    bw = stats[1:, cv2.CC_STAT_WIDTH]
    bh = stats[1:, cv2.CC_STAT_HEIGHT]
    touches = (x0 <= 0) | (y0 <= 0) | (x0 + bw >= w) | (y0 + bh >= h)
    cx = cent[1:, 0]
    cy = cent[1:, 1]
    if not moments:
        # the bounding-box diagonal stands in for the major axis
        diag = np.hypot(bw, bh).astype(np.float64)
        nan = np.full(n - 1, np.nan)
        return Components(labels, area, cx, cy, diag, nan, nan, touches)
    wanted = ~touches if skip_border else np.ones(n - 1, bool)
    if wanted.all():
        ys, xs = np.nonzero(m)
    else:
        lut = np.concatenate([[0], wanted.astype(np.uint8)])
        ys, xs = np.nonzero(lut[labels])
    lab = labels[ys, xs]
    safe = np.maximum(area, 1.0)
    dx = xs - cx[lab - 1]
    dy = ys - cy[lab - 1]
    sxx = np.bincount(lab, dx * dx, minlength=n)[1:] / safe + 1.0 / 12.0
    syy = np.bincount(lab, dy * dy, minlength=n)[1:] / safe + 1.0 / 12.0
    sxy = np.bincount(lab, dx * dy, minlength=n)[1:] / safe
    tr = sxx + syy
    disc = np.sqrt(np.maximum(0.0, 0.25 * (sxx - syy) ** 2 + sxy**2))
    l1 = 0.5 * tr + disc
    l2 = np.maximum(0.5 * tr - disc, 1e-9)
    theta = 0.5 * np.arctan2(2.0 * sxy, sxx - syy)
    major = 4.0 * np.sqrt(l1)
    minor = 4.0 * np.sqrt(l2)
    if not wanted.all():
        major[~wanted] = np.nan
        minor[~wanted] = np.nan
        theta[~wanted] = np.nan
    return Components(labels, area, cx, cy, major, minor, theta, touches)


def ellipse(size: int) -> np.ndarray:
    size = max(3, int(size) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def skeleton(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeleton (bool) of a mask (skimage's Zhang-Suen thinning)."""
    from skimage.morphology import skeletonize

    return skeletonize(mask)


def crossing_number(skel: np.ndarray) -> np.ndarray:
    """Crossing number of each skeleton pixel (0 off the skeleton).

    Half the number of 0/1 changes around the 8-neighbour ring: 1 at an end
    point, 2 on a line, 3 or more at a junction.  Unlike the neighbour count
    it is not fooled by the staircase corners of a thinned diagonal line.
    """
    p = np.pad(skel.astype(np.int8), 1)
    h, w = skel.shape
    ring = [p[0:h, 1:w + 1], p[0:h, 2:w + 2], p[1:h + 1, 2:w + 2], p[2:h + 2, 2:w + 2],
            p[2:h + 2, 1:w + 1], p[2:h + 2, 0:w], p[1:h + 1, 0:w], p[0:h, 0:w]]
    changes = np.zeros((h, w), np.int8)
    for i in range(8):
        changes += ring[i] != ring[(i + 1) % 8]
    return np.where(skel, changes // 2, 0).astype(np.int32)


@dataclass(frozen=True)
class Network:
    """Skeleton graph features of the thin-line structure."""

    skel: np.ndarray
    lengths: np.ndarray
    """Skeleton pixel count per skeleton component."""
    labels: np.ndarray
    """Skeleton component label per pixel (0 off the skeleton)."""
    ends_xy: np.ndarray
    """(k, 2) x, y of skeleton end points."""
    ends_label: np.ndarray
    junction_xy: np.ndarray
    """(j, 2) x, y of junction clusters."""
    junction_degree: np.ndarray
    """Number of branches leaving each junction cluster."""
    junction_label: np.ndarray


def network(lines: np.ndarray, side: int) -> Network:
    """Skeletonise a line mask and find its end points and junctions.

    Junction pixels (crossing number 3 or more) closer than ``rho`` (1/40
    of the side, at least 4 px) are one junction; its degree is the number of
    separate runs of line pixels on a circle of radius ``rho`` around it, so
    the pair of three-way nodes that thinning makes of a thick X counts as
    one four-way junction.
    """
    skel = skeleton(lines)
    nb = crossing_number(skel)
    n_lab, lab = cv2.connectedComponents(skel.astype(np.uint8), connectivity=8)
    lengths = np.bincount(lab.ravel(), minlength=n_lab)[1:].astype(np.float64) if n_lab > 1 else np.zeros(0)
    ey, ex = np.nonzero(nb == 1)
    ends_xy = np.stack([ex, ey], axis=1).astype(np.float64)
    ends_label = lab[ey, ex]
    junc = (nb >= 3).astype(np.uint8)
    junction_xy = np.zeros((0, 2))
    junction_degree = np.zeros(0, np.int64)
    junction_label = np.zeros(0, np.int64)
    if junc.any():
        # junction pixels closer than a ring radius are one junction (the two
        # three-way nodes that thinning makes of a thick X, a pinhole's corners)
        rho = max(4.0, side / 40.0)
        grown = cv2.dilate(junc, ellipse(2 * int(round(rho / 2.0)) + 1))
        n_j, jl = cv2.connectedComponents(grown, connectivity=8)
        jy, jx = np.nonzero(junc)
        jid = jl[jy, jx]
        cnt = np.maximum(np.bincount(jid, minlength=n_j)[1:].astype(np.float64), 1.0)
        pts = np.stack([np.bincount(jid, jx, minlength=n_j)[1:] / cnt, np.bincount(jid, jy, minlength=n_j)[1:] / cnt], 1)
        # degree: separate runs of line pixels on a circle of radius rho
        ang = np.linspace(0.0, 2.0 * math.pi, 64, endpoint=False)
        h, w = skel.shape
        xs = np.clip(np.rint(pts[:, :1] + rho * np.cos(ang)[None, :]), 0, w - 1).astype(int)
        ys = np.clip(np.rint(pts[:, 1:] + rho * np.sin(ang)[None, :]), 0, h - 1).astype(int)
        on = lines[ys, xs]
        runs = np.sum(on & ~np.roll(on, 1, axis=1), axis=1)
        runs = np.where(on.all(axis=1), 0, runs)
        jx = np.rint(pts[:, 0]).astype(int)
        jy = np.rint(pts[:, 1]).astype(int)
        # the skeleton label of each junction: its nearest skeleton pixel in a 5 x 5 box
        labs = []
        for x, y in zip(jx, jy):
            win = lab[max(0, y - 2):y + 3, max(0, x - 2):x + 3]
            nz = win[win > 0]
            labs.append(int(nz[0]) if nz.size else 0)
        junction_xy = pts.astype(np.float64)
        junction_degree = runs.astype(np.int64)
        junction_label = np.array(labs, np.int64)
    return Network(skel, lengths, lab, ends_xy, ends_label, junction_xy, junction_degree, junction_label)


def structure_map(g: np.ndarray, k: int = 9) -> np.ndarray:
    """Thin and small structure of a luma image, scaled to a peak of about 1.

    The distance of the luma from its ``k`` px median keeps cracks, fragments,
    fingers, droplets and the corners of shapes, bright or dark, and drops
    smooth shading and the long smooth outline of a large intact body (a
    median keeps step edges).  A floor of ``max(0.1 p99.5, min(4 median,
    p95))`` removes weak background texture and JPEG noise; when texture is
    all there is, the top 5 % of it remains, scattered.
    """
    u8 = np.clip(g * 255.0 + 0.5, 0, 255).astype(np.uint8)
    d = np.abs(g - cv2.medianBlur(u8, k).astype(np.float32) / 255.0)
    d = cv2.GaussianBlur(d, (0, 0), 0.7)
    hi = percentile(d, 99.5)
    if hi <= 0:
        return np.zeros_like(d)
    floor = max(0.1 * hi, min(4.0 * percentile(d, 50), percentile(d, 95)))
    return np.clip((d - floor) / max(hi - floor, 1e-12), 0.0, 1.0).astype(np.float32)


def smoothstep(x: float, lo: float, hi: float) -> float:
    """0 below ``lo``, 1 above ``hi``, a smooth cubic ramp between."""
    if not math.isfinite(x):
        return math.nan
    t = min(1.0, max(0.0, (x - lo) / (hi - lo)))
    return t * t * (3.0 - 2.0 * t)


def clip01(x: float) -> float:
    return math.nan if not math.isfinite(x) else min(1.0, max(0.0, float(x)))


def gradients(g: np.ndarray, sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gx, gy, magnitude) of the Gaussian-smoothed image, per pixel."""
    b = cv2.GaussianBlur(g, (0, 0), sigma)
    gx = cv2.Sobel(b, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(b, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return gx, gy, np.sqrt(gx * gx + gy * gy)  # not cv2.magnitude: its result depends on memory alignment


def line_detail(g: np.ndarray, side: int) -> np.ndarray:
    """Thin-line strength: distance of the luma from its 7 px median (at 256 px).

    A median keeps step edges and smooth shading but removes anything thinner
    than half its window, bright or dark, so a crack -- whatever its profile
    (dark line, bright line, bright core with dark flanks) -- becomes one band.
    """
    k = max(3, 2 * int(round(side / 72.0)) + 1)
    u8 = np.clip(g * 255.0 + 0.5, 0, 255).astype(np.uint8)
    med = cv2.medianBlur(u8, k).astype(np.float32) / 255.0
    return cv2.GaussianBlur(np.abs(g - med), (0, 0), 0.7)


def edge_blur(g: np.ndarray, m1: np.ndarray | None = None) -> float:
    """Gaussian blur scale (px) of the image's strong edges, from two gradient scales.

    The gradient peak of a step edge blurred by ``s`` and measured after a
    Gaussian of ``sigma`` falls as ``1 / sqrt(s^2 + sigma^2)``, so the median
    ratio R of the magnitudes at sigma 0.8 and 2.0 over the strong edges gives
    ``s = sqrt((4 - 0.64 R^2) / (R^2 - 1))``: about 0.5-1.5 px for sharp
    renders and photographs at 256 px, 3-5 px for an image enlarged from 32 px.
    ``m1``, when given, is the gradient magnitude of ``g`` at sigma 0.8
    (:attr:`Layout.grad`).
    """
    if m1 is None:
        _, _, m1 = gradients(g, 0.8)
    _, _, m2 = gradients(g, 2.0)
    strong = m1 > edge_floor(m1)
    if not strong.any():
        return math.nan
    r = float(np.median(m1[strong] / np.maximum(m2[strong], 1e-12)))
    return math.sqrt(max(0.0, (4.0 - 0.64 * r * r) / max(r * r - 1.0, 1e-6)))


def edge_floor(mag: np.ndarray) -> float:
    """Gradient magnitude above which an edge is structure, not texture or noise."""
    return max(0.1 * percentile(mag, 99.5), min(4.0 * percentile(mag, 50), percentile(mag, 95)))


SPOT_WINDOW = 0.07
"""Diameter of the top-hat window, as a fraction of the long side: spots are
compact structures smaller than this (droplets, beads, fragments, spray)."""


@dataclass(frozen=True)
class Spots:
    """Compact bright or dark spots of one image at the analysis resolution."""

    area: np.ndarray
    """Area (px) of each spot: pixels above half its peak top-hat response."""
    min_area: float
    """Smallest piece counted at this resolution (px)."""


def tophats(g: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, "Components"]]:
    """(response, mask, components of the mask) of the white and the black top-hat of a luma image.

    A morphological white (black) top-hat with a disc of :data:`SPOT_WINDOW`
    of the long side keeps what is brighter (darker) than its surroundings
    and narrower than the disc, whatever the background does: droplets on a pool, pieces on a textured
    floor, debris touching the body's outline.  The mask is the response above
    ``max(5 noise, 0.25 p99.8, 0.02)`` (noise: 1.4826 MAD of the response).
    """
    return _remembered("tophats", _content_key(g), lambda: _tophats(g))


def _tophats(g: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, "Components"]]:
    g = cv2.GaussianBlur(g, (0, 0), 0.7)
    k = ellipse(int(round(SPOT_WINDOW * max(g.shape))))
    out = []
    for th in (g - cv2.morphologyEx(g, cv2.MORPH_OPEN, k), cv2.morphologyEx(g, cv2.MORPH_CLOSE, k) - g):
        noise = 1.4826 * float(np.median(np.abs(th - np.median(th))))
        mask = th > max(5.0 * noise, 0.25 * percentile(th, 99.8), 0.02)
        out.append((th, mask, components(mask)))
    return out


def spots(g: np.ndarray) -> Spots:
    """Droplets and fragments as compact spots of a luma image at the analysis
    resolution (:attr:`Layout.grey`), on any background.

    Found in the :func:`tophats` masks -- so droplets lying on a pool and
    pieces on a textured floor count, not only those against the border
    colour: components that are compact (axis ratio below 2.5, filling more than 60 % of their ellipse),
    smaller than 10 % of the side, at least the smallest piece and clear of
    the image border are spots.  A spot's area is the number of its pixels
    above half its peak response, which blur, resampling and brightness
    changes barely move.  Touching spots of one polarity merge; the gaps
    between bright spots read as dark spots only when they are compact.
    """
    h, w = g.shape
    min_area = max(3.0, MIN_AREA_FRAC * h * w)
    areas = []
    for th, _, c in tophats(g):
        if not c.area.size:
            continue
        fill = c.area / (math.pi / 4.0 * c.major * c.minor)
        ok = ((c.major / np.maximum(c.minor, 1e-9) < 2.5) & (fill > 0.6) & (c.major < 0.1 * max(h, w))
              & (c.area >= min_area) & ~c.touches_border)
        idx = np.nonzero(ok)[0]
        if not idx.size:
            continue
        ys_, xs_ = np.nonzero(c.labels)
        lab = c.labels[ys_, xs_]
        val = th[ys_, xs_].astype(np.float64)
        peak = np.zeros(c.area.size + 1)
        np.maximum.at(peak, lab, val)
        cnt = np.bincount(lab[val >= 0.5 * peak[lab]], minlength=c.area.size + 1)
        areas.append(np.maximum(cnt[idx + 1], 1).astype(np.float64))
    return Spots(np.concatenate(areas) if areas else np.zeros(0), min_area)


@dataclass(frozen=True)
class Layout:
    """What the transitional and plausibility scorers read off one image.

    All lengths are in pixels at the analysis resolution (long side ``side``).
    """

    s: Scene2D
    """Background / foreground split at half the analysis side (for the body)."""
    side: int
    grad: tuple[np.ndarray, np.ndarray, np.ndarray]
    """(gx, gy, magnitude) at 0.8 px blur."""
    edge_floor: float
    """Gradient magnitude above which an edge is structure."""
    smask: np.ndarray
    """Structure mask: strong edges, with the interiors of small outlines filled."""
    sc: Components
    """Components of ``smask``."""
    big: np.ndarray
    """Indices of large connected structures (crack networks, crowns, rims)."""
    streaks: np.ndarray
    """Indices of small thin elongated components (motion streaks, splinters)."""
    pieces: np.ndarray
    """Indices of small compact components (pieces, droplets, spray)."""
    piece_areas: np.ndarray
    """Areas (px) of ``pieces``: pixels of the filled outline on the piece's
    side of the half-way level between the piece and its rim."""
    body: np.ndarray | None
    """Filled mask of the main body (the largest foreground region against the
    border colour), or None."""
    body_xy: tuple[float, float] | None
    """Centroid of the body (px), or None."""
    lines: np.ndarray
    """Thin long structure (cracks)."""
    net: Network
    """Skeleton graph of ``lines``."""
    min_area: float
    """Smallest piece counted (px)."""
    grey: np.ndarray
    """Luma at the analysis resolution."""


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill the holes of a mask (flood the outside from a 1-px frame)."""
    h, w = mask.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = mask.astype(np.uint8)
    flood = pad.copy()
    ff = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(flood, ff, (0, 0), 1)
    return (pad[1:-1, 1:-1] > 0) | (flood[1:-1, 1:-1] == 0)


def fill_small_holes(mask: np.ndarray, max_area: float) -> np.ndarray:
    """Fill the holes of a mask that are smaller than ``max_area`` px."""
    hc = components(~mask, moments=False)
    if not hc.area.size:
        return mask
    fill = ~hc.touches_border & (hc.area < max_area)
    return mask | np.concatenate([[False], fill])[hc.labels]


def layout(image: np.ndarray, side: int = ANALYSIS_SIDE, *, cracks: bool = True, areas: bool = True) -> Layout:
    """Segment one image into a body, large structures, streaks, pieces and crack lines.

    Structure is found by its edges: pixels whose gradient magnitude (after a
    0.8 px blur) is above :func:`edge_floor` -- sharp outlines of pieces,
    streaks, cracks, rims and the body, not smooth texture, lighting or noise.
    Edge components shorter than a fifth of the side are pieces (compact) or
    streaks (axis ratio >= 3), with their enclosed interiors filled; longer
    ones are large structures.  The body is the largest region whose colour
    differs from the border's (found at half resolution).  Crack lines are
    thin bright or dark lines (:func:`line_detail`) inside the body, away from
    its outline; with ``cracks=False`` they are not looked for, with
    ``areas=False`` piece areas are not measured.
    """
    rgb = resample(image, side)
    return _remembered("layout", _content_key(rgb, side=side, cracks=cracks, areas=areas),
                       lambda: _layout(rgb, side, cracks, areas))


def _layout(rgb: np.ndarray, side: int, cracks: bool, areas: bool) -> Layout:
    h, w = rgb.shape[:2]
    g = grey(rgb)
    n_px = float(h * w)
    min_area = max(3.0, MIN_AREA_FRAC * n_px)
    gx, gy, mag = gradients(g, 0.8)
    floor = edge_floor(mag)
    strong = mag > floor
    ec = components(strong, moments=False)
    small = np.concatenate([[False], ec.major < 0.2 * side])[ec.labels]
    # pieces are their outline plus what it encloses
    smask = strong | _fill_holes(small)
    sc = components(smask)
    n = sc.area.size
    idx = np.arange(n)
    elong = sc.major / np.maximum(sc.minor, 1e-9)
    big = idx[sc.major >= 0.2 * side]
    small_idx = idx[(sc.major < 0.2 * side) & (sc.area >= min_area)]
    streaks = small_idx[(elong[small_idx] >= ELONGATION) & (sc.major[small_idx] >= 0.03 * side)]
    pieces = np.setdiff1d(small_idx, streaks)
    # a piece's area: the pixels of its filled outline on the piece's side of
    # the half-way level between the piece and its surround (a ring just
    # outside), so the edge band drawn around it does not count and blur or
    # resampling barely change it
    piece_areas = np.zeros(0)
    if areas and pieces.size:
        sel = np.zeros(n + 1, bool)
        sel[pieces + 1] = True
        plab = np.where(sel[sc.labels], sc.labels, 0).astype(np.float32)
        ys, xs = np.nonzero(plab)
        lab = sc.labels[ys, xs]
        v = g[ys, xs].astype(np.float64)
        # the surround: a 2 px ring just outside each piece's filled outline
        grown = cv2.dilate(plab, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
        ry, rx = np.nonzero((grown > 0) & ~smask)
        rlab = grown[ry, rx].astype(np.int64)
        cnt_r = np.maximum(np.bincount(rlab, minlength=n + 1), 1)
        surround = np.bincount(rlab, g[ry, rx].astype(np.float64), minlength=n + 1) / cnt_r
        vmax = np.full(n + 1, -np.inf)
        vmin = np.full(n + 1, np.inf)
        np.maximum.at(vmax, lab, v)
        np.minimum.at(vmin, lab, v)
        # the piece is bright when its surround is nearer its darkest pixel
        bright = (surround - vmin) < (vmax - surround)
        mid = np.where(bright, 0.5 * (surround + vmax), 0.5 * (surround + vmin))
        on = np.where(bright[lab], v >= mid[lab], v <= mid[lab])
        cnt = np.bincount(lab[on], minlength=n + 1)
        piece_areas = np.maximum(cnt[pieces + 1].astype(np.float64), 1.0)

    # the body: the largest foreground region against the border colour
    half = cv2.resize(rgb, (max(2, w // 2), max(2, h // 2)), interpolation=cv2.INTER_AREA)
    s = split(half, resampled=True)
    body = None
    body_xy = None
    fgc = components(s.fg, moments=False) if s.fg.any() else None
    if fgc is not None and fgc.area.size:
        i = int(np.argmax(fgc.area))
        if fgc.area[i] >= 0.05 * s.fg.size:
            small_body = _fill_holes(fgc.labels == i + 1).astype(np.uint8)
            body = cv2.resize(small_body, (w, h), interpolation=cv2.INTER_NEAREST) > 0
            body_xy = (float(fgc.cx[i]) * w / half.shape[1], float(fgc.cy[i]) * h / half.shape[0])

    lines = np.zeros((h, w), bool)
    if cracks:
        if body is not None:
            # cracks run in the body: look for them inside it, away from its
            # outline (a frame or rim there is not a crack), against the body's
            # own detail; the median runs on the body's bounding box only
            inside = cv2.distanceTransform(body.astype(np.uint8), cv2.DIST_L2, 3) > 0.03 * side
            ys, xs = np.nonzero(inside)
            if ys.size > 64:
                pad = 4
                y0, y1 = max(0, ys.min() - pad), min(h, ys.max() + pad + 1)
                x0, x1 = max(0, xs.min() - pad), min(w, xs.max() + pad + 1)
                rid = line_detail(g[y0:y1, x0:x1], side)
                ins = inside[y0:y1, x0:x1]
                vals = rid[ins]
                lfloor = max(0.12 * percentile(vals, 99.5), 3.0 * percentile(vals, 50))
                lines[y0:y1, x0:x1] = ins & (rid > lfloor)
        else:
            rid = line_detail(g, side)
            lines = rid > edge_floor(rid)
        # a median leaves a pinhole where two lines cross: fill pinholes
        lines = fill_small_holes(lines, 0.001 * n_px)
        lc = components(lines)
        if lc.area.size:
            lel = lc.major / np.maximum(lc.minor, 1e-9)
            keep = ((lel >= ELONGATION) & (lc.major >= 0.04 * side)) | (lc.major >= 0.12 * side)
            lines = np.concatenate([[False], keep])[lc.labels]
    net = network(lines, side)
    return Layout(s, side, (gx, gy, mag), floor, smask, sc, big, streaks, pieces, piece_areas, body, body_xy, lines, net,
                  min_area, g)

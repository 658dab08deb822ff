"""Constructed photographs of events inside a scene, for the failure modes of issue 11.

Drawn here with numpy and OpenCV, by neither renderer the scorers were
trained or designed on: a side view of a lab bench -- a textured wall with a
window frame (long straight edges), a table top with its front edge, a
light gradient, sensor noise -- and the event small inside it.

* :func:`intact_glass`: a tumbler before impact with long vertical
  reflections on its walls (long straight scene edges, no event);
* :func:`bottle_shards`: a bottle hit from the left, small crisp shards
  (no motion blur: a flash photograph) flying off downrange, each with a
  soft shadow on the table far below it -- or the same shards lying on the
  table with contact shadows (``at_rest``); areas drawn from a power law
  (``tau``) or all equal (``uniform``); thrown along ``direction`` or
  against it.

Every image is float32 H x W x 3 in [0, 1], seeded by ``rng`` only.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

H, W = 288, 384
TABLE_Y = 0.74
"""Height of the table's front edge, as a fraction of the image height."""


def _room(rng) -> np.ndarray:
    img = np.ones((H, W, 3), np.float32) * np.array(rng.uniform(0.35, 0.55, 3), np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    img *= (0.75 + 0.4 * xx / W)[..., None]
    tex = cv2.GaussianBlur(rng.normal(0, 1, (H, W)).astype(np.float32), (0, 0), 1.5)
    img += 0.025 * tex[..., None]
    # window frame on the wall: long straight edges
    x0, y0 = int(rng.uniform(0.03, 0.12) * W), int(rng.uniform(0.04, 0.1) * H)
    x1, y1 = x0 + int(0.45 * W), y0 + int(0.42 * H)
    frame = tuple(float(v) for v in rng.uniform(0.8, 0.95, 3))
    cv2.rectangle(img, (x0, y0), (x1, y1), frame, 5)
    cv2.line(img, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), frame, 4)
    # table top and its front edge
    ty = int(TABLE_Y * H)
    top = np.array(rng.uniform(0.45, 0.7, 3), np.float32)
    img[int(0.62 * H):ty] = img[int(0.62 * H):ty] * 0.3 + top * 0.7
    img[ty:] *= 0.45
    cv2.line(img, (0, ty), (W, ty), tuple(float(v) for v in top * 1.2), 2)
    return img


def _finish(img: np.ndarray, rng) -> np.ndarray:
    img = cv2.GaussianBlur(img, (0, 0), 0.6)
    img = img + rng.normal(0, 0.012, img.shape).astype(np.float32)
    return np.clip(img, 0, 1).astype(np.float32)


def intact_glass(rng) -> np.ndarray:
    """A glass tumbler on the table before impact, long vertical reflections on its walls."""
    img = _room(rng)
    cx = int(rng.uniform(0.45, 0.6) * W)
    x0, x1, y0, y1 = cx - 34, cx + 34, int(0.3 * H), int(TABLE_Y * H) - 2
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * 0.8 + 0.15
    rim = (0.92, 0.94, 0.97)
    cv2.line(img, (x0, y0), (x0, y1), rim, 2, cv2.LINE_AA)
    cv2.line(img, (x1, y0), (x1, y1), rim, 2, cv2.LINE_AA)
    cv2.ellipse(img, (cx, y0), (34, 7), 0, 0, 360, rim, 2, cv2.LINE_AA)
    for fx, wd in ((-0.7, 3), (-0.5, 1), (0.6, 2)):
        x = int(cx + fx * 34)
        cv2.line(img, (x, y0 + 10), (x, y1 - 12), (1.0, 1.0, 1.0), wd, cv2.LINE_AA)
    return _finish(img, rng)


def _areas(rng, n: int, uniform: bool, tau: float) -> np.ndarray:
    if uniform:
        return np.full(n, 40.0) * rng.uniform(0.96, 1.04, n)
    a_min, a_max = 6.0, 700.0
    e = 1.0 - tau
    u = (np.arange(n) + rng.uniform(0, 1, n)) / n  # stratified: even a small sample follows the law
    return (a_min ** e + u * (a_max ** e - a_min ** e)) ** (1.0 / e)


def bottle_shards(rng, *, at_rest: bool = False, uniform: bool = False, direction=(1.0, 0.0), tau: float = 1.6,
                  n: int = 36, centres: bool = False):
    """A green bottle on the table, hit from the left; its shards fly (or lie) downrange along ``direction``.

    With ``centres`` also returns the (x, y) pixel centre of every shard drawn.
    """
    img = _room(rng)
    ty = int(TABLE_Y * H)
    cx = int(rng.uniform(0.3, 0.38) * W)
    green = np.array((0.12, 0.42, 0.2), np.float32) * rng.uniform(0.85, 1.15)
    cv2.rectangle(img, (cx - 22, int(0.4 * H)), (cx + 22, ty - 2), tuple(float(v) for v in green), -1)
    cv2.rectangle(img, (cx - 8, int(0.3 * H)), (cx + 8, int(0.4 * H)), tuple(float(v) for v in green), -1)
    cv2.line(img, (cx - 14, int(0.42 * H)), (cx - 14, ty - 8), (0.55, 0.8, 0.6), 2, cv2.LINE_AA)
    areas = _areas(rng, n, uniform, tau)
    d = np.asarray(direction, np.float64)
    d /= np.linalg.norm(d)
    base = math.atan2(d[1], d[0])
    src = np.array([cx + 24 * d[0], 0.55 * H])
    shadow = np.zeros((H, W), np.float32)
    shards = []
    for a in areas:
        if at_rest:
            x = src[0] + np.sign(d[0] if abs(d[0]) > 1e-6 else 1.0) * rng.uniform(10, 0.5 * W)
            y = rng.uniform(ty - 0.1 * H, ty - 3)
        else:
            ang = base + rng.uniform(-0.6, 0.6)
            r = rng.uniform(25, 0.45 * W)
            x, y = src[0] + r * math.cos(ang), src[1] + r * math.sin(ang) * 0.7
        if not (4 < x < W - 4 and 4 < y < H - 4):
            continue
        k = int(rng.integers(3, 6))
        rad = math.sqrt(a / math.pi)
        ang_v = np.sort(rng.uniform(0, 2 * math.pi, k))
        pts = np.stack([x + rad * np.cos(ang_v), y + 0.8 * rad * np.sin(ang_v)], 1)
        shards.append(pts)
        # shadow: touching the shard at rest, on the table far below it in flight (soft)
        sy = y + 2 if at_rest else ty - rng.uniform(2, 0.08 * H)
        cv2.ellipse(shadow, (int(x), int(sy)), (max(2, int(rad * 1.1)), max(1, int(rad * 0.35))), 0, 0, 360, 1.0, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 1.0 if at_rest else 3.0)
    img *= (1.0 - 0.45 * np.clip(shadow, 0, 1))[..., None]
    for pts in shards:
        p16 = np.round(pts * 16).astype(np.int32)
        col = tuple(float(v) for v in np.clip(green * rng.uniform(1.3, 2.2) + 0.1, 0, 1))
        cv2.fillPoly(img, [p16], col, cv2.LINE_AA, shift=4)
        cv2.polylines(img, [p16], True, (0.75, 0.95, 0.8), 1, cv2.LINE_AA, shift=4)
    out = _finish(img, rng)
    return (out, [tuple(p.mean(axis=0)) for p in shards]) if centres else out


def foam_block(rng, *, spraying: bool = True) -> np.ndarray:
    """A foam block on the table hit from the left; with ``spraying``, a cone of fine ejecta grains
    and crumbs flying off downrange (crisp, flash-lit), else the block intact before the hit."""
    img = _room(rng)
    ty = int(TABLE_Y * H)
    x0, x1, y0 = int(0.3 * W), int(0.52 * W), int(0.42 * H)
    foam = np.array(rng.uniform(0.75, 0.9, 3), np.float32)
    img[y0:ty, x0:x1] = foam
    tex = cv2.GaussianBlur(rng.normal(0, 1, (ty - y0, x1 - x0)).astype(np.float32), (0, 0), 1.0)
    img[y0:ty, x0:x1] *= (1.0 + 0.06 * tex)[..., None]
    cv2.rectangle(img, (x0, y0), (x1, ty), tuple(float(v) * 0.7 for v in foam), 1)
    if spraying:
        sx, sy = x1, int(0.55 * H)
        for _ in range(int(rng.integers(120, 180))):
            ang = rng.normal(0.0, 0.45)
            r = rng.uniform(4, 0.4 * W) * rng.uniform(0.3, 1.0)
            x, y = sx + r * math.cos(ang), sy + r * math.sin(ang) - 0.002 * r * r
            size = max(1, int(rng.choice([1, 1, 1, 2, 2, 3, 4])))
            if 2 < x < W - 2 and 2 < y < H - 2:
                cv2.circle(img, (int(x), int(y)), size, tuple(float(v) for v in foam * rng.uniform(0.85, 1.1)), -1, cv2.LINE_AA)
        cv2.ellipse(img, (x1, int(0.55 * H)), (10, 18), 0, 0, 360, tuple(float(v) * 0.5 for v in foam), -1)
    return _finish(img, rng)

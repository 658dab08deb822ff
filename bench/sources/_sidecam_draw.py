"""Drawing helpers of the ``sidecam`` source: the canonical lab frame, masks,
the layered canvas, shapes and size laws.  numpy + OpenCV only."""

from __future__ import annotations

import math

import cv2
import numpy as np

F32 = np.float32
BIG = 1.0e4  # "infinite" extent in canonical pixels (bench, pool, rods)


class Frame:
    """Canonical lab frame -> image.

    Canonical coordinates are pixels relative to the impact point, X right, Y down
    (gravity along +Y, the impactor travelling along +Y).  The image is the canonical
    frame rotated by ``alpha`` about the impact point ``p0`` so that +Y maps onto the
    scene's image-plane impact direction (no rotation for a vertical impact)."""

    def __init__(self, h, w, p0, alpha):
        self.h, self.w = h, w
        self.p0 = np.array(p0, float)
        c, s = math.cos(alpha), math.sin(alpha)
        self.R = np.array([[c, -s], [s, c]])
        self.alpha = alpha

    def T(self, pts):
        pts = np.asarray(pts, float).reshape(-1, 2)
        return pts @ self.R.T + self.p0

    def vec(self, v):
        return self.R @ np.asarray(v, float)

    def _ipts(self, polys):
        return [np.round(self.T(p) * 16).astype(np.int32) for p in polys if len(p) >= 2]

    def fill(self, polys):
        m = np.zeros((self.h, self.w), np.uint8)
        pp = self._ipts(polys)
        if pp:
            cv2.fillPoly(m, pp, 255, cv2.LINE_AA, shift=4)
        return m.astype(F32) * F32(1 / 255)

    def lines(self, polylines, thick=1, closed=False):
        m = np.zeros((self.h, self.w), np.uint8)
        pp = self._ipts(polylines)
        if pp:
            cv2.polylines(m, pp, closed, 255, max(1, int(round(thick))), cv2.LINE_AA, shift=4)
        return m.astype(F32) * F32(1 / 255)


class Canvas:
    """The picture and its label layers; painting occludes the context behind it."""

    def __init__(self, bg):
        self.bg = bg
        self.img = bg.copy()
        h, w = bg.shape[:2]
        self.structure = np.zeros((h, w), F32)
        self.object = np.zeros((h, w), F32)
        self.context = np.zeros((h, w), F32)
        self.pieces = np.zeros((h, w), np.int32)

    def paint(self, a, col, trans=0.0, layer=None, weight=1.0):
        k = (a * F32(1.0 - trans))[..., None]
        self.img = self.img * (1 - k) + k * np.asarray(col, F32)
        if layer is not None:
            L = getattr(self, layer)
            np.maximum(L, a * F32(weight), out=L)
        if layer != "context":
            self.context *= 1 - a * F32(min(1.0, (1 - trans) * 1.5))

    def cut(self, a):
        """Remove matter (a hole, a notch): the background shows through; it is structure."""
        k = a[..., None]
        self.img = self.img * (1 - k) + self.bg * k
        self.object *= 1 - a
        self.context *= 1 - a
        np.maximum(self.structure, a, out=self.structure)


# ------------------------------------------------------------------ shapes
def ellipse(cx, cy, ax, ay, n=40, t0=0.0, t1=2 * math.pi):
    t = np.linspace(t0, t1, n, endpoint=(t1 - t0) < 2 * math.pi - 1e-9)
    return np.stack([cx + ax * np.cos(t), cy + ay * np.sin(t)], 1)


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def poly_area(p):
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def shape(rng, kind, area):
    """A closed polygon (k, 2) centred at 0 with exactly ``area`` px^2."""
    if kind == "drop":
        k, aspect, jit = 16, 1.0, 0.0
        t = np.linspace(0, 2 * math.pi, k, endpoint=False)
    else:
        if kind == "grain":
            k, aspect, jit = int(rng.integers(6, 10)), rng.uniform(1.0, 1.5), 0.2
        elif kind == "chunk":
            k, aspect, jit = int(rng.integers(5, 8)), rng.uniform(1.1, 1.9), 0.22
        else:  # shard: angular, elongated (Domokos et al. 2015: axes about 2 : sqrt 2 : 1)
            k, aspect, jit = int(rng.integers(3, 6)), rng.uniform(1.4, 3.0), 0.3
        t = np.linspace(0, 2 * math.pi, k, endpoint=False) + rng.uniform(-0.4, 0.4, k) * (2 * math.pi / k)
    r = 1.0 + jit * rng.uniform(-1, 1, len(t))
    pts = np.stack([r * np.cos(t) * aspect, r * np.sin(t) / aspect], 1)
    ang = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(ang), math.sin(ang)
    pts = pts @ np.array([[c, s], [-s, c]])
    return pts * math.sqrt(area / max(poly_area(pts), 1e-9))


def power_law_areas(rng, n, tau, ratio):
    """n areas on [1, ratio] with density ~ A^-tau (stratified inverse CDF, shuffled)."""
    q = (np.arange(n) + rng.uniform(0.05, 0.95, n)) / n
    rng.shuffle(q)
    e = 1.0 - tau
    return (1.0 - q * (1.0 - ratio**e)) ** (1.0 / e)


def smooth_noise(rng, n_modes=4, amp=1.0):
    """A random smooth periodic function f(phi), |f| <~ amp."""
    k = np.arange(1, n_modes + 1)
    a = rng.normal(0, 1, n_modes) / k
    ph = rng.uniform(0, 2 * math.pi, n_modes)
    s = amp / max(1e-9, float(np.abs(a).sum()))

    def f(phi):
        phi = np.asarray(phi, float)[..., None]
        return (a * np.cos(k * phi + ph)).sum(-1) * s

    return f


def mirror_fn(f):
    """Make f(phi) symmetric under the mirror X -> -X, i.e. phi -> pi - phi."""
    return lambda phi: 0.5 * (f(phi) + f(math.pi - np.asarray(phi, float)))


# ------------------------------------------------------------------ pieces
class Piece:
    """A detached shard / grain / droplet in canonical coordinates: polygon about its
    centre, centre (X, Y) at mid-exposure, displacement (vx, vy) over the exposure."""

    __slots__ = ("poly", "X", "Y", "vx", "vy", "rest", "col", "trans", "area", "kind", "depth")

    def __init__(self, poly, X, Y, vx=0.0, vy=0.0, rest=False, col=(0.5, 0.5, 0.5), trans=0.0, area=1.0, kind="shard", depth=0.0):
        self.poly, self.X, self.Y, self.vx, self.vy = poly, float(X), float(Y), float(vx), float(vy)
        self.rest, self.col, self.trans, self.area, self.kind, self.depth = bool(rest), col, float(trans), float(area), kind, float(depth)

    def mirrored(self):
        return Piece(self.poly * np.array([-1.0, 1.0]), -self.X, self.Y, -self.vx, self.vy, self.rest, self.col, self.trans, self.area, self.kind, self.depth)


def render_pieces(cv, fr, pieces, steps, shadow_col=None, shadow_k=0.0):
    """Composite the pieces (motion-blurred over ``steps`` instants) into the canvas; label
    image ``cv.pieces`` gets the swept outline of each piece (ids 1..n in list order)."""
    h, w = fr.h, fr.w
    ts = np.linspace(-0.5, 0.5, steps) if steps > 1 else np.zeros(1)
    order = sorted(range(len(pieces)), key=lambda i: pieces[i].depth)
    for i in order:
        p = pieces[i]
        st = 1 if p.rest else steps
        tt = ts if st > 1 else np.zeros(1)
        polys = [fr.T(p.poly + np.array([p.X + p.vx * t, p.Y + p.vy * t])) for t in tt]
        allp = np.concatenate(polys)
        x0, y0 = np.floor(allp.min(0)).astype(int) - 2
        x1, y1 = np.ceil(allp.max(0)).astype(int) + 3
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        off = np.array([x0, y0], float)
        acc = np.zeros((y1 - y0, x1 - x0), F32)
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        for q in polys:
            m[:] = 0
            qi = np.round((q - off) * 16).astype(np.int32)
            cv2.fillPoly(m, [qi], 255, cv2.LINE_AA, shift=4)
            if m.max() == 0:  # sub-pixel piece: one dot
                c = np.clip(np.round(q.mean(0) - off).astype(int), 0, [x1 - x0 - 1, y1 - y0 - 1])
                m[c[1], c[0]] = int(255 * min(1.0, 0.4 + p.area))
            acc += m
        a = acc * F32(1 / (255 * len(polys)))
        sl = (slice(y0, y1), slice(x0, x1))
        if p.rest and shadow_k > 0 and shadow_col is not None:  # contact shadow just under the piece
            sh = cv2.GaussianBlur(a, (0, 0), 1.2) * F32(shadow_k)
            sh = np.roll(sh, 1, axis=0)
            cv.img[sl] = cv.img[sl] * (1 - sh[..., None]) + sh[..., None] * np.asarray(shadow_col, F32)
        k = (a * F32(1 - p.trans))[..., None]
        cv.img[sl] = cv.img[sl] * (1 - k) + k * np.asarray(p.col, F32)
        np.maximum(cv.structure[sl], a, out=cv.structure[sl])
        cv.context[sl] *= 1 - a
        # label: swept outline (convex hull of first and last positions)
        hull = cv2.convexHull(np.round((np.concatenate([polys[0], polys[-1]]) - off) * 16).astype(np.int32))
        lab = np.zeros_like(m)
        cv2.fillPoly(lab, [hull.reshape(-1, 2)], 255, cv2.LINE_8, shift=4)
        if lab.max() == 0:
            lab = (a > 0.2).astype(np.uint8) * 255
        cv.pieces[sl][lab > 0] = i + 1

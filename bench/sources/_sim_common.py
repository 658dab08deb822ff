"""Shared event machinery of the ``sim`` source: fragment-size laws, shard shapes,
symmetric replication, ballistic pieces and their rendering (motion blur over
the exposure, contact / cast shadows, facet and bevel shading), crack lines.

All event geometry lives in the ground frame of :class:`bench.sources._sim_world.View`
(``a`` along the impact direction, ``b`` across it, ``z`` up); a mirror about
the impact axis is ``b -> -b``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from bench.sources._sim_world import F32, blur, fill, pts16

EXPOSURE_STEPS_MAX = 8


# ------------------------------------------------------------------ size laws
def power_law_areas(rng, n, tau, ratio):
    """n areas on [1, ratio] with density ~ A^-tau, by stratified inverse-CDF sampling
    (one draw in each of n equal-probability strata, shuffled): the sample follows
    the law closely even for small n."""
    q = (np.arange(n) + rng.uniform(0.05, 0.95, n)) / n
    rng.shuffle(q)
    e = 1.0 - tau
    if abs(e) < 1e-6:
        return ratio**q
    return (1.0 - q * (1.0 - ratio**e)) ** (1.0 / e)


def fragment_areas(rng, m, plausible, tau_range, total, ratio_range=(60, 160)):
    """m base areas summing (with their replicas, see caller) to a share of ``total``.

    Plausible: truncated power law, tau drawn inside ``tau_range``; implausible:
    one size +-4 % (CV ~ 0.02)."""
    if plausible:
        tau = float(rng.uniform(tau_range[0] + 0.05 * (tau_range[1] - tau_range[0]), tau_range[1] - 0.05 * (tau_range[1] - tau_range[0])))
        ratio = float(rng.uniform(*ratio_range))
        a = power_law_areas(rng, m, tau, ratio)
    else:
        tau, ratio = None, None
        a = rng.uniform(0.96, 1.04, m)
    a = a * (total / a.sum())
    return a, tau, ratio


# ------------------------------------------------------------------ shapes
def shard(rng, area, kind):
    """A closed polygon (k, 2) centred at 0 with exactly ``area`` (ground units)."""
    if kind == "drop":
        k, aspect, jit = 18, rng.uniform(1.0, 1.12), 0.0
    elif kind == "grain":
        k, aspect, jit = 9, rng.uniform(1.0, 1.5), 0.18
    elif kind == "chunk":
        k, aspect, jit = int(rng.integers(5, 8)), rng.uniform(1.1, 2.0), 0.22
    else:  # "shard": glass-like, angular and elongated
        k, aspect, jit = int(rng.integers(3, 6)), rng.uniform(1.4, 3.2), 0.3
    t = np.sort(rng.uniform(0, 2 * math.pi, k)) if kind in ("shard", "chunk") else np.linspace(0, 2 * math.pi, k, endpoint=False)
    if kind in ("shard", "chunk"):  # keep angular gaps below pi so the polygon stays around its centre
        t = np.linspace(0, 2 * math.pi, k, endpoint=False) + rng.uniform(-0.45, 0.45, k) * (2 * math.pi / k)
    r = 1.0 + jit * rng.uniform(-1, 1, k)
    pts = np.stack([r * np.cos(t) * aspect, r * np.sin(t) / aspect], 1)
    ang = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(ang), math.sin(ang)
    pts = pts @ np.array([[c, s], [-s, c]])
    ar = poly_area(pts)
    return pts * math.sqrt(area / max(ar, 1e-9))


def poly_area(p):
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


# ------------------------------------------------------------------ pieces
class Piece:
    """A detached fragment / grain / droplet: polygon about its centre, ground position
    (a, b) and height z at mid-exposure, displacement (da, db, dz) over the whole
    exposure, base colour, opacity, facet tilt, gloss; ``rest`` when lying on the support."""

    __slots__ = ("poly", "area", "a", "b", "z", "da", "db", "dz", "col", "op", "tilt", "gloss", "rest", "d", "sphere", "thick")

    def __init__(self, poly, area, a, b, z=0.0, da=0.0, db=0.0, dz=0.0, col=(0.5, 0.5, 0.5), op=1.0, tilt=(0.0, 0.0), gloss=0.2, rest=True, sphere=False, thick=None):
        self.poly, self.area = poly, float(area)
        self.a, self.b, self.z = float(a), float(b), float(z)
        self.da, self.db, self.dz = float(da), float(db), float(dz)
        self.col = np.asarray(col, float)
        self.op, self.tilt, self.gloss, self.rest, self.sphere = float(op), (float(tilt[0]), float(tilt[1])), float(gloss), bool(rest), bool(sphere)
        self.d = math.hypot(self.a, self.b)
        self.thick = float(thick if thick is not None else 0.18 * math.sqrt(max(area, 1e-6)))

    def mirrored(self):
        q = Piece(self.poly * np.array([1.0, -1.0]), self.area, self.a, -self.b, self.z, self.da, -self.db, self.dz, self.col, self.op, (self.tilt[0], -self.tilt[1]), self.gloss, self.rest, self.sphere, self.thick)
        q.poly = q.poly[::-1].copy()
        return q

    def rotated(self, th):
        c, s = math.cos(th), math.sin(th)
        R = np.array([[c, s], [-s, c]])  # row vectors: p @ R rotates by +th
        a, b = c * self.a - s * self.b, s * self.a + c * self.b
        da, db = c * self.da - s * self.db, s * self.da + c * self.db
        ta, tb = c * self.tilt[0] - s * self.tilt[1], s * self.tilt[0] + c * self.tilt[1]
        return Piece(self.poly @ R, self.area, a, b, self.z, da, db, self.dz, self.col, self.op, (ta, tb), self.gloss, self.rest, self.sphere, self.thick)


def rot_pts(p, th):
    c, s = math.cos(th), math.sin(th)
    return p @ np.array([[c, s], [-s, c]])


def mirror_pts(p):
    return p * np.array([1.0, -1.0])


def replicate(base, sym, n_fold, mirror_fn, rotate_fn):
    """Copies of the base elements for the symmetry: 'none' (as is), 'mirror'
    (plus their mirror images about the impact axis) or 'dn' (mirror, then n rotations)."""
    if sym == "none":
        return list(base)
    out = list(base) + [mirror_fn(e) for e in base]
    if sym == "dn":
        out = [rotate_fn(e, 2 * math.pi * k / n_fold) for k in range(n_fold) for e in out]
    return out


def base_count(n, sym, n_fold):
    if sym == "none":
        return n
    if sym == "mirror":
        return max(1, n // 2)
    return max(1, int(round(n / (2 * n_fold))))


def base_angles(rng, m, sym, n_fold, direction, cone):
    """Launch azimuths (ground frame, 0 = impact direction) of the m base elements.

    direction: 'down' (within +-cone of the impact direction), 'iso' (any), 'up'
    (within +-cone of the opposite direction).  Mirror bases live in b >= 0 and dn
    bases in the half-sector [0, pi/n]; their replicas fill the rest."""
    if sym == "dn":
        return rng.uniform(0.04, math.pi / n_fold - 0.04, m) if n_fold > 2 else rng.uniform(0, math.pi / n_fold, m)
    if direction == "down":
        lo, hi = (0.02, cone) if sym == "mirror" else (-cone, cone)
        return rng.uniform(lo, hi, m)
    if direction == "up":
        lo, hi = (math.pi - cone, math.pi - 0.02) if sym == "mirror" else (math.pi - cone, math.pi + cone)
        return rng.uniform(lo, hi, m)
    if sym == "mirror":
        return rng.uniform(0.03, math.pi - 0.03, m)
    return rng.uniform(-math.pi, math.pi, m)


def ground_cone(f, cone_img):
    """Ground half-angle whose image stays inside cone_img after foreshortening and height lift."""
    return math.atan(0.7 * f * math.tan(cone_img))


# ------------------------------------------------------------------ rendering of pieces
class PieceLook:
    """How a family's pieces look: edge sparkle (glass), bevel strength, shadow strength."""

    def __init__(self, edge=0.0, bevel=0.8, shadow=1.0, sphere_hl=0.9):
        self.edge, self.bevel, self.shadow, self.sphere_hl = edge, bevel, shadow, sphere_hl


def _lift(view, p, z):
    """Screen lift of a point at height z, capped so airborne pieces stay on their ray from the impact point."""
    if view.c <= 1e-3 or z <= 0:
        return 0.0
    return min(z, 0.25 * view.f * max(p.d, 1e-3) / view.c)


def _piece_xy(view, p, t):
    a, b = p.a + p.da * t, p.b + p.db * t
    z = max(0.0, p.z + p.dz * t)
    x, y = view.proj(p.poly[:, 0] + a, p.poly[:, 1] + b, _lift(view, p, z))
    return np.stack([x, y], 1), z, a, b


def lit_colour(p, light, c):
    L = light.L
    n = np.array([-p.tilt[0], -p.tilt[1], 1.0])
    n /= np.linalg.norm(n)
    ndl = float(n @ L)
    lum = light.amb + (1 - light.amb) * max(0.0, ndl) / max(L[2], 0.35)
    V = np.array([-c, 0.0, math.sqrt(max(0.0, 1 - c * c))])
    Hh = (L + V) / np.linalg.norm(L + V)
    spec = p.gloss * max(0.0, float(n @ Hh)) ** 40
    return np.clip(p.col * min(lum, 1.35) + spec, 0, 1.6)


def render_pieces(img, view, light, pieces, steps, look, nus_shadow=1.0, labels_out=None, label_base=0):
    """Composite pieces onto img (in place): shadows first, then the pieces.

    Moving pieces are drawn at ``steps`` instants spread over the exposure and
    averaged (motion blur; ``steps == 1``: a crisp flash exposure).  Returns the
    coverage (float32, H x W) of the pieces, the structure mask of detached
    matter."""
    h, w = img.shape[:2]
    cov_total = np.zeros((h, w), F32)
    if not pieces:
        return cov_total
    moving = [p for p in pieces if not p.rest]
    static = [p for p in pieces if p.rest]
    ts = [0.0] if steps <= 1 else list(np.linspace(-0.5, 0.5, steps))
    # ---- shadows
    sh_contact = np.zeros((h, w), np.uint8)
    sh_ao = np.zeros((h, w), np.uint8)
    for p in static:
        sa, sb = light.shadow_offset(p.thick)
        x, y = view.proj(p.poly[:, 0] * 1.05 + p.a + sa, p.poly[:, 1] * 1.05 + p.b + sb, 0)
        fill(sh_contact, np.stack([x, y], 1), 255)
        x, y = view.proj(p.poly[:, 0] * 1.25 + p.a, p.poly[:, 1] * 1.25 + p.b, 0)
        fill(sh_ao, np.stack([x, y], 1), 255)
    shadow = None
    if static:
        shadow = blur(sh_contact.astype(F32) * F32(0.85 / 255), 0.7) + blur(sh_ao.astype(F32) * F32(0.3 / 255), 2.0)
    if moving:
        acc = np.zeros((h, w), F32)
        zs = []
        for t in ts:
            lay = np.zeros((h, w), np.uint8)
            for p in moving:
                z = max(0.0, p.z + p.dz * t)
                zs.append(z)
                sa, sb = light.shadow_offset(z + p.thick)
                x, y = view.proj(p.poly[:, 0] + p.a + p.da * t + sa, p.poly[:, 1] + p.b + p.db * t + sb, 0)
                fill(lay, np.stack([x, y], 1), 255)
            acc += lay.astype(F32)
        acc *= F32(0.8 / (255.0 * len(ts)))
        sig = 0.7 + light.soft * float(np.median(zs)) * 0.5
        acc = blur(acc, sig)
        shadow = acc if shadow is None else shadow + acc
    if shadow is not None:
        img *= (1.0 - np.clip(shadow * F32(light.shadow * look.shadow * nus_shadow), 0, 0.92))[..., None]

    # ---- pieces
    def draw(plist, t, canvas, cov):
        order = sorted(plist, key=lambda q: q.z + q.dz * t)
        for p in order:
            xy, z, _, _ = _piece_xy(view, p, t)
            col = lit[id(p)]
            op = p.op
            fill(canvas, xy, (int(col[0] * op * 255 / 1.6), int(col[1] * op * 255 / 1.6), int(col[2] * op * 255 / 1.6), int(op * 255)))
            fill(cov, xy, 255)
            if p.sphere and look.sphere_hl > 0:
                r = math.sqrt(p.area * view.f / math.pi)
                cx, cy = xy.mean(0)
                lx, ly = view.screen_dir(light.L[0], light.L[1])
                hx, hy = cx + 0.38 * r * lx, cy + 0.38 * r * ly
                rr = max(0.45, 0.3 * r)
                tt = np.linspace(0, 2 * math.pi, 10, endpoint=False)
                hp = np.stack([hx + rr * np.cos(tt), hy + rr * np.sin(tt)], 1)
                v = int(look.sphere_hl * 255 / 1.6)
                fill(canvas, hp, (v, v, v, 255))

    lit = {id(p): lit_colour(p, light, view.c) for p in pieces}
    can_s = np.zeros((h, w, 4), np.uint8)
    cov_s = np.zeros((h, w), np.uint8)
    if static:
        draw(static, 0.0, can_s, cov_s)
    C = can_s[..., :3].astype(F32) * F32(1.6 / 255)
    A = can_s[..., 3].astype(F32) * F32(1 / 255)
    cov = cov_s.astype(F32) * F32(1 / 255)
    if moving:
        Cm = np.zeros((h, w, 3), F32)
        Am = np.zeros((h, w), F32)
        covm = np.zeros((h, w), F32)
        for t in ts:
            can = np.zeros((h, w, 4), np.uint8)
            cv_ = np.zeros((h, w), np.uint8)
            draw(moving, t, can, cv_)
            Cm += can[..., :3].astype(F32)
            Am += can[..., 3].astype(F32)
            covm += cv_.astype(F32)
        k = F32(1.0 / len(ts))
        Cm *= F32(1.6 / 255) * k
        Am *= F32(1 / 255) * k
        covm *= F32(1 / 255) * k
        C = Cm + C * (1 - Am)[..., None]
        A = Am + A * (1 - Am)
        cov = np.maximum(cov, covm)
    # bevel: edges facing the light brighter, the others darker; glass adds edge sparkle
    covb = cv2.GaussianBlur(cov, (0, 0), 0.8)
    gx = cv2.Sobel(covb, cv2.CV_32F, 1, 0, ksize=3) * F32(0.25)
    gy = cv2.Sobel(covb, cv2.CV_32F, 0, 1, ksize=3) * F32(0.25)
    lx, ly = view.screen_dir(light.L[0], light.L[1])
    facing = -(gx * F32(lx) + gy * F32(ly))
    C = C * np.clip(1.0 + look.bevel * facing, 0.3, 1.8)[..., None]
    if look.edge > 0:
        mag = np.sqrt(gx * gx + gy * gy)
        C = C + (F32(look.edge) * mag * np.clip(0.6 + 0.8 * facing, 0.2, 1.6))[..., None]
        A = np.maximum(A, np.clip(F32(look.edge) * mag, 0, 1))
    img *= (1 - A)[..., None]
    img += C
    if labels_out is not None:
        for i, p in enumerate(pieces):
            xy, _, _, _ = _piece_xy(view, p, 0.0)
            cv2.fillPoly(labels_out, [pts16(xy)], int(label_base + i + 1), cv2.LINE_8, 4)
    np.maximum(cov_total, cov, out=cov_total)
    return cov_total


def exposure_steps(pieces, view, nus):
    """Sub-steps needed to integrate the pieces' motion over the exposure (1 = crisp)."""
    moving = [p for p in pieces if not p.rest]
    if not moving or nus["exposure"] == "flash":
        return 1
    m = max(math.hypot(p.da * view.f, p.db) + abs(p.dz) * view.c for p in moving)
    return int(np.clip(math.ceil(m / 1.2) + 1, 2, EXPOSURE_STEPS_MAX))


# ------------------------------------------------------------------ crack lines
def wiggle(rng, n, amp, smooth=3):
    w = np.cumsum(rng.normal(0, 1, n))
    w = np.convolve(w, np.ones(smooth) / smooth, mode="same")
    w -= w[0]
    s = np.abs(w).max() or 1.0
    return w / s * amp


def draw_lines(shape, view, lines, thickness=1, fade_tips=None):
    """Anti-aliased polylines (ground coordinates) -> float32 alpha.  ``fade_tips``:
    per line, True to fade the last 30 % (a running crack tip)."""
    h, w = shape
    lay = np.zeros((h, w), np.uint8)
    for i, ab in enumerate(lines):
        x, y = view.proj(ab[:, 0], ab[:, 1], 0)
        xy = np.stack([x, y], 1)
        if fade_tips is not None and fade_tips[i] and len(xy) > 4:
            k = int(len(xy) * 0.7)
            cv2.polylines(lay, [pts16(xy[: k + 1])], False, 255, thickness, cv2.LINE_AA, 4)
            rest = xy[k:]
            m = len(rest)
            for j in range(m - 1):
                v = int(255 * (1 - 0.75 * (j + 1) / m))
                cv2.polylines(lay, [pts16(rest[j : j + 2])], False, v, thickness, cv2.LINE_AA, 4)
        else:
            cv2.polylines(lay, [pts16(xy)], False, 255, thickness, cv2.LINE_AA, 4)
    return lay.astype(F32) * F32(1 / 255)

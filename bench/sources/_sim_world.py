"""Photographic context for the ``sim`` source: view geometry, ground textures,
context objects, light and the camera (depth of field, vignetting, sensor noise,
JPEG).  Nothing here depends on the labels: every draw comes from the
label-free nuisance generator handed in by :mod:`bench.sources.sim`.

Coordinates.  The event frame is the ground plane around the impact point
``p0``: ``a`` runs along the scene's image-plane impact direction ``u`` and ``b``
along ``v`` (``u`` turned by 90 degrees), ``z`` is height above the support.  The
camera looks down at the ground (top-down when ``f = 1``, oblique when the
ground is foreshortened by ``f = sin(pitch)`` along ``u``; heights then move a
point by ``-c z`` along ``u`` with ``c = cos(pitch)``).  A mirror about the
impact axis (``b -> -b``) is therefore an exact mirror in the image about the
line through ``p0`` along ``u``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

F32 = np.float32


def smoothstep(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def blur(img, sigma):
    """Gaussian blur; large sigmas go through a smaller image (same result to the eye, much faster)."""
    if sigma <= 0.3:
        return img
    if sigma < 6:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    h, w = img.shape[:2]
    k = int(min(8, sigma // 3))
    small = cv2.resize(img, (max(2, w // k), max(2, h // k)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def pts16(xy):
    """Float (k, 2) pixel coordinates -> int32 points for cv2 drawing with shift=4."""
    return np.round(np.asarray(xy, np.float64) * 16.0).astype(np.int32).reshape(-1, 1, 2)


def fill(img, xy, colour, aa=True):
    cv2.fillPoly(img, [pts16(xy)], colour, cv2.LINE_AA if aa else cv2.LINE_8, 4)


def ellipse_pts(cx, cy, ex, ey, n=40):
    """Points of the ellipse centre + ex cos t + ey sin t (ex, ey: 2-vectors)."""
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([cx + ex[0] * np.cos(t) + ey[0] * np.sin(t), cy + ex[1] * np.cos(t) + ey[1] * np.sin(t)], 1)


# ------------------------------------------------------------------ noise
class Noise:
    """Periodic Gaussian value noise sampled (bicubic) at arbitrary coordinates."""

    def __init__(self, rng, n=48, count=6):
        self.n = n
        self.grids = [rng.standard_normal((n, n)).astype(F32) for _ in range(count)]
        self.offs = rng.uniform(0, n, (count, 2))

    def at(self, k, X, Y, cell):
        g = self.grids[k % len(self.grids)]
        ox, oy = self.offs[k % len(self.offs)]
        n = F32(self.n)
        step = int(np.clip(cell * 0.25, 1, 4))  # smooth noise: sample a coarser grid, then upsample
        if step > 1:
            h, w = X.shape
            X, Y = X[::step, ::step], Y[::step, ::step]
        mx = X * F32(1.0 / cell)
        mx += F32(ox)
        np.remainder(mx, n, out=mx)
        my = Y * F32(1.0 / cell)
        my += F32(oy)
        np.remainder(my, n, out=my)
        out = cv2.remap(g, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_WRAP)
        if step > 1:
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        return out

    def fbm(self, X, Y, cell, octaves=4, gain=0.55, k0=0):
        out = None
        amp, tot = 1.0, 0.0
        for o in range(octaves):
            layer = self.at(k0 + o, X + 17.0 * o, Y - 11.0 * o, cell / (2.0**o))
            out = amp * layer if out is None else out + amp * layer
            tot += amp * amp
            amp *= gain
        return out * F32(1.0 / (0.62 * math.sqrt(tot)))


# ------------------------------------------------------------------ view
class View:
    """Screen <-> ground geometry of one image (see the module docstring)."""

    def __init__(self, h, w, p0, u, f, c, kappa):
        self.h, self.w = h, w
        self.p0 = (float(p0[0]), float(p0[1]))
        n = math.hypot(u[0], u[1]) or 1.0
        self.u = (u[0] / n, u[1] / n)
        self.v = (-self.u[1], self.u[0])
        self.f, self.c, self.kappa = float(f), float(c), float(kappa)
        yy, xx = np.mgrid[0:h, 0:w].astype(F32)
        dx, dy = xx - F32(self.p0[0]), yy - F32(self.p0[1])
        self.ys = dx * F32(self.u[0]) + dy * F32(self.u[1])  # along u on screen (near side positive)
        self.xs = dx * F32(self.v[0]) + dy * F32(self.v[1])
        self.A = self.ys / F32(self.f)  # affine event-frame ground coordinates
        self.B = self.xs
        corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - np.array(self.p0)
        ext = np.abs(corners @ np.array(self.u)).max() * 1.05 + 1.0
        self.ext = ext
        wgt = 1.0 + F32(kappa) * self.ys / F32(ext)
        self.depth = 1.0 / wgt  # relative distance from the camera (1 at the impact point's depth)
        self.GA = self.ys / (F32(self.f) * wgt)  # perspective ground coordinates (context)
        self.GB = self.xs / wgt

    def proj(self, a, b, z=0.0):
        """Event-frame ground point(s) (a, b) at height z -> screen x, y."""
        a = np.asarray(a, np.float64)
        b = np.asarray(b, np.float64)
        s = self.f * a - self.c * np.asarray(z, np.float64)
        return self.p0[0] + self.u[0] * s + self.v[0] * b, self.p0[1] + self.u[1] * s + self.v[1] * b

    def proj_pts(self, ab, z=0.0):
        x, y = self.proj(ab[:, 0], ab[:, 1], z)
        return np.stack([x, y], 1)

    def unproj(self, x, y):
        dx, dy = x - self.p0[0], y - self.p0[1]
        return (dx * self.u[0] + dy * self.u[1]) / self.f, dx * self.v[0] + dy * self.v[1]

    def screen_dir(self, da, db):
        """Screen direction (unit) of a ground direction."""
        x = self.u[0] * self.f * da + self.v[0] * db
        y = self.u[1] * self.f * da + self.v[1] * db
        n = math.hypot(x, y) or 1.0
        return x / n, y / n


class Light:
    """One key light (azimuth in the ground frame, elevation) plus ambient."""

    def __init__(self, rng):
        self.az = rng.uniform(-math.pi, math.pi)
        self.el = math.radians(rng.uniform(28, 72))
        self.amb = rng.uniform(0.32, 0.55)
        self.soft = rng.uniform(0.03, 0.22)  # penumbra growth per unit height
        self.shadow = rng.uniform(0.45, 0.75)  # darkness of a full shadow
        ce = math.cos(self.el)
        self.L = np.array([ce * math.cos(self.az), ce * math.sin(self.az), math.sin(self.el)])
        self.cot = ce / math.sin(self.el)

    def shadow_offset(self, z):
        """Ground offset (da, db) of the shadow of a point at height z."""
        return -z * self.cot * math.cos(self.az), -z * self.cot * math.sin(self.az)

    def shade(self, ga, gb):
        """Lambert shading of a surface with height gradient (dh/da, dh/db)."""
        L = self.L
        nz = 1.0 / np.sqrt(1.0 + ga * ga + gb * gb)
        ndl = (-ga * L[0] - gb * L[1] + L[2]) * nz
        return self.amb + (1 - self.amb) * np.clip(ndl, 0, None) / max(L[2], 0.3), nz, ndl

    def spec(self, ga, gb, power, c):
        """Blinn specular for a camera looking down the view direction."""
        L = self.L
        V = np.array([0.0, 0.0, 1.0]) if c < 0.05 else np.array([-c, 0.0, math.sqrt(max(0.0, 1 - c * c))])
        Hh = L + V
        Hh = Hh / np.linalg.norm(Hh)
        nz = 1.0 / np.sqrt(1.0 + ga * ga + gb * gb)
        ndh = np.clip((-ga * Hh[0] - gb * Hh[1] + Hh[2]) * nz, 0, 1)
        return ndh**power


# ------------------------------------------------------------------ ground textures
WOODS = [(0.62, 0.45, 0.28), (0.36, 0.23, 0.14), (0.80, 0.66, 0.47), (0.84, 0.83, 0.79), (0.58, 0.56, 0.53), (0.18, 0.14, 0.11)]
STONES = [(0.55, 0.55, 0.53), (0.66, 0.64, 0.6), (0.42, 0.42, 0.43), (0.6, 0.55, 0.48), (0.3, 0.31, 0.33)]
TILES = [(0.88, 0.87, 0.84), (0.72, 0.42, 0.3), (0.35, 0.37, 0.4), (0.55, 0.68, 0.75), (0.92, 0.9, 0.82), (0.2, 0.2, 0.22)]
FABRICS = [(0.75, 0.2, 0.18), (0.22, 0.3, 0.55), (0.85, 0.83, 0.78), (0.3, 0.45, 0.3), (0.55, 0.5, 0.62), (0.15, 0.15, 0.17)]
SANDS = [(0.78, 0.64, 0.44), (0.86, 0.8, 0.68), (0.72, 0.45, 0.28), (0.38, 0.35, 0.33), (0.62, 0.55, 0.46)]
PAPERS = [(0.06, 0.06, 0.07), (0.35, 0.36, 0.38), (0.9, 0.9, 0.9), (0.2, 0.3, 0.45), (0.55, 0.2, 0.2), (0.75, 0.72, 0.65)]


def _lut(rng, n=97):
    return rng.standard_normal(n).astype(F32)


def _rot(X, Y, ang):
    ca, sa = F32(math.cos(ang)), F32(math.sin(ang))
    return X * ca + Y * sa, -X * sa + Y * ca


def _jit(rng, col, amt=0.06):
    return np.clip(np.asarray(col) * rng.uniform(1 - amt, 1 + amt, 3), 0, 1)


def ground(kind, view, rng, nz, S, X=None, Y=None):
    """Albedo (H, W, 3), micro height (H, W; ground px) and gloss in [0, 1] of a support surface.

    ``S`` is the world scale: ground pixels per 'decimetre' (textures scale with it).
    """
    X = view.GB if X is None else X
    Y = view.GA if Y is None else Y
    h, w = X.shape
    ang = rng.uniform(0, math.pi)
    gx, gy = _rot(X, Y, ang)
    bump = np.zeros((h, w), F32)
    gloss = 0.0
    if kind == "wood":
        col = _jit(rng, WOODS[rng.integers(len(WOODS))])
        pw = S * rng.uniform(0.9, 2.2)
        pid = np.floor(gy / pw)
        frac = gy / pw - pid
        lut = _lut(rng)
        tint = lut[(pid.astype(np.int64) % 97)]
        grain = nz.at(0, gx / (S * 4.0), gy / (S * 0.08), 1.0) * 0.6 + nz.at(1, gx / (S * 1.5), gy / (S * 0.02), 1.0) * 0.4
        rings = np.sin(gy / (S * 0.05) + 3.5 * grain)
        groove = smoothstep(0.0, 0.025, frac) * smoothstep(1.0, 0.975, frac)
        lum = 1.0 + 0.09 * rings + 0.07 * grain + 0.08 * tint
        albedo = np.clip(lum[..., None] * col, 0, 1) * (0.55 + 0.45 * groove)[..., None]
        bump = (groove - 1.0) * S * 0.04
        gloss = rng.uniform(0.1, 0.5)
    elif kind in ("stone", "concrete"):
        col = _jit(rng, STONES[rng.integers(len(STONES))])
        big = nz.fbm(X, Y, S * 3.0, 3, k0=2)
        fine = nz.fbm(X, Y, S * 0.25, 2, k0=4)
        speck = nz.at(5, X, Y, max(0.6, S * 0.03))
        lum = 1.0 + 0.07 * big + 0.06 * fine - 0.18 * np.clip(speck - 1.1, 0, None) + 0.1 * np.clip(-speck - 1.3, 0, None)
        albedo = np.clip(lum[..., None] * col, 0, 1)
        bump = fine * S * 0.01
        gloss = rng.uniform(0.0, 0.25)
        if kind == "stone":  # flagstones / large slabs with joints
            T = S * rng.uniform(3.0, 6.0)
            fx, fy = gx / T, gy / (T * rng.uniform(0.6, 1.0))
            d = np.minimum(np.abs(fx - np.round(fx)), np.abs(fy - np.round(fy)))
            joint = smoothstep(0.004, 0.02, d)
            lut = _lut(rng)
            tid = (np.floor(fx).astype(np.int64) * 31 + np.floor(fy).astype(np.int64) * 7) % 97
            albedo = albedo * (1 + 0.07 * lut[tid])[..., None] * (0.5 + 0.5 * joint)[..., None]
            bump = bump + (joint - 1) * S * 0.05
    elif kind == "tiles":
        col = _jit(rng, TILES[rng.integers(len(TILES))])
        T = S * rng.uniform(1.2, 3.0)
        fx, fy = gx / T, gy / T
        d = np.minimum(np.abs(fx - np.round(fx)), np.abs(fy - np.round(fy)))
        gw = rng.uniform(0.012, 0.035)
        joint = smoothstep(gw * 0.5, gw * 1.5, d)
        lut = _lut(rng)
        tid = (np.floor(fx).astype(np.int64) * 31 + np.floor(fy).astype(np.int64) * 7) % 97
        grout = np.array(rng.choice([0.85, 0.55, 0.3]), F32)
        fine = nz.fbm(X, Y, S * 0.3, 2, k0=1)
        tile = col * (1 + 0.04 * lut[tid] + 0.03 * fine)[..., None]
        albedo = tile * joint[..., None] + (1 - joint[..., None]) * grout * np.array([1.0, 0.98, 0.94])
        bump = (joint - 1) * S * 0.03
        gloss = rng.uniform(0.45, 0.9)
    elif kind == "fabric":
        col = _jit(rng, FABRICS[rng.integers(len(FABRICS))])
        p = max(2.6, S * rng.uniform(0.04, 0.08))
        weave = np.sin(gx * (2 * math.pi / p)) * np.sin(gy * (2 * math.pi / p))
        folds = nz.fbm(X, Y, S * 4.0, 2, k0=3)
        albedo = col * (1 + 0.05 * weave + 0.04 * nz.at(2, X, Y, S * 0.2))[..., None]
        if rng.random() < 0.4:  # gingham / stripes
            q = S * rng.uniform(0.6, 1.5)
            chk = ((np.floor(gx / q) + np.floor(gy / q)) % 2).astype(F32)
            col2 = np.array([0.92, 0.9, 0.86])
            albedo = albedo * (1 - 0.55 * chk[..., None]) + 0.55 * chk[..., None] * col2
        bump = folds * S * 0.5
        gloss = 0.0
    elif kind == "sand":
        col = _jit(rng, SANDS[rng.integers(len(SANDS))])
        lam = S * rng.uniform(0.4, 0.9)
        warp = nz.fbm(X, Y, S * 3.0, 2, k0=4)
        ripple = np.sin((gy / lam + 0.6 * warp) * 2 * math.pi)
        big = nz.fbm(X, Y, S * 5.0, 2, k0=1)
        grain = nz.at(3, X, Y, 0.7)
        albedo = col * (1 + 0.05 * big + 0.07 * grain)[..., None]
        bump = (0.5 * ripple + 0.7 * big) * lam * 0.05
        gloss = 0.0
    elif kind == "asphalt":
        col = _jit(rng, (0.27, 0.27, 0.28))
        speck = nz.at(1, X, Y, 0.8)
        big = nz.fbm(X, Y, S * 2.0, 3, k0=2)
        albedo = col * (1 + 0.22 * np.clip(speck, -2, 2) + 0.08 * big)[..., None]
        bump = speck * 0.3
        gloss = 0.1
    elif kind == "grass":
        col = _jit(rng, (0.25, 0.42, 0.16), 0.15)
        blades = nz.at(2, gx / 0.6, gy / 3.0, 1.0)
        big = nz.fbm(X, Y, S * 3.0, 2, k0=3)
        albedo = col * (1 + 0.25 * blades + 0.12 * big)[..., None]
        albedo[..., 0] += 0.04 * big
        bump = blades * 0.6
        gloss = 0.05
    elif kind == "metal":
        col = _jit(rng, (0.6, 0.61, 0.62), 0.05)
        brushed = nz.at(1, gx / 40.0, gy / 0.5, 1.0)
        big = nz.fbm(X, Y, S * 3.0, 2, k0=2)
        albedo = col * (1 + 0.05 * brushed + 0.05 * big)[..., None]
        gloss = rng.uniform(0.5, 0.9)
    else:  # studio paper / backdrop
        col = _jit(rng, PAPERS[rng.integers(len(PAPERS))])
        big = nz.fbm(X, Y, S * 8.0, 2, k0=5)
        albedo = col * (1 + 0.03 * big)[..., None]
        gloss = rng.uniform(0.0, 0.2)
    return np.clip(albedo, 0, 1).astype(F32), bump.astype(F32), float(gloss)


def shade_ground(albedo, bump, gloss, view, light, rng):
    """Light a textured support: Lambert on the micro relief, a broad specular sheen."""
    gy, gx = np.gradient(bump)
    # screen gradients -> event-frame gradients (approximately; the relief is small)
    ga = (gx * F32(view.u[0]) + gy * F32(view.u[1])) * F32(view.f)
    gb = gx * F32(view.v[0]) + gy * F32(view.v[1])
    sh, _, _ = light.shade(ga, gb)
    img = albedo * sh[..., None].astype(F32)
    if gloss > 0:
        # a broad sheen (reflection of the light source / window) across the surface
        L = light.L
        cx = view.p0[0] + rng.uniform(-0.6, 0.6) * view.w
        cy = view.p0[1] + rng.uniform(-0.6, 0.6) * view.h
        r = rng.uniform(0.3, 0.8) * max(view.h, view.w)
        yy, xx = np.ogrid[0 : view.h, 0 : view.w]
        d2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r)
        sheen = np.exp(-d2).astype(F32) * F32(gloss * rng.uniform(0.05, 0.22) * (0.5 + L[2]))
        img = img + sheen[..., None]
    return img.astype(F32)


# ------------------------------------------------------------------ far context: table edge, wall, window light
def table_edge(img, view, rng, nz, S, exclude):
    """Cut the support at a straight edge: beyond it a lower floor, blurred and darker."""
    ang = rng.uniform(-math.pi, math.pi)
    nrm = (math.cos(ang), math.sin(ang))
    d = nrm[0] * view.GA + nrm[1] * view.GB
    # put the edge outside the event: at exclude * (1.05 .. 2.0) from the impact point
    d0 = exclude * rng.uniform(1.05, 2.2)
    beyond = smoothstep(d0, d0 + 1.2, d)
    if float(beyond.mean()) < 0.01:
        return img, None
    kind = rng.choice(["tiles", "concrete", "wood", "studio"])
    floor_alb, fb, fg = ground(str(kind), view, rng, nz, S * rng.uniform(0.4, 0.7))
    floor = floor_alb * F32(rng.uniform(0.25, 0.6))
    floor = blur(floor, rng.uniform(1.0, 3.5))
    thick = S * rng.uniform(0.15, 0.4)
    side = smoothstep(d0, d0 + 1.0, d) * (1 - smoothstep(d0 + thick, d0 + thick + 1.0, d))
    side_col = img.mean(axis=(0, 1)) * F32(rng.uniform(0.35, 0.8))
    out = img * (1 - beyond[..., None]) + floor * beyond[..., None]
    if view.c > 0.3:
        out = out * (1 - side[..., None]) + side_col * side[..., None]
    # a thin highlight on the edge itself
    lip = np.exp(-(((d - d0) / 0.8) ** 2)).astype(F32)
    out = out + F32(rng.uniform(0.05, 0.25)) * lip[..., None]
    return out.astype(F32), beyond


def wall(img, view, rng, nz, S, exclude, light):
    """Oblique views: a wall standing beyond the far edge of the support, with skirting and a window."""
    if view.c < 0.35:
        return img, None
    a_wall = -exclude * rng.uniform(1.15, 2.0)
    if float((view.A < a_wall).mean()) < 0.02:
        return img, None
    hgt = (a_wall - view.GA) * F32(view.f / max(view.c, 1e-3))  # wall height at each pixel (ground px)
    on = smoothstep(0.0, 0.8, hgt)
    col = _jit(rng, [(0.85, 0.84, 0.8), (0.72, 0.7, 0.62), (0.55, 0.62, 0.66), (0.8, 0.7, 0.6), (0.4, 0.42, 0.45)][rng.integers(5)])
    plaster = 1 + 0.03 * nz.fbm(view.GB, hgt, S * 2.0, 2, k0=1)
    wl = col * plaster[..., None] * F32(rng.uniform(0.55, 0.9))
    sk = S * rng.uniform(0.5, 1.2)
    skirt = 1 - smoothstep(sk, sk + 0.7, hgt)
    wl = wl * (1 - skirt[..., None]) + skirt[..., None] * _jit(rng, (0.9, 0.89, 0.86)) * F32(0.75)
    wl = wl * (1 - 0.3 * np.exp(-(((hgt - sk) / 0.7) ** 2)))[..., None]
    if rng.random() < 0.6:  # a window in the wall: bright panes, dark frame, long straight edges
        b0 = rng.uniform(-1.5, 1.5) * exclude
        bw = S * rng.uniform(3, 7)
        h0 = sk + S * rng.uniform(1, 3)
        hh = S * rng.uniform(4, 8)
        fx = (view.GB - b0) / bw
        fy = (hgt - h0) / hh
        inside = smoothstep(0, 0.02, fx) * smoothstep(1, 0.98, fx) * smoothstep(0, 0.02, fy) * smoothstep(1, 0.98, fy)
        nb = int(rng.integers(1, 4))
        mull = np.minimum(np.abs(fx * nb - np.round(fx * nb)) / nb, np.abs(fy * 2 - np.round(fy * 2)) / 2)
        pane = smoothstep(0.008, 0.02, mull)
        sky = np.array([0.85, 0.9, 1.0], F32) * F32(rng.uniform(1.0, 1.3)) * (1 - 0.25 * fy.clip(0, 1))[..., None]
        frame_col = _jit(rng, (0.92, 0.92, 0.9)) * 0.8
        wnd = sky * pane[..., None] + frame_col * (1 - pane[..., None])
        wl = wl * (1 - inside[..., None]) + wnd * inside[..., None]
    out = img * (1 - on[..., None]) + wl * on[..., None]
    # contact shadow along the base of the wall
    base = np.exp(-np.clip(-hgt, 0, None) / (S * 0.6)) * (1 - on)
    out = out * (1 - 0.25 * base[..., None])
    return out.astype(F32), on


def window_light(img, view, rng, S):
    """Sunlight through a window lying across the support: a bright patch with mullion shadows."""
    ang = rng.uniform(0, math.pi)
    g1, g2 = _rot(view.GB, view.GA, ang)
    w1, w2 = S * rng.uniform(6, 16), S * rng.uniform(6, 16)
    o1 = rng.uniform(-w1, w1 * 0.2)
    o2 = rng.uniform(-w2, w2 * 0.2)
    soft = S * rng.uniform(0.2, 0.8)
    f1, f2 = (g1 - o1) / w1, (g2 - o2) / w2
    inside = smoothstep(0, soft / w1, f1) * smoothstep(1, 1 - soft / w1, f1) * smoothstep(0, soft / w2, f2) * smoothstep(1, 1 - soft / w2, f2)
    n1, n2 = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    m = np.minimum(np.abs(f1 * n1 - np.round(f1 * n1)) * w1 / n1, np.abs(f2 * n2 - np.round(f2 * n2)) * w2 / n2)
    bar = S * rng.uniform(0.08, 0.2)
    lit = inside * smoothstep(bar, bar + soft, m)
    gain = F32(rng.uniform(0.12, 0.35))
    warm = np.array([1.0, 0.95, 0.85], F32)
    return (img * (1 + gain * lit[..., None] * warm)).astype(F32), lit


# ------------------------------------------------------------------ context objects
class Ctx:
    """Drawing state shared by the context objects."""

    def __init__(self, img, view, light, rng, S, mask):
        self.img, self.view, self.light, self.rng, self.S, self.mask = img, view, light, rng, S, mask

    def shadow(self, poly_xy, strength, sigma):
        h, w = self.img.shape[:2]
        lay = np.zeros((h, w), np.uint8)
        fill(lay, poly_xy, 255)
        lay = blur(lay.astype(F32) * F32(1 / 255), sigma)
        self.img *= (1 - F32(strength * self.light.shadow) * lay)[..., None]

    def paint(self, poly_xy, colour_fn, aa=True):
        """Fill a polygon with a per-pixel colour function colour_fn(xx, yy) -> (H, W, 3)."""
        h, w = self.img.shape[:2]
        lay = np.zeros((h, w), np.uint8)
        fill(lay, poly_xy, 255, aa)
        a = lay.astype(F32) * F32(1 / 255)
        col = colour_fn()
        self.img[:] = self.img * (1 - a[..., None]) + col * a[..., None]
        np.maximum(self.mask, a, out=self.mask)
        return a


def _cyl_shade(view, light, cx, cy, r, base_col, gloss, axis_dir=None):
    """Per-pixel shading of an upright cylinder seen from above: dark rims, a highlight stripe."""
    h, w = view.h, view.w
    yy, xx = np.mgrid[0:h, 0:w].astype(F32)
    vx, vy = view.v if axis_dir is None else axis_dir
    t = ((xx - cx) * F32(vx) + (yy - cy) * F32(vy)) / F32(max(r, 1e-3))
    t = np.clip(t, -1, 1)
    ls = math.sin(light.az) if axis_dir is None else 0.3
    body = 0.35 + 0.65 * np.sqrt(np.clip(1 - t * t, 0, 1)) * (0.75 + 0.25 * ls * t)
    hl = np.exp(-(((t - 0.45 * ls) / 0.12) ** 2)) * F32(gloss)
    return np.clip(body[..., None] * base_col + hl[..., None], 0, 1.5).astype(F32)


def obj_bottle(cx_, rng, a, b, size):
    view, light = cx_.view, cx_.light
    r = size * rng.uniform(0.25, 0.4)
    hgt = size * rng.uniform(2.0, 3.2)
    glass = rng.random() < 0.6
    col = np.array([(0.18, 0.42, 0.2), (0.42, 0.25, 0.1), (0.75, 0.82, 0.85), (0.15, 0.3, 0.5), (0.85, 0.2, 0.15), (0.9, 0.9, 0.88)][rng.integers(6)], F32)
    p_base = view.proj(a, b, 0)
    # cast shadow
    sa, sb = light.shadow_offset(hgt)
    sh = np.concatenate([_ground_ellipse(view, a, b, r, 0), _ground_ellipse(view, a + sa, b + sb, r * 0.7, 0)])
    cx_.shadow(cv2.convexHull(sh.astype(np.float32)).reshape(-1, 2), 0.8, 1.0 + light.soft * hgt * 0.5)
    body = np.concatenate([_ground_ellipse(view, a, b, r, 0), _ground_ellipse(view, a, b, r, 0.65 * hgt)])
    hull = cv2.convexHull(body.astype(np.float32)).reshape(-1, 2)
    px, py = view.proj(a, b, 0.3 * hgt)
    shade = _cyl_shade(view, light, px, py, r, col, 0.9 if glass else 0.5)
    if glass:
        bg = cx_.img.copy()
        cx_.paint(hull, lambda: bg * (0.35 + 0.6 * col) + shade * 0.45)
    else:
        cx_.paint(hull, lambda: shade)
    neck = np.concatenate([_ground_ellipse(view, a, b, r, 0.65 * hgt), _ground_ellipse(view, a, b, r * 0.35, 0.82 * hgt), _ground_ellipse(view, a, b, r * 0.35, hgt)])
    hull2 = cv2.convexHull(neck.astype(np.float32)).reshape(-1, 2)
    nx, ny = view.proj(a, b, 0.85 * hgt)
    shade2 = _cyl_shade(view, light, nx, ny, r * 0.5, col, 0.9)
    cx_.paint(hull2, lambda: shade2 * 0.95)
    cap = _ground_ellipse(view, a, b, r * 0.38, hgt)
    capc = np.array([(0.8, 0.75, 0.2), (0.15, 0.15, 0.15), (0.8, 0.8, 0.82), (0.6, 0.1, 0.1)][rng.integers(4)], F32)
    cx_.paint(cap, lambda: np.broadcast_to(capc, cx_.img.shape).copy())
    return p_base


def _ground_ellipse(view, a, b, r, z, n=32):
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return view.proj_pts(np.stack([a + r * np.cos(t), b + r * np.sin(t)], 1), z)


def obj_mug(cx_, rng, a, b, size):
    view, light = cx_.view, cx_.light
    r = size * rng.uniform(0.35, 0.5)
    hgt = size * rng.uniform(0.8, 1.2)
    col = np.array([(0.9, 0.9, 0.88), (0.7, 0.15, 0.12), (0.2, 0.3, 0.55), (0.1, 0.1, 0.1), (0.85, 0.6, 0.2)][rng.integers(5)], F32)
    sa, sb = light.shadow_offset(hgt)
    sh = np.concatenate([_ground_ellipse(view, a, b, r, 0), _ground_ellipse(view, a + sa, b + sb, r, 0)])
    cx_.shadow(cv2.convexHull(sh.astype(np.float32)).reshape(-1, 2), 0.85, 1.0 + light.soft * hgt * 0.5)
    # handle: a thick ring on one side
    ha = rng.uniform(0, 2 * math.pi)
    hx, hy = view.proj(a + 1.15 * r * math.cos(ha), b + 1.15 * r * math.sin(ha), 0.5 * hgt)
    lay = np.zeros(cx_.img.shape[:2], np.uint8)
    cv2.ellipse(lay, (int(hx * 16), int(hy * 16)), (int(r * 0.45 * 16), int(r * 0.3 * 16)), math.degrees(ha), 0, 360, 255, max(1, int(r * 0.18)), cv2.LINE_AA, 4)
    al = lay.astype(F32) / 255
    cx_.img[:] = cx_.img * (1 - al[..., None]) + (col * 0.8) * al[..., None]
    np.maximum(cx_.mask, al, out=cx_.mask)
    body = np.concatenate([_ground_ellipse(view, a, b, r, 0), _ground_ellipse(view, a, b, r, hgt)])
    hull = cv2.convexHull(body.astype(np.float32)).reshape(-1, 2)
    px, py = view.proj(a, b, 0.5 * hgt)
    shade = _cyl_shade(view, light, px, py, r, col, 0.6)
    cx_.paint(hull, lambda: shade)
    rim = _ground_ellipse(view, a, b, r * 0.97, hgt)
    cx_.paint(rim, lambda: np.broadcast_to(col * 0.95 + 0.05, cx_.img.shape).copy())
    inner = _ground_ellipse(view, a, b, r * 0.85, hgt)
    liq = np.array([(0.25, 0.14, 0.07), (0.05, 0.04, 0.03), (0.6, 0.45, 0.3)][rng.integers(3)], F32) if rng.random() < 0.6 else col * 0.45
    cx_.paint(inner, lambda: np.broadcast_to(liq, cx_.img.shape).copy())


def _flat_rect(view, a, b, ang, L, W, z=0.0):
    ca, sa = math.cos(ang), math.sin(ang)
    loc = np.array([[-L / 2, -W / 2], [L / 2, -W / 2], [L / 2, W / 2], [-L / 2, W / 2]])
    ab = np.stack([a + loc[:, 0] * ca - loc[:, 1] * sa, b + loc[:, 0] * sa + loc[:, 1] * ca], 1)
    return view.proj_pts(ab, z)


def _lying(cx_, parts, thick):
    """Objects lying on the support: contact shadow, then each part with a bevel-ish gradient."""
    view, light = cx_.view, cx_.light
    sa, sb = light.shadow_offset(thick)
    for poly_ab, _, _ in parts:
        q = view.proj_pts(poly_ab + np.array([sa, sb]), 0)
        cx_.shadow(q, 0.8, 0.8 + thick * 0.3)
    for poly_ab, col, gloss in parts:
        xy = view.proj_pts(poly_ab, thick)
        shade_col = np.asarray(col, F32)
        cen = xy.mean(0)
        d = xy - cen
        ax = d[np.argmax((d**2).sum(1))]
        n = np.hypot(*ax) or 1.0
        perp = (-ax[1] / n, ax[0] / n)

        def cf(xy=xy, cen=cen, perp=perp, shade_col=shade_col, gloss=gloss):
            h, w = view.h, view.w
            yy, xx = np.mgrid[0:h, 0:w].astype(F32)
            rad = max(2.0, float(np.abs((xy - cen) @ np.array(perp)).max()))
            t = np.clip(((xx - cen[0]) * perp[0] + (yy - cen[1]) * perp[1]) / rad, -1, 1)
            body = 0.55 + 0.45 * np.sqrt(1 - t * t)
            hl = np.exp(-(((t - 0.3) / 0.15) ** 2)) * gloss
            return np.clip(body[..., None] * shade_col + hl[..., None], 0, 1.4).astype(F32)

        cx_.paint(xy, cf)


def obj_tool(cx_, rng, a, b, size):
    ang = rng.uniform(0, math.pi)
    ca, sa = math.cos(ang), math.sin(ang)
    kind = rng.choice(["screwdriver", "pencil", "ruler", "hammer"])
    L = size * rng.uniform(2.5, 4.5)
    if kind == "screwdriver":
        hc = [(0.8, 0.1, 0.1), (0.95, 0.75, 0.1), (0.1, 0.3, 0.7), (0.1, 0.1, 0.1)][rng.integers(4)]
        parts = [
            (_ab_rect(a - ca * L * 0.3, b - sa * L * 0.3, ang, L * 0.42, size * 0.32), hc, 0.5),
            (_ab_rect(a + ca * L * 0.2, b + sa * L * 0.2, ang, L * 0.58, size * 0.08), (0.7, 0.72, 0.75), 0.9),
        ]
        thick = size * 0.15
    elif kind == "pencil":
        parts = [
            (_ab_rect(a, b, ang, L, size * 0.12), (0.95, 0.75, 0.1), 0.4),
            (_ab_rect(a + ca * L * 0.53, b + sa * L * 0.53, ang, L * 0.06, size * 0.08), (0.8, 0.65, 0.45), 0.1),
        ]
        thick = size * 0.06
    elif kind == "ruler":
        parts = [(_ab_rect(a, b, ang, L * 1.5, size * 0.45), [(0.85, 0.85, 0.82), (0.75, 0.6, 0.35), (0.7, 0.72, 0.75)][rng.integers(3)], 0.5)]
        thick = size * 0.03
    else:
        parts = [
            (_ab_rect(a, b, ang, L, size * 0.18), (0.62, 0.45, 0.26), 0.3),
            (_ab_rect(a + ca * L * 0.5, b + sa * L * 0.5, ang + math.pi / 2, size * 0.9, size * 0.3), (0.35, 0.36, 0.38), 0.8),
        ]
        thick = size * 0.15
    _lying(cx_, parts, thick)


def _ab_rect(a, b, ang, L, W):
    ca, sa = math.cos(ang), math.sin(ang)
    loc = np.array([[-L / 2, -W / 2], [L / 2, -W / 2], [L / 2, W / 2], [-L / 2, W / 2]])
    return np.stack([a + loc[:, 0] * ca - loc[:, 1] * sa, b + loc[:, 0] * sa + loc[:, 1] * ca], 1)


def obj_book(cx_, rng, a, b, size):
    ang = rng.uniform(0, math.pi)
    L, W = size * rng.uniform(2.5, 4), size * rng.uniform(1.8, 3)
    col = [(0.7, 0.1, 0.12), (0.1, 0.25, 0.5), (0.93, 0.92, 0.88), (0.2, 0.4, 0.25), (0.15, 0.15, 0.15)][rng.integers(5)]
    _lying(cx_, [(_ab_rect(a, b, ang, L, W), col, 0.15)], size * rng.uniform(0.05, 0.4))


def obj_coin(cx_, rng, a, b, size):
    view = cx_.view
    r = size * rng.uniform(0.2, 0.4)
    col = [(0.8, 0.6, 0.3), (0.75, 0.75, 0.78), (0.6, 0.4, 0.25)][rng.integers(3)]
    t = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    poly = np.stack([a + r * np.cos(t), b + r * np.sin(t)], 1)
    _lying(cx_, [(poly, col, 0.9)], size * 0.04)
    del view


def obj_pebble(cx_, rng, a, b, size):
    r = size * rng.uniform(0.3, 0.7)
    t = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    rr = r * (1 + 0.15 * np.sin(3 * t + rng.uniform(0, 6))) * rng.uniform(0.9, 1.1, 16)
    e = rng.uniform(0.6, 1.0)
    poly = np.stack([a + rr * np.cos(t), b + e * rr * np.sin(t)], 1)
    col = _jit(rng, [(0.5, 0.48, 0.45), (0.35, 0.33, 0.3), (0.65, 0.6, 0.52)][rng.integers(3)])
    _lying(cx_, [(poly, col, 0.15)], r * 0.5)


def obj_cable(cx_, rng, a, b, size):
    view = cx_.view
    n = 40
    t = np.linspace(-1, 1, n)
    ang = rng.uniform(0, math.pi)
    L = size * rng.uniform(6, 12)
    wig = np.cumsum(rng.normal(0, 0.12, n))
    wig -= np.linspace(wig[0], wig[-1], n)
    pa = a + t * L * math.cos(ang) - np.sin(ang) * wig * size
    pb = b + t * L * math.sin(ang) + np.cos(ang) * wig * size
    xy = view.proj_pts(np.stack([pa, pb], 1), 0)
    thick = max(1, int(round(size * 0.12)))
    lay = np.zeros(cx_.img.shape[:2], np.uint8)
    cv2.polylines(lay, [pts16(xy)], False, 255, thick, cv2.LINE_AA, 4)
    al = lay.astype(F32) / 255
    sh = blur(np.roll(al, (1, 1), (0, 1)), 1.2)
    cx_.img *= (1 - 0.4 * sh)[..., None]
    col = np.array([(0.08, 0.08, 0.08), (0.9, 0.9, 0.9), (0.6, 0.1, 0.1)][rng.integers(3)], F32)
    cx_.img[:] = cx_.img * (1 - al[..., None]) + col * al[..., None]
    np.maximum(cx_.mask, al, out=cx_.mask)


CONTEXT_OBJECTS = {
    "bottle": obj_bottle,
    "mug": obj_mug,
    "tool": obj_tool,
    "book": obj_book,
    "coin": obj_coin,
    "pebble": obj_pebble,
    "cable": obj_cable,
}


def context_objects(img, view, light, rng, S, exclude, n, kinds=None):
    """Place up to n context objects on the support, outside the event disc (radius ``exclude``)."""
    mask = np.zeros(img.shape[:2], F32)
    cx_ = Ctx(img, view, light, rng, S, mask)
    names = list(kinds or CONTEXT_OBJECTS)
    placed = []
    for _ in range(n):
        kind = names[rng.integers(len(names))]
        size = S * rng.uniform(0.8, 1.8)
        for _try in range(6):
            x, y = rng.uniform(-0.1, 1.1) * view.w, rng.uniform(-0.1, 1.1) * view.h
            a, b = view.unproj(x, y)
            if math.hypot(a * view.f, b) < exclude + 2.2 * size * (3 if kind in ("tool", "cable") else 1):
                continue
            if any(math.hypot(a - pa, b - pb) < 3 * size for pa, pb in placed):
                continue
            placed.append((a, b))
            CONTEXT_OBJECTS[kind](cx_, rng, a, b, size)
            break
    return cx_.img, mask


# ------------------------------------------------------------------ camera
def finish(img, view, rng, nus, extra_blur=None):
    """Light colour and gain, depth of field, vignetting, Poisson-Gaussian noise, tone curve; returns uint8 RGB."""
    h, w = img.shape[:2]
    # depth of field: blend towards a blurred copy with the distance from the focus depth
    if nus["dof"] > 0:
        far = blur(img, nus["dof"])
        dd = np.abs(view.depth - 1.0) * 3.0 if view.kappa > 0 else np.zeros((h, w), F32)
        if extra_blur is not None:
            dd = np.maximum(dd, extra_blur)
        wgt = np.clip(dd, 0, 1)[..., None]
        img = img * (1 - wgt) + far * wgt
    img = img * np.asarray(nus["tint"], F32) * F32(nus["gain"])
    # lens vignetting (cos^4-like falloff) and a broad illumination gradient
    yy, xx = np.ogrid[0:h, 0:w]
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / (0.25 * (h * h + w * w))
    vig = 1.0 - nus["vignette"] * r2
    g = nus["gradient"]
    grad = 1.0 + g[0] * ((xx - w / 2) / w) + g[1] * ((yy - h / 2) / h)
    img = img * (vig * grad).astype(F32)[..., None]
    # sensor: Poisson-Gaussian noise in linear-ish units, then a soft tone curve
    img = np.clip(img, 0, None)
    a, b = nus["noise"]
    if a > 0 or b > 0:
        sd = np.sqrt(a * img + b).astype(F32)
        img = img + sd * rng.standard_normal(img.shape, dtype=F32)
    img = np.clip(img, 0, None)
    img = img / (1.0 + nus["shoulder"] * img)  # highlight shoulder
    img = img * F32(1.0 + nus["shoulder"])
    out = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if nus["jpeg"]:
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(nus["jpeg"])])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()
    return out

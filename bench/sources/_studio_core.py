"""Core of the ``studio`` source: camera, lights, shading and supersampled canvases.

A small pseudo-3D renderer: a pinhole camera whose optical axis passes through
the impact point (the principal point is put on the impact pixel, like a shifted
lens), directional key and fill lights plus a sky/ground ambient, Lambert and
Blinn-Phong shading with a Fresnel term for glass and liquids, and canvases
drawn at twice the output resolution (anti-aliasing by area downsampling).

Camera coordinates: x right, y down, z forward (into the scene).  World
coordinates: Y up; the support surface (floor, table top, liquid) is Y = 0.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

F32 = np.float32
SS = 2  # canvas supersampling factor
UP = np.array([0.0, 1.0, 0.0])


def unit(v):
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


class Camera:
    """Pinhole camera looking along ``a`` from ``C``; principal point (cx, cy) in pixels.

    Pixel centres are at integer coordinates (OpenCV's convention)."""

    def __init__(self, w, h, f, cx, cy, C, a):
        a = unit(a)
        r = unit(np.cross(a, UP))
        u = np.cross(r, a)
        self.w, self.h, self.f, self.cx, self.cy = int(w), int(h), float(f), float(cx), float(cy)
        self.C = np.asarray(C, dtype=float)
        self.a, self.r, self.u = a, r, u
        self.R = np.stack([r, -u, a])  # rows: camera x (right), y (down), z (forward) in world

    def cam(self, P):
        return (np.asarray(P, dtype=float) - self.C) @ self.R.T

    def vec(self, d):
        """World direction -> camera coordinates."""
        return np.asarray(d, dtype=float) @ self.R.T

    def proj(self, P):
        q = self.cam(P)
        z = np.maximum(q[..., 2], 1e-6)
        uv = np.stack([self.cx + self.f * q[..., 0] / z, self.cy + self.f * q[..., 1] / z], axis=-1)
        return uv, z

    def ray_world(self, u, v):
        """World direction (not normalised) of the ray through pixel (u, v)."""
        x = (np.asarray(u, float) - self.cx) / self.f
        y = (np.asarray(v, float) - self.cy) / self.f
        return x[..., None] * self.R[0] + y[..., None] * self.R[1] + self.R[2]

    def px_per_unit(self, z):
        return self.f / z


class Mirror:
    """Reflection about a plane through the camera centre that contains the optical
    axis; it maps the projection of any point to the mirror image of that projection
    about the image line through the principal point with direction ``axis2d``."""

    def __init__(self, cam: Camera, axis2d):
        ex, ey = unit(axis2d)
        self.axis2d = np.array([ex, ey])
        e3 = ex * cam.r - ey * cam.u  # the image direction lifted onto the image plane
        self.n = unit(np.cross(cam.a, e3))
        self.C = cam.C
        self.cx, self.cy = cam.cx, cam.cy

    def point(self, P):
        P = np.asarray(P, dtype=float)
        d = (P - self.C) @ self.n
        return P - 2.0 * d[..., None] * self.n

    def vector(self, v):
        v = np.asarray(v, dtype=float)
        return v - 2.0 * (v @ self.n)[..., None] * self.n

    def image(self, uv):
        uv = np.asarray(uv, dtype=float)
        p = uv - [self.cx, self.cy]
        along = p @ self.axis2d
        return 2.0 * along[..., None] * self.axis2d - p + [self.cx, self.cy]

    def affine(self):
        """2x3 matrix of the image reflection (for cv2.warpAffine)."""
        ex, ey = self.axis2d
        M = np.array([[2 * ex * ex - 1, 2 * ex * ey], [2 * ex * ey, 2 * ey * ey - 1]])
        c = np.array([self.cx, self.cy])
        return np.hstack([M, (c - M @ c)[:, None]])


# ------------------------------------------------------------------ lights and shading
class Lights:
    """Key + fill directional lights and a sky/ground ambient, in world and camera coordinates."""

    def __init__(self, cam: Camera, key_dir, key_col, fill_dir, fill_col, sky_col, gnd_col, env_col):
        self.key_w = unit(key_dir)
        self.fill_w = unit(fill_dir)
        self.key = cam.vec(self.key_w)
        self.fill = cam.vec(self.fill_w)
        self.up = cam.vec(UP)
        self.key_col = np.asarray(key_col, float)
        self.fill_col = np.asarray(fill_col, float)
        self.sky_col = np.asarray(sky_col, float)
        self.gnd_col = np.asarray(gnd_col, float)
        self.env_col = np.asarray(env_col, float)  # what glossy things reflect (mean surroundings)
        V = np.array([0.0, 0.0, -1.0])
        self.h_key = unit(self.key + V)
        self.h_fill = unit(self.fill + V)
        # float32 matrix of the direction vectors used by ``shade`` (one matmul per call)
        self.dirs32 = np.stack([self.key, self.fill, self.up, self.h_key, self.h_fill], axis=1).astype(F32)
        self.key_col32 = self.key_col.astype(F32)
        self.fill_col32 = self.fill_col.astype(F32)
        self.sky_col32 = self.sky_col.astype(F32)
        self.gnd_col32 = self.gnd_col.astype(F32)
        self.env_col32 = self.env_col.astype(F32)


def material(albedo, ks=0.2, shin=30.0, alpha=1.0, F0=0.04, refl=0.0, emissive=0.0):
    return {"albedo": np.asarray(albedo, float), "ks": float(ks), "shin": float(shin), "alpha": float(alpha),
            "F0": float(F0), "refl": float(refl), "emissive": float(emissive)}


def shade(n, mat, L: Lights, V=None, shadow=1.0):
    """Colour (linear RGB) and alpha of surface points with camera-space normals ``n``
    (the viewer is along -z).  Lambert key + fill + sky/ground ambient, Blinn-Phong
    highlights, Fresnel reflection of the surroundings; translucent materials
    (alpha < 1) get opaque highlights and grazing-angle reflections."""
    n = np.asarray(n, dtype=F32)
    dots = n @ L.dirs32  # (..., 5): key, fill, up, half-key, half-fill
    nk = np.maximum(dots[..., 0:1], 0.0)
    nf = np.maximum(dots[..., 1:2], 0.0)
    nu = dots[..., 2:3]
    diff = (L.key_col32 * (nk * F32(shadow)) + L.fill_col32 * nf + L.sky_col32 * (0.5 + 0.5 * nu)
            + L.gnd_col32 * (0.5 - 0.5 * nu))
    alb = np.asarray(mat["albedo"], F32)
    alb = alb * alb  # design colours are display (sRGB-like) values: to linear, gamma 2
    rgb = alb * diff
    extra = None
    spec = None
    if mat["ks"] > 0:
        sh = F32(mat["shin"])
        hk = np.maximum(dots[..., 3:4], 0.0) ** sh
        hf = np.maximum(dots[..., 4:5], 0.0) ** sh
        spec = F32(mat["ks"]) * (L.key_col32 * (hk * F32(shadow)) + F32(0.5) * L.fill_col32 * hf)
        extra = spec
    a0 = mat["alpha"]
    need_F = a0 < 1.0 or mat["refl"] > 0
    if need_F:
        ndv = np.clip(-n[..., 2], 0.0, 1.0)
        F = F32(mat["F0"]) + F32(1 - mat["F0"]) * (1.0 - ndv) ** 5
    if mat["refl"] > 0:
        env = L.env_col32 * ((0.6 + 0.6 * np.clip(nu, -1, 1)) * F32(mat["refl"]))
        r = F[..., None] * env
        extra = r if extra is None else extra + r
    if mat["emissive"]:
        rgb = rgb + alb * F32(mat["emissive"])
    if a0 < 1.0:
        alpha = a0 + (1.0 - a0) * np.minimum(F * 1.6, 1.0)
        if spec is not None:
            alpha = np.maximum(alpha, np.minimum(spec.mean(axis=-1) * 1.5, 1.0))
        if extra is not None:
            rgb = rgb + extra / np.maximum(alpha[..., None], 0.05)
    else:
        if extra is not None:
            rgb = rgb + extra
        alpha = np.ones(n.shape[:-1], F32)
    return rgb.astype(F32, copy=False), np.asarray(alpha, F32)


# ------------------------------------------------------------------ canvases
class Canvas:
    """Premultiplied RGB + alpha over a rectangle of the image, drawn at ``SS`` x resolution.

    Masks (``structure``, ``object``, ``context``, ``pieces``, ...) are drawn only when
    the canvas was made with them (render_layers)."""

    def __init__(self, x0, y0, x1, y1, masks=()):
        self.x0, self.y0 = int(x0), int(y0)
        self.x1, self.y1 = int(x1), int(y1)
        W, H = (self.x1 - self.x0) * SS, (self.y1 - self.y0) * SS
        self.W, self.H = W, H
        self.rgb = np.zeros((H, W, 3), F32)
        self.a = np.zeros((H, W), F32)
        self.masks = {k: np.zeros((H, W), F32) for k in masks}

    def clear(self):
        self.rgb.fill(0)
        self.a.fill(0)

    # coordinates -------------------------------------------------
    def sx(self, pts):
        pts = np.asarray(pts, dtype=float)
        return (pts - [self.x0, self.y0] + 0.5) * SS - 0.5

    def _fix(self, pts):
        return np.round(self.sx(pts) * 16).astype(np.int32)

    def grid(self, u0, v0, u1, v1):
        """Supersampled pixel grid over the 1x box [u0,u1] x [v0,v1] -> (slices, U, V) in 1x coords."""
        i0 = max(0, int(math.floor((v0 - self.y0 + 0.5) * SS - 0.5)))
        i1 = min(self.H, int(math.ceil((v1 - self.y0 + 0.5) * SS - 0.5)) + 1)
        j0 = max(0, int(math.floor((u0 - self.x0 + 0.5) * SS - 0.5)))
        j1 = min(self.W, int(math.ceil((u1 - self.x0 + 0.5) * SS - 0.5)) + 1)
        if i1 <= i0 or j1 <= j0:
            return None
        ys = (np.arange(i0, i1, dtype=F32) + 0.5) / SS - 0.5 + self.y0
        xs = (np.arange(j0, j1, dtype=F32) + 0.5) / SS - 0.5 + self.x0
        return (slice(i0, i1), slice(j0, j1)), xs[None, :], ys[:, None]

    # drawing -----------------------------------------------------
    def poly(self, pts, col, alpha=1.0, tags=None, holes=()):
        contours = [self._fix(pts)] + [self._fix(h) for h in holes]
        a = float(alpha)
        cv2.fillPoly(self.rgb, contours, tuple(float(c) * a for c in col), cv2.LINE_8, 4)
        cv2.fillPoly(self.a, contours, a, cv2.LINE_8, 4)
        if tags and self.masks:
            for k, val in tags.items():
                if k in self.masks:
                    cv2.fillPoly(self.masks[k], contours, float(val), cv2.LINE_8, 4)

    def poly_fixed(self, cont, colp, a, tags=None):
        """Fill a contour already in canvas fixed-point coordinates (see ``_fix``) with a
        premultiplied colour ``colp`` (tuple) and alpha ``a``."""
        cv2.fillPoly(self.rgb, [cont], colp, cv2.LINE_8, 4)
        cv2.fillPoly(self.a, [cont], a, cv2.LINE_8, 4)
        if tags and self.masks:
            for k, val in tags.items():
                if k in self.masks:
                    cv2.fillPoly(self.masks[k], [cont], float(val), cv2.LINE_8, 4)

    def lines(self, polylines, col, alpha, width, tags=None):
        if not polylines:
            return
        th = max(1, int(round(width * SS)))
        pl = [self._fix(p) for p in polylines if len(p) >= 2]
        if not pl:
            return
        a = float(alpha)
        cv2.polylines(self.rgb, pl, False, tuple(float(c) * a for c in col), th, cv2.LINE_8, 4)
        cv2.polylines(self.a, pl, False, a, th, cv2.LINE_8, 4)
        if tags and self.masks:
            for k, val in tags.items():
                if k in self.masks:
                    cv2.polylines(self.masks[k], pl, False, float(val), th, cv2.LINE_8, 4)

    def disc(self, c, r, col, alpha, tags=None):
        cc = tuple(int(v) for v in np.round(self.sx(c) * 16))
        rr = max(8, int(round(r * SS * 16)))
        a = float(alpha)
        cv2.circle(self.rgb, cc, rr, tuple(float(x) * a for x in col), -1, cv2.LINE_8, 4)
        cv2.circle(self.a, cc, rr, a, -1, cv2.LINE_8, 4)
        if tags and self.masks:
            for k, val in tags.items():
                if k in self.masks:
                    cv2.circle(self.masks[k], cc, rr, float(val), -1, cv2.LINE_8, 4)

    def blend(self, sl, cov, col, alpha, tags=None):
        ae = (cov * alpha).astype(F32)
        self.rgb[sl] = self.rgb[sl] * (1.0 - ae[..., None]) + col * ae[..., None]
        self.a[sl] = self.a[sl] * (1.0 - ae) + ae
        if tags and self.masks:
            m = cov > 0.5
            for k, val in tags.items():
                if k in self.masks:
                    self.masks[k][sl][m] = float(val)

    # resolve ---------------------------------------------------------
    def resolve(self):
        h, w = self.y1 - self.y0, self.x1 - self.x0
        rgb = cv2.resize(self.rgb, (w, h), interpolation=cv2.INTER_AREA)
        a = cv2.resize(self.a, (w, h), interpolation=cv2.INTER_AREA)
        return rgb, a

    def resolve_masks(self):
        h, w = self.y1 - self.y0, self.x1 - self.x0
        out = {}
        for k, m in self.masks.items():
            if k == "pieces":
                out[k] = m.reshape(h, SS, w, SS).max(axis=(1, 3))
            else:
                out[k] = cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA)
        return out


def composite(img, rgb, a, x0, y0):
    h, w = a.shape
    sub = img[y0:y0 + h, x0:x0 + w]
    sub *= (1.0 - a[..., None])
    sub += rgb


# ------------------------------------------------------------------ primitives
_SPHERE_NORMALS = unit(np.array([[0, 0, -1.0], [0.6, 0, -0.8], [-0.6, 0, -0.8], [0, 0.6, -0.8], [0, -0.6, -0.8],
                                  [0.42, 0.42, -0.8], [-0.42, 0.42, -0.8], [0.42, -0.42, -0.8], [-0.42, -0.42, -0.8]])).astype(F32)


def draw_sphere(cv: Canvas, c, r, mat, L: Lights, tags=None, shadow=1.0):
    """Shaded sphere of pixel radius ``r`` centred on pixel ``c`` (orthographic shading)."""
    u, v = float(c[0]), float(c[1])
    if r < 1.6:
        # small: a disc with the colour of a normal turned half-way to the key light
        # small: a disc with the mean shading of a sphere (a few normals averaged), and a glint
        k = L.key
        cols, als = shade(_SPHERE_NORMALS, mat, L, shadow=shadow)
        col, al = cols.mean(axis=0), float(als.mean())
        cv.disc(c, max(r, 0.5), col, al * min(1.0, 0.4 + r), tags)
        if r > 0.9 and mat["ks"] > 0.5:
            hc = (u + 0.35 * r * float(k[0]), v + 0.35 * r * float(k[1]))
            gl = shade(unit(np.array([0.5 * k[0], 0.5 * k[1], -1.0]))[None].astype(F32), mat, L, shadow=shadow)[0][0]
            cv.disc(hc, 0.3 * r, np.minimum(gl, 3.0), 0.5, None)
        return
    g = cv.grid(u - r - 1, v - r - 1, u + r + 1, v + r + 1)
    if g is None:
        return
    sl, X, Y = g
    dx = (X - u) / r
    dy = (Y - v) / r
    d2 = dx * dx + dy * dy
    d = np.sqrt(d2)
    cov = np.clip((1.0 - d) * r * SS + 0.5, 0.0, 1.0)
    if not cov.any():
        return
    nz = -np.sqrt(np.clip(1.0 - d2, 0.0, 1.0))
    n = np.stack([np.broadcast_to(dx, d2.shape), np.broadcast_to(dy, d2.shape), nz], axis=-1)
    n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)
    col, al = shade(n, mat, L, shadow=shadow)
    cv.blend(sl, cov, col, al, tags)


def flat_capsule(cv: Canvas, p1, p2, r1, r2, col, al, tags=None, caps=True):
    """A flat-coloured capsule (thin tubes, small moving drops): quad + round caps."""
    p1 = np.asarray(p1, float)
    p2 = np.asarray(p2, float)
    d = p2 - p1
    ln = math.hypot(d[0], d[1])
    if ln > 1e-6:
        pe = np.array([-d[1], d[0]]) / ln
        quad = np.array([p1 + pe * r1, p2 + pe * r2, p2 - pe * r2, p1 - pe * r1])
        cv.poly(quad, col, al, tags)
    if caps or ln <= 1e-6:
        cv.disc(p1, max(r1, 0.5), col, al, tags)
        cv.disc(p2, max(r2, 0.5), col, al, tags)


def draw_tube(cv: Canvas, p1, p2, r1, r2, mat, L: Lights, tags=None, caps=True, shadow=1.0):
    """Shaded capsule / cone between pixels p1 and p2 with pixel radii r1, r2."""
    p1 = np.asarray(p1, float)
    p2 = np.asarray(p2, float)
    rm = max(r1, r2)
    if rm < 1.6:
        # thin: a flat-shaded quad with round caps
        d = p2 - p1
        ln = math.hypot(*d)
        cols, als = shade(_SPHERE_NORMALS, mat, L, shadow=shadow)
        col, al = cols.mean(axis=0), float(als.mean())
        if ln > 1e-6:
            pe = np.array([-d[1], d[0]]) / ln
            quad = np.array([p1 + pe * r1, p2 + pe * r2, p2 - pe * r2, p1 - pe * r1])
            cv.poly(quad, col, float(al), tags)
        if caps:
            cv.disc(p1, max(r1, 0.5), col, float(al), tags)
            cv.disc(p2, max(r2, 0.5), col, float(al), tags)
        return
    lo = np.minimum(p1, p2) - rm - 1
    hi = np.maximum(p1, p2) + rm + 1
    g = cv.grid(lo[0], lo[1], hi[0], hi[1])
    if g is None:
        return
    sl, X, Y = g
    d = p2 - p1
    L2 = float(d @ d)
    if L2 < 1e-6:
        draw_sphere(cv, p1, rm, mat, L, tags, shadow)
        return
    t = ((X - p1[0]) * d[0] + (Y - p1[1]) * d[1]) / L2
    tc = np.clip(t, 0.0, 1.0) if caps else t
    qx = X - (p1[0] + tc * d[0])
    qy = Y - (p1[1] + tc * d[1])
    dist = np.sqrt(qx * qx + qy * qy)
    rr = r1 + np.clip(t, 0, 1) * (r2 - r1)
    cov = np.clip((rr - dist) * SS + 0.5, 0.0, 1.0)
    if not caps:
        cov = cov * ((t >= 0) & (t <= 1))
    if not cov.any():
        return
    s = np.clip(dist / np.maximum(rr, 1e-3), 0, 1)
    # normal: across the axis in the image plane, bulging toward the camera
    qn = np.stack([qx, qy], -1) / np.maximum(dist, 1e-6)[..., None]
    nz = -np.sqrt(np.clip(1 - s * s, 0, 1))
    n = np.concatenate([qn * s[..., None], nz[..., None]], axis=-1).astype(F32)
    col, al = shade(n, mat, L, shadow=shadow)
    cv.blend(sl, cov, col, al, tags)


def draw_lathe(cv: Canvas, p0, p1, prof_t, prof_r, mat, L: Lights, tags=None, albedo_fn=None):
    """Surface of revolution seen from the side: axis from pixel p0 (t=0) to p1 (t=1),
    pixel radius profile r(t) (piecewise linear).  Returns the covered slice and mask."""
    p0 = np.asarray(p0, float)
    p1 = np.asarray(p1, float)
    rm = float(np.max(prof_r))
    lo = np.minimum(p0, p1) - rm - 2
    hi = np.maximum(p0, p1) + rm + 2
    g = cv.grid(lo[0], lo[1], hi[0], hi[1])
    if g is None:
        return None
    sl, X, Y = g
    d = p1 - p0
    Ln = math.hypot(*d)
    e = d / max(Ln, 1e-6)
    pe = np.array([-e[1], e[0]])
    t = ((X - p0[0]) * e[0] + (Y - p0[1]) * e[1]) / max(Ln, 1e-6)
    q = (X - p0[0]) * pe[0] + (Y - p0[1]) * pe[1]
    rr = np.interp(t, prof_t, prof_r).astype(F32)
    cov = np.clip((rr - np.abs(q)) * SS + 0.5, 0, 1) * np.clip(t * Ln * SS + 0.5, 0, 1) * np.clip((1 - t) * Ln * SS + 0.5, 0, 1)
    if not cov.any():
        return None
    s = np.clip(q / np.maximum(rr, 1e-3), -1, 1)
    nz = -np.sqrt(np.clip(1 - s * s, 0, 1))
    n = np.stack([s * pe[0], s * pe[1], nz], axis=-1).astype(F32)
    m = mat
    if albedo_fn is not None:
        m = dict(mat)
        m["albedo"] = albedo_fn(t, s)
    col, al = shade(n, m, L)
    if mat["alpha"] < 1.0:
        # glass: the silhouette refracts the darker surroundings -> dark outline
        edge = (np.abs(s) ** 6).astype(F32)
        a2 = np.maximum(al, 0.85 * edge)
        dark = (np.asarray(mat["albedo"], F32) ** 2 * 0.25 * (L.sky_col32 + 0.2 * L.key_col32)).astype(F32)
        col = (col * al[..., None] * (1 - edge[..., None]) + dark * a2[..., None] * edge[..., None]) / np.maximum(a2[..., None], 1e-3)
        al = a2
    if mat["refl"] > 0.3:
        # reflections of the studio's soft boxes: vertical bright stripes on glossy bodies
        kx = float(np.clip(L.key[0], -0.8, 0.8))
        s0 = -0.45 if kx <= 0 else 0.45
        stripe = (np.exp(-((s - s0) / 0.09) ** 2) * 0.9 + np.exp(-((s + 0.75 * np.sign(s0)) / 0.05) ** 2) * 0.35)
        stripe = (stripe * mat["refl"] * 0.4 * float(np.mean(L.key_col) * 0.5 + np.mean(L.env_col) * 0.5)).astype(F32)
        a2 = np.maximum(al, np.minimum(stripe, 1.0))
        col = (col * al[..., None] + stripe[..., None]) / np.maximum(a2[..., None], 1e-3)
        al = a2
    cv.blend(sl, cov, col, al, tags)
    return sl, cov, t, s


def draw_ellipsoid(cv: Canvas, cam: Camera, centre, axes, mat, L: Lights, tags=None, modulate=None, clip_fn=None):
    """Exact ray-cast ellipsoid: ``axes`` is a 3x3 matrix whose columns are the semi-axes
    (world).  ``modulate(q, n)`` may return (albedo array, normal) from local coords q;
    ``clip_fn(Pw)`` -> bool array keeps only part of the surface (burst shells)."""
    A = cam.vec(np.asarray(axes, float).T).T  # columns in camera coords
    c = cam.cam(centre)
    rad = float(np.max(np.linalg.norm(A, axis=0)))
    uv, z = cam.proj(centre)
    rpx = cam.f * rad / max(z - rad, 1e-3)
    g = cv.grid(uv[0] - rpx - 2, uv[1] - rpx - 2, uv[0] + rpx + 2, uv[1] + rpx + 2)
    if g is None:
        return
    sl, X, Y = g
    Ai = np.linalg.inv(A)
    dx = (X - cam.cx) / cam.f
    dy = (Y - cam.cy) / cam.f
    # e = Ai @ (dx, dy, 1)
    e0 = Ai[0, 0] * dx + Ai[0, 1] * dy + Ai[0, 2]
    e1 = Ai[1, 0] * dx + Ai[1, 1] * dy + Ai[1, 2]
    e2 = Ai[2, 0] * dx + Ai[2, 1] * dy + Ai[2, 2]
    gq = Ai @ c
    ee = e0 * e0 + e1 * e1 + e2 * e2
    eg = e0 * gq[0] + e1 * gq[1] + e2 * gq[2]
    gg = float(gq @ gq)
    disc = eg * eg - ee * (gg - 1.0)
    inside = disc > 0
    if not inside.any():
        return
    sq = np.sqrt(np.clip(disc, 0, None))
    t = (eg - sq) / ee
    q = np.stack([t * e0 - gq[0], t * e1 - gq[1], t * e2 - gq[2]], axis=-1).astype(F32)
    cov = inside.astype(F32)
    if clip_fn is not None:
        keep = clip_fn(q)
        # second (far) intersection where the near one is cut away: the inside of the shell
        t2 = (eg + sq) / ee
        q2 = np.stack([t2 * e0 - gq[0], t2 * e1 - gq[1], t2 * e2 - gq[2]], axis=-1).astype(F32)
        keep2 = clip_fn(q2) & ~keep
        q = np.where(keep[..., None], q, q2)
        cov = cov * (keep | keep2)
        inner = keep2
    else:
        inner = None
    n = q @ Ai.astype(F32)  # normal = Ai^T q  (row-vector form)
    n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)
    if inner is not None:
        n = np.where(inner[..., None], -n, n)
    m = mat
    if modulate is not None:
        alb, n = modulate(q, n)
        m = dict(mat)
        m["albedo"] = alb
        if inner is not None:
            m["albedo"] = np.where(inner[..., None], alb * 0.55 + 0.05, alb)
    col, al = shade(n, m, L)
    cv.blend(sl, cov, col, al, tags)


def box_faces(centre, axes):
    """The 6 faces (4 world vertices each) and outward normals of a box with half-axes
    given as the columns of ``axes``."""
    c = np.asarray(centre, float)
    A = np.asarray(axes, float)
    s = np.array([[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], float)
    V = c + s @ A.T
    F = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (2, 3, 7, 6), (1, 2, 6, 5), (0, 4, 7, 3)]
    N = [-A[:, 2], A[:, 2], -A[:, 1], A[:, 1], A[:, 0], -A[:, 0]]
    return [V[list(f)] for f in F], [unit(n) for n in N]


def draw_faces(cv: Canvas, cam: Camera, faces, normals, mat, L: Lights, tags=None, albedos=None, edge=None):
    """Flat-shaded planar faces (world), back faces culled, far to near."""
    order = []
    for i, (f, n) in enumerate(zip(faces, normals)):
        cen = f.mean(axis=0)
        if np.dot(n, cam.C - cen) <= 0:
            continue
        order.append((cam.cam(cen)[2], i))
    order.sort(reverse=True)
    for _, i in order:
        f = faces[i]
        uv, _ = cam.proj(f)
        m = mat if albedos is None else dict(mat, albedo=albedos[i])
        col, al = shade(cam.vec(normals[i])[None, :], m, L)
        cv.poly(uv, col[0], float(al[0]), tags)
        if edge is not None:
            cv.lines([np.vstack([uv, uv[:1]])], edge[0], edge[1], edge[2])

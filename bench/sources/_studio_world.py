"""The studio around the event: backdrop, support surface, soft shadows, context
props and the photographic post-processing (bloom, depth of field, vignetting,
tone curve, sensor noise, JPEG).  Everything here is nuisance: it is drawn from
the label-free nuisance stream only.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from bench.sources._studio_core import (F32, UP, Camera, Canvas, Lights, box_faces, draw_faces, draw_lathe, draw_sphere,
                                        draw_tube, material, unit)

BACKDROPS = ("paper", "black", "brick", "lab", "outdoor", "window", "wood")


def noise_tile(rng, n=64, sigma=1.6):
    t = rng.normal(size=(n, n)).astype(F32)
    p = int(math.ceil(3 * sigma)) + 1
    t = cv2.GaussianBlur(np.pad(t, p, mode="wrap"), (0, 0), sigma)[p:-p, p:-p]
    t -= t.mean()
    t /= max(float(t.std()), 1e-6)
    return np.pad(t, ((0, 1), (0, 1)), mode="wrap")  # one wrapped row/column for bilinear lookups


def sample(tile, x, y):
    """Bilinear, periodic lookup of ``tile`` at tile-pixel coordinates (x, y)."""
    n = tile.shape[0] - 1
    x, y = np.broadcast_arrays(x, y)
    x = np.asarray(x, F32)
    y = np.asarray(y, F32)
    mx = x - np.floor(x * F32(1.0 / n)) * F32(n)
    my = y - np.floor(y * F32(1.0 / n)) * F32(n)
    if mx.ndim == 2 and max(mx.shape) < 32000:
        return cv2.remap(tile, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shp = mx.shape
    mx, my = mx.ravel(), my.ravel()
    m = mx.size
    cols = 1024
    rows = -(-m // cols)
    pad = rows * cols - m
    if pad:
        mx = np.concatenate([mx, np.zeros(pad, F32)])
        my = np.concatenate([my, np.zeros(pad, F32)])
    out = cv2.remap(tile, mx.reshape(rows, cols), my.reshape(rows, cols), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.ravel()[:m].reshape(shp)


def fbm(tile, x, y, scale, octaves=3, fp=None):
    """Fractal noise of feature size ``scale`` (world units); octaves finer than the
    pixel footprint ``fp`` fade out (no aliasing at grazing angles)."""
    out = np.zeros(np.shape(x), F32)
    amp, s = 1.0, scale
    for k in range(octaves):
        v = sample(tile, x / s * 8.0 + 17.0 * k, y / s * 8.0 + 29.0 * k)
        if fp is not None:
            v = v * np.clip(s / (3.0 * fp) - 0.3, 0.0, 1.0)
        out += amp * v
        amp *= 0.5
        s *= 0.5
    return out


def hash2(i, j, k=0):
    v = np.sin(i * 127.1 + j * 311.7 + k * 74.7) * 43758.5453
    return v - np.floor(v)


# ------------------------------------------------------------------ textures
def support_albedo(kind, p, X, Z, tiles, fp):
    """Albedo (H x W x 3) of the support surface at world coordinates X, Z."""
    base = np.asarray(p["colour"], F32)
    c, s = math.cos(p["rot"]), math.sin(p["rot"])
    x = c * X - s * Z
    z = s * X + c * Z
    sc = p["scale"]
    n1 = fbm(tiles[0], x, z, 0.6 * sc, 3, fp)
    if kind == "wood":
        pw = 0.35 * sc
        plank = np.floor(x / pw)
        tint = 0.85 + 0.3 * hash2(plank, 3.0)
        warp = sample(tiles[1], x / (0.4 * sc) * 8, z / (2.5 * sc) * 8)
        grain = np.sin((x / (0.035 * sc) + 2.2 * warp) * 1.0)
        fade = np.clip(0.035 * sc / (2.0 * fp) - 0.3, 0, 1)
        g = 0.88 + 0.12 * grain * fade + 0.06 * n1
        seam = 1.0 - 0.45 * np.clip(1.0 - np.abs(x / pw - np.round(x / pw)) * pw / np.maximum(fp * 1.2, 0.004), 0, 1)
        a = base * (g * tint * seam)[..., None]
    elif kind == "tiles":
        ts = 0.45 * sc
        fx, fz = x / ts, z / ts
        gx = np.abs(fx - np.round(fx)) * ts
        gz = np.abs(fz - np.round(fz)) * ts
        gw = 0.012 * sc
        grout = np.clip(1.0 - (np.minimum(gx, gz) - gw) / np.maximum(fp, 1e-4), 0, 1)
        tint = 0.9 + 0.12 * hash2(np.floor(fx), np.floor(fz))
        body = base * (tint + 0.04 * n1)[..., None]
        a = body * (1 - grout[..., None]) + np.asarray(p["colour2"], F32) * grout[..., None]
    elif kind in ("concrete", "stone", "asphalt"):
        n2 = fbm(tiles[1], x, z, 0.12 * sc, 2, fp)
        speck = sample(tiles[2], x / (0.01 * sc), z / (0.01 * sc))
        sf = np.clip(0.01 * sc / (2.0 * fp), 0, 1)
        k = {"concrete": (0.10, 0.06, 0.10), "stone": (0.16, 0.08, 0.05), "asphalt": (0.08, 0.05, 0.35)}[kind]
        g = 1.0 + k[0] * n1 + k[1] * n2 + k[2] * np.clip(speck - 1.2, 0, 2) * sf
        if kind == "stone":
            ts = 0.8 * sc
            fx, fz = x / ts, z / ts + 0.5 * np.floor(x / ts)
            gx = np.abs(fx - np.round(fx)) * ts
            gz = np.abs(fz - np.round(fz)) * ts
            grout = np.clip(1.0 - (np.minimum(gx, gz) - 0.01 * sc) / np.maximum(fp, 1e-4), 0, 1)
            g = g * (0.92 + 0.16 * hash2(np.floor(fx), np.floor(fz))) * (1 - 0.5 * grout)
        a = base * g[..., None]
    elif kind == "steel":
        br = sample(tiles[1], x / (0.01 * sc), z / (0.6 * sc))
        a = base * (1.0 + 0.05 * br * np.clip(0.01 * sc / (2 * fp), 0, 1) + 0.04 * n1)[..., None]
    elif kind == "sand":
        rip = np.sin(x / (0.06 * sc) + 1.5 * sample(tiles[1], x / (0.5 * sc) * 8, z / (0.5 * sc) * 8))
        rf = np.clip(0.06 * sc / (2 * fp) - 0.3, 0, 1)
        speck = sample(tiles[2], x / (0.006 * sc), z / (0.006 * sc))
        sf = np.clip(0.006 * sc / (2.0 * fp), 0, 1)
        g = 1.0 + 0.08 * n1 + 0.05 * rip * rf + 0.12 * speck * sf
        a = base * g[..., None]
    else:  # laminate / paper
        a = base * (1.0 + 0.03 * n1)[..., None]
    return a.astype(F32)


def wall_albedo(kind, p, wx, wy, tiles, fp):
    base = np.asarray(p["colour"], F32)
    sc = p["scale"]
    if kind == "brick":
        bh, bl = 0.12 * sc, 0.30 * sc
        row = np.floor(wy / bh)
        xs = wx / bl + 0.5 * np.mod(row, 2)
        col = np.floor(xs)
        mx = np.abs(xs - np.round(xs)) * bl
        my = np.abs(wy / bh - np.round(wy / bh)) * bh
        mw = 0.012 * sc
        mortar = np.clip(1.0 - (np.minimum(mx, my) - mw) / np.maximum(fp, 1e-4), 0, 1)
        tint = 0.75 + 0.45 * hash2(row, col)
        n1 = fbm(tiles[0], wx, wy, 0.08 * sc, 2, fp)
        brick = base * (tint + 0.08 * n1)[..., None]
        a = brick * (1 - mortar[..., None]) + np.asarray(p["colour2"], F32) * mortar[..., None]
    elif kind == "wood":
        pw = 0.22 * sc
        plank = np.floor(wx / pw)
        warp = sample(tiles[1], wx / (0.4 * sc) * 8, wy / (2.0 * sc) * 8)
        grain = np.sin(wx / (0.02 * sc) + 2.0 * warp)
        fade = np.clip(0.02 * sc / (2.0 * fp) - 0.3, 0, 1)
        seam = 1.0 - 0.5 * np.clip(1.0 - np.abs(wx / pw - np.round(wx / pw)) * pw / np.maximum(fp * 1.2, 0.004), 0, 1)
        a = base * ((0.85 + 0.3 * hash2(plank, 1.0)) * (0.9 + 0.1 * grain * fade) * seam)[..., None]
    elif kind == "lab":
        ts = 0.16 * sc
        fx, fy = wx / ts, wy / ts
        gx = np.abs(fx - np.round(fx)) * ts
        gy = np.abs(fy - np.round(fy)) * ts
        grout = np.clip(1.0 - (np.minimum(gx, gy) - 0.006 * sc) / np.maximum(fp, 1e-4), 0, 1)
        a = base * (0.96 + 0.06 * hash2(np.floor(fx), np.floor(fy)))[..., None]
        a = a * (1 - 0.35 * grout[..., None])
    else:  # paper, black, window wall: smooth
        n1 = fbm(tiles[0], wx, wy, 0.5 * sc, 2, fp)
        a = base * (1.0 + 0.02 * n1)[..., None]
    return a.astype(F32)


def sky_colour(env, D):
    """Sky radiance for world ray directions D (..., 3), not normalised."""
    dn = D / np.linalg.norm(D, axis=-1, keepdims=True)
    el = np.clip(dn[..., 1], -0.2, 1.0)
    zen = np.asarray(env["sky_zenith"], F32)
    hor = np.asarray(env["sky_horizon"], F32)
    t = (np.clip(el, 0, 1) ** 0.45)[..., None]
    col = hor * (1 - t) + zen * t
    sun = unit(env["sun_dir"]).astype(F32)
    cs = np.clip(dn @ sun, 0, 1)
    col = col + np.asarray(env["sun_glow"], F32) * (cs ** 12)[..., None]
    return col.astype(F32)


def outdoor_sky(env, D):
    col = sky_colour(env, D)
    dn = D / np.linalg.norm(D, axis=-1, keepdims=True)
    el = dn[..., 1]
    az = np.arctan2(dn[..., 0], dn[..., 2])
    sil = env.get("skyline")
    if sil is not None:
        if sil["kind"] == "buildings":
            blk = np.floor(az * sil["f2"] * 2.5 + sil["p1"])
            hgt = sil["h"] * (0.35 + 0.65 * hash2(blk, 7.0)) * (0.7 + 0.3 * np.sin(az * sil["f1"] + sil["p2"]))
        else:
            hgt = sil["h"] * (0.6 + 0.25 * np.sin(az * sil["f1"] + sil["p1"]) + 0.15 * np.sin(az * sil["f2"] * 3.1 + sil["p2"])
                              + 0.06 * np.sin(az * 97.0))
        m = (el < hgt) & (el > -0.2)
        mix = np.asarray(sil["colour"], F32) * 0.55 + np.asarray(env["sky_horizon"], F32) * 0.25
        col = np.where(m[..., None], col * 0.2 + mix, col)
    return col.astype(F32)


def wall_shading(env, L, nw, P, wy, alb, amb, kc):
    nk = max(float(nw @ L.key_w), 0.0) * 0.8 + 0.2
    hot = np.asarray(env["hotspot"], F32)
    d2 = np.sum((P - hot) ** 2, axis=-1)
    fall = 0.45 + 0.75 * np.exp(-d2 / (2 * env["hot_r"] ** 2))
    if env["backdrop"] == "paper":
        # seamless sweep: the paper curves into the floor, lighter toward the bottom
        fall = fall * (1.0 + 0.15 * np.exp(-np.clip(wy, 0, None) / (0.6 * env["wall"]["scale"])))
    return (alb * (kc * (nk * fall)[..., None] + amb)).astype(F32)


def window_overlay(env, wx, wy, col, D, fp):
    win = env["window"]
    x0, x1, y0, y1 = win["rect"]
    inside = (wx > x0) & (wx < x1) & (wy > y0) & (wy < y1)
    out = col
    if inside.any():
        sky = outdoor_sky(env, D) * win["gain"]
        yy = (wy - y0) / (y1 - y0)
        tree = yy < 0.35 + 0.12 * np.sin(wx * 7.0 + win["phase"]) + 0.05 * np.sin(wx * 23.0)
        sky = np.where(tree[..., None], np.asarray(win["tree"], F32) * win["gain"], sky)
        out = np.where(inside[..., None], sky, out)
    bw = win["bar"]
    xm = 0.5 * (x0 + x1)
    ym = y0 + win["transom"] * (y1 - y0)
    fr = np.asarray(win["frame"], F32)
    fpm = np.maximum(fp, 1e-4)
    near = lambda a, b: np.clip(1.0 - (np.abs(a - b) - bw) / fpm, 0, 1)
    inx = (wx > x0 - bw) & (wx < x1 + bw) & (wy > y0 - bw) & (wy < y1 + bw)
    bars = np.maximum.reduce([near(wx, x0), near(wx, x1), near(wy, y0), near(wy, y1), near(wx, xm), near(wy, ym)]) * inx
    shade_ = fr * (0.35 + 0.6 * float(np.mean(col)) / max(float(np.mean(col)), 1e-3))
    return (out * (1 - bars[..., None]) + shade_ * bars[..., None]).astype(F32)


def reflect_env(env, L, P, R):
    """Radiance seen along reflected rays R from points P (glossy floors, liquids):
    the backdrop's shading without its fine texture (a glossy reflection is soft)."""
    if env["backdrop"] == "outdoor":
        up = (R[..., 1] > 0)[..., None]
        return np.where(up, outdoor_sky(env, np.where(up, R, np.float32([0, 1, 0]))),
                        np.asarray(env["sky_horizon"], F32) * 0.5).astype(F32)
    nw = np.asarray(env["wall_n"], F32)
    W0 = np.asarray(env["wall_p"], F32)
    den = R @ nw
    ok = den < -1e-4
    t = np.where(ok, ((W0 - P) @ nw) / np.where(ok, den, -1), 0).astype(F32)
    Pw = P + t[..., None] * R
    ax = unit(np.cross(UP, nw)).astype(F32)
    wx = (Pw - W0) @ ax
    wy = Pw[..., 1]
    amb = (0.65 * L.sky_col + 0.35 * L.gnd_col).astype(F32)
    alb = np.broadcast_to(np.asarray(env["wall"]["colour"], F32), Pw.shape)
    col = wall_shading(env, L, nw, Pw, wy, alb, amb, L.key_col.astype(F32))
    if env["backdrop"] == "window":
        col = window_overlay(env, wx, wy, col, R, np.full(wx.shape, 0.05, F32))
    return np.where(ok[..., None], col, np.asarray(env["wall"]["colour"], F32) * amb * 0.5).astype(F32)


INF = np.float32(1e9)


def _rows(mask):
    r = np.flatnonzero(mask.any(axis=1))
    return (int(r[0]), int(r[-1]) + 1) if len(r) else None


def render_background(cam: Camera, L: Lights, env, tiles):
    """Per-pixel backdrop, support surface (table or floor, or liquid) and sky.

    Returns a dict: rgb (linear), ground (bool: the support surface is seen),
    depth (camera z of the surface hit), keyfrac (share of the ground radiance due to
    the key light)."""
    h, w = cam.h, cam.w
    R = cam.R.astype(F32)
    xs = (np.arange(w, dtype=F32) - F32(cam.cx)) / F32(cam.f)
    ys = (np.arange(h, dtype=F32) - F32(cam.cy)) / F32(cam.f)
    D = xs[None, :, None] * R[0] + ys[:, None, None] * R[1] + R[2]
    C = cam.C.astype(F32)
    Dy = D[..., 1]
    rn = np.sqrt(np.sum(D * D, axis=-1))
    pix = rn / F32(cam.f)
    with np.errstate(divide="ignore", invalid="ignore"):
        tg = np.where(Dy < -1e-6, -C[1] / Dy, INF).astype(F32)
    kind = env["backdrop"]
    outdoor = kind == "outdoor"
    if not outdoor:
        nw = np.asarray(env["wall_n"], F32)
        W0 = np.asarray(env["wall_p"], F32)
        den = D @ nw
        with np.errstate(divide="ignore", invalid="ignore"):
            tw = np.where(den < -1e-6, float((W0 - C) @ nw) / den, INF).astype(F32)
    else:
        tw = np.full((h, w), INF, F32)
    key_w = L.key_w.astype(F32)
    kc = L.key_col.astype(F32)
    amb = (0.65 * L.sky_col + 0.35 * L.gnd_col).astype(F32)
    ground = tg < tw
    table = env.get("table")
    front = floor = None
    if table is not None:
        ne = np.asarray(table["n"], F32)
        E0 = np.asarray(table["p"], F32)
        Pg = C + np.where(ground, tg, 0)[..., None] * D
        off = (((Pg - E0) @ ne) > 0) & ground
        den_e = D @ ne
        with np.errstate(divide="ignore", invalid="ignore"):
            tf = np.where(np.abs(den_e) > 1e-6, float((E0 - C) @ ne) / den_e, INF).astype(F32)
            tfl = np.where(Dy < -1e-6, (-table["height"] - C[1]) / Dy, INF).astype(F32)
        yf = C[1] + tf * Dy
        front = off & (yf >= -table["height"]) & (yf <= 0) & (tf > 0)
        floor = off & ~front & (tfl < tw)
        ground = ground & ~off
        wall = (tw < INF) & ~ground & ~front & ~floor
    else:
        wall = (tw < INF) & ~ground
    sky = ~ground & ~wall
    if front is not None:
        sky &= ~front & ~floor

    rgb = np.zeros((h, w, 3), F32)
    depth = np.full((h, w), INF, F32)
    keyfrac = np.zeros((h, w), F32)
    az = R[2]  # camera forward (depth = t * (D . a) = t since D . a = 1)

    # ---- support surface (computed only on the rows where it is seen)
    rs = _rows(ground)
    if rs is not None:
        sl = slice(*rs)
        g = ground[sl]
        Ds, Dys, rns = D[sl], Dy[sl], rn[sl]
        t = np.where(g, tg[sl], 0).astype(F32)
        X = C[0] + t * Ds[..., 0]
        Z = C[2] + t * Ds[..., 2]
        cosi = np.clip(-Dys / rns, 0.03, 1)
        fp = np.maximum(t * pix[sl] / cosi, 1e-5)
        sp = env["support"]
        liquid = sp["kind"] in ("water", "milk")
        if liquid:
            alb = np.broadcast_to(np.asarray(sp["colour"], F32), g.shape + (3,))
        else:
            alb = support_albedo(sp["kind"], sp, X, Z, tiles, fp)
        ripple = env.get("ripple_fn")
        if ripple is not None:
            gx, gz = ripple(X, Z, fp)
            nrm = np.stack([-gx, np.ones_like(gx), -gz], -1)
            nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
            nk = np.clip(nrm @ key_w, 0, None)
        else:
            nrm = None
            nk = np.full(g.shape, max(float(key_w[1]), 0.0), F32)
        direct = kc * nk[..., None]
        col = alb * (direct + amb)
        keyfrac[sl] = np.where(g, (alb * direct).sum(-1) / np.maximum((alb * (direct + amb)).sum(-1), 1e-4), 0)
        gloss = sp.get("gloss", 0.0)
        if gloss > 0 or liquid:
            Dn = Ds / rns[..., None]
            nn = nrm if nrm is not None else np.float32([0, 1, 0])
            ddn = np.sum(Dn * nn, axis=-1) if nrm is not None else Dn[..., 1]
            Rr = Dn - 2 * ddn[..., None] * nn
            F0 = sp.get("F0", 0.04)
            Fr = F0 + (1 - F0) * (1 - np.clip(-ddn, 0, 1)) ** 5
            P = C + t[..., None] * Ds
            refl = reflect_env(env, L, P, Rr)
            gg = (gloss if not liquid else 1.0) * Fr
            col = col * (1 - gg[..., None]) + refl * gg[..., None]
            hk = key_w - Dn
            hk /= np.linalg.norm(hk, axis=-1, keepdims=True)
            sh = np.clip(np.sum(hk * nn, axis=-1), 0, 1) ** sp.get("shin", 60)
            col = col + kc * (sh * sp.get("ks", 0.3))[..., None]
        if outdoor:
            haze = 1.0 - np.exp(-t / env["haze_dist"])
            col = col * (1 - haze[..., None]) + np.asarray(env["sky_horizon"], F32) * haze[..., None]
        rgb[sl] = np.where(g[..., None], col, rgb[sl])
        depth[sl] = np.where(g, t, depth[sl])

    # ---- table front face and the floor below it
    if front is not None and front.any():
        ne = np.asarray(table["n"], F32)
        nkf = max(float(ne @ key_w), 0.0)
        yv = np.clip(-(C[1] + tf * Dy) / table["height"], 0, 1)
        fcol = np.asarray(table["front_colour"], F32) * (kc * (0.25 + 0.75 * nkf) + amb * 1.5) * (1.0 - 0.35 * yv)[..., None]
        rgb = np.where(front[..., None], fcol, rgb)
        depth = np.where(front, tf, depth)
    if floor is not None and floor.any():
        fl = np.asarray(table["floor_colour"], F32) * (kc * max(float(key_w[1]), 0) * 0.6 + amb * 0.7)
        rgb = np.where(floor[..., None], fl, rgb)
        depth = np.where(floor, tfl, depth)

    # ---- backdrop wall
    rs = _rows(wall)
    if rs is not None:
        sl = slice(*rs)
        wm = wall[sl]
        Ds = D[sl]
        t = np.where(wm, tw[sl], 0).astype(F32)
        P = C + t[..., None] * Ds
        nw = np.asarray(env["wall_n"], F32)
        W0 = np.asarray(env["wall_p"], F32)
        ax = unit(np.cross(UP, nw)).astype(F32)
        wx = (P - W0) @ ax
        wy = P[..., 1]
        cosi = np.clip(np.abs(Ds @ nw) / rn[sl], 0.03, 1)
        fp = np.maximum(t * pix[sl] / cosi, 1e-5)
        alb = wall_albedo(kind, env["wall"], wx, wy, tiles, fp)
        col = wall_shading(env, L, nw, P, wy, alb, amb, kc)
        if kind == "window":
            col = window_overlay(env, wx, wy, col, Ds, fp)
        rgb[sl] = np.where(wm[..., None], col, rgb[sl])
        depth[sl] = np.where(wm, t, depth[sl])

    # ---- sky (outdoor) or far darkness
    rs = _rows(sky)
    if rs is not None:
        sl = slice(*rs)
        if outdoor:
            rgb[sl] = np.where(sky[sl][..., None], outdoor_sky(env, D[sl]), rgb[sl])
        else:
            rgb[sl] = np.where(sky[sl][..., None], np.asarray(env["wall"]["colour"], F32) * amb * 0.5, rgb[sl])
    return {"rgb": np.ascontiguousarray(rgb, dtype=F32), "ground": ground, "depth": depth, "keyfrac": keyfrac}


# ------------------------------------------------------------------ shadows
class Shadows:
    """Soft cast shadows and contact shadows on the support surface (Y = 0)."""

    def __init__(self, cam: Camera, L: Lights, softness):
        self.cam = cam
        self.L = L
        self.hard = np.zeros((cam.h, cam.w), F32)
        self.soft = np.zeros((cam.h, cam.w), F32)
        self.ao = np.zeros((cam.h, cam.w), F32)
        self.softness = softness
        self.ok = L.key_w[1] > 0.12

    def cast(self, P, strength=1.0, ground_y=0.0):
        """Shadow of the convex hull of world points P (their projection along the key light)."""
        if not self.ok:
            return
        P = np.asarray(P, float).reshape(-1, 3)
        Lw = self.L.key_w
        hgt = P[:, 1] - ground_y
        S = P - (hgt / Lw[1])[:, None] * Lw
        S[:, 1] = ground_y
        uv, z = self.cam.proj(S)
        if np.any(z <= 0.05) or not np.all(np.isfinite(uv)):
            return
        hull = cv2.convexHull((uv * 16).astype(np.int32))
        target = self.hard if float(np.median(hgt)) < 0.08 else self.soft
        cv2.fillPoly(target, [hull], float(strength), cv2.LINE_8, 4)

    def contact(self, centre, rx, rz, strength=0.7, axis=None, ground_y=0.0):
        """Ambient-occlusion ellipse under a resting object (world radii rx, rz)."""
        c = np.asarray(centre, float).copy()
        c[1] = ground_y
        a = np.asarray(axis if axis is not None else [1.0, 0, 0], float)
        a = unit(a - a[1] * UP)
        b = np.cross(UP, a)
        ang = np.linspace(0, 2 * math.pi, 20, endpoint=False)
        P = c + np.cos(ang)[:, None] * a * rx + np.sin(ang)[:, None] * b * rz
        uv, z = self.cam.proj(P)
        if np.any(z <= 0.05):
            return
        cv2.fillPoly(self.ao, [(uv * 16).astype(np.int32)], float(strength), cv2.LINE_8, 4)

    def apply(self, bg, px_scale):
        if not (self.hard.any() or self.soft.any() or self.ao.any()):
            return
        g = bg["ground"]
        s1 = max(0.6, self.softness * 0.5 * px_scale)
        s2 = max(1.5, self.softness * 3.0 * px_scale)
        hard = cv2.GaussianBlur(np.clip(self.hard, 0, 1), (0, 0), s1)
        soft = cv2.GaussianBlur(np.clip(self.soft, 0, 1), (0, 0), s2) * 0.75
        ao = cv2.GaussianBlur(np.clip(self.ao, 0, 1), (0, 0), max(0.8, 0.6 * s1 + 0.5))
        sh = np.maximum(hard, soft) * bg["keyfrac"] * 0.92
        mult = (1.0 - sh) * (1.0 - 0.75 * ao)
        rgb = bg["rgb"]
        rgb[g] *= mult[g][:, None]


# ------------------------------------------------------------------ context props
def context_props(nz, scene_span, P0, cam: Camera, env, support_liquid):
    """Place 0-4 props (bottles, jars, boxes, books, cans, stand rods, tools, a ball)
    on the support surface, beside or behind the event, never in front of it."""
    props = []
    n = int(nz.choice([0, 1, 1, 2, 2, 3, 3, 4]))
    if support_liquid:
        n = 0
    fwd = unit(cam.a - cam.a[1] * UP)
    right = unit(np.cross(fwd, UP))
    foot = np.array([P0[0], 0.0, P0[2]])
    for i in range(n):
        kind = str(nz.choice(["bottle", "jar", "box", "book", "can", "rod", "tool", "ball", "mug", "bottle"]))
        side = 1 if nz.random() < 0.5 else -1
        lat = side * nz.uniform(1.35, 3.4) * scene_span
        dep = nz.uniform(-0.3, 2.8) * scene_span
        if support_liquid:
            dep = nz.uniform(1.5, 3.0) * scene_span
        pos = foot + right * lat + fwd * dep
        if env["backdrop"] != "outdoor":
            wall_d = float((np.asarray(env["wall_p"]) - pos) @ -np.asarray(env["wall_n"]))
            if wall_d < 0.4 * scene_span:
                pos = pos - fwd * (0.4 * scene_span - wall_d)
        size = nz.uniform(0.35, 1.0) * scene_span
        hue = nz.random(3)
        props.append({"kind": kind, "pos": pos.tolist(), "size": float(size), "hue": hue.tolist(),
                      "yaw": float(nz.uniform(0, math.pi)), "glass": bool(nz.random() < 0.5)})
    return props


PROP_COLOURS = [(0.55, 0.12, 0.08), (0.08, 0.22, 0.45), (0.75, 0.62, 0.25), (0.12, 0.35, 0.15),
                (0.6, 0.6, 0.6), (0.15, 0.15, 0.17), (0.8, 0.78, 0.7), (0.45, 0.25, 0.1)]


def prop_colour(hue):
    c = np.asarray(PROP_COLOURS[int(hue[0] * len(PROP_COLOURS)) % len(PROP_COLOURS)], float)
    return c * (0.75 + 0.5 * hue[1])


def draw_prop(cv: Canvas, cam: Camera, L: Lights, pr, shadows: Shadows, tags):
    kind = pr["kind"]
    s = pr["size"]
    p = np.asarray(pr["pos"], float)
    col = prop_colour(pr["hue"])
    if kind in ("bottle", "jar", "can", "mug", "rod"):
        if kind == "bottle":
            H, R = s * 1.3, s * 0.17
            prof_t = [0, 0.02, 0.6, 0.72, 0.78, 0.97, 1.0]
            prof_r = [0.9, 1.0, 1.0, 0.55, 0.3, 0.28, 0.32]
        elif kind == "jar":
            H, R = s * 0.7, s * 0.28
            prof_t = [0, 0.03, 0.85, 0.9, 1.0]
            prof_r = [0.92, 1.0, 1.0, 0.85, 0.85]
        elif kind == "can":
            H, R = s * 0.55, s * 0.17
            prof_t = [0, 0.04, 0.96, 1.0]
            prof_r = [0.9, 1.0, 1.0, 0.9]
        elif kind == "mug":
            H, R = s * 0.42, s * 0.2
            prof_t = [0, 0.05, 1.0]
            prof_r = [0.95, 1.0, 1.02]
        else:
            H, R = s * 2.2, s * 0.025
            prof_t = [0, 1]
            prof_r = [1, 1]
        top = p + UP * H
        uv0, z0 = cam.proj(p)
        uv1, _ = cam.proj(top)
        k = cam.f / z0
        glass = pr["glass"] and kind in ("bottle", "jar")
        if glass:
            mat = material(col * 0.5 + 0.1, ks=1.6, shin=120, alpha=0.22, F0=0.06, refl=1.2)
        elif kind == "can":
            mat = material(col, ks=1.2, shin=60, refl=0.6, F0=0.5)
        elif kind == "rod":
            mat = material((0.55, 0.55, 0.58), ks=1.0, shin=80, refl=0.5, F0=0.5)
        else:
            mat = material(col, ks=0.35, shin=40)
        draw_lathe(cv, uv0, uv1, prof_t, np.asarray(prof_r) * R * k, mat, L, tags)
        if kind == "rod":
            base_c = p + UP * 0.02 * s
            faces, nrm = box_faces(base_c, np.diag([0.35 * s, 0.02 * s, 0.25 * s]))
            draw_faces(cv, cam, faces, nrm, material((0.2, 0.2, 0.22), ks=0.4, shin=30), L, tags)
            # clamp arm
            arm0 = p + UP * H * 0.8
            arm1 = arm0 + unit(np.cross(UP, cam.a)) * 0.4 * s * (1 if pr["hue"][2] > 0.5 else -1)
            a0, za = cam.proj(arm0)
            a1, _ = cam.proj(arm1)
            draw_tube(cv, a0, a1, 0.02 * s * cam.f / za, 0.02 * s * cam.f / za, mat, L, tags)
        if kind == "mug":
            hc = p + UP * H * 0.5 + unit(np.cross(UP, cam.a)) * R * 1.15
            hu, zh = cam.proj(hc)
            draw_tube(cv, hu + [0, -0.25 * H * k], hu + [0, 0.25 * H * k], 0.05 * s * k, 0.05 * s * k, mat, L, tags)
        shadows.cast(np.array([p + [R, 0, 0], p - [R, 0, 0], p + [0, 0, R], p - [0, 0, R], top + [R, 0, 0], top - [R, 0, 0]]), 0.9)
        shadows.contact(p, R * 1.15, R * 1.15, 0.6)
    elif kind in ("box", "book"):
        if kind == "box":
            hx, hy, hz = s * 0.35, s * 0.3, s * 0.3
        else:
            hx, hy, hz = s * 0.42, s * 0.06, s * 0.3
        c, sn = math.cos(pr["yaw"]), math.sin(pr["yaw"])
        ax = np.array([[c * hx, 0, -sn * hz], [0, hy, 0], [sn * hx, 0, c * hz]]).T
        ctr = p + UP * hy
        faces, nrm = box_faces(ctr, ax)
        mat = material(col, ks=0.15 if kind == "box" else 0.25, shin=20)
        draw_faces(cv, cam, faces, nrm, mat, L, tags)
        corners = np.concatenate(faces)
        shadows.cast(corners, 0.9)
        shadows.contact(p, hx * 1.1, hz * 1.1, 0.5, axis=[c, 0, -sn])
    elif kind == "tool":
        # a hammer or wrench lying on the support
        c, sn = math.cos(pr["yaw"]), math.sin(pr["yaw"])
        d = np.array([c, 0, -sn])
        h0 = p - d * 0.6 * s + UP * 0.04 * s
        h1 = p + d * 0.5 * s + UP * 0.04 * s
        u0, z0 = cam.proj(h0)
        u1, _ = cam.proj(h1)
        k = cam.f / z0
        wood = material(col * 0.6 + [0.25, 0.15, 0.05], ks=0.2, shin=20)
        draw_tube(cv, u0, u1, 0.04 * s * k, 0.045 * s * k, wood, L, tags)
        hd = p + d * 0.55 * s + UP * 0.07 * s
        ax = np.array([d * 0.07 * s, UP * 0.07 * s, np.cross(d, UP) * 0.22 * s]).T
        faces, nrm = box_faces(hd, ax)
        draw_faces(cv, cam, faces, nrm, material((0.35, 0.36, 0.38), ks=0.9, shin=50, refl=0.3, F0=0.4), L, tags)
        shadows.contact(p, 0.6 * s, 0.08 * s, 0.5, axis=d)
    elif kind == "ball":
        r = s * 0.2
        c3 = p + UP * r
        uv, z = cam.proj(c3)
        draw_sphere(cv, uv, r * cam.f / z, material(col, ks=0.5, shin=40), L, tags)
        shadows.contact(p, r * 0.8, r * 0.8, 0.7)
        shadows.cast(np.array([c3 + [r, 0, 0], c3 - [r, 0, 0], c3 + [0, r, 0], c3 + [0, 0, r], c3 - [0, 0, r]]), 0.9)


# ------------------------------------------------------------------ post-processing
def depth_of_field(bg, focus_z, amount, px):
    """Blur the background by its distance from the focus plane (two-level mix)."""
    if amount <= 0.05:
        return
    rgb = bg["rgb"]
    sig = amount * px
    blur = cv2.GaussianBlur(rgb, (0, 0), sig)
    z = bg["depth"]
    w = np.clip(np.abs(1.0 / np.maximum(z, 1e-3) - 1.0 / focus_z) * focus_z * 1.6, 0, 1)
    w = cv2.GaussianBlur(w.astype(F32), (0, 0), 2.0)
    bg["rgb"] = rgb * (1 - w[..., None]) + blur * w[..., None]


def finish(img, nzp, rng_noise):
    """Linear radiance -> photographic uint8: bloom, gain, white balance, vignetting,
    tone curve, saturation, sensor noise, optional JPEG."""
    h, w = img.shape[:2]
    s = min(h, w)
    # camera meter: the median luminance is brought to the drawn exposure key, then a
    # small exposure error (nuisance) is applied
    lum = img[::3, ::3].mean(axis=-1)
    med, hi = np.percentile(lum, [50, 99.3])
    scale = min(nzp["key"] / max(float(med), 1e-4), 1.5 / max(float(hi), 1e-4))
    img = img * F32(scale * nzp["gain"])
    bright = np.clip(img - 1.0, 0, None)
    if bright.max() > 0:
        small = cv2.resize(bright, (max(8, w // 4), max(8, h // 4)), interpolation=cv2.INTER_AREA)
        b1 = cv2.GaussianBlur(small, (0, 0), 0.003 * s + 0.3)
        b2 = cv2.GaussianBlur(small, (0, 0), 0.0125 * s + 0.5)
        bl = cv2.resize(b1 + 0.3 * b2, (w, h), interpolation=cv2.INTER_LINEAR)
        img = img + F32(nzp["bloom"]) * bl
    gains = np.asarray(nzp["wb"], F32)
    if nzp["vignette"] > 0:
        vx = ((np.arange(w, dtype=F32) - w / 2) / (w / 2)) ** 2 * 0.5
        vy = ((np.arange(h, dtype=F32) - h / 2) / (h / 2)) ** 2 * 0.5
        vig = 1.0 - F32(nzp["vignette"]) * (vy[:, None] + vx[None, :])
        img = img * vig[..., None] * gains
    else:
        img = img * gains
    # filmic tone curve then display gamma
    # tone curve as a lookup on sqrt(radiance): soft film shoulder, display gamma, S-curve
    q = np.arange(2600, dtype=np.float64) / 1024.0
    lin = q * q
    y = (1.0 - np.exp(-lin * nzp["post_gain"] * 1.15)) ** (1 / 2.2)
    y = y + nzp["contrast"] * (y * y * (3 - 2 * y) - y)
    lut = y.astype(F32)
    idx = np.minimum(np.sqrt(np.maximum(img, 0)) * F32(1024.0), F32(2599)).astype(np.int32)
    x = lut[idx]
    grey = (x[..., 0] + x[..., 1] + x[..., 2])[..., None] * F32(1 / 3)
    x = grey + (x - grey) * F32(nzp["saturation"])
    # sensor noise: read noise + shot noise, partly shared by the channels
    n_ch = rng_noise.standard_normal(size=(h, w, 3), dtype=F32)
    n_lum = n_ch.mean(axis=-1, keepdims=True)
    sig = F32(nzp["read_noise"]) + F32(nzp["shot_noise"]) * np.sqrt(np.clip(grey, 0, 1))
    x = x + sig * (0.5 * n_ch + 0.9 * n_lum)
    out = np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if nzp["jpeg"]:
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(nzp["jpeg"])])
        out = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return out

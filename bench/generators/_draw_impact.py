"""Impact family: a crater / contact zone with an ejecta curtain and debris
(Gault & Wedekind 1978; Pierazzo & Melosh 2000)."""

from __future__ import annotations

import math

import numpy as np

from bench.generators import _draw_common as C
from bench.generators._draw_fracture import _edge_fn, _pieces_record


def _rim(rng, sym, rc, k=96):
    phi = np.linspace(0, C.TAU, k, endpoint=False)
    if sym.kind == "rot":
        r = rc * (1.0 + 0.07 * np.cos(sym.n * phi))
    else:
        r = np.full(k, rc)
        for m in range(2, 6):
            amp = rng.uniform(0.0, 0.16) / m
            beta = 0.0 if sym.kind == "mirror" else rng.uniform(0, C.TAU)
            r = r * (1.0 + amp * np.cos(m * phi + beta))
        if sym.kind == "none":  # a lumpy, slightly off-round rim
            r = r * (1.0 + np.convolve(rng.normal(0, 0.03, k), np.ones(5) / 5, "same"))
    return phi, r


def _fan(rho0, rho1, phi, half_w0, half_w1, k=6):
    """A ray-shaped polygon (local) from radius rho0 to rho1 along angle phi."""
    t = np.linspace(0, 1, k)
    r = rho0 + (rho1 - rho0) * t
    w = half_w0 + (half_w1 - half_w0) * np.sqrt(t)
    u = np.array([math.cos(phi), math.sin(phi)])
    n = np.array([-u[1], u[0]])
    left = r[:, None] * u + w[:, None] * n
    right = r[:, None] * u - w[:, None] * n
    cap = [(rho1 + half_w1 * 0.8 * math.cos(s)) * u + half_w1 * math.sin(s) * n for s in np.linspace(-1.2, 1.2, 5)]
    return np.vstack([left, np.array(cap), right[::-1]])


def draw(ctx) -> dict:
    rng, fr, lab, pal = ctx.rng, ctx.frame, ctx.labels, ctx.pal
    a, b = ctx.body_ext
    moving = lab["transitional"]
    t = ctx.thick

    phi = np.linspace(0, C.TAU, 120, endpoint=False)
    rr = _edge_fn(a, b, pal["p"])(phi)
    body = ctx.layer(ctx.tint(pal["body"]), structure=False)
    body.poly(fr.img(np.stack([rr * np.cos(phi), rr * np.sin(phi)], 1)), pal["body_alpha"])

    sym = C.Sym("rot", int(rng.choice([6, 8, 10, 12]))) if ctx.sym_kind == "rot" else C.Sym(ctx.sym_kind)
    psym = C.Sym("rot", sym.n) if (sym.kind == "rot" and ctx.mode == "isotropic") else \
        C.Sym("mirror") if sym.kind != "none" else C.Sym("none")
    rc = ctx.R * rng.uniform(0.36, 0.48)

    # ---- ejecta curtain (in flight) or ejecta blanket (deposited): same rays, same ink
    n_rays = int(rng.integers(7, 13))
    n_rc = max(1, int(round(n_rays / psym.copies)))
    rphi = C.angle_domain(psym, ctx.mode, rng, n_rc, ctx.spread)
    room = psym.images_of_angle(rphi)
    room = fr.room(room.ravel()).reshape(room.shape).min(0)
    rays = []
    for ph_, rm in zip(rphi, room):
        if psym.kind == "rot":
            ph_ = min(max(ph_, 0.12), math.pi / psym.n - 0.12)
        elif psym.kind == "mirror":
            ph_ = min(max(ph_, 0.18), math.pi - 0.18)
        L = min(rc * rng.uniform(1.6, 2.6), rm * 0.92)
        if L < rc * 1.2:
            continue
        w1 = rc * rng.uniform(0.22, 0.38)
        u = np.array([math.cos(ph_), math.sin(ph_)])
        nv = np.array([-u[1], u[0]])
        lines = [np.stack([rc * 0.95 * u + s * rc * 0.1 * nv, L * u + s * w1 * nv]) for s in (-0.55, 0.0, 0.55)]
        rays.append((_fan(rc * 0.9, L, ph_, rc * 0.12, w1), lines))
    ej_col = ctx.tint(pal["deposit"], 0.04)
    ej = ctx.layer(ej_col)
    streaks = []
    for poly, lines in rays:
        for m in psym.ops():
            ej.poly(fr.img(poly @ m.T), 0.42 if not moving else 0.34)
            if moving:  # fine streaks inside the curtain, radial from the source
                streaks += [fr.img(x @ m.T) for x in lines]
    if moving:
        sl = ctx.layer(ctx.tint(pal["rim"], 0.03))
        sl.lines(streaks, 1, 0.35)
        sl.soften(0.5 * ctx.px + 0.3)
        ej.soften(1.2 * ctx.px + 0.4)

    # ---- crater
    cphi, cr = _rim(rng, sym, rc)
    rim_pts = fr.img(np.stack([cr * np.cos(cphi), cr * np.sin(cphi)], 1))
    # cavity, its darker floor and the impactor remnant share one colour-plane layer
    cav = ctx.layer(None)
    cav_col = ctx.tint(pal["cavity"], 0.05)
    cav.poly(fr.img(np.stack([0.95 * cr * np.cos(cphi), 0.95 * cr * np.sin(cphi)], 1)), 0.92, cav_col)
    deep_col = 0.5 * cav_col + 0.5 * ctx.tint(np.asarray(pal["cavity"]) * 0.7, 0.03)
    cav.poly(fr.img(np.stack([0.5 * cr * np.cos(cphi), 0.5 * cr * np.sin(cphi)], 1)), 0.92, deep_col)
    if "core" in pal:  # the impactor remnant
        kk = 9 if sym.kind != "rot" else sym.n
        ca = np.arange(kk) * C.TAU / kk
        cr2 = 0.22 * rc * (rng.uniform(0.8, 1.2, kk) if sym.kind == "none" else np.ones(kk))
        cav.poly(fr.img(np.stack([cr2 * np.cos(ca), cr2 * np.sin(ca)], 1)), 0.95, ctx.tint(pal["core"], 0.05))
    rim = ctx.layer(ctx.tint(pal["rim"], 0.03))
    rim.lines([rim_pts], max(1, int(round(0.12 * rc))), 0.9, closed=True)
    n_cracks = 0
    if "crack" in pal:  # brittle targets: radial cracks from the rim
        if sym.kind == "rot":
            cang = (np.arange(sym.n) + 0.5) * C.TAU / sym.n
            clen = np.full(sym.n, rc * rng.uniform(0.7, 1.1))
        elif sym.kind == "mirror":
            h = int(rng.integers(2, 4))
            ca_ = rng.uniform(0.3, math.pi - 0.3, h)
            cl_ = rc * rng.uniform(0.5, 1.2, h)
            cang, clen = np.concatenate([ca_, -ca_]), np.concatenate([cl_, cl_])
        else:
            nn = int(rng.integers(4, 8))
            cang = rng.uniform(0, C.TAU, nn)
            clen = rc * rng.uniform(0.4, 1.3, nn)
        if not moving:  # complete: to the block's edge
            clen = 0.98 * _edge_fn(a, b, pal["p"])(cang) - rc
        segs = []
        for ang, ln in zip(cang, clen):
            r_ = np.linspace(rc * 0.95, rc + max(ln, rc * 0.2), 6)
            segs.append(fr.img(np.stack([r_ * np.cos(ang), r_ * np.sin(ang)], 1)))
        cd = ctx.layer(ctx.tint(pal["crack_dark"], 0.03))
        cd.lines(segs, t + 1, 0.5)
        cb = ctx.layer(ctx.tint(pal["crack"], 0.02))
        cb.lines(segs, t, 0.85)
        n_cracks = len(segs)

    # ---- debris
    n_total = int(rng.integers(30, 50))
    n_c = max(1, int(round(n_total / psym.copies)))
    areas = ctx.areas(n_c)
    canon = C.place(rng, fr, psym, ctx.mode, areas, pal["kind"], rc * 1.15, 0.62 * ctx.S,
                    gap=1.0 * ctx.px + 1, spread=ctx.spread)
    pieces = C.replicate(canon, psym)
    mix = pal.get("piece_mix", (pal["piece"],))
    mix_cols = [ctx.tint(m) for m in mix]
    cols = [mix_cols[int(rng.integers(len(mix)))] * rng.choice([0.86, 0.97, 1.1]) for _ in canon]
    rec = ctx.debris(pieces, cols, 1.0, mix[0], tail_tint=0.03)
    dpts = ctx.spray(psym, pal["deposit"], 0.03, (50, 90), rc * 1.1, 0.85)

    return {
        "fold": sym.n if sym.kind == "rot" else None,
        "crater_radius_px": float(rc),
        "n_rays": len(rays) * psym.copies,
        "n_cracks": n_cracks,
        "n_unplaced": int(len(areas) - len(canon)),
        **_pieces_record(rec, moving, len(dpts)),
    }

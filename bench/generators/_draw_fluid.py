"""Fluid family: a splash crown seen from above-front with rim fingers, beads,
droplets and spray (Yarin & Weiss 1995; Deegan et al. 2008; Thoroddsen 2008)."""

from __future__ import annotations

import math

import numpy as np

from bench.generators import _draw_common as C
from bench.generators._draw_fracture import _edge_fn, _pieces_record


def draw(ctx) -> dict:
    rng, fr, lab, pal = ctx.rng, ctx.frame, ctx.labels, ctx.pal
    a, b = ctx.body_ext
    moving = lab["transitional"]
    plausible = lab["plausible"]

    # ---- liquid surface with faint ripples (not part of the structure mask)
    phi = np.linspace(0, C.TAU, 120, endpoint=False)
    rr = _edge_fn(a, b, pal["p"])(phi)
    body = ctx.layer(ctx.tint(pal["body"]), structure=False)
    body.poly(fr.img(np.stack([rr * np.cos(phi), rr * np.sin(phi)], 1)), pal["body_alpha"])
    rc = ctx.R * rng.uniform(0.42, 0.52)
    rip = ctx.layer(ctx.tint(np.asarray(pal["rim"]) * 0.85 + np.asarray(pal["body"]) * 0.15), structure=False)
    rings = [rc * f for f in (1.9, 2.5, 3.2) if rc * f < 0.95 * min(a, b)]
    rip.lines([fr.img(np.stack([r * np.cos(phi), r * np.sin(phi)], 1)) for r in rings], 1, 0.25, closed=True)

    # equal fingers at equal angles are themselves implausible (real rims break up
    # irregularly), so a symmetric plausible crown is mirror-symmetric with irregular fingers
    kind = "mirror" if (ctx.sym_kind == "rot" and plausible) else ctx.sym_kind
    sym = C.Sym("rot", int(rng.integers(12, 21))) if kind == "rot" else C.Sym(kind)
    psym = C.Sym("rot", sym.n) if (sym.kind == "rot" and ctx.mode == "isotropic") else \
        C.Sym("mirror") if sym.kind != "none" else C.Sym("none")

    # ---- crown rim
    if sym.kind == "rot":
        crim = np.full(len(phi), rc)
    else:
        crim = np.full(len(phi), rc)
        for m in (1, 2, 3, 4):
            beta = 0.0 if sym.kind == "mirror" else rng.uniform(0, C.TAU)
            amp = rng.uniform(0.02, 0.1) if sym.kind == "none" else rng.uniform(0, 0.06)
            crim *= 1.0 + amp * np.cos(m * phi + beta)
    # a soft contact shadow under the liquid structures keeps a white crown visible on milk
    shadow = ctx.layer(ctx.tint(np.asarray(pal["cavity"]) * 0.55, 0.03))
    cav = ctx.layer(ctx.tint(pal["cavity"], 0.04))
    cav.poly(fr.img(np.stack([0.9 * crim * np.cos(phi), 0.9 * crim * np.sin(phi)], 1)), 0.8)
    wall = ctx.layer(ctx.tint(pal["rim"], 0.02))
    wall_w = max(1, int(round(0.16 * rc)))
    rim_img = fr.img(np.stack([crim * np.cos(phi), crim * np.sin(phi)], 1))
    wall.lines([rim_img], wall_w, 0.92, closed=True)
    shadow.lines([rim_img], wall_w + 2 * ctx.thick + 1, 0.5, closed=True)

    def rim_at(ang):
        return float(np.interp(ang % C.TAU, np.append(phi, C.TAU), np.append(crim, crim[0])))

    # ---- fingers and beads
    fa = C.radial_angles(rng, sym, pairs=(5, 10), margin=0.12, pair_gap=0.16, tries=60,
                         n_free=lambda: int(rng.integers(11, 21)), alpha=3.0, free_gap=0.1)
    fa = np.sort(fa % C.TAU)
    nf = len(fa)
    gaps = (np.roll(fa, -1) - fa) % C.TAU
    local_gap = np.minimum(gaps, np.roll(gaps, 1))
    L0 = rc * rng.uniform(0.35, 0.55)
    signed = np.where(fa > math.pi, fa - C.TAU, fa)  # (-pi, pi]
    if sym.kind == "rot":
        lens = np.full(nf, L0)
    else:
        base = rng.uniform(0.55, 1.35, nf) if plausible else rng.uniform(0.93, 1.07, nf)
        if sym.kind == "mirror":  # pair each finger with its mirror image
            key = np.round(np.abs(signed), 6)
            for kv in np.unique(key):
                idx = np.where(key == kv)[0]
                base[idx] = base[idx[0]]
        lens = L0 * base
        if plausible:  # oblique splash: longer sheet downrange
            lens = lens * (1.0 + 0.45 * np.cos(signed))
    # bead areas: heavy-tailed when plausible, identical otherwise (paired for mirror)
    bead_a = np.minimum(ctx.areas(nf), 0.0035 * ctx.S * ctx.S)
    if sym.kind == "rot":
        bead_a[:] = bead_a.mean()
    elif sym.kind == "mirror":
        key = np.round(np.abs(signed), 6)
        for kv in np.unique(key):
            idx = np.where(key == kv)[0]
            bead_a[idx] = bead_a[idx[0]]
    fingers, bead_polys, bead_tails = [], [], []
    for ang, ln, ga, ba in zip(fa, lens, local_gap, bead_a):
        r0 = rim_at(ang) * 0.97
        u = np.array([math.cos(ang), math.sin(ang)])
        nv = np.array([-u[1], u[0]])
        wb = min(0.42 * ga * r0, 0.22 * rc)
        br = math.sqrt(ba / math.pi)
        wt = min(0.45 * wb, br * 0.8)
        tip = r0 + ln
        if moving:  # pinching off: a thin neck, the bead already detached
            neck = 0.35 * wt
            fingers.append(np.array([r0 * u + wb * nv, (tip - 0.3 * ln) * u + wt * nv, tip * u + neck * nv,
                                     tip * u - neck * nv, (tip - 0.3 * ln) * u - wt * nv, r0 * u - wb * nv]))
            bc = (tip + 1.9 * br + 1.0) * u
            bead_tails.append((bc, br))
        else:
            fingers.append(np.array([r0 * u + wb * nv, tip * u + wt * nv, tip * u - wt * nv, r0 * u - wb * nv]))
            bc = (tip + 0.6 * br) * u
        k = 14
        ca = np.arange(k) * C.TAU / k
        bead_polys.append(bc + br * np.stack([np.cos(ca), np.sin(ca)], 1))
    fl = wall  # fingers are the same liquid as the crown wall
    f_img = [fr.img(x) for x in fingers]
    b_img = [fr.img(x) for x in bead_polys]
    fl.polys(f_img, 0.92)  # fingers never overlap each other, nor beads each other
    shadow.polys(f_img, 0.5)
    shadow.polys(b_img, 0.5)
    shadow.lines(f_img + b_img, 2 * ctx.thick, 0.5, closed=True)
    bl = ctx.layer(ctx.tint(pal["piece"], 0.02))
    if moving:
        bt = ctx.layer(ctx.tint(pal["piece"], 0.02))
        for bc, br in bead_tails:
            rho = float(np.hypot(*bc))
            u = bc / rho
            L = 0.5 * ctx.kappa * rho
            nv = np.array([-u[1], u[0]])
            bt.poly(fr.img(np.array([bc + br * nv, bc - L * u, bc - br * nv])), 0.2)
        bt.soften(0.5 * ctx.px + 0.3)
    bl.polys(b_img, 0.97)

    # ---- the iconic composite: a tall central Worthington jet at the crown instant
    jet = False
    if not plausible:
        jet = True
        jh = rc * rng.uniform(1.5, 1.9)
        jw = rc * 0.16
        ts = np.linspace(0, 1, 8)
        half = jw * (1.0 - 0.55 * ts)
        col_pts = np.vstack([np.stack([-jh * ts, half], 1), np.stack([-jh * ts, -half], 1)[::-1]])
        k = 18
        ca = np.arange(k) * C.TAU / k
        jr = jw * 0.95
        bead = np.array([-jh - 0.6 * jr, 0.0]) + jr * np.stack([np.cos(ca), np.sin(ca)], 1)
        base = 1.5 * jw * np.stack([np.cos(ca), np.sin(ca)], 1)
        jl = wall
        for poly in (base, col_pts, bead):
            shadow.poly(fr.img(poly), 0.55)
            jl.poly(fr.img(poly), 0.97)
        shadow.lines([fr.img(x) for x in (base, col_pts, bead)], 2 * ctx.thick + 1, 0.55, closed=True)

    # ---- droplets: in flight with streaks, or resting on the surface
    r_in = rc + float(lens.max()) + 0.05 * rc
    n_total = int(rng.integers(24, 42) * (1.25 if plausible else 1.0))  # balances the jet's ink
    n_c = max(1, int(round(n_total / psym.copies)))
    areas = ctx.areas(n_c)
    canon = C.place(rng, fr, psym, ctx.mode, areas, "drop", r_in, 0.62 * ctx.S, gap=1.0 * ctx.px + 1,
                    spread=ctx.spread)
    pieces = C.replicate(canon, psym)
    cols = [ctx.tint(pal["piece"], 0.03) * shade for shade in rng.choice([0.9, 0.97, 1.04], len(canon))]
    rec = ctx.debris(pieces, cols, 0.95, pal["piece"], head_gain=1.0)
    dpts = ctx.spray(psym, pal["piece"], 0.02, (50, 90), rc * 1.2, 0.8, streak_gain=0.7)

    return {
        "sym_kind": sym.kind,
        "fold": sym.n if sym.kind == "rot" else None,
        "crown_radius_px": float(rc),
        "n_fingers": int(nf),
        "finger_lengths_px": [float(x) for x in lens],
        "bead_areas": [round(float(x), 4) for x in bead_a],
        "worthington_jet": jet,
        "n_unplaced": int(len(areas) - len(canon)),
        **_pieces_record(rec, moving, len(dpts)),
    }

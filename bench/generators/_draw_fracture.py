"""Fracture family: a brittle sheet or object with radial and concentric cracks
and shards (Vandenberghe et al. PRL 2013; Bohn et al. PRE 2005)."""

from __future__ import annotations

import math

import numpy as np

from bench.generators import _draw_common as C


def _edge_fn(a, b, p):
    def edge(phi):
        phi = np.asarray(phi, np.float64)
        return (np.abs(np.cos(phi) / a) ** p + np.abs(np.sin(phi) / b) ** p) ** (-1.0 / p)

    return edge


def draw(ctx) -> dict:
    rng, fr, lab, pal = ctx.rng, ctx.frame, ctx.labels, ctx.pal
    a, b = ctx.body_ext
    edge = _edge_fn(a, b, pal["p"])
    t = ctx.thick
    moving = lab["transitional"]
    plausible = lab["plausible"]

    # ---- the sheet / object body (not part of the structure mask)
    phi = np.linspace(0, C.TAU, 120, endpoint=False)
    rr = edge(phi)
    outline = fr.img(np.stack([rr * np.cos(phi), rr * np.sin(phi)], 1))
    body = ctx.layer(ctx.tint(pal["body"]), structure=False)
    body.poly(outline, pal["body_alpha"])
    if "frame" in pal:
        fl = ctx.layer(ctx.tint(pal["frame"], 0.03), structure=False)
        fl.lines([outline], max(2, int(0.07 * ctx.R)), 1.0, closed=True)
    if "trim" in pal:
        tl = ctx.layer(ctx.tint(pal["trim"], 0.1), structure=False)
        tr = rr * 0.88
        tl.lines([fr.img(np.stack([tr * np.cos(phi), tr * np.sin(phi)], 1))], max(1, int(0.04 * ctx.R)), 0.9, closed=True)

    # ---- symmetry of the crack star
    if ctx.sym_kind == "rot":
        sym = C.Sym("rot", int(rng.choice([6, 8, 10])))
    else:
        sym = C.Sym(ctx.sym_kind)
    angles = C.radial_angles(rng, sym, pairs=(2, 5), margin=0.3, pair_gap=0.38, tries=50,
                             n_free=int(rng.integers(4, 10)), alpha=2.2, free_gap=0.18)
    order = np.argsort(angles)
    angles = angles[order]
    n = len(angles)
    e_k = edge(angles)
    r0 = ctx.R * rng.uniform(0.06, 0.1)

    # reach: complete (to the edge) or tips in the open sheet
    if not moving:
        reach = e_k.copy()
    elif sym.kind == "rot":
        reach = np.full(n, rng.uniform(0.5, 0.8) * e_k.min())
    elif sym.kind == "mirror":
        f = rng.uniform(0.45, 0.85, n // 2)
        reach = np.concatenate([f, f[::-1]]) * e_k
    else:
        f = rng.uniform(0.4, 0.85, n)
        full = rng.random(n) < 0.25
        full[rng.permutation(n)[:2]] = False
        reach = np.where(full, 1.0, f) * e_k
    open_tips = int(np.sum(reach < e_k * 0.98))

    # wiggle: angular random walk along each arm (mirror pairs wiggle mirrored)
    M = 12
    if sym.kind == "rot":
        jit = np.zeros((n, M))
    else:
        base = np.cumsum(rng.normal(0, 0.035, (n, M)), axis=1)
        base[:, 0] = 0
        if sym.kind == "mirror":
            h = n // 2
            base[h:] = -base[:h][::-1]
        jit = base

    def arm_pt(k, r):
        s = np.clip((np.asarray(r, np.float64) - r0) / max(reach[k] - r0, 1e-6), 0, 1) * (M - 1)
        dj = np.interp(s, np.arange(M), jit[k])
        ang = angles[k] + dj
        return np.stack([r * np.cos(ang), r * np.sin(ang)], -1)

    arms = [arm_pt(k, np.linspace(r0, reach[k], M)) for k in range(n)]

    # ---- concentric cracks between neighbouring arms
    ref = float(np.min(reach))
    nr = int(rng.integers(2, 4))
    rings = np.sort(ref * (np.arange(1, nr + 1) / (nr + 1.0)) * rng.uniform(0.85, 1.1, nr))
    rings = np.clip(rings, r0 * 2.0, ref * 0.88)
    step = float(np.median(np.diff(np.concatenate([[r0], rings])))) if nr else ref
    delta = 0.22 * step
    # radii[k][j] = (r at arm k, r at arm k+1) of ring j in sector k (arm k -> arm k+1)
    radii = np.zeros((n, nr, 2))
    if not plausible:
        radii[:] = rings[None, :, None]  # one closed ring crossing every arm: X-junctions
    elif sym.kind == "rot":
        for k in range(n):
            radii[k, :, :] = (rings + (delta if k % 2 else -delta * 0.6))[:, None]
    else:
        # staggered: each chord's end on an arm differs from its neighbour's on the same arm
        def pick(prev):
            for _ in range(20):
                v = rings * rng.uniform(0.82, 1.18, nr)
                if prev is None or np.all(np.abs(v - prev) > delta):
                    return v
            return (prev + np.where(rng.random(nr) < 0.5, -1.4, 1.4) * delta)

        if sym.kind == "mirror":
            h = n // 2  # arms 0..h-1 at angles > 0 (sorted: negative half first)
            up = list(range(h, n))  # indices of positive-angle arms (sorted ascending)
            # sector 'h-1' straddles angle 0 (arm h-1 is -phi_1, arm h is +phi_1)
            s0 = pick(None)
            radii[h - 1, :, 0] = radii[h - 1, :, 1] = s0
            prev = s0
            for i in range(len(up) - 1):
                k = up[i]
                left = pick(prev)
                right = np.clip(left * rng.uniform(0.92, 1.08, nr), r0 * 1.5, None)
                radii[k, :, 0], radii[k, :, 1] = left, right
                prev = right
                km = n - 2 - k  # the mirrored sector (arm n-2-k -> arm n-1-k)
                radii[km, :, 0], radii[km, :, 1] = right, left
            sp = pick(prev)
            radii[n - 1, :, 0] = radii[n - 1, :, 1] = sp  # straddles angle pi
        else:
            prev = None
            first = None
            for k in range(n):
                left = pick(prev)
                if k == n - 1 and first is not None:
                    for _ in range(20):
                        right = left * rng.uniform(0.9, 1.1, nr)
                        if np.all(np.abs(right - first) > delta):
                            break
                else:
                    right = left * rng.uniform(0.9, 1.1, nr)
                radii[k, :, 0], radii[k, :, 1] = left, right
                first = left if first is None else first
                prev = right
    radii = np.minimum(radii, 0.95 * np.stack([reach, np.roll(reach, -1)], 1)[:, None, :])

    chords = []
    chord_pts = {}
    ts = np.linspace(0, 1, 7)
    for k in range(n):
        k2 = (k + 1) % n
        span = (angles[k2] - angles[k]) % C.TAU
        for j in range(nr):
            rl, rr_ = radii[k, j]
            if rl >= reach[k] * 0.95 or rr_ >= reach[k2] * 0.95:
                continue
            pl, pr = arm_pt(k, rl), arm_pt(k2, rr_)
            al, ar = math.atan2(pl[1], pl[0]), math.atan2(pr[1], pr[0])
            sp = (ar - al) % C.TAU
            if sp > math.pi * 1.2 and span < math.pi:
                sp = span
            angs = al + sp * ts
            rad = rl + (rr_ - rl) * ts
            pts = np.stack([rad * np.cos(angs), rad * np.sin(angs)], 1)
            if not plausible:  # run the ring a little past the arm so the crossing reads as an X
                ext = 0.12 * min(span, 0.6)
                pre = np.array([[rl * math.cos(al - ext), rl * math.sin(al - ext)]])
                post = np.array([[rr_ * math.cos(al + sp + ext), rr_ * math.sin(al + sp + ext)]])
                pts = np.vstack([pre, pts, post])
                chord_pts[(k, j)] = pts[1:-1]
            else:
                chord_pts[(k, j)] = pts
            chords.append(pts)

    # secondary cracks: from one concentric crack to the next, ending on both (T-junctions)
    seconds = []
    if plausible:
        choice = {}
        for k in range(n):
            for j in range(nr - 1):
                if sym.kind == "rot":
                    choice[(k, j)] = ((k % 2 == 0) and j == 0, 3)
                elif sym.kind == "mirror":
                    h = n // 2
                    if k in (h - 1, n - 1):  # self-mirrored sectors: a crack on the axis
                        choice[(k, j)] = (bool(rng.random() < 0.4), 3)
                    elif k >= h:
                        use, ti = bool(rng.random() < 0.6), int(rng.integers(2, 5))
                        choice[(k, j)] = (use, ti)
                        choice[(n - 2 - k, j)] = (use, 6 - ti)
                else:
                    choice[(k, j)] = (bool(rng.random() < 0.6), int(rng.integers(2, 5)))
        for (k, j), (use, ti) in sorted(choice.items()):
            if use and (k, j) in chord_pts and (k, j + 1) in chord_pts:
                p, q = chord_pts[(k, j)][ti], chord_pts[(k, j + 1)][ti]
                seconds.append(np.stack([p, 0.5 * (p + q), q]))
    else:
        # X-junctions: in the irregular case one or two straight cracks cut across the star
        if sym.kind == "none":
            for _ in range(int(rng.integers(1, 3))):
                ang = rng.uniform(0, math.pi)
                off = rng.uniform(-0.4, 0.4) * ref
                nv = np.array([math.cos(ang), math.sin(ang)])
                tv = np.array([-nv[1], nv[0]])
                L = 0.9 * ref
                seconds.append(np.stack([off * nv - L * tv, off * nv + L * tv]))

    # ---- crushed zone at the impact point
    kz = 10 if sym.kind == "none" else 2 * sym.n if sym.kind == "rot" else 12
    za = np.arange(kz) * C.TAU / kz + (math.pi / kz if sym.kind == "rot" else 0.0)
    if sym.kind == "none":
        zr = r0 * rng.uniform(0.75, 1.25, kz)
    elif sym.kind == "rot":
        zr = r0 * np.where(np.arange(kz) % 2 == 0, 1.0, 0.7)
    else:
        zr = r0 * rng.uniform(0.75, 1.25, kz)
        zr = 0.5 * (zr + zr[(-np.arange(kz)) % kz])
    zone = fr.img(np.stack([zr * np.cos(za), zr * np.sin(za)], 1))

    dark = ctx.layer(ctx.tint(pal["crack_dark"], 0.03))
    bright = ctx.layer(ctx.tint(pal["crack"], 0.02))
    dark.poly(zone, 0.55)
    main = [fr.img(x) for x in arms] + [fr.img(x) for x in chords]
    sec = [fr.img(x) for x in seconds]
    dark.lines(main, t + 1, 0.5)
    dark.lines(sec, t + 1, 0.4)
    tips = []
    body_arms = []
    for k, x in enumerate(arms):
        if reach[k] < e_k[k] * 0.98:  # taper the last third of an open crack
            cut = int(M * 0.7)
            body_arms.append(fr.img(x[: cut + 1]))
            tips.append(fr.img(x[cut:]))
        else:
            body_arms.append(fr.img(x))
    bright.lines(body_arms + [fr.img(x) for x in chords], t, 0.95)
    bright.lines(sec, t, 0.85)
    bright.lines(tips, 1, 0.6)
    bright.poly(fr.img(np.stack([0.55 * zr * np.cos(za), 0.55 * zr * np.sin(za)], 1)), 0.8)

    # ---- shards: in flight downrange with streaks, or at rest
    n_total = int(rng.integers(26, 42))
    psym = C.Sym("rot", sym.n) if (sym.kind == "rot" and ctx.mode == "isotropic") else \
        C.Sym("mirror") if sym.kind != "none" else C.Sym("none")
    n_c = max(1, int(round(n_total / psym.copies)))
    areas = ctx.areas(n_c)
    r_in = 0.55 * min(a, b)
    canon = C.place(rng, fr, psym, ctx.mode, areas, pal["kind"], r_in, 0.62 * ctx.S, gap=1.0 * ctx.px + 1,
                    spread=ctx.spread)
    pieces = C.replicate(canon, psym)
    piece_col = ctx.tint(pal["piece"])
    cols = [piece_col * shade for shade in rng.choice([0.86, 0.95, 1.04, 1.12], len(canon))]
    rec = ctx.debris(pieces, cols, pal["piece_alpha"], pal["piece"], edge_colour=pal["crack"], edge_alpha=0.75)

    # glints / splinters: spray in flight, or grit at rest
    dpts = ctx.spray(psym, pal["crack"], 0.02, (40, 80), r_in * 0.8, 0.8)

    img_ang = [math.degrees(math.atan2(*fr.dir_img([math.cos(x), math.sin(x)])[0][::-1])) for x in angles]
    return {
        "fold": sym.n if sym.kind == "rot" else None,
        "n_arms": int(n),
        "arm_angles_deg": [float(x) for x in img_ang],
        "arm_lengths_px": [float(x) for x in reach],
        "open_tips": open_tips,
        "rings": int(nr),
        "junctions": "T" if plausible else "X",
        "n_secondary": len(seconds),
        "n_unplaced": int(len(areas) - len(canon)),
        **_pieces_record(rec, moving, len(dpts)),
    }


def _pieces_record(rec, moving, n_spray):
    return {
        "n_fragments": len(rec),
        "fragment_areas": [round(float(a), 4) for _, _, a in rec],
        "fragment_centres": [[round(float(p[0]), 2), round(float(p[1]), 2)] for p, _, _ in rec],
        "fragment_directions": [[round(float(u[0]), 4), round(float(u[1]), 4)] for _, u, _ in rec],
        "in_flight": bool(moving),
        "n_spray": int(n_spray),
    }

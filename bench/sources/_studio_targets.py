"""Targets of the ``studio`` source: the object that is hit, the impactor, and the
event structure each family makes, as 3-D elements (see _studio_event).

Builders generate only the *originals* of the structure: when the label is
symmetric they put every element on one side of the mirror plane and the caller
adds the mirror twins (Event.mirror_all); the element counts, total areas and
speeds have the same distribution in every label combination.
"""

from __future__ import annotations

import math

import numpy as np

from bench.sources._studio_core import (UP, box_faces, draw_ellipsoid, draw_faces, draw_lathe, draw_sphere, draw_tube,
                                        material, unit)
from bench.sources._studio_cracks import (CylSurf, PlaneSurf, ShellSurf, crack_pattern, hole_polygon, to_3d)
from bench.sources._studio_event import (Drops, Event, Pieces, draw_areas, ejecta_directions, lying_rotations,
                                        random_rotations, shard_shapes)

SCENE_TARGETS = {
    "fracture/window-pane-ball": "pane",
    "fracture/bottle-bullet": "bottle",
    "fracture/ceramic-plate-drop": "plate",
    "fracture/wine-glass-drop": "wineglass",
    "fracture/ice-sheet-stone": "icesheet",
    "impact/crash-test-wall": "barrier",
    "impact/egg-drop-floor": "egg",
    "impact/hammer-ice-block": "iceblock",
    "impact/meteorite-sand": "sand",
    "impact/pumpkin-drop": "pumpkin",
    "fluid/milk-drop-crown": "pool",
    "fluid/rock-into-pond": "pool",
    "fluid/skipping-stone": "pool",
    "fluid/water-balloon-pin": "balloon",
    "fluid/wave-hits-seawall": "seawall",
}

FALLBACK = {
    ("fracture", "ground"): ("plate", "icesheet", "wineglass"),
    ("fracture", "through"): ("pane", "bottle"),
    ("impact", "ground"): ("sand", "egg", "pumpkin", "iceblock"),
    ("impact", "through"): ("barrier",),
    ("fluid", "ground"): ("pool",),
    ("fluid", "through"): ("balloon", "seawall"),
}


def target_for(scene, nz):
    if scene.id in SCENE_TARGETS:
        return SCENE_TARGETS[scene.id]
    dy = scene.physics.impact_direction[1]
    mode = "ground" if dy > 0.3 else "through"
    opts = FALLBACK[(scene.family, mode)]
    return str(opts[int(nz.integers(0, len(opts)))])


def glass_mat(tint, alpha=0.16, edge=0.7):
    m = material(np.asarray(tint) * 0.18, ks=2.6, shin=140, alpha=alpha, F0=0.05, refl=1.5)
    m["edge"] = edge
    return m


GLASS_TINTS = [(0.85, 0.9, 0.88), (0.35, 0.6, 0.3), (0.55, 0.35, 0.15), (0.5, 0.7, 0.85), (0.9, 0.92, 0.95)]
PAINTS = [(0.75, 0.75, 0.78), (0.7, 0.08, 0.06), (0.9, 0.9, 0.88), (0.1, 0.2, 0.5), (0.12, 0.12, 0.13), (0.85, 0.6, 0.1)]


def appearance(kind, scene, nz):
    """Nuisance appearance of the target (colours, sizes, poses): label-free draws."""
    ap = {"kind": kind}
    u = lambda a, b: float(nz.uniform(a, b))
    if kind == "pane":
        ap.update(W=u(1.3, 2.0), H=u(1.0, 1.5), fx=u(-0.12, 0.12), fy=u(-0.1, 0.1), bar=u(0.05, 0.09),
                  frame=[(0.92, 0.92, 0.9), (0.45, 0.28, 0.14), (0.12, 0.12, 0.13), (0.25, 0.35, 0.3)][int(nz.integers(0, 4))],
                  tint=GLASS_TINTS[int(nz.choice([0, 0, 3, 4]))], beta=u(25, 45), refl_pos=u(-0.6, 0.6))
    elif kind == "bottle":
        ap.update(r=u(0.12, 0.17), Hb=u(0.45, 0.65), post=u(0.12, 0.45), tint=GLASS_TINTS[int(nz.choice([1, 1, 2, 3, 0]))],
                  fy=u(0.3, 0.5), beta=u(-8, 8), post_col=[(0.45, 0.3, 0.16), (0.3, 0.3, 0.3), (0.55, 0.45, 0.3)][int(nz.integers(0, 3))])
    elif kind == "plate":
        ap.update(r=u(0.28, 0.38), lean=u(25, 50), band=[None, (0.15, 0.25, 0.6), (0.75, 0.6, 0.2), (0.6, 0.1, 0.1)][int(nz.integers(0, 4))],
                  glaze=(u(0.86, 0.95), u(0.86, 0.94), u(0.82, 0.92)), rest_off=u(-0.1, 0.1))
    elif kind == "wineglass":
        ap.update(r=u(0.11, 0.15), stem=u(0.12, 0.2), foot=u(0.08, 0.11), lean=u(8, 22), tint=GLASS_TINTS[int(nz.choice([0, 4, 4]))],
                  stem_yaw=u(0, 2 * math.pi))
    elif kind == "icesheet":
        ap.update(hole=u(0.05, 0.08), stone=u(0.07, 0.1), stone_col=u(0.25, 0.45))
    elif kind == "sand":
        ap.update(crater=u(0.13, 0.2), rock=u(0.05, 0.08), sand=(u(0.72, 0.85), u(0.55, 0.66), u(0.36, 0.45)))
    elif kind == "egg":
        ap.update(a=u(0.11, 0.13), b=u(0.14, 0.17), shell=[(0.78, 0.5, 0.3), (0.92, 0.88, 0.78), (0.7, 0.45, 0.28)][int(nz.integers(0, 3))])
    elif kind == "pumpkin":
        ap.update(a=u(0.26, 0.33), b=u(0.2, 0.26), ribs=int(nz.integers(8, 13)), rind=(u(0.85, 0.95), u(0.38, 0.5), u(0.04, 0.1)))
    elif kind == "iceblock":
        ap.update(wx=u(0.25, 0.34), hy=u(0.18, 0.26), wz=u(0.2, 0.3), handle=u(0.5, 0.8), tilt=u(-0.3, 0.3))
    elif kind == "barrier":
        ap.update(paint=PAINTS[int(nz.integers(0, len(PAINTS)))], len=u(1.1, 1.5), hgt=u(0.3, 0.38), beta=u(0, 12),
                  barrier_col=(u(0.55, 0.7),) * 3)
    elif kind == "pool":
        name = scene.id.split("/")[-1]
        if name.startswith("milk"):
            liq = "milk"
        elif name in ("rock-into-pond", "skipping-stone"):
            liq = "water"
        else:
            liq = "milk" if nz.random() < 0.4 else "water"
        cols = {"milk": [(0.93, 0.92, 0.9), (0.9, 0.8, 0.62), (0.95, 0.7, 0.72)],
                "water": [(0.05, 0.08, 0.08), (0.04, 0.07, 0.1), (0.06, 0.09, 0.05)]}
        ap.update(liquid=liq, colour=cols[liq][int(nz.integers(0, 3))], drop=u(0.05, 0.08),
                  stone=name in ("rock-into-pond", "skipping-stone"), stone_col=u(0.25, 0.5))
    elif kind == "balloon":
        ap.update(r=u(0.22, 0.3), rubber=[(0.8, 0.08, 0.08), (0.1, 0.3, 0.8), (0.15, 0.6, 0.2), (0.9, 0.7, 0.1)][int(nz.integers(0, 4))])
    elif kind == "seawall":
        ap.update(wall_col=(u(0.45, 0.6),) * 3, sea=(u(0.03, 0.06), u(0.07, 0.11), u(0.08, 0.12)), H=u(0.4, 0.6), beta=u(25, 45))
    return ap


# ------------------------------------------------------------------ shared helpers
class Build:
    def __init__(self):
        self.event = Event()
        self.objects = []        # callables draw(cv, cam, L, tags)
        self.obj_depth = None    # camera z separating pieces drawn behind / in front of the object
        self.impactor = []       # callables draw(cv, cam, L, dt, tags) with "depth"
        self.truth = {}
        self.support = None      # override of the support surface ("water", "ice", "sand", ...)
        self.ripple = None       # ripple function of the support (liquids)
        self.ripple_mask = None


def pairs_count(ctx, lo, hi):
    """Total count 2h drawn the same way for every label; originals: h if symmetric."""
    h = int(ctx.ev.integers(lo, hi + 1))
    return (h if ctx.sym else 2 * h), 2 * h


def one_side(ctx, c, v=None):
    if not ctx.sym:
        return c, v
    s = (c - ctx.M.C) @ ctx.M.n
    neg = s < 0
    c = c.copy()
    c[neg] = ctx.M.point(c[neg])
    if v is not None:
        v = v.copy()
        v[neg] = ctx.M.vector(v[neg])
    return c, v


def sizes(ctx, n_orig, n_total, total):
    A, tau, rng_ = draw_areas(ctx.ev, n_orig, total * n_orig / n_total, ctx.plaus, ctx.tau_range)
    return A, tau, rng_


def motion(ctx, n, start, spread, speed=(0.35, 1.0), areas=None, ground_y=0.0, rest_centre=None, rest_r0=0.05,
           rest_spread=0.8, half=None):
    """Centres, velocities and airborne flags of n ejecta at the photographed instant
    (transitional: ballistic flight from the impact; end: at rest where they landed)."""
    ev = ctx.ev
    dirs = ejecta_directions(ev, n, ctx.fr, ctx.plaus, ctx.imp_mode)
    sp = ev.uniform(*speed, n)
    if areas is not None:
        sp = sp * np.clip((areas / areas.mean()) ** -0.08, 0.7, 1.4)
    half = np.zeros(n) if half is None else half
    if ctx.phase == "transitional":
        tau = ev.uniform(0.55, 1.0, n)
        p0 = start + ev.normal(0, spread, (n, 3))
        c = p0 + dirs * (sp * tau)[:, None] - 0.5 * ctx.g * (tau ** 2)[:, None] * UP
        v = dirs * sp[:, None] - ctx.g * tau[:, None] * UP
        air = np.ones(n, bool)
        low = c[:, 1] < ground_y + half
        c[low, 1] = ground_y + half[low]
        v[low, 1] = 0.0
        air[low] = False
    else:
        hd = dirs.copy()
        hd[:, 1] = 0
        hn = np.linalg.norm(hd, axis=1)
        az = ev.uniform(0, 2 * math.pi, n)
        small = hn < 0.3
        hd[small] = np.stack([np.cos(az), np.zeros(n), np.sin(az)], -1)[small]
        hd = unit(hd)
        centre = start if rest_centre is None else rest_centre
        dist = rest_r0 + rest_spread * sp * ev.uniform(0.45, 1.25, n)
        c = centre + hd * dist[:, None]
        c[:, 1] = ground_y + half
        v = np.zeros((n, 3))
        air = np.zeros(n, bool)
    c, v = one_side(ctx, c, v)
    return c, v, air


def make_pieces(ctx, areas, mat, albedo, *, start, spread=0.03, aspect=(1.4, 3.5), thick=0.06, ground_y=0.0,
                rest_centre=None, rest_r0=0.05, rest_spread=0.8, speed=(0.35, 1.0), tilt=8.0):
    ev = ctx.ev
    n = len(areas)
    loc = shard_shapes(ev, areas, aspect)
    th = thick * np.sqrt(areas)
    c, v, air = motion(ctx, n, start, spread, speed, areas, ground_y, rest_centre, rest_r0, rest_spread, th / 2)
    if ctx.phase == "transitional":
        R = random_rotations(ev, n)
        w = ev.normal(0, 5.0, (n, 3))
    else:
        R = lying_rotations(ev, n, tilt)
        w = np.zeros((n, 3))
    alb = np.asarray(albedo, float)
    if alb.ndim == 1:
        alb = alb[None] * ev.uniform(0.85, 1.12, (n, 1))
    return Pieces().set(loc, th, R, c, v, w, ctx.g, alb, mat, air)


def make_drops(ctx, radii, mat, albedo, *, start, spread=0.03, ground_y=0.0, rest_centre=None, rest_r0=0.05,
               rest_spread=0.8, speed=(0.35, 1.0)):
    ev = ctx.ev
    n = len(radii)
    c, v, air = motion(ctx, n, start, spread, speed, radii ** 2, ground_y, rest_centre, rest_r0, rest_spread,
                       np.asarray(radii) * (1.0 if ctx.phase == "transitional" else 0.6))
    alb = np.asarray(albedo, float)
    if alb.ndim == 1:
        alb = np.tile(alb, (n, 1))
    return Drops().set(c, v, radii, alb, mat, air)


def shadow_pieces(ctx, b: Build):
    """Cast shadows / contact shadows of the pieces and drops at the photographed instant."""
    sh = ctx.shadows
    ev = b.event
    if ev.pieces.n:
        V, N, C = ev.pieces.at(0.0)
        for i in range(ev.pieces.n):
            if ev.pieces.airborne[i]:
                sh.cast(V[i], 0.8)
            else:
                sh.cast(V[i], 0.9)
                ext = np.ptp(V[i], axis=0)
                sh.contact(C[i], ext[0] * 0.55 + 0.004, ext[2] * 0.55 + 0.004, 0.55)
    for D in (ev.drops,):
        if D.n:
            for i in range(D.n):
                c, r = D.c[i], D.r[i]
                pts = c + np.array([[r, 0, 0], [-r, 0, 0], [0, r, 0], [0, -r, 0], [0, 0, r], [0, 0, -r]])
                if D.airborne[i]:
                    sh.cast(pts, 0.5 if D.mat["alpha"] < 1 else 0.8)
                else:
                    sh.contact(c, r * 1.1, r * 1.1, 0.45)


def crack_lines(ev_obj, P3, dark, bright, width=0.8, alpha=0.85):
    """Add a crack polyline twice: a darker wider core and a bright thin edge."""
    for P in P3:
        ev_obj.lines.append({"pts": P, "col": np.asarray(dark, float), "alpha": alpha * 0.75, "width": width * 1.4, "tag": "structure"})
        ev_obj.lines.append({"pts": P, "col": np.asarray(bright, float), "alpha": alpha, "width": width * 0.6, "tag": "structure"})


def surface_frame(ctx, n_s, into=None):
    """Orthonormal (es, et) on a surface with normal n_s: es in the mirror plane (pointing
    along ``into`` if given), et across it (t -> -t is the mirror)."""
    mn = ctx.M.n if ctx.M is not None else ctx.cam.r
    et = mn - (mn @ n_s) * n_s
    if np.linalg.norm(et) < 1e-6:
        et = unit(np.cross(n_s, UP))
    et = unit(et)
    es = unit(np.cross(et, n_s))
    if into is not None and es @ into < 0:
        es = -es
        et = -et
    return es, et


def cracks_on(ctx, b, surf, *, allowed, hole_r, arms, dark, bright, width, scale, cull=False):
    lines, info = crack_pattern(ctx.ev, surf, sym=ctx.sym, plausible=ctx.plaus, phase=ctx.phase, allowed=allowed,
                                hole_r=hole_r, arms=arms, scale=scale)
    P3 = to_3d(surf, lines, ctx.cam, cull)
    crack_lines(b.event, P3, dark, bright, width)
    return info


def sym_closed(ctx, P):
    """With the symmetric label, replace a closed polygon by its half on the positive
    side of the mirror plane plus that half's mirror image (exactly symmetric)."""
    if not ctx.sym:
        return P
    P = np.asarray(P, float)
    sd = (P - ctx.M.C) @ ctx.M.n
    pos = sd >= 0
    if pos.all() or not pos.any():
        return P
    k = int(np.argmax(pos & ~np.roll(pos, 1)))  # first positive after a negative
    Pr = np.roll(P, -k, axis=0)
    sr = np.roll(sd, -k)
    m = int(np.argmin(sr >= 0)) if not (sr >= 0).all() else len(sr)
    half = Pr[:m]
    # exact crossings with the plane at both ends
    a0, b0 = Pr[-1], Pr[0]
    a1, b1 = Pr[m - 1], Pr[m % len(Pr)]
    c0 = a0 + (b0 - a0) * (0 - ((a0 - ctx.M.C) @ ctx.M.n)) / (((b0 - a0) @ ctx.M.n) or 1e-9)
    c1 = a1 + (b1 - a1) * (0 - ((a1 - ctx.M.C) @ ctx.M.n)) / (((b1 - a1) @ ctx.M.n) or 1e-9)
    half = np.vstack([c0, half, c1])
    return np.vstack([half, ctx.M.point(half[::-1])[1:-1]])


def full_hole(ctx, surf, r, n=14):
    half = hole_polygon(ctx.ev, r, ctx.sym, n)
    P = surf.pt(half[:, 0], half[:, 1])
    if ctx.sym:
        P = np.concatenate([P, ctx.M.point(P[::-1])[1:-1]])
    return P


def impactor_sphere(b, cam_depth_pos, r, vel, mat, tags="impactor"):
    pos = np.asarray(cam_depth_pos, float)
    vel = np.asarray(vel, float)

    def draw(cv, cam, L, dt, with_masks, sub=0.0):
        p = pos + vel * dt
        uv, z = cam.proj(p)
        tg = {tags: 1.0} if with_masks else None
        if sub > 0 and np.any(vel != 0):
            ua, _ = cam.proj(p - vel * sub / 2)
            ub, _ = cam.proj(p + vel * sub / 2)
            draw_tube(cv, ua, ub, r * cam.f / z, r * cam.f / z, mat, L, tg)
        else:
            draw_sphere(cv, uv, r * cam.f / z, mat, L, tg)

    draw.pos = pos
    draw.moving = bool(np.any(vel != 0))
    b.impactor.append(draw)


def impactor_ellipsoid(b, pos, axes, vel, mat, modulate=None):
    pos = np.asarray(pos, float)
    vel = np.asarray(vel, float)

    def draw(cv, cam, L, dt, with_masks, sub=0.0):
        draw_ellipsoid(cv, cam, pos + vel * dt, axes, mat, L, {"impactor": 1.0} if with_masks else None, modulate)

    draw.pos = pos
    draw.moving = bool(np.any(vel != 0))
    b.impactor.append(draw)


def rock_modulate(base, seed_vals):
    a1, a2, a3 = seed_vals

    def mod(q, n):
        v = (np.sin(q[..., 0] * 7 + a1) * np.sin(q[..., 1] * 6 + a2) * np.sin(q[..., 2] * 8 + a3))
        alb = np.asarray(base, np.float32) * (0.85 + 0.25 * v[..., None])
        n2 = n + 0.25 * np.stack([np.sin(q[..., 1] * 9 + a1), np.sin(q[..., 2] * 9 + a2), np.sin(q[..., 0] * 9 + a3)], -1)
        n2 /= np.linalg.norm(n2, axis=-1, keepdims=True)
        return alb, n2.astype(np.float32)
    return mod


def lathe_obj(p_bot, p_top, prof_t, prof_r_world, mat, tag="object", albedo_fn=None):
    p_bot = np.asarray(p_bot, float)
    p_top = np.asarray(p_top, float)

    def draw(cv, cam, L, with_masks):
        u0, z0 = cam.proj(p_bot)
        u1, z1 = cam.proj(p_top)
        k = cam.f / (0.5 * (z0 + z1))
        draw_lathe(cv, u0, u1, prof_t, np.asarray(prof_r_world) * k, mat, L, {tag: 1.0} if with_masks else None, albedo_fn)
    return draw


def box_obj(centre, axes, mat, tag="object", albedos=None, edge=None):
    def draw(cv, cam, L, with_masks):
        faces, nrm = box_faces(centre, axes)
        draw_faces(cv, cam, faces, nrm, mat, L, {tag: 1.0} if with_masks else None, albedos, edge)
    return draw


def faces_obj(faces, normals, mat, tag="object", alpha_mul=1.0):
    def draw(cv, cam, L, with_masks):
        from bench.sources._studio_core import shade
        for f, n in zip(faces, normals):
            uv, z = cam.proj(f)
            nc = cam.vec(n)
            if nc[2] > 0:
                nc = -nc
            c, a = shade(nc[None], mat, L)
            cv.poly(uv, c[0], float(a[0]) * alpha_mul, {tag: 1.0} if with_masks else None)
    return draw


def disc_pts(c, e1, e2, r, n=40, r_fn=None):
    th = np.linspace(0, 2 * math.pi, n, endpoint=False)
    rr = r if r_fn is None else r * r_fn(th)
    rr = np.broadcast_to(rr, th.shape)
    return np.asarray(c) + (rr * np.cos(th))[:, None] * e1 + (rr * np.sin(th))[:, None] * e2


# ------------------------------------------------------------------ FRACTURE
def build_pane(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    W, H, bar = ap["W"], ap["H"], ap["bar"]
    n_p = np.array([0.0, 0.0, 1.0])  # facing the camera
    xr = np.array([1.0, 0, 0])
    cx0 = P0[0] - ap["fx"] * W
    cy0 = P0[1] - ap["fy"] * H
    x0, x1 = cx0 - W / 2, cx0 + W / 2
    y0, y1 = cy0 - H / 2, cy0 + H / 2
    inside_pane = lambda P: (P[..., 0] > x0) & (P[..., 0] < x1) & (P[..., 1] > y0) & (P[..., 1] < y1)
    es, et = surface_frame(ctx, n_p, into=None)
    surf = PlaneSurf(P0, es, et, lambda s, t: inside_pane(P0 + np.asarray(s)[..., None] * es + np.asarray(t)[..., None] * et), 3.0)
    tint = np.asarray(ap["tint"])
    gm = glass_mat(tint)
    hole = None
    if ctx.phase != "pre":
        hr = float(ev.uniform(0.05, 0.09))
        hole = full_hole(ctx, surf, hr)
        info = cracks_on(ctx, b, surf, allowed=(-math.pi, math.pi), hole_r=hr * 0.9, arms=(4, 8),
                         dark=tint * 0.15, bright=(1.6, 1.6, 1.6), width=0.9, scale=1.0)
        b.truth["cracks"] = info
        b.event.lines.append({"pts": np.vstack([hole, hole[:1]]), "col": np.array([1.8, 1.8, 1.8]), "alpha": 0.9,
                              "width": 0.8, "tag": "structure", "self_sym": True})
        n_o, n_t = pairs_count(ctx, 20, 40)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.12, 0.2)))
        b.event.pieces = make_pieces(ctx, A, glass_mat(tint, 0.22), tint * 0.12 + 0.01, start=P0 + ctx.d3 * 0.02, spread=0.02,
                                     aspect=(1.5, 4.0), thick=0.05, rest_centre=np.array([P0[0], 0, P0[2]]) + 0.25 * unit(ctx.d3 * [1, 0, 1]),
                                     rest_r0=0.08, rest_spread=0.7)
        b.truth.update(tau=tau, law_range=rng_, areas=A)
    corners = np.array([[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0]])

    def draw_glass(cv, cam, L, with_masks):
        from bench.sources._studio_core import shade
        uv, z = cam.proj(corners)
        holes = [cam.proj(hole)[0]] if hole is not None else []
        c, a = shade(cam.vec(n_p)[None], gm, L)
        cv.poly(uv, c[0] * 0.6 + 0.02, 0.1, {"object": 1.0} if with_masks else None, holes)
        # a soft diagonal reflection band across the glass
        t0 = ap["refl_pos"]
        band = np.array([[x0 + (0.2 + t0) * W, y1, 0], [x0 + (0.42 + t0) * W, y1, 0], [x0 + (0.12 + t0) * W, y0, 0], [x0 + (-0.1 + t0) * W, y0, 0]])
        band[:, 0] = np.clip(band[:, 0], x0, x1)
        bu, _ = cam.proj(band)
        env = L.env_col * 0.5 + L.key_col * 0.15
        cv.poly(bu, env, 0.12, None, holes)
    b.objects.append(draw_glass)
    fr = np.asarray(ap["frame"])
    fm = material(fr, ks=0.3, shin=30)
    depth = 0.07
    for cen, ax in [(((x0 + x1) / 2, y1 + bar / 2, 0), (W / 2 + bar, bar / 2, depth)),
                    (((x0 + x1) / 2, y0 - bar / 2, 0), (W / 2 + bar, bar / 2, depth)),
                    ((x0 - bar / 2, (y0 + y1) / 2, 0), (bar / 2, H / 2, depth)),
                    ((x1 + bar / 2, (y0 + y1) / 2, 0), (bar / 2, H / 2, depth))]:
        b.objects.append(box_obj(np.array(cen), np.diag(ax), fm))
    # the frame stands on two feet on the support
    base_y = y0 - bar
    if base_y > 0.005:
        for xx in (x0 + 0.15 * W, x1 - 0.15 * W):
            b.objects.append(box_obj(np.array([xx, base_y / 2, 0]), np.diag([bar / 2, base_y / 2, bar * 0.6]), fm))
    for xx in (x0 - bar, x1 + bar):
        b.objects.append(box_obj(np.array([xx, 0.012, 0]), np.diag([0.05, 0.012, 0.22]), fm))
    ctx.shadows.cast(np.array([[x0 - bar, 0, 0], [x1 + bar, 0, 0], [x0 - bar, y1 + bar, 0], [x1 + bar, y1 + bar, 0],
                               [x0 - bar, 0, 0.05], [x1 + bar, y1 + bar, 0.05]]), 0.35)
    ctx.shadows.contact(np.array([(x0 + x1) / 2, 0, 0]), W / 2 + bar, 0.08, 0.5)
    b.obj_depth = float(cam.cam(P0)[2])
    # the ball
    r = 0.075
    ballm = material((0.92, 0.9, 0.84), ks=0.25, shin=20)
    if ctx.phase == "pre":
        p = P0 - ctx.d3 * float(ev.uniform(0.35, 0.8))
        impactor_sphere(b, p, r, ctx.d3 * 1.5, ballm)
    elif ctx.phase == "transitional":
        p = P0 + ctx.d3 * float(ev.uniform(0.25, 0.6))
        impactor_sphere(b, p, r, ctx.d3 * 2.0, ballm)
    else:
        p = np.array([P0[0], r, P0[2]]) + unit(ctx.d3 * [1, 0, 1]) * float(ev.uniform(0.6, 1.0))
        impactor_sphere(b, p, r, np.zeros(3), ballm)
        ctx.shadows.contact(p, r, r, 0.8)
    b.truth["target"] = "window pane in a frame"
    return b


def build_bottle(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    rb, Hb, post = ap["r"], ap["Hb"], ap["post"]
    base = np.array([P0[0], post, P0[2]])
    Htot = Hb * 1.55
    tint = np.asarray(ap["tint"])
    gm = glass_mat(tint, alpha=0.35)
    prof_t = [0, 0.02, Hb / Htot, (Hb + 0.12 * Htot) / Htot, 0.86, 0.97, 1.0]
    prof_r = np.array([0.92, 1.0, 1.0, 0.42, 0.3, 0.3, 0.36]) * rb
    d3h = unit(ctx.d3 * [1, 0, 1])
    postc = np.asarray(ap["post_col"])
    pm = material(postc, ks=0.15, shin=15)
    b.objects.append(box_obj(np.array([P0[0], post / 2, P0[2]]), np.diag([rb * 1.5, post / 2, rb * 1.5]), pm))
    ctx.shadows.cast(np.array([[P0[0] - rb * 1.5, post, P0[2] - rb * 1.5], [P0[0] + rb * 1.5, post, P0[2] + rb * 1.5],
                               [P0[0] - rb * 1.5, 0, P0[2]], [P0[0] + rb * 1.5, 0, P0[2]]]), 0.9)
    ctx.shadows.contact(np.array([P0[0], 0, P0[2]]), rb * 1.7, rb * 1.7, 0.6)
    if ctx.phase == "end":
        hs = Hb * float(ev.uniform(0.18, 0.3))
        b.objects.append(lathe_obj(base, base + UP * hs, [0, 0.05, 1], np.array([0.92, 1.0, 1.0]) * rb, gm))
        # jagged teeth on the broken rim (structure), camera-side half when symmetric
        nt = 2 * int(ev.integers(6, 10))
        phis = np.linspace(0, 2 * math.pi, nt + 1)
        hts = ev.uniform(0.02, 0.12, nt)
        phc = math.atan2(cam.C[2] - P0[2], cam.C[0] - P0[0])
        for i in range(nt):
            a0, a1 = phis[i] + phc, phis[i + 1] + phc
            if ctx.sym and i >= nt // 2:
                break
            am = 0.5 * (a0 + a1)
            p = lambda a, y: base + np.array([rb * math.cos(a), y, rb * math.sin(a)])
            tri = np.array([p(a0, hs), p(a1, hs), p(am + ev.uniform(-0.1, 0.1) * (0 if ctx.sym and not ctx.plaus else 1), hs + hts[i])])
            nrm = unit(np.array([math.cos(am), 0, math.sin(am)]))
            b.event.faces.append({"verts": tri, "normal": nrm, "mat": gm, "tag": "structure"})
        b.truth["remnant"] = "bottle base with jagged rim"
    else:
        albedo_fn = None
        b.objects.append(lathe_obj(base, base + UP * Htot, prof_t, prof_r, gm))
        # label
        lab = np.asarray(ap["post_col"]) * 0.3 + 0.55
        b.objects.append(lathe_obj(base + UP * Hb * 0.12, base + UP * Hb * 0.25, [0, 1], np.array([1.01, 1.01]) * rb,
                                   material(lab, ks=0.1, shin=10)))
        ctx.shadows.cast(np.array([base + [rb, 0, 0], base - [rb, 0, 0], base + UP * Htot + [0.03, 0, 0], base + UP * Htot - [0.03, 0, 0]]), 0.6)
    if ctx.phase == "transitional":
        phi_in = math.atan2(-d3h[2], -d3h[0])
        for phi0, hr in ((phi_in, 0.02), (phi_in + math.pi, float(ev.uniform(0.05, 0.08)))):
            surf = CylSurf(P0, rb, phi0, -(P0[1] - post) + 0.02, Hb - (P0[1] - post), rb * math.pi * 0.55)
            # s around the circumference (along the bullet line), t = height: t -> -t is the mirror
            info = cracks_on(ctx, b, surf, allowed=(-math.pi, math.pi), hole_r=hr, arms=(3, 6),
                             dark=tint * 0.1, bright=(1.5, 1.6, 1.5), width=0.8, scale=0.8)
            hole = full_hole(ctx, surf, hr, 12)
            b.event.faces.append({"verts": hole, "normal": surf.normal(0.0, 0.0), "mat": material((0.02, 0.03, 0.02), ks=0.5, shin=30),
                                  "tag": "structure", "self_sym": True})
            b.event.lines.append({"pts": np.vstack([hole, hole[:1]]), "col": np.array([1.6, 1.7, 1.6]), "alpha": 0.8,
                                  "width": 0.7, "tag": "structure", "self_sym": True})
        b.truth["cracks"] = info
    if ctx.phase != "pre":
        n_o, n_t = pairs_count(ctx, 20, 40)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.1, 0.16)))
        start = P0 + d3h * rb if ctx.plaus else P0
        b.event.pieces = make_pieces(ctx, A, glass_mat(tint, 0.22), tint * 0.12 + 0.01, start=start, spread=0.02,
                                     aspect=(1.3, 3.2), thick=0.08, rest_centre=np.array([P0[0], 0, P0[2]]),
                                     rest_r0=rb * 1.6 + 0.05, rest_spread=0.7)
        b.truth.update(tau=tau, law_range=rng_, areas=A)
    b.obj_depth = float(cam.cam(P0)[2])
    # bullet: a small copper cylinder, very fast
    bm = material((0.75, 0.45, 0.2), ks=1.2, shin=60, refl=0.4, F0=0.5)
    if ctx.phase == "pre":
        p = P0 - ctx.d3 * float(ev.uniform(0.35, 0.8))
    elif ctx.phase == "transitional":
        p = P0 + ctx.d3 * float(ev.uniform(0.5, 0.9))
    else:
        p = None
    if p is not None:
        vel = ctx.d3 * 6.0

        def draw(cv, cam, L, dt, with_masks, p=p, vel=vel, sub=0.0):
            q = p + vel * dt
            u0, z0 = cam.proj(q - ctx.d3 * 0.035 - vel * sub / 2)
            u1, _ = cam.proj(q + ctx.d3 * 0.035 + vel * sub / 2)
            draw_tube(cv, u0, u1, 0.013 * cam.f / z0, 0.009 * cam.f / z0, bm, L, {"impactor": 1.0} if with_masks else None)
        draw.pos = p
        draw.moving = True
        b.impactor.append(draw)
    b.truth["target"] = "glass bottle on a post"
    return b


def build_plate(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    r = ap["r"]
    glaze = np.asarray(ap["glaze"])
    pm = material(glaze, ks=0.9, shin=90, refl=0.5, F0=0.06)
    th = 0.022
    toward = np.array([0.0, 0.0, 1.0])  # toward the camera, in the mirror plane V
    if ctx.phase in ("pre", "transitional"):
        lam = math.radians(ap["lean"])
        up_in = np.array([0.0, math.cos(lam), -math.sin(lam)])  # in-plate "up", leaning away
        n_pl = np.array([0.0, math.sin(lam), math.cos(lam)])
        lift = 0.0 if ctx.phase == "transitional" else float(ev.uniform(0.25, 0.5))
        O = P0 + UP * lift
        Q = O + up_in * r
    else:
        up_in = -toward  # lying flat, extending away from the camera from the contact point
        n_pl = UP.copy()
        O = P0 + UP * th + toward * ap["rest_off"]
        Q = O + up_in * r
    e1 = up_in
    e2 = np.cross(n_pl, e1)
    rim = disc_pts(Q, e1, e2, r, 48)
    band = ap["band"]

    def draw_plate(cv, cam, L, with_masks):
        from bench.sources._studio_core import shade
        tg = {"object": 1.0} if with_masks else None
        back = rim - n_pl * th
        # rim edge (thickness) then the face
        uv_b, _ = cam.proj(back)
        cb, ab = shade(cam.vec(-n_pl if cam.vec(n_pl)[2] > 0 else n_pl)[None], dict(pm, albedo=glaze * 0.8), L)
        cv.poly(uv_b, cb[0], 1.0, tg)
        uv, _ = cam.proj(rim)
        nc = cam.vec(n_pl)
        c, a = shade((nc if nc[2] < 0 else -nc)[None], pm, L)
        cv.poly(uv, c[0], 1.0, tg)
        # the well: a slightly different shade inside
        inner = disc_pts(Q, e1, e2, r * 0.62, 40)
        ui, _ = cam.proj(inner)
        c2, _ = shade((nc if nc[2] < 0 else -nc)[None] * 0.98 + np.array([[0.05, -0.05, 0]]), dict(pm, albedo=glaze * 0.95), L)
        cv.poly(ui, c2[0], 1.0, None)
        if band is not None:
            ring = [cam.proj(disc_pts(Q, e1, e2, r * 0.86, 48))[0]]
            ring[0] = np.vstack([ring[0], ring[0][:1]])
            cv.lines(ring, np.asarray(band) * 0.8, 0.9, max(0.6, 0.02 * cam.f / cam.cam(Q)[2]), None)
    b.objects.append(draw_plate)
    ctx.shadows.cast(np.vstack([rim, rim - n_pl * th]), 0.9)
    if ctx.phase == "end":
        ctx.shadows.contact(Q, r * 1.02, r * 1.02, 0.6)
    if ctx.phase != "pre":
        es, et = surface_frame(ctx, n_pl, into=up_in)
        surf = PlaneSurf(O, es, et, lambda s, t: np.linalg.norm(O + np.asarray(s)[..., None] * es + np.asarray(t)[..., None] * et - Q, axis=-1) < r * 0.985, 2 * r)
        off = n_pl * 0.002
        surf.O = O + off
        Q = Q + off
        info = cracks_on(ctx, b, surf, allowed=(-math.radians(70), math.radians(70)), hole_r=0.015, arms=(3, 6),
                         dark=(0.12, 0.1, 0.08), bright=glaze * 1.1, width=0.9, scale=0.9)
        surf.O = O
        b.truth["cracks"] = info
        n_o, n_t = pairs_count(ctx, 18, 38)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.1, 0.16)))
        chip = dict(pm)
        b.event.pieces = make_pieces(ctx, A, chip, glaze, start=P0 + UP * 0.02, spread=0.02, aspect=(1.3, 2.8), thick=0.18,
                                     rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=0.06, rest_spread=0.8)
        b.truth.update(tau=tau, law_range=rng_, areas=A)
    b.obj_depth = float(cam.cam(Q)[2])
    b.truth["target"] = "ceramic plate"
    return b


def build_wineglass(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    r = ap["r"]
    tint = np.asarray(ap["tint"])
    gm = glass_mat(tint, alpha=0.2)
    lam = math.radians(ap["lean"])
    ug = np.array([0.0, math.cos(lam), math.sin(lam)])  # upside down, foot leaning toward the camera
    low = unit(-UP + (UP @ ug) * ug)
    lift = float(ev.uniform(0.2, 0.45)) if ctx.phase == "pre" else 0.0
    Q0 = P0 + UP * lift - r * low
    depth_b = r * 1.1
    H = depth_b + ap["stem"] + 0.02
    prof_t = [0, depth_b * 0.5 / H, depth_b * 0.85 / H, depth_b / H, (depth_b + 0.01) / H, (H - 0.02) / H, (H - 0.01) / H, 1.0]
    prof_r = np.array([r, r * 0.97, r * 0.7, 0.12 * r, 0.06 * r, 0.06 * r, ap["foot"], ap["foot"]])
    if ctx.phase != "end":
        b.objects.append(lathe_obj(Q0, Q0 + ug * H, prof_t, prof_r, gm))
        ctx.shadows.cast(np.array([Q0 + [r, 0, 0], Q0 - [r, 0, 0], Q0 + ug * H + [ap["foot"], 0, 0], Q0 + ug * H - [ap["foot"], 0, 0]]), 0.4)
    else:
        # the stem and foot lie on the floor; the bowl is gone
        yaw = ap["stem_yaw"]
        d = np.array([math.cos(yaw), 0, math.sin(yaw)])
        s0 = P0 + UP * 0.015 + d * 0.05
        s1 = s0 + d * ap["stem"]

        def draw_stem(cv, cam, L, with_masks, s0=s0, s1=s1):
            u0, z0 = cam.proj(s0)
            u1, z1 = cam.proj(s1)
            draw_tube(cv, u0, u1, 0.012 * cam.f / z0, 0.012 * cam.f / z1, gm, L, {"object": 1.0} if with_masks else None)
            fq = s1 + UP * (ap["foot"] - 0.015)
            draw_lathe(cv, cam.proj(s1)[0], cam.proj(s1 + d * 0.008)[0], [0, 1], np.array([ap["foot"], ap["foot"]]) * cam.f / z1, gm, L,
                       {"object": 1.0} if with_masks else None)
        b.objects.append(draw_stem)
        ctx.shadows.contact(0.5 * (s0 + s1), ap["stem"] * 0.5, 0.02, 0.5, axis=d)
    if ctx.phase == "transitional":
        # cracks climb the bowl from the contact point
        Aax = np.eye(3) * r
        k1 = unit(ug - (ug @ low) * low)
        es, et = surface_frame(ctx, low, into=k1)
        surf = ShellSurf(Q0, Aax, low, es, et, 1.45, inside=lambda P: ((P - Q0) @ ug) > 0.005)
        info = cracks_on(ctx, b, surf, allowed=(-math.radians(75), math.radians(75)), hole_r=0.012, arms=(3, 6),
                         dark=tint * 0.15, bright=(1.6, 1.6, 1.6), width=0.8, scale=0.6)
        b.truth["cracks"] = info
    if ctx.phase != "pre":
        n_o, n_t = pairs_count(ctx, 20, 40)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.08, 0.13)))
        b.event.pieces = make_pieces(ctx, A, glass_mat(tint, 0.22), tint * 0.12 + 0.01, start=P0 + UP * 0.02, spread=0.02,
                                     aspect=(2.0, 4.5), thick=0.05, rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=0.06,
                                     rest_spread=0.8)
        b.truth.update(tau=tau, law_range=rng_, areas=A)
    b.obj_depth = float(cam.cam(Q0)[2])
    b.truth["target"] = "wine glass (upside down)"
    if ctx.phase == "pre":
        b.truth["falling"] = True
    return b


def build_icesheet(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    b.support = "ice"
    ice = material((0.78, 0.86, 0.92), ks=1.6, shin=90, alpha=0.55, F0=0.05, refl=1.0)
    ice["edge"] = 0.5
    stm = material((ap["stone_col"],) * 3, ks=0.15, shin=10)
    rs = ap["stone"]
    mod = rock_modulate((ap["stone_col"], ap["stone_col"] * 0.95, ap["stone_col"] * 0.9), (1.0, 2.0, 3.0))
    axes = np.diag([rs, rs * 0.8, rs * 0.9])
    if ctx.phase == "pre":
        pos = P0 + UP * float(ev.uniform(0.3, 0.7))
        impactor_ellipsoid(b, pos, axes, -UP * 3.0, stm, mod)
        ctx.shadows.cast(np.array([pos + [rs, 0, 0], pos - [rs, 0, 0], pos + [0, 0, rs], pos - [0, 0, rs]]), 0.7)
        b.truth["target"] = "thin pond ice"
        return b
    hr = ap["hole"]
    es, et = surface_frame(ctx, UP, into=np.array([0, 0, 1.0]))
    surf = PlaneSurf(P0 + UP * 0.001, es, et, lambda s, t: np.hypot(s, t) < 1.6, 1.6)
    hole = full_hole(ctx, surf, hr, 16)
    water = material((0.05, 0.08, 0.1), ks=1.5, shin=120, refl=0.3, F0=0.05)
    b.event.faces.append({"verts": hole, "normal": UP.copy(), "mat": water, "tag": "structure", "self_sym": True, "zbias": 10.0})
    b.event.lines.append({"pts": np.vstack([hole, hole[:1]]), "col": np.array([1.4, 1.5, 1.6]), "alpha": 0.9, "width": 1.0,
                          "tag": "structure", "self_sym": True})
    info = cracks_on(ctx, b, surf, allowed=(-math.pi, math.pi), hole_r=hr, arms=(4, 8), dark=(0.05, 0.07, 0.09),
                     bright=(1.3, 1.4, 1.5), width=1.0, scale=1.2)
    b.truth["cracks"] = info
    n_o, n_t = pairs_count(ctx, 18, 38)
    A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.12, 0.2)))
    b.event.pieces = make_pieces(ctx, A, ice, np.array([0.8, 0.88, 0.95]), start=P0 + UP * 0.02, spread=0.025,
                                 aspect=(1.2, 2.6), thick=0.12, rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=hr + 0.04,
                                 rest_spread=0.6)
    b.truth.update(tau=tau, law_range=rng_, areas=A)
    if ctx.phase == "transitional":
        # dark water splashing up through the hole (drops, not counted as pieces)
        k = int(ev.integers(5, 9))
        ko = k if not ctx.sym else max(2, k // 2)
        rr = np.full(ko, 0.012) * ev.uniform(0.8, 1.2, ko)
        d = ctx.ev.normal(0, 1, (ko, 3)) * [0.04, 0, 0.04] + UP * ev.uniform(0.05, 0.2, (ko, 1)) * 0
        c = P0 + np.column_stack([ev.normal(0, 0.03, ko), ev.uniform(0.02, 0.15, ko), ev.normal(0, 0.03, ko)])
        c, _ = one_side(ctx, c)
        b.event.drops = Drops().set(c, np.tile(UP * 0.3, (ko, 1)), rr, np.tile([0.05, 0.07, 0.08], (ko, 1)),
                                    material((0.05, 0.07, 0.08), ks=2.0, shin=150, alpha=0.6, refl=1.2), np.ones(ko, bool))
        impactor_ellipsoid(b, P0 - UP * rs * 0.3, axes, -UP * 0.5, stm, mod)
    b.truth["target"] = "thin pond ice"
    return b


# ------------------------------------------------------------------ IMPACT
def crater_faces(ctx, centre, R, depth, rim_h, sym, irregular, tang=None, nseg=36, mat=None):
    """A crater: inner wall quads sloping in, outer rim quads sloping out (ring of faces)."""
    ev = ctx.ev
    faces = []
    th = np.linspace(0, 2 * math.pi, nseg + 1)
    if irregular:
        k = ev.uniform(0, 6.28, 3)
        Rf = 1 + 0.12 * np.sin(2 * th + k[0]) + 0.08 * np.sin(3 * th + k[1]) + 0.05 * np.sin(5 * th + k[2])
        Hf = 1 + 0.35 * np.sin(th + k[1]) + 0.2 * np.sin(4 * th + k[2])
    else:
        Rf = np.ones_like(th)
        Hf = np.ones_like(th)
    if tang is not None and ctx.plaus:
        ta = math.atan2(tang[2], tang[0])
        Hf = Hf * (1 + 0.5 * np.cos(th - ta))
    ex, ez = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    pc = lambda a, rr, y: centre + rr * (math.cos(a) * ex + math.sin(a) * ez) + UP * y
    for i in range(nseg):
        a0, a1 = th[i], th[i + 1]
        am = 0.5 * (a0 + a1)
        if sym:
            # originals on one side of the mirror plane only (the twin is added later)
            mid = pc(am, R, 0)
            if (mid - ctx.M.C) @ ctx.M.n < 0:
                continue
        r0, r1 = R * Rf[i], R * Rf[i + 1]
        h0, h1 = rim_h * Hf[i], rim_h * Hf[i + 1]
        inner = np.array([pc(a0, r0 * 0.35, -depth), pc(a1, r1 * 0.35, -depth), pc(a1, r1, h1), pc(a0, r0, h0)])
        outer = np.array([pc(a0, r0, h0), pc(a1, r1, h1), pc(a1, r1 * 1.6, 0), pc(a0, r0 * 1.6, 0)])
        rd = np.array([math.cos(am), 0, math.sin(am)])
        n_in = unit(-rd * (depth + rim_h) + UP * R * 0.65)
        n_out = unit(rd * rim_h + UP * R * 0.6)
        faces.append({"verts": inner, "normal": n_in, "mat": mat, "tag": "structure", "two_sided": True, "zbias": 5.0})
        faces.append({"verts": outer, "normal": n_out, "mat": mat, "tag": "structure", "two_sided": True, "zbias": 5.0})
    floor = sym_closed(ctx, disc_pts(centre - UP * depth, ex, ez, R * 0.36, 24))
    faces.append({"verts": floor, "normal": UP.copy(), "mat": mat, "tag": "structure", "self_sym": True, "zbias": 6.0})
    return faces


def build_sand(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    b.support = "sand"
    sandc = np.asarray(ap["sand"])
    sm = material(sandc, ks=0.05, shin=8)
    rock = material((0.16, 0.14, 0.13), ks=0.3, shin=20)
    rr = ap["rock"]
    mod = rock_modulate((0.17, 0.15, 0.13), (2.0, 0.5, 1.0))
    axes = np.diag([rr, rr * 0.8, rr * 0.9])
    if ctx.phase == "pre":
        pos = P0 - ctx.d3 * float(ev.uniform(0.35, 0.8))
        impactor_ellipsoid(b, pos, axes, ctx.d3 * 4.0, rock, mod)
        ctx.shadows.cast(np.array([pos + [rr, 0, 0], pos - [rr, 0, 0], pos + [0, 0, rr], pos - [0, 0, rr]]), 0.8)
        b.truth["target"] = "flat sand"
        return b
    tang = ctx.fr.get("tang")
    R = ap["crater"] * (0.75 if ctx.phase == "transitional" else 1.0)
    b.event.faces += crater_faces(ctx, P0, R, 0.35 * R, 0.12 * R, ctx.sym, not ctx.sym, tang, 36, sm)
    n_o, n_t = pairs_count(ctx, 20, 40)
    A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.06, 0.1)))
    b.event.pieces = make_pieces(ctx, A, sm, sandc * 0.95, start=P0 + UP * 0.02, spread=0.03, aspect=(1.1, 1.8), thick=0.6,
                                 rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=R * 1.5, rest_spread=0.6,
                                 speed=(0.3, 0.9))
    b.truth.update(tau=tau, law_range=rng_, areas=A)
    # grains: fine ejecta curtain (not counted as pieces)
    ng_o, ng_t = pairs_count(ctx, 110, 160)
    gr = np.full(ng_o, 0.006) * ev.uniform(0.7, 1.3, ng_o)
    gd = make_drops(ctx, gr, sm, sandc * 0.9, start=P0 + UP * 0.01, spread=R * 0.3, rest_centre=np.array([P0[0], 0, P0[2]]),
                    rest_r0=R * 1.4, rest_spread=0.5, speed=(0.25, 1.0))
    b.event.grains = gd
    if ctx.phase == "transitional":
        b.event.haze = {"colour": sandc * 0.9, "strength": 0.5, "sigma": 0.05}
    pos = P0 + UP * rr * 0.2 - ctx.d3 * rr * 0.2
    impactor_ellipsoid(b, pos, axes, np.zeros(3), rock, mod)
    b.truth["target"] = "flat sand"
    return b


def shell_mod(base, speckle=0.0, ribs=0, rib_depth=0.0):
    base = np.asarray(base, np.float32)

    def mod(q, n):
        if ribs:
            az = np.arctan2(q[..., 2], q[..., 0])
            c = np.cos(ribs * az)
            alb = base * (0.82 + 0.18 * (0.5 + 0.5 * c))[..., None]
            tang = np.stack([-np.sin(az), np.zeros_like(az), np.cos(az)], -1)
            n2 = n + rib_depth * np.sin(ribs * az)[..., None] * tang.astype(np.float32)
            n2 /= np.linalg.norm(n2, axis=-1, keepdims=True)
            return alb, n2.astype(np.float32)
        v = np.sin(q[..., 0] * 37) * np.sin(q[..., 1] * 41) * np.sin(q[..., 2] * 43)
        alb = base * (1.0 + speckle * v)[..., None]
        return alb, n
    return mod


def build_egg(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    a, c = ap["a"], ap["b"]
    shell = np.asarray(ap["shell"])
    sm = material(shell, ks=0.12, shin=12)
    white = material((0.85, 0.86, 0.8), ks=1.8, shin=150, alpha=0.4, refl=1.0, F0=0.04)
    yolk = material((0.95, 0.55, 0.05), ks=0.9, shin=80, refl=0.3)
    lift = float(ev.uniform(0.25, 0.5)) if ctx.phase == "pre" else 0.0
    if ctx.phase != "end":
        crush = 0.0 if ctx.phase == "pre" else 0.22 * c
        Q = P0 + UP * (c - crush + lift)
        axes = np.diag([a, c, a])
        clip = None
        if ctx.phase == "transitional":
            clip = lambda q: q[..., 1] > -0.72
        b.objects.append(lambda cv, cam, L, m, Q=Q, axes=axes, clip=clip: draw_ellipsoid(
            cv, cam, Q, axes, sm, L, {"object": 1.0} if m else None, shell_mod(shell, 0.06), clip))
        ctx.shadows.cast(np.array([Q + [a, 0, 0], Q - [a, 0, 0], Q + [0, c, 0], Q - [0, c, 0], Q + [0, 0, a], Q - [0, 0, a]]), 0.9)
        if lift == 0:
            ctx.shadows.contact(P0, a * 1.2, a * 1.2, 0.6)
        b.obj_depth = float(cam.cam(Q)[2])
    if ctx.phase == "transitional":
        # egg white sheet bulging out sideways on the floor, with the yolk
        wr = float(ev.uniform(0.2, 0.3))
        b.event.faces.append({"verts": disc_pts(P0 + UP * 0.004, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), wr * 0.7, 40,
                                                lambda t: 1 + 0.15 * np.sin(3 * t) * (0 if ctx.sym else 1)),
                              "normal": UP.copy(), "mat": white, "tag": "structure", "self_sym": True, "zbias": 3.0})
        # cracks up the shell from the crushed bottom
        Q = P0 + UP * (c - 0.22 * c)
        Aax = np.diag([a, c, a])
        p = np.array([0.0, -0.7, 0.0])
        p = unit(p + np.array([0, 0, 0.7]))  # the camera-facing lower side
        k1 = unit(np.array([0, 1.0, 0]) - p[1] * p)
        es, et = surface_frame(ctx, p, into=k1)
        surf = ShellSurf(Q, Aax, p, es, et, 1.8, inside=lambda P: (P[..., 1] - Q[1]) / c > -0.7)
        info = cracks_on(ctx, b, surf, allowed=(-math.radians(80), math.radians(80)), hole_r=0.01, arms=(3, 6),
                         dark=(0.1, 0.07, 0.05), bright=shell * 1.2, width=0.8, scale=0.5, cull=True)
        b.truth["cracks"] = info
    if ctx.phase == "end":
        wr = float(ev.uniform(0.22, 0.3))
        rf = (lambda t: 1 + 0.18 * np.sin(3 * t + 1) + 0.1 * np.sin(5 * t)) if not ctx.sym else None
        b.event.faces.append({"verts": disc_pts(P0 + UP * 0.004, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), wr, 48, rf),
                              "normal": UP.copy(), "mat": white, "tag": "structure", "self_sym": True, "zbias": 3.0})
        yk = P0 + UP * 0.02

        def draw_yolk(cv, cam, L, m, yk=yk):
            draw_ellipsoid(cv, cam, yk, np.diag([0.045, 0.022, 0.045]), yolk, L, {"object": 1.0} if m else None)
        b.objects.append(draw_yolk)
        # the top of the shell lying as a dome
        dome = P0 + np.array([0.0, 0, -0.08])
        b.objects.append(lambda cv, cam, L, m, dome=dome: draw_ellipsoid(
            cv, cam, dome, np.diag([a, c * 0.8, a]), sm, L, {"object": 1.0} if m else None, shell_mod(shell, 0.06),
            lambda q: q[..., 1] > 0.15))
        b.obj_depth = float(cam.cam(P0)[2])
    if ctx.phase != "pre":
        n_o, n_t = pairs_count(ctx, 18, 36)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.05, 0.08)))
        pm = material(shell, ks=0.12, shin=12)
        b.event.pieces = make_pieces(ctx, A, pm, shell, start=P0 + UP * 0.03, spread=0.02, aspect=(1.2, 2.2), thick=0.08,
                                     rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=0.12, rest_spread=0.7,
                                     speed=(0.3, 0.9))
        b.truth.update(tau=tau, law_range=rng_, areas=A)
    b.truth["target"] = "raw egg"
    return b


def build_pumpkin(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    a, c = ap["a"], ap["b"]
    rind = np.asarray(ap["rind"])
    rm = material(rind, ks=0.35, shin=25)
    flesh = np.array([0.95, 0.72, 0.25])
    lift = float(ev.uniform(0.2, 0.45)) if ctx.phase == "pre" else 0.0
    squash = 0.55 if ctx.phase == "end" else 1.0
    crush = 0.0 if ctx.phase == "pre" else 0.15 * c
    Q = P0 + UP * (c * squash - crush + lift)
    axes = np.diag([a * (1.25 if ctx.phase == "end" else 1.0), c * squash, a * (1.25 if ctx.phase == "end" else 1.0)])
    clip = (lambda q: q[..., 1] > -0.8) if ctx.phase != "pre" else None
    b.objects.append(lambda cv, cam, L, m: draw_ellipsoid(cv, cam, Q, axes, rm, L, {"object": 1.0} if m else None,
                                                         shell_mod(rind, ribs=ap["ribs"], rib_depth=0.35), clip))
    top = Q + UP * c * squash
    stem_m = material((0.35, 0.3, 0.12), ks=0.1, shin=10)

    def draw_stem(cv, cam, L, m):
        u0, z0 = cam.proj(top - UP * 0.01)
        u1, _ = cam.proj(top + UP * 0.07 + np.array([0.02, 0, 0]))
        draw_tube(cv, u0, u1, 0.025 * cam.f / z0, 0.018 * cam.f / z0, stem_m, L, {"object": 1.0} if m else None)
    b.objects.append(draw_stem)
    ctx.shadows.cast(np.array([Q + [axes[0, 0], 0, 0], Q - [axes[0, 0], 0, 0], top, Q + [0, 0, a], Q - [0, 0, a]]), 0.9)
    if lift == 0:
        ctx.shadows.contact(P0, a * 1.1, a * 1.1, 0.6)
    b.obj_depth = float(cam.cam(Q)[2])
    if ctx.phase == "transitional":
        Aax = axes
        p = unit(np.array([0.0, -0.75, 0.66]))
        k1 = unit(np.array([0, 1.0, 0]) - p[1] * p)
        es, et = surface_frame(ctx, p, into=k1)
        surf = ShellSurf(Q, Aax, p, es, et, 1.6)
        info = cracks_on(ctx, b, surf, allowed=(-math.radians(80), math.radians(80)), hole_r=0.02, arms=(3, 6),
                         dark=(0.25, 0.1, 0.02), bright=flesh, width=1.1, scale=1.2, cull=True)
        b.truth["cracks"] = info
    if ctx.phase != "pre":
        # burst zone: pulp bulging at the bottom
        pulp = material((0.95, 0.6, 0.15), ks=0.8, shin=40)
        b.event.faces.append({"verts": disc_pts(P0 + UP * 0.004, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), a * 1.05, 36),
                              "normal": UP.copy(), "mat": pulp, "tag": "structure", "self_sym": True, "zbias": 3.0})
        n_o, n_t = pairs_count(ctx, 18, 36)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.12, 0.2)))
        alb = np.tile(rind, (len(A), 1)) * ev.uniform(0.85, 1.1, (len(A), 1))
        b.event.pieces = make_pieces(ctx, A, rm, alb, start=P0 + UP * 0.04, spread=0.03, aspect=(1.3, 2.6), thick=0.35,
                                     rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=a * 1.1, rest_spread=0.6,
                                     speed=(0.3, 0.85))
        b.truth.update(tau=tau, law_range=rng_, areas=A)
        ng_o, _ = pairs_count(ctx, 20, 35)
        sd = make_drops(ctx, np.full(ng_o, 0.01) * ev.uniform(0.8, 1.2, ng_o), material((0.95, 0.9, 0.7), ks=0.3, shin=20),
                        np.array([0.95, 0.9, 0.7]), start=P0 + UP * 0.03, spread=0.03, rest_centre=np.array([P0[0], 0, P0[2]]),
                        rest_r0=a * 1.05, rest_spread=0.5)
        b.event.grains = sd
    b.truth["target"] = "pumpkin"
    return b


def build_iceblock(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    wx, hy, wz = ap["wx"], ap["hy"], ap["wz"]
    ice = material((0.72, 0.84, 0.95), ks=1.4, shin=80, alpha=0.5, F0=0.05, refl=1.2)
    ice["edge"] = 0.5
    C0 = P0 - UP * hy
    b.objects.append(box_obj(C0, np.diag([wx, hy, wz]), ice, edge=((1.4, 1.5, 1.6), 0.5, 0.7)))
    ctx.shadows.cast(np.concatenate(box_faces(C0, np.diag([wx, hy, wz]))[0]), 0.5)
    ctx.shadows.contact(np.array([P0[0], 0, P0[2]]), wx * 1.05, wz * 1.05, 0.5)
    b.obj_depth = float(cam.cam(C0)[2])
    steel = material((0.3, 0.31, 0.33), ks=1.2, shin=60, refl=0.5, F0=0.4)
    wood = material((0.55, 0.35, 0.18), ks=0.2, shin=20)
    hh = 0.07
    if ctx.phase == "pre":
        hp = P0 + UP * (hh + float(ev.uniform(0.2, 0.45)))
        hv = -UP * 3.0
    else:
        hp = P0 + UP * (hh + (0.0 if ctx.phase == "transitional" else 0.002))
        hv = np.zeros(3)
    hd = unit(np.array([1.0, ap["tilt"] * 0.3, 0.25]))

    def draw_hammer(cv, cam, L, dt, m, hp=hp, hv=hv, sub=0.0):
        p = hp + hv * dt
        tg = {"impactor": 1.0} if m else None
        faces, nrm = box_faces(p, np.column_stack([UP * 0.0 + np.array([0.05, 0, 0]), UP * hh, np.array([0, 0, 0.05])]))
        faces, nrm = box_faces(p, np.column_stack([np.array([0.045, 0, 0]), UP * hh, np.array([0, 0, 0.045])]))
        draw_faces(cv, cam, faces, nrm, steel, L, tg)
        u0, z0 = cam.proj(p + UP * hh * 0.4)
        u1, _ = cam.proj(p + UP * hh * 0.4 + hd * ap["handle"])
        draw_tube(cv, u0, u1, 0.022 * cam.f / z0, 0.02 * cam.f / z0, wood, L, tg)
    draw_hammer.pos = hp
    draw_hammer.moving = bool(np.any(hv != 0))
    b.impactor.append(draw_hammer)
    ctx.shadows.cast(np.array([hp + [0.05, 0, 0.05], hp - [0.05, 0, 0.05], hp + hd * ap["handle"]]), 0.7, ground_y=0.0)
    if ctx.phase == "pre":
        b.truth["target"] = "ice block on a table"
        return b
    # crushed zone on the top face (white, opaque)
    crushm = material((0.95, 0.97, 1.0), ks=0.3, shin=20)
    cr = float(ev.uniform(0.04, 0.07))
    es, et = surface_frame(ctx, UP, into=np.array([0, 0, 1.0]))
    top = PlaneSurf(P0 + UP * 0.001, es, et, lambda s, t: (np.abs(np.asarray(s)) < wz * 0.98) & (np.abs(np.asarray(t)) < wx * 0.98), 0.6)
    crush = full_hole(ctx, top, cr, 14)
    b.event.faces.append({"verts": crush, "normal": UP.copy(), "mat": crushm, "tag": "structure", "self_sym": True})
    # cracks: on the top face from the crushed zone and down the front face
    info = cracks_on(ctx, b, top, allowed=(-math.pi, math.pi), hole_r=cr, arms=(3, 6), dark=(0.3, 0.4, 0.5),
                     bright=(1.5, 1.6, 1.7), width=0.9, scale=0.7)
    O = P0 + np.array([0, 0, wz + 0.001])
    esf, etf = surface_frame(ctx, np.array([0, 0, 1.0]), into=-UP)
    front = PlaneSurf(O, esf, etf, lambda s, t: ((O + np.asarray(s)[..., None] * esf + np.asarray(t)[..., None] * etf)[..., 1] > 0.005)
                      & (np.abs((O + np.asarray(s)[..., None] * esf + np.asarray(t)[..., None] * etf)[..., 0] - P0[0]) < wx * 0.98), 1.0)
    cracks_on(ctx, b, front, allowed=(-math.radians(70), math.radians(70)), hole_r=0.005, arms=(3, 5), dark=(0.3, 0.4, 0.5),
              bright=(1.6, 1.7, 1.8), width=1.0, scale=0.8)
    b.truth["cracks"] = info
    n_o, n_t = pairs_count(ctx, 20, 40)
    A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.07, 0.12)))
    table_y = 0.0
    b.event.pieces = make_pieces(ctx, A, ice, np.array([0.8, 0.88, 0.96]), start=P0 + UP * 0.02, spread=0.02, aspect=(1.3, 2.4),
                                 thick=0.45, ground_y=table_y, rest_centre=np.array([P0[0], 0, P0[2]]),
                                 rest_r0=max(wx, wz) * 1.15, rest_spread=0.6, speed=(0.35, 1.0))
    b.truth.update(tau=tau, law_range=rng_, areas=A)
    ng_o, _ = pairs_count(ctx, 50, 80)
    powder = material((0.95, 0.97, 1.0), ks=0.2, shin=10, alpha=0.8)
    b.event.grains = make_drops(ctx, np.full(ng_o, 0.004) * ev.uniform(0.7, 1.3, ng_o), powder, np.array([0.95, 0.97, 1.0]),
                                start=P0 + UP * 0.01, spread=0.02, rest_centre=np.array([P0[0], 0, P0[2]]),
                                rest_r0=max(wx, wz) * 1.1, rest_spread=0.4)
    if ctx.phase == "transitional":
        b.event.haze = {"colour": np.array([0.9, 0.95, 1.0]), "strength": 0.35, "sigma": 0.04}
    # the block top is the surface the chips leave; pieces resting end on the table
    b.truth["target"] = "ice block on a table"
    return b


def build_barrier(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    d = unit(ctx.d3 * [1, 0, 1])
    side = unit(np.cross(UP, d))
    Lc, Hc = ap["len"], ap["hgt"]
    paint = np.asarray(ap["paint"])
    body = material(paint, ks=1.0, shin=70, refl=0.6, F0=0.08)
    dark = material((0.05, 0.05, 0.06), ks=0.6, shin=50, refl=0.5)
    conc = material(np.asarray(ap["barrier_col"]), ks=0.05, shin=8)
    # barrier: a concrete block beyond the contact point
    bw = 0.25
    bc = P0 + d * (bw + 0.005)
    bc[1] = 0.45
    b.objects.append(box_obj(bc, np.column_stack([d * bw, UP * 0.45, side * 0.7]), conc))
    ctx.shadows.cast(np.concatenate(box_faces(bc, np.column_stack([d * bw, UP * 0.45, side * 0.7]))[0]), 0.9)
    gap = float(ev.uniform(0.3, 0.6)) if ctx.phase == "pre" else 0.0
    crumple = 0.0 if ctx.phase == "pre" else (0.12 if ctx.phase == "transitional" else 0.16)
    front = P0 - d * gap
    Lb = Lc - crumple
    cen = front - d * Lb / 2
    cen[1] = Hc * 0.5 + 0.05
    vel = d * 3.0 if ctx.phase == "pre" else np.zeros(3)

    def draw_car(cv, cam, L, dt, m, cen=cen, sub=0.0):
        tg = {"object": 1.0} if m else None
        c = cen + vel * dt
        faces, nrm = box_faces(c, np.column_stack([d * Lb / 2, UP * Hc * 0.35, side * 0.35]))
        draw_faces(cv, cam, faces, nrm, body, L, tg)
        cab = c + UP * Hc * 0.6 - d * Lb * 0.08
        faces, nrm = box_faces(cab, np.column_stack([d * Lb * 0.26, UP * Hc * 0.25, side * 0.3]))
        draw_faces(cv, cam, faces, nrm, body, L, tg, albedos=[paint, paint, paint * 0.2, paint, paint * 0.2, paint * 0.2])
        for k in (-0.33, 0.3):
            wc = c + d * Lb * k - UP * (Hc * 0.35) + side * 0.36
            uv, z = cam.proj(wc)
            draw_sphere(cv, uv, 0.1 * cam.f / z, dark, L, tg)
        # crash-test targets on the door
        for k in (-0.2, 0.12):
            tc = c + d * Lb * k + side * 0.352 - UP * Hc * 0.12
            uv, z = cam.proj(tc)
            rr = 0.022 * cam.f / z
            cv.disc(uv, rr, (0.05, 0.05, 0.05), 1.0, tg)
            q = np.array([[0, 0], [rr, 0], [rr * 0.7, -rr * 0.7], [0, -rr]]) + uv
            cv.poly(q, (0.9, 0.75, 0.1), 1.0, tg)
            cv.poly(2 * uv - q, (0.9, 0.75, 0.1), 1.0, tg)
        # side windows and a door line
        wpts = np.array([c + UP * Hc * 0.42 - d * Lb * 0.3 + side * 0.302, c + UP * Hc * 0.42 + d * Lb * 0.14 + side * 0.302,
                         c + UP * Hc * 0.78 + d * Lb * 0.08 + side * 0.302, c + UP * Hc * 0.78 - d * Lb * 0.26 + side * 0.302])
        cv.poly(cam.proj(wpts)[0], (0.03, 0.035, 0.04), 1.0, tg)
        dl = np.array([c - d * Lb * 0.02 + side * 0.352 + UP * Hc * 0.33, c - d * Lb * 0.02 + side * 0.352 - UP * Hc * 0.3])
        cv.lines([cam.proj(dl)[0]], (0.05, 0.05, 0.05), 0.8, 0.6)
    draw_car.pos = cen
    draw_car.moving = bool(np.any(vel != 0))
    b.impactor.append(draw_car)
    ctx.shadows.cast(np.array([cen + d * Lb / 2 + side * 0.35, cen - d * Lb / 2 + side * 0.35, cen + d * Lb / 2 - side * 0.35,
                               cen - d * Lb / 2 - side * 0.35, cen + UP * Hc * 0.8]) - UP * 0.0, 0.9)
    ctx.shadows.contact(np.array([cen[0], 0, cen[2]]), Lb / 2, 0.4, 0.6, axis=d)
    b.obj_depth = float(cam.cam(P0)[2])
    if ctx.phase == "pre":
        b.truth["target"] = "car and concrete barrier"
        return b
    # crumpled front: folds (structure)
    fold_m = material(paint * 0.7, ks=1.2, shin=50)
    nf = int(ev.integers(3, 6))
    for k in range(nf):
        x0 = front - d * (crumple * (k + 0.5) / nf)
        zz = (0.6 if k % 2 else 1.0)
        tri = np.array([x0 + side * 0.352 + UP * (0.05 + Hc * 0.1), x0 - d * 0.03 + side * 0.352 + UP * (0.05 + Hc * 0.4 * zz),
                        x0 - d * 0.06 + side * 0.352 + UP * (0.05 + Hc * 0.12)])
        b.event.faces.append({"verts": tri, "normal": unit(side + d * 0.5 * (1 if k % 2 else -1)), "mat": fold_m, "tag": "structure"})
    n_o, n_t = pairs_count(ctx, 18, 36)
    A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.08, 0.13)))
    cols = np.array([[0.9, 0.9, 0.85], [0.1, 0.1, 0.1], [0.9, 0.6, 0.1], paint])
    alb = cols[ev.integers(0, 4, len(A))]
    pm = material((0.5, 0.5, 0.5), ks=1.0, shin=60, refl=0.4)
    b.event.pieces = make_pieces(ctx, A, pm, alb, start=P0, spread=0.03, aspect=(1.2, 2.5), thick=0.2,
                                 rest_centre=np.array([P0[0], 0, P0[2]]) - d * 0.1, rest_r0=0.1, rest_spread=0.7)
    b.truth.update(tau=tau, law_range=rng_, areas=A)
    b.truth["target"] = "car and concrete barrier"
    return b


# ------------------------------------------------------------------ FLUID
def liquid_mat(ap, alpha=None):
    col = np.asarray(ap["colour"])
    if ap["liquid"] == "milk":
        return material(col, ks=0.4, shin=40, alpha=0.96 if alpha is None else alpha, refl=0.3, F0=0.03, emissive=0.35)
    # splashing water: clear, but aerated sheets and drops scatter light (whitish), with glints
    return material(col * 2.0 + 0.28, ks=2.0, shin=120, alpha=0.45 if alpha is None else alpha, refl=1.2, F0=0.03)


def ripple_field(centre, amps, waves, radii, widths, modulation=None):
    """Height-field gradient of ring ripples around one centre (for the liquid shader):
    h(r) = sum A sin(k (r - r0)) exp(-((r - r0) / w)^2), tabulated along r; an optional
    azimuthal modulation (a1, p1, a2, p2) makes the rings uneven (irregular label)."""
    cx, cz = centre
    rmax = float(max(r + 3 * w for r, w in zip(radii, widths)))
    rr = np.linspace(0, rmax, 2048)
    dh = np.zeros_like(rr)
    for A, k, r0, wd in zip(amps, waves, radii, widths):
        x = (rr - r0) / wd
        env = np.exp(-x * x)
        dh += A * (k * np.cos(k * (rr - r0)) * env - np.sin(k * (rr - r0)) * env * 2 * x / wd)
    dh = dh.astype(np.float32)
    kmax = float(max(waves))

    def fn(X, Z, fp):
        dx = (X - np.float32(cx)).astype(np.float32)
        dz = (Z - np.float32(cz)).astype(np.float32)
        r = np.sqrt(dx * dx + dz * dz) + np.float32(1e-6)
        g = np.interp(r, rr, dh, right=0.0).astype(np.float32)
        g *= np.clip((1.0 / kmax) / (1.5 * fp) - 0.2, 0, 1)
        if modulation is not None:
            a1, p1, a2, p2 = modulation
            ph = np.arctan2(dz, dx)
            g *= 1 + a1 * np.sin(2 * ph + p1) + a2 * np.sin(3 * ph + p2)
        g /= r
        return g * dx, g * dz
    return fn


def build_pool(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    b.support = ap["liquid"]
    lm = liquid_mat(ap)
    dm = liquid_mat(ap)
    col = np.asarray(ap["colour"])
    stone = ap["stone"]
    rs = ap["drop"] * (1.4 if stone else 1.0)
    smat = material((ap["stone_col"],) * 3, ks=0.2, shin=15)
    smod = rock_modulate((ap["stone_col"], ap["stone_col"] * 0.97, ap["stone_col"] * 0.92), (0.3, 1.1, 2.2))
    flat = 0.45 if ctx.fr.get("tang") is not None else 0.8
    saxes = np.diag([rs, rs * flat, rs * 0.9])
    tang = ctx.fr.get("tang")
    if ctx.phase == "pre":
        pos = P0 - ctx.d3 * float(ev.uniform(0.3, 0.7)) + UP * rs
        if stone:
            impactor_ellipsoid(b, pos, saxes, ctx.d3 * 3.0, smat, smod)
        else:
            impactor_sphere(b, pos, rs, ctx.d3 * 1.5, dm)
        ctx.shadows.cast(np.array([pos + [rs, 0, 0], pos - [rs, 0, 0], pos + [0, 0, rs], pos - [0, 0, rs]]), 0.5)
        b.ripple = ripple_field((P0[0] + 0.3, P0[2] - 0.2), [0.006], [14.0], [0.5], [0.4])
        b.truth["target"] = f"{ap['liquid']} pool"
        return b
    R0 = float(ev.uniform(0.14, 0.22))
    R1 = R0 * float(ev.uniform(1.3, 1.7))
    Hc = R0 * float(ev.uniform(0.8, 1.25))
    nseg = 40
    phis = np.linspace(0, 2 * math.pi, nseg + 1)
    phv = math.atan2(cam.C[2] - P0[2], cam.C[0] - P0[0])  # azimuth of the camera (in the mirror plane V)
    # rim height profile h(phi)
    if ctx.sym and not ctx.plaus:
        hprof = np.ones(nseg + 1)
    else:
        k = ev.uniform(0, 2 * math.pi, 3)
        hprof = 1 + 0.22 * np.sin(2 * phis + k[0]) + 0.14 * np.sin(3 * phis + k[1]) + 0.1 * np.sin(5 * phis + k[2])
        if ctx.sym:
            rel = phis - phv
            hprof = 1 + 0.22 * np.cos(2 * rel) * math.cos(k[0]) + 0.14 * np.cos(3 * rel) * math.cos(k[1]) + 0.1 * np.cos(5 * rel) * math.cos(k[2])
    if tang is not None:
        ta = math.atan2(tang[2], tang[0])
        hprof = hprof * (0.15 + 0.85 * np.clip(np.cos(phis - ta), 0, 1) ** 1.5)
    b.ripple_structure = True
    if ctx.phase == "transitional":
        ex, ez = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
        thin = dict(lm, alpha=min(lm["alpha"], 0.75) if ap["liquid"] == "milk" else lm["alpha"] * 0.8)
        rim_m = dict(lm, ks=lm["ks"] * 1.5)
        ring = lambda a, rr, hh: P0 + rr * (math.cos(a) * ex + math.sin(a) * ez) + UP * hh
        for i in range(nseg):
            a0, a1 = phis[i], phis[i + 1]
            h0, h1 = Hc * hprof[i], Hc * hprof[i + 1]
            am = 0.5 * (a0 + a1)
            if ctx.sym and (ring(am, R1, 0.5 * (h0 + h1)) - ctx.M.C) @ ctx.M.n < 0:
                continue
            rd = np.array([math.cos(am), 0, math.sin(am)])
            nrm = unit(rd * Hc - UP * (R1 - R0))
            # the sheet in two bands: thicker at the foot, thin and translucent near the rim
            f = 0.55
            Rm = R0 + f * (R1 - R0)
            low = np.array([ring(a0, R0, 0), ring(a1, R0, 0), ring(a1, Rm, f * h1), ring(a0, Rm, f * h0)])
            up_ = np.array([ring(a0, Rm, f * h0), ring(a1, Rm, f * h1), ring(a1, R1, h1), ring(a0, R1, h0)])
            b.event.faces.append({"verts": low, "normal": nrm, "mat": lm, "tag": "structure", "two_sided": True, "back_dim": 0.6})
            b.event.faces.append({"verts": up_, "normal": unit(nrm + rd * 0.3), "mat": thin, "tag": "structure", "two_sided": True,
                                  "back_dim": 0.7})
            # the thickened rim
            b.event.tubes.append({"p1": ring(a0, R1, h0), "p2": ring(a1, R1, h1), "r1": 0.012, "r2": 0.012, "mat": rim_m,
                                  "tag": "structure"})
        # fingers on the rim, with beads at their tips
        nf_o, nf_t = pairs_count(ctx, 6, 13)
        if ctx.sym and not ctx.plaus:
            # n-fold: equal fingers at equal angles, one pair straddling the mirror plane
            fa = phv + (np.arange(nf_o) + 0.5) * math.pi / nf_o
            fl = np.full(nf_o, float(ev.uniform(0.08, 0.14)))
        else:
            if ctx.sym:
                base = phv + np.sort(ev.uniform(0.1, math.pi - 0.1, nf_o))
            else:
                base = np.sort(ev.uniform(0, 2 * math.pi, nf_o))
            fa = base
            fl = float(ev.uniform(0.06, 0.12)) * np.exp(ev.normal(0, 0.45, nf_o))
        n_o, n_t = pairs_count(ctx, 18, 36)
        total = float(ev.uniform(0.035, 0.06))
        jet = not ctx.plaus
        if jet:
            Hj = Hc * float(ev.uniform(1.4, 2.1))
            rj = R0 * 0.22
            total = max(total - 2 * rj * Hj * 0.6, total * 0.4)
        A, tau, rng_ = sizes(ctx, n_o, n_t, total)
        radii = np.sqrt(A / math.pi)
        perm = ev.permutation(len(radii))
        radii = radii[perm]
        A = A[perm]
        nbead = min(len(fa), len(radii) // 2)
        tubes = []
        bead_c = []
        for j in range(len(fa)):
            a = fa[j]
            hh = Hc * float(np.interp(np.mod(a, 2 * math.pi), phis, hprof))
            rd = np.array([math.cos(a), 0, math.sin(a)])
            base_p = P0 + rd * R1 + UP * hh
            tipdir = unit(rd * 0.55 + UP)
            tip = base_p + tipdir * fl[j]
            tubes.append({"p1": base_p - tipdir * 0.01, "p2": tip, "r1": 0.022, "r2": 0.011, "mat": lm, "tag": "structure"})
            bead_c.append(tip + tipdir * 0.004)
        b.event.tubes += tubes
        # drops: beads on the finger tips, the rest detached and flying
        c_all = np.zeros((len(radii), 3))
        v_all = np.zeros((len(radii), 3))
        air = np.ones(len(radii), bool)
        nb = min(nbead, len(bead_c))
        for j in range(nb):
            c_all[j] = bead_c[j] + UP * radii[j] * 0.6
            v_all[j] = unit(bead_c[j] - P0) * 0.4
        rest = np.arange(nb, len(radii))
        if len(rest):
            if ctx.plaus:
                # pinched off the rim earlier: they left outward and up along the crown
                az = (fa[ev.integers(0, len(fa), len(rest))] + ev.normal(0, 0.12, len(rest))) if len(fa) else ev.uniform(0, 6.28, len(rest))
                rd = np.stack([np.cos(az), np.zeros(len(rest)), np.sin(az)], -1)
                el = np.radians(ev.uniform(35, 75, len(rest)))
                dirs = rd * np.cos(el)[:, None] + UP * np.sin(el)[:, None]
                if tang is not None:
                    w = np.clip(rd @ tang, -1, 1)
                    dirs[w < -0.2] = unit(dirs[w < -0.2] - 2 * (dirs[w < -0.2] @ tang)[:, None] * tang * [1, 0, 1])
                sp = ev.uniform(0.25, 0.7, len(rest))
                tau_ = ev.uniform(0.3, 1.0, len(rest))
                hh = Hc * np.interp(np.mod(az, 2 * math.pi), phis, hprof)
                start = P0 + rd * R1 + UP * hh[:, None]
                c = start + dirs * (sp * tau_)[:, None] - 0.5 * ctx.g * (tau_ ** 2)[:, None] * UP
                v = dirs * sp[:, None] - ctx.g * tau_[:, None] * UP
            else:
                from bench.sources._studio_event import ejecta_directions
                dirs = ejecta_directions(ev, len(rest), ctx.fr, False, ctx.imp_mode)
                if ctx.imp_mode == "isotropic":
                    dirs[:, 1] = np.abs(dirs[:, 1]) * 0.8 + 0.2
                    dirs = unit(dirs)
                sp = ev.uniform(0.25, 0.7, len(rest))
                tau_ = ev.uniform(0.3, 1.0, len(rest))
                start = P0 + UP * Hc * 0.5
                c = start + dirs * (sp * tau_)[:, None]
                v = dirs * sp[:, None]
            c[:, 1] = np.maximum(c[:, 1], radii[rest])
            c, v = one_side(ctx, c, v)
            c_all[rest] = c
            v_all[rest] = v
        b.event.drops = Drops().set(c_all, v_all, radii, np.tile(col, (len(radii), 1)), dm, air)
        b.event.drops_are_pieces = True
        if jet:
            # the Worthington jet rises along the vertical, or along the path for an oblique entry
            jd = UP if tang is None else unit(-ctx.d3)
            top = P0 + jd * Hj
            b.event.tubes.append({"p1": P0 + jd * 0.01, "p2": top, "r1": rj * 1.5, "r2": rj * 0.8, "mat": lm, "tag": "structure",
                                  "self_sym": True, "v": jd * 0.3})
            b.event.tubes.append({"p1": top + jd * rj * 1.2, "p2": top + jd * rj * 1.2, "r1": rj * 1.3, "r2": rj * 1.3, "mat": lm,
                                  "tag": "structure", "self_sym": True, "v": jd * 0.35})
        # first capillary ring outside the crown and the dark cavity floor inside it
        if tang is None:
            # the first capillary ring (symmetric about the vertical only: not for oblique entries)
            b.ripple = ripple_field((P0[0], P0[2]), [0.012], [16.0], [R1 * 2.2], [R1 * 0.8])
        b.event.faces.append({"verts": sym_closed(ctx, disc_pts(P0 - UP * 0.01, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), R0 * 0.98, 36)),
                              "normal": UP.copy(), "mat": dict(lm, albedo=col * 0.5), "tag": "structure", "self_sym": True,
                              "zbias": 2.0})
        b.truth.update(tau=tau, law_range=rng_, areas=A, crown={"fingers": int(len(fa) * (2 if ctx.sym else 1)),
                                                                 "regular": bool(ctx.sym and not ctx.plaus)},
                       worthington_jet=bool(jet))
        if stone:
            impactor_ellipsoid(b, P0 - UP * rs * 0.5, saxes, ctx.d3 * 0.5, smat, smod)
    else:
        # end: rings on the surface, and the droplets settled as floating beads and ringlets
        radii_r = np.array([0.25, 0.45, 0.7, 0.95]) * float(ev.uniform(0.8, 1.2))
        if ctx.sym:
            cents = [(P0[0], P0[2])] * 4
            modu = None
        else:
            cents = [(P0[0] + float(ev.normal(0, 0.04)), P0[2] + float(ev.normal(0, 0.04)))] * 4
            modu = (float(ev.uniform(0.3, 0.6)), float(ev.uniform(0, 6.28)), float(ev.uniform(0.2, 0.4)), float(ev.uniform(0, 6.28)))
        b.ripple = ripple_field(cents[0], [0.02, 0.016, 0.012, 0.009], [11.0, 10.0, 9.0, 8.5], radii_r, [0.1, 0.12, 0.14, 0.16], modu)
        b.truth["rings"] = {"centre": list(cents[0]), "radii": radii_r.tolist(), "uneven": not ctx.sym}
        n_o, n_t = pairs_count(ctx, 18, 36)
        A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.035, 0.06)))
        radii = np.sqrt(A / math.pi)
        dr = make_drops(ctx, radii, dm, col, start=P0, rest_centre=P0, rest_r0=0.12, rest_spread=0.7)
        dr.c[:, 1] = dr.r * 0.35
        b.event.drops = dr
        b.event.drops_are_pieces = True
        # ringlets where drops fell back (bright thin ellipses on the surface)
        for i in range(dr.n):
            rr = dr.r[i] * 3.0
            ring = disc_pts(np.array([dr.c[i, 0], 0.001, dr.c[i, 2]]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), rr, 24)
            b.event.lines.append({"pts": np.vstack([ring, ring[:1]]), "col": np.asarray(ctx.L.env_col) * 0.9 + 0.1 * np.asarray(ctx.L.key_col),
                                  "alpha": 0.3, "width": 0.6, "tag": "structure", "self_sym": False})
        b.truth.update(tau=tau, law_range=rng_, areas=A)
    b.truth["target"] = f"{ap['liquid']} pool"
    return b


def build_balloon(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    r = ap["r"]
    d = unit(ctx.d3 * [1, 0, 1])
    Qc = P0 + d * r
    rub = np.asarray(ap["rubber"])
    rm = material(rub, ks=1.3, shin=70, refl=0.5, F0=0.06)
    water = material((0.55, 0.65, 0.7), ks=2.5, shin=180, alpha=0.35, refl=1.6, F0=0.03)
    puddle = material((0.3, 0.35, 0.38), ks=1.5, shin=150, alpha=0.45, refl=0.5, F0=0.03)
    axes = np.diag([r, r * 1.08, r])
    string_m = material((0.85, 0.85, 0.8), ks=0.1, shin=5)
    top = Qc + UP * r * 1.08

    def draw_string(cv, cam, L, m):
        u0, z0 = cam.proj(top)
        u1, _ = cam.proj(top + UP * 3.0)
        draw_tube(cv, u0, u1, 0.004 * cam.f / z0, 0.004 * cam.f / z0, string_m, L, {"context": 1.0} if m else None)
        if ctx.phase != "end":
            uk, zk = cam.proj(top + UP * 0.015)
            draw_sphere(cv, uk, 0.022 * cam.f / zk, rm, L, {"object": 1.0} if m else None)
    b.objects.append(draw_string)
    b.obj_depth = float(cam.cam(Qc)[2])
    pin_m = material((0.75, 0.75, 0.78), ks=1.5, shin=90, refl=0.6, F0=0.5)
    head_m = material((0.85, 0.1, 0.1), ks=0.8, shin=50)

    def pin_at(p, vel):
        def draw(cv, cam, L, dt, m, sub=0.0):
            q = p + vel * dt
            u0, z0 = cam.proj(q)
            u1, _ = cam.proj(q - d * 0.16)
            tg = {"impactor": 1.0} if m else None
            draw_tube(cv, u0, u1, 0.002 * cam.f / z0, 0.003 * cam.f / z0, pin_m, L, tg)
            draw_sphere(cv, u1, 0.014 * cam.f / z0, head_m, L, tg)
        draw.pos = p
        draw.moving = bool(np.any(vel != 0))
        return draw
    if ctx.phase == "pre":
        b.objects.append(lambda cv, cam, L, m: draw_ellipsoid(cv, cam, Qc, axes, rm, L, {"object": 1.0} if m else None))
        b.impactor.append(pin_at(P0 - d * float(ev.uniform(0.1, 0.35)), d * 1.5))
        ctx.shadows.cast(np.array([Qc + [r, 0, 0], Qc - [r, 0, 0], Qc + [0, 0, r], Qc - [0, 0, r], Qc + [0, r, 0], Qc - [0, r, 0]]), 0.9)
        b.truth["target"] = "water balloon"
        return b
    if ctx.phase == "transitional":
        def wobble(q, n):
            k = np.sin(q[..., 1] * 40) * np.sin(q[..., 0] * 33) * 0.12
            n2 = n + k[..., None] * np.array([1.0, 0.5, 0.3], np.float32)
            return np.broadcast_to(np.asarray(water["albedo"], np.float32), n.shape).copy(), (n2 / np.linalg.norm(n2, axis=-1, keepdims=True)).astype(np.float32)
        b.objects.append(lambda cv, cam, L, m: draw_ellipsoid(cv, cam, Qc, axes, water, L, {"object": 1.0} if m else None, wobble))
        b.impactor.append(pin_at(P0 + d * 0.01, d * 0.3))
        ctx.shadows.cast(np.array([Qc + [r, 0, 0], Qc - [r, 0, 0], Qc + [0, 0, r], Qc - [0, 0, r], Qc + [0, r, 0], Qc - [0, r, 0]]), 0.5)
    else:
        # settled puddle under the impact point, the empty knot on the string
        pr = float(ev.uniform(0.35, 0.5))
        rf = None if ctx.sym else (lambda t: 1 + 0.15 * np.sin(2 * t + 0.7) + 0.1 * np.sin(5 * t + 2))
        b.event.faces.append({"verts": disc_pts(np.array([P0[0], 0.002, P0[2]]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), pr, 48, rf),
                              "normal": UP.copy(), "mat": puddle, "tag": "structure", "self_sym": True, "zbias": 3.0})
        b.impactor.append(pin_at(np.array([P0[0], 0.004, P0[2]]) - d * 0.45, np.zeros(3)))
    # skin pieces and droplets: the largest pieces are rubber, the rest water drops
    n_o, n_t = pairs_count(ctx, 18, 36)
    A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.06, 0.1)))
    order = np.argsort(-A)
    k_skin = max(1, int(round(len(A) * 0.12)))
    skin = order[:k_skin]
    drops = order[k_skin:]
    start = Qc if not ctx.plaus else P0 + d * r * 1.2
    pieces = make_pieces(ctx, A[skin], rm, rub, start=start, spread=0.03, aspect=(1.5, 3.0), thick=0.04,
                         rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=0.1, rest_spread=0.6, speed=(0.3, 0.7))
    b.event.pieces = pieces
    radii = np.sqrt(A[drops] / math.pi)
    dr = make_drops(ctx, radii, water, np.array([0.55, 0.65, 0.7]), start=start, spread=r * 0.4,
                    rest_centre=np.array([P0[0], 0, P0[2]]), rest_r0=0.2, rest_spread=0.6, speed=(0.3, 0.9))
    b.event.drops = dr
    b.event.drops_are_pieces = True
    b.truth.update(tau=tau, law_range=rng_, areas=np.concatenate([A[skin], A[drops]]), skin_pieces=int(k_skin * (2 if ctx.sym else 1)))
    b.truth["target"] = "water balloon"
    return b


def build_seawall(ctx, ap):
    b = Build()
    cam, ev = ctx.cam, ctx.ev
    P0 = ctx.P0
    b.support = "water"
    d = unit(ctx.d3 * [1, 0, 1])
    side = unit(np.cross(UP, d))
    H0 = P0[1]
    wc = np.asarray(ap["wall_col"])
    conc = material(wc, ks=0.1, shin=10)
    wall_c = P0 + d * 0.6 - UP * (H0 / 2) + UP * 0.0
    wall_c[1] = H0 / 2
    wet = wc * 0.55
    b.objects.append(box_obj(wall_c, np.column_stack([d * 0.6, UP * H0 / 2, side * 2.5]), conc,
                             albedos=[wc, wc, wc, wc * 1.05, wc, wet]))
    b.obj_depth = float(cam.cam(P0)[2])
    seac = np.asarray(ap["sea"])
    water = material(seac * 1.8 + 0.04, ks=2.0, shin=120, alpha=0.8, refl=1.2, F0=0.03)
    foam = material((0.9, 0.92, 0.93), ks=0.3, shin=20, alpha=0.92, emissive=0.15)
    spray = material((0.9, 0.93, 0.95), ks=1.5, shin=100, alpha=0.8, refl=0.8, emissive=0.1)
    # a long swell on the sea
    b.ripple = ripple_field((P0[0] - 12.0, P0[2] + 3.0), [0.05, 0.03, 0.02], [2.5, 4.1, 6.3], [11.0, 11.5, 12.0], [3.0, 3.0, 3.0])
    def foam_strip(x0, x1, zlo, zhi, n=10, jag=0.04):
        zs = np.linspace(zlo, zhi, n)
        fr = P0 - UP * H0 + UP * 0.004
        a_ = [fr + d * (x1 + float(ev.uniform(-jag, jag))) + side * z for z in zs]
        b_ = [fr + d * (x0 + float(ev.uniform(-jag, jag))) + side * z for z in zs[::-1]]
        return np.array(a_ + b_)
    if ctx.phase == "pre":
        gap = float(ev.uniform(0.5, 0.9))
        crest = foam_strip(-gap - 0.12, -gap, -1.2, 0.6)
        body = foam_strip(-gap - 0.35, -gap - 0.1, -1.2, 0.6, jag=0.0) + UP * 0.001
        vel = d * 1.2

        def draw_wave(cv, cam, L, dt, m, crest=crest, body=body, sub=0.0):
            from bench.sources._studio_core import shade
            tg = {"impactor": 1.0} if m else None
            for poly, mat in ((body, water), (crest, foam)):
                uv, _ = cam.proj(poly + vel * dt + UP * 0.03)
                c, a_ = shade(np.array([[0.0, -0.6, -0.8]], np.float32), mat, L)
                cv.poly(uv, c[0], float(a_[0]), tg)
        draw_wave.pos = P0 - d * gap - UP * H0
        draw_wave.moving = True
        b.impactor.append(draw_wave)
        b.truth["target"] = "seawall and breaking wave"
        return b
    # aerated water and foam piled along the wall base
    base = foam_strip(-0.35, -0.005, -1.2, 0.8)
    b.objects.append(faces_obj([base], [UP.copy()], foam))
    if ctx.phase == "transitional":
        # white water driven up the wall face (flip-through), tearing into ligaments at the top
        # the uprush: torn vertical streamers of white water on the wall face (structure)
        ns = 9
        zz = np.linspace(-0.4, 0.4, ns + 1)
        regular = ctx.sym and not ctx.plaus
        for j in range(ns):
            z0_, z1_ = zz[j], zz[j + 1]
            lo_ = -H0 * (0.5 if regular else float(ev.uniform(0.3, 0.6)))
            hi_ = 0.1 if regular else float(ev.uniform(-0.05, 0.25))
            zm = 0.5 * (z0_ + z1_) + (0 if regular else float(ev.uniform(-0.02, 0.02)))
            strip = np.array([P0 + UP * lo_ + side * z0_, P0 + UP * lo_ + side * z1_, P0 + UP * hi_ * 0.8 + side * z1_,
                              P0 + UP * hi_ + side * zm, P0 + UP * hi_ * 0.8 + side * z0_]) - d * 0.004
            if ctx.sym and (strip.mean(axis=0) - ctx.M.C) @ ctx.M.n < 0:
                strip = ctx.M.point(strip)[::-1]
            b.event.faces.append({"verts": strip, "normal": -d, "mat": dict(foam, alpha=0.55 if regular else float(ev.uniform(0.45, 0.8))),
                                  "tag": "structure", "zbias": -0.01})
        nf_o, _ = pairs_count(ctx, 6, 10)
        for j in range(nf_o):
            if ctx.sym and not ctx.plaus:
                el = math.radians(20 + 50 * (j + 0.5) / nf_o)
                ln = 0.35
                zoff = 0.0
            else:
                el = math.radians(float(ev.uniform(15, 75)) if ctx.plaus else float(ev.uniform(10, 170)))
                ln = float(ev.uniform(0.15, 0.45))
                zoff = float(ev.normal(0, 0.12))
            base_p = P0 + side * zoff + UP * 0.02
            dirn = unit(d * math.cos(el) + UP * math.sin(el))
            tube = {"p1": base_p, "p2": base_p + dirn * ln, "r1": 0.03, "r2": 0.012, "mat": foam, "tag": "structure"}
            if ctx.sym:
                c = 0.5 * (tube["p1"] + tube["p2"])
                if (c - ctx.M.C) @ ctx.M.n < 0:
                    tube["p1"], tube["p2"] = ctx.M.point(tube["p1"]), ctx.M.point(tube["p2"])
            b.event.tubes.append(tube)
    else:
        # calm aftermath: foam patches on the sea by the wall, puddles on the wall top
        nfo, _ = pairs_count(ctx, 4, 7)
        for j in range(nfo):
            c = P0 - d * float(ev.uniform(0.05, 0.9)) + side * float(ev.uniform(-0.8, 0.6))
            c[1] = 0.003
            pts = disc_pts(c, d, side, float(ev.uniform(0.04, 0.12)), 12, lambda t: 1 + 0.3 * np.sin(3 * t + 1))
            pc, _ = one_side(ctx, pts.mean(axis=0)[None])
            pts = pts + (pc[0] - pts.mean(axis=0))
            b.event.faces.append({"verts": pts, "normal": UP.copy(), "mat": foam, "tag": "structure", "zbias": 3.0})
    n_o, n_t = pairs_count(ctx, 18, 36)
    A, tau, rng_ = sizes(ctx, n_o, n_t, float(ev.uniform(0.05, 0.09)))
    radii = np.sqrt(A / math.pi)
    dr = make_drops(ctx, radii, spray, np.array([0.9, 0.93, 0.95]), start=P0 + UP * 0.04, spread=0.04,
                    rest_centre=np.array([P0[0], H0, P0[2]]) + d * 0.3, rest_r0=0.05, rest_spread=0.35, speed=(0.4, 1.0),
                    ground_y=H0 if ctx.phase == "end" else 0.0)
    b.event.drops = dr
    b.event.drops_are_pieces = True
    b.truth.update(tau=tau, law_range=rng_, areas=A)
    if ctx.phase == "transitional":
        ng_o, _ = pairs_count(ctx, 60, 100)
        b.event.grains = make_drops(ctx, np.full(ng_o, 0.005), spray, np.array([0.92, 0.94, 0.96]), start=P0 + UP * 0.05, spread=0.05,
                                    speed=(0.4, 1.1))
        b.event.haze = {"colour": np.array([0.85, 0.88, 0.9]), "strength": 0.5, "sigma": 0.06}
    b.truth["target"] = "seawall and breaking wave"
    return b


BUILDERS = {"pane": build_pane, "bottle": build_bottle, "plate": build_plate, "wineglass": build_wineglass,
            "icesheet": build_icesheet, "sand": build_sand, "egg": build_egg, "pumpkin": build_pumpkin,
            "iceblock": build_iceblock, "barrier": build_barrier, "pool": build_pool, "balloon": build_balloon,
            "seawall": build_seawall}

# geometry of each target: mode, height of the impact point above the support, camera pitch range (deg)
GEOMETRY = {
    "pane": ("through", None, (0.0, 10.0)),
    "bottle": ("through", None, (0.0, 14.0)),
    "plate": ("ground", 0.0, (8.0, 28.0)),
    "wineglass": ("ground", 0.0, (4.0, 22.0)),
    "icesheet": ("ground", 0.0, (12.0, 35.0)),
    "sand": ("ground", 0.0, (8.0, 30.0)),
    "egg": ("ground", 0.0, (3.0, 20.0)),
    "pumpkin": ("ground", 0.0, (3.0, 20.0)),
    "iceblock": ("ground", None, (6.0, 22.0)),
    "barrier": ("through", None, (0.0, 12.0)),
    "pool": ("ground", 0.0, (3.0, 22.0)),
    "balloon": ("through", None, (0.0, 10.0)),
    "seawall": ("through", None, (0.0, 8.0)),
}


def impact_height(kind, ap):
    """Height of the impact point above the support for 'through' targets and the block."""
    if kind == "pane":
        return ap["bar"] + (0.5 + ap["fy"]) * ap["H"]
    if kind == "bottle":
        return ap["post"] + ap["fy"] * ap["Hb"]
    if kind == "iceblock":
        return 2 * ap["hy"]
    if kind == "barrier":
        return ap["hgt"] * 0.45 + 0.05
    if kind == "balloon":
        return ap["r"] * 1.2 + 0.35
    if kind == "seawall":
        return ap["H"]
    return 0.0

"""``studio``: an independent pseudo-3-D renderer of labelled events (held out).

A small "high-speed photography studio" in numpy/OpenCV: a perspective camera at a
side or three-quarter view (sometimes from above), a receding support surface
(table, floor, sand, ice, water or milk), a backdrop (seamless paper, black flash
background, brick, lab tiles, wooden wall, a window, outdoor sky), 3-D primitives
shaded with a key and a fill light (Lambert + Blinn-Phong highlights, Fresnel for
glass and liquids), soft cast and contact shadows, and the event's structure built
in 3-D and projected: cracks on the target's surface, shards and chunks as thin
prisms on ballistic paths, droplets, crown fingers, crater rims, ripples.

Labels (docs/labels.md) and how they are drawn:

- ``phase``: pre = the intact object with the impactor approaching; transitional =
  pieces / droplets / grains in flight on ballistic paths (x(t) = x0 + v t - g t^2/2),
  crack tips inside the material, crown rising; end = everything at rest on the
  support with contact shadows, cracks complete, rings on liquids.
- ``plausible``: areas drawn from a truncated power law n(A) ~ A^-tau with tau inside
  the scene's ``fragment_size_exponent`` and ejecta downrange (a cone around the
  impact direction for pierced targets; outward from the surface with a downrange
  bias for impacts into a supporting surface); T-junction cracks; irregular crown,
  broad droplet sizes, no central jet.  Implausible: equal sizes (+-5 %), ejecta
  isotropic or uprange, closed rings crossing the radial cracks (X-junctions), and
  for liquids a Worthington jet together with a rising crown (two instants).
- ``symmetric``: every structure element has an exact mirror twin about the image
  axis through the impact point along the projected impact direction (the vertical
  for pieces at rest); the renderer reflects the 3-D elements about a plane that
  contains the camera's optical axis, so the projections are exact mirror images.

Nuisance (backdrop, support, props, lights, camera, scale, position, exposure blur,
depth of field, noise, JPEG) comes from a separate random stream keyed without the
labels, so for a given scene, seed and shape every label combination is shot in the
same studio.  The event itself uses the stream keyed with the labels.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from bench.sources import check_labels
from bench.sources._studio_core import F32, UP, Camera, Canvas, Lights, Mirror, composite, unit
from bench.sources._studio_event import draw_event, draw_haze
from bench.sources._studio_targets import (BUILDERS, GEOMETRY, appearance, impact_height, shadow_pieces, target_for)
from bench.sources._studio_world import (BACKDROPS, Shadows, context_props, depth_of_field, draw_prop, finish,
                                         noise_tile, render_background)

NAME = "studio"
VERSION = 1

LIQUID_COLOURS = {"water": (0.03, 0.05, 0.06), "milk": (0.85, 0.84, 0.8)}


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))


def _keys(scene, seed, labels, h, w):
    lab = {"symmetric": labels["symmetric"], "phase": labels["phase"], "plausible": labels["plausible"]}
    ev_key = f"realgap-{NAME}|v{VERSION}|{scene.id}|{scene.version}|{seed}|{lab}|{h}x{w}"
    nz_key = f"realgap-{NAME}|v{VERSION}|{scene.id}|{scene.version}|{seed}|nuisance|{h}x{w}"
    return ev_key, nz_key


def _py(x):
    """JSON-friendly copy of numpy values."""
    if isinstance(x, dict):
        return {str(k): _py(v) for k, v in x.items() if not callable(v)}
    if isinstance(x, (list, tuple)):
        return [_py(v) for v in x]
    if isinstance(x, np.ndarray):
        return _py(x.tolist())
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, float):
        return round(x, 6) if math.isfinite(x) else None
    return x


# ------------------------------------------------------------------ nuisance
SUPPORT_COLOURS = {
    "wood": [(0.45, 0.28, 0.14), (0.6, 0.42, 0.25), (0.3, 0.18, 0.1), (0.7, 0.55, 0.38)],
    "tiles": [(0.85, 0.85, 0.83), (0.55, 0.6, 0.62), (0.7, 0.62, 0.5), (0.25, 0.26, 0.28)],
    "concrete": [(0.55, 0.55, 0.53), (0.45, 0.45, 0.46), (0.62, 0.6, 0.56)],
    "steel": [(0.55, 0.56, 0.58), (0.42, 0.43, 0.45)],
    "stone": [(0.5, 0.5, 0.52), (0.6, 0.56, 0.5), (0.38, 0.38, 0.4)],
    "laminate": [(0.8, 0.8, 0.78), (0.2, 0.2, 0.22), (0.35, 0.45, 0.55), (0.75, 0.7, 0.6)],
    "asphalt": [(0.2, 0.2, 0.21), (0.28, 0.28, 0.29)],
    "sand": [(0.78, 0.62, 0.42), (0.82, 0.7, 0.5), (0.7, 0.55, 0.38)],
}
WALL_COLOURS = {
    "paper": [(0.85, 0.85, 0.85), (0.55, 0.56, 0.58), (0.2, 0.3, 0.5), (0.75, 0.7, 0.6), (0.5, 0.2, 0.2), (0.3, 0.45, 0.35)],
    "black": [(0.015, 0.015, 0.017), (0.03, 0.03, 0.035)],
    "brick": [(0.55, 0.25, 0.17), (0.5, 0.35, 0.28), (0.62, 0.3, 0.2)],
    "lab": [(0.9, 0.92, 0.92), (0.7, 0.8, 0.85), (0.85, 0.85, 0.8)],
    "window": [(0.85, 0.83, 0.78), (0.6, 0.65, 0.6), (0.4, 0.42, 0.48)],
    "wood": [(0.5, 0.32, 0.18), (0.65, 0.5, 0.35), (0.35, 0.22, 0.12)],
    "outdoor": [(0.5, 0.5, 0.5)],
}


def _pick(nz, seq):
    return seq[int(nz.integers(0, len(seq)))]


def draw_nuisance(scene, nz, h, w):
    """Every nuisance draw, in a fixed order, from the label-free stream."""
    N = {}
    kind = target_for(scene, nz)
    ap = appearance(kind, scene, nz)
    N["target"] = kind
    N["appearance"] = ap
    mode, H0, pitch_rng = GEOMETRY[kind]
    H0 = impact_height(kind, ap) if H0 is None else H0
    d2 = np.asarray(scene.physics.impact_direction, float)
    d2 = d2 / np.linalg.norm(d2)
    oblique = mode == "ground" and abs(d2[0]) > 0.3
    if kind == "sand" and oblique:
        pitch_rng = (30.0, 55.0)
    N["mode"], N["H0"] = mode, float(H0)
    N["pitch"] = float(nz.uniform(*pitch_rng))
    ip = scene.physics.impact_point
    base = (0.5, 0.55) if ip is None else ip
    jx, jy = nz.normal(0, 0.04, 2)
    ix = float(np.clip(base[0] + jx, 0.2, 0.8))
    iy = float(np.clip(base[1] + jy, 0.25, 0.86))
    N["impact_frac"] = [ix, iy]
    s = min(h, w)
    N["scale"] = float(math.exp(nz.uniform(math.log(0.15), math.log(0.9))))
    N["fov_deg"] = float(nz.uniform(14, 50))
    # studio
    if kind == "seawall":
        backdrop = "outdoor"
    elif kind == "sand":
        backdrop = "outdoor" if nz.random() < 0.7 else "paper"
    elif kind == "pool" and ap["liquid"] == "water":
        backdrop = _pick(nz, ["outdoor", "outdoor", "black", "paper", "window"])
    elif kind == "pool":
        backdrop = _pick(nz, ["black", "black", "paper", "lab", "brick", "window"])
    else:
        backdrop = _pick(nz, list(BACKDROPS))
    N["backdrop"] = backdrop
    if kind in ("pool", "seawall"):
        sup = ap.get("liquid", "water")
    elif kind == "sand":
        sup = "sand"
    elif kind == "icesheet":
        sup = "ice"
    elif backdrop == "outdoor":
        sup = _pick(nz, ["asphalt", "concrete", "stone", "wood", "sand"])
    else:
        sup = _pick(nz, ["wood", "wood", "tiles", "concrete", "steel", "stone", "laminate"])
    N["support_kind"] = sup
    if sup in ("water", "milk"):
        scol = ap.get("colour", LIQUID_COLOURS[sup]) if kind == "pool" else (ap["sea"] if kind == "seawall" else LIQUID_COLOURS[sup])
    elif sup == "ice":
        scol = (0.62, 0.7, 0.76)
    else:
        scol = _pick(nz, SUPPORT_COLOURS[sup])
        if kind == "sand":
            scol = ap["sand"]
    N["support_colour"] = [float(c) * float(nz.uniform(0.9, 1.1)) for c in scol]
    N["support_colour2"] = [float(c) for c in _pick(nz, [(0.3, 0.3, 0.3), (0.75, 0.75, 0.72), (0.15, 0.15, 0.15)])]
    N["support_rot"] = float(nz.uniform(0, math.pi))
    N["support_scale"] = float(math.exp(nz.uniform(math.log(0.5), math.log(2.0))))
    N["wall_colour"] = [float(c) * float(nz.uniform(0.9, 1.1)) for c in _pick(nz, WALL_COLOURS[backdrop])]
    N["wall_colour2"] = [float(c) for c in _pick(nz, [(0.7, 0.68, 0.62), (0.45, 0.44, 0.42)])]
    N["wall_scale"] = float(math.exp(nz.uniform(math.log(0.6), math.log(1.6))))
    N["wall_dist"] = float(nz.uniform(1.6, 5.0))
    N["wall_yaw"] = float(nz.uniform(-35, 35))
    N["table"] = bool(nz.random() < 0.45) and sup not in ("water", "milk", "sand", "ice") and backdrop != "outdoor"
    N["table_dist"] = float(nz.uniform(1.3, 2.6))
    N["table_yaw"] = float(nz.uniform(-25, 25))
    N["table_height"] = float(nz.uniform(0.8, 1.5))
    N["table_front"] = [float(c) for c in _pick(nz, [(0.5, 0.34, 0.2), (0.4, 0.4, 0.42), (0.75, 0.74, 0.7)])]
    N["floor"] = [float(c) for c in _pick(nz, [(0.3, 0.3, 0.3), (0.4, 0.3, 0.2), (0.15, 0.15, 0.16)])]
    N["window"] = {"x": float(nz.uniform(-1.5, 0.5)), "w": float(nz.uniform(1.0, 2.2)), "y": float(nz.uniform(0.5, 1.2)),
                   "h": float(nz.uniform(1.0, 2.0)), "gain": float(nz.uniform(1.5, 3.0)), "phase": float(nz.uniform(0, 6.28)),
                   "transom": float(nz.uniform(0.35, 0.7))}
    # light
    N["key_az"] = float(nz.uniform(-150, 150))
    N["key_el"] = float(nz.uniform(22, 70))
    N["key_temp"] = float(nz.uniform(-1, 1))
    N["key_gain"] = float(nz.uniform(1.3, 2.6))
    N["fill_ratio"] = float(nz.uniform(0.08, 0.45))
    N["ambient"] = float(nz.uniform(0.08, 0.25)) if backdrop != "outdoor" else float(nz.uniform(0.25, 0.45))
    N["softness"] = float(nz.uniform(0.3, 1.5))
    hz = float(nz.uniform(0.7, 0.88))
    N["sky"] = {"zenith": [float(nz.uniform(0.35, 0.55)), float(nz.uniform(0.5, 0.68)), float(nz.uniform(0.8, 0.95))],
                "horizon": [hz, min(1.0, hz * 1.02), min(1.0, hz * 1.08)],
                "overcast": bool(nz.random() < 0.4)}
    N["skyline"] = _pick(nz, ["trees", "buildings", "none"])
    N["skyline_h"] = float(nz.uniform(0.01, 0.06))
    N["skyline_p"] = [float(v) for v in nz.uniform(0, 6.28, 2)] + [float(nz.uniform(2, 7)), float(nz.uniform(5, 17))]
    # exposure
    blurred = bool(nz.random() < 0.5)
    N["exposure"] = {"mode": "blurred" if blurred else "crisp", "subframes": int(nz.integers(3, 7)) if blurred else 1,
                     "shutter": float(nz.uniform(0.05, 0.14)) if blurred else 0.0}
    N["gravity"] = float(nz.uniform(0.15, 0.4))
    # photo
    N["dof"] = float(nz.uniform(0.2, 1.0)) if nz.random() < 0.7 else 0.0
    N["post"] = {"key": float(math.exp(nz.uniform(math.log(0.08), math.log(0.4)))),
                 "gain": float(math.exp(nz.uniform(math.log(0.8), math.log(1.25)))), "bloom": float(nz.uniform(0.05, 0.3)),
                 "wb": [float(v) for v in nz.uniform(0.9, 1.1, 3)], "vignette": float(nz.uniform(0.0, 0.35)),
                 "contrast": float(nz.uniform(0.15, 0.7)), "post_gain": float(nz.uniform(0.9, 1.15)),
                 "saturation": float(nz.uniform(0.85, 1.35)), "read_noise": float(nz.uniform(0.002, 0.009)),
                 "shot_noise": float(nz.uniform(0.004, 0.022)),
                 "jpeg": int(nz.integers(60, 96)) if nz.random() < 0.5 else 0}
    N["tiles_seed"] = int(nz.integers(0, 2 ** 31))
    N["noise_seed"] = int(nz.integers(0, 2 ** 31))
    return N


def _setup(scene, N, h, w):
    """Camera, impact point, 3-D impact direction and lights from the nuisance draws."""
    s = min(h, w)
    f = 0.5 * w / math.tan(math.radians(N["fov_deg"]) / 2)
    cx = float(round(N["impact_frac"][0] * (w - 1)))
    cy = float(round(N["impact_frac"][1] * (h - 1)))
    ppu = 0.5 * N["scale"] * s  # pixels per world unit at the impact (event radius = 1)
    if N["mode"] == "through" and N["H0"] > 0:
        ppu = min(ppu, (0.96 * h - cy) / (N["H0"] + 0.08))
        ppu = max(ppu, 0.06 * s)
    th = math.radians(N["pitch"])
    a = np.array([0.0, -math.sin(th), -math.cos(th)])
    P0 = np.array([0.0, N["H0"], 0.0])
    D = f / ppu
    cam = Camera(w, h, f, cx, cy, P0 - D * a, a)
    d2 = np.asarray(scene.physics.impact_direction, float)
    d2 = d2 / np.linalg.norm(d2)
    e3 = d2[0] * cam.r - d2[1] * cam.u
    kind = N["target"]
    if N["mode"] == "ground":
        if abs(d2[0]) < 0.05 and d2[1] > 0:
            beta = th  # exactly a vertical fall
        else:
            desc = math.radians(40.0 if kind == "sand" else 20.0 if kind == "pool" else 35.0)
            A_ = d2[1] * math.cos(th)
            B_ = math.sin(th)
            R_ = math.hypot(A_, B_)
            phi = math.atan2(A_, B_)
            beta = math.asin(max(-1.0, min(1.0, math.sin(desc) / max(R_, 1e-6)))) - phi
            beta = max(-math.radians(70), min(math.radians(70), beta))
    else:
        beta = math.radians(N["appearance"].get("beta", 0.0))
    d3 = unit(math.cos(beta) * e3 + math.sin(beta) * cam.a)
    # lights
    az, el = math.radians(N["key_az"]), math.radians(N["key_el"])
    key = np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
    fill = np.array([-math.sin(az) * math.cos(0.3), math.sin(0.3), math.cos(az) * 0.5 + 0.6])
    t = N["key_temp"]
    kc = np.array([1 + 0.12 * t, 1.0, 1 - 0.15 * t]) * N["key_gain"]
    fc = np.array([1 - 0.05 * t, 1.0, 1 + 0.08 * t]) * N["key_gain"] * N["fill_ratio"]
    if N["backdrop"] == "outdoor":
        sky = np.asarray(N["sky"]["zenith"]) * N["ambient"] * 1.6
        if N["sky"]["overcast"]:
            sky = np.full(3, N["ambient"] * 1.3)
            kc = kc * 0.45
    else:
        sky = np.full(3, N["ambient"])
    gnd = np.asarray(N["support_colour"]) ** 2 * N["ambient"] * 0.6
    env_col = (np.asarray(N["wall_colour"]) ** 2 * (N["key_gain"] * 0.5 + N["ambient"]) if N["backdrop"] != "outdoor"
               else np.asarray(N["sky"]["horizon"]) ** 2 * 1.2)
    L = Lights(cam, key, kc, fill, fc, sky, gnd, env_col)
    return cam, P0, d2, d3, L, ppu, beta


def _lin(c):
    """Design colour (display values) -> linear radiance factor (gamma 2)."""
    return (np.asarray(c, float) ** 2).tolist()


def _env(N, cam, P0, support_override, ripple):
    """Background description for render_background (colours converted to linear)."""
    env = {"backdrop": N["backdrop"]}
    yaw = math.radians(N["wall_yaw"])
    nw = np.array([math.sin(yaw), 0.0, math.cos(yaw)])  # facing the camera (camera at +z)
    env["wall_n"] = nw
    env["wall_p"] = P0 * [1, 0, 1] - nw * N["wall_dist"]
    env["wall"] = {"colour": _lin(N["wall_colour"]), "colour2": _lin(N["wall_colour2"]), "scale": N["wall_scale"]}
    sup = support_override or N["support_kind"]
    sp = {"kind": sup, "colour": _lin(N["support_colour"]), "colour2": _lin(N["support_colour2"]), "rot": N["support_rot"],
          "scale": N["support_scale"]}
    if sup in ("water", "milk"):
        sp.update(gloss=1.0, F0=0.02 if sup == "water" else 0.03, ks=1.5, shin=200)
        env["ripple_fn"] = ripple
    elif sup == "ice":
        sp.update(kind="concrete", gloss=0.6, F0=0.04, ks=1.0, shin=120)
        sp["colour"] = _lin((0.55, 0.63, 0.7))
        env["ripple_fn"] = ripple
    elif sup == "steel":
        sp.update(gloss=0.5, F0=0.35, ks=0.8, shin=40)
    elif sup in ("tiles", "laminate"):
        sp.update(gloss=0.25, F0=0.05, ks=0.5, shin=80)
    elif sup == "wood":
        sp.update(gloss=0.12, F0=0.04, ks=0.25, shin=30)
    else:
        sp.update(gloss=0.0, ks=0.0)
    env["support"] = sp
    hot = env["wall_p"] + UP * 1.2 + np.array([math.cos(yaw), 0, -math.sin(yaw)]) * (0.8 if N["key_az"] > 0 else -0.8)
    env["hotspot"] = hot
    env["hot_r"] = 1.5 * N["wall_scale"]
    if N["table"]:
        ty = math.radians(N["table_yaw"])
        ne = np.array([math.sin(ty), 0.0, math.cos(ty)])
        env["table"] = {"n": ne, "p": P0 * [1, 0, 1] + ne * N["table_dist"], "height": N["table_height"],
                        "front_colour": _lin(N["table_front"]), "floor_colour": _lin(N["floor"])}
    wn = N["window"]
    env["window"] = {"rect": (wn["x"], wn["x"] + wn["w"], wn["y"], wn["y"] + wn["h"]), "gain": wn["gain"],
                     "phase": wn["phase"], "bar": 0.035, "transom": wn["transom"], "frame": _lin((0.9, 0.9, 0.88)),
                     "tree": _lin((0.2, 0.26, 0.18))}
    sk = N["sky"]
    env["sky_zenith"] = _lin(sk["zenith"] if not sk["overcast"] else [0.75, 0.77, 0.8])
    env["sky_horizon"] = _lin(sk["horizon"] if not sk["overcast"] else [0.85, 0.86, 0.88])
    az, el = math.radians(N["key_az"]), math.radians(N["key_el"])
    env["sun_dir"] = np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
    env["sun_glow"] = [0.6, 0.5, 0.35] if not sk["overcast"] else [0.05, 0.05, 0.05]
    env["haze_dist"] = 30.0 + 4.0 * float(np.linalg.norm(cam.C - P0))
    if N["skyline"] != "none":
        p = N["skyline_p"]
        env["skyline"] = {"kind": N["skyline"], "h": N["skyline_h"], "f1": p[2], "f2": p[3], "p1": p[0], "p2": p[1],
                          "colour": _lin((0.3, 0.36, 0.32) if N["skyline"] == "trees" else (0.5, 0.52, 0.56))}
    return env


def _roi(cam, pts_uv, pad, h, w):
    if pts_uv is None or len(pts_uv) == 0:
        return None
    lo = np.floor(np.min(pts_uv, axis=0) - pad).astype(int)
    hi = np.ceil(np.max(pts_uv, axis=0) + pad).astype(int)
    x0, y0 = max(0, lo[0]), max(0, lo[1])
    x1, y1 = min(w, hi[0] + 1), min(h, hi[1] + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _event_points(ev, impactors, dts):
    pts = []
    for dt in dts:
        if ev.pieces.n:
            V, _, _ = ev.pieces.at(dt)
            pts.append(V.reshape(-1, 3))
        if ev.drops.n:
            pts.append(ev.drops.at(dt, ev.g))
        if ev.grains.n:
            pts.append(ev.grains.at(dt, ev.g))
        for t in ev.tubes:
            pts.append(np.stack([t["p1"], t["p2"]]) + t.get("v", 0) * dt)
        for f in ev.faces:
            pts.append(f["verts"] + f.get("v", 0) * dt)
        for ln in ev.lines:
            pts.append(ln["pts"])
        for fn in impactors:
            pts.append(fn.pos[None])
    return np.concatenate(pts) if pts else np.zeros((0, 3))


def _render(scene, seed, labels, shape, want_layers):
    labels = check_labels(labels)
    h, w = int(shape[0]), int(shape[1])
    ev_key, nz_key = _keys(scene, seed, labels, h, w)
    ev_rng = _rng(ev_key)
    nz = _rng(nz_key)
    N = draw_nuisance(scene, nz, h, w)
    cam, P0, d2, d3, L, ppu, beta = _setup(scene, N, h, w)
    kind = N["target"]
    phase = labels["phase"]
    sym = labels["symmetric"]
    plaus = labels["plausible"]
    tiles_rng = np.random.default_rng(N["tiles_seed"])
    tiles = [noise_tile(tiles_rng), noise_tile(tiles_rng, sigma=1.0), noise_tile(tiles_rng, sigma=0.7)]
    shadows = Shadows(cam, L, N["softness"])

    # ---- the event (label stream)
    vertical = abs(d2[0]) < 0.05
    M = None
    if phase == "transitional":
        M = Mirror(cam, d2)
    elif phase == "end":
        M = Mirror(cam, d2 if vertical else np.array([0.0, 1.0]))
    imp_mode = "isotropic" if ev_rng.random() < 0.5 else "uprange"
    tang = None
    if N["mode"] == "ground":
        th_ = d3 - (d3 @ UP) * UP
        if np.linalg.norm(th_) > 0.3:
            tang = unit(th_)
    fr = {"mode": N["mode"], "d3": d3, "d2": d2, "cam": cam, "tang": tang}
    tau_range = scene.physics.fragment_size_exponent or (1.3, 2.0)

    class Ctx:
        pass
    ctx = Ctx()
    ctx.ev, ctx.cam, ctx.L, ctx.P0, ctx.d3, ctx.d2 = ev_rng, cam, L, P0, d3, d2
    ctx.phase, ctx.sym, ctx.plaus, ctx.M, ctx.fr = phase, bool(sym), bool(plaus), M, fr
    ctx.tau_range, ctx.imp_mode, ctx.shadows, ctx.g = tau_range, imp_mode, shadows, N["gravity"]
    build = BUILDERS[kind](ctx, N["appearance"])
    ev = build.event
    ev.g = N["gravity"]
    if sym:
        ev.mirror_all(M)
    shadow_pieces(ctx, build)

    # ---- context props (nuisance): drawn now so they cast their shadows
    liquid = (build.support or N["support_kind"]) in ("water", "milk")
    props = context_props(nz, 1.0, P0, cam, {"backdrop": N["backdrop"], **_env(N, cam, P0, build.support, build.ripple)}, liquid)
    z0 = float(cam.cam(P0)[2])
    masks = ("structure", "object", "context", "pieces", "impactor") if want_layers else ()
    far_cv = near_cv = None
    for pr in props:
        zz = float(cam.cam(np.asarray(pr["pos"]))[2])
        if zz > z0 + 0.6:
            far_cv = far_cv or Canvas(0, 0, w, h, masks)
            draw_prop(far_cv, cam, L, pr, shadows, {"context": 1.0} if want_layers else None)
        else:
            near_cv = near_cv or Canvas(0, 0, w, h, masks)
            draw_prop(near_cv, cam, L, pr, shadows, {"context": 1.0} if want_layers else None)

    # ---- background, shadows, depth of field
    env = _env(N, cam, P0, build.support, build.ripple)
    bg = render_background(cam, L, env, tiles)
    shadows.apply(bg, ppu / 60.0)
    if far_cv is not None:
        rgb, a = far_cv.resolve()
        composite(bg["rgb"], rgb, a, 0, 0)
        zf = z0 + 1.0
        bg["depth"] = np.where(a > 0.5, zf, bg["depth"])
    depth_of_field(bg, z0, N["dof"], 0.012 * min(h, w))
    img = bg["rgb"]
    layer_masks = {k: np.zeros((h, w), F32) for k in masks}

    def take_masks(cv):
        if want_layers:
            for k, m in cv.resolve_masks().items():
                sub = layer_masks[k][cv.y0:cv.y1, cv.x0:cv.x1]
                if k == "pieces":
                    np.copyto(sub, m, where=m > 0)
                else:
                    np.maximum(sub, m, out=sub)

    if near_cv is not None:
        rgb, a = near_cv.resolve()
        composite(img, rgb, a, 0, 0)
        take_masks(near_cv)
    if far_cv is not None:
        take_masks(far_cv)

    # ---- the event: pieces behind the object, the object, pieces in front of it
    ex = N["exposure"]
    K = ex["subframes"] if phase != "end" else 1
    dts = [0.0] if K == 1 else list(np.linspace(-0.5, 0.5, K) * ex["shutter"])
    zsplit = build.obj_depth
    pts = _event_points(ev, build.impactor, dts)
    uvp = cam.proj(pts)[0] if len(pts) else None
    roi = _roi(cam, uvp, 6 + 0.02 * ppu, h, w) if uvp is not None else None
    groups = [("back", lambda z: z > zsplit)] if zsplit is not None else []
    for gname, sel in groups + [("object", None), ("front", (lambda z: z <= zsplit) if zsplit is not None else None)]:
        if gname == "object":
            if build.objects:
                ocv = Canvas(0, 0, w, h, masks)
                for fn in build.objects:
                    fn(ocv, cam, L, want_layers)
                rgb, a = ocv.resolve()
                composite(img, rgb, a, 0, 0)
                take_masks(ocv)
            continue
        if roi is None:
            continue
        cv = Canvas(*roi)
        fine = gname == "front"
        if len(dts) == 1:
            draw_event(cv, cam, L, ev, 0.0, False, sel, fine=fine, impactors=build.impactor)
        else:
            # elements at rest once, moving ones at every sub-frame, averaged over the exposure
            st = Canvas(*roi)
            draw_event(st, cam, L, ev, 0.0, False, sel, fine=fine, impactors=build.impactor, motion="static")
            acc_rgb = np.zeros_like(cv.rgb)
            acc_a = np.zeros_like(cv.a)
            sub = float(dts[1] - dts[0])
            for dt in dts:
                cv.clear()
                draw_event(cv, cam, L, ev, dt, False, sel, fine=fine, impactors=build.impactor, motion="moving", sub=sub)
                acc_rgb += cv.rgb
                acc_a += cv.a
            ma = acc_a / len(dts)
            cv.rgb = acc_rgb / len(dts) + (1.0 - ma)[..., None] * st.rgb
            cv.a = ma + (1.0 - ma) * st.a
        rgb, a = cv.resolve()
        composite(img, rgb, a, roi[0], roi[1])
        if want_layers:
            mcv = Canvas(*roi, masks=masks)
            draw_event(mcv, cam, L, ev, 0.0, True, sel, fine=(gname == "front"), impactors=build.impactor)
            take_masks(mcv)
    if want_layers and build.ripple is not None and getattr(build, "ripple_structure", False):
        # rings on the liquid are event structure: where the ripple slope is marked
        xs = (np.arange(w, dtype=F32) - F32(cam.cx)) / F32(cam.f)
        ys = (np.arange(h, dtype=F32) - F32(cam.cy)) / F32(cam.f)
        R = cam.R.astype(F32)
        D = xs[None, :, None] * R[0] + ys[:, None, None] * R[1] + R[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            tg = np.where(D[..., 1] < -1e-6, -F32(cam.C[1]) / D[..., 1], 0).astype(F32)
        X = F32(cam.C[0]) + tg * D[..., 0]
        Z = F32(cam.C[2]) + tg * D[..., 2]
        fp = np.maximum(tg / F32(cam.f) / np.clip(-D[..., 1], 0.03, 1), 1e-5)
        gx, gz = build.ripple(X, Z, fp)
        rip = (np.hypot(gx, gz) > 0.08) & bg["ground"] & (tg > 0)
        np.maximum(layer_masks["structure"], rip.astype(F32), out=layer_masks["structure"])
    haze_a = draw_haze(img, cam, ev, dts, ppu)
    if want_layers and haze_a is not None:
        np.maximum(layer_masks["structure"], np.clip((haze_a - 0.1) * 3, 0, 1), out=layer_masks["structure"])

    out = finish(img, N["post"], np.random.default_rng(N["noise_seed"]))

    # ---- truth
    areas = np.asarray(build.truth.get("areas", []), float)
    if sym and len(areas):
        areas = np.concatenate([areas, areas])
    A_px = areas * ppu * ppu
    law = build.truth.get("law_range")
    n_air = int(ev.pieces.airborne.sum() if ev.pieces.n else 0) + int(ev.drops.airborne.sum() if ev.drops.n and ev.drops_are_pieces else 0)
    n_pieces = int(ev.pieces.n + (ev.drops.n if ev.drops_are_pieces else 0))
    bbox = None
    if len(pts):
        uv_s = cam.proj(_event_points(ev, [], [0.0]))[0] if (ev.pieces.n or ev.drops.n or ev.faces or ev.lines or ev.tubes or ev.grains.n) else None
        if uv_s is not None and len(uv_s):
            bbox = [float(np.clip(uv_s[:, 0].min(), 0, w - 1)), float(np.clip(uv_s[:, 1].min(), 0, h - 1)),
                    float(np.clip(uv_s[:, 0].max(), 0, w - 1)), float(np.clip(uv_s[:, 1].max(), 0, h - 1))]
    angles = []
    if phase == "transitional":
        vs = []
        if ev.pieces.n:
            vs.append(ev.pieces.v[ev.pieces.airborne])
        if ev.drops.n and ev.drops_are_pieces:
            vs.append(ev.drops.v[ev.drops.airborne])
        if vs:
            V = np.concatenate(vs)
            q = V @ cam.R.T
            ok = np.hypot(q[:, 0], q[:, 1]) > 1e-6
            cosang = (q[ok, 0] * d2[0] + q[ok, 1] * d2[1]) / np.hypot(q[ok, 0], q[ok, 1])
            angles = np.degrees(np.arccos(np.clip(cosang, -1, 1))).round(1).tolist()
    sym_truth = None
    if sym:
        regular = bool(build.truth.get("cracks", {}).get("regular_star") or build.truth.get("crown", {}).get("regular"))
        sym_truth = {"kind": "mirror", "fold": 1, "axis_point_px": [cam.cx, cam.cy], "axis_dir": [float(M.axis2d[0]), float(M.axis2d[1])],
                     "axis_angle_deg": float(math.degrees(math.atan2(M.axis2d[1], M.axis2d[0]))),
                     "axis_along": "impact direction" if (phase == "transitional" or vertical) else "vertical (pieces at rest)",
                     "n_fold_look": regular}
    ejecta = None
    if phase != "pre":
        if plaus:
            ejecta = "downrange cone" if N["mode"] == "through" else ("outward, downrange-biased" if tang is not None else "outward curtain")
        else:
            ejecta = imp_mode
    truth = {
        "source": NAME, "version": VERSION, "scene_id": scene.id, "scene_version": scene.version, "seed": int(seed),
        "shape": [h, w], "labels": dict(labels),
        "impact_point_px": [cam.cx, cam.cy], "impact_point_frac": [cam.cx / max(w - 1, 1), cam.cy / max(h - 1, 1)],
        "direction": [float(d2[0]), float(d2[1])], "direction_3d": d3.tolist(), "mode": N["mode"], "target": kind,
        "symmetry": sym_truth, "fold": (1 if sym else None), "axis": (sym_truth["axis_dir"] if sym_truth else None),
        "tau": build.truth.get("tau") if plaus else None, "tau_range": list(tau_range),
        "law_range_px": ([law[0] * ppu * ppu, law[1] * ppu * ppu] if (plaus and law) else None),
        "fragment_areas": A_px.tolist(), "n_pieces": n_pieces, "in_flight": bool(n_air > 0), "n_in_flight": n_air,
        "ejecta": ejecta, "ejecta_angle_deg": angles, "junctions": build.truth.get("cracks", {}).get("junctions") if phase != "pre" else None,
        "worthington_jet": build.truth.get("worthington_jet"),
        "exposure": ex, "event_bbox": bbox, "px_per_unit": float(ppu),
        "camera": {"f": cam.f, "pitch_deg": N["pitch"], "fov_deg": N["fov_deg"], "distance": float(np.linalg.norm(cam.C - P0)),
                   "beta_deg": float(math.degrees(beta))},
        "extra": {k: v for k, v in build.truth.items() if k not in ("areas", "law_range", "tau")},
        "nuisance": {k: v for k, v in N.items() if k not in ("tiles_seed", "noise_seed")},
        "props": props,
        "rng": {"event_key": ev_key, "nuisance_key": nz_key},
    }
    truth = _py(truth)
    if not want_layers:
        return out, truth, None
    layers = {k: np.clip(v, 0, 1).astype(F32) for k, v in layer_masks.items() if k != "pieces"}
    layers["pieces"] = layer_masks["pieces"].astype(np.int32)
    return out, truth, layers


def render(scene, seed: int, *, labels: dict, shape: tuple[int, int]):
    """One labelled image: (uint8 H x W x 3 RGB, truth dict)."""
    img, truth, _ = _render(scene, seed, labels, shape, False)
    return img, truth


def render_layers(scene, seed: int, *, labels: dict, shape: tuple[int, int]) -> dict:
    """The image, its truth and float32 masks in [0, 1]: ``structure`` (the event's
    structure), ``object`` (the target body), ``context`` (props), ``impactor``, and
    ``pieces`` (int32 label image of detached pieces and droplets)."""
    img, truth, layers = _render(scene, seed, labels, shape, True)
    out = {"image": img, "truth": truth}
    out.update(layers)
    return out

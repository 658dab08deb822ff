"""``sim``: labelled images from small physical simulations, composited into
photographic scenes seen from above (top-down or oblique, sometimes low).

* fracture - a brittle sheet (window pane, wine-glass bowl, bottle side, ceramic
  plate, pond ice): radial cracks from the impact point, concentric cracks that
  end on them (T, staggered) or closed rings across them (X), a hole whose area
  is that of the detached pieces, pieces on ballistic paths (power-law or equal
  areas); see :mod:`bench.sources._sim_fracture`.
* impact - a granular bed (crater with raised rim, Maxwell Z-model ejecta
  curtain) or a solid body (egg, pumpkin, ice block, concrete) with a crushed
  zone, cracks and debris; see :mod:`bench.sources._sim_impact`.
* fluid - a drop / stone / balloon into a liquid: crown sheet with
  Rayleigh-Plateau fingers, droplets pinching off and flying, ripples and settled
  drops afterwards; the implausible composite adds a Worthington jet to a rising
  crown; see :mod:`bench.sources._sim_fluid`.

Labels follow docs/labels.md.  Two random streams: the nuisance stream (scene
setting, camera, light, context, exposure, event scale and position, object
appearance) is seeded from SHA-256 of the source, version, scene, seed and
shape *without* the labels, so the eight label combinations of one seed share
one photographic setting (a paired design: no nuisance draw can follow a
label); the event stream (crack angles, sizes, directions...) is seeded from
SHA-256 of source, version, scene, seed, labels and shape as the contract says.
"""

from __future__ import annotations

import hashlib
import math

import cv2
import numpy as np

from bench.sources import check_labels
from bench.sources import _sim_common as C
from bench.sources import _sim_world as Wd

NAME = "sim"
VERSION = 1

F32 = np.float32


def _rng(scene, seed, labels, shape, stream=""):
    h, w = shape
    key = f"realgap-{NAME}|v{VERSION}|{scene.id}|{scene.version}|{seed}|{labels}|{h}x{w}"
    if stream:
        key += f"|{stream}"
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))


FAMILIES = ("fracture", "impact", "fluid")


def _family(fam):
    import importlib

    if fam not in FAMILIES:
        raise ValueError(f"scene.family: expected one of {', '.join(FAMILIES)}; got {fam!r}")
    return importlib.import_module(f"bench.sources._sim_{fam}")


GROUNDS = {
    "fracture": ["wood", "wood", "concrete", "stone", "tiles", "fabric", "studio", "metal"],
    "impact": ["tiles", "concrete", "wood", "stone", "asphalt", "grass", "studio"],
    "fluid": ["wood", "stone", "tiles", "studio", "fabric", "metal"],
}


def _nuisance(rng, scene, h, w):
    """Every label-free draw of one image (returned in the truth)."""
    fam = scene.family
    ph = scene.physics
    m = min(h, w)
    n = {}
    # event scale: from a small event in a large scene (~15 % of the frame) to filling it
    n["scale"] = float(math.exp(rng.uniform(math.log(0.085), math.log(0.5))))
    R = n["R_ev"] = n["scale"] * m
    # position: the scene's impact point, jittered; default near the centre
    if ph.impact_point is not None:
        px, py = ph.impact_point
        px, py = px + rng.normal(0, 0.05), py + rng.normal(0, 0.05)
    else:
        px, py = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)
    n["p0"] = (float(np.clip(px, 0.12, 0.88) * w), float(np.clip(py, 0.12, 0.88) * h))
    # camera: top-down .. oblique; strong obliques only when 'up' on screen is against the impact direction
    d = ph.impact_direction
    low_ok = d[1] > 0.85
    pitch = rng.uniform(25, 90) if (low_ok and rng.random() < 0.6) else rng.uniform(58, 90)
    n["pitch_deg"] = float(pitch)
    n["f"] = float(math.sin(math.radians(pitch)))
    n["c"] = float(math.cos(math.radians(pitch)))
    n["kappa"] = float(rng.uniform(0.0, 0.6) * n["c"])
    n["S"] = float(R / rng.uniform(1.2, 3.0))  # texture / world scale (px per 'decimetre')
    n["ground"] = str(rng.choice(GROUNDS[fam]))
    n["window_light"] = bool(rng.random() < 0.3)
    n["table_edge"] = bool(rng.random() < 0.45)
    n["wall"] = bool(rng.random() < 0.7)
    n["n_context"] = int(rng.integers(0, 5))
    n["exposure"] = str(rng.choice(["flash", "short", "long"], p=[0.35, 0.3, 0.35]))
    n["dtau"] = float({"flash": 0.0, "short": rng.uniform(0.015, 0.035), "long": rng.uniform(0.06, 0.14)}[n["exposure"]])
    n["dof"] = float(rng.uniform(1.0, 3.5) if rng.random() < 0.55 else 0.0)
    temp = rng.choice(["warm", "neutral", "cool", "mixed"])
    k = rng.uniform(0.03, 0.12)
    n["tint"] = {"warm": (1 + k, 1.0, 1 - k), "neutral": (1.0, 1.0, 1.0), "cool": (1 - k, 1.0, 1 + k), "mixed": (1 + k / 2, 1 - k / 3, 1.0)}[str(temp)]
    n["tint"] = tuple(float(x) for x in n["tint"])
    n["gain"] = float(rng.uniform(0.78, 1.22))
    n["vignette"] = float(rng.uniform(0.0, 0.45))
    n["gradient"] = (float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.3, 0.3)))
    n["noise"] = (float(math.exp(rng.uniform(math.log(2e-4), math.log(4e-3)))), float(math.exp(rng.uniform(math.log(1e-6), math.log(1.5e-4)))))
    n["shoulder"] = float(rng.uniform(0.0, 0.35))
    n["jpeg"] = int(rng.integers(70, 96)) if rng.random() < 0.5 else None
    # event amounts that must not follow the labels
    n["A_tot"] = float(R * R * rng.uniform(0.07, 0.12))  # ground area of the detached matter
    n["n_pieces"] = int(np.clip(round(R * rng.uniform(0.3, 0.5)), 20, 90))
    n["cone"] = float(math.radians(rng.uniform(18, 33)))  # image half-angle of the downrange cone
    n["impactor_shown"] = bool(rng.random() < 0.5)
    n["ink"] = float(rng.uniform(0.85, 1.15))
    fam_n = _family(fam).nuisance(rng, scene, n)
    n.update(fam_n)
    return n


# Ink of the event's non-piece structure (cracks, hole, crater, crown, ripples): the
# sums of the brighter and darker grey-level change it makes, ~ k R^e per material
# (R = event radius, px), fitted over all label combinations of the bundled scenes
# (k_pos, e_pos, k_neg, e_neg).  Each image's structure is rescaled to these
# label-free amounts (times a nuisance factor), so transitional / end and
# plausible / implausible structures carry the same ink (docs/labels.md: nuisance).
INK = {
    "bottle": (2.7729, 1.097, 0.2707, 1.444),
    "plate": (0.001053, 1.939, 0.88571, 1.465),
    "ice": (23.447, 1.0, 0.014206, 2.0),
    "pane": (6.1454, 1.0, 0.97077, 1.0),
    "glass": (4.4072, 1.0, 0.011359, 2.0),
    "concrete": (0.00017496, 1.0, 0.15313, 1.765),
    "egg": (0.077267, 1.0, 0.12191, 1.866),
    "ice_block": (0.83518, 1.124, 0.0010217, 2.0),
    "sand": (0.0045858, 2.0, 0.041624, 1.893),
    "pumpkin": (0.55735, 1.0, 0.024963, 1.657),
    "milk": (0.071536, 1.859, 0.11218, 1.911),
    "pond": (0.22127, 1.781, 0.0099284, 2.0),
    "lake": (0.15044, 1.942, 1.3936, 1.0),
    "pool": (1.0716, 1.264, 0.060652, 1.626),
    "sea": (3.4084, 1.093, 0.030702, 2.0),
    "coffee": (0.071536, 1.859, 0.11218, 1.911)
}


def ink_targets(material, nus):
    k_p, e_p, k_n, e_n = INK.get(material, (1.0, 1.0, 1.0, 1.0))
    R = nus["R_ev"]
    return k_p * R**e_p * nus["ink"], k_n * R**e_n * nus["ink"]


def _bbox(mask):
    ys, xs = np.nonzero(mask > 0.1)
    if len(xs) == 0:
        return None
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def _normalise_ink(img, base, targets, mask_region=None):
    """Scale the structure's change of the picture so its brighter and darker parts carry
    label-independent amounts of 'ink' (sum over pixels of the grey-level change)."""
    delta = img - base
    g = delta.mean(axis=2)
    pos = float(np.clip(g, 0, None).sum())
    neg = float(np.clip(-g, 0, None).sum())
    if targets is None:
        return img, {"ink_pos": pos, "ink_neg": neg, "scale_pos": 1.0, "scale_neg": 1.0}
    tp, tn = targets
    sp = float(np.clip(tp / pos, 0.33, 3.0)) if pos > 1e-6 else 1.0
    sn = float(np.clip(tn / neg, 0.33, 3.0)) if neg > 1e-6 else 1.0
    wpos = (g > 0)[..., None]
    scaled = np.where(wpos, delta * F32(sp), delta * F32(sn))
    return (base + scaled).astype(F32), {"ink_pos": pos, "ink_neg": neg, "scale_pos": sp, "scale_neg": sn}


def _impactor_piece(plan, rng, phase, nus, view):
    r, kind = plan.impactor(rng)
    if kind is None:
        return None, None
    R = nus["R_ev"]
    cols = {"ball": (0.93, 0.91, 0.86), "steel": (0.62, 0.64, 0.68), "stone": (0.42, 0.4, 0.37), "bullet": (0.72, 0.55, 0.25), "drop": (0.85, 0.88, 0.92), "rock": (0.4, 0.38, 0.35), "balloon": (0.8, 0.08, 0.08), "meteor": (0.25, 0.22, 0.2), "hammer": (0.45, 0.46, 0.5), "egg": (0.93, 0.86, 0.74), "pumpkin": (0.9, 0.45, 0.08)}
    col = cols.get(kind, (0.5, 0.5, 0.5))
    t = np.linspace(0, 2 * math.pi, 22, endpoint=False)
    poly = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    if kind in ("egg",):
        poly[:, 0] *= 1.25
    dt = nus["dtau"]
    if phase == "pre":
        z = R * rng.uniform(0.35, 1.0)
        a = -R * rng.uniform(0.0, 0.35)
        p = C.Piece(poly, math.pi * r * r, a, 0.0, z, R * 0.4 * dt, 0.0, -R * 1.2 * dt, col, 1.0, (0, 0), 0.7, rest=False, sphere=True, thick=r)
    elif phase == "transitional":
        p = C.Piece(poly, math.pi * r * r, R * 0.05, 0.0, r * 0.6, R * 0.2 * dt, 0.0, -R * 0.6 * dt, col, 1.0, (0, 0), 0.7, rest=False, sphere=True, thick=r)
    else:
        p = C.Piece(poly, math.pi * r * r, R * rng.uniform(0.1, 0.35), 0.0, 0.0, col=col, op=1.0, gloss=0.7, rest=True, sphere=True, thick=r)
    p.d = 1e9  # the impactor is not lifted by the ejecta cap
    return p, kind


def _render(scene, seed, labels, shape):
    labels = check_labels(labels)
    h, w = int(shape[0]), int(shape[1])
    if not (16 <= h <= 4096 and 16 <= w <= 4096):
        raise ValueError(f"shape: expected (H, W) with sides in 16..4096; got {shape!r}")
    fam = scene.family
    mod = _family(fam)
    rng_n = _rng(scene, seed, "nuisance", (h, w))  # label-free: the photographic setting
    rng_o = _rng(scene, seed, "object", (h, w))  # label-free: the target's appearance
    rng_e = _rng(scene, seed, labels, (h, w))  # the event itself
    nus = _nuisance(rng_n, scene, h, w)
    R = nus["R_ev"]
    view = Wd.View(h, w, nus["p0"], scene.physics.impact_direction, nus["f"], nus["c"], nus["kappa"])
    light = Wd.Light(rng_n)
    nz = Wd.Noise(rng_n)
    nus["noise_obj"] = Wd.Noise(rng_o)
    S = nus["S"]
    # ---- the setting
    alb, bump, gloss = Wd.ground(nus["ground"], view, rng_n, nz, S)
    img = Wd.shade_ground(alb, bump, gloss, view, light, rng_n)
    exclude = R * 1.25
    if nus["window_light"]:
        img, _ = Wd.window_light(img, view, rng_n, S)
    indoor = nus["ground"] not in ("sand", "grass", "asphalt")
    if nus["table_edge"] and indoor:
        img, _ = Wd.table_edge(img, view, rng_n, nz, S, exclude)
    if nus["wall"] and indoor:
        img, _ = Wd.wall(img, view, rng_n, nz, S, exclude, light)
    img = np.ascontiguousarray(img, dtype=F32)
    px, py = int(np.clip(nus["p0"][0], 0, w - 1)), int(np.clip(nus["p0"][1], 0, h - 1))
    r_ = max(2, int(R * 0.3))
    nus["support_colour"] = [float(x) for x in np.clip(img[max(0, py - r_) : py + r_ + 1, max(0, px - r_) : px + r_ + 1].reshape(-1, 3).mean(0), 0, 1)]
    plan = mod.Plan(view, light, rng_e, nus, labels, scene, S)
    covers = getattr(plan, "covers", False)
    if not covers:
        img, ctx_mask = Wd.context_objects(img, view, light, rng_n, S, exclude, nus["n_context"])
    support = img.copy()
    # ---- the event
    obj_mask = plan.paint_object(img, support, rng_o)
    if covers:  # the target fills the frame (open water, pond ice): only things that float / lie on it
        img, ctx_mask = Wd.context_objects(img, view, light, rng_n, S, exclude, nus["n_context"], ("pebble", "cable", "coin"))
        obj_mask = obj_mask * (1 - ctx_mask)
    structure = np.zeros((h, w), F32)
    pieces_lab = np.zeros((h, w), np.int32)
    ink = None
    pieces = []
    steps = 1
    if labels["phase"] != "pre":
        base = img.copy()
        smask = plan.paint_structure(img, rng_e)
        img, ink = _normalise_ink(img, base, ink_targets(plan.mat_name, nus))
        structure = np.maximum(structure, smask)
        pieces = plan.pieces
        steps = C.exposure_steps(pieces, view, nus)
        cov = C.render_pieces(img, view, light, pieces, steps, plan.look, labels_out=pieces_lab)
        structure = np.maximum(structure, cov)
        if hasattr(plan, "paint_over"):
            structure = np.maximum(structure, plan.paint_over(img, rng_e))
    imp = None
    if labels["phase"] == "pre" or (nus["impactor_shown"] and fam == "fracture"):
        imp, kind = _impactor_piece(plan, rng_o, labels["phase"], nus, view)
        if imp is not None:
            st = C.exposure_steps([imp], view, nus)
            C.render_pieces(img, view, light, [imp], st, C.PieceLook(bevel=0.5, sphere_hl=0.9))
            imp = kind
    out = Wd.finish(img, view, rng_n, nus)
    # ---- truth
    in_flight = [not p.rest for p in pieces]
    areas = [float(p.area * view.f) for p in pieces]
    u = view.u
    truth = {
        "source": NAME,
        "version": VERSION,
        "scene_id": scene.id,
        "seed": int(seed),
        "labels": dict(labels),
        "family": fam,
        "impact_point_px": [round(nus["p0"][0], 2), round(nus["p0"][1], 2)],
        "direction": [round(float(u[0]), 6), round(float(u[1]), 6)],
        "fold": None,
        "axis": None,
        "tau": None,
        "fragment_areas": [round(a, 3) for a in areas],
        "n_pieces": len(pieces),
        "in_flight": bool(any(in_flight)) if pieces else False,
        "n_in_flight": int(sum(in_flight)),
        "exposure": nus["exposure"],
        "exposure_steps": int(steps),
        "event_bbox": _bbox(structure),
        "impactor": imp,
        "ink": ink,
    }
    if labels["phase"] != "pre":
        sym = plan.sym
        truth["fold"] = "mirror" if sym == "mirror" else (int(plan.n_fold) if sym == "dn" else None)
        if sym != "none":
            truth["axis"] = {"point_px": truth["impact_point_px"], "direction": truth["direction"], "angle_deg": round(math.degrees(math.atan2(u[1], u[0])), 3)}
        truth["tau"] = plan.tau
        truth["size_ratio"] = plan.ratio
        truth["ejecta_direction"] = plan.direction
        truth["cone_half_angle_deg"] = round(math.degrees(nus["cone"]), 3) if plan.direction == "down" else None
        truth.update(plan.truth())
    truth["nuisance"] = {k: _jsonable(v) for k, v in nus.items() if k not in ("noise_obj",)}
    truth["nuisance"]["light"] = {"azimuth_deg": round(math.degrees(light.az), 3), "elevation_deg": round(math.degrees(light.el), 3), "ambient": round(light.amb, 4), "softness": round(light.soft, 4), "shadow": round(light.shadow, 4)}
    layers = {
        "image": out,
        "truth": truth,
        "structure": np.clip(structure, 0, 1).astype(F32),
        "object": np.clip(obj_mask, 0, 1).astype(F32),
        "context": np.clip(ctx_mask, 0, 1).astype(F32),
        "pieces": pieces_lab,
    }
    return layers


def _jsonable(v):
    if isinstance(v, (np.floating, float)):
        return round(float(v), 6)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def render(scene, seed: int, *, labels: dict, shape: tuple[int, int]) -> tuple[np.ndarray, dict]:
    """One labelled image: uint8 H x W x 3 RGB and its JSON-serialisable truth."""
    L = _render(scene, seed, labels, shape)
    return L["image"], L["truth"]


def render_layers(scene, seed: int, *, labels: dict, shape: tuple[int, int]) -> dict:
    """``render`` plus float32 masks in [0, 1] -- ``structure`` (the event's structure),
    ``object`` (the target body), ``context`` (context objects) -- and ``pieces``
    (int32 label image of the detached pieces and droplets, 0 = none)."""
    return _render(scene, seed, labels, shape)

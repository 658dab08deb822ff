"""``sidecam``: labelled images of fractures, impacts and splashes as a high-speed
*laboratory camera seen from the side* would record them: the camera roughly
horizontal, the support (bench top, pool surface) seen edge-on as a line across
the frame, the target held on a stand above it and the event in the air between.

Geometry.  Every event is built in a canonical lab frame: origin at the impact
point, gravity and the impactor's travel along +Y (down).  The image is this frame
rotated about the impact point so that +Y falls on the scene's image-plane
``impact_direction`` (x right, y down, used as given): no rotation for the usual
vertical impact ``[0, 1]``; a camera rolled by 90 degrees (a high-speed camera
turned on its side, common for tall fields of view) for ``[1, 0]``.  Because the
label contract (docs/labels.md) puts plausible ejecta *downrange* -- within about
70 degrees of the impact direction from the impact point -- the target is held
above the bench or pool (on posts, a ring stand or a pedestal) so that what the
impact throws forward goes on through and below it, as in the classic side-view
shadowgraphs of projectiles perforating plates (debris clouds, Piekutowski 1996)
and of drops on small targets (Villermaux & Bossa, JFM 668, 2011; Rozhkov,
Prunet-Foch & Vignes-Adler 2002).

* fracture -- a glass pane, tile or ceramic plate lying on two posts, its top face
  seen at a low angle.  pre: intact, a ball falling onto it.  transitional: a hole
  at the impact point, radial cracks still running (tips inside the plate), shards
  flying on ballistic paths, crisp or motion-blurred (exposure nuisance).  end:
  radial cracks reach the edges, concentric cracks complete, shards lie on the
  bench with contact shadows.  Physics: radial + concentric crack patterns of
  impacted plates (Vandenberghe, Vermorel & Villermaux, PRL 2013); concentric
  cracks stop on radial ones, T-junctions (Bohn et al. PRE 2005); power-law
  fragment areas n(A) ~ A^-tau, tau about 1.1-2 (Astrom & Timonen 1997, Kadono
  1997, Wittel et al. 2004); elongated shards (Domokos et al. 2015).
* impact -- a projectile into a slab (plaster, clay, foam, wet sand, ice) held on
  posts.  transitional: a crater on the top face with a raised lip, the exit notch
  (spall) on the underside, the projectile partly buried, a cloud of grains and
  chunks leaving downrange; end: crater and notch, cracks, a debris heap and grains
  at rest on the bench.  Physics: heavy-tailed debris sizes (Grady 1982, Wittel
  2004), debris streaking radially from one apparent source with streak length
  proportional to distance (homologous expansion), ejecta concentrated downrange
  (Gault & Wedekind 1978; Pierazzo & Melosh 2000).
* fluid -- a drop onto a small film-covered pedestal standing in a pool (liquid
  surface a line across the frame, sometimes a glass tank wall).  transitional: a
  liquid sheet spreading from the pedestal's rim and bending down (an umbrella /
  water bell, Clanet ARFM 2007), its rim breaking into irregular fingers (Rayleigh-
  Plateau of the rim, Yarin & Weiss 1995; Deegan, Brunet & Eggers 2008) that pinch
  off droplets; end: a settled film on the pedestal, capillary ripple rings where
  drops fell, a few drops resting.  Droplet diameters are gamma distributed
  (Villermaux ARFM 2007; Villermaux & Bossa 2011), so droplet areas are broad.

Labels (docs/labels.md, binding).
* symmetric True: the event's structure (hole / crater / notch, cracks, sheet,
  fingers, pieces, deposits) is an exact mirror image about the axis through the
  impact point along the impact direction -- the vertical of the lab, which is the
  image vertical for vertical impacts; every piece has a mirror twin of the same
  size (``truth['fold'] == 'mirror'``, ``truth['axis']``).  False: irregular
  angles, unequal lengths and sizes, irregular spacing.
* plausible True: piece areas follow a truncated power law with tau drawn inside
  the scene's ``fragment_size_exponent`` (default [1.3, 2.0]) for shards and
  grains, gamma-distributed droplet diameters for fluid (``truth['size_law']``);
  everything thrown goes downrange (launch angles inside a label-free cone of 20-42
  degrees about the impact direction; ``ejecta_direction == 'down'``); concentric
  cracks end on radial ones (T).  False: all of -- pieces of one size (+-4 %),
  ejecta thrown uprange (back over the target, an ejecta curtain / crown rising
  against the impact direction) or isotropically, and closed crack rings crossing
  every radial crack (X-junctions) for fracture; half the implausible fluid
  transitional images add a tall jet to the sheet (two instants in one picture).
* pre: intact target, impactor approaching; no structure, no pieces.

Nuisance (never a label; drawn from a label-free stream so the label combinations
of one seed share one setting -- a paired design): backlit shadowgraph (dark
silhouettes on a bright diffuse field, mostly monochrome), front-lit on a dark
backdrop or a plain studio sweep; stand posts and rods, clamps, a ruler / scale
bar, a light-gate trigger with its beam and cables, glass tank walls with
reflections; event scale (small in the frame to filling it), position, camera
elevation, exposure (flash / short / long: motion blur), depth of field,
vignetting, tint, gain, monochrome (about 40 %), sensor noise; and event amounts
(number of pieces, their total area, the downrange cone).  The picture's ink is
balanced between phases and between plausible / implausible by construction
(same amounts of matter), checked with ``bench.validate.nuisance_features``.

Two random streams seeded from SHA-256 (source, version, scene, seed, shape and,
for the event stream, the labels), no global state.
"""

from __future__ import annotations

import hashlib
import math

import cv2
import numpy as np

from bench.sources import check_labels
from bench.sources._sidecam_draw import BIG, F32, Canvas, Frame, Piece, ellipse, mirror_fn, power_law_areas, rect, render_pieces, shape, smooth_noise

NAME = "sidecam"
VERSION = 1

FAMILIES = ("fracture", "impact", "fluid")
DEFAULT_TAU = (1.3, 2.0)
CONE_MAX_DEG = 70.0  # docs/labels.md: downrange = within about 70 degrees of the impact direction


def _rng(scene, seed, labels, shape, stream=""):
    h, w = shape
    key = f"realgap-{NAME}|v{VERSION}|{scene.id}|{scene.version}|{seed}|{labels}|{h}x{w}"
    if stream:
        key += f"|{stream}"
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))


# ------------------------------------------------------------------ nuisance
MATERIALS = {
    "fracture": {"pane": ((0.80, 0.90, 0.88), 0.7, "shard"), "tile": ((0.78, 0.50, 0.36), 0.0, "chunk"),
                 "white tile": ((0.86, 0.86, 0.83), 0.0, "chunk"), "plate": ((0.93, 0.91, 0.87), 0.0, "chunk"),
                 "blue plate": ((0.32, 0.45, 0.72), 0.0, "chunk")},
    "impact": {"plaster": ((0.90, 0.88, 0.84), 0.0, "chunk"), "clay": ((0.62, 0.45, 0.34), 0.0, "chunk"),
               "foam": ((0.86, 0.80, 0.35), 0.0, "grain"), "wet sand": ((0.70, 0.58, 0.40), 0.0, "grain"),
               "ice": ((0.80, 0.90, 0.96), 0.45, "chunk")},
    "fluid": {"water": ((0.72, 0.84, 0.95), 0.65, "drop"), "milk": ((0.96, 0.96, 0.94), 0.08, "drop"),
              "blue ink": ((0.16, 0.30, 0.72), 0.3, "drop"), "red dye": ((0.72, 0.10, 0.14), 0.3, "drop"),
              "green dye": ((0.12, 0.52, 0.22), 0.3, "drop")},
}


def _alpha(u):
    """Rotation taking canonical +Y onto the image direction u."""
    return math.atan2(-float(u[0]), float(u[1]))


def _nuisance(rng, scene, h, w):
    """Every label-free draw of one image (the setting, camera, light, amounts)."""
    fam = scene.family
    m = min(h, w)
    n = {}
    n["mode"] = str(rng.choice(["shadow", "front", "studio"], p=[0.4, 0.3, 0.3]))
    n["mono"] = bool(rng.random() < (0.7 if n["mode"] == "shadow" else 0.2))
    n["scale"] = float(math.exp(rng.uniform(math.log(0.12), math.log(0.34))))
    R = n["R"] = n["scale"] * m
    lo_el, hi_el = (9, 26) if fam == "fracture" else ((3, 12) if n["mode"] == "shadow" else (5, 20))
    n["elev_deg"] = float(rng.uniform(lo_el, hi_el))
    n["se"] = math.sin(math.radians(n["elev_deg"]))
    n["Hb"] = float(R * rng.uniform(0.85, 1.25))  # drop from the impact point to the bench / pool
    n["Db"] = float(R * rng.uniform(0.6, 1.1))  # bench depth band where pieces come to rest
    n["cone"] = float(math.radians(rng.uniform(20, 42)))
    n["A_tot"] = float(R * R * rng.uniform(0.05, 0.085))
    n["n_pieces"] = int(np.clip(round(R * rng.uniform(0.35, 0.6)), 16, 60))
    n["exposure"] = str(rng.choice(["flash", "short", "long"], p=[0.35, 0.3, 0.35]))
    n["blur_k"] = float({"flash": 0.0, "short": rng.uniform(0.03, 0.08), "long": rng.uniform(0.1, 0.22)}[n["exposure"]])
    n["steps"] = {"flash": 1, "short": 3, "long": 6}[n["exposure"]]
    mats = MATERIALS[fam]
    n["material"] = str(rng.choice(sorted(mats)))
    n["ri"] = float(R * rng.uniform(0.06, 0.1))  # impactor radius
    n["impactor_kind"] = str(rng.choice(["steel", "marble", "rubber"])) if fam != "fluid" else "drop"
    # target extents (canonical px)
    if fam == "fracture":
        n["round"] = n["material"] in ("plate", "blue plate")
        n["W"] = float(R * rng.uniform(0.8, 1.1))
        n["D"] = float(n["W"] * (1.0 if n["round"] else rng.uniform(0.55, 0.9)))
        n["t"] = float(max(2.0, R * rng.uniform(0.03, 0.055)))
    elif fam == "impact":
        n["W"] = float(R * rng.uniform(0.6, 0.95))
        n["D"] = float(n["W"] * rng.uniform(0.5, 0.9))
        n["t"] = float(R * rng.uniform(0.16, 0.28))
        n["rc"] = float(R * rng.uniform(0.12, 0.19))
    else:
        n["W"] = float(R * rng.uniform(0.2, 0.3))  # pedestal disc radius
        n["D"] = n["W"]
        n["t"] = float(max(2.0, R * 0.04))
    n["Ytop"] = float(R * 0.95)
    n["Xl"] = float(max(n["W"], n["Hb"] * math.tan(math.radians(42)) * 1.05, 0.9 * R) * 1.12)
    # placement of the layout box [-Xl, Xl] x [-Ytop, Hb + 0.25 R] in the rotated frame
    n["alpha"] = _alpha(scene.physics.impact_direction)
    box = np.array([[-n["Xl"], -n["Ytop"]], [n["Xl"], -n["Ytop"]], [n["Xl"], n["Hb"] + 0.25 * R], [-n["Xl"], n["Hb"] + 0.25 * R]])
    c, s = math.cos(n["alpha"]), math.sin(n["alpha"])
    bb = box @ np.array([[c, -s], [s, c]]).T
    lo, hi = bb.min(0), bb.max(0)
    p0 = []
    for k, size in ((0, w), (1, h)):
        span = hi[k] - lo[k]
        if span < size:
            p0.append(-lo[k] + rng.uniform(0, size - span))
        else:
            p0.append(-lo[k] - (span - size) / 2 + rng.normal(0, 0.05 * size))
    n["p0"] = (float(p0[0]), float(p0[1]))
    # light and backdrop
    if n["mode"] == "shadow":
        n["bg_level"] = float(rng.uniform(0.72, 0.96))
        n["dark"] = float(rng.uniform(0.04, 0.15))
    elif n["mode"] == "front":
        n["bg_level"] = float(rng.uniform(0.02, 0.12))
        n["dark"] = float(rng.uniform(0.02, 0.08))
    else:
        n["bg_level"] = float(rng.uniform(0.35, 0.75))
        n["dark"] = float(rng.uniform(0.05, 0.15))
    n["bg_hue"] = [float(x) for x in rng.uniform(0.85, 1.15, 3)] if n["mode"] == "studio" else [float(x) for x in rng.uniform(0.95, 1.05, 3)]
    n["hotspot"] = (float(rng.uniform(0.25, 0.75)), float(rng.uniform(0.25, 0.75)), float(rng.uniform(0.1, 0.55)))
    n["light"] = float(rng.uniform(0.75, 1.1))
    n["bench_col"] = [float(x) for x in (rng.choice([[0.55, 0.40, 0.26], [0.3, 0.3, 0.32], [0.85, 0.85, 0.84], [0.12, 0.12, 0.13]]) * rng.uniform(0.8, 1.1))]
    # context
    n["rods"] = int(rng.choice([0, 1, 1, 2, 2]))
    n["rod_side"] = int(rng.choice([-1, 1]))
    n["rod_x"] = [float(rng.uniform(1.0, 1.25)) for _ in range(2)]
    n["clamp"] = bool(rng.random() < 0.6)
    n["ruler"] = str(rng.choice(["none", "standing", "bar"], p=[0.35, 0.35, 0.3]))
    n["ruler_x"] = float(rng.uniform(0.85, 1.15))
    n["trigger"] = bool(rng.random() < 0.45)
    n["trigger_y"] = float(rng.uniform(0.25, 0.7))
    n["cables"] = int(rng.integers(0, 3))
    n["tank"] = bool(rng.random() < (0.6 if fam == "fluid" else 0.2))
    n["tank_x"] = [float(rng.uniform(1.05, 1.5)), float(rng.uniform(1.05, 1.5))]
    n["reflection"] = bool(rng.random() < 0.5)
    n["context_seed"] = int(rng.integers(0, 2**31))
    # camera finish
    n["dof"] = float(rng.uniform(0.5, 1.4)) if rng.random() < 0.4 else 0.0
    n["vignette"] = float(rng.uniform(0.0, 0.45))
    tint = str(rng.choice(["warm", "neutral", "cool", "green"]))
    k = float(rng.uniform(0.02, 0.1))
    n["tint"] = {"warm": (1 + k, 1.0, 1 - k), "neutral": (1.0, 1.0, 1.0), "cool": (1 - k, 1.0, 1 + k), "green": (1 - k / 2, 1 + k / 2, 1 - k / 2)}[tint]
    n["gain"] = float(rng.uniform(0.85, 1.15))
    n["noise"] = float(math.exp(rng.uniform(math.log(0.003), math.log(0.02))))
    n["noise_seed"] = int(rng.integers(0, 2**31))
    return n


# ------------------------------------------------------------------ palette
def _palette(n):
    """Colours of every kind of matter in this image's lighting."""
    mode, L, d = n["mode"], n["light"], n["dark"]
    col, trans, _ = MATERIALS_ALL[n["material"]]
    col = np.array(col)
    P = {}
    if mode == "shadow":  # silhouettes: opaque = dark, transparent = greyed background
        P["body"] = (np.full(3, d * 1.3), min(trans, 0.55))
        P["face"] = (np.full(3, d * 2.0), min(trans, 0.55) if trans else 0.0)
        P["crack"] = np.full(3, d)
        P["crack_on_body"] = np.full(3, 0.6)  # light lines across a dark opaque face
        P["piece"] = (np.full(3, d * (1.6 if trans else 1.0)), 0.2 if trans else 0.0)
        P["bench_top"] = np.full(3, 0.3 + d)
        P["bench_front"] = np.full(3, d * 0.8)
        P["liquid"] = (np.full(3, 0.25 + d), 0.55)
        P["sheet"] = (np.full(3, d * 2.0), 0.45)
        P["rod"] = np.full(3, d)
        P["imp"] = np.full(3, d * 0.7)
        P["dust"] = (np.full(3, d * 3), 0.8)
        P["shadow"] = None
    else:
        base = col * L
        P["body"] = (base * 0.8, trans)
        P["face"] = (np.clip(base * 1.05, 0, 1), trans)
        if trans:  # glass / ice / clear water: glints on dark, darker lines on light
            P["crack"] = np.full(3, 0.95) if mode == "front" else np.full(3, 0.25)
        else:
            P["crack"] = base * 0.3
        P["crack_on_body"] = P["crack"]
        pc = np.clip(base * (1.15 if mode == "front" else 1.0) + (0.15 if trans and mode == "front" else 0.0), 0, 1)
        P["piece"] = (pc, min(trans, 0.45))
        bc = np.array(n["bench_col"]) * (0.55 if mode == "front" else 1.0)
        P["bench_top"] = bc
        P["bench_front"] = bc * 0.6
        if n["material"] in MATERIALS["fluid"]:
            P["liquid"] = (base * 0.85, trans * 0.8)
            P["sheet"] = (np.clip(base * 1.1, 0, 1), trans * 0.7)
        else:
            P["liquid"] = (np.array([0.55, 0.7, 0.85]) * L, 0.6)
            P["sheet"] = P["liquid"]
        P["rod"] = np.array([0.55, 0.56, 0.6]) * L * (0.7 if mode == "front" else 1.0)
        P["imp"] = np.array({"steel": [0.6, 0.62, 0.66], "marble": [0.55, 0.75, 0.85], "rubber": [0.8, 0.2, 0.15], "drop": list(col)}[n["impactor_kind"]]) * L
        P["dust"] = (np.clip(base * 1.1, 0, 1), 0.8)
        P["shadow"] = np.zeros(3)
    return P


MATERIALS_ALL = {k: v for fam in MATERIALS.values() for k, v in fam.items()}


# ------------------------------------------------------------------ background, bench, context
def _background(n, h, w):
    yy, xx = np.ogrid[0:h, 0:w]
    cx, cy, v = n["hotspot"]
    d2 = ((xx / w - cx) ** 2 + (yy / h - cy) ** 2).astype(F32)
    hue = np.array(n["bg_hue"], F32)
    if n["mode"] == "shadow":
        g = n["bg_level"] * (1 - v * 0.6 * d2)
    elif n["mode"] == "front":
        g = n["bg_level"] * (1 + v * (0.5 - d2))
    else:  # paper sweep: vertical gradient
        g = n["bg_level"] * (1 + 0.25 * v * (0.5 - yy / h)) * np.ones((1, w), F32)
    return np.clip(g[..., None] * hue, 0, 1).astype(F32)


def _paint_bench(cv, fr, n, P, fam):
    Hb, se, Db = n["Hb"], n["se"], n["Db"]
    if fam == "fluid":
        return
    top = rect(-BIG, Hb - Db * se, BIG, Hb + Db * se)
    front = rect(-BIG, Hb + Db * se, BIG, BIG)
    cv.paint(fr.fill([top]), P["bench_top"])
    cv.paint(fr.fill([front]), P["bench_front"])
    cv.paint(fr.lines([np.array([[-BIG, Hb + Db * se], [BIG, Hb + Db * se]])], 1), P["bench_front"] * 0.5)


def _paint_pool(cv, fr, n, P):
    Hb = n["Hb"]
    col, tr = P["liquid"]
    a = fr.fill([rect(-BIG, Hb, BIG, BIG)])
    cv.paint(a, col, tr, layer="object")
    line = fr.lines([np.array([[-BIG, Hb], [BIG, Hb]])], 2 if n["R"] > 50 else 1)
    cv.paint(line, P["crack"] if n["mode"] != "shadow" else np.full(3, n["dark"]))


def _paint_context(cv, fr, n, P, fam):
    """Lab context behind the event: stand rods and clamps, ruler, light gate, cables, tank walls."""
    rng = np.random.default_rng(n["context_seed"])
    R, Hb, Xl = n["R"], n["Hb"], n["Xl"]
    rod_w = max(2.0, 0.05 * R)
    sides = [n["rod_side"], -n["rod_side"]][: n["rods"]]
    for i, sd in enumerate(sides):
        x = sd * Xl * n["rod_x"][i]
        cv.paint(fr.fill([rect(x - rod_w / 2, -BIG, x + rod_w / 2, Hb)]), P["rod"], layer="context")
        if n["clamp"] and i == 0:
            y = -0.55 * R
            cv.paint(fr.fill([rect(min(x, sd * 0.3 * Xl), y - rod_w * 0.4, max(x, sd * 0.3 * Xl), y + rod_w * 0.4)]), P["rod"] * 0.9, layer="context")
            cv.paint(fr.fill([rect(x - rod_w * 1.3, y - rod_w * 1.2, x + rod_w * 1.3, y + rod_w * 1.2)]), P["rod"] * 0.7, layer="context")
    if n["ruler"] == "standing":
        x = -n["rod_side"] * Xl * n["ruler_x"]
        rw, rh = 0.09 * R, 0.9 * R
        col = np.array([0.92, 0.9, 0.8]) if n["mode"] != "shadow" else np.full(3, n["dark"] * 1.5)
        cv.paint(fr.fill([rect(x - rw / 2, Hb - rh, x + rw / 2, Hb)]), col, layer="context")
        ticks = [np.array([[x - rw / 2, Hb - rh + k * rh / 20], [x - rw / 2 + rw * (0.6 if k % 5 == 0 else 0.35), Hb - rh + k * rh / 20]]) for k in range(1, 20)]
        if n["mode"] != "shadow":
            cv.paint(fr.lines(ticks, 1), np.full(3, 0.1), layer="context")
    if n["trigger"]:
        y = -n["trigger_y"] * R
        x = n["rod_side"] * Xl * 0.95
        bw = 0.12 * R
        cv.paint(fr.fill([rect(x - bw, y - bw * 0.6, x + bw, y + bw * 0.6)]), np.array([0.2, 0.2, 0.22]) if n["mode"] != "shadow" else np.full(3, n["dark"]), layer="context")
        beam = np.array([1.0, 0.15, 0.1]) if n["mode"] == "front" else np.array([0.85, 0.2, 0.15])
        if n["mode"] == "shadow":
            beam = np.full(3, n["dark"] * 3)
        cv.paint(fr.lines([np.array([[x, y], [-x * 3, y]])], 1), beam, layer="context", trans=0.3)
        for _ in range(n["cables"]):
            p1 = np.array([x + n["rod_side"] * bw, y])
            p3 = np.array([x + n["rod_side"] * rng.uniform(0.3, 1.0) * R, Hb + rng.uniform(-0.05, 0.15) * R])
            p2 = (p1 + p3) / 2 + rng.normal(0, 0.2 * R, 2)
            t = np.linspace(0, 1, 24)[:, None]
            curve = (1 - t) ** 2 * p1 + 2 * (1 - t) * t * p2 + t**2 * p3
            cv.paint(fr.lines([curve], max(1, 0.025 * R)), np.array([0.08, 0.08, 0.09]), layer="context")
    if n["tank"]:
        for i, sd in enumerate((-1, 1)):
            x = sd * Xl * n["tank_x"][i]
            hi = np.full(3, 0.95) if n["mode"] != "shadow" else np.full(3, n["dark"])
            cv.paint(fr.lines([np.array([[x, -BIG], [x, BIG]])], 1), hi, layer="context", trans=0.2)
            cv.paint(fr.lines([np.array([[x + sd * 2.5, -BIG], [x + sd * 2.5, BIG]])], 1), np.full(3, 0.3), layer="context", trans=0.5)
        if n["reflection"]:
            x = Xl * rng.uniform(-1.0, 1.0)
            cv.paint(fr.fill([rect(x, -BIG, x + 0.12 * R, BIG)]), np.full(3, 1.0), trans=0.88, layer="context", weight=0.5)
    if n["ruler"] == "bar":  # a printed scale bar in a corner of the image (not rotated)
        h, w = fr.h, fr.w
        bl = max(8, int(0.18 * w))
        x0, y0 = int(0.05 * w) if n["rod_side"] > 0 else int(0.95 * w) - bl, int(0.93 * h)
        m = np.zeros((h, w), np.uint8)
        cv2.rectangle(m, (x0, y0), (x0 + bl, y0 + max(1, h // 80)), 255, -1)
        col = np.full(3, 0.05) if n["mode"] == "shadow" else np.full(3, 0.95)
        cv.paint(m.astype(F32) / 255, col, layer="context")


# ------------------------------------------------------------------ event helpers
def _areas(rng, m, plausible, fam, tau_range, total):
    """m base sizes (areas, px^2) whose replicas (the caller's) sum to ~total; law info."""
    if not plausible:
        a = rng.uniform(0.96, 1.04, m)
        info = {"size_law": "equal", "tau": None, "size_ratio": None, "gamma_shape": None}
    elif fam == "fluid":
        k = float(rng.uniform(2.5, 4.5))
        d = rng.gamma(k, 1.0 / k, m)
        d = np.maximum(d, 0.08)
        a = d * d
        info = {"size_law": "gamma", "tau": None, "size_ratio": None, "gamma_shape": round(k, 4)}
    else:
        lo, hi = tau_range
        tau = float(rng.uniform(lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo)))
        ratio = float(rng.uniform(60, 150))
        a = power_law_areas(rng, m, tau, ratio)
        info = {"size_law": "power", "tau": round(tau, 6), "size_ratio": round(ratio, 4), "gamma_shape": None}
    return a * (total / a.sum()), info


def _angles(rng, m, direction, sym, cone):
    """Launch angles (canonical: 0 = along the impact direction, + towards +X)."""
    if direction == "down":
        return rng.uniform(0.03, cone, m) if sym else rng.uniform(-cone, cone, m)
    if direction == "up":
        return rng.uniform(math.pi - cone, math.pi - 0.03, m) if sym else rng.uniform(math.pi - cone, math.pi + cone, m)
    q = (np.arange(m) + rng.uniform(0.1, 0.9, m)) / m  # isotropic: stratified over all directions
    rng.shuffle(q)
    return 0.04 + q * (math.pi - 0.08) if sym else -math.pi + 2 * math.pi * q


def _flight(rng, n, th, origin_down, origin_up, piece_r):
    """Position at mid-exposure along a ballistic path of launch angle th; blur displacement
    proportional to the distance travelled (homologous expansion: one apparent source)."""
    Hb, Ytop = n["Hb"], n["Ytop"]
    down = math.cos(th) > 0
    X0, Y0 = origin_down if down else origin_up
    if down:
        smax = max(4.0, (Hb - Y0 - 2.5 * piece_r) / max(math.cos(th), 0.25))
    else:
        smax = max(4.0, (Ytop * 0.92 + Y0 - 2 * piece_r) / max(-math.cos(th), 0.35))
    smax = min(smax, n["Xl"] * 0.95 / max(abs(math.sin(th)), 1e-3))
    s = smax * math.sqrt(rng.uniform(0.04, 1.0))
    g = 0.12 / max(Hb, 1.0)  # gentle sag: gravity over the short time of flight
    X = X0 + s * math.sin(th)
    Y = Y0 + s * math.cos(th) + g * s * s
    if down:
        Y = min(Y, Hb - 2 * piece_r)
    k = n["blur_k"]
    return X, Y, (X - X0) * k, (Y - Y0) * k


def _rest_squash(n):
    return float(np.clip(n["se"] * 1.5 + 0.15, 0.25, 0.6))


def _rest_on(poly, Xc, Ybottom, n):
    """A piece lying flat: its outline seen at the camera's elevation, sitting on Ybottom."""
    q = poly * np.array([1.0, _rest_squash(n)])
    return q, Xc, Ybottom - q[:, 1].max()


def _make_pieces(rng, n, labels, fam, areas_base, kind, pal, origin_down, origin_up, top_rest, sym):
    """Build the detached pieces: in flight (transitional) or at rest (end) -- base set,
    mirrored when symmetric.  top_rest(rng, Xfrac) -> (X, Ybottom, depth) for uprange rest."""
    direction = labels["_direction"]
    m = len(areas_base)
    th = _angles(rng, m, direction, sym, n["cone"])
    out = []
    col, trans = pal["piece"]
    Hb, se, Db = n["Hb"], n["se"], n["Db"]
    for i in range(m):
        a = float(areas_base[i])
        poly = shape(rng, kind, a)
        r = math.sqrt(a / math.pi)
        cj = np.clip(np.asarray(col) * rng.uniform(0.85, 1.15), 0, 1)
        if labels["phase"] == "transitional":
            X, Y, vx, vy = _flight(rng, n, float(th[i]), origin_down, origin_up, r)
            if sym and X < 0.5:
                X = abs(X) + 0.5
            p = Piece(poly, X, Y, vx, vy, False, cj, trans, a, kind, depth=rng.uniform(-1, 1))
        else:
            t = float(th[i])
            if math.cos(t) > 0:  # fell downrange: on the bench (or pool) below
                X = Hb * math.tan(max(-1.3, min(1.3, t))) * rng.uniform(0.55, 1.0)
                b = rng.uniform(-0.8, 0.8) * Db
                yb = Hb + b * se
                if fam == "fluid":
                    yb = Hb + b * se * 0.5
            else:  # thrown back over the target: resting on its top
                X, yb, b = top_rest(rng, t)
            if sym and X < 0.5:
                X = abs(X) + 0.5
            if fam == "fluid":  # a bead: a lens / cap
                rr = math.sqrt(a / math.pi)
                pp = ellipse(0, 0, rr * 1.25, rr * 0.8, 14)
                q, Xc, Yc = pp, X, yb - rr * 0.5
            else:
                q, Xc, Yc = _rest_on(poly, X, yb, n)
            p = Piece(q, Xc, Yc, 0, 0, True, cj, trans * 0.6, a, kind, depth=b)
        out.append(p)
    if sym:
        out = out + [p.mirrored() for p in out]
    return out


# ------------------------------------------------------------------ families
def _target_plate(cv, fr, n, P, hole=None):
    """Fracture target: the plate's top face (band or ellipse) and its front edge."""
    W, D, t, se = n["W"], n["D"], n["t"], n["se"]
    col_b, tr_b = P["body"]
    col_f, tr_f = P["face"]
    if n["round"]:
        face = ellipse(0, 0, W, D * se, 48)
        edge = np.concatenate([ellipse(0, 0, W, D * se, 24, 0, math.pi), ellipse(0, t, W, D * se, 24, math.pi, 0)])
    else:
        face = rect(-W, -D * se, W, D * se)
        edge = rect(-W, D * se, W, D * se + t)
    a_face, a_edge = fr.fill([face]), fr.fill([edge])
    cv.paint(a_edge, col_b, tr_b * 0.5, layer="object")
    cv.paint(a_face, col_f, tr_f, layer="object")
    return face


def _posts(cv, fr, n, P, x_in, y_top):
    R, Hb = n["R"], n["Hb"]
    pw = max(2.0, 0.06 * R)
    for sd in (-1, 1):
        x = sd * x_in
        cv.paint(fr.fill([rect(x - pw / 2, y_top, x + pw / 2, Hb)]), P["rod"] * 0.8, layer="context")


def _event_fracture(cv, fr, n, P, labels, rng, scene):
    W, D, t, se, R = n["W"], n["D"], n["t"], n["se"], n["R"]
    sym, ph = labels["symmetric"], labels["phase"]
    _posts(cv, fr, n, P, W * 0.8, D * se + t)
    _target_plate(cv, fr, n, P)
    info = {"target": n["material"], "crack_junctions": None, "n_radial": 0}
    if ph == "pre":
        return [], info
    plaus = labels["plausible"]
    # ---- hole at the impact point (face coordinates a, b; image Y = b * se)
    rh = R * rng.uniform(0.09, 0.15)
    f = smooth_noise(rng, 5, 0.35)
    if sym:
        f = mirror_fn(f)
    phi = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    rr = rh * (1 + f(phi))
    hole = np.stack([rr * np.cos(phi), rr * np.sin(phi) * se], 1)
    cv.cut(fr.fill([hole]))
    # ---- radial cracks
    nr = int(rng.integers(5, 11))
    if sym:
        m = max(2, nr // 2)
        base = np.sort(rng.uniform(-math.pi / 2 + 0.12, math.pi / 2 - 0.12, m))
        psis = np.concatenate([base, math.pi - base])
    else:
        gaps = rng.uniform(0.4, 1.6, nr)
        psis = rng.uniform(0, 2 * math.pi) + np.cumsum(gaps) / gaps.sum() * 2 * math.pi
    nb = len(psis)

    def lmax(psi):
        c, s = abs(math.cos(psi)), abs(math.sin(psi))
        if n["round"]:
            return W
        return min(W / max(c, 1e-6), D / max(s, 1e-6))

    fr_len = rng.uniform(0.35, 0.85, nb if not sym else nb // 2)
    wig = [rng.normal(0, 0.03, 8) for _ in range(nb if not sym else nb // 2)]
    if sym:
        fr_len = np.concatenate([fr_len, fr_len])
        wig = wig + [-w_ for w_ in wig]
    cracks, lens = [], []
    for i, psi in enumerate(psis):
        L = lmax(psi) * (0.985 if ph == "end" else fr_len[i])
        r0 = rh * 0.9
        s = np.linspace(r0, L, 8)
        perp = wig[i] * (s - r0)
        a = s * math.cos(psi) - perp * math.sin(psi)
        b = s * math.sin(psi) + perp * math.cos(psi)
        cracks.append(np.stack([a, b * se], 1))
        lens.append(L)
    # ---- concentric cracks
    arcs = []
    if plaus:  # sector arcs that stop on both radials (T), staggered radii
        info["crack_junctions"] = "T"
        order = np.argsort(np.mod(psis, 2 * math.pi))
        ps = np.mod(psis, 2 * math.pi)[order]
        ls = np.array(lens)[order]
        sectors = [(ps[k], ps[(k + 1) % nb] + (2 * math.pi if k == nb - 1 else 0), min(ls[k], ls[(k + 1) % nb])) for k in range(nb)]
        rad = {}
        for (p1, p2, lm) in sectors:
            c = (p1 + p2) / 2
            key = round(math.cos(c), 6), round(abs(math.sin(c)), 6) * (1 if math.sin(c) >= 0 else -1)
            mkey = (round(abs(key[0]), 6), key[1]) if sym else (round(key[0], 6), key[1])
            if mkey not in rad:
                rad[mkey] = rng.uniform(0.3, 0.8)
            fr_r = rad[mkey]
            rho = rh + fr_r * (lm - rh)
            if lm < rh * 1.6:
                continue
            tt = np.linspace(p1, p2, 12)
            arcs.append(np.stack([rho * np.cos(tt), rho * np.sin(tt) * se], 1))
    else:  # closed rings crossing every radial crack (X-junctions)
        info["crack_junctions"] = "X"
        lim = min(W, D) * 0.95
        for k in range(int(rng.integers(1, 3))):
            rho = rh + (lim - rh) * (0.35 + 0.4 * k) if ph == "end" else rh + (min(lens) - rh) * (0.5 + 0.3 * k)
            rho = min(rho, lim)
            arcs.append(ellipse(0, 0, rho, rho * se, 48))
    ca = np.maximum(fr.lines(cracks, 1), fr.lines(arcs, 1, closed=not plaus))
    cv.paint(ca, P["crack_on_body"] if P["body"][1] == 0 else P["crack"], layer="structure")
    info["n_radial"] = int(nb)
    # ---- shards
    m = n["n_pieces"] // 2 if sym else n["n_pieces"]
    areas, law = _areas(rng, m, plaus, "fracture", scene.physics.fragment_size_exponent or DEFAULT_TAU, n["A_tot"] / (2 if sym else 1))
    info.update(law)
    kind = MATERIALS["fracture"][n["material"]][2]

    def top_rest(rng_, th):  # on the far half of the top face: behind the impact point in the image
        b = rng_.uniform(-0.85, 0.0) * D
        X = math.copysign(rng_.uniform(rh * 1.4, W * 0.9), math.sin(th) if abs(math.sin(th)) > 1e-6 else 1.0)
        return X, b * se, b

    pieces = _make_pieces(rng, n, labels, "fracture", areas, kind, P, (0.0, D * se * 0.2 + t), (0.0, -t), top_rest, sym)
    return pieces, info


def _event_impact(cv, fr, n, P, labels, rng, scene):
    W, D, T, se, R, Hb = n["W"], n["D"], n["t"], n["se"], n["R"], n["Hb"]
    sym, ph = labels["symmetric"], labels["phase"]
    e = D * se
    _posts(cv, fr, n, P, W * 0.75, e + T)
    col_b, tr_b = P["body"]
    col_f, tr_f = P["face"]
    cv.paint(fr.fill([rect(-W, e, W, e + T)]), col_b, tr_b, layer="object")
    cv.paint(fr.fill([rect(-W, -e, W, e)]), col_f, tr_f, layer="object")
    info = {"target": n["material"], "crack_junctions": None}
    if ph == "pre":
        return [], info
    plaus = labels["plausible"]
    direction = labels["_direction"]
    rc = n["rc"]
    f = smooth_noise(rng, 5, 0.3)
    if sym:
        f = mirror_fn(f)
    phi = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    rr = rc * (1 + f(phi))
    crater = np.stack([rr * np.cos(phi), rr * np.sin(phi) * se], 1)
    lip = np.stack([rr * 1.3 * np.cos(phi), rr * 1.3 * np.sin(phi) * se - 0.025 * R], 1)
    cv.paint(fr.fill([lip]), np.clip(np.asarray(col_f) * 1.12, 0, 1), tr_f, layer="structure")
    cv.paint(fr.fill([crater]), np.asarray(col_f) * 0.35 if n["mode"] != "shadow" else np.full(3, 0.55), 0.0, layer="structure")
    through = direction != "up"
    if through:  # exit notch (spall) on the underside
        rn = R * rng.uniform(0.15, 0.24)
        xs = np.linspace(-rn, rn, 17)
        jit = rng.uniform(-0.12, 0.12, 17)
        if sym:
            jit = 0.5 * (jit + jit[::-1])
        depth = T * (0.55 + jit) * (1 - (xs / rn) ** 2)
        notch = np.concatenate([np.stack([xs, e + T - depth], 1), [[rn, e + T + 2], [-rn, e + T + 2]]])
        cv.cut(fr.fill([notch]))
    # cracks on the front face, from the crater / notch to the edges (end) or running (transitional)
    if n["material"] in ("plaster", "ice", "clay"):
        k = int(rng.integers(1, 3))
        segs = []
        for _ in range(k):
            x0 = rng.uniform(0.1, 0.5) * rc
            x1 = rng.uniform(0.3, 0.9) * W
            y1 = e + T * rng.uniform(0.3, 1.0)
            fl = 1.0 if ph == "end" else rng.uniform(0.4, 0.8)
            pts = np.array([[x0, e], [x0 + (x1 - x0) * 0.5 * fl, e + (y1 - e) * 0.45 * fl + rng.normal(0, 0.03 * R)], [x0 + (x1 - x0) * fl, e + (y1 - e) * fl]])
            segs.append(pts)
            if sym:
                segs.append(pts * np.array([-1, 1]))
            elif rng.random() < 0.5:
                segs.append(pts * np.array([-1, 1]) + rng.normal(0, 0.05 * R, (3, 2)))
        cv.paint(fr.lines(segs, 1), P["crack_on_body"] if n["mode"] == "shadow" else np.asarray(col_b) * 0.35, layer="structure")
    # ---- ejecta: grains / chunks
    m = n["n_pieces"] // 2 if sym else n["n_pieces"]
    areas, law = _areas(rng, m, plaus, "impact", scene.physics.fragment_size_exponent or DEFAULT_TAU, n["A_tot"] / (2 if sym else 1))
    info.update(law)
    kind = MATERIALS["impact"][n["material"]][2]
    dcol, dtr = P["dust"]
    if ph == "transitional":  # faint dust / ejecta sheet along the flight cone
        cone = n["cone"]
        if direction in ("down", "iso"):
            L = Hb - e - T
            fan = np.array([[-0.6 * rc, e + T], [0.6 * rc, e + T], [L * math.tan(cone * 0.8), e + T + L * 0.9], [-L * math.tan(cone * 0.8), e + T + L * 0.9]])
            if not sym:
                fan[2:, 0] += rng.normal(0, 0.15 * L, 2)
            cv.paint(cv2.GaussianBlur(fr.fill([fan]), (0, 0), 2), dcol, dtr + 0.1, layer="structure", weight=0.35)
        if direction in ("up", "iso"):  # an ejecta curtain rising back over the target
            Lh = n["Ytop"] * 0.85
            curt = []
            for sd in (-1, 1):
                bb = math.radians(rng.uniform(25, 45)) if not sym or sd == -1 else bb
                ln = Lh * (rng.uniform(0.6, 1.0) if not sym else 0.85)
                x0 = sd * rc
                curt.append(np.array([[x0, -e * 0.3], [x0 + sd * 0.06 * R, -e * 0.3], [x0 + sd * (ln * math.tan(bb) + 0.05 * R), -ln], [x0 + sd * ln * math.tan(bb), -ln]]))
            cv.paint(fr.fill(curt), dcol, 0.55, layer="structure")
    else:
        if direction in ("down", "iso"):  # debris heap on the bench below
            wm = Hb * math.tan(n["cone"]) * 0.35
            xs = np.linspace(-2 * wm, 2 * wm, 33)
            hm = R * rng.uniform(0.04, 0.07)
            if sym:
                prof = hm * np.exp(-((xs / wm) ** 2))
            else:
                sh = rng.uniform(-0.5, 0.5) * wm
                prof = hm * np.exp(-(((xs - sh) / (wm * rng.uniform(0.6, 1.1))) ** 2)) * (1 + 0.3 * np.tanh(xs / wm) * rng.choice([-1, 1]))
            heap = np.concatenate([np.stack([xs, Hb - prof], 1), [[2 * wm, Hb + 1], [-2 * wm, Hb + 1]]])
            cv.paint(fr.fill([heap]), P["piece"][0] * 0.9, layer="structure")
        if direction in ("up", "iso"):  # ejecta blanket on the top face around the crater
            xs = np.linspace(-W * 0.95, W * 0.95, 33)
            thick = 0.035 * R * np.exp(-((np.abs(xs) - 1.4 * rc) / (0.5 * W)) ** 2)
            if not sym:
                thick *= 1 + 0.5 * np.sin(xs / W * rng.uniform(2, 5) + rng.uniform(0, 6))
            blanket = np.concatenate([np.stack([xs, -e - thick], 1), [[W * 0.95, -e + 1], [-W * 0.95, -e + 1]]])
            cv.paint(fr.fill([blanket]), P["piece"][0] * 0.95, layer="structure")

    def top_rest(rng_, th):
        b = rng_.uniform(-0.85, 0.0) * D
        X = math.copysign(rng_.uniform(rc * 1.3, W * 0.92), math.sin(th) if abs(math.sin(th)) > 1e-6 else 1.0)
        return X, b * se - 0.03 * R, b

    pieces = _make_pieces(rng, n, labels, "impact", areas, kind, P, (0.0, e + T * 0.6), (0.0, -e * 0.3), top_rest, sym)
    return pieces, info


def _event_fluid(cv, fr, n, P, labels, rng, scene):
    rd, td, se, R, Hb = n["W"], n["t"], n["se"], n["R"], n["Hb"]
    sym, ph = labels["symmetric"], labels["phase"]
    # pedestal: stem through the pool, disc on top (target body), film on it
    sw = max(2.0, 0.05 * R)
    cv.paint(fr.fill([rect(-sw / 2, td, sw / 2, BIG)]), P["rod"], layer="object")
    _paint_pool(cv, fr, n, P)
    disc = np.concatenate([ellipse(0, 0, rd, rd * se, 24, math.pi, 2 * math.pi), ellipse(0, td, rd, rd * se, 24, 0, math.pi)])
    cv.paint(fr.fill([disc]), P["rod"] * 1.1, layer="object")
    lc, lt = P["liquid"]
    cv.paint(fr.fill([ellipse(0, 0, rd * 0.92, rd * se * 0.92, 24)]), lc, lt, layer="object")
    info = {"target": n["material"], "crack_junctions": None, "composite_jet": False}
    if ph == "pre":
        return [], info
    plaus = labels["plausible"]
    direction = labels["_direction"]
    sc, st = P["sheet"]
    m = n["n_pieces"] // 2 if sym else n["n_pieces"]
    areas, law = _areas(rng, m, plaus, "fluid", None, n["A_tot"] / (2 if sym else 1))
    info.update(law)
    if ph == "transitional":
        if direction == "down":
            dlt = math.radians(rng.uniform(36, 58))
        elif direction == "up":
            dlt = -math.radians(rng.uniform(35, 65))
        else:
            dlt = math.radians(rng.uniform(-8, 8))
        Rs = rd * rng.uniform(1.6, 2.3)
        fR = smooth_noise(rng, 4, 0.22)
        fD = smooth_noise(rng, 3, math.radians(7))
        if sym:
            fR, fD = mirror_fn(fR), mirror_fn(fD)
        else:  # an irregular splash is lopsided: the sheet leans and reaches further on one side
            lean, reach, fR0, fD0 = math.radians(rng.uniform(6, 14)) * rng.choice([-1, 1]), rng.uniform(0.15, 0.3) * rng.choice([-1, 1]), fR, fD
            fR = lambda p_, f=fR0, r_=reach: f(p_) + r_ * np.cos(p_)
            fD = lambda p_, f=fD0, l_=lean: f(p_) + l_ * np.cos(p_)
        phi = np.linspace(0, 2 * math.pi, 72, endpoint=False)
        Rphi = Rs * (1 + fR(phi))
        Dphi = dlt + fD(phi)

        def rim(ph_):
            rr_ = Rs * (1 + fR(ph_))
            dd = dlt + fD(ph_)
            return rr_, (rr_ - rd) * np.tan(dd)

        Yrim = (Rphi - rd) * np.tan(Dphi)
        rimpts = np.stack([Rphi * np.cos(phi), Yrim + Rphi * np.sin(phi) * se], 1)
        discpts = ellipse(0, 0, rd, rd * se, 24)
        hull = cv2.convexHull(np.concatenate([rimpts, discpts]).astype(np.float32)).reshape(-1, 2).astype(float)
        cv.paint(fr.fill([hull]), sc, st, layer="structure")
        cv.paint(fr.lines([rimpts], max(1, 0.02 * R), closed=True), sc, min(st, 0.3), layer="structure")
        # fingers at irregular azimuths (or mirror pairs), droplets pinching off beyond them
        nf = int(rng.integers(10, 19))
        if sym:
            mb = nf // 2
            base = np.sort(rng.uniform(-math.pi / 2 + 0.1, math.pi / 2 - 0.1, mb))
        else:
            gaps = rng.uniform(0.35, 1.65, nf)
            base = rng.uniform(0, 2 * math.pi) + np.cumsum(gaps) / gaps.sum() * 2 * math.pi
        Lf = Rs * rng.uniform(0.12, 0.45, len(base))
        bend = np.radians(rng.uniform(0, 14, len(base))) * (1 if direction == "down" else (-1 if direction == "up" else 0))
        fw = max(1.2, 0.03 * R)
        fingers, tips = [], []
        for j, p_ in enumerate(base):
            r_, y_ = rim(np.array([p_]))
            r_, y_ = float(r_[0]), float(y_[0])
            d_ = dlt + float(fD(np.array([p_]))[0]) + bend[j]
            P0 = np.array([r_ * math.cos(p_), r_ * math.sin(p_), y_])
            dv = np.array([math.cos(p_) * math.cos(d_), math.sin(p_) * math.cos(d_), math.sin(d_)])
            tip = P0 + Lf[j] * dv
            proj = lambda q: np.array([q[0], q[2] + q[1] * se])
            a0, a1 = proj(P0), proj(tip)
            dd = a1 - a0
            nn = np.array([-dd[1], dd[0]]) / max(np.hypot(*dd), 1e-6)
            fingers.append(np.array([a0 + nn * fw, a1 + nn * fw * 0.45, a1 - nn * fw * 0.45, a0 - nn * fw]))
            tips.append((tip, dv))
        if sym:
            fingers = fingers + [f_ * np.array([-1, 1]) for f_ in fingers]
        cv.paint(fr.fill(fingers), sc, min(st, 0.35), layer="structure")
        # droplets: distributed over the fingers, beyond their tips along them
        pieces = []
        col, trans = P["piece"] if n["mode"] == "shadow" else (np.clip(np.asarray(sc) * 1.05, 0, 1), min(st, 0.4))
        for i, a in enumerate(areas):
            tip, dv = tips[int(rng.integers(0, len(tips)))]
            r = math.sqrt(a / math.pi)
            if direction == "iso":  # sprayed every way from the rim
                el = rng.uniform(-1.4, 1.4)
                dv = np.array([dv[0] * math.cos(el), dv[1] * math.cos(el), math.sin(el)])
                dv /= np.linalg.norm(dv)
            gap = rng.uniform(1.5, 6.0) * r + rng.uniform(0, 0.35) * Rs
            q = tip + dv * gap
            q[2] += 0.1 / max(Hb, 1) * gap * gap
            X, Y = q[0], q[2] + q[1] * se
            Y = min(Y, Hb - 2 * r)
            if direction == "up":
                Y = max(Y, -n["Ytop"] * 0.92)
            if direction == "down":  # falling droplets: stay inside the downrange cone (gravity)
                Y = max(Y, abs(X) / math.tan(math.radians(62)))
            if sym and X < 0.5:
                X = abs(X) + 0.5
            v = np.array([X, Y]) * n["blur_k"] * 0.6
            pieces.append(Piece(ellipse(0, 0, r, r * 1.08, 14), X, Y, v[0], v[1], False, col, trans, a, "drop", depth=q[1]))
        if not plaus and rng.random() < 0.5:  # two instants: a tall Worthington jet on the sheet
            info["composite_jet"] = True
            Hj = n["Ytop"] * rng.uniform(0.6, 0.85)
            wj = rd * rng.uniform(0.25, 0.38)
            ys = np.linspace(-0.5, -Hj, 10)
            wob = np.zeros(10) if sym else rng.normal(0, 0.04 * wj, 10)
            wid = wj * (1 - 0.55 * np.linspace(0, 1, 10))
            jet = np.concatenate([np.stack([wob + wid, ys], 1), np.stack([wob - wid, ys], 1)[::-1]])
            cv.paint(fr.fill([jet]), sc, min(st, 0.35), layer="structure")
            for k, p_ in enumerate(pieces[: min(2, len(pieces))]):  # its tip drops (already equal sized)
                rr_ = math.sqrt(p_.area / math.pi)
                p_.X, p_.Y = 0.6 + (0 if sym else rng.normal(0, 0.5)), -Hj - (2.2 + 2.6 * k) * rr_
                p_.vx, p_.vy = 0.0, -Hj * n["blur_k"] * 0.3
        if sym:
            pieces = pieces + [p.mirrored() for p in pieces]
        return pieces, info
    # ---- end: settled film on the pedestal, ripple rings where drops fell, drops resting
    if sym:
        cap = ellipse(0, -0.5, rd * 0.85, rd * (0.18 + se * 0.4), 24, math.pi, 2 * math.pi)
    else:  # the settled film has run off to one side
        off = rd * rng.uniform(0.25, 0.45) * rng.choice([-1, 1])
        cap = ellipse(off, -0.5, rd * rng.uniform(0.45, 0.65), rd * (0.18 + se * 0.4) * rng.uniform(0.8, 1.3), 24, math.pi, 2 * math.pi)
    cv.paint(fr.fill([cap]), sc, min(st, 0.4), layer="structure")

    pieces = _rest_beads(rng, n, labels, P, plaus, sym, info)
    rings = []
    for p in pieces:
        if p.Y > Hb * 0.5:  # landed in the pool: capillary ripple rings around it
            r = math.sqrt(p.area / math.pi)
            for k in (1.8, 3.2, 4.8):
                rings.append(ellipse(p.X, Hb, r * k, r * k * max(se, 0.08), 28))
    if rings:
        cv.paint(fr.lines(rings, 1, closed=True), np.full(3, 0.9) if n["mode"] == "front" else np.full(3, n["dark"] * 1.5), 0.2, layer="structure")
    wave_x = np.linspace(-n["Xl"], n["Xl"], 80)
    landing = [p.X for p in pieces if p.Y > Hb * 0.5]
    if landing:
        amp = np.zeros_like(wave_x)
        for x in landing:
            amp += np.exp(-((wave_x - x) / (0.1 * R)) ** 2) * np.cos((wave_x - x) / (0.03 * R)) * 0.012 * R
        wave = np.stack([wave_x, Hb - np.abs(amp) - 0.5], 1)
        band = np.concatenate([wave, np.stack([wave_x[::-1], np.full(80, Hb + 0.5)], 1)])
        cv.paint(fr.fill([band]), P["liquid"][0], 0.3, layer="structure", weight=0.6)
    return pieces, info


def _fit(widths, lo, hi):
    """Shrink factor so that beads of these widths fit side by side in [lo, hi]."""
    return min(1.0, 0.95 * (hi - lo) / max(float(np.sum(widths)) + len(widths), 1e-9))


def _pack(rng, widths, lo, hi, k):
    """Centres of beads of the given widths (times k) laid side by side without overlap in
    [lo, hi], with random gaps."""
    widths = np.asarray(widths, float)
    room = hi - lo
    w_ = widths * k + 1.0
    slack = max(0.0, room - w_.sum())
    g = rng.dirichlet(np.ones(len(w_) + 1)) * slack
    x = lo + np.cumsum(g[:-1] + w_) - w_ / 2
    return x


def _rest_beads(rng, n, labels, P, plaus, sym, info):
    """End of a splash: much of the liquid has merged with the pool; a few drops rest -- floating on the
    pool downrange, or (uprange) on the pedestal's top -- side by side, not overlapping."""
    rd, Hb, se = n["W"], n["Hb"], n["se"]
    N = n["n_pieces"]
    m = max(3, N // 6) if sym else max(6, N // 3)
    areas, law = _areas(rng, m, plaus, "fluid", None, n["A_tot"] * 0.6 / (2 if sym else 1))
    info.update(law)
    th = _angles(rng, m, labels["_direction"], sym, n["cone"])
    down = np.cos(th) > 0
    col, trans = P["piece"] if n["mode"] == "shadow" else (np.clip(np.asarray(P["sheet"][0]) * 1.05, 0, 1), min(P["sheet"][1], 0.4))
    xr = Hb * math.tan(n["cone"])
    pieces = []
    groups = [(down, (0.5 if sym else -xr, xr)), (~down, (0.5 if sym else -0.85 * rd, 0.85 * rd))]
    # one shrink for all beads, so that the size law (and equal sizes) survive the fitting
    k = min([_fit(2.5 * np.sqrt(areas[g] / math.pi), lo, hi) for g, (lo, hi) in groups if g.any()] + [1.0])
    for grp, (lo, hi) in groups:
        idx = np.flatnonzero(grp)
        if len(idx) == 0:
            continue
        if not sym:
            rng.shuffle(idx)
        r = np.sqrt(areas[idx] / math.pi)
        xs = _pack(rng, 2.5 * r, lo, hi, k)
        for j, i in enumerate(idx):
            a = float(areas[i]) * k * k
            rr = math.sqrt(a / math.pi)
            if grp is down:
                yb = Hb
            else:
                yb = -rng.uniform(0.0, 0.5) * rd * se - 1.0
            pieces.append(Piece(ellipse(0, 0, rr * 1.25, rr * 0.8, 14), xs[j], yb - rr * 0.45, 0, 0, True, col, trans * 0.6, a, "drop", depth=0.0))
    if sym:
        pieces = pieces + [p.mirrored() for p in pieces]
    return pieces


EVENTS = {"fracture": _event_fracture, "impact": _event_impact, "fluid": _event_fluid}


# ------------------------------------------------------------------ impactor and finish
def _impactor(cv, fr, n, P, labels, rng_o, fam):
    ph = labels["phase"]
    ri, R, Hb = n["ri"], n["R"], n["Hb"]
    col = P["imp"]
    k = n["blur_k"]
    if fam == "fluid":
        if ph != "pre":
            return None
        rdrop = n["W"] * rng_o.uniform(0.45, 0.7)
        y = -rng_o.uniform(0.3, 0.8) * n["Ytop"]
        dl = R * k * 1.2
        polys = [ellipse(0, y + dy, rdrop, rdrop * 1.08, 24) for dy in np.linspace(-dl / 2, dl / 2, n["steps"])]
        a = np.mean([fr.fill([p]) for p in polys], 0)
        lc, lt = P["liquid"] if n["mode"] == "shadow" else (P["sheet"][0], P["sheet"][1])
        cv.paint(a, lc, min(lt, 0.5))
        return "drop"
    if ph == "pre":
        y = -rng_o.uniform(0.35, 0.8) * n["Ytop"]
        x = 0.0
    elif ph == "transitional":
        if fam == "fracture":
            x, y = 0.0, n["D"] * n["se"] + n["t"] + ri * rng_o.uniform(1.2, 3.0)
        else:
            dirn = labels["_direction"]
            x, y = 0.0, (n["D"] * n["se"] + n["t"] - ri * 0.2) if dirn != "up" else -ri * 0.3
    else:
        if fam == "impact" and labels["_direction"] == "up":
            x, y = 0.0, -ri * 0.35
        else:
            x, y = R * rng_o.uniform(-0.35, 0.35), Hb - ri
    dl = R * k * 1.5 if ph != "end" else 0.0
    steps = n["steps"] if dl > 0 else 1
    polys = [ellipse(x, y + dy, ri, ri, 24) for dy in np.linspace(-dl / 2, dl / 2, steps)]
    a = np.mean([fr.fill([p]) for p in polys], 0)
    cv.paint(a, col)
    if n["mode"] != "shadow":
        cv.paint(fr.fill([ellipse(x - ri * 0.35, y - ri * 0.35, ri * 0.25, ri * 0.25, 10)]), np.clip(col * 1.6 + 0.2, 0, 1), 0.3)
    return n["impactor_kind"]


def _finish(img, n):
    h, w = img.shape[:2]
    if n["dof"] > 0:
        img = cv2.GaussianBlur(img, (0, 0), n["dof"])
    if n["mono"]:
        g = img.mean(axis=2, keepdims=True)
        img = np.repeat(g, 3, axis=2)
    img = img * np.array(n["tint"], F32) * F32(n["gain"])
    if n["vignette"] > 0:
        yy, xx = np.ogrid[0:h, 0:w]
        r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
        img = img * (1 - n["vignette"] * 0.5 * r2).astype(F32)[..., None]
    nz = np.random.default_rng(n["noise_seed"]).normal(0, n["noise"], (h, w, 1 if n["mono"] else 3)).astype(F32)
    img = img + nz
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _bbox(mask):
    ys, xs = np.nonzero(mask > 0.1)
    if len(xs) == 0:
        return None
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def _jsonable(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.floating, float)):
        return round(float(v), 6)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (tuple, list, np.ndarray)):
        return [_jsonable(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)]
    return v


def _render(scene, seed, labels, shape):
    labels = check_labels(labels)
    try:
        h, w = int(shape[0]), int(shape[1])
    except Exception:
        raise ValueError(f"shape: expected (H, W) with sides in 16..4096; got {shape!r}") from None
    if not (16 <= h <= 4096 and 16 <= w <= 4096):
        raise ValueError(f"shape: expected (H, W) with sides in 16..4096; got {shape!r}")
    fam = scene.family
    if fam not in FAMILIES:
        raise ValueError(f"scene.family: expected one of {', '.join(FAMILIES)}; got {fam!r}")
    rng_n = _rng(scene, seed, "nuisance", (h, w))
    rng_o = _rng(scene, seed, "object", (h, w))
    rng_e = _rng(scene, seed, labels, (h, w))
    n = _nuisance(rng_n, scene, h, w)
    P = _palette(n)
    fr = Frame(h, w, n["p0"], n["alpha"])
    cv = Canvas(_background(n, h, w))
    ev = dict(labels)
    if labels["phase"] != "pre":
        ev["_direction"] = "down" if labels["plausible"] else str(rng_e.choice(["up", "iso"]))
    else:
        ev["_direction"] = None
    _paint_context(cv, fr, n, P, fam)
    _paint_bench(cv, fr, n, P, fam)
    pieces, info = EVENTS[fam](cv, fr, n, P, ev, rng_e, scene)
    shadow_k = 0.0 if n["mode"] == "shadow" else 0.55
    render_pieces(cv, fr, pieces, n["steps"], P["shadow"], shadow_k)
    imp = _impactor(cv, fr, n, P, ev, rng_o, fam)
    out = _finish(cv.img, n)
    # ---- truth
    u = np.asarray(scene.physics.impact_direction, float)
    u = u / max(np.hypot(*u), 1e-12)
    p0 = [round(n["p0"][0], 3), round(n["p0"][1], 3)]
    in_flight = [not p.rest for p in pieces]
    truth = {
        "source": NAME,
        "version": VERSION,
        "scene_id": scene.id,
        "seed": int(seed),
        "labels": dict(labels),
        "family": fam,
        "view": "side",
        "impact_point_px": p0,
        "direction": [round(float(u[0]), 6), round(float(u[1]), 6)],
        "roll_deg": round(math.degrees(n["alpha"]), 4),
        "fold": None,
        "axis": None,
        "tau": None,
        "size_law": None,
        "size_ratio": None,
        "gamma_shape": None,
        "fragment_areas": [round(p.area, 3) for p in pieces],
        "n_pieces": len(pieces),
        "in_flight": bool(any(in_flight)),
        "n_in_flight": int(sum(in_flight)),
        "ejecta_direction": ev["_direction"],
        "cone_half_angle_deg": round(math.degrees(n["cone"]), 3) if ev["_direction"] == "down" else None,
        "exposure": n["exposure"],
        "exposure_steps": int(n["steps"]),
        "event_bbox": _bbox(cv.structure),
        "impactor": imp,
    }
    truth.update({k: _jsonable(v) for k, v in info.items()})
    if labels["phase"] != "pre" and labels["symmetric"]:
        truth["fold"] = "mirror"
        truth["axis"] = {"point_px": p0, "direction": truth["direction"], "angle_deg": round(math.degrees(math.atan2(u[1], u[0])), 3)}
    truth["nuisance"] = {k: _jsonable(v) for k, v in n.items()}
    return {
        "image": out,
        "truth": truth,
        "structure": np.clip(cv.structure, 0, 1).astype(F32),
        "pieces": cv.pieces,
        "object": np.clip(cv.object, 0, 1).astype(F32),
        "context": np.clip(cv.context, 0, 1).astype(F32),
    }


def render(scene, seed: int, *, labels: dict, shape: tuple[int, int]) -> tuple[np.ndarray, dict]:
    """One labelled image: uint8 H x W x 3 RGB and its JSON-serialisable truth."""
    L = _render(scene, seed, labels, shape)
    return L["image"], L["truth"]


def render_layers(scene, seed: int, *, labels: dict, shape: tuple[int, int]) -> dict:
    """``render`` plus float32 masks in [0, 1] -- ``structure`` (the event's structure),
    ``object`` (the target body), ``context`` (context objects) -- and ``pieces``
    (int32 label image of the detached pieces and droplets, 0 = none)."""
    return _render(scene, seed, labels, shape)

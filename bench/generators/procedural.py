"""The embedded procedural renderer: ``procedural:physical``, ``procedural:iconic``
and ``procedural:iconic=<p>`` (CPU, no weights).

It draws one schematic photograph of a scene's event -- a cracked sheet with
shards (fracture), a crater with an ejecta curtain and debris (impact), a
splash crown seen from above with fingers, beads and droplets (fluid) -- and
returns the ground truth of four independent visual labels.  Every label
combination can be drawn for every family (validation renders the full
factorial).

``symmetric``
    The event structure is mirror-symmetric about the axis through the impact
    point along ``impact_direction`` (``params.sym_kind == "mirror"``) or
    dihedral n-fold (``"rot"``, ``params.fold`` = n: a star of n equal arms at
    exactly equal angles, an n-fold crater rim, a crown of n equal fingers with
    identical beads; D_n also contains that mirror).  With one-sided (plausible)
    ejecta the star / rim stays n-fold while the debris is mirror-symmetric only.
    Fluid: a plausible crown has irregular fingers, so a symmetric plausible
    crown is always ``"mirror"``.  False: irregular angles, unequal arms,
    irregular spacing, a lumpy rim, one-sided structure.
``transitional``
    Mid-process: pieces and droplets in flight, each with a fading motion
    streak pointing back to one apparent source (the impact point) whose
    length / distance ratio is ``params.streak_ratio``; a blurred ejecta curtain
    with fine radial streaks; spray (short streaks); radial cracks whose tips
    end in the open sheet (``params.open_tips``); beads pinching off the crown
    fingers.  False: the same pieces crisp and at rest, a crisp ejecta blanket,
    grit dots instead of spray, cracks complete (running to the edge; rings
    closed), beads attached, no blur anywhere.
``plausible``
    Piece areas (shards / debris / droplets, ``params.fragment_areas`` in px^2)
    follow n(A) ~ A^-tau on [a_min, a_max] with tau drawn inside the scene's
    ``fragment_size_exponent`` (default [1.3, 2.0]); ejecta, debris, streaks
    and spray lie downrange, in a cone (< 72 deg) around ``impact_direction``;
    concentric cracks end on the radial ones in staggered T-junctions and
    secondary cracks run from one concentric crack to the next (T at both
    ends); crown fingers irregular and longer downrange.  False: all areas equal
    within +-5 % (``tau`` is null), ejecta isotropic or uprange
    (``params.ejecta_mode``), concentric cracks forming closed rings that cross
    every radial crack (X-junctions) plus, when not symmetric, straight cracks
    cutting across the star; a tall central Worthington jet drawn together with
    the crown (a composite of two instants).
``polished``
    The nuisance "iconic look": centred, crisp, high contrast, saturated,
    clean (flat / gradient / vignette) background.  False: off-centre, softer
    contrast, desaturated, slightly blurred, textured or cluttered background,
    more sensor noise.  The only label that moves global contrast, saturation
    and sharpness.

Nuisance drawn from the seed in every combination: background colour, kind and
texture, lighting gradient and gain, tint, object scale, position (when not
polished), streak ratio, noise.  Ink is balanced between label values so that
mean brightness, RMS contrast, colourfulness and the centroid of the picture do
not predict symmetric / transitional / plausible; in particular one-sided
ejecta would pull the picture's centre of mass downrange, so the impact point
sits ``params.framing_shift_px`` upstream of the nominal spot (image centre
when polished), and isotropic ejecta get a random shift of the same spread.

``params`` (JSON) also records: ``centre_px`` (impact point = apparent source),
``axis`` (point, direction, angle of the mirror axis), ``direction``, ``scale``,
``fold``, ``tau`` / ``tau_drawn`` / ``exponent_range`` / ``a_min`` / ``a_max``,
``n_fragments``, ``fragment_areas`` / ``fragment_centres`` (px) /
``fragment_directions`` (unit velocity, radial from the source), ``in_flight``,
``n_unplaced`` (pieces that found no free spot and were left out; the
recorded areas are those drawn), ``junctions``, family specifics (arm angles
and lengths, crater radius, finger lengths, bead areas, ``worthington_jet``)
and the nuisance draws.  Areas are truncated at ``a_max``: the plain Clauset
estimate 1 + n / sum(ln(A / a_min)) reads tau too steep when tau is small
(for the a_max / a_min of about 80-110 used here: about +0.3 at tau 1.2, +0.17
at 1.5, +0.05 at 2.0); fit the truncated law when the cap matters.

:func:`render_layers` returns the masks before background, lighting and
noise: ``structure`` (the event structure the labels talk about) and
``object`` (the target body), for scorer validation.

The RNG is derived from sha256 of (scene id, version, seed, iconic, labels,
image shape): the same inputs give bit-identical images; there is no global
state.  Drawn straight at the target resolution with anti-aliased OpenCV
primitives (sub-pixel coordinates).
"""

from __future__ import annotations

import colorsys
import hashlib
import math

import cv2
import numpy as np

from bench.generators import _draw_common as C

LABELS = ("symmetric", "transitional", "plausible", "polished")
RENDERER_VERSION = 1
PHYSICAL = {"symmetric": False, "transitional": True, "plausible": True, "polished": False}
ICONIC = {k: not v for k, v in PHYSICAL.items()}
DEFAULT_EXPONENT = (1.3, 2.0)
# how far (fraction of the short side) the impact point sits upstream of the nominal
# spot when ejecta are one-sided, so that the picture's centre of mass stays put
# piece areas (power law or equal) live on [a_min, a_max]: a_min in px^2 at 256 px
# (scaled with the square of the size), a_max as a fraction of the short side squared
_A_MIN = {"fracture": 6.0, "impact": 6.0, "fluid": 4.0}
_A_MAX = {"fracture": 0.01, "impact": 0.009, "fluid": 0.005}
_FRAMING_SHIFT = {"fracture": 0.085, "impact": 0.07, "fluid": 0.02}

# ----------------------------------------------------------------------------- palettes
# colours are RGB in [0, 1]; extents (hx, hy) in units of the object scale R along
# image x / y (swapped when the impact direction is mostly vertical... see _body_axes)

_PALETTES = {
    # fracture
    "pane": dict(body=(0.70, 0.82, 0.86), body_alpha=0.45, p=10, ext=(1.3, 1.0), frame=(0.93, 0.92, 0.88),
                 crack=(0.97, 0.99, 1.0), crack_dark=(0.2, 0.25, 0.28), piece=(0.82, 0.92, 0.96),
                 piece_alpha=0.8, kind="shard"),
    "glass": dict(body=(0.78, 0.84, 0.88), body_alpha=0.4, p=2.2, ext=(0.8, 1.0), crack=(0.98, 0.99, 1.0),
                  crack_dark=(0.25, 0.28, 0.32), piece=(0.86, 0.93, 0.97), piece_alpha=0.75, kind="shard"),
    "plate": dict(body=(0.94, 0.93, 0.89), body_alpha=1.0, p=2, ext=(1.25, 0.8), trim=(0.2, 0.35, 0.65),
                  crack=(0.3, 0.28, 0.27), crack_dark=(0.6, 0.58, 0.55), piece=(0.95, 0.94, 0.9),
                  piece_alpha=1.0, kind="shard"),
    "bottle": dict(body=(0.16, 0.45, 0.22), body_alpha=0.8, p=4, ext=(0.6, 1.3), crack=(0.72, 0.92, 0.72),
                   crack_dark=(0.05, 0.15, 0.07), piece=(0.3, 0.66, 0.36), piece_alpha=0.85, kind="shard"),
    "icesheet": dict(body=(0.8, 0.9, 0.95), body_alpha=0.85, p=2.5, ext=(1.45, 1.1), crack=(1.0, 1.0, 1.0),
                     crack_dark=(0.3, 0.45, 0.6), piece=(0.9, 0.96, 1.0), piece_alpha=0.9, kind="shard"),
    # impact
    "iceblock": dict(body=(0.78, 0.9, 0.96), body_alpha=0.92, p=7, ext=(1.25, 0.95), cavity=(0.5, 0.66, 0.78),
                     rim=(0.97, 0.99, 1.0), deposit=(0.9, 0.95, 0.98), piece=(0.9, 0.96, 1.0), kind="chunk",
                     crack=(1.0, 1.0, 1.0), crack_dark=(0.35, 0.5, 0.62)),
    "sand": dict(body=(0.8, 0.68, 0.48), body_alpha=1.0, p=2, ext=(1.9, 1.35), cavity=(0.42, 0.32, 0.22),
                 rim=(0.92, 0.82, 0.62), deposit=(0.62, 0.5, 0.35), piece=(0.55, 0.44, 0.3), kind="chunk",
                 core=(0.18, 0.16, 0.15)),
    "egg": dict(body=(0.96, 0.93, 0.86), body_alpha=1.0, p=2, ext=(0.85, 1.1), cavity=(0.98, 0.74, 0.14),
                rim=(0.99, 0.99, 0.96), deposit=(0.97, 0.9, 0.62), piece=(0.95, 0.9, 0.82), kind="shard"),
    "crash": dict(body=(0.62, 0.62, 0.6), body_alpha=1.0, p=8, ext=(0.45, 1.7), cavity=(0.3, 0.32, 0.36),
                  rim=(0.82, 0.82, 0.85), deposit=(0.45, 0.45, 0.47), piece=(0.75, 0.2, 0.15), kind="shard",
                  piece_mix=((0.75, 0.2, 0.15), (0.85, 0.88, 0.9), (0.25, 0.25, 0.27))),
    "pumpkin": dict(body=(0.9, 0.5, 0.1), body_alpha=1.0, p=2, ext=(1.05, 0.85), cavity=(0.96, 0.76, 0.32),
                    rim=(1.0, 0.86, 0.52), deposit=(0.92, 0.62, 0.2), piece=(0.88, 0.48, 0.1), kind="chunk",
                    piece_mix=((0.88, 0.48, 0.1), (0.97, 0.92, 0.75))),
    "rock": dict(body=(0.55, 0.55, 0.52), body_alpha=1.0, p=3, ext=(1.4, 1.1), cavity=(0.28, 0.27, 0.26),
                 rim=(0.8, 0.79, 0.75), deposit=(0.45, 0.44, 0.42), piece=(0.5, 0.49, 0.46), kind="chunk"),
    # fluid
    "milk": dict(body=(0.85, 0.84, 0.8), body_alpha=0.97, p=2, ext=(1.8, 1.25), cavity=(0.66, 0.65, 0.62),
                 rim=(1.0, 1.0, 0.98), piece=(0.99, 0.98, 0.96), kind="drop"),
    "pond": dict(body=(0.12, 0.3, 0.35), body_alpha=0.95, p=2, ext=(2.0, 1.5), cavity=(0.05, 0.16, 0.2),
                 rim=(0.76, 0.88, 0.92), piece=(0.82, 0.93, 0.96), kind="drop"),
    "sea": dict(body=(0.1, 0.26, 0.4), body_alpha=0.95, p=3, ext=(2.0, 1.5), cavity=(0.05, 0.14, 0.24),
                rim=(0.93, 0.96, 0.98), piece=(0.92, 0.96, 1.0), kind="drop"),
    "balloon": dict(body=(0.45, 0.7, 0.92), body_alpha=0.75, p=2, ext=(1.5, 1.2), cavity=(0.3, 0.5, 0.75),
                    rim=(0.72, 0.88, 1.0), piece=(0.78, 0.91, 1.0), kind="drop", skin=(0.86, 0.16, 0.22)),
}

_KEYWORDS = (
    ("pane", ("pane", "window")),
    ("bottle", ("bottle",)),
    ("plate", ("plate", "ceramic", "dish", "mug", "vase")),
    ("glass", ("wine", "glass")),
    ("icesheet", ("ice-sheet", "ice-pane", "lake-ice")),
    ("iceblock", ("ice",)),
    ("sand", ("sand", "meteor", "crater", "asteroid")),
    ("egg", ("egg",)),
    ("crash", ("crash", "car", "wall")),
    ("pumpkin", ("pumpkin", "melon", "fruit")),
    ("milk", ("milk", "drop-crown", "coffee")),
    ("balloon", ("balloon",)),
    ("sea", ("wave", "sea", "surf")),
    ("pond", ("pond", "rock", "stone", "pool", "water")),
)
_FAMILY_DEFAULT = {"fracture": "pane", "impact": "rock", "fluid": "pond"}
_FAMILY_PALETTES = {
    "fracture": ("pane", "glass", "plate", "bottle", "icesheet"),
    "impact": ("iceblock", "sand", "egg", "crash", "pumpkin", "rock"),
    "fluid": ("milk", "pond", "sea", "balloon"),
}


def palette_key(scene) -> str:
    name = scene.id.split("/", 1)[-1].lower()
    allowed = _FAMILY_PALETTES.get(scene.family, ())
    for key, words in _KEYWORDS:
        if key in allowed and any(w in name for w in words):
            return key
    return _FAMILY_DEFAULT.get(scene.family, "pane")


# ----------------------------------------------------------------------------- context


class Ctx:
    """Everything a family drawer needs (rng, frame, labels, palette, layers)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.layers: list[C.Layer] = []

    def layer(self, colour=None, structure: bool = True) -> C.Layer:
        lay = C.Layer(self.H, self.W, colour, structure)
        self.layers.append(lay)
        return lay

    def areas(self, n: int) -> np.ndarray:
        """n piece areas: power law when plausible, else equal (+-5 %) with the same mean."""
        pl = C.power_law(self.rng, n, self.tau, self.a_min, self.a_max)
        if self.labels["plausible"]:
            return pl
        return float(pl.mean()) * self.rng.uniform(0.95, 1.05, n)

    def tint(self, colour, amount: float = 0.06) -> np.ndarray:
        c = np.asarray(colour, np.float64) * self.tint_gain
        return np.clip(c * (1.0 + self.rng.uniform(-amount, amount, 3)), 0, 1)

    def debris(self, pieces, colours, alpha: float, tail_colour, tail_tint: float = 0.02, edge_colour=None,
               **draw_kw) -> list:
        """Draw placed pieces (:func:`C.draw_pieces`): crisp at rest, or in flight
        with a fading streak (softened) in a tint of ``tail_colour``; with
        ``edge_colour`` an outline layer too.  Returns the per-piece records."""
        moving = self.labels["transitional"]
        tail = self.layer(self.tint(tail_colour, tail_tint)) if moving else None
        head = self.layer(None)
        if edge_colour is not None:
            draw_kw["edge"] = self.layer(self.tint(edge_colour, 0.02))
        rec = C.draw_pieces(self.frame, pieces, head, tail, colours, alpha, moving, self.kappa, **draw_kw)
        if tail is not None:
            tail.soften(0.6 * self.px + 0.3)
        return rec

    def spray(self, psym: C.Sym, colour, tint: float, n_range: tuple[int, int], r_in: float, alpha: float,
              **dots_kw) -> np.ndarray:
        """Tiny particles from ``r_in`` out to 0.6 of the size (:func:`C.dots`):
        streaks towards the source in flight, dots at rest.  Returns their positions."""
        layer = self.layer(self.tint(colour, tint))
        n = int(self.rng.integers(*n_range))
        pts = C.dots(self.frame, self.rng, psym, self.mode, max(1, n // psym.copies), r_in, 0.6 * self.S, self.spread)
        C.draw_dots(self.frame, pts, layer, self.labels["transitional"], self.kappa, alpha, max(1, self.thick), **dots_kw)
        return pts


def _rng_for(scene, seed, iconic, labels, h, w) -> np.random.Generator:
    lab = "none" if labels is None else ",".join(f"{k}={int(bool(labels[k]))}" for k in LABELS)
    key = f"realgap-procedural|v{RENDERER_VERSION}|{scene.id}|{scene.version}|{int(seed)}|{float(iconic)!r}|{lab}|{h}x{w}"
    digest = hashlib.sha256(key.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _check_labels(labels) -> dict[str, bool] | None:
    if labels is None:
        return None
    if not isinstance(labels, dict) or set(labels) != set(LABELS):
        raise ValueError(f"labels: expected a dict with exactly the keys {', '.join(LABELS)}; got {labels!r}")
    bad = [k for k in LABELS if not isinstance(labels[k], (bool, np.bool_))]
    if bad:
        raise ValueError(f"labels: expected True/False for {', '.join(bad)}; got {[labels[k] for k in bad]!r}")
    return {k: bool(labels[k]) for k in LABELS}


def _resolve_labels(rng, iconic: float, labels) -> dict[str, bool]:
    draws = rng.random(len(LABELS))  # always drawn: the stream stays aligned
    if labels is None:
        return {k: (ICONIC[k] if u < iconic else PHYSICAL[k]) for k, u in zip(LABELS, draws)}
    return labels


def _luma(c) -> float:
    return float(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])


# ----------------------------------------------------------------------------- background


def _background(rng, H, W, S, pal, polished: bool):
    """Background image (float32) and a description dict."""
    yb = _luma(pal["body"])
    if polished:
        v = rng.uniform(0.03, 0.2) if yb > 0.5 else rng.uniform(0.78, 0.95)
        sat = rng.uniform(0.15, 0.6)
        kind = str(rng.choice(["flat", "gradient", "vignette"]))
        tex_amp = rng.uniform(0.0, 0.012)
    else:
        v = rng.uniform(0.14, 0.45) if yb > 0.5 else rng.uniform(0.5, 0.8)
        sat = rng.uniform(0.05, 0.35)
        kind = str(rng.choice(["texture", "clutter", "gradient-texture"]))
        tex_amp = rng.uniform(0.03, 0.09)
    hue = rng.random()
    base = np.array(colorsys.hsv_to_rgb(hue, sat, 1.0))
    base = base * (v / max(_luma(base), 1e-3))
    base = np.clip(base, 0, 1).astype(np.float32)
    # background = base colour x (gradient or vignette field) + grey texture, built per channel
    ys = (np.arange(H, dtype=np.float32) - H / 2) / S
    xs = (np.arange(W, dtype=np.float32) - W / 2) / S
    field = None
    if kind in ("gradient", "gradient-texture"):
        a = rng.uniform(0, C.TAU)
        g = rng.uniform(0.12, 0.35) * (1 if v < 0.5 else -1)
        field = (np.float32(np.cos(a) * g) * xs[None, :] + np.float32(np.sin(a) * g) * ys[:, None]) + np.float32(1.0)
    elif kind == "vignette":
        field = np.float32(1.0) - np.float32(rng.uniform(0.3, 0.7)) * (xs[None, :] ** 2 + ys[:, None] ** 2)
    tex = None
    if tex_amp > 0:
        gs = int(rng.integers(6, 20))
        low = rng.standard_normal((gs, gs), dtype=np.float32)
        tex = cv2.resize(low, (W, H), interpolation=cv2.INTER_CUBIC)
        tex *= np.float32(tex_amp)
        if not polished:
            fine = rng.standard_normal((max(2, H // 4), max(2, W // 4)), dtype=np.float32)
            tex += cv2.resize(fine, (W, H), interpolation=cv2.INTER_LINEAR) * np.float32(tex_amp * 0.5)
    planes = []
    for ch in range(3):
        if field is None:
            pl = np.full((H, W), base[ch], np.float32)
        else:
            pl = field * base[ch]
        if tex is not None:
            pl += tex
        planes.append(pl)
    img = cv2.merge(planes)
    if kind == "clutter":
        lay = C.Layer(H, W, None, structure=False)
        for _ in range(int(rng.integers(6, 14))):
            col = np.clip(base * rng.uniform(0.6, 1.5) + rng.uniform(-0.1, 0.1, 3), 0, 1)
            al = rng.uniform(0.25, 0.55)
            x, y = rng.uniform(0, W), rng.uniform(0, H)
            s = rng.uniform(0.04, 0.25) * S
            t = rng.integers(3)
            if t == 0:
                ang = rng.uniform(0, C.TAU)
                lay.lines([[(x, y), (x + 3 * s * math.cos(ang), y + 3 * s * math.sin(ang))]],
                          int(rng.integers(1, 4)), al, colour=col)
            elif t == 1:
                ww, hh = s, s * rng.uniform(0.3, 1.5)
                lay.poly([(x, y), (x + ww, y), (x + ww, y + hh), (x, y + hh)], al, col)
            else:
                ang = np.linspace(0, C.TAU, 20, endpoint=False)
                lay.poly(np.stack([x + s * 0.5 * np.cos(ang), y + s * 0.5 * np.sin(ang)], 1), al, col)
        lay.composite(img)
    return img, {"kind": kind, "value": float(v), "hue": float(hue), "texture": float(tex_amp)}


# ----------------------------------------------------------------------------- render


def _body_ext(pal, d, R):
    """Body half-extents (a along u, b along v) from image-frame extents."""
    hx, hy = pal["ext"]
    if abs(d[0]) >= abs(d[1]):
        return hx * R, hy * R
    return hy * R, hx * R


def _draw(scene, seed, size, iconic, labels, shape):
    if shape is not None:
        H, W = int(shape[0]), int(shape[1])
    else:
        H = W = int(size)
    if H < 16 or W < 16:
        raise ValueError(f"shape: expected at least 16 x 16 pixels; got {H} x {W}")
    iconic = float(iconic)
    if not (0.0 <= iconic <= 1.0) or math.isnan(iconic):
        raise ValueError(f"iconic: expected a number in [0, 1]; got {iconic!r}")
    labels = _check_labels(labels)
    rng = _rng_for(scene, seed, iconic, labels, H, W)
    lab = _resolve_labels(rng, iconic, labels)
    S = float(min(H, W))
    ph = scene.physics
    d = np.asarray(ph.impact_direction if ph.impact_direction is not None else (0.0, 1.0), np.float64)
    d = d / (np.linalg.norm(d) or 1.0)
    lo, hi = ph.fragment_size_exponent or DEFAULT_EXPONENT
    tau = float(rng.uniform(lo, hi))
    key = palette_key(scene)
    pal = dict(_PALETTES[key])
    family = scene.family if scene.family in ("fracture", "impact", "fluid") else "fracture"

    sym_kind = "none"
    if lab["symmetric"]:
        sym_kind = "rot" if rng.random() < 0.5 else "mirror"
    if lab["plausible"]:
        mode = "downrange"
    else:
        mode = "isotropic" if rng.random() < 0.55 else "against"

    # nuisance: placement, scale, tint, background, streak ratio
    if lab["polished"]:
        c = np.array([W / 2.0, H / 2.0])
    else:
        ip = ph.impact_point or (0.5, 0.5)
        base = np.clip(np.asarray(ip, np.float64), 0.36, 0.64)
        ang = rng.uniform(0, C.TAU)
        off = rng.uniform(0.08, 0.15)
        c = base * np.array([W, H]) + off * S * np.array([math.cos(ang), math.sin(ang)])
    # frame the whole event: one-sided ejecta would pull the picture's centre of mass
    # downrange (or uprange), so the impact point sits a little upstream of the nominal spot
    sgn = {"downrange": 1.0, "against": -1.0}.get(mode, 0.0)
    shift = sgn * _FRAMING_SHIFT.get(family, 0.0) * S
    if sgn == 0.0:  # isotropic ejecta: the same spread of framing, in either sense
        shift = rng.normal(0.0, 0.65) * _FRAMING_SHIFT.get(family, 0.0) * S
    c = c - shift * d
    c = np.clip(c, np.array([0.3 * W, 0.3 * H]), np.array([0.7 * W, 0.7 * H]))
    R = S * rng.uniform(0.2, 0.27)
    frame = C.Frame(c, d, H, W, margin=max(2.0, 0.02 * S))
    bg, bg_info = _background(rng, H, W, S, pal, lab["polished"])

    px = S / 256.0
    ctx = Ctx(
        rng=rng, H=H, W=W, S=S, R=R, px=px, frame=frame, labels=lab, pal=pal, key=key,
        sym_kind=sym_kind, mode=mode, tau=tau, a_min=_A_MIN[family] * px * px, a_max=_A_MAX[family] * S * S,
        kappa=float(rng.uniform(0.1, 0.22)), thick=max(1, int(round(1.1 * px))),
        tint_gain=float(rng.uniform(0.9, 1.06)), body_ext=_body_ext(pal, d, R),
        spread=float(rng.uniform(0.38, 0.55)),
    )
    if family == "fracture":
        from bench.generators._draw_fracture import draw as drawer
    elif family == "impact":
        from bench.generators._draw_impact import draw as drawer
    else:
        from bench.generators._draw_fluid import draw as drawer
    params = drawer(ctx)

    # composite the event over the background
    img = bg
    for lay in ctx.layers:
        lay.composite(img)
    # lighting: a linear brightness gradient and an exposure gain
    la = rng.uniform(0, C.TAU)
    lg = rng.uniform(0.05, 0.3)
    gain = rng.uniform(0.88, 1.08)
    # polished: contrast and saturation up, crisp; otherwise softer, duller, blurred a little
    if lab["polished"]:
        cg, sg, blur, sigma = rng.uniform(1.12, 1.3), rng.uniform(1.15, 1.45), 0.0, rng.uniform(0.002, 0.008)
    else:
        cg, sg = rng.uniform(0.7, 0.9), rng.uniform(0.72, 1.0)
        blur = rng.uniform(0.3, 0.75) * px if rng.random() < 0.6 else 0.0
        sigma = rng.uniform(0.01, 0.028)
    ys = (np.arange(H, dtype=np.float32) - H / 2) / S
    xs = (np.arange(W, dtype=np.float32) - W / 2) / S
    light = (math.cos(la) * lg * gain) * xs[None, :] + (math.sin(la) * lg * gain) * ys[:, None] + gain
    C.mul3(img, light)
    # saturation about the grey of each pixel, then contrast about the mean grey: one affine map
    m = float(np.mean(cv2.mean(img)[:3]))
    M = np.full((3, 3), (1.0 - sg) / 3.0) + np.eye(3) * sg
    M = np.hstack([M * (cg * 255.0), np.full((3, 1), m * (1.0 - cg) * 255.0 + 0.5)]).astype(np.float32)
    img = cv2.transform(img, M)
    if blur > 0.25:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    noise = rng.standard_normal((H, W), dtype=np.float32)
    noise *= sigma * 255.0
    C.add3(img, noise)
    np.clip(img, 0, 255, out=img)
    out = img.astype(np.uint8)

    structure = np.zeros((H, W), np.uint8)
    body = np.zeros((H, W), np.uint8)
    for lay in ctx.layers:
        np.maximum(structure if lay.structure else body, lay.alpha, out=structure if lay.structure else body)

    truth = {
        **{k: bool(lab[k]) for k in LABELS},
        "iconic": iconic,
        "renderer_version": RENDERER_VERSION,
        "params": {
            "family": family,
            "palette": key,
            "phase": ph.phase,
            "tau": float(tau) if lab["plausible"] else None,
            "tau_drawn": float(tau),
            "exponent_range": [float(lo), float(hi)],
            "a_min": float(ctx.a_min),
            "a_max": float(ctx.a_max),
            "sym_kind": sym_kind,
            "axis": {
                "point": [float(c[0]), float(c[1])],
                "direction": [float(d[0]), float(d[1])],
                "angle_deg": float(math.degrees(math.atan2(d[1], d[0]))),
            },
            "centre_px": [float(c[0]), float(c[1])],
            "framing_shift_px": float(shift),
            "centre_frac": [float(c[0] / W), float(c[1] / H)],
            "scale": float(R / S),
            "direction": [float(d[0]), float(d[1])],
            "ejecta_mode": mode,
            "streak_ratio": float(ctx.kappa) if lab["transitional"] else None,
            "background": bg_info,
            "light": {"angle_deg": float(math.degrees(la)), "gradient": float(lg), "gain": float(gain)},
            "contrast_gain": float(cg),
            "saturation_gain": float(sg),
            "blur_px": float(blur),
            "noise_sigma": float(sigma),
            "size": [H, W],
            **params,
        },
    }
    return out, truth, structure, body


def render(scene, seed: int, *, size: int = 256, iconic: float = 0.0,
           labels: dict[str, bool] | None = None, shape: tuple[int, int] | None = None) -> tuple[np.ndarray, dict]:
    """Return ``(image uint8 H x W x 3 RGB, truth dict)`` for one scene and seed.

    ``labels`` (all four of :data:`LABELS`) fixes the labels; otherwise each is
    drawn iconic with probability ``iconic``.  ``shape=(h, w)`` overrides ``size``.
    """
    out, truth, _, _ = _draw(scene, seed, size, iconic, labels, shape)
    return out, truth


def render_layers(scene, seed: int, *, size: int = 256, iconic: float = 0.0,
                  labels: dict[str, bool] | None = None, shape: tuple[int, int] | None = None) -> dict:
    """Like :func:`render`, plus the masks before background, lighting and noise:
    ``structure`` (float32 H x W in [0, 1]: cracks, crater, crown, pieces, streaks,
    spray -- the event structure the labels talk about) and ``object`` (the
    target body: pane, block, pool)."""
    out, truth, structure, body = _draw(scene, seed, size, iconic, labels, shape)
    return {
        "image": out,
        "truth": truth,
        "structure": structure.astype(np.float32) / 255.0,
        "object": body.astype(np.float32) / 255.0,
    }

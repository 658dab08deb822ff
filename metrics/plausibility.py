"""Consistency with the physics of fracture, impact and splashing."""

from __future__ import annotations

import math

import numpy as np

from metrics import _features as F
from metrics import eventnet
from metrics.registry import register

COLUMNS = (
    "plausibility",
    "plausibility_learned",
    "plausibility_size_law",
    "plausibility_size_tau",
    "plausibility_size_spread",
    "plausibility_direction",
    "plausibility_junctions",
)
DEFAULT_EXPONENT = (1.0, 2.5)
"""Plausible range of tau when the scene gives none: measured exponents span about 1 to 2.5."""
TAU_SOFTNESS = 0.25
"""Width of the Gaussian fall-off of the size-law score outside the range of tau."""
MIN_TAIL = 8
"""Fewest fragments in the power-law tail for a fit."""
CV_RANGE = (0.3, 0.8)
"""Coefficient of variation of fragment areas mapped to 0 and 1 (near-equal to heavy-tailed)."""
FRAGMENT_MIN = 3.0
"""Smallest fragment in the size law, in units of the smallest piece (9 px at 256 px, 1.4e-4 of the image)."""
MIN_DEBRIS = 3
"""Fewest detached pieces or streaks to judge their direction."""
LEARNED_WEIGHT = 2.0
"""Weight of EventNet's plausibility (:mod:`metrics.eventnet`) in ``plausibility``."""
WEIGHTS = (0.5, 0.0, 1.0, 0.5)
"""Weights of size_law, size_spread, direction and junctions in
``plausibility``: the exponent fit needs the most pieces and the skeleton of
faint cracks moves most under JPEG and cropping, so those two count half.
``size_spread`` is reported but not counted (weight 0, 2026-12-08): on the
design renderers other than the own one it is near chance (AUROC 0.55 on
``sim`` and ``sidecam``), it moved the side-view plausibility most under a
0.5x resize (median |change| 0.18), and in a busy scene it read small
equal-sized shards as the more spread ones (docs/scorers.md)."""
SPREAD_FLOOR = 4.0
"""Spots in the size-spread test: from this many times the smallest piece
(12 px at 256 px), where pixel counts resolve a 10 % difference in area."""
SPREAD_HALF_WIDTH = 0.1
"""Half-width in ln(area) of a group of equal-sized pieces (+-10 %)."""
SPREAD_RANGE = (0.15, 0.5)
"""Share of the pieces in the largest equal-size group mapped to 1 and 0.
Simulated samples (area jitter +-7 %, :func:`largest_equal_share`) of 12-50
pieces put the median share at 0.08-0.24 for power laws with tau = 1.1-2.5
and for splash drops with gamma-distributed diameters (shape 4-10), the 95th
percentile at 0.10-0.36 (0.50 with only 6 pieces); equal-sized sets (+-5 %)
give 0.57-0.73."""
MIN_SPREAD = 6
"""Fewest spots to judge the size spread."""
MIN_JUNCTIONS = 4
"""Fewest three- or four-way junctions to judge a crack network."""


_TAUS = np.linspace(1.0 + 1e-3, 6.0, 2000)


def _truncated_fit(tail: np.ndarray, lo: float, hi: float) -> float:
    """MLE of tau for a power law truncated to [lo, hi] (grid search, exact)."""
    e = 1.0 - _TAUS
    # log of the normaliser Z(tau) = (lo^e - hi^e) / (tau - 1), stable near tau = 1
    ratio = math.log(hi / lo)
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.where(
            np.abs(e * ratio) < 1e-6,
            math.log(ratio) + e * math.log(lo),
            np.log(np.abs(lo**e - hi**e)) - np.log(_TAUS - 1.0),
        )
    ll = -tail.size * z - _TAUS * float(np.log(tail).sum())
    return float(_TAUS[int(np.argmax(ll))])


def fit_power_law(areas: np.ndarray, *, min_tail: int = MIN_TAIL) -> tuple[float, float, int, float]:
    """Maximum-likelihood exponent of n(A) ~ A^-tau between a lower cutoff and the largest area.

    Follows Clauset, Shalizi & Newman (2009): for each candidate cutoff
    ``A_min`` (each distinct area leaving at least ``min_tail`` values and a
    quarter of the sample above it) tau is fitted by maximum likelihood, and
    the cutoff with the smallest Kolmogorov-Smirnov distance between the tail
    and the fit wins.  Because one image holds no fragment larger than the
    object, the likelihood is that of a power law truncated above at the
    largest observed area (Deluca & Corral 2013); without the truncation,
    ``tau = 1 + n / sum ln(A_i / A_min)`` (Clauset et al. eq. 3.1) is biased
    high by up to a few tenths on fragments of one image.  Areas are integer
    pixel counts: the bounds are widened by half a pixel.

    Returns (tau, A_min, n_tail, KS distance); tau is NaN when there are fewer
    than ``min_tail`` areas.
    """
    x = np.sort(np.asarray(areas, dtype=np.float64))
    n = x.size
    if n < min_tail:
        return math.nan, math.nan, n, math.nan
    # the cutoff is searched in the lower three quarters of the sample: with
    # the tens to hundreds of fragments of one image, a higher cutoff leaves
    # too few to fit
    min_tail = max(min_tail, (n + 3) // 4)
    cands = np.unique(x[: n - min_tail + 1])
    best = (math.nan, math.nan, 0, math.inf)
    hi = float(x[-1]) + 0.5
    for xmin in cands:
        i = int(np.searchsorted(x, xmin, side="left"))
        tail = x[i:]
        m = tail.size
        lo = float(xmin) - 0.5
        if hi / lo < 1.5:
            continue  # no range to fit an exponent on
        tau = _truncated_fit(tail, lo, hi)
        e = 1.0 - tau
        # KS distance between the empirical and fitted survival functions
        fit = (tail**e - hi**e) / (lo**e - hi**e)
        emp = 1.0 - np.arange(m) / m
        emp_next = 1.0 - np.arange(1, m + 1) / m
        d = float(max(np.abs(emp - fit).max(), np.abs(emp_next - fit).max()))
        if d < best[3]:
            best = (tau, float(xmin), m, d)
    if not math.isfinite(best[0]):
        return math.nan, math.nan, n, math.nan
    return best


def size_law(areas: np.ndarray, exponent: tuple[float, float]) -> tuple[float, float, str]:
    """(score, tau, note) for a sample of fragment areas."""
    cv = float(np.std(areas) / max(np.mean(areas), 1e-12)) if areas.size else math.nan
    if areas.size >= MIN_TAIL and cv < CV_RANGE[0]:
        return 0.0, math.nan, "fragment sizes near-equal: no power law"
    tau, _, n_tail, _ = fit_power_law(areas)
    if not math.isfinite(tau):
        return math.nan, math.nan, f"too few fragments for a size law ({areas.size})"
    lo, hi = exponent
    dist = max(0.0, lo - tau, tau - hi)
    s_tau = math.exp(-((dist / TAU_SOFTNESS) ** 2))
    s_cv = F.smoothstep(cv, *CV_RANGE)
    return s_tau * s_cv, tau, ""


def largest_equal_share(areas: np.ndarray, half_width: float = SPREAD_HALF_WIDTH) -> float:
    """Largest share of ``areas`` in one group of equal size (ln-area within +-``half_width``).

    Soft count: piece j counts ``exp(-(ln A_j - ln A_i)^2 / (2 (w/2)^2))``
    towards the group around piece i (full weight at equal size, 0.14 at the
    edge of the +-w window), so the share does not jump when one area crosses
    the window's edge under blur or resampling.
    """
    la = np.log(np.asarray(areas, np.float64))
    if la.size == 0:
        return math.nan
    d = (la[:, None] - la[None, :]) / (0.5 * half_width)
    return float(np.exp(-0.5 * d * d).sum(axis=1).max()) / la.size


def size_spread(sp: F.Spots) -> tuple[float, float, str]:
    """(score, share, note): are the pieces' sizes spread as fragments and splash drops are?

    Fragmentation gives power-law sizes (many small, few large pieces) and a
    splash gives drops whose diameters follow broad gamma distributions
    (Villermaux 2007: ligament-mediated break-up, shape about 4-10), so a
    large group of equal-sized pieces is not physical.  ``share`` is the
    largest soft-counted fraction of the spots (from :data:`SPREAD_FLOOR` times the
    smallest piece) whose areas agree within +-10 %; the score is ``1 -
    smoothstep(share, 0.15, 0.5)`` (see :data:`SPREAD_RANGE` for where those
    numbers come from).
    """
    a = sp.area[sp.area >= SPREAD_FLOOR * sp.min_area]
    if a.size < MIN_SPREAD:
        return math.nan, math.nan, f"too few pieces for a size spread ({a.size})"
    share = largest_equal_share(a)
    return 1.0 - F.smoothstep(share, *SPREAD_RANGE), share, ""


def direction(lay: F.Layout, scene) -> tuple[float, str]:
    """(score, note): do debris and streaks go the way the scene's impact points?"""
    phys = getattr(scene, "physics", None) if scene is not None else None
    d = getattr(phys, "impact_direction", None) if phys is not None else None
    if d is None:
        return math.nan, "no scene: direction not judged"
    d = np.asarray(d, np.float64)
    d = d / max(float(np.hypot(*d)), 1e-12)
    c = lay.sc
    idx = np.concatenate([lay.pieces, lay.streaks])
    if lay.big.size and lay.body is not None:
        # dense debris merges into large clusters: count those lying off the body
        h0, w0 = lay.smask.shape
        bx = np.clip(np.rint(c.cx[lay.big]).astype(int), 0, w0 - 1)
        by = np.clip(np.rint(c.cy[lay.big]).astype(int), 0, h0 - 1)
        idx = np.concatenate([idx, lay.big[~lay.body[by, bx]]])
    if idx.size < MIN_DEBRIS:
        return math.nan, "too few pieces or streaks to judge direction"
    h, w = lay.smask.shape
    point = getattr(phys, "impact_point", None)
    if lay.body_xy is not None:
        src = np.array(lay.body_xy)
    elif point is not None:
        src = np.array([point[0] * (w - 1), point[1] * (h - 1)])
    else:
        wts = c.area[idx]
        src = np.array([np.average(c.cx[idx], weights=wts), np.average(c.cy[idx], weights=wts)])
    v = np.stack([c.cx[idx] - src[0], c.cy[idx] - src[1]], axis=1)
    dist = np.hypot(v[:, 0], v[:, 1])
    far = dist > 0.02 * lay.side
    if far.sum() < MIN_DEBRIS:
        return math.nan, "debris not separated from the source"
    v, dist, sel = v[far], dist[far], idx[far]
    # where the debris went: area-weighted (sqrt, so counts matter) cosine to d
    cos_pos = (v @ d) / dist
    wpos = np.sqrt(c.area[sel])
    parts = [float(np.sum(wpos * cos_pos) / np.sum(wpos))]
    # which way the streaks point: their axis, signed away from the source
    elong = c.major[sel] / np.maximum(c.minor[sel], 1e-9)
    el = np.isin(sel, lay.streaks) | (np.isin(sel, lay.big) & (elong >= F.ELONGATION))
    if el.any():
        th = c.theta[sel[el]]
        u = np.stack([np.cos(th), np.sin(th)], axis=1)
        sgn = np.sign(np.sum(u * v[el], axis=1))
        sgn[sgn == 0] = 1.0
        cos_ax = (u * sgn[:, None]) @ d
        wl = c.major[sel[el]]
        parts.append(float(np.sum(wl * cos_ax) / np.sum(wl)))
    return F.clip01(0.5 * (1.0 + float(np.mean(parts)))), ""


def junctions(lay: F.Layout) -> tuple[float, str]:
    """(score, note): share of three-way (T/Y) among three- and four-way crack junctions."""
    net = lay.net
    if net.junction_degree.size == 0:
        return math.nan, "no crack network"
    big = net.lengths[np.maximum(net.junction_label, 1) - 1] >= 0.1 * lay.side
    deg = net.junction_degree[big & (net.junction_label > 0)]
    n3 = int(np.sum(deg == 3))
    n4 = int(np.sum(deg == 4))
    if n3 + n4 < MIN_JUNCTIONS:
        return math.nan, "no crack network"
    # share of three-way junctions, with one pseudo-count each way (a network
    # of four junctions is weak evidence either way)
    return (n3 + 1.0) / (n3 + n4 + 2.0), ""


@register(
    "plausibility",
    version=4,
    columns=COLUMNS,
    text_columns=("plausibility_note",),
)
def plausibility(image: np.ndarray, scene=None) -> dict:
    """Consistency with physics: heavy-tailed fragment sizes, debris downrange, cracks ending on cracks.

    Parameters
    ----------
    image : ndarray
        float32 H x W x 3 in [0, 1], any size.
    scene : bench.spec.Scene, optional
        ``physics.fragment_size_exponent`` (default [1.0, 2.5]),
        ``physics.impact_direction`` and ``physics.impact_point`` are used;
        without a scene the direction is not judged.

    Returns
    -------
    dict
        ``plausibility``: the weighted mean of ``plausibility_learned``
        (weight 2) and the finite sub-scores ``size_law`` (1/2),
        ``direction`` (1) and ``junctions`` (1/2; the exponent fit and the
        crack skeleton are the least reliable measurements);
        ``size_spread`` is reported and not counted (:data:`WEIGHTS`).
        ``plausibility_size_law``: fragment and droplet areas follow a
        heavy-tailed power law, ``exp(-(d / 0.25)^2) * smoothstep(CV, 0.3,
        0.8)`` with d the distance of the fitted tau outside the scene's range
        and CV the coefficient of variation of the areas (near-equal sizes
        score 0 whatever tau says).
        ``plausibility_size_tau``: the fitted exponent tau of n(A) ~ A^-tau
        (NaN with fewer than 8 fragments, or near-equal sizes, CV < 0.3).
        ``plausibility_size_spread``: no large group of equal-sized pieces
        (:func:`size_spread`): ``1 - smoothstep(share, 0.15, 0.5)`` with
        share the largest (soft-counted) fraction of the compact spots
        (:func:`metrics._features.spots`, from 12 px at 256 px) whose areas
        agree within +-10 %; NaN below 6 spots.
        ``plausibility_direction``: debris lies downrange of the source along
        ``impact_direction`` and streaks point that way: ``(1 + mean cos)/2``
        of the position cosine (weights sqrt(area)) and, when there are
        streaks, their axis signed away from the source (weights length).
        ``plausibility_junctions``: share of three-way junctions (cracks that
        stop on a crack, T or Y) among three- and four-way junctions (X
        crossings) of the crack skeleton, ``(n3 + 1) / (n3 + n4 + 2)``; NaN
        below 4 junctions and in fluid scenes.
        ``plausibility_note``: why sub-scores are NaN ('' when none is).

    Notes
    -----
    Method.  The image is segmented as for ``transitional`` (256 px long
    side): small structures are edge outlines shorter than a fifth of the
    side with what they enclose; the body is the largest region whose colour
    differs from the border's; crack lines are thin bright or dark lines
    inside the body.  Fragment areas are the pieces' areas at the half-way
    level between piece and surround (blur and resampling keep them), from
    9 px at 256 px (glints and spray are not fragments), fitted with
    :func:`fit_power_law`.  The source of the debris is the body's centroid,
    else ``impact_point``, else the centroid of the debris; dense debris
    merged into large clusters off the body counts too.  Junctions are
    clusters of skeleton pixels with a crossing number of 3 or more; their
    degree is the number of runs of line pixels on a circle around them, so
    the two three-way nodes thinning makes of one X count as one four-way
    junction.  Hubs of five or more arms (the impact point of a star crack)
    are not counted either way.  Each sub-score tests a different law and is
    NaN where it does not apply; the finite ones are averaged.

    Failure modes.  Overlapping or touching fragments merge into one (fewer,
    larger areas: tau is underestimated).  The size law is judged in the image
    plane; perspective and occlusion distort areas.  Direction assumes debris
    continues along the impactor's travel: for impacts from above onto a
    surface, where the ejecta curtain leaves at about 45 degrees up and out
    (PHYSICS.md), the score is about 0.5 at best and a low value there is not
    evidence of error.  A regular tiling or brickwork in the background is
    read as a crack network.

    References
    ----------
    .. [1] Clauset, A., Shalizi, C. R. & Newman, M. E. J. (2009). Power-law
       distributions in empirical data. SIAM Review 51(4), 661-703.
       doi:10.1137/070710111 (maximum likelihood with a KS-chosen cutoff).
    .. [2] Deluca, A. & Corral, A. (2013). Fitting and goodness-of-fit test
       of non-truncated and truncated power-law distributions. Acta
       Geophysica 61(6), 1351-1394. doi:10.2478/s11600-013-0154-9
    .. [3] Åström, J. & Timonen, J. (1997). Fragmentation by crack
       branching. Phys. Rev. Lett. 78, 3677-3680.
       doi:10.1103/PhysRevLett.78.3677 (tau = 2 - 1/D).
    .. [4] Kadono, T. (1997). Fragment mass distribution of platelike
       objects. Phys. Rev. Lett. 78, 1444-1447. doi:10.1103/PhysRevLett.78.1444
    .. [5] Wittel, F., Kun, F., Herrmann, H. J. & Kröplin, B. H. (2004).
       Fragmentation of shells. Phys. Rev. Lett. 93, 035504.
       doi:10.1103/PhysRevLett.93.035504
    .. [6] Kekäläinen, P., Åström, J. A. & Timonen, J. (2007). Solution for
       the fragment-size distribution in a crack-branching model of
       fragmentation. Phys. Rev. E 76, 026112. doi:10.1103/PhysRevE.76.026112
    .. [7] Gault, D. E. & Wedekind, J. A. (1978). Experimental studies of
       oblique impact. Proc. Lunar Planet. Sci. Conf. 9, 3843-3875
       (downrange ejecta of oblique impacts).
    .. [8] Pierazzo, E. & Melosh, H. J. (2000). Understanding oblique
       impacts from experiments, observations, and modeling. Annu. Rev.
       Earth Planet. Sci. 28, 141-167. doi:10.1146/annurev.earth.28.1.141
    .. [9] Bohn, S., Pauchard, L. & Couder, Y. (2005). Hierarchical crack
       pattern as formed by successive domain divisions. Phys. Rev. E 71,
       046214. doi:10.1103/PhysRevE.71.046214 (T-junctions dominate).
    .. [10] Goehring, L. (2013). Evolving fracture patterns: columnar joints,
       mud cracks and polygonal terrain. Phil. Trans. R. Soc. A 371,
       20120353. doi:10.1098/rsta.2012.0353
    .. [11] Villermaux, E. (2007). Fragmentation. Annu. Rev. Fluid Mech.
       39, 419-446. doi:10.1146/annurev.fluid.39.050905.110214 (broad,
       gamma-shaped drop size distributions from ligament break-up).
    """
    img = F.check_image(image)
    out = {c: math.nan for c in COLUMNS}
    out["plausibility_note"] = ""
    if F.is_blank(img):
        out["plausibility_note"] = "blank image"
        return out
    family = getattr(scene, "family", None) if scene is not None else None
    phys = getattr(scene, "physics", None) if scene is not None else None
    direction_ = getattr(phys, "impact_direction", None) if phys is not None else None
    v = eventnet.view(img, direction_)
    learned = 1.0 / (1.0 + math.exp(-v.plausible_logit))
    x0, y0, x1, y1 = v.box
    crop = img[y0:y1, x0:x1]
    lay = F.layout(crop, cracks=family != "fluid")
    notes = []
    if lay.smask.any():
        exponent = getattr(phys, "fragment_size_exponent", None) if phys is not None else None
        # glints and spray (a few px) are not fragments: pieces from 9 px at 256 px
        areas = lay.piece_areas[lay.piece_areas >= FRAGMENT_MIN * lay.min_area]
        s_size, tau, note = size_law(areas, tuple(exponent) if exponent else DEFAULT_EXPONENT)
        notes.append(note)
        s_spread, _, note = size_spread(F.spots(lay.grey))
        notes.append(note)
        s_dir, note = direction(lay, _in_box(scene, img.shape, v.box))
        notes.append(note)
        if family == "fluid":
            s_junc, note = math.nan, "no crack network in a fluid scene"
        else:
            s_junc, note = junctions(lay)
        notes.append(note)
    else:
        s_size = tau = s_spread = s_dir = s_junc = math.nan
        notes.append("no structure found in the event's box")
    parts = [(learned, LEARNED_WEIGHT)] + [(x, w) for x, w in zip((s_size, s_spread, s_dir, s_junc), WEIGHTS)
                                           if math.isfinite(x)]
    score = sum(x * w for x, w in parts) / sum(w for _, w in parts)
    out.update(
        plausibility=F.clip01(score),
        plausibility_learned=learned,
        plausibility_size_law=s_size,
        plausibility_size_tau=tau,
        plausibility_size_spread=s_spread,
        plausibility_direction=s_dir,
        plausibility_junctions=s_junc,
        plausibility_note="; ".join(n for n in notes if n),
    )
    return out


class _BoxScene:
    """The scene as seen from inside the event's box: the impact point moved into the box's frame."""

    def __init__(self, scene, shape, box):
        self.family = getattr(scene, "family", None)
        phys = scene.physics
        x0, y0, x1, y1 = box
        h, w = shape[:2]
        point = getattr(phys, "impact_point", None)
        if point is not None:
            px, py = point[0] * (w - 1), point[1] * (h - 1)
            point = ((px - x0) / max(1, x1 - x0 - 1), (py - y0) / max(1, y1 - y0 - 1))
        self.physics = type("P", (), {"impact_direction": phys.impact_direction, "impact_point": point})()


def _in_box(scene, shape, box):
    if scene is None or getattr(scene, "physics", None) is None:
        return None
    return _BoxScene(scene, shape, box)

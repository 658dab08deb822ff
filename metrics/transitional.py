"""Evidence that the image shows a mid-process instant (pieces in flight, streaks, running cracks)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from metrics import _features as F
from metrics.registry import register

COLUMNS = ("transitional", "transitional_pieces", "transitional_streaks", "transitional_crack_tips")
PIECES_SCALE = 6.0
"""Detached pieces (beyond the first, which may be the impactor) giving 1 - 1/e."""
ANISOTROPY_RANGE = (0.0, 0.2)
"""Radial anisotropy of small-structure edges mapped to 0 and 1 (crisp pieces
at rest measure about 0.00-0.04, streaking debris 0.03-0.2)."""
AMOUNT_SCALE = 0.3
"""Edge length of small structures (long sides) giving 1 - 1/e of full weight:
one short streak is not a debris field."""
TIPS_SCALE = 3.0
"""Open crack tips giving 1 - 1/e."""
TIPS_WEIGHT = 0.2
"""Open crack tips are weaker evidence than streaks: cracks also arrest, and
faint cracks break up into pieces with false ends."""
MAX_EDGE_BLUR = 2.5
"""Edge blur (Gaussian sigma, px at 256 px; :func:`metrics._features.edge_blur`)
above which motion streaks, spray and crack tips cannot be resolved: the
transitional score is then NaN.  Sharp renders measure at most 1.4 px (2.1 px
after a 0.5x resize), photographs 0.8-1.0 px, 32 px images enlarged to 256 px
3-5 px."""
PIECES_WEIGHT = 0.0
"""Crisp detached pieces are reported but not used in the main score: in one
image they may be lying at rest after the event as well as flying (frozen by
a fast flash); the motion streaks of the same pieces are what tells."""


def _saturate(x: float, scale: float) -> float:
    return 1.0 - math.exp(-max(0.0, x) / scale)


STREAK_TOLERANCE_DEG = 12.0
"""A streak counts when its axis is within this of the line to the common source."""


def streak_field(lay: F.Layout) -> tuple[float, float, tuple[float, float] | None]:
    """(consistent length, total length, source) of the streaks, lengths in long sides.

    Motion streaks of debris from one event point back to one apparent source
    (or are parallel, for a source far away).  The source is the weighted
    least-squares intersection of the streak axes, refined twice with Cauchy
    weights on the angular misfit; a streak is consistent when its axis is
    within 12 degrees of the line joining it to the source.
    """
    c = lay.sc
    idx = lay.streaks
    if idx.size == 0:
        return 0.0, 0.0, None
    L = c.major[idx]
    total = float(L.sum()) / lay.side
    if idx.size < 3:
        return 0.0, total, None
    pts = np.stack([c.cx[idx], c.cy[idx]], axis=1)
    th = c.theta[idx]
    u = np.stack([np.cos(th), np.sin(th)], axis=1)
    nrm = np.stack([-u[:, 1], u[:, 0]], axis=1)
    tol = math.radians(STREAK_TOLERANCE_DEG)
    w = L.copy()
    src = None
    dev = np.zeros(idx.size)
    for _ in range(3):
        A = np.einsum("i,ij,ik->jk", w, nrm, nrm)
        evals = np.linalg.eigvalsh(A)
        if evals[0] < 0.02 * evals[1]:
            # (nearly) parallel streaks: a source far away along their mean axis
            m2 = np.sum(w * np.exp(2j * th))
            axis = 0.5 * np.angle(m2)
            dev = np.abs(np.angle(np.exp(2j * (th - axis)))) / 2.0
            src = None
        else:
            bvec = np.einsum("i,ij,ik,ik->j", w, nrm, nrm, pts)
            src = np.linalg.solve(A, bvec)
            v = pts - src
            r = np.hypot(v[:, 0], v[:, 1])
            cosd = np.abs(np.sum(u * v, axis=1)) / np.maximum(r, 1e-9)
            dev = np.arccos(np.clip(cosd, 0.0, 1.0))
        w = L / (1.0 + (dev / tol) ** 2)
    consistent = float(L[dev < tol].sum()) / lay.side
    return consistent, total, (None if src is None else (float(src[0]), float(src[1])))


BACKGROUND_CONTRAST_MIN = 0.5
"""A top-hat structure must differ from the local background (the image
without any top-hat structure, smoothed) by at least this share of its own
top-hat response: the light wedges between converging dark cracks are bright
only next to the cracks, and are the background's colour."""


def tophat_structures(g: np.ndarray, side: int, min_area: float) -> np.ndarray:
    """Label image of the small top-hat structures (:func:`metrics._features.tophats`).

    Bright and dark components shorter than a fifth of the side and of at
    least ``min_area`` px, each grown by one pixel so that the strong edge
    around it belongs to it.  Unlike the edge components of the layout, debris
    that touches the body's outline or other debris stays separate from it.
    A component that does not stand out from the local background -- the
    image with every top-hat structure masked out, Gaussian-averaged over 5 %
    of the side -- by at least half its top-hat response
    (:data:`BACKGROUND_CONTRAST_MIN`) is a gap between structures, like the
    light wedges between the arms of a crack star near its hub, and is left
    out.
    """
    tops = F.tophats(g)
    free = (~(tops[0][1] | tops[1][1])).astype(np.float32)
    # the background, averaged over 5 % of the side (at a quarter of the
    # resolution: a blur that wide needs no finer grid)
    h, w = g.shape
    small = (max(2, w // 4), max(2, h // 4))
    sigma = 0.05 * side / 4.0
    num = cv2.GaussianBlur(cv2.resize(g * free, small, interpolation=cv2.INTER_AREA), (0, 0), sigma)
    den = cv2.GaussianBlur(cv2.resize(free, small, interpolation=cv2.INTER_AREA), (0, 0), sigma)
    grey_small = cv2.resize(g, small, interpolation=cv2.INTER_AREA)
    bg_small = np.where(den > 1e-3, num / np.maximum(den, 1e-6), cv2.GaussianBlur(grey_small, (0, 0), sigma))
    bg = cv2.resize(bg_small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    labels = np.zeros(g.shape, np.int32)
    n = 0
    for th, _, c in tops:
        if not c.area.size:
            continue
        ys, xs = np.nonzero(c.labels)
        lab = c.labels[ys, xs]
        cnt = np.maximum(np.bincount(lab, minlength=c.area.size + 1), 1)
        diff = np.abs(np.bincount(lab, (g - bg)[ys, xs], minlength=c.area.size + 1)) / cnt
        resp = np.bincount(lab, th[ys, xs], minlength=c.area.size + 1) / cnt
        stands_out = (diff >= BACKGROUND_CONTRAST_MIN * resp)[1:]
        keep = np.nonzero((c.major < 0.2 * side) & (c.area >= min_area) & stands_out)[0]
        lut = np.zeros(c.area.size + 1, np.int32)
        lut[keep + 1] = n + 1 + np.arange(keep.size)
        n += keep.size
        lab = lut[c.labels]
        labels = np.where(labels == 0, lab, labels)
    return cv2.dilate(labels.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int32)


def _anisotropy(lay: F.Layout, labels: np.ndarray, cands) -> tuple[float, float, tuple[float, float] | None]:
    """(anisotropy, amount, source) of the strong edges of the labelled structures (see below)."""
    gx, gy, mag = lay.grad
    m = (mag > lay.edge_floor) & (labels > 0)
    ys, xs = np.nonzero(m)
    if ys.size < 8:
        return 0.0, 0.0, None
    wmag = mag[ys, xs].astype(np.float64)
    tx = -gy[ys, xs].astype(np.float64)
    ty = gx[ys, xs].astype(np.float64)
    tn = np.maximum(np.hypot(tx, ty), 1e-12)
    comp = labels[ys, xs]
    n_lab = int(comp.max()) + 1
    best, best_src, amount = -1.0, None, 0.0
    for cx, cy in cands:
        rx, ry = xs - cx, ys - cy
        r = np.hypot(rx, ry)
        w = wmag * (r > 0.08 * lay.side)
        if float(w.sum()) <= 0:
            continue
        cos2 = ((tx * rx + ty * ry) / (tn * np.maximum(r, 1e-9))) ** 2
        # each structure's own mean, the structures weighted by the square
        # root of their edge weight: many thin streaks are not outvoted by a
        # few large crisp pieces, nor one streak by a swarm of specks
        wk = np.bincount(comp, w, minlength=n_lab)
        ak = np.bincount(comp, w * (cos2 - 0.5), minlength=n_lab)
        used = wk > 0
        sk = np.sqrt(wk[used])
        a = float((sk * ak[used] / wk[used]).sum() / sk.sum())
        if a > best:
            best, best_src = a, (float(cx), float(cy))
            amount = float((w > 0).sum()) / lay.side
    return max(best, -0.5), amount, best_src


def radial_anisotropy(lay: F.Layout) -> tuple[float, float, tuple[float, float] | None]:
    """(anisotropy, amount, source) of the edges of the small structures.

    Motion blur smears each flying piece or droplet along its velocity, and
    debris from one event flies away from one apparent source, so the edges of
    pieces in flight run radially: their gradients point across the radius.
    For every strong edge pixel of a small structure (piece, streak, droplet)
    ``cos^2`` of the angle between the edge line and the radius to the source,
    minus 1/2, is averaged over the structure with gradient-magnitude weights,
    and the structures' means are averaged with weights sqrt(their total edge
    weight): 0 for isotropic crisp pieces, up to 1/2 for pure radial streaks,
    negative for rims.  The source is the best of the body's centroid, the
    convergence point of the streak axes and the centroid of all structure
    (pixels within 8 % of the side of it are left out).  The small structures
    come from two segmentations, and the larger anisotropy counts: the
    layout's small edge components (which lose dense debris that merges into
    large components) and the small top-hat structures (:func:`tophat_structures`, which split
    debris from the body but also pick up crack lines).  ``amount`` is the
    weighted edge length of the winning structures in long sides.
    """
    cands = []
    if lay.body_xy is not None:
        cands.append(lay.body_xy)
    _, _, src = streak_field(lay)
    if src is not None:
        cands.append(src)
    sy, sx = np.nonzero(lay.smask)
    cands.append((float(sx.mean()), float(sy.mean())))
    small = np.zeros(lay.sc.area.size + 1, bool)
    small[lay.pieces + 1] = True
    small[lay.streaks + 1] = True
    best = _anisotropy(lay, np.where(small[lay.sc.labels], lay.sc.labels, 0), cands)
    other = _anisotropy(lay, tophat_structures(lay.grey, lay.side, lay.min_area), cands)
    return other if other[0] > best[0] else best


def crack_tips_inside(lay: F.Layout) -> int:
    """Skeleton end points of branching crack networks that end in the open.

    A crack tip is in the open when it lies inside the object, at least 4 %
    of the side from its outline (the filled body against the border colour,
    or, without a body, the convex hull of the network) and from the image
    border.  End points within 6 % of the side of a junction are thinning
    spurs or broken-up faint cracks, not tips.
    """
    net = lay.net
    if net.junction_xy.shape[0] == 0 or net.ends_xy.shape[0] == 0:
        return 0
    side = lay.side
    branching = np.unique(net.junction_label)
    branching = branching[branching > 0]
    big = branching[net.lengths[branching - 1] >= 0.1 * side]
    if big.size == 0:
        return 0
    h, w = net.skel.shape
    margin = 0.04 * side
    inner = None
    if lay.body is not None:
        dist = cv2.distanceTransform(lay.body.astype(np.uint8), cv2.DIST_L2, 3)
        inner = dist > margin
    count = 0
    for lab in big:
        ends = net.ends_xy[net.ends_label == lab]
        hull = None
        if inner is None:
            ys, xs = np.nonzero(net.labels == lab)
            hull = cv2.convexHull(np.stack([xs, ys], axis=1).astype(np.float32))
        for x, y in ends:
            if min(x, y, w - 1 - x, h - 1 - y) < margin:
                continue
            if np.hypot(net.junction_xy[:, 0] - x, net.junction_xy[:, 1] - y).min() < 1.5 * margin:
                continue
            if inner is not None:
                count += bool(inner[int(y), int(x)])
            elif cv2.pointPolygonTest(hull, (float(x), float(y)), True) > margin:
                count += 1
    return count


@register(
    "transitional",
    version=3,
    columns=COLUMNS,
    text_columns=("transitional_note",),
)
def transitional(image: np.ndarray, scene=None) -> dict:
    """Evidence of a mid-process instant: pieces in flight, motion streaks, running cracks.

    Higher means more of what a real photograph taken during a violent event
    shows and a clean instant or end state lacks: debris streaking away from
    one source (motion blur), cracks whose tips end in the open, and many
    separate pieces or droplets.

    Parameters
    ----------
    image : ndarray
        float32 H x W x 3 in [0, 1], any size.
    scene : bench.spec.Scene, optional
        Only ``scene.family`` is used: in fluid scenes there are no cracks, so
        crack tips are not looked for (and not counted).

    Returns
    -------
    dict
        ``transitional`` in [0, 1]: ``1 - (1 - streaks) (1 - 0.2
        crack_tips)`` -- either cue is evidence, motion streaks the strongest.
        Crisp detached pieces are reported (``transitional_pieces``) but not
        used: lying at rest after the event or frozen in flight by a flash,
        they look the same in one image.
        ``transitional_streaks``: ``smoothstep(A, 0, 0.2) * (1 - exp(-L /
        0.3))`` with A the radial anisotropy of the edges of the small
        structures (:func:`radial_anisotropy`) and L their edge length in
        long sides.
        ``transitional_crack_tips``: ``1 - exp(-k / 3)``, k end points of
        branching crack skeletons that end in the open
        (:func:`crack_tips_inside`).
        ``transitional_pieces``: ``1 - exp(-(N - 1) / 6)`` with N separate
        compact pieces of at least 3 px at 256 px (4.5e-5 of the image area);
        the first is discounted because it may be the impactor.
        ``transitional_note``: '' or why the score is NaN: a blank image,
        no structure, or an image too soft to resolve streaks (edge blur
        above 2.5 px at 256 px, :data:`MAX_EDGE_BLUR`, e.g. a 32 px image
        enlarged: every score is NaN then).

    Notes
    -----
    Method.  At a long side of 256 px, structure is found by its sharp
    edges (gradient magnitude above ``max(0.1 p99.5, min(4 median, p95))``,
    so smooth texture and lighting drop out).  Edge components shorter than
    a fifth of the side, with what they enclose, are the small structures:
    pieces, droplets, spray and streaks.  Motion blur smears a moving piece
    along its velocity, and debris of one event flies away from one apparent
    source, so in flight the edges of small structures run radially: their
    gradients are anisotropic (structure-tensor coherence) and point across
    the radius.  Crisp pieces at rest have edges in all directions (A about
    0), streaking debris A of 0.05-0.3.  The source is the best of the
    body's centroid, the least-squares convergence point of the streak axes
    and the centroid of all structure.  Crack lines are thin bright or dark
    lines inside the body (distance of the luma from its 7 px median).

    Failure modes.  Crisp pieces frozen by a flash in mid-air score like
    pieces at rest (low).  Elongated pieces lying radially at rest, rain,
    sunbursts and radial rays around a light source read as streaks.  A
    textured background with sharp edges adds isotropic edges that dilute A.
    Below about 200 px (e.g. half of a 256 px image) thin streaks and small
    pieces are lost.

    References
    ----------
    .. [1] Grady, D. E. (1982). Local inertial effects in dynamic
       fragmentation. J. Appl. Phys. 53, 322-325. doi:10.1063/1.329934
       (fragment count grows with strain rate).
    .. [2] Vandenberghe, N., Vermorel, R. & Villermaux, E. (2013). Star-shaped
       crack pattern of broken windows. Phys. Rev. Lett. 110, 174302.
       doi:10.1103/PhysRevLett.110.174302 (radial cracks grow from the
       impact point and arrest).
    .. [3] Thoroddsen, S. T., Etoh, T. G. & Takehara, K. (2008). High-speed
       imaging of drops and bubbles. Annu. Rev. Fluid Mech. 40, 257-285.
       doi:10.1146/annurev.fluid.40.111406.102215 (splashes shed droplets
       mid-process).
    .. [4] Yarin, A. L. (2006). Drop impact dynamics: splashing, spreading,
       receding, bouncing. Annu. Rev. Fluid Mech. 38, 159-192.
       doi:10.1146/annurev.fluid.38.050304.092144
    .. [5] Bigün, J. & Granlund, G. H. (1987). Optimal orientation detection
       of linear symmetry. Proc. ICCV 1987, 433-438 (second-moment /
       structure-tensor anisotropy of motion-blurred regions).
    .. [6] Gault, D. E. & Wedekind, J. A. (1978). Experimental studies of
       oblique impact. Proc. Lunar Planet. Sci. Conf. 9, 3843-3875 (ejecta
       leave one source; streaks point back to it).
    """
    img = F.check_image(image)
    out = {c: math.nan for c in COLUMNS}
    out["transitional_note"] = ""
    if F.is_blank(img):
        out["transitional_note"] = "blank image"
        return out
    family = getattr(scene, "family", None) if scene is not None else None
    lay = F.layout(img, cracks=family != "fluid")  # with piece areas: the same layout as plausibility's
    blur = F.edge_blur(lay.grey, lay.grad[2])
    if math.isfinite(blur) and blur > MAX_EDGE_BLUR:
        out["transitional_note"] = (
            f"image too soft to show streaks or crack tips (edge blur {blur:.1f} px at 256 px > {MAX_EDGE_BLUR})"
        )
        return out
    if not lay.smask.any():
        out["transitional_note"] = "no structure found"
        return out
    n_pieces = int(lay.pieces.size)
    pieces = _saturate(n_pieces - 1, PIECES_SCALE)
    aniso, amount, _ = radial_anisotropy(lay)
    streaks = F.smoothstep(aniso, *ANISOTROPY_RANGE) * _saturate(amount, AMOUNT_SCALE)
    tips = 0.0 if family == "fluid" else _saturate(crack_tips_inside(lay), TIPS_SCALE)
    score = 1.0 - (1.0 - streaks) * (1.0 - TIPS_WEIGHT * tips) * (1.0 - PIECES_WEIGHT * pieces)
    out.update(
        transitional=F.clip01(score),
        transitional_pieces=pieces,
        transitional_streaks=streaks,
        transitional_crack_tips=tips,
    )
    return out

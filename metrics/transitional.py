"""Evidence that the image shows a mid-process instant (pieces and droplets in flight, running cracks, a rising splash)."""

from __future__ import annotations

import math

import numpy as np

from metrics import _features as F
from metrics import eventnet, photo
from metrics.registry import register

COLUMNS = ("transitional", "transitional_pre", "transitional_end", "transitional_blur", "transitional_eventnet",
           "transitional_photo", "transitional_photo_gate")
MAX_EDGE_BLUR = 6.0
"""Edge blur (Gaussian sigma, px, at the 256 x 256-pixel analysis area;
:func:`metrics._features.edge_blur`) above which the event cannot be judged:
the transitional score is then NaN.  Measured: sharp renders 0.5-1.5 px,
photographs 0.5-2.5 px, natively soft high-speed shadowgraphs (a few hundred
pixels wide) up to 5.6 px, images enlarged from 32 px 3-5 px (judged, with
the caution of docs/scorers.md); a flat or smeared image more than 6 px."""


@register(
    "transitional",
    version=6,
    columns=COLUMNS,
    text_columns=("transitional_note",),
)
def transitional(image: np.ndarray, scene=None) -> dict:
    """Evidence of a mid-process instant: pieces or droplets in flight, cracks still running, a splash rising.

    Higher means the picture looks caught during the event rather than
    before it (the object intact, the impactor or drop approaching) or after
    it (pieces at rest on the ground with contact shadows, cracks run to the
    edges, a finished crater, ripples on a settled surface).

    Parameters
    ----------
    image : ndarray
        float32 H x W x 3 in [0, 1], any size.
    scene : bench.spec.Scene, optional
        ``physics.impact_direction`` is given to EventNet; nothing else is used.

    Returns
    -------
    dict
        ``transitional``: probability of the transitional phase, in [0, 1]:
        ``transitional_photo_gate * transitional_photo + (1 - transitional_photo_gate) *
        transitional_eventnet``.
        ``transitional_pre`` / ``transitional_end``: probabilities of the
        state before and after the event (EventNet's split of the rest; the
        three sum to 1).
        ``transitional_eventnet``: EventNet's probability of the
        transitional phase (:mod:`metrics.eventnet`), trained on renders.
        ``transitional_photo``: the photo head's probability
        (:mod:`metrics.photo`), fitted on photographs.
        ``transitional_photo_gate``: probability that the image is a photograph rather
        than a render of the kinds EventNet was trained on.
        ``transitional_blur``: edge blur in px at the 256 x 256 analysis area.
        ``transitional_note``: '' or why the score is NaN (a blank image, or
        edge blur above :data:`MAX_EDGE_BLUR`).

    Notes
    -----
    Method.  Two readings are mixed by how photographic the image looks
    (:mod:`metrics.photo`): EventNet's, trained on renders, and a head on
    ImageNet features fitted on the real tune photographs (real report
    half: 0.81 against 0.42 for EventNet alone; docs/scorers.md).  EventNet
    finds the event (a first pass over the whole frame), looks again at the event's own box when the event is small, and gives
    the probabilities of the three phases.  It was trained on the two design
    sources only (the procedural renderer and the ``sim`` simulations, with
    domain randomisation), where the phase is known: in flight, pieces and
    droplets are off the support surface, along ballistic paths from one
    source, with offset or no shadows, crisp (short exposure) or streaked
    (long exposure); crack tips end inside the intact sheet; a crown or jet
    is rising.  At rest, pieces lie on the support with contact shadows and
    cracks run to the edges.  Motion blur is a nuisance in training, not the
    definition, so crisp flying shards count as flight.

    Failure modes.  One image cannot tell a piece frozen in flight by a
    flash from a piece lying on a surface seen straight from above, when
    there is no shadow or surface to show the difference.  Arrested cracks
    (a star crack in a windscreen) look like running ones.  Scenes unlike
    both design sources (CCTV frames, telescope images, microscope views)
    are outside what EventNet has seen; docs/scorers.md reports how it does
    on a held-out renderer and on real photographs.

    References
    ----------
    .. [1] Vandenberghe, N., Vermorel, R. & Villermaux, E. (2013). Star-shaped
       crack pattern of broken windows. Phys. Rev. Lett. 110, 174302.
       doi:10.1103/PhysRevLett.110.174302 (radial cracks grow from the
       impact point and arrest).
    .. [2] Thoroddsen, S. T., Etoh, T. G. & Takehara, K. (2008). High-speed
       imaging of drops and bubbles. Annu. Rev. Fluid Mech. 40, 257-285.
       doi:10.1146/annurev.fluid.40.111406.102215 (splashes shed droplets
       mid-process).
    .. [3] Yarin, A. L. (2006). Drop impact dynamics: splashing, spreading,
       receding, bouncing. Annu. Rev. Fluid Mech. 38, 159-192.
       doi:10.1146/annurev.fluid.38.050304.092144
    .. [4] Melosh, H. J. (1989). Impact Cratering: A Geologic Process. Oxford
       University Press (the ejecta curtain leaves, then lands as a blanket).
    .. [5] Gault, D. E. & Wedekind, J. A. (1978). Experimental studies of
       oblique impact. Proc. Lunar Planet. Sci. Conf. 9, 3843-3875 (ejecta
       leave one source).
    """
    img = F.check_image(image)
    out = {c: math.nan for c in COLUMNS}
    out["transitional_note"] = ""
    if F.is_blank(img):
        out["transitional_note"] = "blank image"
        return out
    blur = F.edge_blur(F.grey(F.resample_area(img)))
    out["transitional_blur"] = blur
    if math.isfinite(blur) and blur > MAX_EDGE_BLUR:
        out["transitional_note"] = f"image too blurred to judge (edge blur {blur:.1f} px > {MAX_EDGE_BLUR} at 256 x 256 px)"
        return out
    phys = getattr(scene, "physics", None) if scene is not None else None
    pre, trans, end = eventnet.view(img, getattr(phys, "impact_direction", None)).p_phase
    pv = photo.view(img)
    mixed = pv.mix(pv.transitional, trans)
    rest = (1.0 - mixed) / max(pre + end, 1e-12)
    out.update(transitional=mixed, transitional_pre=pre * rest, transitional_end=end * rest,
               transitional_eventnet=trans, transitional_photo=pv.transitional, transitional_photo_gate=pv.gate)
    return out

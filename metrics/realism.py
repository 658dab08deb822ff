"""The realism index: one number for how physically realistic an image looks."""

from __future__ import annotations

import math
from typing import Mapping

from metrics.registry import register

PHASE_COLUMN = {"transitional": "transitional", "pre": "transitional_pre", "end": "transitional_end"}
"""The score that says an image shows the instant a scene asks for."""
NEUTRAL = 0.5
"""Plausibility used when it cannot be judged (no pieces, cracks or ejecta yet): no evidence either way."""
INPUTS = ("transitional", "transitional_pre", "transitional_end", "plausibility", "symmetry_perfect")
"""The columns the index is computed from (a submission check recomputes it from them)."""


def requested_phase(scene) -> str | None:
    """The instant the scene's prompt asks for (``physics.phase``), or None without a scene."""
    phys = getattr(scene, "physics", None) if scene is not None else None
    phase = getattr(phys, "phase", None) if phys is not None else None
    return phase if phase in PHASE_COLUMN else None


@register("realism", version=3, text_columns=("realism_note",), derived=True)
def realism(scores: Mapping[str, float], scene=None) -> dict:
    """Realism index = mean(phase, plausibility, 1 - symmetry_perfect).

    * ``phase``: the probability that the image shows the instant the scene
      asks for (``transitional`` for every bundled scene: real events are
      caught mid-process, the iconic look shows a clean instant or end state).
      Without a scene (``realgap score`` with an empty ``scene_id``, or a
      photograph) no instant was asked for and this part is left out.
    * ``plausibility``: consistency with the physics of fragment sizes, ejecta
      direction and crack junctions; 0.5 (no evidence) when it cannot be
      judged, e.g. before anything broke.
    * ``symmetry_perfect``: *near-perfect* mirror symmetry of the event's
      structure (raw correlation 0.85-0.97 mapped to 0-1).  Real crowns,
      craters and star cracks are often approximately symmetric -- the
      rim instability of a crown, the round crater of an impact steeper
      than about 15 degrees -- but their fingers, arms and ejecta differ in
      size and spacing; identical elements at equal angles are the iconic
      tell (docs/PHYSICS.md, "Symmetry in the realism index").  So the
      approximate symmetry measured by ``symmetry`` does not lower realism;
      only its perfection does.

    NaN (with a note) when the phase part is asked for but undecided (an image
    too blurred to judge) or when symmetry is undecided (no event structure).
    """
    notes = []
    parts = []
    phase = requested_phase(scene)
    if phase is not None:
        v = scores.get(PHASE_COLUMN[phase], math.nan)
        if v is None or not math.isfinite(v):
            return {"realism": math.nan, "realism_note": f"undecided: no {PHASE_COLUMN[phase]}"}
        parts.append(float(v))
    p = scores.get("plausibility", math.nan)
    if p is None or not math.isfinite(p):
        notes.append("plausibility undecided: counted as 0.5")
        p = NEUTRAL
    parts.append(float(p))
    sp = scores.get("symmetry_perfect", math.nan)
    if sp is None or not math.isfinite(sp):
        return {"realism": math.nan, "realism_note": "undecided: no symmetry_perfect"}
    parts.append(1.0 - float(sp))
    if phase is None:
        notes.append("no scene: phase not judged")
    value = sum(parts) / len(parts)
    return {"realism": min(1.0, max(0.0, value)), "realism_note": "; ".join(notes)}

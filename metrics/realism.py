"""The realism index: one number for how physically realistic an image looks."""

from __future__ import annotations

import math
from typing import Mapping

from metrics.registry import register

COMPONENTS = ("transitional", "plausibility", "symmetry")


@register("realism", version=1, text_columns=("realism_note",), derived=True)
def realism(scores: Mapping[str, float]) -> dict:
    """Realism index = mean(transitional, plausibility, 1 - symmetry).

    Real fractures, impacts and splashes are caught mid-process, obey the
    physics checked by ``plausibility`` and are asymmetric; the iconic look that
    preference tuning rewards is symmetric and shows a clean end state
    (PHYSICS.md, "Why this benchmark exists").  The three parts are weighted
    equally.  NaN (with a note) when any part is NaN: an index built from fewer
    parts would not be comparable between images.
    """
    parts = {k: scores.get(k, math.nan) for k in COMPONENTS}
    missing = [k for k, v in parts.items() if v is None or not math.isfinite(v)]
    if missing:
        return {"realism": math.nan, "realism_note": f"undecided: no {', '.join(missing)}"}
    value = (parts["transitional"] + parts["plausibility"] + (1.0 - parts["symmetry"])) / 3.0
    return {"realism": min(1.0, max(0.0, value)), "realism_note": ""}

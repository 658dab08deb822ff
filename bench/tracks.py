"""Scene tracks: the main set, the stress track, and custom scene sets.

A scene's id says which track it belongs to (:func:`bench.spec.scene_track`):
``main`` or ``stress`` (``stress/<family>/<name>``, edge cases).  A run's scene
set is one of

* ``bundled``: exactly the main set shipped with this realgap (``--scenes all``);
* ``stress``: exactly the stress track (``--scenes stress``);
* ``custom``: anything else (a subset, a mix of tracks, scenes from elsewhere).

Run reports, ``realgap compare`` and the leaderboard show the stress track
apart from the main set: its scenes probe where generators and scorers break,
so its numbers are not comparable with the main set's.
"""

from __future__ import annotations

from typing import Iterable

from bench.spec import MAIN, STRESS, bundled_scenes, scene_set_hash, scene_track, stress_scenes

SET_TITLES = {"bundled": "main scene set", "stress": "stress track (edge cases)", "custom": "custom scene set"}
"""How a run's scene set is named in reports."""
KIND_TITLES = {MAIN: "main set", STRESS: "stress track"}
"""How the scenes of one track are named in reports."""
STRESS_NOTE = (
    "The stress track holds edge cases: oblique impacts, the instant before failure, late settling, unusual views "
    "(top-down, from below, through glass), small events in large scenes and several simultaneous events. It is "
    "scored like the main set but reported apart: its numbers are not comparable with the main set's."
)


def shipped_set_hashes() -> dict[str, str]:
    """Scene-set hash of each shipped track: ``{"bundled": ..., "stress": ...}``."""
    return {"bundled": scene_set_hash(bundled_scenes()), "stress": scene_set_hash(stress_scenes())}


def set_track(set_hash: str, hashes: dict[str, str] | None = None) -> str:
    """``bundled``, ``stress`` or ``custom`` for a run's scene-set hash."""
    hashes = shipped_set_hashes() if hashes is None else hashes
    for track in ("bundled", "stress"):
        if set_hash == hashes.get(track):
            return track
    return "custom"


def kinds(scene_ids: Iterable[str]) -> list[str]:
    """The tracks of some scene ids, main first."""
    present = {scene_track(str(s)) for s in scene_ids}
    return [k for k in (MAIN, STRESS) if k in present]


def kind_mask(scene_ids, kind: str):
    """Boolean mask (a pandas Series) of the ids of one track."""
    return scene_ids.astype(str).map(scene_track) == kind


__all__ = ["KIND_TITLES", "SET_TITLES", "STRESS_NOTE", "kind_mask", "kinds", "set_track", "shipped_set_hashes"]

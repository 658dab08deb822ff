"""The embedded procedural renderer as a labelled source (phases transitional and end only)."""

from __future__ import annotations

import numpy as np

from bench.sources import check_labels

NAME = "procedural"


def _proc_labels(labels: dict, polished: bool) -> dict:
    lab = check_labels(labels)
    if lab["phase"] == "pre":
        raise ValueError("labels.phase: the procedural renderer draws no 'pre' state")
    return {"symmetric": lab["symmetric"], "transitional": lab["phase"] == "transitional",
            "plausible": lab["plausible"], "polished": bool(polished)}


def render(scene, seed: int, *, labels: dict, shape: tuple[int, int], polished: bool = False) -> tuple[np.ndarray, dict]:
    from bench.generators.procedural import render as _render

    return _render(scene, seed, labels=_proc_labels(labels, polished), shape=shape)


def render_layers(scene, seed: int, *, labels: dict, shape: tuple[int, int], polished: bool = False) -> dict:
    from bench.generators.procedural import render_layers as _layers

    return _layers(scene, seed, labels=_proc_labels(labels, polished), shape=shape)

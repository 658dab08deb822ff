"""Labelled image sources for ``realgap validate`` (see docs/labels.md).

A source draws one labelled image of a scene's event: ``render(scene, seed, *,
labels, shape) -> (uint8 H x W x 3 RGB, truth dict)`` with ``labels`` =
``{"symmetric": bool | None, "phase": "pre" | "transitional" | "end",
"plausible": bool | None}``.  Each source is a module of this package, imported
only when asked for, so ``realgap --help`` stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

PHASES = ("pre", "transitional", "end")


@dataclass(frozen=True)
class SourceInfo:
    name: str
    module: str
    role: str
    """'own' (the scorers were designed on it), 'design' (may be tuned on) or 'held-out' (measured only)."""
    description: str
    phases: tuple[str, ...] = PHASES


SOURCES: dict[str, SourceInfo] = {
    "procedural": SourceInfo("procedural", "bench.sources.procedural", "own",
                             "the embedded renderer the scorers were first designed on", ("transitional", "end")),
    "sim": SourceInfo("sim", "bench.sources.sim", "design",
                      "simulation-based scenes: Voronoi fracture, ballistic ejecta, particle splash, composited"),
    "sidecam": SourceInfo("sidecam", "bench.sources.sidecam", "design",
                          "side-view high-speed lab camera: events on a bench, backlit or lit, seen edge-on"),
    "studio": SourceInfo("studio", "bench.sources.studio", "held-out",
                         "an independent pseudo-3D renderer; measured only, never tuned on"),
}


def check_labels(labels) -> dict:
    """Validate a labels dict (docs/labels.md) and return it normalised."""
    if not isinstance(labels, dict) or set(labels) != {"symmetric", "phase", "plausible"}:
        raise ValueError(f"labels: expected the keys symmetric, phase, plausible; got {labels!r}")
    phase = labels["phase"]
    if phase not in PHASES:
        raise ValueError(f"labels.phase: expected one of {', '.join(PHASES)}; got {phase!r}")
    out = {"phase": phase}
    for k in ("symmetric", "plausible"):
        v = labels[k]
        if phase == "pre":
            if v is not None:
                raise ValueError(f"labels.{k}: expected None for phase 'pre' (no event structure yet); got {v!r}")
            out[k] = None
        else:
            if not isinstance(v, bool):
                raise ValueError(f"labels.{k}: expected True or False; got {v!r}")
            out[k] = v
    return out


def get_source(name: str):
    """The module of source ``name``; ``KeyError`` naming the known ones otherwise."""
    if name not in SOURCES:
        raise KeyError(f"unknown source '{name}': expected one of {', '.join(SOURCES)}")
    return importlib.import_module(SOURCES[name].module)

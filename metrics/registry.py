"""Scorer registry: every scorer declares its name, version, columns and direction.

A scorer is a pure function ``fn(image, scene) -> dict``:

* ``image``: float32 array H x W x 3 with values in [0, 1] (the runner converts
  once, as ``skimage.img_as_float`` would);
* ``scene``: a :class:`bench.spec.Scene` or ``None`` (then no spec fields are used);
* returns a dict whose keys are exactly the declared ``columns``: the main score
  under the scorer's own name (a float in [0, 1] or NaN), sub-scores named
  ``<scorer>_<quantity>``, and string columns (``<scorer>_note``, ``*_source``).

Derived scorers (``realism``) take the dict of already computed columns instead
of the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np


@dataclass(frozen=True)
class ScorerInfo:
    name: str
    version: int
    columns: tuple[str, ...]
    """Output columns, the main score first."""
    text_columns: tuple[str, ...]
    """Columns holding strings (notes, sources) rather than floats."""
    higher_is_better: bool
    range: tuple[float, float]
    fn: Callable[..., dict]
    derived: bool = False
    """True when ``fn`` takes the dict of other scores, not the image."""
    description: str = ""


_REGISTRY: dict[str, ScorerInfo] = {}


def register(
    name: str,
    *,
    version: int,
    columns: tuple[str, ...] | None = None,
    text_columns: tuple[str, ...] = (),
    higher_is_better: bool = True,
    range: tuple[float, float] = (0.0, 1.0),
    derived: bool = False,
):
    """Decorator that adds a scorer to the registry (in import order)."""

    def wrap(fn):
        cols = tuple(columns) if columns else (name,)
        if cols[0] != name:
            raise ValueError(f"scorer {name}: first column must be its own name")
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ScorerInfo(
            name=name,
            version=version,
            columns=cols + tuple(c for c in text_columns if c not in cols),
            text_columns=tuple(text_columns),
            higher_is_better=higher_is_better,
            range=range,
            fn=fn,
            derived=derived,
            description=doc[0] if doc else "",
        )
        return fn

    return wrap


def _load_builtin() -> None:
    # Importing the modules registers them, in this (display) order.
    from metrics import aesthetic, clip_scores, plausibility, realism, symmetry, transitional  # noqa: F401


def list_scorers() -> list[ScorerInfo]:
    _load_builtin()
    order = ["symmetry", "transitional", "plausibility", "aesthetic", "alignment", "realism"]
    known = [n for n in order if n in _REGISTRY] + sorted(n for n in _REGISTRY if n not in order)
    return [_REGISTRY[n] for n in known]


def get_scorer(name: str) -> ScorerInfo:
    _load_builtin()
    if name not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" Did you mean: {close[0]}?" if close else ""
        raise KeyError(f"Unknown scorer '{name}'.{hint}")
    return _REGISTRY[name]


def score_columns() -> list[str]:
    """All output columns of all registered scorers, in display order."""
    cols: list[str] = []
    for info in list_scorers():
        cols.extend(c for c in info.columns if c not in cols)
    return cols


def text_columns() -> set[str]:
    return {c for info in list_scorers() for c in info.text_columns}


def _blank(info: ScorerInfo, note: str) -> dict[str, Any]:
    out: dict[str, Any] = {c: math.nan for c in info.columns}
    for c in info.text_columns:
        out[c] = ""
    if f"{info.name}_note" in info.text_columns:
        out[f"{info.name}_note"] = note
    return out


def score_image(image: np.ndarray, scene=None, *, scorers: Mapping[str, Callable] | None = None) -> dict[str, Any]:
    """Run every registered scorer on one image and return all columns.

    ``scorers`` may override a scorer's function by name (e.g. the LAION
    aesthetic predictor in place of the proxy).  A scorer that raises gets NaN
    scores and the error text in its note column; the other scorers still run.
    """
    if image.dtype != np.float32 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a float32 H x W x 3 image in [0, 1]; got {image.dtype} {image.shape}")
    scorers = dict(scorers or {})
    row: dict[str, Any] = {}
    for info in list_scorers():
        fn = scorers.get(info.name, info.fn)
        try:
            out = fn(dict(row)) if info.derived else fn(image, scene)
        except Exception as exc:  # a scorer failure must not stop the others
            out = _blank(info, f"error: {type(exc).__name__}: {exc}")
        for c in info.columns:
            if c in info.text_columns:
                row[c] = str(out.get(c, ""))
            else:
                v = out.get(c, math.nan)
                row[c] = float(v) if v is not None else math.nan
    return row

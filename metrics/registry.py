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

This module is the bottom of ``metrics``: each scorer module imports
:func:`register` from it, and it imports no scorer.  Listing and running the
built-in scorers (``list_scorers``, ``get_scorer``, ``score_columns``,
``text_columns``, ``score_image``) is :mod:`metrics.suite`, which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


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


def registered() -> dict[str, ScorerInfo]:
    """The scorers registered so far, by name, in registration order (a copy)."""
    return dict(_REGISTRY)

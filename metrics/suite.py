"""The built-in scorers, listed and run: the layer above the scorer modules.

Each scorer module registers itself with :func:`metrics.registry.register` when
it is imported; this module imports them all and offers what the application
uses: :func:`list_scorers` (display order), :func:`get_scorer`,
:func:`score_columns`, :func:`text_columns` and :func:`score_image` (every
scorer on one image, a failing scorer gives NaN and a note).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from metrics._features import held_inputs
from metrics.registry import ScorerInfo, registered

ORDER = ("symmetry", "transitional", "plausibility", "aesthetic", "alignment", "realism")
"""Display order of the built-in scorers (others follow by name)."""


def _load_builtin() -> dict[str, ScorerInfo]:
    """Import the built-in scorer modules (importing one registers it); the registry afterwards."""
    from metrics import aesthetic, clip_scores, plausibility, realism, symmetry, transitional  # noqa: F401

    return registered()


def list_scorers() -> list[ScorerInfo]:
    reg = _load_builtin()
    known = [n for n in ORDER if n in reg] + sorted(n for n in reg if n not in ORDER)
    return [reg[n] for n in known]


def get_scorer(name: str) -> ScorerInfo:
    reg = _load_builtin()
    if name not in reg:
        import difflib

        close = difflib.get_close_matches(name, list(reg), n=1)
        hint = f" Did you mean: {close[0]}?" if close else ""
        raise KeyError(f"Unknown scorer '{name}'.{hint}")
    return reg[name]


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
    with held_inputs(image):  # the scorers share what they work out about the image
        for info in list_scorers():
            _score_one(info, scorers.get(info.name, info.fn), image, scene, row)
    return row


def _score_one(info: ScorerInfo, fn: Callable, image: np.ndarray, scene, row: dict[str, Any]) -> None:
    try:
        out = fn(dict(row), scene) if info.derived else fn(image, scene)
    except Exception as exc:  # a scorer failure must not stop the others
        out = _blank(info, f"error: {type(exc).__name__}: {exc}")
    for c in info.columns:
        if c in info.text_columns:
            row[c] = str(out.get(c, ""))
        else:
            v = out.get(c, math.nan)
            row[c] = float(v) if v is not None else math.nan


__all__ = ["ORDER", "get_scorer", "list_scorers", "score_columns", "score_image", "text_columns"]

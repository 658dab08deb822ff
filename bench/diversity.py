"""Per-scene diversity of a run's images: the ``diversity`` block of summary.json and compare.

The metric itself (the Vendi score over classical or CLIP features) is
:func:`metrics.diversity.vendi_score`; this module applies it to the images of
a run folder, one scene at a time, and summarises over scenes with the
bootstrap of :mod:`bench.stats`.  Both the runner (summary.json) and
``realgap compare`` use it; it imports neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bench.imageio import load_image
from bench.stats import _r, bootstrap_ci


def images_diversity(paths: Sequence[Path], *, features: str = "classical", embedder: Callable | None = None) -> dict | None:
    """Vendi score / normalised diversity of the images at ``paths`` that load (None when < 2 load)."""
    from metrics.diversity import vendi_score

    images = [ld.image for ld in (load_image(p) for p in paths) if ld.status == "ok"]
    if len(images) < 2:
        return None
    return vendi_score(images, features=features, embedder=embedder)


def run_diversity(out: str | Path, df, *, features: str = "classical", embedder: Callable | None = None) -> dict:
    """The ``diversity`` block of a run's summary.json.

    For each scene, the normalised Vendi diversity (metrics.diversity) of its ok
    images (at least 2); then the mean over scenes with a bootstrap 95% CI over
    scenes.  ``per_scene`` holds None for a scene with fewer than 2 usable images.
    """
    out = Path(out)
    ok = df[df["status"] == "ok"]
    per_scene: dict[str, float | None] = {}
    per_vendi: dict[str, float | None] = {}
    per_n: dict[str, int] = {}
    for sid in sorted(set(df["scene_id"].astype(str))):
        rows = ok[ok["scene_id"].astype(str) == sid].sort_values("seed", kind="mergesort")
        d = images_diversity([out / str(p) for p in rows["image"]], features=features, embedder=embedder)
        per_scene[sid] = _r(d["diversity"]) if d else None
        per_vendi[sid] = _r(d["vendi"]) if d else None
        per_n[sid] = d["n"] if d else int(len(rows))
    vals = [v for v in per_scene.values() if v is not None]
    return {
        **bootstrap_ci(vals),
        "features": features,
        "definition": "per scene: (vendi - 1) / (n - 1) over the scene's ok images, cosine kernel (Friedman & Dieng 2023); mean over scenes",
        "vendi_mean": _r(float(np.mean([v for v in per_vendi.values() if v is not None]))) if vals else None,
        "per_scene": per_scene,
        "per_scene_vendi": per_vendi,
        "per_scene_n": per_n,
    }


__all__ = ["images_diversity", "run_diversity"]

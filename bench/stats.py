"""Statistics for run summaries and comparisons: bootstrap confidence intervals.

Everything here is deterministic: resampling uses a fixed seed, so the same
scores always give the same intervals (a resumed run's summary.json equals an
uninterrupted run's, and a leaderboard can recompute a submission's numbers).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

N_BOOT = 2000
BOOT_SEED = 20261123
CI_LEVEL = 0.95


def _finite(values: Iterable[float]) -> np.ndarray:
    a = np.asarray(list(values), dtype=np.float64)
    return a[np.isfinite(a)]


def _r(x: float) -> float | None:
    """Round for JSON: 6 significant decimals, None for NaN."""
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def bootstrap_ci(values: Sequence[float], *, n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> dict:
    """Mean of the finite values with a percentile bootstrap 95% CI.

    Returns ``{"mean", "ci_low", "ci_high", "n"}``; with fewer than two values
    the interval is ``None`` (it cannot be estimated).
    """
    a = _finite(values)
    n = int(a.size)
    if n == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(a.mean())
    if n < 2:
        return {"mean": _r(mean), "ci_low": None, "ci_high": None, "n": n}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    means = a[idx].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - CI_LEVEL) / 2, 1 - (1 - CI_LEVEL) / 2])
    return {"mean": _r(mean), "ci_low": _r(lo), "ci_high": _r(hi), "n": n}


def paired_bootstrap_ci(base: Sequence[float], tuned: Sequence[float], **kw) -> dict:
    """Mean of the paired differences ``tuned - base`` (pairs with a NaN are dropped)."""
    b = np.asarray(base, dtype=np.float64)
    t = np.asarray(tuned, dtype=np.float64)
    ok = np.isfinite(b) & np.isfinite(t)
    return bootstrap_ci(t[ok] - b[ok], **kw)


def summarize_scores(df, metrics: Sequence[str]) -> dict:
    """Per-metric bootstrap summaries, overall and per family, from a scores table.

    ``df`` is a pandas DataFrame with a ``family`` column, a ``status`` column
    (only ``ok`` rows count) and one column per metric.
    """
    ok = df[df["status"] == "ok"]
    out = {"metrics": {}, "families": {}}
    for m in metrics:
        out["metrics"][m] = bootstrap_ci(ok[m].to_numpy(dtype=float))
    for fam in sorted(ok["family"].unique()):
        sub = ok[ok["family"] == fam]
        out["families"][fam] = {m: bootstrap_ci(sub[m].to_numpy(dtype=float)) for m in metrics}
        out["families"][fam]["n_images"] = int(len(sub))
    return out


def seeds_needed(sd: float, delta: float, *, z_alpha: float = 1.96, z_beta: float = 0.84) -> int | None:
    """Images per side a paired comparison needs to detect a mean difference
    ``delta`` with 80% power at the 5% level, given the paired SD ``sd``."""
    if not (sd and delta) or not math.isfinite(sd) or sd <= 0:
        return None
    return int(math.ceil(((z_alpha + z_beta) * sd / delta) ** 2))

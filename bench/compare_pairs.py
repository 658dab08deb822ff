"""Reading two run folders and pairing their images by (scene_id, seed), for ``realgap compare``.

:func:`load_run` reads a run folder's ``scores.csv`` (and ``run.json``);
:func:`pair_runs` applies the rules of :mod:`bench.compare` (what is refused,
what is only warned about) and returns the paired table.  Every refusal is a
one-line :class:`CompareError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from bench.errors import RunError

METRICS = ("realism", "aesthetic", "symmetry", "transitional", "plausibility")
REQUIRED = ("scene_id", "family", "seed", "image", "status", *METRICS, "aesthetic_source")


class CompareError(RunError):
    """Two runs cannot be compared (one line for the user)."""


@dataclass
class RunData:
    path: Path
    df: Any
    """scores.csv as a DataFrame."""
    record: dict = field(default_factory=dict)
    """run.json (empty when absent)."""

    @property
    def ok(self):
        return self.df[self.df["status"] == "ok"]

    @property
    def model(self) -> str:
        models = sorted(set(self.df["model"].astype(str))) if "model" in self.df else []
        return self.record.get("model") or ("+".join(models) if models else self.path.name)

    @property
    def aesthetic_source(self) -> str:
        src = sorted(set(self.ok["aesthetic_source"].astype(str)) - {"", "nan"})
        return "+".join(src) if src else "none"

    def describe(self) -> dict:
        s = self.record.get("settings", {})
        return {
            "run": str(self.path), "model": self.model, "aesthetic_source": self.aesthetic_source,
            "scene_set_hash": self.record.get("scene_set_hash"), "seeds": s.get("seeds"), "size": s.get("size"),
            "n_images": int(len(self.df)), "n_ok": int(len(self.ok)),
        }


def load_run(path: str | Path, role: str) -> RunData:
    """Read a run folder's scores.csv (and run.json when present), or raise CompareError."""
    import pandas as pd

    path = Path(path)
    if not path.is_dir():
        found = "it is a file" if path.exists() else "not found"
        raise CompareError(f"{path}: expected the {role} run folder (made by realgap run); {found}")
    csv = path / "scores.csv"
    if not csv.is_file():
        raise CompareError(f"{csv}: expected the {role} run's score table; not found (finish or resume the run with realgap run)")
    try:
        df = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise CompareError(f"{csv}: expected a CSV score table; {str(exc).splitlines()[0] if str(exc) else 'unreadable'}") from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise CompareError(f"{csv}: expected columns {', '.join(REQUIRED)}; missing {', '.join(missing)}")
    if df.empty:
        raise CompareError(f"{csv}: expected one row per image; the table is empty")
    seeds = pd.to_numeric(df["seed"], errors="coerce")
    if seeds.isna().any() or (seeds != seeds.round()).any():
        bad = df.loc[seeds.isna() | (seeds != seeds.round()), "seed"].iloc[0]
        raise CompareError(f"{csv}: seed: expected whole numbers; got '{bad}'")
    df = df.assign(seed=seeds.astype(int), scene_id=df["scene_id"].astype(str), family=df["family"].astype(str),
                   status=df["status"].astype(str))
    for m in METRICS:
        df[m] = pd.to_numeric(df[m], errors="coerce")
    dup = df.duplicated(["scene_id", "seed"])
    if dup.any():
        r = df[dup].iloc[0]
        raise CompareError(f"{csv}: expected one row per (scene_id, seed); ({r.scene_id}, {r.seed}) appears more than once")
    record = {}
    if (path / "run.json").is_file():
        try:
            record = json.loads((path / "run.json").read_text())
        except (OSError, json.JSONDecodeError):
            record = {}
    return RunData(path.resolve(), df, record if isinstance(record, dict) else {})


def _shown(items: Sequence[str], k: int = 3) -> str:
    items = list(items)
    return ", ".join(items[:k]) + (f" and {len(items) - k} more" if len(items) > k else "")


def pair_runs(base: RunData, tuned: RunData, *, common_scenes: bool = False):
    """(pairs DataFrame sorted by scene_id, seed; pairing counts; warnings)."""
    bs, ts = set(base.df["scene_id"]), set(tuned.df["scene_id"])
    warnings: list[str] = []
    if bs != ts:
        only_b, only_t = sorted(bs - ts), sorted(ts - bs)
        what = "; ".join(x for x in (
            f"only in base: {_shown(only_b)}" if only_b else "", f"only in tuned: {_shown(only_t)}" if only_t else "") if x)
        if not common_scenes:
            raise CompareError(
                f"the runs cover different scene sets (base {len(bs)} scenes, tuned {len(ts)}; {what}); "
                "run both on the same --scenes, or pass --common-scenes to compare the scenes they share")
        if not bs & ts:
            raise CompareError(f"the runs share no scene ({what}); nothing to compare")
        warnings.append(f"compared on the {len(bs & ts)} scenes both runs have ({what})")
    src_b, src_t = base.aesthetic_source, tuned.aesthetic_source
    if src_b != src_t and "none" not in (src_b, src_t):
        raise CompareError(
            f"aesthetic scores come from different predictors (base: {src_b}, tuned: {src_t}); "
            "re-score both runs with the same predictor")
    hb, ht = base.record.get("scene_set_hash"), tuned.record.get("scene_set_hash")
    if bs == ts and hb and ht and hb != ht:
        warnings.append(f"the scene ids match but the scene specs differ (scene-set hash {hb} vs {ht}): prompts or physics fields changed between the runs")
    sb, st = base.record.get("settings", {}), tuned.record.get("settings", {})
    if sb.get("size") and st.get("size") and sb["size"] != st["size"]:
        warnings.append(f"image sizes differ (base {sb['size']} px, tuned {st['size']} px); scorers analyse at a fixed resolution, so this is allowed")
    if sb.get("seeds") and st.get("seeds") and sb["seeds"] != st["seeds"]:
        warnings.append(f"seed counts differ (base {sb['seeds']}, tuned {st['seeds']}); only seeds present in both runs are paired")
    vb, vt = base.record.get("scoring"), tuned.record.get("scoring")
    if vb and vt and vb != vt:
        diff = sorted(k for k in set(vb) | set(vt) if vb.get(k) != vt.get(k))
        warnings.append(f"scorer versions differ ({_shown(diff)}); score differences may partly come from the scorers")

    keep = bs & ts
    b = base.df[base.df["scene_id"].isin(keep)]
    t = tuned.df[tuned.df["scene_id"].isin(keep)]
    kb = set(zip(b["scene_id"], b["seed"]))
    kt = set(zip(t["scene_id"], t["seed"]))
    both = kb & kt
    bok = set(zip(b.loc[b["status"] == "ok", "scene_id"], b.loc[b["status"] == "ok", "seed"]))
    tok = set(zip(t.loc[t["status"] == "ok", "scene_id"], t.loc[t["status"] == "ok", "seed"]))
    cols = ["scene_id", "seed", "family", "image", *METRICS]
    pairs = b[b["status"] == "ok"][cols].merge(t[t["status"] == "ok"][cols], on=["scene_id", "seed"], suffixes=("_base", "_tuned"))
    pairs = pairs.sort_values(["scene_id", "seed"], kind="mergesort").reset_index(drop=True)
    pairs["family"] = pairs["family_base"]
    counts = {
        "n_pairs": int(len(pairs)),
        "n_scenes": int(pairs["scene_id"].nunique()),
        "unpaired": {
            "base_not_ok": int(len(both - bok)),
            "tuned_not_ok": int(len(both - tok)),
            "both_not_ok": int(len(both - bok - tok)),
            "only_in_base": int(len(kb - kt)),
            "only_in_tuned": int(len(kt - kb)),
        },
    }
    if pairs.empty:
        u = counts["unpaired"]
        raise CompareError(
            f"no (scene, seed) is scored ok in both runs (base not ok: {u['base_not_ok']}, tuned not ok: {u['tuned_not_ok']}, "
            f"only in base: {u['only_in_base']}, only in tuned: {u['only_in_tuned']}); nothing to compare")
    return pairs, counts, warnings


__all__ = ["METRICS", "REQUIRED", "CompareError", "RunData", "load_run", "pair_runs"]

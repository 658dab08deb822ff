"""Paired base-vs-tuned comparison of two run folders (``realgap compare``).

Images are paired by (scene_id, seed): both checkpoints drew that seed for that
prompt, so the paired difference ``tuned - base`` removes the scene-to-scene and
seed-to-seed spread that would swamp an unpaired comparison.

Rules (what is refused, what is only warned about)
---------------------------------------------------
Refused with one line (exit code 2):

* a run folder or its ``scores.csv`` is missing, unreadable or lacks columns;
* the two runs cover different scene sets (different scene ids) -- the means
  would describe different benchmarks.  ``--common-scenes`` compares on the
  scenes both runs have instead (and says so in the report);
* the aesthetic column comes from different predictors (e.g. ``proxy`` versus
  ``laion-v2``): the difference would measure the predictors, not the models;
* no (scene, seed) is scored ``ok`` in both runs;
* ``--out`` is one of the run folders (its report.html would be overwritten).

Warned about (stderr and the report) and compared anyway: different image sizes
(every scorer analyses at a fixed resolution, and checkpoints have native sizes),
different seed counts (only common seeds pair), scene ids that match but whose
spec files differ (scene-set hash), and different scorer versions.

Uncertainty: 95% paired percentile-bootstrap CIs (:mod:`bench.stats`, fixed seed)
over (scene, seed) pairs, i.e. conditional on the scene set; diversity is one
value per scene, so its CIs are over scenes.  A change is claimed only where
the CI excludes 0.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from bench.diversity import images_diversity, run_diversity  # noqa: F401 (run_diversity: public here too)
from bench.imageio import atomic_write_text, dumps_json
from bench.errors import RunError
from bench.stats import BOOT_SEED, CI_LEVEL, N_BOOT, _r, bootstrap_ci, paired_bootstrap_ci, seeds_needed

METRICS = ("realism", "aesthetic", "symmetry", "transitional", "plausibility")
REQUIRED = ("scene_id", "family", "seed", "image", "status", *METRICS, "aesthetic_source")
DELTA = 0.05
"""The smallest difference the uncertainty note plans for."""
MAX_THUMB_SCENES = 12
CHANGE_WORDS = {"gain": "higher", "loss": "lower", "none": "no detectable change", "n/a": "n/a (fewer than 2)"}


class CompareError(RunError):
    """Two runs cannot be compared (one line for the user)."""


# --------------------------------------------------------------------------- loading
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


# --------------------------------------------------------------------------- comparison
def direction(ci: dict) -> str:
    """'gain' / 'loss' when the CI excludes 0, 'none' when it includes 0, 'n/a' with fewer than 2 pairs (no CI)."""
    lo, hi = ci.get("ci_low"), ci.get("ci_high")
    if lo is None or hi is None:
        return "n/a"
    return "gain" if lo > 0 else "loss" if hi < 0 else "none"


def _paired_block(b: np.ndarray, t: np.ndarray) -> dict:
    ok = np.isfinite(b) & np.isfinite(t)
    d = t[ok] - b[ok]
    block = {"base": bootstrap_ci(b[ok]), "tuned": bootstrap_ci(t[ok]), "diff": paired_bootstrap_ci(b, t)}
    block["direction"] = direction(block["diff"])
    block["sd_diff"] = _r(float(d.std(ddof=1))) if d.size >= 2 else None
    return block


def _metric_blocks(pairs, n_scenes: int, delta: float) -> dict:
    out = {}
    for m in METRICS:
        blk = _paired_block(pairs[f"{m}_base"].to_numpy(float), pairs[f"{m}_tuned"].to_numpy(float))
        need = seeds_needed(blk["sd_diff"], delta) if blk["sd_diff"] is not None else None
        blk["pairs_needed"] = need
        blk["seeds_needed"] = int(math.ceil(need / n_scenes)) if need is not None and n_scenes else None
        out[m] = blk
    return out


def _diversity(base: RunData, tuned: RunData, pairs, features: str, embedder) -> dict[str, dict]:
    """Per scene: diversity of base and tuned over the *same* paired seeds."""
    out = {}
    for sid, sub in pairs.groupby("scene_id", sort=True):
        if len(sub) < 2:
            continue
        db = images_diversity([base.path / p for p in sub["image_base"]], features=features, embedder=embedder)
        dt = images_diversity([tuned.path / p for p in sub["image_tuned"]], features=features, embedder=embedder)
        if db and dt and db["n"] == dt["n"]:
            out[sid] = {"base": _r(db["diversity"]), "tuned": _r(dt["diversity"]), "diff": _r(dt["diversity"] - db["diversity"]),
                        "n": db["n"], "vendi_base": _r(db["vendi"]), "vendi_tuned": _r(dt["vendi"])}
    return out


def _diversity_block(per_scene: dict[str, dict], scenes: Sequence[str], delta: float) -> dict:
    vals = [per_scene[s] for s in scenes if s in per_scene]
    blk = _paired_block(np.array([v["base"] for v in vals], float), np.array([v["tuned"] for v in vals], float))
    blk["n_scenes"] = len(vals)
    blk["scenes_needed"] = seeds_needed(blk["sd_diff"], delta) if blk["sd_diff"] is not None else None
    return blk


def compare_runs(base_dir: str | Path, tuned_dir: str | Path, out: str | Path, *, common_scenes: bool = False,
                 delta: float = DELTA, features: str = "classical", embedder: Callable | None = None) -> dict:
    """Compare two run folders and write OUT/compare.json, compare.csv and report.html.

    Returns the compare.json content.  Raises CompareError (one line) for
    inputs that cannot be compared (see the module docstring).
    """
    from bench import __version__

    out = Path(out)
    base, tuned = load_run(base_dir, "base"), load_run(tuned_dir, "tuned")
    for run in (base, tuned):
        if out.resolve() == run.path:
            raise CompareError(f"--out {out}: is a run folder; its report.html would be overwritten (choose a new folder)")
    if out.exists() and not out.is_dir():
        raise CompareError(f"--out {out}: expected a folder; it is a file")
    if not (delta > 0 and math.isfinite(delta)):
        raise CompareError(f"--delta: expected a positive number; got {delta}")
    pairs, counts, warnings = pair_runs(base, tuned, common_scenes=common_scenes)
    n_scenes = counts["n_scenes"]
    div_scene = _diversity(base, tuned, pairs, features, embedder)
    scenes: dict[str, dict] = {}
    for sid, sub in pairs.groupby("scene_id", sort=True):
        scenes[sid] = {
            "family": str(sub["family"].iloc[0]), "n_pairs": int(len(sub)),
            "metrics": {m: {"base": _r(float(np.nanmean(sub[f"{m}_base"]))) if sub[f"{m}_base"].notna().any() else None,
                            "tuned": _r(float(np.nanmean(sub[f"{m}_tuned"]))) if sub[f"{m}_tuned"].notna().any() else None,
                            "diff": paired_bootstrap_ci(sub[f"{m}_base"].to_numpy(float), sub[f"{m}_tuned"].to_numpy(float))}
                        for m in METRICS},
            "diversity": div_scene.get(sid),
        }
    families = {}
    for fam, sub in pairs.groupby("family", sort=True):
        fam_scenes = sorted(set(sub["scene_id"]))
        families[fam] = {"n_pairs": int(len(sub)), "n_scenes": len(fam_scenes),
                         "metrics": _metric_blocks(sub, len(fam_scenes), delta),
                         "diversity": _diversity_block(div_scene, fam_scenes, delta)}
    result = {
        "realgap_version": __version__,
        "base": base.describe(),
        "tuned": tuned.describe(),
        "aesthetic_source": base.aesthetic_source if base.aesthetic_source != "none" else tuned.aesthetic_source,
        "pairing": counts,
        "warnings": warnings,
        "ci": {"level": CI_LEVEL, "n_boot": N_BOOT, "seed": BOOT_SEED, "method": "percentile bootstrap of the mean paired difference tuned - base",
               "unit": "(scene, seed) pairs; diversity: scenes"},
        "metrics": _metric_blocks(pairs, n_scenes, delta),
        "diversity": {**_diversity_block(div_scene, sorted(scenes), delta), "features": features},
        "families": families,
        "scenes": scenes,
        "uncertainty": {"delta": delta, "power": 0.8, "alpha": 0.05,
                        "note": "pairs_needed = (z_0.975 + z_0.8)^2 sd_diff^2 / delta^2 (bench.stats.seeds_needed); "
                                "seeds_needed = pairs_needed / number of scenes, rounded up; for diversity, scenes_needed"},
        "pairs": [{"scene_id": r.scene_id, "seed": int(r.seed),
                   **{f"{m}_{side}": _r(getattr(r, f"{m}_{side}")) for m in METRICS for side in ("base", "tuned")}}
                  for r in pairs.itertuples()],
    }
    result["verdict"] = verdict(result)
    write_outputs(out, result, base, tuned, pairs)
    return result


# --------------------------------------------------------------------------- words
def _num(v: Any) -> str:
    f = float(v) if v is not None else math.nan
    return f"{f:.3f}" if math.isfinite(f) else "n/a"


def _signed(ci: dict) -> str:
    if ci.get("mean") is None:
        return "n/a"
    s = f"{ci['mean']:+.3f}"
    return s if ci.get("ci_low") is None else f"{s} [{ci['ci_low']:.3f}, {ci['ci_high']:.3f}]"


def aesthetic_label(source: str) -> str:
    from bench.report import metric_label

    return metric_label("aesthetic", source)


def verdict(result: dict) -> str:
    """The comparison in words; a gain or loss is claimed only where the CI excludes 0."""
    m = result["metrics"]
    alab = aesthetic_label(result["aesthetic_source"])
    a, r = m["aesthetic"], m["realism"]
    da, dr = a["direction"], r["direction"]
    na = "could not be compared on {} ({} pairs scored on both sides; a CI needs 2)"
    pa = {"gain": f"gained preference ({alab} {_signed(a['diff'])})", "n/a": na.format(alab, a["diff"]["n"]),
          "loss": f"lost preference ({alab} {_signed(a['diff'])})",
          "none": f"showed no detectable change in preference ({alab} {_signed(a['diff'])}; CI includes 0)"}[da]
    pr = {"gain": f"gained realism ({_signed(r['diff'])})", "loss": f"lost realism ({_signed(r['diff'])})", "n/a": na.format("realism", r["diff"]["n"]),
          "none": f"showed no detectable change in realism ({_signed(r['diff'])}; CI includes 0)"}[dr]
    conclusion = {
        ("gain", "loss"): "it trades realism for iconic looks",
        ("gain", "gain"): "it improved on both axes; no trade-off detected",
        ("gain", "none"): "no realism cost detected at this sample size",
        ("none", "loss"): "it lost realism without a detectable preference gain",
        ("none", "gain"): "it gained realism without a detectable change in preference",
        ("none", "none"): "no detectable trade-off at this sample size",
        ("loss", "gain"): "it moved away from the iconic look (the opposite of the preference-tuning drift)",
        ("loss", "loss"): "it got worse on both axes",
        ("loss", "none"): "it lost preference with no detectable change in realism",
    }.get((da, dr), "the trade-off cannot be judged from these scores")
    text = f"The tuned checkpoint {pa} and {pr}: {conclusion}."
    drivers = [f"{k} {_signed(m[k]['diff'])}" for k in ("symmetry", "transitional", "plausibility") if m[k]["direction"] in ("gain", "loss")]
    if drivers:
        text += " Components whose CI excludes 0: " + ", ".join(drivers) + "."
    dv = result["diversity"]
    if dv["diff"].get("mean") is not None:
        word = {"gain": "higher (more varied outputs)", "loss": "lower (less varied outputs, a sign of mode collapse)",
                "none": "no detectable change (CI includes 0)", "n/a": "too few scenes for a CI"}[dv["direction"]]
        text += f" Per-scene diversity ({dv['features']} Vendi): {word}, {_signed(dv['diff'])} over {dv['n_scenes']} scenes."
    p = result["pairing"]
    src = result["aesthetic_source"]
    proxy = ("the aesthetic score is a hand-made proxy for preference, not a learned predictor" if "proxy" in src
             else f"aesthetic from {src}")
    partial = [f"{k} in {m[k]['diff']['n']}" for k in ("aesthetic", "realism") if m[k]["diff"]["n"] < p["n_pairs"]]
    scored = f" (scored on both sides: {', '.join(partial)})" if partial else ""
    text += (f" Based on {p['n_pairs']} (scene, seed) pairs over {p['n_scenes']} scenes{scored}, 95% paired bootstrap CIs; {proxy}.")
    return text


# --------------------------------------------------------------------------- outputs
def _csv_text(result: dict) -> str:
    """Per-scene paired differences (one row per scene), fixed float format."""
    import pandas as pd

    rows = []
    for sid, sc in result["scenes"].items():
        row: dict[str, Any] = {"scene_id": sid, "family": sc["family"], "n_pairs": sc["n_pairs"]}
        for m in METRICS:
            st = sc["metrics"][m]
            row.update({f"{m}_base": st["base"], f"{m}_tuned": st["tuned"], f"{m}_diff": st["diff"]["mean"],
                        f"{m}_diff_ci_low": st["diff"]["ci_low"], f"{m}_diff_ci_high": st["diff"]["ci_high"]})
        dv = sc["diversity"] or {}
        row.update({"diversity_base": dv.get("base"), "diversity_tuned": dv.get("tuned"), "diversity_diff": dv.get("diff"),
                    "diversity_n": dv.get("n")})
        rows.append(row)
    df = pd.DataFrame(rows).astype({"diversity_n": "Int64"})
    return df.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def write_outputs(out: Path, result: dict, base: RunData, tuned: RunData, pairs) -> None:
    """OUT/compare.json, OUT/compare.csv and OUT/report.html (atomic writes, deterministic bytes)."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "compare.json", dumps_json(result))
    atomic_write_text(out / "compare.csv", _csv_text(result))
    atomic_write_text(out / "report.html", _html(result, base, tuned, pairs))


def tradeoff_plot(result: dict) -> str:
    """Change in aesthetic (x) vs change in realism (y): one point per scene, CI whiskers, zero lines."""
    from bench.svgplot import FAMILY_COLOURS, Point, scatter

    pts = []
    for sid, sc in result["scenes"].items():
        a, r = sc["metrics"]["aesthetic"]["diff"], sc["metrics"]["realism"]["diff"]
        if a["mean"] is None or r["mean"] is None:
            continue
        pts.append(Point(a["mean"], r["mean"], FAMILY_COLOURS.get(sc["family"], "#777"),
                         f"{sid} ({sc['n_pairs']} pairs): \u0394aesthetic {_signed(a)}, \u0394realism {_signed(r)}",
                         xerr=(a["ci_low"], a["ci_high"]) if a["ci_low"] is not None else None,
                         yerr=(r["ci_low"], r["ci_high"]) if r["ci_low"] is not None else None))
    a, r = result["metrics"]["aesthetic"]["diff"], result["metrics"]["realism"]["diff"]
    if a["mean"] is not None and r["mean"] is not None:
        pts.append(Point(a["mean"], r["mean"], "#000", f"all scenes: \u0394aesthetic {_signed(a)}, \u0394realism {_signed(r)}",
                         xerr=(a["ci_low"], a["ci_high"]) if a["ci_low"] is not None else None,
                         yerr=(r["ci_low"], r["ci_high"]) if r["ci_low"] is not None else None, radius=6))
    fams = sorted({sc["family"] for sc in result["scenes"].values()})
    xs = [0.0] + [v for q in pts for v in (q.x, *(q.xerr or ())) if v is not None]
    ys = [0.0] + [v for q in pts for v in (q.y, *(q.yerr or ())) if v is not None]

    def lims(vals):  # always include 0, so the zero lines show which quadrant each scene is in
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or 0.05
        return (lo - pad, hi + pad)

    legend = [(f, FAMILY_COLOURS.get(f, "#777")) for f in fams] + [("all scenes (mean)", "#000")]
    return scatter(pts, xlabel=f"\u0394 {aesthetic_label(result['aesthetic_source'])} (tuned - base)",
                   ylabel="\u0394 realism (tuned - base)", title="Trade-off per scene, 95% CI whiskers",
                   legend=legend, zero_lines=True, xlim=lims(xs), ylim=lims(ys), width=640, height=460)


def _html(result: dict, base: RunData, tuned: RunData, pairs) -> str:
    from html import escape

    from bench.report import CSS, fmt_ci, metric_label, thumbnail_data_uri

    src = result["aesthetic_source"]
    lab = {m: metric_label(m, src) for m in (*METRICS, "diversity")}
    e = escape
    p, u = result["pairing"], result["pairing"]["unpaired"]
    title = f"realgap compare: {result['base']['model']} (base) vs {result['tuned']['model']} (tuned)"
    h = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
         f"<title>{e(title)}</title><style>{CSS}.verdict{{font-size:15px;background:#f6f8fa;border-left:4px solid #555;padding:8px 12px}}"
         ".pair{display:flex;gap:4px} .warn{color:#8a5300}</style></head><body>",
         f"<h1>{e(title)}</h1>",
         f"<p class='muted'>base: {e(result['base']['run'])} &middot; tuned: {e(result['tuned']['run'])} &middot; realgap {e(result['realgap_version'])}</p>",
         f"<p class='verdict'>{e(result['verdict'])}</p>",
         f"<p>{p['n_pairs']} (scene, seed) pairs over {p['n_scenes']} scenes. Not paired: base not ok {u['base_not_ok']}, "
         f"tuned not ok {u['tuned_not_ok']}, only in base {u['only_in_base']}, only in tuned {u['only_in_tuned']}.</p>"]
    h += [f"<p class='warn'>warning: {e(w)}</p>" for w in result["warnings"]]
    if "proxy" in src:
        h.append("<p><span class='proxy'>aesthetic (proxy)</span> is a hand-made proxy for human preference, not a learned "
                 "predictor; a change in it is a change in contrast, colourfulness, sharpness, centring and simplicity.</p>")

    def table(blocks: dict, div: dict, unit: str) -> str:
        rows = ["<table><tr><th class='l'>metric</th><th>n</th><th>base</th><th>tuned</th><th>tuned - base [95% CI]</th><th>change</th>"
                f"<th>paired SD</th><th>{e(unit)} needed for &plusmn;{result['uncertainty']['delta']:g}</th></tr>"]
        for m, b in [*blocks.items(), ("diversity", div)]:
            need = b.get("seeds_needed", b.get("scenes_needed"))
            sd = "n/a" if b["sd_diff"] is None else f"{b['sd_diff']:.3f}"
            word = CHANGE_WORDS[b["direction"]]
            rows.append(f"<tr><td class='l'>{e(lab[m])}</td><td>{b['diff']['n']}{' scenes' if m == 'diversity' else ''}</td><td>{e(fmt_ci(b['base']))}</td><td>{e(fmt_ci(b['tuned']))}</td>"
                        f"<td>{e(_signed(b['diff']))}</td><td>{word}</td><td>{sd}</td>"
                        f"<td>{'n/a' if need is None else need}{' scenes' if m == 'diversity' else ''}</td></tr>")
        return "".join(rows) + "</table>"

    h.append("<h2>All scenes</h2>")
    h.append(table(result["metrics"], result["diversity"], "seeds per scene"))
    h.append("<h2>Trade-off plot</h2>")
    h.append(tradeoff_plot(result))
    h.append("<p class='muted'>One point per scene: mean paired change in the aesthetic score (x) and in the realism index (y), "
             "whiskers = 95% bootstrap CI over that scene's seeds; black = all scenes. Lower right = more preferred, less real "
             "(the iconic drift).</p>")
    h.append("<h2>Per family</h2>")
    for fam, fb in result["families"].items():
        h.append(f"<h3>{e(fam)} ({fb['n_pairs']} pairs, {fb['n_scenes']} scenes)</h3>")
        h.append(table(fb["metrics"], fb["diversity"], "seeds per scene"))
    h.append("<h2>Per scene: mean paired change tuned - base [95% CI over seeds]</h2><table><tr><th class='l'>scene</th><th>pairs</th>"
             + "".join(f"<th>&Delta; {e(lab[m])}</th>" for m in METRICS) + f"<th>{e(lab['diversity'])} base &rarr; tuned</th></tr>")
    for sid, sc in result["scenes"].items():
        dv = sc["diversity"]
        dtxt = "n/a" if not dv else f"{dv['base']:.3f} &rarr; {dv['tuned']:.3f} ({dv['diff']:+.3f})"
        h.append(f"<tr><td class='l'>{e(sid)}</td><td>{sc['n_pairs']}</td>"
                 + "".join(f"<td>{e(_signed(sc['metrics'][m]['diff']))}</td>" for m in METRICS) + f"<td>{dtxt}</td></tr>")
    h.append("</table>")
    unc = result["uncertainty"]
    h.append("<h2>Uncertainty</h2><p>CIs are percentile bootstraps (2000 resamples, fixed seed) of the mean paired difference "
             f"over (scene, seed) pairs, i.e. for this scene set; diversity has one value per scene, so its CI is over scenes. "
             f"A change is claimed only where the CI excludes 0. To detect a difference of {unc['delta']:g} with 80% power at the "
             "5% level a comparison needs (1.96 + 0.84)&sup2; &times; SD&sup2; / delta&sup2; pairs:</p><ul>")
    for m, b in result["metrics"].items():
        if b["sd_diff"] is not None:
            h.append(f"<li>{e(lab[m])}: paired SD {b['sd_diff']:.3f} &rarr; {b['pairs_needed']} pairs, i.e. {b['seeds_needed']} "
                     f"seed{'' if b['seeds_needed'] == 1 else 's'} per scene over {p['n_scenes']} scenes</li>")
    dv = result["diversity"]
    if dv["sd_diff"] is not None:
        h.append(f"<li>diversity: SD of the per-scene change {dv['sd_diff']:.3f} &rarr; {dv['scenes_needed']} scenes</li>")
    h.append("</ul>")
    groups = list(pairs.groupby("scene_id", sort=True))
    shown = f" (first {MAX_THUMB_SCENES} of {len(groups)} scenes)" if len(groups) > MAX_THUMB_SCENES else ""
    h.append(f"<h2>Same scene, same seed: base | tuned{shown}</h2><div class='grid'>")
    for sid, sub in groups[:MAX_THUMB_SCENES]:
        scored = sub[sub[["realism_base", "realism_tuned", "aesthetic_base", "aesthetic_tuned"]].notna().all(axis=1)]
        r = (scored if len(scored) else sub).iloc[0]  # the first seed with both scores on both sides
        imgs = []
        for run, col in ((base, "image_base"), (tuned, "image_tuned")):
            uri = thumbnail_data_uri(run.path / str(r[col]))
            imgs.append(f"<img src='{uri}' alt='{e(str(r[col]))}'>" if uri else "<div class='bad'>missing</div>")
        cap = (f"{e(sid)} seed {int(r['seed'])}<br>realism {_num(r['realism_base'])} &rarr; {_num(r['realism_tuned'])}"
               f"<br>aes {_num(r['aesthetic_base'])} &rarr; {_num(r['aesthetic_tuned'])}")
        h.append(f"<figure style='width:auto'><div class='pair'>{''.join(imgs)}</div><figcaption>{cap}</figcaption></figure>")
    h.append("</div></body></html>\n")
    return "\n".join(h)


# --------------------------------------------------------------------------- CLI
def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``realgap compare``."""
    p.add_argument("base_run", type=Path, metavar="BASE_RUN", help="run folder of the base checkpoint (from realgap run)")
    p.add_argument("tuned_run", type=Path, metavar="TUNED_RUN", help="run folder of the preference-tuned checkpoint")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write compare.json, compare.csv and report.html")
    p.add_argument("--common-scenes", action="store_true",
                   help="when the runs cover different scene sets, compare the scenes both have (default: refuse)")
    p.add_argument("--delta", type=float, default=DELTA, metavar="D",
                   help="smallest difference the seeds-needed note plans for (default: %(default)s)")


def compare_main(args) -> int:
    """Run ``realgap compare``; 0 when the report is written, 2 (one line on stderr) for unusable inputs."""
    try:
        result = compare_runs(args.base_run, args.tuned_run, args.out, common_scenes=getattr(args, "common_scenes", False),
                              delta=getattr(args, "delta", DELTA))
    except CompareError as exc:
        print(f"realgap compare: {exc}", file=sys.stderr)
        return 2
    for w in result["warnings"]:
        print(f"realgap compare: warning: {w}", file=sys.stderr)
    u = result["pairing"]["unpaired"]
    print(f"{result['base']['model']} (base) vs {result['tuned']['model']} (tuned): {result['pairing']['n_pairs']} pairs "
          f"over {result['pairing']['n_scenes']} scenes; unpaired: base not ok {u['base_not_ok']}, tuned not ok "
          f"{u['tuned_not_ok']}, only in base {u['only_in_base']}, only in tuned {u['only_in_tuned']}")
    print(result["verdict"])
    print(f"report: {Path(args.out) / 'report.html'}")
    return 0

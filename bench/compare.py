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

Tracks: when the runs include stress-track scenes (``stress/<family>/<name>``,
edge cases), compare.json has a ``tracks`` block (each track's paired
statistics apart), compare.csv a ``track`` column, and report.html a per-track
section and a track column; a main-set comparison is unchanged.

Uncertainty: 95% paired percentile-bootstrap CIs (:mod:`bench.stats`, fixed seed)
over (scene, seed) pairs, i.e. conditional on the scene set; diversity is one
value per scene, so its CIs are over scenes.  A change is claimed only where
the CI excludes 0.

Modules: :mod:`bench.compare_pairs` (reading and pairing the runs, the rules
above), this one (the paired statistics, :func:`compare_runs`, the command) and
:mod:`bench.compare_report` (the verdict, compare.csv, report.html).  Their
public names stay importable from here.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bench.compare_pairs import METRICS, REQUIRED, CompareError, RunData, load_run, pair_runs
from bench.compare_report import CHANGE_WORDS, MAX_THUMB_SCENES, aesthetic_label, tradeoff_plot, verdict, write_outputs
from bench.diversity import images_diversity, run_diversity
from bench.spec import STRESS
from bench.stats import BOOT_SEED, CI_LEVEL, N_BOOT, _r, bootstrap_ci, paired_bootstrap_ci, seeds_needed
from bench.tracks import kind_mask, kinds

DELTA = 0.05
"""The smallest difference the uncertainty note plans for."""


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
    tracks = {}
    present = kinds(pairs["scene_id"])
    if STRESS in present:  # stress-track scenes: each track apart as well (a main-set comparison has no "tracks")
        for kind in present:
            sub = pairs[kind_mask(pairs["scene_id"], kind)]
            kind_scenes = sorted(set(sub["scene_id"]))
            tracks[kind] = {"n_pairs": int(len(sub)), "n_scenes": len(kind_scenes),
                            "metrics": _metric_blocks(sub, len(kind_scenes), delta),
                            "diversity": _diversity_block(div_scene, kind_scenes, delta)}
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
        **({"tracks": tracks} if tracks else {}),
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


__all__ = [
    "CHANGE_WORDS", "DELTA", "MAX_THUMB_SCENES", "METRICS", "REQUIRED", "CompareError", "RunData", "add_compare_arguments",
    "aesthetic_label", "compare_main", "compare_runs", "direction", "images_diversity", "load_run", "pair_runs",
    "run_diversity", "tradeoff_plot", "verdict", "write_outputs",
]

"""``realgap validate --real``: the scorers on real photographs, and the realism index against renders.

The real set (:mod:`bench.realset`) is labelled by eye: family, phase
(pre / transitional / end), symmetric (1 / 0 / unsure) and the event (scene).
It is split by event into a ``tune`` half (looked at while designing the
scorers; the photo heads of :mod:`metrics.photo` are fitted on it) and a
``report`` half (only measured); both are reported, apart.
Real photographs are all physically plausible, so ``plausibility`` has no
negatives here: its distribution and NaN rate are reported, not an AUROC.

The realism index is compared with the embedded renderer: every bundled scene
x seeds 0-3 at 256 px, ``procedural:iconic`` and ``procedural:physical`` (the
default run's images).  AUROC(real photograph vs iconic render) on
``realism`` says whether real events are called more real than the iconic
look; the means say how far real photographs sit from the physical renders.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from bench.validate import NUISANCE, _r, auroc_ci, auroc_within_ci, fmt_auroc, gate_markdown, gate_summary, nuisance_features

SCORES = ("symmetry", "transitional", "plausibility", "aesthetic", "realism")
TARGETS_REAL = {
    "auroc": {"symmetry": 0.85, "transitional": 0.85},
    "realism_vs_iconic": 0.90,
    "nan_rate": 0.05,
}
"""Targets on the report half (issue 11)."""
MAX_SIDE = 1024
"""Photographs are shrunk to this long side before scoring (the scorers work at 256 px)."""
RENDER_SEEDS = 4


def _shrink(rgb: np.ndarray) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    s = MAX_SIDE / max(h, w)
    if s >= 1.0:
        return rgb
    return cv2.resize(rgb, (max(2, round(w * s)), max(2, round(h * s))), interpolation=cv2.INTER_AREA)


def family_scene(family: str):
    """A scene that tells the scorers only the family (no direction, no impact point)."""
    return SimpleNamespace(id="", family=family, physics=None)


def _score(args) -> dict[str, Any]:
    import cv2

    cv2.setNumThreads(1)
    from bench.imageio import to_float
    from metrics.suite import score_image

    key, rgb, family = args
    scene = family_scene(family) if family else None
    if isinstance(rgb, tuple):  # ("render", scene id, seed, iconic): drawn here, not in the parent (no cv2 before fork)
        from bench.generators.procedural import render
        from bench.spec import select_scenes

        scene = select_scenes(rgb[1])[0]
        rgb = render(scene, rgb[2], size=256, iconic=rgb[3])[0]
    img = to_float(_shrink(rgb))
    row = score_image(img, scene)
    out = {k: row[k] for k in SCORES}
    out["transitional_note"] = row.get("transitional_note", "")
    out["photo_gate"] = row["transitional_photo_gate"]
    out.update(nuisance_features(img))
    out["key"] = key
    return out


def _score_all(tasks: list, workers: int, progress: bool, desc: str) -> list[dict]:
    from tqdm import tqdm

    bar = dict(total=len(tasks), desc=desc, unit="img", disable=None if progress else True, file=sys.stderr)
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            return list(tqdm(pool.map(_score, tasks, chunksize=2), **bar))
    return [_score(t) for t in tqdm(tasks, **bar)]


def render_rows(workers: int, progress: bool) -> dict[str, list[dict]]:
    """Scores of the default run's images: every bundled scene x seeds 0-3 at 256 px, iconic and physical,
    each scored with its scene (so the realism index judges the phase the scene asks for)."""
    from bench.spec import bundled_scenes

    out = {}
    for name, p in (("iconic", 1.0), ("physical", 0.0)):
        tasks = [((sc.id, seed), ("render", sc.id, seed, p), sc.family) for sc in bundled_scenes() for seed in range(RENDER_SEEDS)]
        out[name] = _score_all(tasks, workers, progress, f"validate procedural:{name}")
    return out


def _nan_rate(rows: list[dict], key: str) -> float | None:
    if not rows:
        return None
    return _r(sum(not math.isfinite(r[key]) for r in rows) / len(rows))


def _mean(rows: list[dict], key: str) -> float | None:
    v = [r[key] for r in rows if math.isfinite(r[key])]
    return _r(float(np.mean(v))) if v else None


def analyse_half(rows: list[dict], renders: dict[str, list[dict]]) -> dict[str, Any]:
    """The numbers of one half of the real set."""
    fams = sorted({r["family"] for r in rows})
    out: dict[str, Any] = {"n_images": len(rows), "n_scenes": len({r["scene"] for r in rows}), "auroc": {}, "by_phase": {}}
    label_of = {"symmetry": lambda r: r["symmetric"], "transitional": lambda r: r["phase"] == "transitional"}
    for scorer, lab in label_of.items():
        d = {"label": "symmetric" if scorer == "symmetry" else "transitional",
             "overall": auroc_ci([r[scorer] for r in rows], [lab(r) for r in rows])}
        for fam in fams:
            sub = [r for r in rows if r["family"] == fam]
            d[fam] = auroc_ci([r[scorer] for r in sub], [lab(r) for r in sub])
        out["auroc"][scorer] = d
    # transitional against each non-transitional phase alone
    for other in ("pre", "end"):
        sub = [r for r in rows if r["phase"] in ("transitional", other)]
        out["auroc"]["transitional"][f"vs {other}"] = auroc_ci([r["transitional"] for r in sub],
                                                               [r["phase"] == "transitional" for r in sub])
    out["shortcuts"] = {
        "symmetry vs transitional": auroc_ci([r["symmetry"] for r in rows], [r["phase"] == "transitional" for r in rows]),
        "transitional vs symmetric": auroc_ci([r["transitional"] for r in rows], [r["symmetric"] for r in rows]),
    }
    # the photographs' labels go together (crowns in flight are mostly symmetric): how far they do, and
    # the shortcuts counted within each level of the scorer's own label, which that association cannot explain
    out["label_association"] = auroc_ci([None if r["symmetric"] is None else float(r["symmetric"]) for r in rows],
                                        [r["phase"] == "transitional" for r in rows])
    out["shortcuts_within"] = {
        "symmetry vs transitional, within symmetric label": auroc_within_ci(
            [r["symmetry"] for r in rows], [r["phase"] == "transitional" for r in rows], [r["symmetric"] for r in rows]),
        "transitional vs symmetric, within phase": auroc_within_ci(
            [r["transitional"] for r in rows], [r["symmetric"] for r in rows], [r["phase"] for r in rows]),
    }
    out["nuisance"] = {f: {"symmetric": auroc_ci([r[f] for r in rows], [r["symmetric"] for r in rows]),
                           "transitional": auroc_ci([r[f] for r in rows], [r["phase"] == "transitional" for r in rows])}
                       for f in NUISANCE}
    for ph in ("pre", "transitional", "end"):
        sub = [r for r in rows if r["phase"] == ph]
        out["by_phase"][ph] = {"n": len(sub), **{k: _mean(sub, k) for k in SCORES}}
    out["photo_gate"] = gate_summary([r.get("photo_gate") for r in rows])
    out["nan_rate"] = {k: _nan_rate(rows, k) for k in SCORES}
    out["mean"] = {k: _mean(rows, k) for k in SCORES}
    out["realism"] = {"real_mean": _mean(rows, "realism")}
    for name, rr in renders.items():
        out["realism"][f"{name}_mean"] = _mean(rr, "realism")
        vals = [r["realism"] for r in rows] + [r["realism"] for r in rr]
        out["realism"][f"auroc_real_vs_{name}"] = auroc_ci(vals, [True] * len(rows) + [False] * len(rr))
    return out


def check_real_targets(res: dict) -> list[str]:
    """Missed targets of the report half, one line each."""
    t = TARGETS_REAL
    half = res.get("report")
    if not half or not half["n_images"]:
        return []
    bad = []
    for scorer, need in t["auroc"].items():
        a = half["auroc"][scorer]["overall"]["auroc"]
        if a is None or a < need:
            bad.append(f"real (report half): AUROC {scorer} overall {a} < {need}")
    a = half["realism"]["auroc_real_vs_iconic"]["auroc"]
    if a is None or a < t["realism_vs_iconic"]:
        bad.append(f"real (report half): realism AUROC real vs procedural:iconic {a} < {t['realism_vs_iconic']}")
    for k in ("transitional", "realism"):
        v = half["nan_rate"][k]
        if v is None or v >= t["nan_rate"]:
            bad.append(f"real (report half): NaN rate of {k} {v} >= {t['nan_rate']}")
    return bad


def evaluate_real(recipe: Path, roots: list[Path], *, download: bool = False, cache: Path | None = None,
                  workers: int = 2, progress: bool = True, renders: dict | None = None) -> dict[str, Any]:
    """Build, score and analyse the real set; ``{"skipped": why}`` when none of it can be had."""
    from bench.realset import build, load_recipe, summary

    items = load_recipe(recipe)
    built = build(items, roots, download=download, cache=cache)
    have = [b for b in built if b.image is not None]
    missing = [f"{b.item.id}: {b.where}" for b in built if b.image is None]
    if not have:
        return {"skipped": f"{len(items)} images in {recipe}, none available: {missing[0] if missing else ''}",
                "n_recipe": len(items)}
    rows = _score_all([(b.item.id, b.image, b.item.family) for b in have], workers, progress, "validate real")
    by_id = {b.item.id: b.item for b in have}
    for r in rows:
        it = by_id[r["key"]]
        r.update(id=it.id, family=it.family, phase=it.phase, symmetric=it.symmetric, scene=it.scene, split=it.split)
    if renders is None:
        renders = render_rows(workers, progress)
    res: dict[str, Any] = {
        "recipe": str(recipe),
        "n_recipe": len(items),
        "n_built": len(have),
        "missing": missing[:20],
        "n_missing": len(missing),
        "counts": summary([b.item for b in have]),
        "targets": TARGETS_REAL,
        "renders": {k: {"n": len(v), "realism_mean": _mean(v, "realism")} for k, v in renders.items()},
    }
    for half in ("tune", "report"):
        res[half] = analyse_half([r for r in rows if r["split"] == half], renders)
    res["all"] = analyse_half(rows, renders)
    res["rows"] = [{k: r[k] for k in ("id", "family", "phase", "symmetric", "split", *SCORES, "transitional_note")} for r in rows]
    res["failures"] = check_real_targets(res)
    return res


def _fmt(st: dict | None) -> str:
    return fmt_auroc(st, with_n=True)


def real_markdown(res: dict) -> list[str]:
    """Markdown lines of the real-photograph section."""
    lines = ["## Real photographs", ""]
    if "skipped" in res:
        return lines + [f"Skipped: {res['skipped']}", ""]
    c = res["counts"]
    lines += [f"{res['n_built']} of {res['n_recipe']} recipe images built ({c['scenes']} events); "
              + "; ".join(f"{f}: {c[f]['n']} ({c[f]['pre']} pre, {c[f]['transitional']} transitional, {c[f]['end']} end; "
                          f"{c[f]['symmetric']} symmetric, {c[f]['irregular']} irregular)" for f in ("fracture", "impact", "fluid")),
              ""]
    tune_title = ("tune half (looked at while designing; the photo heads were fitted on it, "
                  "so its symmetry and transitional AUROCs are in-sample)")
    for half, title in (("report", "report half (only measured)"), ("tune", tune_title)):
        h = res[half]
        if not h["n_images"]:
            continue
        fams = [k for k in h["auroc"]["symmetry"] if k not in ("label", "overall")]
        lines += [f"### {title}: {h['n_images']} images, {h['n_scenes']} events", "",
                  "| scorer | label | overall | " + " | ".join(fams) + " |", "|---|---|---|" + "---|" * len(fams)]
        for scorer, d in h["auroc"].items():
            lines.append(f"| {scorer} | {d['label']} | {_fmt(d['overall'])} | " + " | ".join(_fmt(d.get(f)) for f in fams) + " |")
        t = h["auroc"]["transitional"]
        gate = gate_markdown(h.get("photo_gate"))
        lines += ["", f"transitional vs pre only: {_fmt(t['vs pre'])}; vs end only: {_fmt(t['vs end'])}.",
                  *([gate] if gate else []),
                  "Shortcuts: " + "; ".join(f"{k} {_fmt(v)}" for k, v in h["shortcuts"].items()) + ".",
                  "The labels themselves go together: the symmetric label, as a score, against the transitional label "
                  f"{_fmt(h['label_association'])}. Counted only between images of the same own label, the shortcuts are: "
                  + "; ".join(f"{k} {_fmt(v)}" for k, v in h["shortcuts_within"].items()) + ".", "",
                  "| phase | n | " + " | ".join(SCORES) + " |", "|---|---|" + "---|" * len(SCORES)]
        for ph, d in h["by_phase"].items():
            lines.append(f"| {ph} | {d['n']} | " + " | ".join("n/a" if d[k] is None else f"{d[k]:.3f}" for k in SCORES) + " |")
        lines.append("| NaN rate | | " + " | ".join("n/a" if h["nan_rate"][k] is None else f"{h['nan_rate'][k]:.3f}" for k in SCORES) + " |")
        rz = h["realism"]
        lines += ["", f"Realism index: real photographs {rz['real_mean']}, procedural:physical renders {rz['physical_mean']}, "
                  f"procedural:iconic renders {rz['iconic_mean']}; AUROC real vs iconic {_fmt(rz['auroc_real_vs_iconic'])}, "
                  f"real vs physical {_fmt(rz['auroc_real_vs_physical'])}.", ""]
    if res["n_missing"]:
        lines += [f"{res['n_missing']} recipe images could not be built (first: {res['missing'][0]}).", ""]
    return lines

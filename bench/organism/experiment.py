"""``realgap organism experiment``: evaluate the shipped base and tuned checkpoints.

Reads ``<organism>/experiment.json`` (which checkpoints, run size, which tuned
run is the main mean-reward run and which the distributional one) and:

1. runs ``realgap run`` (bench.runner) on every checkpoint, 12 scenes x
   ``--seeds`` seeds, ``--model organism:<folder>``;
2. scores every sample with the learned rewards (mean, per rater type,
   distributional soft-min) and the scene classifier (prompt fidelity), on the
   image reduced back to the native size (``cv2.INTER_AREA``);
3. runs ``realgap compare`` (bench.compare.compare_runs) base vs every tuned
   final checkpoint;
4. writes SVG plots (reward and realism against tuning updates -- the
   over-optimisation curve -- and against lambda, one series per sweep in
   the plan's ``lambda_sweep``; the reward / realism
   trade-off), ``experiment.json`` with every number, and a self-contained
   ``report.html`` with sample thumbnails of base and tuned models.
"""

from __future__ import annotations

import base64
import html
import json
import math
import time
from pathlib import Path

import numpy as np

from bench.stats import bootstrap_ci, paired_bootstrap_ci


def _load_plan(organism: Path) -> dict:
    p = organism / "experiment.json"
    if not p.is_file():
        raise FileNotFoundError(f"{p}: expected the experiment plan (which checkpoints to evaluate)")
    return json.loads(p.read_text())


def check_plan(plan: dict, organism: Path | None = None) -> list[str]:
    """Problems of an experiment plan: names that are not among its checkpoints, and (with ``organism``)
    checkpoint folders without an ``organism.json``.  Empty when the plan is consistent."""
    ckpts = plan.get("checkpoints") or {}
    probs = [] if "base" in ckpts else ["checkpoints: no 'base'"]
    refs = [("compare", n) for n in plan.get("compare", [])] + [("show", n) for n in plan.get("show", [])]
    refs += [(f"curves[{k!r}]", n) for k, names in (plan.get("curves") or {}).items() for n in names]
    refs += [(f"lambda_sweep[{k!r}]", n) for k, names in lambda_sweeps(plan).items() for n in names]
    refs += [(k, plan[k]) for k in ("main_mean", "dist") if plan.get(k)]
    probs += [f"{where}: {n!r} is not a checkpoint" for where, n in refs if n not in ckpts]
    if organism is not None:
        probs += [f"checkpoints[{n!r}]: {Path(organism) / rel / 'organism.json'} missing"
                  for n, rel in ckpts.items() if not (Path(organism) / rel / "organism.json").is_file()]
    return probs


def _organism_scores(run_dir: Path, rewards, clf, classes, native: int):
    """Per-image learned rewards and classifier prediction for a run folder (pandas DataFrame)."""
    import cv2
    import pandas as pd
    import torch

    from .data import to_tensor
    from .raters import TYPE_NAMES

    df = pd.read_csv(run_dir / "scores.csv", keep_default_na=False, na_values=[""])
    imgs = []
    for rel in df["image"]:
        im = cv2.cvtColor(cv2.imread(str(run_dir / rel), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        imgs.append(cv2.resize(im, (native, native), interpolation=cv2.INTER_AREA) if im.shape[0] != native else im)
    X = to_tensor(np.stack(imgs))
    with torch.no_grad():
        rm = rewards.mean(X).numpy()
        rc = rewards.cond(X).numpy()
        rd = rewards.dist(X).numpy()
        pred = clf(X).argmax(1).numpy()
    out = df[["scene_id", "family", "seed", "image", "status", "realism", "symmetry", "transitional", "plausibility",
              "aesthetic"]].copy()
    out["reward_mean"] = rm
    for k, t in enumerate(TYPE_NAMES):
        out[f"reward_{t}"] = rc[:, k]
    out["reward_dist"] = rd
    out["clf_pred"] = [classes[i] for i in pred]
    out["clf_correct"] = (out["clf_pred"] == out["scene_id"]).astype(float)
    out.to_csv(run_dir / "organism_scores.csv", index=False, float_format="%.6g")
    return out


def _ci(v) -> dict:
    return bootstrap_ci(np.asarray(v, float))


def _paired(b, t, col) -> dict:
    m = b.merge(t, on=["scene_id", "seed"], suffixes=("_b", "_t"))
    return paired_bootstrap_ci(m[f"{col}_b"].to_numpy(float), m[f"{col}_t"].to_numpy(float))


def _thumb(path: Path, px: int = 64) -> str:
    import cv2

    im = cv2.imread(str(path), cv2.IMREAD_COLOR)
    im = cv2.resize(im, (px, px), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", im)
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode()


def run_experiment(out, *, organism="organism", seeds: int = 8, size: int | None = None, progress: bool = True,
                   threads: int = 2, log=print) -> dict:
    import torch

    from bench.compare import compare_runs
    from bench.runner import RunConfig, run

    from .data import scenes_by_id
    from .reward import Rewards, load_net

    torch.set_num_threads(int(threads))
    t0 = time.time()
    organism, out = Path(organism), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plan = _load_plan(organism)
    probs = check_plan(plan, organism)
    if probs:
        raise ValueError(f"{organism / 'experiment.json'}: " + "; ".join(probs))
    size = int(size or plan.get("size", 128))
    rewards = Rewards(organism / plan.get("rewards", "reward"))
    clf = load_net(organism / plan.get("rewards", "reward") / "scene_clf.safetensors")
    ckpts = plan["checkpoints"]  # name -> folder relative to organism
    results: dict = {"plan": plan, "seeds": seeds, "size": size, "checkpoints": {}, "timing_s": {}}
    tables = {}
    for name, rel in ckpts.items():
        folder = organism / rel
        info = json.loads((folder / "organism.json").read_text())
        classes = info["classes"]
        scenes = scenes_by_id(sorted(classes))  # sorted by id, as the CLI selects them (leaderboard checks rely on it)
        t1 = time.time()
        log(f"organism experiment: realgap run --model organism:{folder} ({len(scenes)} scenes x {seeds} seeds, {size} px)")
        summary = run(RunConfig(model=f"organism:{folder}", out=out / name, scenes=scenes, seeds=seeds, size=size,
                                progress=progress))
        df = _organism_scores(out / name, rewards, clf, classes, int(info["native_size"]))
        tables[name] = df
        tune = info.get("tune", {})
        ok = df[df["status"] == "ok"]
        results["checkpoints"][name] = {
            "folder": str(folder),
            "stage": info.get("stage"),
            "reward_kind": tune.get("config", {}).get("reward"),
            "lam": tune.get("config", {}).get("lam"),
            "update": tune.get("update", 0),
            "n_images": int(len(df)),
            "realism_finite_fraction": float(np.isfinite(df["realism"].to_numpy(float)).mean()),
            "realism": summary["metrics"]["realism"],
            "aesthetic": summary["metrics"]["aesthetic"],
            "symmetry": summary["metrics"]["symmetry"],
            "transitional": summary["metrics"]["transitional"],
            "plausibility": summary["metrics"]["plausibility"],
            "reward_mean": _ci(ok["reward_mean"]),
            "reward_iconic": _ci(ok["reward_iconic"]),
            "reward_realist": _ci(ok["reward_realist"]),
            "reward_dist": _ci(ok["reward_dist"]),
            "fidelity_scene_accuracy": _ci(ok["clf_correct"]),
            "diversity": {k: summary["diversity"].get(k) for k in ("mean", "ci_low", "ci_high", "vendi_mean", "n")},
        }
        results["timing_s"][name] = round(time.time() - t1, 1)
    base = tables["base"]
    results["compare"] = {}
    for name in plan["compare"]:
        t1 = time.time()
        cmp_dir = out / f"compare-{name}"
        log(f"organism experiment: realgap compare base {name} --out {cmp_dir}")
        res = compare_runs(out / "base", out / name, cmp_dir)
        tuned = tables[name]
        results["compare"][name] = {
            "dir": str(cmp_dir),
            "metrics": {m: res["metrics"][m]["diff"] if "diff" in res["metrics"][m] else res["metrics"][m]
                        for m in ("realism", "aesthetic", "symmetry", "transitional", "plausibility")},
            "diversity": res.get("diversity"),
            "verdict": res.get("verdict"),
            "reward_mean_diff": _paired(base, tuned, "reward_mean"),
            "reward_iconic_diff": _paired(base, tuned, "reward_iconic"),
            "reward_realist_diff": _paired(base, tuned, "reward_realist"),
            "reward_dist_diff": _paired(base, tuned, "reward_dist"),
            "fidelity_diff": _paired(base, tuned, "clf_correct"),
        }
        results["timing_s"][f"compare-{name}"] = round(time.time() - t1, 1)
    results["plots"] = _plots(out, results, plan, organism)
    results["wall_s"] = round(time.time() - t0, 1)
    (out / "experiment.json").write_text(json.dumps(results, indent=2, default=float) + "\n")
    (out / "report.html").write_text(_report(out, results, plan))
    (out / "summary.md").write_text(markdown_summary(results))
    log(f"organism experiment: wrote {out / 'report.html'} in {results['wall_s']:.0f} s")
    return results


def lambda_sweeps(plan: dict) -> dict[str, list[str]]:
    """The plan's ``lambda_sweep`` as {series label: checkpoint names}.

    The plan gives either one list of checkpoint names (one series) or a dict
    of such lists by label (e.g. one sweep per update count)."""
    sw = plan.get("lambda_sweep") or {}
    if isinstance(sw, list):
        return {"mean-reward tuned": list(sw)} if sw else {}
    return {str(k): list(v) for k, v in sw.items()}


def _v(x) -> float:
    """A summary number for a plot: NaN (not drawn) where the score was undecided (None)."""
    return math.nan if x is None else float(x)


def _pt(ck, xkey, ykey, colour, title):
    from bench.svgplot import Point

    y = ck[ykey]
    return Point(x=xkey, y=_v(y["mean"]), colour=colour, title=title,
                 yerr=(y["ci_low"], y["ci_high"]) if y.get("ci_low") is not None else None)


def _undecided(pts, label: str) -> str:
    """Title suffix of a plot none of whose points could be decided."""
    return "" if any(math.isfinite(p.y) and math.isfinite(p.x) for p in pts) else f" -- {label} undecided for every checkpoint"


def _plots(out: Path, results: dict, plan: dict, organism: Path) -> dict:
    from bench.svgplot import Arrow, Point, scatter

    cks = results["checkpoints"]
    plots = {}
    # over-optimisation curve: the main mean-reward run's checkpoints against tuning updates
    for ykey, label in (("reward_mean", "learned mean reward"), ("realism", "realism (realgap)")):
        pts, legend = [], []
        for i, (series, names) in enumerate(plan["curves"].items()):
            col = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")[i % 4]
            legend.append((series, col))
            for n in names:
                pts.append(_pt(cks[n], float(cks[n]["update"]), ykey, col, f"{n}: update {cks[n]['update']}"))
        plots[f"{ykey}_vs_updates"] = scatter(pts, xlabel="tuning updates (DRaFT-K)", ylabel=label,
                                              title=f"{label} vs tuning updates (mean +-95% CI)" + _undecided(pts, ykey),
                                              legend=legend)
    # against lambda: one series per sweep (checkpoints at the same update count), each drawn slightly
    # shifted along x so that their intervals do not overlap
    sweeps = lambda_sweeps(plan)
    for ykey, label in (("reward_mean", "learned mean reward"), ("realism", "realism (realgap)")):
        pts = [_pt(cks["base"], -0.5, ykey, "#555", "base (untuned), drawn at x=-0.5")]
        legend = [("base", "#555")]
        for i, (series, names) in enumerate(sweeps.items()):
            col = ("#ff7f0e", "#d62728", "#1f77b4", "#9467bd")[i % 4]
            dx = 0.08 * (i - (len(sweeps) - 1) / 2)
            legend.append((series, col))
            for n in names:
                lam = float(cks[n]["lam"])
                pts.append(_pt(cks[n], lam + dx, ykey, col, f"{n}: lambda {lam:g}, update {cks[n]['update']}"))
        shift = "; series shifted by +-0.04 for legibility" if len(sweeps) > 1 else ""
        plots[f"{ykey}_vs_lambda"] = scatter(pts, xlabel=f"lambda (KL-surrogate strength); base at -0.5{shift}",
                                             ylabel=label,
                                             title=f"{label} vs regularisation strength" + _undecided(pts, ykey),
                                             legend=legend)
    # trade-off: reward vs realism, arrows from the base
    pts, arrows = [], []
    b = cks["base"]
    for i, (n, ck) in enumerate(cks.items()):
        col = "#555" if n == "base" else ("#2ca02c" if ck.get("reward_kind") == "dist" else "#d62728")
        pts.append(Point(x=_v(ck["realism"]["mean"]), y=_v(ck["reward_mean"]["mean"]), colour=col, title=n))
    for n in plan["compare"]:
        ends = [_v(v) for v in (b["realism"]["mean"], b["reward_mean"]["mean"], cks[n]["realism"]["mean"],
                                cks[n]["reward_mean"]["mean"])]
        if all(math.isfinite(v) for v in ends):
            arrows.append(Arrow(*ends, title=f"base -> {n}"))
    plots["tradeoff"] = scatter(pts, xlabel="realism (realgap)", ylabel="learned mean reward", arrows=arrows,
                                title="reward vs realism, every checkpoint" + _undecided(pts, "realism"),
                                legend=[("base", "#555"), ("mean reward", "#d62728"), ("distributional", "#2ca02c")])
    # per-update training reward from the tune logs
    pts, legend = [], []
    for i, n in enumerate(plan.get("show", plan["compare"])):
        logp = organism / plan["checkpoints"][n] / "tune_log.json"
        if not logp.is_file():
            continue
        col = ("#d62728", "#ff7f0e", "#8c564b", "#2ca02c", "#9467bd")[i % 5]
        legend.append((n, col))
        for row in json.loads(logp.read_text()):
            pts.append(Point(x=row["update"], y=row["reward"], colour=col, radius=2, title=f"{n} update {row['update']}"))
    if pts:
        plots["train_reward"] = scatter(pts, xlabel="update", ylabel="batch reward (own objective)",
                                        title="tuning objective's reward per update (training batches)", legend=legend)
    for k, svg in plots.items():
        (out / f"{k}.svg").write_text(svg)
    return sorted(plots)


def _fmt(ci: dict | None, nd: int = 3, signed: bool = False) -> str:
    if not ci or ci.get("mean") is None:
        return "n/a"
    lo, hi = ci.get("ci_low"), ci.get("ci_high")
    s = f"{ci['mean']:+.{nd}f}" if signed else f"{ci['mean']:.{nd}f}"
    if lo is not None and hi is not None:
        s += f" [{lo:.{nd}f}, {hi:.{nd}f}]"
    return s


def _excl(ci: dict) -> str:
    lo, hi = ci.get("ci_low"), ci.get("ci_high")
    if lo is None or hi is None:
        return ""
    return " *" if (lo > 0 or hi < 0) else ""


def _report(out: Path, results: dict, plan: dict) -> str:
    e = html.escape
    cks = results["checkpoints"]
    rows = []
    for n, ck in cks.items():
        rows.append("<tr><td>" + e(n) + "</td><td>" + e(str(ck.get("reward_kind") or "-")) + "</td><td>"
                    + e("-" if ck.get("lam") is None else f"{ck['lam']:g}") + f"</td><td>{ck['update']}</td>"
                    + "".join(f"<td>{e(_fmt(ck[k]))}</td>" for k in ("reward_mean", "reward_iconic", "reward_realist",
                                                                      "reward_dist", "realism", "aesthetic",
                                                                      "fidelity_scene_accuracy"))
                    + f"<td>{e(_fmt(ck['diversity']))}</td><td>{ck['realism_finite_fraction']:.2f}</td></tr>")
    ctab = []
    for n, c in results["compare"].items():
        cells = []
        for key in ("reward_mean_diff", "reward_iconic_diff", "reward_realist_diff", "reward_dist_diff"):
            cells.append(_fmt(c[key], signed=True) + _excl(c[key]))
        for m in ("realism", "aesthetic", "symmetry", "transitional", "plausibility"):
            cells.append(_fmt(c["metrics"][m], signed=True) + _excl(c["metrics"][m]))
        cells.append(_fmt(c["fidelity_diff"], signed=True) + _excl(c["fidelity_diff"]))
        dd = (c.get("diversity") or {}).get("diff") or {}
        cells.append(_fmt(dd, signed=True) + _excl(dd))
        ctab.append(f"<tr><td>{e(n)}</td>" + "".join(f"<td>{e(x)}</td>" for x in cells)
                    + f"<td><a href=\"compare-{e(n)}/report.html\">report</a></td></tr>")
    # thumbnails: base and the compared models, 4 seeds per scene
    shown = ["base"] + list(plan.get("show", plan["compare"]))
    thumbs = []
    base_dir = out / "base"
    import pandas as pd

    sc = pd.read_csv(base_dir / "scores.csv", keep_default_na=False, na_values=[""])
    for sid in sorted(sc["scene_id"].unique()):
        cells = []
        for n in shown:
            imgs = "".join(f'<img src="{_thumb(out / n / "images" / sid / f"{s}.png")}" title="{e(n)} {e(sid)} seed {s}">'
                           for s in range(min(4, results["seeds"])))
            cells.append(f"<td>{imgs}</td>")
        thumbs.append(f"<tr><th>{e(sid)}</th>{''.join(cells)}</tr>")
    svgs = "".join(f"<figure>{(out / f'{k}.svg').read_text()}</figure>" for k in results["plots"])
    head = "".join(f"<th>{e(h)}</th>" for h in ("checkpoint", "reward", "lambda", "update", "mean reward",
                                                  "iconic-type reward", "realist-type reward", "dist reward",
                                                  "realism", "aesthetic", "fidelity (scene acc.)", "diversity",
                                                  "realism finite"))
    chead = "".join(f"<th>{e(h)}</th>" for h in ("tuned vs base", "d mean reward", "d iconic reward", "d realist reward",
                                                   "d dist reward", "d realism", "d aesthetic", "d symmetry",
                                                   "d transitional", "d plausibility", "d fidelity", "d diversity (scenes)",
                                                   "compare"))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>realgap organism experiment</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:1400px}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:3px 5px;text-align:left}}img{{width:64px;height:64px;margin:1px;image-rendering:auto}}
figure{{display:inline-block;margin:0.5em}}</style></head><body>
<h1>realgap model organism: base vs preference-tuned</h1>
<p>{len(results['checkpoints'])} checkpoints, {results['seeds']} seeds x 12 scenes each at {results['size']} px
(native {e(str(plan.get('native_size', 32)))} px, upsampled with cv2.INTER_CUBIC). Intervals are 95% bootstrap CIs;
differences are paired by (scene, seed); * marks a CI that excludes 0. Experiment wall time {results.get('wall_s', 0):.0f} s.</p>
<h2>Checkpoints</h2><table><tr>{head}</tr>{''.join(rows)}</table>
<h2>Tuned minus base (paired)</h2><table><tr>{chead}</tr>{''.join(ctab)}</table>
<h2>Plots</h2>{svgs}
<h2>Samples (seeds 0-3 per scene)</h2><table><tr><th>scene</th>{''.join(f'<th>{e(n)}</th>' for n in shown)}</tr>{''.join(thumbs)}</table>
<p>Numbers: experiment.json; per image: &lt;run&gt;/organism_scores.csv and scores.csv.</p></body></html>
"""


def _md(ci: dict | None, signed: bool = False) -> str:
    return _fmt(ci, signed=signed) + (_excl(ci) if signed and ci else "")


def markdown_summary(results: dict) -> str:
    """The experiment's numbers as Markdown tables (for docs and reports)."""
    lines = ["| checkpoint | reward | lambda | updates | mean reward | iconic-type reward | realist-type reward | "
             "dist reward | realism | aesthetic (proxy) | fidelity | diversity |", "|" + "---|" * 12]
    for n, ck in results["checkpoints"].items():
        lam = "-" if ck.get("lam") is None else f"{ck['lam']:g}"
        lines.append(f"| {n} | {ck.get('reward_kind') or '-'} | {lam} | {ck['update']} | " + " | ".join(
            _md(ck[k]) for k in ("reward_mean", "reward_iconic", "reward_realist", "reward_dist", "realism",
                                 "aesthetic", "fidelity_scene_accuracy", "diversity")) + " |")
    lines += ["", "| tuned - base (paired) | mean reward | iconic-type | realist-type | dist reward | realism | "
              "aesthetic | symmetry | transitional | plausibility | fidelity | diversity (scenes) |", "|" + "---|" * 12]
    for n, c in results["compare"].items():
        cells = [_md(c[k], True) for k in ("reward_mean_diff", "reward_iconic_diff", "reward_realist_diff",
                                            "reward_dist_diff")]
        cells += [_md(c["metrics"][m], True) for m in ("realism", "aesthetic", "symmetry", "transitional",
                                                        "plausibility")]
        cells += [_md(c["fidelity_diff"], True), _md((c.get("diversity") or {}).get("diff"), True)]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += ["", "Mean [95% bootstrap CI]; * = the CI of a difference excludes 0. "
              f"{results['seeds']} seeds x 12 scenes at {results['size']} px; wall time {results.get('wall_s', 0):.0f} s.", ""]
    return "\n".join(lines)

"""Audit views for every run report, after the reward-model audit checklist:

* coverage ledger: images per family x phase x scene, and which scorer
  returned NaN where (a scorer that silently gives up on one scene biases the
  means);
* disagreement view: the images on which the aesthetic score and the realism
  index disagree most, side by side (what the preference signal rewards that
  physics does not, and the reverse);
* uncertainty meter: CI widths, and how many seeds per scene a comparison
  needs to detect a given difference.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from bench.stats import seeds_needed

MAIN = ("symmetry", "transitional", "plausibility", "aesthetic", "realism")
N_DISAGREE = 6


def coverage_ledger(df, phases: dict[str, str]) -> str:
    """Table: one row per scene with family, phase, images, scored, and NaN counts per scorer."""
    head = "".join(f"<th>NaN {m}</th>" for m in MAIN)
    rows = []
    for sid, sub in df.groupby("scene_id", sort=True):
        ok = sub[sub["status"] == "ok"]
        nan = [int(ok[m].isna().sum()) for m in MAIN]
        cells = "".join(f"<td{' class=bad' if v else ''}>{v}</td>" for v in nan)
        rows.append(
            f"<tr><td class='l'>{escape(str(sid))}</td><td class='l'>{escape(str(sub['family'].iloc[0]))}</td>"
            f"<td class='l'>{escape(phases.get(str(sid), '?'))}</td><td>{len(sub)}</td><td>{len(ok)}</td>{cells}</tr>"
        )
    return (
        "<table><tr><th class='l'>scene</th><th class='l'>family</th><th class='l'>phase</th><th>images</th>"
        f"<th>scored</th>{head}</tr>{''.join(rows)}</table>"
    )


def disagreements(df, n: int = N_DISAGREE):
    """The ``n`` scored images with the largest (aesthetic rank - realism rank) and the
    ``n`` with the largest (realism rank - aesthetic rank); ranks are percentiles."""
    ok = df[(df["status"] == "ok") & df["aesthetic"].notna() & df["realism"].notna()].copy()
    if len(ok) < 2:
        return ok.iloc[:0], ok.iloc[:0]
    ok["_gap"] = ok["aesthetic"].rank(pct=True) - ok["realism"].rank(pct=True)
    ok = ok.sort_values(["_gap", "scene_id", "seed"], kind="mergesort")
    return ok.iloc[::-1].head(n), ok.head(n)


def disagreement_view(out: Path, df, thumb) -> str:
    pretty, real = disagreements(df)
    if not len(pretty):
        return "<p class='muted'>Too few scored images.</p>"

    def strip(rows, caption):
        figs = []
        for r in rows.itertuples():
            uri = thumb(out / str(r.image))
            img = f"<img src='{uri}' alt='{escape(str(r.image))}'>" if uri else ""
            figs.append(
                f"<figure>{img}<figcaption>{escape(str(r.scene_id))} seed {r.seed}<br>aesthetic {r.aesthetic:.3f} "
                f"&middot; realism {r.realism:.3f}</figcaption></figure>"
            )
        return f"<p><b>{caption}</b></p><div class='grid'>{''.join(figs)}</div>"

    return strip(pretty, "Preferred but unrealistic (aesthetic rank far above realism rank)") + strip(
        real, "Realistic but not preferred (realism rank far above aesthetic rank)"
    )


def uncertainty_meter(df, summary: dict, delta: float = 0.05) -> str:
    """CI widths and the seeds per scene a two-run comparison needs to detect ``delta``.

    Uses this run's per-image SD; a paired comparison (same scenes and seeds)
    usually needs fewer, and ``realgap compare`` reports the paired figure."""
    ok = df[df["status"] == "ok"]
    n_scenes = max(1, ok["scene_id"].nunique())
    rows = []
    for m in MAIN:
        st = summary["metrics"].get(m) or {}
        vals = ok[m].dropna()
        sd = float(vals.std(ddof=1)) if len(vals) > 1 else math.nan
        width = (st["ci_high"] - st["ci_low"]) if st.get("ci_low") is not None else math.nan
        per_side = seeds_needed(sd * math.sqrt(2), delta) if math.isfinite(sd) else None
        seeds = math.ceil(per_side / n_scenes) if per_side else None
        rows.append(
            f"<tr><td class='l'>{escape(m)}</td><td>{'' if not math.isfinite(width) else f'{width:.3f}'}</td>"
            f"<td>{'' if not math.isfinite(sd) else f'{sd:.3f}'}</td><td>{per_side or 'n/a'}</td><td>{seeds or 'n/a'}</td></tr>"
        )
    return (
        f"<table><tr><th class='l'>metric</th><th>95% CI width</th><th>SD per image</th>"
        f"<th>images per run to detect &plusmn;{delta}</th><th>seeds per scene ({n_scenes} scenes)</th></tr>"
        + "".join(rows)
        + "</table><p class='muted'>80% power, 5% level, unpaired; paired comparisons of the same scenes and seeds "
        "need fewer (realgap compare reports them).</p>"
    )


def audit_sections(out: Path, df, summary: dict, phases: dict[str, str], thumb) -> list[str]:
    return [
        "<h2>Audit: coverage ledger</h2>",
        coverage_ledger(df, phases),
        "<h2>Audit: where preference and realism disagree</h2>",
        disagreement_view(out, df, thumb),
        "<h2>Audit: uncertainty meter</h2>",
        uncertainty_meter(df, summary),
    ]

"""``realgap validate``: every labelled source, the real photographs, one report.

Runs :func:`bench.validate.evaluate_source` for each requested source that can
be built here (a source module that is missing or fails to import is skipped,
and the report says why), then the real-photograph recipe when its images can
be had (:mod:`bench.validate_real`), and writes ``validate.json`` and
``validate.md``.  The result fails when any target of any source is missed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.imageio import atomic_write_text, dumps_json
from bench.validate import analyse, evaluate_source, source_markdown

ROLE_TITLE = {"own": "own renderer", "design": "design source", "held-out": "HELD-OUT source"}


def available_sources(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """(sources that import, {source: why skipped})."""
    from bench.sources import SOURCES, get_source

    ok, skipped = [], {}
    for name in names:
        if name not in SOURCES:
            skipped[name] = f"unknown source (known: {', '.join(SOURCES)})"
            continue
        try:
            get_source(name)
        except Exception as exc:  # a source that cannot load is reported, not fatal
            skipped[name] = f"cannot be loaded here: {type(exc).__name__}: {exc}"
            continue
        ok.append(name)
    return ok, skipped


def run_validation(n: int = 480, out: Path | None = None, workers: int = 2, checks: int = 96, progress: bool = True,
                   sources: list[str] | None = None, real: Path | None = None, real_roots: list[Path] | None = None,
                   download: bool = False, cache: Path | None = None) -> dict[str, Any]:
    """Validate the scorers on each source (default: all) and, when given, the real recipe."""
    from bench.sources import SOURCES

    t0 = time.perf_counter()
    names, skipped = available_sources(list(sources or SOURCES))
    res: dict[str, Any] = {"sources": {}, "skipped": skipped, "failures": []}
    for name in names:
        t1 = time.perf_counter()
        rows = evaluate_source(name, n, workers, checks, progress)
        r = analyse(rows, SOURCES[name].role)
        r["seconds"] = round(time.perf_counter() - t1, 1)
        res["sources"][name] = r
        res["failures"] += [f"{name}: {f}" for f in r["failures"]]
    if real is not None:
        from bench.realset import RecipeError
        from bench.validate_real import evaluate_real

        if not Path(real).is_file():
            res["real"] = {"skipped": f"no recipe at {real} (validate/real/recipe.csv is in a clone of realgap)"}
        else:
            try:
                res["real"] = evaluate_real(Path(real), list(real_roots or []), download=download, cache=cache,
                                            workers=workers, progress=progress)
            except RecipeError as exc:
                res["real"] = {"skipped": str(exc)}
        res["failures"] += res["real"].get("failures", [])
    res["seconds"] = round(time.perf_counter() - t0, 1)
    if out is not None:
        out = Path(out)
        atomic_write_text(out / "validate.json", dumps_json(res))
        atomic_write_text(out / "validate.md", render_markdown(res))
    return res


def summary_markdown(res: dict) -> list[str]:
    """One table: each scorer's overall AUROC (95% CI) on every source and on the real report half."""
    from bench.sources import SOURCES
    from bench.validate import fmt_auroc as _fmt

    cols = [(f"`{name}` ({ROLE_TITLE.get(SOURCES[name].role, '')})" if name in SOURCES else name, r["auroc"])
            for name, r in res["sources"].items()]
    real = res.get("real", {})
    if "report" in real and real["report"]["n_images"]:
        cols.append(("real photographs, report half", real["report"]["auroc"]))
    if not cols:
        return []
    lines = ["## Summary: AUROC of each scorer against its own label (95% bootstrap CI)", "",
             "| scorer | " + " | ".join(c for c, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    for scorer in dict.fromkeys(k for _, a in cols for k in a):
        lines.append(f"| {scorer} | " + " | ".join(_fmt(a[scorer]["overall"]) if scorer in a else "n/a (no negatives)"
                                                    for _, a in cols) + " |")
    if "report" in real and real["report"]["n_images"]:
        rz, nan = real["report"]["realism"], real["report"]["nan_rate"]
        lines += ["", f"Realism index on the real report half: mean {rz['real_mean']} (procedural:physical renders "
                  f"{rz['physical_mean']}, procedural:iconic {rz['iconic_mean']}); AUROC real vs iconic "
                  f"{_fmt(rz['auroc_real_vs_iconic'])}; NaN rate of the realism index {nan.get('realism')}, "
                  f"of transitional {nan.get('transitional')}."]
    return lines + [""]


def render_markdown(res: dict) -> str:
    """The readable report (Markdown; the scorer cards quote it)."""
    from bench.sources import SOURCES

    n = sum(r["n_images"] for r in res["sources"].values())
    lines = [f"# realgap validate: {n} labelled rendered images from {len(res['sources'])} source(s)", ""]
    for name, why in res["skipped"].items():
        lines.append(f"- skipped source `{name}`: {why}")
    if "skipped" in res.get("real", {}):
        lines.append(f"- skipped the real photographs: {res['real']['skipped']}")
    if res["skipped"] or "skipped" in res.get("real", {}):
        lines.append("")
    lines += summary_markdown(res)
    for name, r in res["sources"].items():
        role = SOURCES[name].role if name in SOURCES else r.get("role", "")
        lines += source_markdown(r, f"Source `{name}` ({ROLE_TITLE.get(role, role)}, {r.get('seconds', '?')} s)")
    if "real" in res:
        from bench.validate_real import real_markdown

        lines += real_markdown(res["real"])
    lines += ["## Targets", ""]
    lines += [f"- MISSED: {f}" for f in res["failures"]] or ["- all targets met"]
    return "\n".join(lines) + "\n"

"""Leaderboard submissions: check a run folder and write ``leaderboard/submissions/<slug>.json``.

``realgap submit RUN_DIR --name NAME`` re-derives every number it stores from
the run's own files: the per-metric and per-family means and CIs are recomputed
from ``scores.csv`` with :func:`bench.stats.summarize_scores` (deterministic
bootstrap) and must equal ``summary.json`` to 1e-6; the scene set must be the
bundled one (or the entry is marked as a custom track); every scene must have
every seed.  A submission keeps a compact copy of the per-image scores (and
the sha256 of ``scores.csv``) so that anyone, including ``realgap leaderboard
build``, can recompute its numbers again.

A rejected submission prints one line ``realgap submit: <file>: <field>:
<what was expected>`` and writes nothing.  The site is built by
:mod:`bench.site` from the JSON files only.

Modules: :mod:`bench.submission` (the document, shared with the site),
:mod:`bench.run_check` (the run folder's checks) and this one (making and
writing the document, and the ``submit`` command).  Names tests and users
import from here (``METRICS``, ``slugify``, ``SubmissionError``,
``check_run``, ...) stay importable.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Iterable

from bench.run_check import (  # re-exported: see __all__
    MAX_BASE_MODEL,
    MAX_LINKS,
    MAX_MODEL,
    MAX_NAME,
    MAX_NOTES,
    SETTINGS_KEYS,
    Run,
    check_links,
    check_run,
    check_text,
    flatten_versions,
    read_run,
)
from bench.submission import (  # re-exported: see __all__
    MAX_LINK,
    METRICS,
    SCORE_COLUMNS,
    TOL,
    TOL_COMPACT,
    SubmissionError,
    _norm_name,
    _short,
    bundled_scene_set,
    check_diversity,
    default_leaderboard_dir,
    compare_summaries,
    is_http_url,
    read_json_strict,
    repo_leaderboard_dir,
    slugify,
)

TUNINGS = ("none", "sft", "rlhf-ppo", "ddpo", "dpo", "kto", "reward-finetuning", "distillation", "other", "unspecified")
N_SAMPLES, THUMB_PX = 12, 128


def compact_rows(df) -> list[list]:
    """The per-image table in the submission: scene, seed, status and the five scores (8 decimals, null for NaN)."""
    rows = []
    for row in df.sort_values(["scene_id", "seed"], kind="stable").itertuples(index=False):
        vals = [None if math.isnan(float(getattr(row, m))) else round(float(getattr(row, m)), 8) for m in METRICS]
        rows.append([row.scene_id, int(row.seed), row.status, *vals])
    return rows


def make_samples(r: Run, ids: list[str]) -> list[dict]:
    """Downsized JPEG copies of one image (the lowest ok seed) for up to N_SAMPLES scenes."""
    from PIL import Image

    ok = r.scores[r.scores["status"] == "ok"].sort_values(["scene_id", "seed"], kind="stable")
    first = ok.drop_duplicates("scene_id")
    chosen = sorted(first["scene_id"])
    if len(chosen) > N_SAMPLES:
        step = len(chosen) / N_SAMPLES
        chosen = [chosen[int(i * step)] for i in range(N_SAMPLES)]
    samples = []
    for row in first[first["scene_id"].isin(chosen)].itertuples(index=False):
        path = r.folder / row.image
        try:
            with Image.open(path) as im:
                im.draft("RGB", (THUMB_PX, THUMB_PX))
                im = im.convert("RGB")
                im.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                im.save(buf, "JPEG", quality=80, optimize=True)
        except Exception as exc:
            raise SubmissionError(path, "(image)", f"expected a readable image (scores.csv says ok); {str(exc)[:120]}") from None
        samples.append({"scene_id": row.scene_id, "seed": int(row.seed), "jpeg_base64": base64.b64encode(buf.getvalue()).decode("ascii")})
    return samples


def _existing(sub: Path) -> tuple[set[str], dict[str, str]]:
    slugs, names = set(), {}
    for path in sorted(sub.glob("*.json")) if sub.is_dir() else []:
        slugs.add(path.stem)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("name"), str):
            names[_norm_name(doc["name"])] = path.stem
            if isinstance(doc.get("slug"), str):
                slugs.add(doc["slug"])
    return slugs, names


def make_submission(
    run_dir: Path,
    name: str,
    *,
    leaderboard: Path,
    base_of: str | None = None,
    tuning: str | None = None,
    base_model: str | None = None,
    links: Iterable[str] = (),
    notes: str | None = None,
    custom_track: bool = False,
    reference: bool = False,
    today: str | None = None,
) -> dict:
    """Check a run folder and the submission fields; return the document (writes nothing)."""
    run_dir = Path(run_dir)
    name = check_text(name, run_dir, "--name", MAX_NAME, required=True) or ""
    slug = slugify(name)
    if not slug:
        raise SubmissionError(run_dir, "--name", f"expected at least one ASCII letter or digit (for the file name); got {_short(name)}")
    base_model = check_text(base_model, run_dir, "--base-model", MAX_BASE_MODEL)
    notes = check_text(notes, run_dir, "--notes", MAX_NOTES) or ""
    links = check_links(links, run_dir)
    if tuning is not None and tuning not in TUNINGS:
        raise SubmissionError(run_dir, "--tuning", f"expected one of {', '.join(TUNINGS)}; got {_short(tuning)}")
    sub = Path(leaderboard) / "submissions"
    slugs, names = _existing(sub)
    base_slug = None
    if base_of is not None:
        base_slug = names.get(_norm_name(base_of)) or (slugify(base_of) if slugify(base_of) in slugs else None)
        if base_slug is None:
            raise SubmissionError(sub, "--base-of", f"expected the name or slug of an entry already in the leaderboard; no entry {_short(base_of)}")
    if _norm_name(name) in names:
        raise SubmissionError(sub, "--name", f"expected a new name; {names[_norm_name(name)]}.json already has {_short(name)}")
    if slug in slugs:
        raise SubmissionError(sub, "--name", f"expected a name whose file name is free; {slug}.json exists")
    r = read_run(run_dir)
    facts = check_run(r, custom_track=custom_track)
    diversity = check_diversity(r.summary.get("diversity"), facts["scene_set"]["ids"], run_dir / "summary.json")
    scorers = r.summary.get("scorers") or {}
    doc = {
        "schema_version": 1,
        "name": name,
        "slug": slug,
        "reference": bool(reference),
        "track": facts["track"],
        "model": r.run["model"],
        "base_model": base_model,
        "base_submission": base_slug,
        "tuning": tuning or ("unspecified" if base_slug else "none"),
        "links": links,
        "notes": notes,
        "submitted_at": today or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "realgap_version": r.run["realgap_version"],
        "settings": facts["settings"],
        "scene_set": facts["scene_set"],
        "n_images": int(len(r.scores)),
        "n_ok": int(r.summary["n_ok"]),
        "status_counts": dict(sorted(r.summary["status_counts"].items())),
        "aesthetic_source": r.summary.get("aesthetic_source"),
        "metrics": {m: r.summary["metrics"][m] for m in METRICS},
        "families": {f: {**{m: v[m] for m in METRICS}, "n_images": v["n_images"]} for f, v in sorted(r.summary["families"].items())},
        "diversity": diversity,
        "scorers": {k: {kk: vv for kk, vv in v.items() if kk in ("version", "higher_is_better")} for k, v in scorers.items() if isinstance(v, dict)},
        "versions": flatten_versions(r.summary.get("versions"), run_dir / "summary.json"),
        "scores": {"sha256": r.csv_sha256, "columns": list(SCORE_COLUMNS), "rows": compact_rows(r.scores)},
        "samples": make_samples(r, facts["scene_set"]["ids"]),
    }
    from bench.submission import check_document

    problems = check_document(doc, run_dir, slugs | {slug}, leaderboard=leaderboard)
    if problems:
        where, field, expected = problems[0].split(": ", 2)
        raise SubmissionError(where, field, expected)
    return doc


def write_submission(doc: dict, leaderboard: Path) -> Path:
    """Write ``submissions/<slug>.json`` atomically; never replaces an existing file."""
    sub = Path(leaderboard) / "submissions"
    sub.mkdir(parents=True, exist_ok=True)
    final = sub / f"{doc['slug']}.json"
    fd, tmp = tempfile.mkstemp(prefix=f".{doc['slug']}.", suffix=".tmp", dir=sub)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; submissions are published
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, ensure_ascii=False, allow_nan=False)
            fh.write("\n")
        try:
            os.link(tmp, final)  # fails if a concurrent submit took the name
        except FileExistsError:
            raise SubmissionError(sub, "--name", f"expected a name whose file name is free; {final.name} exists") from None
        except OSError:
            if final.exists():
                raise SubmissionError(sub, "--name", f"expected a name whose file name is free; {final.name} exists") from None
            os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final


# ---------------------------------------------------------------- command line


def add_submit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a folder written by `realgap run`")
    p.add_argument("--name", required=True, help=f"display name of the checkpoint (at most {MAX_NAME} characters; the file name is derived from it)")
    p.add_argument("--base-of", metavar="OTHER", default=None, help="name or slug of the entry already in the leaderboard that this checkpoint was tuned from (the plot draws an arrow OTHER -> this)")
    p.add_argument("--tuning", choices=TUNINGS, default=None, help="how it was tuned from its base (default: none; 'unspecified' with --base-of)")
    p.add_argument("--base-model", default=None, help=f"the pretrained model it starts from, e.g. a hub id (at most {MAX_BASE_MODEL} characters)")
    p.add_argument("--link", action="append", default=[], metavar="URL", help=f"an http(s) link (paper, model card, code); repeat up to {MAX_LINKS} times")
    p.add_argument("--notes", default=None, help=f"free text shown on the entry's page (at most {MAX_NOTES} characters)")
    p.add_argument("--custom-track", action="store_true", help="accept a run on a scene set other than the bundled one (listed apart from the main table)")
    p.add_argument("--reference", action="store_true", help="mark as a reference entry shipped with realgap (maintainers)")
    p.add_argument("--leaderboard", type=Path, default=None, metavar="DIR",
                   help="leaderboard folder holding submissions/, i.e. the leaderboard/ folder of a realgap clone "
                   "(default: ./leaderboard in the working directory)")


def submit_main(args) -> int:
    try:
        args.leaderboard = args.leaderboard if args.leaderboard is not None else default_leaderboard_dir()
        doc = make_submission(
            args.run_dir,
            args.name,
            leaderboard=args.leaderboard,
            base_of=args.base_of,
            tuning=args.tuning,
            base_model=args.base_model,
            links=args.link,
            notes=args.notes,
            custom_track=args.custom_track,
            reference=getattr(args, "reference", False),
        )
        path = write_submission(doc, args.leaderboard)
    except SubmissionError as exc:
        print(f"realgap submit: {exc}")
        return 2
    except OSError as exc:
        print(f"realgap submit: {exc.filename or args.leaderboard or '--leaderboard'}: (file): expected a file it can read or write; {exc.strerror or exc}")
        return 2
    m = doc["metrics"]
    print(f"realgap submit: wrote {path} (realism {m['realism']['mean']}, aesthetic {m['aesthetic']['mean']}, {doc['n_ok']}/{doc['n_images']} images ok)")
    return 0


def add_build_arguments(p: argparse.ArgumentParser) -> None:
    from bench.site import add_build_arguments as _add

    _add(p)


def build_main(args) -> int:
    from bench.site import build_main as _main

    return _main(args)


__all__ = [
    "MAX_BASE_MODEL", "MAX_LINK", "MAX_LINKS", "MAX_MODEL", "MAX_NAME", "MAX_NOTES", "METRICS", "N_SAMPLES", "Run",
    "SCORE_COLUMNS", "SETTINGS_KEYS", "SubmissionError", "THUMB_PX", "TOL", "TOL_COMPACT", "TUNINGS", "add_build_arguments",
    "add_submit_arguments", "build_main", "bundled_scene_set", "check_diversity", "check_links", "check_run", "check_text",
    "compact_rows", "compare_summaries", "default_leaderboard_dir", "flatten_versions", "is_http_url", "make_samples", "make_submission", "read_json_strict",
    "read_run", "repo_leaderboard_dir", "slugify", "submit_main", "write_submission",
]

"""Check a run folder against the run folder contract before it becomes a leaderboard entry.

:func:`read_run` reads ``run.json``, ``summary.json`` and ``scores.csv``;
:func:`check_run` checks them: the model and settings agree, the scene set is
the bundled one or the stress track (or the entry is marked as a custom track), every scene has
every seed, scores are in [0, 1] and realism follows from its parts, and every
mean and CI of ``summary.json`` equals the one recomputed from ``scores.csv``
(:func:`bench.stats.summarize_scores`, deterministic bootstrap) to 1e-6.  The
free-text fields of a submission are checked here too.  Every problem raises a
one-line :class:`bench.submission.SubmissionError`.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from bench import submission as S
from bench.spec import STRESS, scene_family, scene_track
from bench.submission import (
    MAX_LINK,
    METRICS,
    TOL,
    SubmissionError,
    _short,
    compare_summaries,
    is_http_url,
    read_json_strict,
)

SETTINGS_KEYS = ("seeds", "size", "steps", "guidance", "batch_size", "lora", "dtype")
MAX_NAME, MAX_BASE_MODEL, MAX_NOTES, MAX_MODEL = 80, 200, 2000, 300
MAX_LINKS = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# ---------------------------------------------------------------- text fields


def check_text(value: Any, where: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    """A single-line free-text field: string, no control characters, at most ``limit`` characters."""
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        return None
    if not isinstance(value, str):
        raise SubmissionError(where, field, f"expected a string; got {type(value).__name__}")
    if required and not value.strip():
        raise SubmissionError(where, field, "expected a non-empty string")
    if len(value) > limit:
        raise SubmissionError(where, field, f"expected at most {limit} characters; got {len(value)}")
    bad = _CONTROL.search(value.replace("\n", "").replace("\t", "") if field == "--notes" else value)
    if bad:
        raise SubmissionError(where, field, f"expected printable text; found control character {bad.group()!r}")
    return value.strip()


def check_links(links: Iterable[str], where: Any) -> list[str]:
    links = list(links or [])
    if len(links) > MAX_LINKS:
        raise SubmissionError(where, "--link", f"expected at most {MAX_LINKS} links; got {len(links)}")
    for url in links:
        if not isinstance(url, str) or len(url) > MAX_LINK:
            raise SubmissionError(where, "--link", f"expected a URL of at most {MAX_LINK} characters")
        if not is_http_url(url):
            raise SubmissionError(where, "--link", f"expected an http:// or https:// URL with a host; got {_short(url)}")
    return links


# ---------------------------------------------------------------- the run folder


@dataclass
class Run:
    folder: Path
    run: dict
    summary: dict
    scores: Any  # pandas.DataFrame
    csv_sha256: str


def read_run(run_dir: Path) -> Run:
    """Read run.json, summary.json and scores.csv of a run folder (no checks beyond parsing)."""
    import pandas as pd

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SubmissionError(run_dir, "RUN_DIR", "expected a run folder written by `realgap run`; not a folder")
    run = read_json_strict(run_dir / "run.json")
    summary = read_json_strict(run_dir / "summary.json")
    for path, doc in ((run_dir / "run.json", run), (run_dir / "summary.json", summary)):
        if not isinstance(doc, dict):
            raise SubmissionError(path, "(top level)", f"expected a JSON object; got {type(doc).__name__}")
    csv = run_dir / "scores.csv"
    if not csv.is_file():
        raise SubmissionError(csv, "(file)", "expected the per-image scores written by `realgap run`; not found")
    raw = csv.read_bytes()
    try:
        df = pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=[""],  # as the runner reads it
                         dtype={"scene_id": str, "family": str, "status": str, "image": str, "model": str, "aesthetic_source": str})
    except Exception as exc:  # pandas raises many types for a broken CSV
        raise SubmissionError(csv, "(file)", f"expected a CSV table; {str(exc).splitlines()[0][:160]}") from None
    return Run(run_dir, run, summary, df, hashlib.sha256(raw).hexdigest())


def _scenes_by_id(ids: list[str], phases: dict) -> dict:
    """What the realism index needs of each scene of a run (the phase it asks for), by id: from run.json's
    ``scene_phases``, else from the bundled scene; a scene known to neither is left out (not recomputed)."""
    from types import SimpleNamespace

    from bench.spec import SpecError, select_scenes

    out = {}
    for sid in ids:
        if sid in phases:
            out[sid] = SimpleNamespace(id=sid, physics=SimpleNamespace(phase=phases[sid]))
            continue
        try:
            out[sid] = select_scenes(sid)[0]
        except (SpecError, IndexError):
            pass
    return out


def _check_scores(r: Run, ids: list[str], model: str, aesthetic_source: Any) -> None:
    import numpy as np
    import pandas as pd

    df, csv = r.scores, r.folder / "scores.csv"
    from metrics.realism import INPUTS as REALISM_INPUTS

    extra = tuple(c for c in REALISM_INPUTS if c not in METRICS)
    need = ("model", "scene_id", "family", "seed", "image", "status", *METRICS, *extra, "aesthetic_source")
    for col in need:
        if col not in df.columns:
            raise SubmissionError(csv, col, "expected this column (see the run folder contract); missing")
    if len(df) == 0:
        raise SubmissionError(csv, "(rows)", "expected one row per image; the table is empty")
    if not pd.api.types.is_integer_dtype(df["seed"]):
        bad = next(i for i, v in enumerate(df["seed"]) if not re.fullmatch(r"-?\d+", str(v)))
        raise SubmissionError(csv, f"row {bad + 2}: seed", f"expected an integer; got {_short(df['seed'].iloc[bad])}")
    for m in METRICS:
        if not pd.api.types.is_numeric_dtype(df[m]):
            vals = pd.to_numeric(df[m], errors="coerce")
            bad = int(np.flatnonzero(vals.isna() & df[m].notna())[0])
            raise SubmissionError(csv, f"row {bad + 2}: {m}", f"expected a number in [0, 1] or empty; got {_short(df[m].iloc[bad])}")
    from metrics.realism import realism as realism_of

    for m in extra:
        if not pd.api.types.is_numeric_dtype(df[m]):
            vals = pd.to_numeric(df[m], errors="coerce")
            bad = int(np.flatnonzero(vals.isna() & df[m].notna())[0])
            raise SubmissionError(csv, f"row {bad + 2}: {m}", f"expected a number in [0, 1] or empty; got {_short(df[m].iloc[bad])}")
    scenes = _scenes_by_id(ids, r.run.get("scene_phases") or {})
    id_set, root = set(ids), r.folder.resolve()
    for i, row in enumerate(df.itertuples(index=False)):
        at = f"row {i + 2}"
        sid, status = row.scene_id, row.status
        if not isinstance(sid, str) or sid not in id_set:
            raise SubmissionError(csv, f"{at}: scene_id", f"expected one of the run's scene_ids; got {_short(sid)}")
        at = f"row {i + 2} ({sid} seed {row.seed})"
        if row.family != scene_family(sid):
            part = "family part" if scene_track(sid) == STRESS else "first part"
            raise SubmissionError(csv, f"{at}: family", f"expected {scene_family(sid)!r} (the scene id's {part}); got {_short(row.family)}")
        if row.model != model:
            raise SubmissionError(csv, f"{at}: model", f"expected {_short(model)} (run.json); got {_short(row.model)}")
        if not isinstance(status, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}", status):
            raise SubmissionError(csv, f"{at}: status", f"expected 'ok' or an error word; got {_short(status)}")
        if status == "missing":
            raise SubmissionError(csv, f"{at}: status", "expected every image to exist; this one is missing (rerun `realgap run` to finish the run)")
        img = row.image
        if not isinstance(img, str) or not img or Path(img).is_absolute() or ".." in Path(img).parts:
            raise SubmissionError(csv, f"{at}: image", f"expected a path inside the run folder; got {_short(img)}")
        if not (root / img).resolve().is_relative_to(root):
            raise SubmissionError(csv, f"{at}: image", f"expected a path inside the run folder; got {_short(img)}")
        vals = {m: float(getattr(row, m)) for m in METRICS}
        for m, v in vals.items():
            if math.isnan(v):
                continue
            if not (0.0 <= v <= 1.0):
                raise SubmissionError(csv, f"{at}: {m}", f"expected a value in [0, 1] or empty; got {v!r}")
            if status != "ok":
                raise SubmissionError(csv, f"{at}: {m}", f"expected empty (NaN) for an image with status {status!r}; got {v!r}")
        if status != "ok":
            continue
        # a scene not bundled here has an unknown requested phase: its realism cannot be recomputed
        want = realism_of({**vals, **{m: float(getattr(row, m)) for m in extra}}, scenes[sid])["realism"] if sid in scenes else vals["realism"]
        if math.isnan(want) != math.isnan(vals["realism"]) or (not math.isnan(want) and abs(want - vals["realism"]) > TOL):
            raise SubmissionError(csv, f"{at}: realism", f"expected {want!r} = mean(phase asked for, plausibility, "
                                  f"1 - symmetry_perfect) (metrics/realism.py); got {vals['realism']!r}")
        if not math.isnan(vals["aesthetic"]) and row.aesthetic_source not in str(aesthetic_source).split("+"):
            raise SubmissionError(csv, f"{at}: aesthetic_source", f"expected {_short(aesthetic_source)} (summary.json); got {_short(row.aesthetic_source)}")
    # coverage: every scene with the same seeds, each (scene, seed) once
    seen: dict[str, list[int]] = {}
    for sid, seed in zip(df["scene_id"], df["seed"]):
        seen.setdefault(sid, []).append(int(seed))
    all_seeds = sorted({s for v in seen.values() for s in v})
    n_seeds = r.run["settings"]["seeds"]
    for sid in ids:
        got = seen.get(sid)
        if not got:
            raise SubmissionError(csv, "scene_id", f"expected rows for every scene of the run; none for {sid!r}")
        dup = next((s for s in got if got.count(s) > 1), None)
        if dup is not None:
            raise SubmissionError(csv, "seed", f"expected one row per (scene, seed); {sid!r} seed {dup} appears {got.count(dup)} times")
        missing = [s for s in all_seeds if s not in got]
        if len(got) != n_seeds or missing:
            detail = f" (missing seed {', '.join(map(str, missing))})" if missing else ""
            raise SubmissionError(csv, "seed", f"expected {n_seeds} seeds for every scene (settings.seeds); {sid!r} has {len(got)}{detail}")


def check_run(r: Run, *, custom_track: bool = False) -> dict:
    """Check a run folder against the contract; return ``{"track", "scene_set", "settings"}``."""
    run_json, sum_json = r.folder / "run.json", r.folder / "summary.json"
    run, summary = r.run, r.summary
    model = check_text(run.get("model"), run_json, "model", MAX_MODEL, required=True)
    check_text(run.get("realgap_version"), run_json, "realgap_version", 40, required=True)
    if summary.get("model") != run.get("model"):
        raise SubmissionError(sum_json, "model", f"expected {_short(model)} (run.json); got {_short(summary.get('model'))}")
    settings = run.get("settings")
    if not isinstance(settings, dict):
        raise SubmissionError(run_json, "settings", "expected a mapping of run settings")
    seeds = settings.get("seeds")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise SubmissionError(run_json, "settings.seeds", f"expected a positive integer; got {_short(seeds)}")
    s_settings = summary.get("settings") or {}
    for k in sorted(set(settings) | set(s_settings)):
        if s_settings.get(k) != settings.get(k):
            raise SubmissionError(sum_json, f"settings.{k}", f"expected {_short(settings.get(k))} (run.json); got {_short(s_settings.get(k))}")
    extra = {k: v for k, v in settings.items() if k not in SETTINGS_KEYS}
    if len(extra) > 20 or not all(isinstance(v, (str, int, float, bool, type(None))) and len(str(k)) <= 40 and len(str(v)) <= 200 for k, v in extra.items()):
        raise SubmissionError(run_json, "settings", "expected at most 20 further settings, each a short string, number or boolean")
    ids = run.get("scene_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise SubmissionError(run_json, "scene_ids", "expected a non-empty list of scene ids")
    if len(set(ids)) != len(ids):
        raise SubmissionError(run_json, "scene_ids", "expected each scene id once")
    sset = summary.get("scene_set")
    if not isinstance(sset, dict):
        raise SubmissionError(sum_json, "scene_set", "expected {hash, n_scenes, ids, bundled}")
    h = run.get("scene_set_hash")
    if not isinstance(h, str) or not re.fullmatch(r"[0-9a-f]{16}", h):
        raise SubmissionError(run_json, "scene_set_hash", f"expected 16 hex digits; got {_short(h)}")
    if sset.get("hash") != h:
        raise SubmissionError(sum_json, "scene_set.hash", f"expected {h} (run.json); got {_short(sset.get('hash'))}")
    if sorted(sset.get("ids") or []) != sorted(ids) or sset.get("n_scenes") != len(ids):
        raise SubmissionError(sum_json, "scene_set.ids", f"expected the {len(ids)} scene ids of run.json")
    sets = S.track_sets()
    b_hash = sets["bundled"][0]
    track = next((t for t, (t_hash, _) in sets.items() if h == t_hash), "custom")
    if track != "custom" and sorted(ids) != sorted(sets[track][1]):
        what = "bundled scenes" if track == "bundled" else "stress-track scenes"
        raise SubmissionError(run_json, "scene_ids", f"expected the {len(sets[track][1])} {what} that scene_set_hash {h} stands for")
    if track == "custom" and not custom_track:
        raise SubmissionError(
            run_json,
            "scene_set_hash",
            f"expected {b_hash} (the bundled scene set of this realgap); got {h}: run the bundled scenes (or the stress "
            "track, --scenes stress), or pass --custom-track",
        )
    from bench.stats import summarize_scores

    aesthetic_source = summary.get("aesthetic_source")
    _check_scores(r, ids, model, aesthetic_source)
    df = r.scores
    counts = {str(k): int(v) for k, v in df["status"].value_counts().items()}
    for key, want in (("n_images", len(df)), ("n_ok", counts.get("ok", 0)), ("status_counts", counts)):
        if summary.get(key) != want:
            raise SubmissionError(sum_json, key, f"expected {want} (from scores.csv); got {_short(summary.get(key))}")
    compare_summaries(summary, summarize_scores(df, list(METRICS)), sum_json, "recomputed from scores.csv", TOL)
    return {"track": track, "scene_set": {"hash": h, "n_scenes": len(ids), "ids": list(ids), "bundled": track == "bundled"}, "settings": {**{k: settings.get(k) for k in SETTINGS_KEYS}, **dict(sorted(extra.items()))}}


def flatten_versions(versions: Any, where: Any) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{prefix}.{k}" if prefix else str(k), x)
        elif v is not None:
            out[prefix] = check_text(str(v), where, f"versions.{prefix}", 200) or ""

    walk("", versions if isinstance(versions, dict) else {})
    if len(out) > 60:
        raise SubmissionError(where, "versions", f"expected at most 60 entries; got {len(out)}")
    return out

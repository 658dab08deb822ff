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
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import hashlib
import io
import json
import math
import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import bench

METRICS = ("symmetry", "transitional", "plausibility", "aesthetic", "realism")
SCORE_COLUMNS = ("scene_id", "seed", "status") + METRICS
TUNINGS = ("none", "sft", "rlhf-ppo", "ddpo", "dpo", "kto", "reward-finetuning", "distillation", "other", "unspecified")
SETTINGS_KEYS = ("seeds", "size", "steps", "guidance", "batch_size", "lora", "dtype")
MAX_NAME, MAX_BASE_MODEL, MAX_NOTES, MAX_MODEL = 80, 200, 2000, 300
MAX_LINKS, MAX_LINK = 5, 500
TOL = 1e-6  # summary.json versus numbers recomputed from scores.csv
TOL_COMPACT = 2e-6  # submission versus numbers recomputed from its 8-decimal compact scores
N_SAMPLES, THUMB_PX = 12, 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URL_BAD = re.compile(r"[\s\"'<>`\\\x00-\x1f\x7f]")


class SubmissionError(ValueError):
    """A rejected submission: ``where`` (a file), ``field`` and what was expected."""

    def __init__(self, where: Any, field: str, expected: str):
        self.where, self.field, self.expected = str(where), field, expected
        super().__init__(f"{self.where}: {field}: {expected}")


def repo_leaderboard_dir() -> Path:
    """The ``leaderboard/`` folder of this checkout (schema, site template, submissions)."""
    return Path(bench.__file__).resolve().parent.parent / "leaderboard"


def slugify(name: str) -> str:
    """``'SD 1.5 + DPO'`` -> ``'sd-1-5-dpo'`` (lowercase ASCII letters, digits and single dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")


def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def bundled_scene_set() -> tuple[str, list[str]]:
    """``(hash, ids)`` of the scenes shipped with this realgap (tests may replace this)."""
    from bench.spec import bundled_scenes, scene_set_hash

    scenes = bundled_scenes()
    return scene_set_hash(scenes), sorted(s.id for s in scenes)


def _short(x: Any, n: int = 60) -> str:
    s = repr(x)
    return s if len(s) <= n else s[: n - 3] + "..."


def _num(x: Any) -> float | None:
    """A JSON number as float, else None (bool is not a number)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


def read_json_strict(path: Path) -> Any:
    """Parse a JSON file; NaN/Infinity (not JSON) and duplicate keys are errors."""
    if not path.is_file():
        raise SubmissionError(path, "(file)", "expected a file written by `realgap run`; not found")

    def no_constant(c: str):
        raise SubmissionError(path, "(file)", f"expected JSON numbers or null; found {c} (NaN is not allowed, write null)")

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise SubmissionError(path, dup, "expected each key once; found it twice")
        return dict(pairs)

    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constant, object_pairs_hook=no_dupes)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(path, "(file)", f"expected valid JSON; {exc}") from None


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


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no quotes, spaces or angle brackets."""
    if not isinstance(url, str) or not url or len(url) > MAX_LINK or _URL_BAD.search(url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


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


def _stat_equal(got: Any, want: Any, tol: float) -> bool:
    if want is None or got is None:
        return want is None and got is None
    g = _num(got)
    return g is not None and math.isfinite(g) and abs(g - float(want)) <= tol


def compare_summaries(got: dict, want: dict, where: Any, source: str, tol: float) -> None:
    """Raise at the first number of ``got`` (summary layout) that differs from the recomputed ``want``."""
    fams = got.get("families")
    if not isinstance(fams, dict) or sorted(fams) != sorted(want["families"]):
        have = sorted(fams) if isinstance(fams, dict) else _short(fams)
        raise SubmissionError(where, "families", f"expected families {sorted(want['families'])} ({source}); got {have}")
    blocks = [("metrics", got.get("metrics"), want["metrics"])] + [(f"families.{f}", fams[f], want["families"][f]) for f in sorted(fams)]
    for prefix, g_block, w_block in blocks:
        if not isinstance(g_block, dict):
            raise SubmissionError(where, prefix, "expected a mapping metric -> {mean, ci_low, ci_high, n}")
        if "n_images" in w_block and g_block.get("n_images") != w_block["n_images"]:
            raise SubmissionError(where, f"{prefix}.n_images", f"expected {w_block['n_images']} ({source}); got {_short(g_block.get('n_images'))}")
        for m in METRICS:
            g, w = g_block.get(m), w_block[m]
            if not isinstance(g, dict):
                raise SubmissionError(where, f"{prefix}.{m}", "expected {mean, ci_low, ci_high, n}; missing")
            for k in ("n", "mean", "ci_low", "ci_high"):
                same = (g.get(k) == w[k] and not isinstance(g.get(k), bool)) if k == "n" else _stat_equal(g.get(k), w[k], tol)
                if not same:
                    raise SubmissionError(where, f"{prefix}.{m}.{k}", f"expected {w[k]} ({source}); got {_short(g.get(k))}")


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


def _check_scores(r: Run, ids: list[str], model: str, aesthetic_source: Any) -> None:
    import numpy as np
    import pandas as pd

    df, csv = r.scores, r.folder / "scores.csv"
    need = ("model", "scene_id", "family", "seed", "image", "status", *METRICS, "aesthetic_source")
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

    id_set, root = set(ids), r.folder.resolve()
    for i, row in enumerate(df.itertuples(index=False)):
        at = f"row {i + 2}"
        sid, status = row.scene_id, row.status
        if not isinstance(sid, str) or sid not in id_set:
            raise SubmissionError(csv, f"{at}: scene_id", f"expected one of the run's scene_ids; got {_short(sid)}")
        at = f"row {i + 2} ({sid} seed {row.seed})"
        if row.family != sid.split("/")[0]:
            raise SubmissionError(csv, f"{at}: family", f"expected {sid.split('/')[0]!r} (the scene id's first part); got {_short(row.family)}")
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
        want = realism_of(vals)["realism"]
        if math.isnan(want) != math.isnan(vals["realism"]) or (not math.isnan(want) and abs(want - vals["realism"]) > TOL):
            raise SubmissionError(csv, f"{at}: realism", f"expected {want!r} = mean(transitional, plausibility, 1 - symmetry); got {vals['realism']!r}")
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
    b_hash, b_ids = bundled_scene_set()
    track = "bundled" if h == b_hash else "custom"
    if track == "bundled" and sorted(ids) != sorted(b_ids):
        raise SubmissionError(run_json, "scene_ids", f"expected the {len(b_ids)} bundled scenes that scene_set_hash {h} stands for")
    if track == "custom" and not custom_track:
        raise SubmissionError(
            run_json,
            "scene_set_hash",
            f"expected {b_hash} (the bundled scene set of this realgap); got {h}: run the bundled scenes, or pass --custom-track",
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


def check_diversity(div: Any, ids: list[str], where: Any) -> dict | None:
    """The diversity block: per-scene values in [0, 1] and their bootstrap mean and CI (over scenes)."""
    if div is None:
        return None
    if not isinstance(div, dict) or not isinstance(div.get("per_scene"), dict):
        raise SubmissionError(where, "diversity", "expected {mean, ci_low, ci_high, features, per_scene} or no diversity key")
    feats, per = div.get("features"), div["per_scene"]
    if not isinstance(feats, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}", feats):
        raise SubmissionError(where, "diversity.features", f"expected a word such as 'classical' or 'clip'; got {_short(feats)}")
    for sid, v in per.items():
        if sid not in ids:
            raise SubmissionError(where, f"diversity.per_scene.{sid}", "expected one of the run's scene ids")
        if v is not None and not (_num(v) is not None and 0.0 <= v <= 1.0):
            raise SubmissionError(where, f"diversity.per_scene.{sid}", f"expected a number in [0, 1] or null; got {_short(v)}")
    from bench.stats import bootstrap_ci

    want = bootstrap_ci([per[k] for k in sorted(per) if per[k] is not None])
    for k in ("mean", "ci_low", "ci_high"):
        if not _stat_equal(div.get(k), want[k], TOL):
            raise SubmissionError(where, f"diversity.{k}", f"expected {want[k]} (bootstrap over per_scene); got {_short(div.get(k))}")
    return {**{k: div[k] for k in ("mean", "ci_low", "ci_high")}, "n": want["n"], "features": feats, "per_scene": {k: per[k] for k in sorted(per)}}


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
    from bench.site import check_document

    problems = check_document(doc, run_dir, slugs | {slug})
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
    p.add_argument("--leaderboard", type=Path, default=repo_leaderboard_dir(), metavar="DIR", help="leaderboard folder holding submissions/ (default: %(default)s)")


def submit_main(args) -> int:
    try:
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
        print(f"realgap submit: {exc.filename or args.leaderboard}: (file): expected a file it can read or write; {exc.strerror or exc}")
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

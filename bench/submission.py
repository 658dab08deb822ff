"""The leaderboard's submission document: what ``realgap submit`` writes and the site reads.

``leaderboard/submissions/<slug>.json`` is checked twice: by ``realgap submit``
(:mod:`bench.leaderboard`) before it is written, and by ``realgap leaderboard
build`` (:mod:`bench.site`) before it is published.  What both need lives
here, and both import it: the metric and column names, :class:`SubmissionError`,
names and slugs, strict JSON reading, the URL rule, the bundled scene set, the
recomputation of summaries and diversity, and :func:`check_document` (the
schema plus the recomputation of every number from the compact scores).
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

import bench

METRICS = ("symmetry", "transitional", "plausibility", "aesthetic", "realism")
SCORE_COLUMNS = ("scene_id", "seed", "status") + METRICS
MAX_LINK = 500
TOL = 1e-6  # summary.json versus numbers recomputed from scores.csv
TOL_COMPACT = 2e-6  # submission versus numbers recomputed from its 8-decimal compact scores
_URL_BAD = re.compile(r"[\s\"'<>`\\\x00-\x1f\x7f]")


class SubmissionError(ValueError):
    """A rejected submission: ``where`` (a file), ``field`` and what was expected."""

    def __init__(self, where: Any, field: str, expected: str):
        self.where, self.field, self.expected = str(where), field, expected
        super().__init__(f"{self.where}: {field}: {expected}")


def repo_leaderboard_dir() -> Path:
    """The ``leaderboard/`` folder beside the ``bench`` package (schema, site template, submissions).

    In a clone (or an editable install) it is the clone's; for an installed
    realgap it would be inside site-packages and does not exist, so it is
    never the default place for submissions (see :func:`default_leaderboard_dir`).
    """
    return Path(bench.__file__).resolve().parent.parent / "leaderboard"


def default_leaderboard_dir(cwd: Path | str | None = None) -> Path:
    """The default of ``--leaderboard``: ``./leaderboard`` in the working directory, when it exists.

    Otherwise a one-line :class:`SubmissionError` that says which folder to pass.
    """
    folder = (Path.cwd() if cwd is None else Path(cwd)) / "leaderboard"
    if folder.is_dir():
        return folder
    raise SubmissionError(
        folder, "--leaderboard",
        "expected the leaderboard folder of a realgap clone (the one holding submissions/); there is none in the "
        "working directory: pass --leaderboard DIR (e.g. --leaderboard path/to/realgap/leaderboard) or run from the clone's root",
    )


def leaderboard_file(rel: str, leaderboard: Path | str | None = None) -> Path:
    """A file of the leaderboard's machinery (``submission.schema.json``, ``site/``).

    This realgap's own copy beside the package when there is one (a clone or an
    editable install), else the copy in ``leaderboard`` (the clone's folder
    given to an installed realgap).
    """
    own = repo_leaderboard_dir() / rel
    if own.exists() or leaderboard is None:
        return own
    return Path(leaderboard) / rel


def slugify(name: str) -> str:
    """``'SD 1.5 + DPO'`` -> ``'sd-1-5-dpo'`` (lowercase ASCII letters, digits and single dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")


def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def bundled_scene_set() -> tuple[str, list[str]]:
    """``(hash, ids)`` of the main scene set shipped with this realgap (tests may replace this)."""
    from bench.spec import bundled_scenes, scene_set_hash

    scenes = bundled_scenes()
    return scene_set_hash(scenes), sorted(s.id for s in scenes)


def stress_scene_set() -> tuple[str, list[str]]:
    """``(hash, ids)`` of the stress track shipped with this realgap (edge cases; tests may replace this)."""
    from bench.spec import scene_set_hash, stress_scenes

    scenes = stress_scenes()
    return scene_set_hash(scenes), sorted(s.id for s in scenes)


def track_sets() -> dict[str, tuple[str, list[str]]]:
    """The tracks an entry can be ranked on, ``{"bundled": (hash, ids), "stress": (hash, ids)}``;
    any other scene set is ``custom`` and listed apart."""
    return {"bundled": bundled_scene_set(), "stress": stress_scene_set()}


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


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no quotes, spaces or angle brackets."""
    if not isinstance(url, str) or not url or len(url) > MAX_LINK or _URL_BAD.search(url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# ---------------------------------------------------------------- recomputing the numbers


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


# ---------------------------------------------------------------- checking a submission document


def load_schema(leaderboard: Path | str | None = None) -> dict:
    """The submission schema (:func:`leaderboard_file`: this realgap's, else the one in ``leaderboard``)."""
    path = leaderboard_file("submission.schema.json", leaderboard)
    if not path.is_file():
        raise SubmissionError(path, "(file)", "expected the submission schema of this realgap checkout; not found")
    return json.loads(path.read_text(encoding="utf-8"))


def check_document(doc: Any, where: Any, known_slugs: Iterable[str] | None = None, *,
                   leaderboard: Path | str | None = None) -> list[str]:
    """All problems of a submission document, one line each (schema, then recomputation).

    ``leaderboard``: the folder whose schema is used when this realgap has none of its own.
    """
    import jsonschema
    import pandas as pd

    from bench.spec import scene_family
    from bench.stats import summarize_scores

    validator = jsonschema.Draft202012Validator(load_schema(leaderboard))
    errs = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errs:
        lines = []
        for e in errs[:10]:
            field = ".".join(str(p) for p in e.absolute_path) or "(top level)"
            msg = e.message if len(e.message) <= 160 else e.message[:157] + "..."
            lines.append(f"{where}: {field}: expected the schema's {e.validator!r} rule to hold; {msg}")
        return lines
    try:
        if doc["slug"] != slugify(doc["name"]):
            raise SubmissionError(where, "slug", f"expected {slugify(doc['name'])!r} (from the name); got {doc['slug']!r}")
        if Path(str(where)).suffix == ".json" and Path(str(where)).stem != doc["slug"]:
            raise SubmissionError(where, "slug", f"expected the file name {doc['slug']}.json")
        if doc["base_submission"] is not None and known_slugs is not None:
            if doc["base_submission"] == doc["slug"] or doc["base_submission"] not in set(known_slugs):
                raise SubmissionError(where, "base_submission", f"expected the slug of another entry; got {doc['base_submission']!r}")
        ids = doc["scene_set"]["ids"]
        if len(set(ids)) != len(ids) or doc["scene_set"]["n_scenes"] != len(ids):
            raise SubmissionError(where, "scene_set.ids", "expected n_scenes distinct ids")
        df = pd.DataFrame(doc["scores"]["rows"], columns=list(SCORE_COLUMNS)).astype({m: float for m in METRICS})
        df["family"] = df["scene_id"].map(scene_family)
        if not set(df["scene_id"]) <= set(ids):
            raise SubmissionError(where, "scores.rows", "expected only scenes listed in scene_set.ids")
        seeds_of: dict[str, list[int]] = {}
        for sid, seed in zip(df["scene_id"], df["seed"]):
            seeds_of.setdefault(sid, []).append(int(seed))
        for sid in ids:
            n, uniq = len(seeds_of.get(sid, [])), len(set(seeds_of.get(sid, [])))
            if n != doc["settings"]["seeds"] or uniq != n:
                raise SubmissionError(where, "scores.rows", f"expected {doc['settings']['seeds']} distinct seeds of {sid!r}; got {n} rows")
        counts = {str(k): int(v) for k, v in df["status"].value_counts().items()}
        for key, want in (("n_images", len(df)), ("n_ok", counts.get("ok", 0)), ("status_counts", counts)):
            if doc[key] != want:
                raise SubmissionError(where, key, f"expected {want} (from scores.rows); got {_short(doc[key])}")
        compare_summaries(doc, summarize_scores(df, list(METRICS)), where, "recomputed from scores.rows", TOL_COMPACT)
        if doc["diversity"] is not None:
            check_diversity(doc["diversity"], ids, where)
        for i, s in enumerate(doc["samples"]):
            if s["scene_id"] not in ids:
                raise SubmissionError(where, f"samples.{i}.scene_id", "expected one of scene_set.ids")
    except SubmissionError as exc:
        return [str(exc)]
    return []

"""The runner: generate (seeded per scene x seed), score, and write a run folder.

Layout (DESIGN.md)::

    RUN_DIR/run.json                              settings; a resumed run must match
    RUN_DIR/images/<family>/<name>/<seed>.png     the image
    RUN_DIR/images/<family>/<name>/<seed>.json    what the generator knows (truth, settings)
    RUN_DIR/cache/<family>/<name>/<seed>.json     the image's scores
    RUN_DIR/scores.csv, summary.json, report.html

Resuming: every file is written atomically, and an image counts as done only
when its ``.json`` exists (it is written after the ``.png``).  Re-running the
same command after a kill at any point regenerates only what is missing, and
because generation is deterministic per (scene, seed) and scoring is a pure
function of the PNG on disk, the final files equal an uninterrupted run's.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from bench import __version__
from bench.errors import RunError
from bench.imageio import atomic_write_bytes, atomic_write_json, atomic_write_text, dumps_json, encode_png, load_image
from bench.spec import Scene, scene_set_hash

SUMMARY_METRICS = ("realism", "aesthetic", "symmetry", "transitional", "plausibility")
ID_COLUMNS = ("model", "scene_id", "family", "seed", "image", "status", "status_detail")


@dataclass
class Scoring:
    """Which scorer functions to use: the registry's, with optional overrides
    (e.g. the LAION aesthetic predictor in place of the proxy)."""

    overrides: dict[str, Callable] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    """Extra identity of the overrides (e.g. weights hashes); part of the cache key."""

    def identity(self) -> dict[str, Any]:
        from metrics import eventnet, photo
        from metrics.suite import list_scorers

        ident: dict[str, Any] = {i.name: i.version for i in list_scorers()}
        # the shipped networks and heads change scores without a scorer's version changing
        ident["models"] = {"eventnet": eventnet.MODEL_SHA256[:16], "photo_backbone": photo.BACKBONE_SHA256[:16],
                           "photo_heads": photo.HEADS_SHA256[:16]}
        ident.update({f"{k}:override": v for k, v in self.versions.items()})
        return ident

    def embedder(self):
        """CLIP image embeddings for the diversity score when CLIP weights are loaded, else None."""
        return getattr(self.overrides.get("alignment"), "embed", None)

    def score(self, image, scene) -> dict[str, Any]:
        from metrics.suite import score_image

        return score_image(image, scene, scorers=self.overrides)


def image_rel(scene_id: str, seed: int) -> str:
    return f"images/{scene_id}/{seed}.png"


def nan_scores() -> dict[str, Any]:
    from metrics.suite import score_columns, text_columns

    texts = text_columns()
    return {c: ("" if c in texts else math.nan) for c in score_columns()}


def score_file(path: Path, scene: Scene | None, scoring: Scoring) -> dict[str, Any]:
    """Status and all score columns for one image file (never raises for a bad file)."""
    loaded = load_image(path)
    if loaded.status != "ok":
        return {"status": loaded.status, "status_detail": loaded.detail, **nan_scores()}
    return {"status": "ok", "status_detail": "", **scoring.score(loaded.image, scene)}


def columns() -> list[str]:
    from metrics.suite import score_columns

    return list(ID_COLUMNS) + score_columns()


def write_csv(path: Path, rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> None:
    """Write rows as CSV atomically, with a fixed float format (byte-stable)."""
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=list(cols))
    atomic_write_text(path, df.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": ".".join(map(str, sys.version_info[:3])), "realgap": __version__}
    for pkg in ("numpy", "opencv-python-headless", "scikit-image", "pandas"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


@dataclass
class RunConfig:
    model: str
    out: Path
    scenes: list[Scene]
    seeds: int = 4
    size: int = 256
    generator_options: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    shard: tuple[int, int] = (0, 1)
    """(index, count): this process handles jobs index, index+count, ... (multi-process runs)."""


def _check_run_json(path: Path, record: dict) -> None:
    if not path.exists():
        atomic_write_json(path, record)
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise RunError(f"{path}: expected the run's settings as JSON; the file is unreadable (use a new --out)") from None
    for key in ("model", "settings", "scene_ids", "scene_set_hash", "scoring"):
        if old.get(key) != record.get(key):
            raise RunError(
                f"{path}: {key}: this folder holds a run made with {json.dumps(old.get(key))}; "
                f"this command asks for {json.dumps(record.get(key))}. Use a new --out, or the same settings to resume"
            )


def run_record(cfg: RunConfig, generator, scoring: Scoring) -> dict[str, Any]:
    settings = {"seeds": cfg.seeds, "size": cfg.size, **generator.settings()}
    return {
        "realgap_version": __version__,
        "model": generator.model,
        "settings": settings,
        "scene_ids": [s.id for s in cfg.scenes],
        "scene_set_hash": scene_set_hash(cfg.scenes),
        "scene_paths": {s.id: str(Path(s.path).resolve()) for s in cfg.scenes if not _is_bundled(s)},
        "scene_phases": {s.id: s.physics.phase for s in cfg.scenes},
        "scoring": scoring.identity(),
    }


def _is_bundled(scene: Scene) -> bool:
    from bench.spec import bundled_dir

    try:
        Path(scene.path).resolve().relative_to(bundled_dir())
        return True
    except ValueError:
        return False


def run(cfg: RunConfig, *, scoring: Scoring | None = None, generator=None) -> dict[str, Any] | None:
    """Generate and score every (scene, seed) of ``cfg``; write the run folder.

    Returns the summary (or None for a shard that is not the last to finish).
    """
    from tqdm import tqdm

    from bench.generators import make_generator

    import cv2

    cv2.setNumThreads(1)  # per-image work is small: OpenCV's thread pool only adds overhead (about 2x here)
    scoring = scoring or Scoring()
    generator = generator or make_generator(cfg.model, **cfg.generator_options)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    check_size = getattr(generator, "check_size", None)
    if check_size is not None:
        check_size(cfg.size)  # before run.json exists, so a corrected re-run is not refused
    record = run_record(cfg, generator, scoring)
    _check_run_json(out / "run.json", record)
    ident = record["scoring"]

    all_jobs = [(s, seed) for s in cfg.scenes for seed in range(cfg.seeds)]
    index, count = cfg.shard
    jobs = all_jobs[index::count]
    missing = getattr(generator, "missing", None)
    if missing is not None:
        gone = missing(jobs)
        if gone:
            shown = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
            print(f"realgap run: {len(gone)} of {len(jobs)} images are missing from the folder: {shown}", file=sys.stderr)

    bar = tqdm(total=len(jobs), desc=generator.model, unit="img", disable=None if cfg.progress else True, file=sys.stderr)
    try:
        batch = max(1, int(getattr(generator, "batch_size", 1)))
        for start in range(0, len(jobs), batch):
            chunk = jobs[start : start + batch]
            _do_chunk(out, chunk, generator, scoring, ident, cfg.size)
            bar.update(len(chunk))
    finally:
        bar.close()
        generator.close()
    if count > 1 and not all((out / "cache" / s.id / f"{seed}.json").exists() for s, seed in all_jobs):
        return None
    return finalize(out, cfg.scenes, embedder=scoring.embedder())


def _cache_path(out: Path, scene_id: str, seed: int) -> Path:
    return out / "cache" / scene_id / f"{seed}.json"


def _do_chunk(out: Path, chunk, generator, scoring: Scoring, ident: dict, size: int) -> None:
    todo = []
    for scene, seed in chunk:
        cache = _cache_path(out, scene.id, seed)
        if cache.exists():
            try:
                if json.loads(cache.read_text()).get("scoring") == ident:
                    continue
            except (OSError, json.JSONDecodeError):
                pass  # a damaged cache entry is recomputed
        todo.append((scene, seed))
    if not todo:
        return
    need = [(s, seed) for s, seed in todo if not (out / "images" / s.id / f"{seed}.json").exists()]
    failures: dict[tuple[str, int], Any] = {}
    if need:
        for (scene, seed), gen in zip(need, generator.generate(need, size)):
            png = out / image_rel(scene.id, seed)
            if gen.image is None:
                failures[(scene.id, seed)] = gen
                continue
            atomic_write_bytes(png, encode_png(gen.image))
            atomic_write_json(png.with_suffix(".json"), {"model": generator.model, "scene_id": scene.id, "seed": seed, **gen.meta})
    for scene, seed in todo:
        base = {"model": generator.model, "scene_id": scene.id, "family": scene.family, "seed": seed, "image": image_rel(scene.id, seed)}
        failed = failures.get((scene.id, seed))
        if failed is not None:
            # recorded for this run's table, but retried by the next run (e.g. once the image is added)
            row = {**base, "status": failed.status, "status_detail": failed.detail, **nan_scores()}
            atomic_write_json(_cache_path(out, scene.id, seed), {"scoring": ident, "retry": True, "row": row})
            continue
        scores = score_file(out / image_rel(scene.id, seed), scene, scoring)
        atomic_write_json(_cache_path(out, scene.id, seed), {"scoring": ident, "row": {**base, **scores}})


def _rows(out: Path, record: dict, scenes_by_id: dict[str, Scene], seeds: int) -> list[dict[str, Any]]:
    rows = []
    for sid in record["scene_ids"]:
        scene = scenes_by_id[sid]
        for seed in range(seeds):
            cache = _cache_path(out, sid, seed)
            row = None
            if cache.exists():
                try:
                    row = json.loads(cache.read_text())["row"]
                except (OSError, json.JSONDecodeError, KeyError):
                    row = None
            if row is None:
                row = {
                    "model": record["model"], "scene_id": sid, "family": scene.family, "seed": seed,
                    "image": image_rel(sid, seed), "status": "missing",
                    "status_detail": f"{out / image_rel(sid, seed)}: expected an image; not generated yet", **nan_scores(),
                }
            row = {k: (math.nan if v is None else v) for k, v in row.items()}
            rows.append(row)
    return rows


def finalize(out: Path, scenes: Iterable[Scene] | None = None, *, embedder=None) -> dict[str, Any]:
    """Build scores.csv, summary.json and report.html from the per-image cache.

    ``embedder`` (CLIP image embeddings) makes the diversity score use CLIP
    features; without it diversity uses classical features (labelled in summary.json)."""
    import pandas as pd

    from bench.report import write_report
    from bench.stats import summarize_scores
    from bench.tracks import kind_mask, kinds, set_track
    from metrics.suite import list_scorers

    out = Path(out)
    record = json.loads((out / "run.json").read_text())
    if scenes is None:
        scenes = _scenes_for(record)
    by_id = {s.id: s for s in scenes}
    seeds = int(record["settings"]["seeds"])
    rows = _rows(out, record, by_id, seeds)
    cols = columns()
    write_csv(out / "scores.csv", rows, cols)

    df = pd.read_csv(out / "scores.csv", keep_default_na=False, na_values=[""])
    track = set_track(record["scene_set_hash"])
    sources = sorted(set(df.loc[df["status"] == "ok", "aesthetic_source"].astype(str)) - {""})
    summary = {
        "realgap_version": __version__,
        "model": record["model"],
        "settings": record["settings"],
        "scene_set": {
            "hash": record["scene_set_hash"],
            "n_scenes": len(record["scene_ids"]),
            "ids": record["scene_ids"],
            "bundled": track == "bundled",
            "track": track,
        },
        "n_images": int(len(df)),
        "n_ok": int((df["status"] == "ok").sum()),
        "status_counts": {k: int(v) for k, v in sorted(df["status"].value_counts().items())},
        "aesthetic_source": "+".join(sources) if sources else "none",
        **summarize_scores(df, SUMMARY_METRICS),
        "scorers": {i.name: {"version": i.version, "higher_is_better": i.higher_is_better} for i in list_scorers()},
        # the package versions, and the shipped networks' and heads' hashes that scored the run (run.json)
        "versions": {**_versions(), "models": dict(record["scoring"].get("models", {}))},
    }
    present = kinds(record["scene_ids"])
    if len(present) > 1:  # a run over the main set and the stress track: each summarised apart as well
        summary["tracks"] = {}
        for kind in present:
            sub = df[kind_mask(df["scene_id"], kind)]
            block = summarize_scores(sub, SUMMARY_METRICS)
            summary["tracks"][kind] = {"n_scenes": int(sub["scene_id"].nunique()), "n_images": int(len(sub)),
                                       "n_ok": int((sub["status"] == "ok").sum()), **block}
    from bench.diversity import run_diversity

    summary["diversity"] = run_diversity(out, df, features="clip" if embedder else "classical", embedder=embedder)
    atomic_write_text(out / "summary.json", dumps_json(summary))
    write_report(out, df, summary, {sid: s.physics.phase for sid, s in by_id.items()})
    return summary


def _scenes_for(record: dict) -> list[Scene]:
    """The scenes of a recorded run: shipped ones (either track) by id, else the paths stored in run.json."""
    from bench.spec import load_scene, shipped_scenes

    bundled = {s.id: s for s in shipped_scenes()}
    paths = record.get("scene_paths", {})
    out = []
    for sid in record["scene_ids"]:
        if sid in paths:
            out.append(load_scene(paths[sid]))
        elif sid in bundled:
            out.append(bundled[sid])
        else:
            raise RunError(f"run.json: scene_ids: scene '{sid}' is neither bundled nor recorded with a path")
    return out

"""``realgap score``: score images that already exist, listed in a CSV manifest."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from bench.errors import UserError
from bench.runner import ID_COLUMNS, Scoring, nan_scores, columns, score_file, write_csv

MANIFEST_COLUMNS = ("image", "scene_id")


class ManifestError(ValueError):
    pass


def read_manifest(path: Path) -> list[dict[str, str]]:
    """Rows of a manifest CSV (``image`` required, ``scene_id`` optional)."""
    import csv

    if not path.is_file():
        raise ManifestError(f"{path}: expected a CSV manifest with columns image, scene_id; not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames or []
            if "image" not in fields:
                raise ManifestError(
                    f"{path}: image: expected a column 'image' (path relative to the CSV's folder); "
                    f"got columns {', '.join(fields) or 'none'}"
                )
            rows = [{"image": (r.get("image") or "").strip(), "scene_id": (r.get("scene_id") or "").strip()} for r in reader]
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: expected a UTF-8 CSV file; the file is not text") from None
    except csv.Error as exc:
        raise ManifestError(f"{path}: expected a CSV file; {exc}") from None
    if not rows:
        raise ManifestError(f"{path}: expected at least one image row; the manifest is empty")
    return rows


def score_manifest(
    manifest: Path, out: Path, *, extra_scenes: str | None = None, progress: bool = True, scoring: Scoring | None = None
) -> int:
    """Score every image of ``manifest`` into ``out``; bad images get a status, never stop the run."""
    from tqdm import tqdm

    from bench.spec import select_scenes, shipped_scenes

    try:
        rows = read_manifest(Path(manifest))
    except ManifestError as exc:
        raise UserError(str(exc)) from None
    scenes = {s.id: s for s in shipped_scenes()}
    if extra_scenes:
        scenes.update({s.id: s for s in select_scenes(extra_scenes)})
    base = Path(manifest).resolve().parent
    scoring = scoring or Scoring()
    results = []
    for r in tqdm(rows, desc="scoring", unit="img", disable=None if progress else True, file=sys.stderr):
        sid = r["scene_id"]
        head = {"image": r["image"], "scene_id": sid}
        if sid and sid not in scenes:
            detail = f"{manifest}: scene_id: expected a bundled scene id (main set or stress track) or one given with --scenes; got '{sid}'"
            results.append({**head, "status": "unknown-scene", "status_detail": detail, **nan_scores()})
            continue
        if not r["image"]:
            results.append({**head, "status": "missing", "status_detail": f"{manifest}: image: expected a path; got ''", **nan_scores()})
            continue
        results.append({**head, **score_file(base / r["image"], scenes.get(sid), scoring)})
    cols = ["image", "scene_id", "status", "status_detail"] + [c for c in columns() if c not in ID_COLUMNS]
    write_csv(Path(out), results, cols)
    counts = Counter(r["status"] for r in results)
    bad = {k: v for k, v in counts.items() if k != "ok"}
    msg = f"scored {counts.get('ok', 0)} of {len(results)} images -> {out}"
    if bad:
        msg += "; not scored (see the status column): " + ", ".join(f"{k} {v}" for k, v in sorted(bad.items()))
    print(msg)
    return 0

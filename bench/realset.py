"""The real-photograph set: a recipe of public photographs and high-speed frames, labelled by eye.

realgap ships no photographs (their licences are the authors'); it ships a
*recipe* (``validate/real/recipe.csv``), one row per image:

``id, family, phase, symmetric, scene, split, repo, commit, path, frame, crop, sha256, licence, attribution, desc``

* ``repo`` / ``commit`` / ``path``: where the file lies, pinned to a commit of a
  public GitHub repository; ``sha256``: of the file's bytes at that commit;
* ``frame``: empty for a still, else the 0-based frame of a GIF / TIFF stack
  (PIL order) or of a video (OpenCV order);
* ``crop``: empty, or ``x0 y0 x1 y1`` (pixels of the decoded frame, end exclusive);
* labels (docs/labels.md): ``phase`` pre | transitional | end, ``symmetric``
  1 | 0 | unsure, ``scene`` (one id per physical event);
* ``split``: ``tune`` (may be looked at while designing) or ``report`` (only
  measured); every image of one scene is in the same half.

:func:`build` rebuilds the images from local copies (bare git mirrors, or
folders laid out as ``ROOT/owner/name/path``) or, when asked, from pinned
``raw.githubusercontent.com`` URLs, and checks every SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FAMILIES = ("fracture", "impact", "fluid")
PHASES = ("pre", "transitional", "end")
SPLITS = ("tune", "report")
COLUMNS = ("id", "family", "phase", "symmetric", "scene", "split", "repo", "commit", "path", "frame", "crop",
           "sha256", "licence", "attribution", "desc")
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
DEFAULT_RECIPE = Path(__file__).resolve().parent.parent / "validate" / "real" / "recipe.csv"


class RecipeError(ValueError):
    """A recipe that cannot be used (one line: file, row, field, what was expected)."""


@dataclass(frozen=True)
class RealItem:
    id: str
    family: str
    phase: str
    symmetric: bool | None
    """True / False, None when the labeller was unsure."""
    scene: str
    split: str
    repo: str
    commit: str
    path: str
    frame: int | None
    crop: tuple[int, int, int, int] | None
    sha256: str
    licence: str
    attribution: str
    desc: str

    @property
    def transitional(self) -> bool:
        return self.phase == "transitional"

    @property
    def url(self) -> str:
        return RAW_URL.format(repo=self.repo, commit=self.commit, path=self.path)


def _hex(s: str, n: int) -> bool:
    return len(s) == n and all(c in "0123456789abcdef" for c in s)


def load_recipe(path: str | Path) -> list[RealItem]:
    """Read and check a recipe; :class:`RecipeError` names the file, the row and the field."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"{path}: expected a recipe CSV file; not found")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        header = tuple(rows[0].keys()) if rows else ()
    if not rows:
        raise RecipeError(f"{path}: expected a header and at least one row; the file is empty")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RecipeError(f"{path}: header: expected the columns {', '.join(COLUMNS)}; missing {', '.join(missing)}")
    items: list[RealItem] = []
    seen: dict[str, int] = {}
    scene_split: dict[str, str] = {}
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"

        def bad(field: str, expected: str) -> RecipeError:
            return RecipeError(f"{where}: {field}: expected {expected}; got {r.get(field)!r}")

        rid = (r["id"] or "").strip()
        if not rid:
            raise bad("id", "a non-empty id")
        if rid in seen:
            raise RecipeError(f"{where}: id: expected a unique id; {rid!r} is also on line {seen[rid]}")
        seen[rid] = i
        if r["family"] not in FAMILIES:
            raise bad("family", f"one of {', '.join(FAMILIES)}")
        if r["phase"] not in PHASES:
            raise bad("phase", f"one of {', '.join(PHASES)}")
        sym = {"1": True, "0": False, "unsure": None}.get((r["symmetric"] or "").strip())
        if (r["symmetric"] or "").strip() not in ("1", "0", "unsure"):
            raise bad("symmetric", "1, 0 or unsure")
        if r["split"] not in SPLITS:
            raise bad("split", "tune or report")
        scene = (r["scene"] or "").strip()
        if not scene:
            raise bad("scene", "an event id")
        if scene_split.setdefault(scene, r["split"]) != r["split"]:
            raise bad("split", f"{scene_split[scene]!r} like the other images of scene {scene!r} (a scene stays in one half)")
        if r["repo"].count("/") != 1:
            raise bad("repo", "owner/name")
        if not _hex(r["commit"].strip(), 40):
            raise bad("commit", "40 hex digits")
        if not r["path"].strip():
            raise bad("path", "a file path inside the repository")
        frame = None
        if (r["frame"] or "").strip():
            try:
                frame = int(r["frame"])
            except ValueError:
                raise bad("frame", "empty or a whole number >= 0") from None
            if frame < 0:
                raise bad("frame", "empty or a whole number >= 0")
        crop = None
        if (r["crop"] or "").strip():
            try:
                crop = tuple(int(v) for v in r["crop"].split())
            except ValueError:
                raise bad("crop", "empty or 'x0 y0 x1 y1' in whole pixels") from None
            if len(crop) != 4 or not (0 <= crop[0] < crop[2] and 0 <= crop[1] < crop[3]):
                raise bad("crop", "'x0 y0 x1 y1' with 0 <= x0 < x1 and 0 <= y0 < y1")
        if not _hex(r["sha256"].strip(), 64):
            raise bad("sha256", "64 hex digits")
        items.append(RealItem(rid, r["family"], r["phase"], sym, scene, r["split"], r["repo"].strip(),
                              r["commit"].strip(), r["path"].strip(), frame, crop, r["sha256"].strip(),
                              (r["licence"] or "").strip(), (r["attribution"] or "").strip(), (r["desc"] or "").strip()))
    return items


# ------------------------------------------------------------------ finding the bytes
def _git_dirs(root: Path, repo: str) -> list[Path]:
    """Candidate git directories or work trees for ``repo`` under ``root``."""
    owner, name = repo.split("/")
    out = []
    for cand in (root / f"{owner}+{name}", root / owner / name, root / name, root / f"{name}.git"):
        if cand.is_dir():
            out.append(cand)
            for p in sorted(p for p in cand.iterdir() if p.is_dir()):
                for g in (p, p / ".git"):  # a bare mirror, or a clone's git folder one level down
                    if (g / "HEAD").is_file() and (g / "objects").is_dir():
                        out.append(g)
    return out


def _from_git(gitdir: Path, commit: str, path: str) -> bytes | None:
    """The file at ``commit:path`` of a git directory (bare or not), or None."""
    args = ["git", f"--git-dir={gitdir}"] if (gitdir / "HEAD").is_file() else ["git", "-C", str(gitdir)]
    try:
        res = subprocess.run(args + ["cat-file", "blob", f"{commit}:{path}"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def raw_bytes(item: RealItem, roots: list[Path], *, download: bool = False, timeout: float = 30.0) -> tuple[bytes | None, str]:
    """(the file's bytes, where they came from) -- or (None, why not).

    Looks in each root: a plain file at ``ROOT/owner/name/path`` (or
    ``ROOT/owner+name/path``), then a git mirror of the repository at the
    pinned commit; with ``download`` the pinned raw URL.  Bytes whose SHA-256
    differs from the recipe's are refused.
    """
    mismatch = ""
    for root in roots:
        owner, name = item.repo.split("/")
        for folder in (root / owner / name, root / f"{owner}+{name}"):
            f = folder / item.path
            if f.is_file():
                data = f.read_bytes()
                if hashlib.sha256(data).hexdigest() == item.sha256:
                    return data, str(f)
                mismatch = f"{f}: sha256 differs from the recipe's"
        for g in _git_dirs(root, item.repo):
            data = _from_git(g, item.commit, item.path)
            if data is not None:
                if hashlib.sha256(data).hexdigest() == item.sha256:
                    return data, f"{g}@{item.commit[:10]}"
                mismatch = f"{g}: {item.path} at {item.commit[:10]}: sha256 differs from the recipe's"
    if download:
        import urllib.request

        try:
            with urllib.request.urlopen(item.url, timeout=timeout) as resp:
                data = resp.read()
        except Exception as exc:  # network errors of every kind: say which
            return None, f"{item.url}: download failed ({type(exc).__name__}: {exc})"
        if hashlib.sha256(data).hexdigest() == item.sha256:
            return data, item.url
        return None, f"{item.url}: sha256 differs from the recipe's"
    return None, mismatch or "no local copy (pass --real-root DIR, or --download on a machine with network)"


def decode(item: RealItem, data: bytes) -> np.ndarray:
    """The recipe's frame of ``data``, cropped, as uint8 RGB (``ValueError`` naming the item otherwise)."""
    from PIL import Image, ImageSequence

    suffix = Path(item.path).suffix.lower()
    if suffix in (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"):
        rgb = _video_frame(data, suffix, item.frame or 0, item.id)
    else:
        with Image.open(io.BytesIO(data)) as im:
            if item.frame is not None:
                frames = ImageSequence.Iterator(im)
                try:
                    im = frames[item.frame]
                except IndexError:
                    raise ValueError(f"{item.id}: frame: expected a frame index below the file's frame count; got {item.frame}") from None
            rgb = _to_rgb(im)
    if item.crop is not None:
        x0, y0, x1, y1 = item.crop
        h, w = rgb.shape[:2]
        if x1 > w or y1 > h:
            raise ValueError(f"{item.id}: crop: expected a box inside the {w}x{h} frame; got {item.crop}")
        rgb = rgb[y0:y1, x0:x1]
    return np.ascontiguousarray(rgb)


def _to_rgb(im) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = ((a - lo) / max(hi - lo, 1e-12) * 255.0).round().astype(np.uint8)
        return np.repeat(a[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        from PIL import Image

        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(bg, rgba).convert("RGB"), dtype=np.uint8)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _video_frame(data: bytes, suffix: str, index: int, item_id: str) -> np.ndarray:
    import tempfile

    import cv2

    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(data)
        f.flush()
        cap = cv2.VideoCapture(f.name)
        try:
            for _ in range(index):
                if not cap.grab():
                    raise ValueError(f"{item_id}: frame: expected a frame index below the video's frame count; got {index}")
            ok, frame = cap.read()
        finally:
            cap.release()
    if not ok or frame is None:
        raise ValueError(f"{item_id}: frame: the video has no frame {index} (or cannot be decoded)")
    return frame[..., ::-1].copy()


@dataclass
class Built:
    item: RealItem
    image: np.ndarray | None
    where: str


def build(items: list[RealItem], roots: list[Path], *, download: bool = False, cache: Path | None = None) -> list[Built]:
    """Rebuild every recipe image (see :func:`raw_bytes`, :func:`decode`).

    ``cache``, when given, keeps each checked raw file as ``cache/<sha256>`` so a
    second build needs neither the mirrors nor the network.  An item that cannot
    be had gets ``image=None`` and the reason in ``where``.
    """
    out: list[Built] = []
    memo: dict[str, tuple[bytes | None, str]] = {}
    search = ([cache] if cache is not None else []) + list(roots)
    for it in items:
        if it.sha256 not in memo:
            data, where = None, ""
            if cache is not None and (cache / it.sha256).is_file():
                blob = (cache / it.sha256).read_bytes()
                if hashlib.sha256(blob).hexdigest() == it.sha256:
                    data, where = blob, str(cache / it.sha256)
            if data is None:
                data, where = raw_bytes(it, [r for r in search if r != cache], download=download)
                if data is not None and cache is not None:
                    from bench.imageio import atomic_write_bytes

                    atomic_write_bytes(cache / it.sha256, data)
            memo[it.sha256] = (data, where)
        data, where = memo[it.sha256]
        if data is None:
            out.append(Built(it, None, where))
            continue
        try:
            out.append(Built(it, decode(it, data), where))
        except (ValueError, OSError) as exc:
            out.append(Built(it, None, str(exc)))
    return out


def summary(items: list[RealItem]) -> dict:
    """Counts per family x phase, symmetric label and split (for reports and notes)."""
    out: dict = {"n": len(items), "scenes": len({i.scene for i in items})}
    for fam in FAMILIES:
        sub = [i for i in items if i.family == fam]
        out[fam] = {
            "n": len(sub),
            "scenes": len({i.scene for i in sub}),
            **{p: sum(i.phase == p for i in sub) for p in PHASES},
            "symmetric": sum(i.symmetric is True for i in sub),
            "irregular": sum(i.symmetric is False for i in sub),
            **{s: sum(i.split == s for i in sub) for s in SPLITS},
        }
    return out

"""The real-photograph recipe: checked fields, rebuilt bytes (git mirror, folder, cache), frames and crops."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from bench import realset as R

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _gif(frames: list[np.ndarray]) -> bytes:
    buf = io.BytesIO()
    ims = [Image.fromarray(f) for f in frames]
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=40, loop=0)
    return buf.getvalue()


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A bare git mirror ROOT/owner+name holding a PNG and a 3-frame GIF; returns (root, commit, files)."""
    root = tmp_path_factory.mktemp("mirrors")
    work = tmp_path_factory.mktemp("work")
    rng = np.random.default_rng(0)
    still = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    frames = [np.full((32, 32, 3), v, np.uint8) for v in (10, 120, 240)]
    files = {"img/splash.png": _png(still), "seq/drop.gif": _gif(frames)}
    for rel, data in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(data)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "HOME": str(work), "PATH": "/usr/bin:/bin"}
    run = lambda *a, cwd=work: subprocess.run(a, cwd=cwd, env=env, check=True, capture_output=True)  # noqa: E731
    run("git", "init", "-q")
    run("git", "add", ".")
    run("git", "commit", "-qm", "data")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True).stdout.strip()
    run("git", "clone", "-q", "--bare", str(work), str(root / "lab+splashes" / "repo.git"), cwd=root)
    return root, commit, files, still, frames


def _write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=R.COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in R.COLUMNS})


def _row(commit_, files, **kw):
    r = dict(id="fluid-a-1", family="fluid", phase="transitional", symmetric="1", scene="a-1", split="tune",
             repo="lab/splashes", commit=commit_, path="img/splash.png", frame="", crop="",
             sha256=hashlib.sha256(files["img/splash.png"]).hexdigest(), licence="MIT", attribution="t", desc="d")
    r.update(kw)
    return r


def test_rebuilds_stills_frames_and_crops_from_a_bare_mirror(mirror, tmp_path):
    root, commit, files, still, frames = mirror
    gif_sha = hashlib.sha256(files["seq/drop.gif"]).hexdigest()
    rows = [_row(commit, files),
            _row(commit, files, id="fluid-a-2", crop="10 5 50 35"),
            _row(commit, files, id="fluid-b-1", scene="b-1", split="report", phase="end", symmetric="unsure",
                 path="seq/drop.gif", frame="2", sha256=gif_sha)]
    _write(tmp_path / "recipe.csv", rows)
    items = R.load_recipe(tmp_path / "recipe.csv")
    assert [i.symmetric for i in items] == [True, True, None] and items[2].frame == 2
    built = R.build(items, [root], cache=tmp_path / "cache")
    assert all(b.image is not None for b in built), [b.where for b in built]
    assert np.array_equal(built[0].image, still)
    assert np.array_equal(built[1].image, still[5:35, 10:50])
    assert built[2].image.shape == (32, 32, 3) and abs(int(built[2].image.mean()) - 240) <= 2
    # the cache alone rebuilds the same images (no mirror, no network)
    again = R.build(items, [], cache=tmp_path / "cache")
    assert all(np.array_equal(a.image, b.image) for a, b in zip(built, again))
    assert R.summary(items)["fluid"] == {"n": 3, "scenes": 2, "pre": 0, "transitional": 2, "end": 1,
                                         "symmetric": 2, "irregular": 0, "tune": 2, "report": 1}


def test_plain_folder_copy_and_hash_mismatch(mirror, tmp_path):
    root, commit, files, still, _ = mirror
    folder = tmp_path / "files" / "lab" / "splashes" / "img"
    folder.mkdir(parents=True)
    (folder / "splash.png").write_bytes(files["img/splash.png"])
    items = R.load_recipe(_recipe(tmp_path, [_row(commit, files)]))
    assert np.array_equal(R.build(items, [tmp_path / "files"])[0].image, still)
    bad = R.load_recipe(_recipe(tmp_path, [_row(commit, files, sha256="0" * 64)]))
    b = R.build(bad, [tmp_path / "files", root])[0]
    assert b.image is None and "sha256 differs" in b.where
    none = R.build(items, [tmp_path / "nowhere"])[0]
    assert none.image is None and "--real-root" in none.where


def _recipe(tmp_path, rows, name="r.csv"):
    p = tmp_path / name
    _write(p, rows)
    return p


@pytest.mark.parametrize("field,value,expected", [
    ("phase", "during", "phase: expected one of pre, transitional, end"),
    ("symmetric", "yes", "symmetric: expected 1, 0 or unsure"),
    ("commit", "abc", "commit: expected 40 hex digits"),
    ("crop", "5 5 2 9", "crop: expected 'x0 y0 x1 y1'"),
    ("frame", "-1", "frame: expected empty or a whole number"),
    ("split", "train", "split: expected tune or report"),
])
def test_bad_fields_name_file_line_and_field(tmp_path, field, value, expected):
    p = _recipe(tmp_path, [_row("a" * 40, {"img/splash.png": b"x"}, **{field: value})])
    with pytest.raises(R.RecipeError) as e:
        R.load_recipe(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:2: ") and expected in msg and "\n" not in msg


def test_a_scene_stays_in_one_half(tmp_path):
    rows = [_row("a" * 40, {"img/splash.png": b"x"}), _row("a" * 40, {"img/splash.png": b"x"}, id="fluid-a-2", split="report")]
    with pytest.raises(R.RecipeError, match=r":3: split: expected 'tune' like the other images of scene 'a-1'"):
        R.load_recipe(_recipe(tmp_path, rows))


def test_a_clone_one_level_down_is_found_too(mirror, tmp_path):
    root, commit, files, still, _ = mirror
    clone = tmp_path / "clones" / "lab+splashes" / "repo"
    subprocess.run(["git", "clone", "-q", str(root / "lab+splashes" / "repo.git"), str(clone)], check=True, capture_output=True)
    items = R.load_recipe(_recipe(tmp_path, [_row(commit, files)]))
    b = R.build(items, [tmp_path / "clones"])[0]
    assert np.array_equal(b.image, still) and ".git" in b.where


def test_clutter_textures_are_cropped_from_pinned_mirror_files(mirror, tmp_path, capsys):
    # bench.train_eventnet textures: the training clutter comes from a pinned list, like the recipe
    from bench.train_eventnet import INPUT, make_textures

    root, commit, files, still, _ = mirror
    listing = tmp_path / "textures.csv"
    with open(listing, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["repo", "commit", "path", "sha256", "licence"])
        w.writerow(["lab/splashes", commit, "img/splash.png", hashlib.sha256(files["img/splash.png"]).hexdigest(), "MIT"])
        w.writerow(["lab/splashes", commit, "img/absent.png", "0" * 64, "MIT"])
        w.writerow(["lab/splashes", commit, "seq/drop.gif", "0" * 64, "MIT"])  # bytes that are not the pinned ones
    out = tmp_path / "tex.npz"
    assert make_textures([root], out, listing, per_image=3) == 3
    x = np.load(out)["x"]
    assert x.shape == (3, INPUT, INPUT, 3) and x.dtype == np.uint8
    # crops of the stored picture, enlarged: their mean lies near the picture's
    assert abs(float(x.mean()) - float(still.mean())) < 25
    assert "2 photographs not found" in capsys.readouterr().out
    listing.write_text(f"repo,commit,path,sha256,licence\nlab/splashes,{commit},img/absent.png,{'0' * 64},MIT\n")
    with pytest.raises(SystemExit, match="none of its photographs"):
        make_textures([root], out, listing)


def _report_digest(items) -> str:
    rows = sorted((i.id, i.family, i.phase, str(i.symmetric), i.scene, i.repo, i.commit, i.path, str(i.frame),
                   str(i.crop), i.sha256) for i in items if i.split == "report")
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_shipped_recipe_keeps_its_report_half_frozen_and_no_image_twice():
    # rows added later join a half without moving the others (validate/real/README.md): the first 129 report
    # images, their labels and pins, are unchanged; the 18 round-5 rows (scenes nlab5c-*) joined the report half
    items = R.load_recipe(R.DEFAULT_RECIPE)
    first = [i for i in items if not i.scene.startswith("nlab5c-")]
    assert sum(i.split == "report" for i in first) == 129
    assert _report_digest(first) == "5b6064191e23b12665f2cf6cd457a888573540021dc48e37dfe3e50578d7768d"
    assert sum(i.split == "report" for i in items) == 147
    assert _report_digest(items) == "afdc52ef5400834d0c135db5ab327f6aec1e4ba93ba572053d85d4f8991b74fa"
    views = [(i.sha256, i.frame, i.crop) for i in items]
    assert len(set(views)) == len(views)
    # a changed label, or a tune row moved to the report half, changes the digest
    k = next(n for n, i in enumerate(items) if i.split == "report")
    relabelled = items[:k] + [dataclasses.replace(items[k], phase="end" if items[k].phase != "end" else "pre")] + items[k + 1:]
    assert _report_digest(relabelled) != _report_digest(items)
    k = next(n for n, i in enumerate(items) if i.split == "tune")
    moved = items[:k] + [dataclasses.replace(items[k], split="report")] + items[k + 1:]
    assert _report_digest(moved) != _report_digest(items)

"""Leaderboard: `realgap submit` checks and `realgap leaderboard build` output.

Run folders here are written by ``make_run`` from synthetic numbers following
the run folder contract (run.json, scores.csv, summary.json from
bench.stats.summarize_scores, PNG images), on a fake four-scene "bundled" set,
so these tests do not depend on the scene files or the generators.  The
end-to-end test at the bottom uses the real runner.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import bench.leaderboard as lb
import bench.site as site
import bench.submission as submission
from bench.stats import bootstrap_ci, summarize_scores
from metrics.realism import realism as realism_of

FAKE_IDS = ["fluid/d-crown", "fracture/a-pane", "fracture/b-glass", "impact/c-ice"]
FAKE_HASH = "0123456789abcdef"
OTHER_HASH = "fedcba9876543210"
REAL_SCENE_PREFIX = "test_real_"  # tests named so use the bundled scene files
STYLES = {  # symmetry, transitional, plausibility, aesthetic
    "physical": (0.2, 0.7, 0.6, 0.4),
    "iconic": (0.8, 0.2, 0.3, 0.75),
}


def _scene_of(sid: str):
    """The bundled scene of an id, or a stand-in asking for the transitional phase (as every bundled scene does)."""
    from bench.spec import SpecError, select_scenes

    try:
        return select_scenes(sid)[0]
    except (SpecError, IndexError):
        return SimpleNamespace(id=sid, family=sid.split("/")[0], physics=SimpleNamespace(phase="transitional"))


def make_run(folder: Path, *, style: str = "physical", model: str | None = None, ids=FAKE_IDS, seeds: int = 3,
             scene_hash: str = FAKE_HASH, blank: tuple[str, int] | None = None, diversity: bool = True) -> Path:
    """Write a run folder per the contract with synthetic, seeded scores."""
    from PIL import Image

    folder = Path(folder)
    model = model or f"procedural:{style}"
    rng = np.random.default_rng(len(style) * 7 + seeds)
    base = STYLES[style]
    rows = []
    for sid in sorted(ids):
        fam, name = sid.split("/")
        for seed in range(seeds):
            rel = f"images/{fam}/{name}/{seed}.png"
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            yy, xx = np.mgrid[0:48, 0:48]
            img = ((xx * (seed + 1) * 5 + yy * 3 + 80 * (base[0] > 0.5)) % 256).astype(np.uint8)
            Image.fromarray(np.stack([img, img[::-1], 255 - img], -1)).save(folder / rel)
            if blank == (sid, seed):
                rows.append({"model": model, "scene_id": sid, "family": fam, "seed": seed, "image": rel, "status": "blank",
                             "status_detail": "every pixel the same", **{m: math.nan for m in lb.METRICS}, "aesthetic_source": "",
                             "realism_note": ""})
                continue
            s, t, p, a = (float(np.clip(v + rng.normal(0, 0.08), 0, 1)) for v in base)
            parts = {"symmetry": s, "symmetry_perfect": s ** 4, "transitional": t, "transitional_pre": (1 - t) / 2,
                     "transitional_end": (1 - t) / 2, "plausibility": p}
            r = realism_of(parts, _scene_of(sid))
            rows.append({"model": model, "scene_id": sid, "family": fam, "seed": seed, "image": rel, "status": "ok", "status_detail": "",
                         "symmetry_mirror": s, **parts, "aesthetic": a,
                         "aesthetic_source": "proxy", "realism": r["realism"], "realism_note": r["realism_note"]})
    df = pd.DataFrame(rows)
    df.to_csv(folder / "scores.csv", index=False)
    settings = {"seeds": seeds, "size": 48, "steps": None, "guidance": None, "batch_size": 8, "lora": None, "dtype": None}
    run = {"realgap_version": "0.1.0", "model": model, "settings": settings, "scene_ids": sorted(ids), "scene_set_hash": scene_hash,
           "scene_phases": {sid: _scene_of(sid).physics.phase for sid in ids}}
    (folder / "run.json").write_text(json.dumps(run, indent=1))
    back = pd.read_csv(folder / "scores.csv")
    summary = {"realgap_version": "0.1.0", "model": model, "settings": settings,
               "scene_set": {"hash": scene_hash, "n_scenes": len(ids), "ids": sorted(ids), "bundled": scene_hash == FAKE_HASH},
               "n_images": len(back), "n_ok": int((back["status"] == "ok").sum()),
               "status_counts": {k: int(v) for k, v in back["status"].value_counts().items()}, "aesthetic_source": "proxy",
               **summarize_scores(back, list(lb.METRICS)),
               "scorers": {m: {"version": 1, "higher_is_better": True} for m in lb.METRICS},
               "versions": {"realgap": "0.1.0", "numpy": np.__version__, "scorers": {"symmetry": 1}}}
    if diversity:
        per = {sid: round(0.3 + 0.1 * i, 6) for i, sid in enumerate(sorted(ids))}
        summary["diversity"] = {**bootstrap_ci(list(per.values())), "features": "classical", "per_scene": per}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))
    (folder / "report.html").write_text("<!doctype html><title>report</title>")
    return folder


@pytest.fixture(autouse=True)
def fake_bundled(monkeypatch, request):
    """The fake scene set stands in for the bundled one (not for the end-to-end tests)."""
    if not request.node.name.startswith(REAL_SCENE_PREFIX):
        monkeypatch.setattr(submission, "bundled_scene_set", lambda: (FAKE_HASH, list(FAKE_IDS)))


def submit(run_dir, name, board, *extra) -> tuple[int, str]:
    p = argparse.ArgumentParser()
    lb.add_submit_arguments(p)
    args = p.parse_args([str(run_dir), "--name", name, "--leaderboard", str(board), *extra])
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = lb.submit_main(args)
    return rc, buf.getvalue()


def build(board, out) -> tuple[int, str]:
    p = argparse.ArgumentParser()
    lb.add_build_arguments(p)
    args = p.parse_args(["--leaderboard", str(board), "--out", str(out)])
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = lb.build_main(args)
    return rc, buf.getvalue()


def folder_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {"physical": make_run(root / "physical", style="physical"), "iconic": make_run(root / "iconic", style="iconic")}


@pytest.fixture
def board(tmp_path, runs):
    """A leaderboard folder holding one accepted submission."""
    b = tmp_path / "board"
    rc, out = submit(runs["physical"], "Physical base", b, "--base-model", "procedural renderer")
    assert rc == 0, out
    return b


# ---------------------------------------------------------------- accepted submissions


def test_schema_file_is_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(site.load_schema())


def test_slugify():
    assert lb.slugify("SD 1.5 + DPO") == "sd-1-5-dpo"
    assert lb.slugify("<script>alert(1)</script>") == "script-alert-1-script"
    assert lb.slugify("  --Ünïcode__ ") == "n-code"
    assert lb.slugify("!!!") == ""


def test_submit_writes_a_checked_small_file(board, runs):
    path = board / "submissions" / "physical-base.json"
    doc = json.loads(path.read_text())
    assert doc["name"] == "Physical base" and doc["track"] == "bundled" and doc["tuning"] == "none"
    assert doc["scene_set"]["hash"] == FAKE_HASH and doc["n_images"] == 12 and doc["n_ok"] == 12
    assert doc["scores"]["sha256"] == hashlib.sha256((runs["physical"] / "scores.csv").read_bytes()).hexdigest()
    assert len(doc["scores"]["rows"]) == 12 and len(doc["samples"]) == 4
    summary = json.loads((runs["physical"] / "summary.json").read_text())
    assert doc["metrics"] == summary["metrics"]
    assert doc["versions"]["scorers.symmetry"] == "1"
    assert path.stat().st_size < 150_000
    assert site.check_document(doc, path, ["physical-base"]) == []
    assert not [p for p in (board / "submissions").iterdir() if p.name.startswith(".")]  # no temp files left


def test_tuned_submission_points_to_its_base(board, runs):
    rc, out = submit(runs["iconic"], "Iconic DPO", board, "--base-of", "physical base", "--tuning", "dpo",
                     "--link", "https://example.org/paper", "--notes", "line one\nline two")
    assert rc == 0, out
    assert out.startswith("realgap submit: wrote ") and out.count("\n") == 1
    doc = json.loads((board / "submissions" / "iconic-dpo.json").read_text())
    assert doc["base_submission"] == "physical-base" and doc["tuning"] == "dpo" and doc["links"] == ["https://example.org/paper"]


def test_blank_images_count_as_model_failures(tmp_path):
    run = make_run(tmp_path / "r", blank=("impact/c-ice", 1))
    rc, out = submit(run, "Has a blank", tmp_path / "b")
    assert rc == 0, out
    doc = json.loads((tmp_path / "b" / "submissions" / "has-a-blank.json").read_text())
    assert doc["status_counts"] == {"blank": 1, "ok": 11} and doc["metrics"]["realism"]["n"] == 11


def test_custom_track_needs_the_flag(tmp_path):
    run = make_run(tmp_path / "r", ids=["fracture/a-pane", "fluid/my-own"], scene_hash=OTHER_HASH)
    rc, out = submit(run, "Custom", tmp_path / "b")
    assert rc == 2 and "scene_set_hash" in out and "--custom-track" in out
    rc, out = submit(run, "Custom", tmp_path / "b", "--custom-track")
    assert rc == 0, out
    assert json.loads((tmp_path / "b" / "submissions" / "custom.json").read_text())["track"] == "custom"


# ---------------------------------------------------------------- the bad-submission corpus


def _csv_edit(fn):
    def edit(run: Path):
        df = pd.read_csv(run / "scores.csv")
        df = fn(df)
        df.to_csv(run / "scores.csv", index=False)

    return edit


def _json_edit(name, fn):
    def edit(run: Path):
        doc = json.loads((run / name).read_text())
        fn(doc)
        (run / name).write_text(json.dumps(doc))

    return edit


def _set(df, col, value, row=0):
    df[col] = df[col].astype(object)
    df.loc[row, col] = value
    return df


def _bump(doc, *path, by=0.01):
    d = doc
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = round(d[path[-1]] + by, 6)


# (id, how the run or the arguments are broken, extra CLI args, text the one-line error must contain)
BAD = [
    ("other-scene-set", lambda run: (_json_edit("run.json", lambda d: d.update(scene_set_hash=OTHER_HASH))(run),
                                     _json_edit("summary.json", lambda d: d["scene_set"].update(hash=OTHER_HASH))(run)),
     (), "scene_set_hash: expected 0123456789abcdef (the bundled scene set of this realgap); got fedcba9876543210"),
    ("hashes-disagree", _json_edit("summary.json", lambda d: d["scene_set"].update(hash=OTHER_HASH)), (), "scene_set.hash: expected 0123456789abcdef (run.json)"),
    ("missing-scene", _csv_edit(lambda df: df[df.scene_id != "impact/c-ice"]), (), "none for 'impact/c-ice'"),
    ("missing-seed", _csv_edit(lambda df: df.drop(index=4)), (), "(missing seed 1)"),
    ("missing-image", _csv_edit(lambda df: _set(df, "status", "missing", 2)), (), "status: expected every image to exist"),
    ("duplicate-row", _csv_edit(lambda df: pd.concat([df, df.iloc[[0]]])), (), "appears 2 times"),
    ("score-out-of-range", _csv_edit(lambda df: _set(df, "plausibility", 1.5, 3)), (), "row 5 (fracture/a-pane seed 0): plausibility: expected a value in [0, 1]"),
    ("score-not-a-number", _csv_edit(lambda df: _set(df, "symmetry", "high", 1)), (), "row 3: symmetry: expected a number in [0, 1] or empty"),
    ("score-on-failed-image", _csv_edit(lambda df: _set(df, "status", "blank", 0)), (), "expected empty (NaN) for an image with status 'blank'"),
    ("realism-does-not-follow", _csv_edit(lambda df: _set(df, "realism", 0.99, 6)), (), "realism: expected"),
    ("nan-in-summary", lambda run: (run / "summary.json").write_text((run / "summary.json").read_text().replace('"mean": 0.', '"mean": NaN, "x": 0.', 1)), (), "found NaN"),
    ("mean-does-not-follow", _json_edit("summary.json", lambda d: _bump(d, "metrics", "realism", "mean")), (), "metrics.realism.mean: expected"),
    ("ci-does-not-follow", _json_edit("summary.json", lambda d: _bump(d, "families", "fracture", "aesthetic", "ci_high", by=-0.02)), (), "families.fracture.aesthetic.ci_high: expected"),
    ("count-does-not-follow", _json_edit("summary.json", lambda d: d.update(n_ok=11)), (), "n_ok: expected 12"),
    ("settings-differ", _json_edit("summary.json", lambda d: d["settings"].update(size=512)), (), "settings.size: expected 48 (run.json)"),
    ("diversity-out-of-range", _json_edit("summary.json", lambda d: d["diversity"]["per_scene"].update({"fluid/d-crown": 1.7})), (), "diversity.per_scene.fluid/d-crown: expected a number in [0, 1]"),
    ("diversity-does-not-follow", _json_edit("summary.json", lambda d: _bump(d, "diversity", "ci_low", by=-0.05)), (), "diversity.ci_low: expected"),
    ("family-mismatch", _csv_edit(lambda df: _set(df, "family", "fluid", 5)), (), "family: expected 'fracture'"),
    ("image-outside-run", _csv_edit(lambda df: _set(df, "image", "../../etc/passwd", 0)), (), "image: expected a path inside the run folder"),
    ("no-summary", lambda run: (run / "summary.json").unlink(), (), "summary.json: (file): expected a file written by `realgap run`"),
    ("not-a-csv", lambda run: (run / "scores.csv").write_bytes(b"\x00\xff\xfe garbage"), (), "scores.csv"),
    ("duplicate-name", None, (), "--name: expected a new name"),
    ("duplicate-slug", None, ("--name", "PHYSICAL-base!"), "--name: expected a name whose file name is free; physical-base.json exists"),
    ("name-too-long", None, ("--name", "x" * 81), "--name: expected at most 80 characters; got 81"),
    ("notes-too-long", None, ("--notes", "n" * 2001), "--notes: expected at most 2000 characters"),
    ("name-no-letters", None, ("--name", "<>!"), "--name: expected at least one ASCII letter or digit"),
    ("name-control-char", None, ("--name", "bad\x1bname"), "--name: expected printable text"),
    ("javascript-link", None, ("--link", "javascript:alert(1)"), "--link: expected an http:// or https:// URL"),
    ("data-link", None, ("--link", "data:text/html,<script>alert(1)</script>"), "--link: expected an http:// or https:// URL"),
    ("quote-in-link", None, ("--link", 'https://x.org/" onmouseover="alert(1)'), "--link: expected an http:// or https:// URL"),
    ("too-many-links", None, tuple(a for i in range(6) for a in ("--link", f"https://e.org/{i}")), "--link: expected at most 5 links"),
    ("unknown-base", None, ("--base-of", "nobody"), "--base-of: expected the name or slug of an entry already in the leaderboard"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_submission_is_rejected_and_changes_nothing(case, board, runs, tmp_path):
    cid, edit, extra, expected = case
    run = tmp_path / "run"
    shutil.copytree(runs["iconic"], run)
    if edit is not None:
        edit(run)
    name = "physical base" if cid == "duplicate-name" else "New entry"
    args = list(extra)
    if "--name" in args:
        i = args.index("--name")
        name = args[i + 1]
        del args[i : i + 2]
    before = folder_hash(board)
    rc, out = submit(run, name, board, *args)
    assert rc == 2
    assert out.count("\n") == 1 and out.startswith("realgap submit: "), out
    assert expected in out, out
    assert "Traceback" not in out
    assert folder_hash(board) == before


def test_corpus_is_large_enough():
    assert len(BAD) >= 10


# ---------------------------------------------------------------- the site


@pytest.fixture
def built(board, runs, tmp_path):
    rc, out = submit(runs["iconic"], "Iconic DPO", board, "--base-of", "physical-base", "--tuning", "dpo")
    assert rc == 0, out
    rc, out = build(board, tmp_path / "site")
    assert rc == 0, out
    return tmp_path / "site"


def _data(index_html: str) -> dict:
    m = re.search(r'<script type="application/json" id="board-data">(.*?)</script>', index_html, re.S)
    return json.loads(m.group(1))


def test_build_writes_table_scatter_and_pages(built):
    index = (built / "index.html").read_text()
    data = _data(index)
    assert [e["slug"] for e in data["entries"]] == ["physical-base", "iconic-dpo"]  # realism, high first
    assert re.findall(r'<tr data-slug="([a-z0-9-]+)"', index) == ["physical-base", "iconic-dpo"]
    assert 'id="scatter"' in index and index.count('class="point"') == 2
    assert 'data-from="physical-base" data-to="iconic-dpo"' in index
    for key in ("realism", "aesthetic", "symmetry", "transitional", "plausibility", "diversity", "family:fracture"):
        assert f'data-key="{key}"' in index
    page = (built / "s" / "iconic-dpo.html").read_text()
    assert 'href="physical-base.html"' in page and "Per family" in page and "fluid/d-crown" in page
    assert sorted(p.name for p in (built / "s" / "iconic-dpo").iterdir()) == ["0.jpg", "1.jpg", "2.jpg", "3.jpg"]
    assert (built / "submissions" / "iconic-dpo.json").is_file()
    assert json.loads((built / "leaderboard.json").read_text())["entries"][1]["base_submission"] == "physical-base"
    assert "http://" not in index.replace("http://www.w3.org", "") and "https://" not in index  # no network


def test_rebuild_replaces_the_site_but_not_foreign_folders(built, board, tmp_path):
    (built / "stale.html").write_text("old")
    assert build(board, built)[0] == 0 and not (built / "stale.html").exists()
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    rc, out = build(board, foreign)
    assert rc == 2 and "expected a new or empty folder" in out and (foreign / "mine.txt").read_text() == "keep"


def test_build_rechecks_numbers_and_fails_loudly(board, tmp_path):
    path = board / "submissions" / "physical-base.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["aesthetic"]["mean"] = round(doc["metrics"]["aesthetic"]["mean"] + 0.05, 6)
    path.write_text(json.dumps(doc))
    rc, out = build(board, tmp_path / "site")
    assert rc == 2 and "physical-base.json: metrics.aesthetic.mean: expected" in out
    assert not (tmp_path / "site").exists()


def test_build_of_an_empty_leaderboard(tmp_path):
    rc, out = build(tmp_path / "nothing", tmp_path / "site")
    assert rc == 0, out
    assert "No submissions yet" in (tmp_path / "site" / "index.html").read_text()


PAYLOADS = ["<script>document.title='pwned'</script>", "<img src=x onerror=\"document.title='pwned'\">", "\" onmouseover=\"document.title='pwned'\" x=\"",
            "</script><script>alert(1)</script>", "<svg onload=alert(1)>"]


def parse_tags(text: str) -> list[tuple[str, dict]]:
    """Every start tag of an HTML document with its attributes, as a browser's tokenizer sees them."""
    from html.parser import HTMLParser

    tags = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, {k: v or "" for k, v in attrs}))

    P(convert_charrefs=True).feed(text)
    return tags


def xss_board(board: Path, runs) -> Path:
    """Add entries whose every free-text field is a script payload (links hand-edited past submit's check)."""
    for i, payload in enumerate(PAYLOADS):
        rc, out = submit(runs["iconic"], f"{payload} {i}", board, "--base-of", "physical-base", "--base-model", payload, "--notes", payload,
                         "--link", "https://example.org/?q=a&b=c")
        assert rc == 0, out
    path = board / "submissions" / f"{lb.slugify(PAYLOADS[0] + ' 0')}.json"
    doc = json.loads(path.read_text())
    doc["links"] = ["javascript:document.title='pwned'", "data:text/html,<script>alert(1)</script>"]
    path.write_text(json.dumps(doc))
    return board


def test_submitted_strings_are_escaped(board, runs, tmp_path):
    xss_board(board, runs)
    assert build(board, tmp_path / "site")[0] == 0
    for page in [tmp_path / "site" / "index.html", *(tmp_path / "site" / "s").glob("*.html")]:
        tags = parse_tags(page.read_text())
        scripts = [a for t, a in tags if t == "script"]
        assert scripts == ([{"type": "application/json", "id": "board-data"}, {}] if page.name == "index.html" else [])
        assert not [(t, a) for t, a in tags for k in a if k.startswith("on")]  # no event handler attribute anywhere
        assert not [a for t, a in tags if t == "img" and not re.fullmatch(r"[a-z0-9-]+/\d+\.jpg", a.get("src", ""))]
        assert not [t for t, a in tags if t in ("svg", "iframe", "object", "embed") and page.name != "index.html"]
        hrefs = [a["href"] for t, a in tags if "href" in a]
        assert all(re.match(r"(https?://|[a-z0-9-]+\.html$|s/[a-z0-9-]+\.html$|\.\./|leaderboard\.json$|#)", h) for h in hrefs), hrefs
    first = (tmp_path / "site" / "s" / f"{lb.slugify(PAYLOADS[0] + ' 0')}.html").read_text()
    assert html.escape(PAYLOADS[0], quote=True) in first
    assert '<span class="not-a-link">javascript:document.title=&#x27;pwned&#x27;</span>' in first
    index = (tmp_path / "site" / "index.html").read_text()
    assert [e["name"] for e in _data(index)["entries"] if e["name"].startswith("</script>")]  # JSON block survives intact


def test_cli_parsers_have_the_documented_defaults():
    p = argparse.ArgumentParser()
    lb.add_submit_arguments(p)
    a = p.parse_args(["r", "--name", "n"])
    assert a.leaderboard is None and a.link == [] and a.base_of is None and not a.custom_track  # None: ./leaderboard
    p = argparse.ArgumentParser()
    lb.add_build_arguments(p)
    assert p.parse_args([]).out == Path("site") and p.parse_args([]).leaderboard is None


def _run_cli(add, main, argv) -> tuple[int, str]:
    import contextlib
    import io

    p = argparse.ArgumentParser()
    add(p)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(p.parse_args(argv))
    return rc, buf.getvalue()


def test_leaderboard_defaults_to_the_working_directory(runs, tmp_path, monkeypatch):
    """Not the folder beside the installed package (site-packages for a pip install): ./leaderboard."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leaderboard").mkdir()
    rc, out = _run_cli(lb.add_submit_arguments, lb.submit_main, [str(runs["physical"]), "--name", "Here"])
    assert rc == 0, out
    assert (tmp_path / "leaderboard" / "submissions" / "here.json").is_file()
    assert not (lb.repo_leaderboard_dir() / "submissions" / "here.json").exists()
    rc, out = _run_cli(lb.add_build_arguments, lb.build_main, ["--out", str(tmp_path / "site")])
    assert rc == 0, out
    assert "here.json" in {p.name for p in (tmp_path / "site" / "submissions").iterdir()}


def test_without_a_leaderboard_folder_one_line_says_which_to_pass(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for add, main, argv, prog in ((lb.add_submit_arguments, lb.submit_main, [str(runs["physical"]), "--name", "X"], "realgap submit: "),
                                  (lb.add_build_arguments, lb.build_main, ["--out", str(tmp_path / "site")], "realgap leaderboard build: ")):
        rc, out = _run_cli(add, main, argv)
        assert rc == 2 and out.count("\n") == 1 and out.startswith(prog), out
        assert f"{tmp_path / 'leaderboard'}: --leaderboard: expected the leaderboard folder of a realgap clone" in out
        assert "pass --leaderboard DIR" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_an_installed_realgap_uses_the_clone_folders_schema_and_templates(runs, tmp_path, monkeypatch):
    """Without a leaderboard/ beside the package (a pip install), the schema and site templates come from --leaderboard."""
    board = tmp_path / "clone" / "leaderboard"
    board.mkdir(parents=True)
    shutil.copy(lb.repo_leaderboard_dir() / "submission.schema.json", board)
    shutil.copytree(lb.repo_leaderboard_dir() / "site", board / "site")
    monkeypatch.setattr(submission, "repo_leaderboard_dir", lambda: tmp_path / "site-packages" / "leaderboard")
    assert submit(runs["physical"], "Installed", board)[0] == 0
    rc, out = build(board, tmp_path / "site")
    assert rc == 0, out
    assert (tmp_path / "site" / "s" / "installed.html").is_file()
    (board / "submission.schema.json").unlink()
    rc, out = submit(runs["iconic"], "No schema", board)
    assert rc == 2 and "submission.schema.json: (file): expected the submission schema" in out


def test_real_repo_submissions_are_valid_and_build(tmp_path):
    """Every file in the repository's leaderboard/submissions passes the build's checks and is current: a
    bundled-track entry carries the bundled scene-set hash, a stress-track entry the stress track's, a
    custom-track entry (the model organism's, on 12 of the bundled scenes) the hash of its own listed scenes,
    all of them bundled ones.  The site lists the stress-track and custom-track entries apart from the main
    table and its scatter, each in its own section."""
    from bench.spec import bundled_scenes, scene_set_hash

    docs, errors = site.load_submissions(lb.repo_leaderboard_dir())
    assert errors == []
    assert site.build_site(lb.repo_leaderboard_dir(), tmp_path / "site") == len(docs)
    bundled = {s.id: s for s in bundled_scenes()}
    b_hash = lb.bundled_scene_set()[0]
    s_hash, s_ids = submission.stress_scene_set()
    stale = "was made on another version of the scenes: run leaderboard/make_reference_entries.sh"
    assert {d["track"] for d in docs} == {"bundled", "stress", "custom"}  # the reference entries cover every track
    for d in docs:
        ids = d["scene_set"]["ids"]
        if d["track"] == "bundled":
            assert d["scene_set"]["hash"] == b_hash and sorted(ids) == sorted(bundled), f"{d['slug']}.json {stale}"
        elif d["track"] == "stress":
            assert d["scene_set"]["hash"] == s_hash and sorted(ids) == s_ids, f"{d['slug']}.json {stale}"
        else:
            assert d["track"] == "custom" and not d["scene_set"]["bundled"]
            assert set(ids) <= set(bundled), f"{d['slug']}.json: scenes {sorted(set(ids) - set(bundled))} are not bundled ones"
            assert d["scene_set"]["hash"] == scene_set_hash([bundled[i] for i in ids]), f"{d['slug']}.json {stale}"
        if d["reference"]:
            assert (lb.repo_leaderboard_dir() / "submissions" / f"{d['slug']}.json").stat().st_size < 150_000
    index = (tmp_path / "site" / "index.html").read_text()
    main, _, rest = index.partition('<section id="stress-board">')
    stress, _, other = rest.partition('<section id="other-board">')
    rows = {part: re.findall(r'<tr data-slug="([a-z0-9-]+)"', text) for part, text in (("bundled", main), ("stress", stress), ("custom", other))}
    scatter = re.search(r'<svg class="scatter" id="scatter".*?</svg>', main, re.S).group(0)
    for d in docs:
        assert [part for part, slugs in rows.items() if d["slug"] in slugs] == [d["track"]], f"{d['slug']} is not listed in its own track"
        if d["track"] != "bundled":
            assert f'data-slug="{d["slug"]}"' not in scatter


# ---------------------------------------------------------------- end to end, real runner and bundled scenes


def real_runs(root: Path, *, seeds: int = 2, size: int = 64) -> dict[str, Path]:
    """`realgap run` the two procedural renderers on every bundled scene (the acceptance scenario, small)."""
    from bench.cli import main

    out = {}
    for style in ("physical", "iconic"):
        out[style] = root / style
        rc = main(["run", "--model", f"procedural:{style}", "--out", str(out[style]), "--seeds", str(seeds), "--size", str(size)])
        assert rc == 0
    return out


@pytest.mark.slow
def test_real_runs_submit_and_build_through_the_cli(tmp_path, capsys):
    from bench.cli import main

    runs = real_runs(tmp_path)
    board = tmp_path / "board"
    assert main(["submit", str(runs["physical"]), "--name", "Procedural physical", "--leaderboard", str(board)]) == 0
    assert main(["submit", str(runs["iconic"]), "--name", "Procedural iconic", "--base-of", "procedural-physical",
                 "--tuning", "other", "--leaderboard", str(board)]) == 0
    before = folder_hash(board)
    assert main(["submit", str(runs["iconic"]), "--name", "procedural ICONIC", "--leaderboard", str(board)]) == 2
    assert "--name: expected a new name" in capsys.readouterr().out and folder_hash(board) == before
    assert main(["leaderboard", "build", "--leaderboard", str(board), "--out", str(tmp_path / "site")]) == 0
    docs = {d["slug"]: d for d in site.load_submissions(board)[0]}
    phys, icon = docs["procedural-physical"], docs["procedural-iconic"]
    n_scenes = len(lb.bundled_scene_set()[1])
    assert phys["track"] == "bundled" and phys["n_images"] == 2 * n_scenes and len(phys["samples"]) == min(12, n_scenes)
    # the premise of the benchmark, on its own reference renderers
    assert phys["metrics"]["realism"]["mean"] > icon["metrics"]["realism"]["mean"]
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'data-from="procedural-physical" data-to="procedural-iconic"' in index
    assert (tmp_path / "site" / "s" / "procedural-iconic.html").is_file()

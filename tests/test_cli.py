"""The command line: help is clear and cheap; score marks bad images and scores the rest."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bench.cli import build_parser, main


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from bench.cli import build_parser; build_parser().format_help();"
        "heavy = [m for m in ('torch', 'diffusers', 'open_clip', 'cv2', 'pandas', 'skimage', 'matplotlib') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


@pytest.mark.parametrize("cmd", [[], ["run"], ["score"], ["compare"], ["validate"], ["scenes"], ["scenes", "list"], ["scenes", "validate"], ["scenes", "new"], ["submit"], ["leaderboard", "build"]])
def test_every_subcommand_has_help(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "usage: realgap" in text and len(text) > 200


def test_scenes_list_and_validate(capsys):
    assert main(["scenes", "validate"]) == 0
    assert "scene files valid" in capsys.readouterr().out
    assert main(["scenes", "list"]) == 0
    out = capsys.readouterr().out
    assert "fluid/milk-drop-crown" in out and "scene-set hash" in out


def _write_png(path, rgb):
    from bench.imageio import encode_png

    path.write_bytes(encode_png(rgb))


def test_score_marks_bad_images_and_scores_good_ones(tmp_path, capsys):
    from bench.generators.procedural import render
    from bench.spec import select_scenes

    (scene,) = select_scenes("fracture/bottle-bullet")
    img, _ = render(scene, 0, size=256)
    _write_png(tmp_path / "good.png", img)
    _write_png(tmp_path / "good_nospec.png", render(scene, 1, size=256)[0])
    full = (tmp_path / "good.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(full[: len(full) // 2])
    (tmp_path / "empty.png").write_bytes(b"")
    _write_png(tmp_path / "black.png", np.zeros((96, 96, 3), np.uint8))
    (tmp_path / "corrupt.png").write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    (tmp_path / "notes.png").write_text("this is text, not an image")
    rows = [
        ("good.png", scene.id), ("good_nospec.png", ""), ("truncated.png", scene.id), ("empty.png", scene.id),
        ("black.png", scene.id), ("corrupt.png", scene.id), ("notes.png", ""), ("absent.png", ""),
        ("good.png", "fracture/no-such-scene"),
    ]
    pd.DataFrame(rows, columns=["image", "scene_id"]).to_csv(tmp_path / "manifest.csv", index=False)
    out = tmp_path / "scores.csv"
    assert main(["score", "--manifest", str(tmp_path / "manifest.csv"), "--out", str(out), "--no-progress"]) == 0
    df = pd.read_csv(out, keep_default_na=False)
    status = dict(zip(df.image + "|" + df.scene_id, df.status))
    assert status == {
        f"good.png|{scene.id}": "ok", "good_nospec.png|": "ok", f"truncated.png|{scene.id}": "truncated",
        f"empty.png|{scene.id}": "empty", f"black.png|{scene.id}": "blank", f"corrupt.png|{scene.id}": "unreadable",
        "notes.png|": "unreadable", "absent.png|": "missing", "good.png|fracture/no-such-scene": "unknown-scene",
    }
    good = df[df.status == "ok"]
    assert pd.to_numeric(good["realism"]).between(0, 1).all()
    bad = df[df.status != "ok"]
    assert (bad["realism"] == "").all() and (bad["status_detail"] != "").all()
    # without a spec the direction sub-score cannot be decided
    nospec = df[df.image == "good_nospec.png"].iloc[0]
    assert nospec["plausibility_direction"] == ""
    assert "scored 2 of 9 images" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, expected",
    [(None, "not found"), ("path,scene\nx.png,\n", "expected a column 'image'"), ("image,scene_id\n", "manifest is empty")],
)
def test_score_bad_manifest_is_one_line(tmp_path, capsys, content, expected):
    m = tmp_path / "m.csv"
    if content is not None:
        m.write_text(content)
    assert main(["score", "--manifest", str(m), "--out", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and "m.csv" in err[0]
    assert not (tmp_path / "s.csv").exists()

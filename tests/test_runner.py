"""The runner: outputs, determinism, resume after SIGKILL, settings guard, images: model."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main

SMALL = ["--scenes", "fracture/window-pane-ball,fluid/milk-drop-crown", "--seeds", "2", "--size", "64", "--no-progress"]
OUTPUTS = ("scores.csv", "summary.json", "report.html")


def run_cli(*args: str) -> int:
    return main(["run", *args])


def test_run_writes_the_run_folder(tmp_path):
    out = tmp_path / "run"
    assert run_cli("--model", "procedural:physical", "--out", str(out), *SMALL) == 0
    for name in OUTPUTS + ("run.json",):
        assert (out / name).is_file(), name
    df = pd.read_csv(out / "scores.csv")
    assert list(df.columns[:6]) == ["model", "scene_id", "family", "seed", "image", "status"]
    assert len(df) == 4 and (df["status"] == "ok").all()
    assert df[["scene_id", "seed"]].values.tolist() == [
        ["fluid/milk-drop-crown", 0], ["fluid/milk-drop-crown", 1],
        ["fracture/window-pane-ball", 0], ["fracture/window-pane-ball", 1],
    ]
    for col in ("symmetry", "transitional", "plausibility", "aesthetic", "realism"):
        assert df[col].between(0, 1).all(), col
    assert (df["aesthetic_source"] == "proxy").all()
    for r in df.itertuples():
        assert (out / r.image).is_file()
        truth = json.loads((out / r.image).with_suffix(".json").read_text())["truth"]
        assert truth["symmetric"] is False and truth["transitional"] is True
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_images"] == 4 and summary["scene_set"]["bundled"] is False
    from metrics import photo

    assert summary["versions"]["models"]["photo_heads"] == photo.HEADS_SHA256[:16]
    m = summary["metrics"]["realism"]
    assert m["ci_low"] <= m["mean"] <= m["ci_high"]
    assert abs(m["mean"] - df["realism"].mean()) < 1e-6
    html = (out / "report.html").read_text()
    assert "aesthetic (proxy)" in html and "<svg" in html and "data:image/jpeg;base64," in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN


def test_rerun_is_identical_and_guards_settings(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("--model", "procedural:iconic=0.5", "--out", str(a), *SMALL) == 0
    assert run_cli("--model", "procedural:iconic=0.5", "--out", str(b), *SMALL) == 0
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    png = sorted((a / "images").rglob("*.png"))[0]
    assert png.read_bytes() == (b / png.relative_to(a)).read_bytes()
    # a different size into the same folder is refused with one line, nothing lost
    before = (a / "scores.csv").read_bytes()
    code = run_cli("--model", "procedural:iconic=0.5", "--out", str(a), *SMALL[:-3], "--size", "96", "--no-progress")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "run.json: settings:" in err[0]
    assert (a / "scores.csv").read_bytes() == before


def test_other_shipped_models_refuse_to_resume_an_old_run(tmp_path, capsys, monkeypatch):
    """New network weights or heads change scores with no scorer version changing: a run
    folder scored with other models must not be resumed with a mix of old and new scores."""
    from metrics import photo

    a = tmp_path / "a"
    assert run_cli("--model", "procedural:physical", "--out", str(a), *SMALL) == 0
    before = (a / "scores.csv").read_bytes()
    monkeypatch.setattr(photo, "HEADS_SHA256", "0" * 64)
    code = run_cli("--model", "procedural:physical", "--out", str(a), *SMALL)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "run.json: scoring:" in err[0] and "photo_heads" in err[0]
    assert (a / "scores.csv").read_bytes() == before


@pytest.mark.slow
def test_sigkill_midway_then_resume_gives_identical_files(tmp_path):
    args = ["--model", "procedural:iconic=0.5", "--scenes", "all", "--seeds", "3", "--size", "128", "--no-progress"]
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    assert run_cli("--out", str(ref), *args) == 0
    total = len(list((ref / "cache").rglob("*.json")))
    cmd = [sys.executable, "-m", "bench.cli", "run", "--out", str(killed), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline:
        done = len(list((killed / "cache").rglob("*.json"))) if (killed / "cache").exists() else 0
        if done >= max(2, total // 3):
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < done < total, f"kill landed at {done}/{total}: not midway"
    assert not (killed / "scores.csv").exists()
    assert run_cli("--out", str(killed), *args) == 0
    for name in OUTPUTS:
        assert (killed / name).read_bytes() == (ref / name).read_bytes(), name


def test_resume_rebuilds_a_deleted_image_and_damaged_cache(tmp_path):
    out = tmp_path / "run"
    assert run_cli("--model", "procedural:physical", "--out", str(out), *SMALL) == 0
    ref = (out / "scores.csv").read_bytes()
    png = out / "images" / "fluid" / "milk-drop-crown" / "1.png"
    png.unlink()
    png.with_suffix(".json").unlink()
    cache = out / "cache" / "fluid" / "milk-drop-crown" / "1.json"
    cache.write_text("{not json")
    assert run_cli("--model", "procedural:physical", "--out", str(out), *SMALL) == 0
    assert (out / "scores.csv").read_bytes() == ref


def test_images_model_marks_missing_and_broken_images(tmp_path, capsys):
    made = tmp_path / "made"
    assert run_cli("--model", "procedural:physical", "--out", str(made), *SMALL) == 0
    folder = tmp_path / "byo"
    shutil.copytree(made / "images", folder)
    for p in folder.rglob("*.json"):
        p.unlink()
    (folder / "fluid" / "milk-drop-crown" / "1.png").unlink()
    (folder / "fracture" / "window-pane-ball" / "1.png").write_bytes(b"")
    out = tmp_path / "scored"
    assert run_cli("--model", f"images:{folder}", "--out", str(out), *SMALL) == 0
    err = capsys.readouterr().err
    assert "1 of 4 images are missing" in err and "fluid/milk-drop-crown/1.png" in err
    df = pd.read_csv(out / "scores.csv", keep_default_na=False)
    status = dict(zip(zip(df.scene_id, df.seed), df.status))
    assert status[("fluid/milk-drop-crown", 1)] == "missing"
    assert status[("fracture/window-pane-ball", 1)] == "empty"
    assert status[("fluid/milk-drop-crown", 0)] == "ok"
    # the images are the same pixels as the generating run, so the scores agree
    ref = pd.read_csv(made / "scores.csv")
    ok = df[df.status == "ok"].merge(ref, on=["scene_id", "seed"], suffixes=("", "_ref"))
    assert (ok["realism"].astype(float) - ok["realism_ref"]).abs().max() < 1e-9


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--model", "procedural:fancy"], "procedural:physical, procedural:iconic"),
        (["--model", "procedral:physical"], "did you mean 'procedural:'"),
        (["--model", "procedural:iconic=1.5"], "expected p a number in [0, 1]"),
        (["--model", "images:/nonexistent/folder"], "/nonexistent/folder"),
        (["--model", "procedural:physical", "--steps", "20"], "--steps: apply to diffusers"),
        (["--scenes", "fluid/no-such-scene"], "nothing matches"),
    ],
)
def test_bad_run_arguments_give_one_line(tmp_path, capsys, argv, expected):
    code = run_cli("--out", str(tmp_path / "x"), *argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err


@pytest.mark.slow
def test_two_processes_equal_one_process(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    args = ["--model", "procedural:iconic=0.5", "--scenes", "fluid,fracture/bottle-bullet", "--seeds", "2", "--size", "96", "--no-progress"]
    assert run_cli("--out", str(one), *args) == 0
    assert main(["run", "--out", str(two), "--processes", "2", *args]) == 0
    for name in OUTPUTS:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_shard_env_from_accelerate_or_torchrun(monkeypatch):
    from bench.cli import _shard

    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    assert _shard(None) == (2, 4)
    monkeypatch.delenv("WORLD_SIZE")
    assert _shard(None) == (0, 1)
    assert _shard("1/3") == (1, 3)


@pytest.mark.slow
def test_iconic_knob_lowers_realism_monotonically():
    """procedural:iconic=p over 15 scenes x 2 seeds: realism falls as p rises, and the
    iconic end is more symmetric and less transitional / plausible than the physical end."""
    from bench.generators.procedural import render
    from bench.imageio import to_float
    from bench.spec import bundled_scenes
    from metrics.suite import score_image

    scenes = bundled_scenes()
    means = {}
    for p in (0.0, 0.5, 1.0):
        rows = [score_image(to_float(render(s, seed, size=192, iconic=p)[0]), s) for s in scenes for seed in range(2)]
        means[p] = pd.DataFrame(rows)[["realism", "symmetry", "transitional", "plausibility", "aesthetic"]].mean()
    print({p: m.round(3).to_dict() for p, m in means.items()})
    assert means[0.0]["realism"] > means[0.5]["realism"] + 0.05 > means[1.0]["realism"] + 0.1
    assert means[1.0]["symmetry"] > means[0.0]["symmetry"] + 0.5
    assert means[1.0]["transitional"] < means[0.0]["transitional"] - 0.2
    assert means[1.0]["plausibility"] < means[0.0]["plausibility"] - 0.15
    assert means[1.0]["aesthetic"] > means[0.0]["aesthetic"] + 0.1

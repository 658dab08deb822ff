"""The stress track: edge-case scenes under scenes/stress/, selected with --scenes stress and reported apart.

Specs: every stress scene validates, covers the six kinds of edge case and keeps
the id = path contract; selectors keep meaning the main set unless they name
the track.  End to end: a stress run renders and scores every scene, its report,
compare and leaderboard entry show the track apart from the main set, and a run
over both tracks summarises each apart.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from bench import spec
from bench.cli import main

KINDS = ("Oblique impact", "Before failure", "Late settling", "Unusual view", "Small event", "Simultaneous events")
SOURCE = re.compile(r"doi:10\.\d{4,9}/\S+|bibcode:\S+|(University Press|Longmans|Pearson|CRC Press)|J\. reine angew\. Math\.|J\. Glaciol\.")


def test_stress_specs_validate_and_cover_every_kind():
    scenes = spec.stress_scenes()
    assert len(scenes) >= 12
    kinds = {k: [s.id for s in scenes if s.title.startswith(k + ":")] for k in KINDS}
    assert all(len(v) >= 2 for v in kinds.values()), kinds
    assert sum(len(v) for v in kinds.values()) == len(scenes)  # every scene says which kind it is
    for s in scenes:
        assert s.track == "stress" and s.id.startswith("stress/") and spec.scene_family(s.id) == s.family
        assert Path(s.path).as_posix().endswith(f"scenes/{s.id}.yaml")
        assert s.prompt and s.iconic_cues and s.physics.expected and len(s.references) >= 2
        assert all(SOURCE.search(r) for r in s.references), s.id
        assert math.isclose(math.hypot(*s.physics.impact_direction), 1.0, abs_tol=0.01)
    by_kind = {k: [s for s in scenes if s.id in v] for k, v in kinds.items()}
    # oblique: the impact direction is far from vertical; before failure / late settling: the instant says so
    assert all(abs(s.physics.impact_direction[1]) < 0.6 for s in by_kind["Oblique impact"])
    assert {s.physics.phase for s in by_kind["Before failure"]} <= {"pre", "transitional"}
    assert any(s.physics.phase == "pre" for s in by_kind["Before failure"])
    assert {s.physics.phase for s in by_kind["Late settling"]} == {"end"}
    assert {s.family for s in scenes} == set(spec.FAMILIES)


def test_selectors_keep_the_main_set_and_name_the_track():
    main_ids = [s.id for s in spec.bundled_scenes()]
    stress_ids = [s.id for s in spec.stress_scenes()]
    assert main_ids and not any(i.startswith("stress/") for i in main_ids)
    for sel in (None, "all", "*", "fracture", "fluid/*", "impact,fluid"):
        assert not [s.id for s in spec.select_scenes(sel) if s.track == "stress"], sel
    assert [s.id for s in spec.select_scenes("all")] == sorted(main_ids)
    assert spec.scene_set_hash(spec.select_scenes(None)) == spec.scene_set_hash(spec.bundled_scenes())
    assert [s.id for s in spec.select_scenes("stress")] == sorted(stress_ids)
    assert {s.family for s in spec.select_scenes("stress/fluid")} == {"fluid"}
    assert all(s.track == "stress" for s in spec.select_scenes("stress/fluid"))
    assert [s.id for s in spec.select_scenes("stress/fluid/drop-first-contact")] == ["stress/fluid/drop-first-contact"]
    assert all(s.id.startswith("stress/impact/egg") for s in spec.select_scenes("stress/impact/egg*"))
    both = spec.select_scenes("all,stress")
    assert len(both) == len(main_ids) + len(stress_ids)
    with pytest.raises(spec.SpecError, match="did you mean 'stress'"):
        spec.select_scenes("stres")
    with pytest.raises(spec.SpecError, match="nothing matches"):
        spec.select_scenes("stress/fluid/no-such-scene")


def test_a_stress_scene_id_is_its_path_under_the_stress_folder(tmp_path, capsys):
    assert main(["scenes", "new", "stress/fluid/syrup-drop", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "stress" / "fluid" / "syrup-drop.yaml"
    scene = spec.load_scene(path)
    assert scene.id == "stress/fluid/syrup-drop" and scene.family == "fluid" and scene.track == "stress"
    path.write_text(path.read_text().replace("id: stress/fluid/syrup-drop", "id: fluid/syrup-drop"))
    capsys.readouterr()
    assert main(["scenes", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "id: expected 'stress/fluid/syrup-drop'" in err[0], err
    assert main(["scenes", "new", "stress/liquid/x", "--dir", str(tmp_path)]) == 2


def test_every_stress_scene_renders_with_both_procedural_models():
    import numpy as np

    from bench.generators import make_generator

    scenes = spec.stress_scenes()
    for model in ("procedural:physical", "procedural:iconic"):
        gens = make_generator(model).generate([(s, 0) for s in scenes], 64)
        assert len(gens) == len(scenes)
        for s, g in zip(scenes, gens):
            assert g.status == "ok" and g.image.shape == (64, 64, 3) and g.image.dtype == np.uint8, s.id
            assert g.image.std() > 1, s.id


def _run(out: Path, model: str, scenes: str, seeds: int = 1, size: int = 64) -> dict:
    assert main(["run", "--model", model, "--scenes", scenes, "--seeds", str(seeds), "--size", str(size),
                 "--out", str(out), "--no-progress"]) == 0
    return json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_the_documented_stress_run(tmp_path):
    """`realgap run --model procedural:physical --scenes stress --seeds 1`, at the default size."""
    out = tmp_path / "run"
    assert main(["run", "--model", "procedural:physical", "--scenes", "stress", "--seeds", "1", "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scene_set"]["track"] == "stress" and summary["n_ok"] == len(spec.stress_scenes())
    assert summary["settings"]["size"] == 256 and (out / "report.html").is_file()
    assert all(summary["metrics"][m]["n"] == summary["n_ok"] for m in ("symmetry", "plausibility", "aesthetic"))


@pytest.mark.slow
def test_stress_run_report_compare_and_leaderboard_keep_the_track_apart(tmp_path, capsys):
    """`realgap run --scenes stress`, then compare, submit and leaderboard build, end to end."""
    import bench.site as site

    n = len(spec.stress_scenes())
    phys = _run(tmp_path / "phys", "procedural:physical", "stress", seeds=2)  # 2 seeds: diversity needs them
    icon = _run(tmp_path / "icon", "procedural:iconic", "stress", seeds=2)
    for summary in (phys, icon):
        assert summary["n_ok"] == summary["n_images"] == 2 * n
        assert summary["scene_set"]["track"] == "stress" and summary["scene_set"]["bundled"] is False
        assert "tracks" not in summary  # one track: the whole summary is the stress track's
    scores = pd.read_csv(tmp_path / "phys" / "scores.csv")
    assert scores["scene_id"].str.startswith("stress/").all() and scores["status"].eq("ok").all()
    for m in ("symmetry", "transitional", "plausibility", "aesthetic", "realism"):  # scored: a value, or NaN with the reason
        undecided = scores[m].isna()
        assert undecided.mean() < 0.5, m
        if undecided.any():
            assert scores.loc[undecided, f"{m}_note"].fillna("").str.len().gt(0).all(), m
    report = (tmp_path / "phys" / "report.html").read_text()
    assert "stress track (edge cases)" in report and "<b>Stress track</b>" in report
    assert phys["metrics"]["realism"]["mean"] > icon["metrics"]["realism"]["mean"]

    assert main(["compare", str(tmp_path / "phys"), str(tmp_path / "icon"), "--out", str(tmp_path / "cmp")]) == 0
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert list(result["tracks"]) == ["stress"] and result["tracks"]["stress"]["n_scenes"] == n
    assert result["tracks"]["stress"]["metrics"]["realism"] == result["metrics"]["realism"]
    assert "<h2>Per track</h2>" in (tmp_path / "cmp" / "report.html").read_text()
    csv = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert list(csv.columns[:3]) == ["scene_id", "track", "family"] and set(csv["track"]) == {"stress"}

    board = tmp_path / "board"
    capsys.readouterr()
    assert main(["submit", str(tmp_path / "phys"), "--name", "Stress physical", "--leaderboard", str(board)]) == 0
    assert main(["submit", str(tmp_path / "icon"), "--name", "Stress iconic", "--base-of", "stress-physical",
                 "--leaderboard", str(board)]) == 0
    doc = json.loads((board / "submissions" / "stress-physical.json").read_text())
    assert doc["track"] == "stress" and doc["scene_set"]["bundled"] is False and doc["scene_set"]["n_scenes"] == n
    assert sorted(doc["families"]) == sorted(spec.FAMILIES)
    assert main(["leaderboard", "build", "--leaderboard", str(board), "--out", str(tmp_path / "site")]) == 0
    index = (tmp_path / "site" / "index.html").read_text()
    main_part, _, rest = index.partition('<section id="stress-board">')
    stress_part = rest.partition("</section>")[0]
    assert re.findall(r'<tr data-slug="([a-z0-9-]+)"', stress_part) == ["stress-physical", "stress-iconic"]
    assert not re.findall(r'<tr data-slug="([a-z0-9-]+)"', main_part)  # not on the main table or its scatter
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())
    assert data["stress_scene_set"] == spec.scene_set_hash(spec.stress_scenes()) != data["bundled_scene_set"]
    assert {e["slug"]: e["track"] for e in data["entries"]} == {"stress-physical": "stress", "stress-iconic": "stress"}
    assert site.load_submissions(board)[1] == []


@pytest.mark.slow
def test_a_run_over_both_tracks_summarises_each_apart(tmp_path):
    scenes = "fluid/milk-drop-crown,fracture/bottle-bullet,stress/fluid/drop-first-contact,stress/impact/grazing-ball-sand"
    phys = _run(tmp_path / "phys", "procedural:physical", scenes, seeds=2)
    _run(tmp_path / "icon", "procedural:iconic", scenes, seeds=2)
    assert phys["scene_set"]["track"] == "custom"
    assert list(phys["tracks"]) == ["main", "stress"]
    assert phys["tracks"]["main"]["n_scenes"] == 2 and phys["tracks"]["stress"]["n_images"] == 4
    report = (tmp_path / "phys" / "report.html").read_text()
    assert "<h2>Per track</h2>" in report and "<h3>stress track</h3>" in report
    assert main(["compare", str(tmp_path / "phys"), str(tmp_path / "icon"), "--out", str(tmp_path / "cmp")]) == 0
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert list(result["tracks"]) == ["main", "stress"]
    assert result["tracks"]["main"]["n_pairs"] == 4 and result["tracks"]["stress"]["n_pairs"] == 4
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert "mixes the tracks" in html and "<th class='l'>track</th>" in html


def test_a_main_set_run_has_no_track_sections(tmp_path):
    summary = _run(tmp_path / "r", "procedural:physical", "fluid/milk-drop-crown", seeds=2)
    assert summary["scene_set"]["track"] == "custom" and "tracks" not in summary
    report = (tmp_path / "r" / "report.html").read_text()
    assert "Stress track" not in report and "Per track" not in report

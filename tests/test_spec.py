"""Scene specs: the bundled set validates; each broken spec gives its one-line error."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import spec
from bench.cli import main

BAD = Path(__file__).parent / "data" / "bad_scenes" / "fracture"

# file -> (field named in the message, a fragment of what was expected)
BROKEN = {
    "missing-prompt.yaml": ("prompt", "missing"),
    "bad-phase.yaml": ("physics.phase", "did you mean 'transitional'"),
    "non-unit-direction.yaml": ("physics.impact_direction", "unit length"),
    "wrong-id.yaml": ("id", "expected 'fracture/wrong-id'"),
    "bad-family.yaml": ("family", "did you mean 'fracture'"),
    "point-out-of-range.yaml": ("physics.impact_point", "fractions in [0, 1]"),
    "exponent-reversed.yaml": ("physics.fragment_size_exponent", "low <= high"),
    "unknown-field.yaml": ("promt", "did you mean 'prompt'"),
    "invalid-yaml.yaml": ("(yaml)", "valid YAML"),
    "empty.yaml": ("(file)", "empty"),
    "expected-not-list.yaml": ("physics.expected", "list of at least one string"),
    "direction-wrong-type.yaml": ("physics.impact_direction", "two numbers"),
    "version-zero.yaml": ("version", ">= 1"),
    "top-level-list.yaml": ("(top level)", "mapping"),
    "empty-references.yaml": ("references", "at least one string"),
    "missing-direction.yaml": ("physics.impact_direction", "missing"),
    "duplicate-key.yaml": ("(yaml)", "duplicate key 'title'"),
}

REQUIRED_IDS = {
    "fracture/window-pane-ball": (1, 0),
    "fracture/wine-glass-drop": (0, 1),
    "fracture/ceramic-plate-drop": (0, 1),
    "fracture/bottle-bullet": (1, 0),
    "impact/hammer-ice-block": (0, 1),
    "impact/meteorite-sand": (0.707, 0.707),
    "impact/egg-drop-floor": (0, 1),
    "impact/crash-test-wall": (1, 0),
    "fluid/milk-drop-crown": (0, 1),
    "fluid/rock-into-pond": (0, 1),
    "fluid/wave-hits-seawall": (1, 0),
    "fluid/water-balloon-pin": (1, 0),
}


def test_bundled_scenes_validate_and_cover_required_ids():
    scenes = {s.id: s for s in spec.bundled_scenes()}
    assert set(REQUIRED_IDS) <= set(scenes)
    for sid, direction in REQUIRED_IDS.items():
        got = scenes[sid].physics.impact_direction
        assert math.isclose(got[0], direction[0], abs_tol=0.01) and math.isclose(got[1], direction[1], abs_tol=0.01), sid
    for s in scenes.values():
        assert s.prompt and s.references and s.iconic_cues and s.physics.expected


def test_corpus_has_at_least_ten_broken_specs():
    assert len(list(BAD.glob("*.yaml"))) >= 10
    assert {p.name for p in BAD.glob("*.yaml")} == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_spec_gives_one_clear_line(name, capsys):
    field, expected = BROKEN[name]
    code = main(["scenes", "validate", str(BAD / name)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    line = err[0]
    assert name in line and f": {field}:" in line and expected in line, line
    assert "Traceback" not in line


def test_all_errors_of_a_folder_are_collected(capsys):
    code = main(["scenes", "validate", str(BAD)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert {n for n in BROKEN if any(n in line for line in err)} == set(BROKEN)


def test_new_writes_a_template_that_validates(tmp_path, capsys):
    assert main(["scenes", "new", "fluid/syrup-drop", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "fluid" / "syrup-drop.yaml"
    scene = spec.load_scene(path)
    assert scene.id == "fluid/syrup-drop" and scene.family == "fluid"
    assert "#" in path.read_text()  # commented
    assert main(["scenes", "new", "fluid/syrup-drop", "--dir", str(tmp_path)]) == 2  # never overwrites
    assert main(["scenes", "new", "liquid/x", "--dir", str(tmp_path)]) == 2
    assert "FAMILY/NAME" in capsys.readouterr().err


def test_selectors():
    assert {s.family for s in spec.select_scenes("fluid")} == {"fluid"}
    assert [s.id for s in spec.select_scenes("fluid/milk-drop-crown")] == ["fluid/milk-drop-crown"]
    assert all(s.id.startswith("impact/") for s in spec.select_scenes("impact/*"))
    both = spec.select_scenes("fluid/milk-drop-crown,fracture/bottle-bullet")
    assert [s.id for s in both] == ["fluid/milk-drop-crown", "fracture/bottle-bullet"]
    with pytest.raises(spec.SpecError, match="did you mean 'fluid/milk-drop-crown'"):
        spec.select_scenes("fluid/milk-drop-crwn")


def test_scene_outside_the_bundle_by_path(tmp_path):
    src = spec.bundled_dir() / "fluid" / "milk-drop-crown.yaml"
    dst = tmp_path / "fluid" / "milk-drop-crown.yaml"
    dst.parent.mkdir()
    dst.write_text(src.read_text().replace("version: 1", "version: 2"))
    (s,) = spec.select_scenes(str(dst))
    assert s.version == 2 and s.path.endswith("milk-drop-crown.yaml")
    assert spec.scene_set_hash([s]) != spec.scene_set_hash(spec.select_scenes("fluid/milk-drop-crown"))

"""The model organism (bench.organism): raters, BT reward fit, a tiny training
run loaded by the ``organism:`` generator, deterministic sampling, tuning and
its regularisation, and the shipped checkpoints.  Tiny models, CPU, offline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
TWO = ["fracture/window-pane-ball", "fluid/milk-drop-crown"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_bt_fit_recovers_a_known_preference_direction():
    import torch

    from bench.organism.reward import fit_bt, pair_accuracy

    rng = np.random.default_rng(0)
    w = np.array([1.5, -1.0, 0.5, 0.0])
    X = rng.normal(size=(400, 4)).astype(np.float32)
    a, b = rng.integers(0, 400, 4000), rng.integers(0, 400, 4000)
    p = 1 / (1 + np.exp(-(X[a] - X[b]) @ w))
    choice = (rng.random(4000) < p).astype(np.float32)
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 1)
    fit_bt(net, torch.from_numpy(X), a[:3000], b[:3000], choice[:3000], epochs=20, batch=256, lr=0.05, seed=0)
    with torch.no_grad():
        r = net(torch.from_numpy(X))[:, 0].numpy()
    truth = ((X[a[3000:]] - X[b[3000:]]) @ w > 0).astype(float)
    assert pair_accuracy(r[a[3000:]], r[b[3000:]], truth) > 0.8
    wf = net.weight.detach().numpy()[0]
    assert wf @ w / (np.linalg.norm(wf) * np.linalg.norm(w)) > 0.9


def test_raters_majority_prefers_iconic_minority_realistic():
    from bench.generators.procedural import ICONIC, LABELS, PHYSICAL
    from bench.organism.raters import TYPE_NAMES, make_pairs, make_population

    pop = make_population(200, seed=0)
    assert np.mean(pop.types == TYPE_NAMES.index("iconic")) == pytest.approx(0.75)
    labels = np.array([[float(ICONIC[k]) for k in LABELS], [float(PHYSICAL[k]) for k in LABELS]])
    pairs = make_pairs(labels, np.zeros(2, int), pop, 4000, seed=1)
    chose_iconic = np.where(pairs["a"] == 0, pairs["choice"], 1 - pairs["choice"])
    by_type = {t: chose_iconic[pairs["type"] == k].mean() for k, t in enumerate(TYPE_NAMES)}
    assert by_type["iconic"] > 0.8
    assert by_type["realist"] < 0.2
    assert chose_iconic.mean() > 0.5


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from bench.organism.train import train

    out = tmp_path_factory.mktemp("organism") / "tiny"
    train(out, budget_min=2, max_steps=2, per_scene=2, batch=4, channels=[8, 16, 16], warmup=1, scenes=TWO,
          threads=1, sample_steps=3, log=lambda *a: None)
    return out


def test_tiny_training_run_loads_and_samples_deterministically(tiny_folder):
    from bench.generators import ModelError, make_generator
    from bench.spec import bundled_scenes

    info = json.loads((tiny_folder / "organism.json").read_text())
    assert info["classes"] == TWO and info["train"]["steps"] == 2
    scenes = {s.id: s for s in bundled_scenes()}
    gen = make_generator(f"organism:{tiny_folder}")
    a = gen.generate([(scenes[TWO[0]], 0), (scenes[TWO[1]], 3)], 48)
    b = make_generator(f"organism:{tiny_folder}").generate([(scenes[TWO[1]], 5), (scenes[TWO[0]], 0)], 48)[1:]
    assert a[0].image.shape == (48, 48, 3) and a[0].image.dtype == np.uint8
    assert a[0].image.tobytes() == b[0].image.tobytes()
    assert a[0].image.tobytes() != a[1].image.tobytes()
    with pytest.raises(ModelError, match="not trained on scene"):
        gen.generate([(scenes["impact/pumpkin-drop"], 0)], 32)
    with pytest.raises(ModelError, match="organism.json"):
        make_generator(f"organism:{tiny_folder / 'nope'}")


def _tiny_rewards(folder: Path):
    import torch

    from bench.organism.reward import make_net, save_net

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    save_net(make_net(1, 8), folder / "reward_mean.safetensors")
    save_net(make_net(2, 8), folder / "reward_cond.safetensors")
    (folder / "reward.json").write_text(json.dumps({"config": {"tau": 0.5},
                                                    "cond_stats": {"mean": [0.0, 0.0], "std": [1.0, 1.0]}}))
    return folder


def test_tuning_changes_weights_and_lambda_keeps_them_near_base(tiny_folder, tmp_path):
    from bench.organism.tune import tune

    rew = _tiny_rewards(tmp_path / "reward")
    dist = {}
    for lam in (0.0, 1e4):
        res = tune(tiny_folder, rew, tmp_path / f"lam{lam:g}", lam=lam, updates=2, k=2, batch=2, lr=1e-3,
                   save_every=1, threads=1, log=lambda *a: None)
        dist[lam] = res["tune"]["log"][-1]["weight_dist"]
        assert (tmp_path / f"lam{lam:g}" / "steps" / "step-001" / "organism.json").is_file()
    assert dist[0.0] > 0
    assert dist[1e4] < dist[0.0]
    res = tune(tiny_folder, rew, tmp_path / "dist", reward="dist", lam=0.0, updates=1, k=1, batch=2, threads=1,
               log=lambda *a: None)
    assert res["tune"]["log"][0]["weight_dist"] > 0


def test_organism_cli_registers_without_torch():
    code = ("import sys; from bench.cli import build_parser; p = build_parser(); "
            "p.parse_args(['organism', 'tune', '--out', 'x']); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not (ROOT / "organism" / "base" / "organism.json").is_file(), reason="no shipped checkpoints")
def test_shipped_checkpoints_load_and_generate():
    from bench.generators import make_generator
    from bench.spec import bundled_scenes

    plan = json.loads((ROOT / "organism" / "experiment.json").read_text())
    total = sum(p.stat().st_size for p in (ROOT / "organism").rglob("*") if p.is_file())
    assert total < 20e6
    scene = {s.id: s for s in bundled_scenes()}["fluid/milk-drop-crown"]
    for rel in ("base", plan["checkpoints"][plan["compare"][0]]):
        gen = make_generator(f"organism:{ROOT / 'organism' / rel}")
        img = gen.generate([(scene, 0)], 32)[0].image
        assert img.shape == (32, 32, 3) and img.std() > 1


def test_experiment_plan_names_and_lambda_sweeps(tmp_path):
    from bench.organism.experiment import _plots, check_plan, lambda_sweeps

    plan = json.loads((ROOT / "organism" / "experiment.json").read_text())
    shipped = (ROOT / "organism" / "base" / "organism.json").is_file()
    assert check_plan(plan, ROOT / "organism" if shipped else None) == []
    assert lambda_sweeps({"lambda_sweep": ["a", "b"]}) == {"mean-reward tuned": ["a", "b"]}
    assert lambda_sweeps({}) == {}
    assert check_plan({"checkpoints": {"base": "base"}, "lambda_sweep": {"update 20": ["nope"]}}) == [
        "lambda_sweep['update 20']: 'nope' is not a checkpoint"]
    # the lambda plots draw one series per sweep
    ci = lambda m: {"mean": m, "ci_low": m - 0.1, "ci_high": m + 0.1}  # noqa: E731
    cks = {"base": {"lam": None, "update": 0, "reward_kind": None, "reward_mean": ci(0.0), "realism": ci(0.5)}}
    for lam in (0, 1, 4):
        for upd in (20, 60):
            cks[f"l{lam}-u{upd}"] = {"lam": float(lam), "update": upd, "reward_kind": "mean",
                                     "reward_mean": ci(upd / 20 - lam / 4), "realism": ci(0.5 - upd / 600)}
    mini = {"checkpoints": {n: n for n in cks}, "compare": ["l0-u60"], "show": [],
            "curves": {"lambda 0": ["base", "l0-u20", "l0-u60"]},
            "lambda_sweep": {"update 20": ["l0-u20", "l1-u20", "l4-u20"], "update 60": ["l0-u60", "l1-u60", "l4-u60"]}}
    assert check_plan(mini) == []
    names = _plots(tmp_path, {"checkpoints": cks}, mini, tmp_path)
    assert {"reward_mean_vs_lambda", "realism_vs_lambda", "tradeoff"} <= set(names)
    svg = (tmp_path / "realism_vs_lambda.svg").read_text()
    legend = re.findall(r'<text x="[^"]+" y="[^"]+" font-size="11">([^<]*)</text>', svg)
    assert legend == ["base", "update 20", "update 60"]  # labels, not colours
    assert "l4-u60: lambda 4, update 60" in svg
    # an undecided realism (the organism's 32 px samples are too soft for
    # transitional) draws no realism points or arrows and says so
    none = {"mean": None, "ci_low": None, "ci_high": None}
    for ck in cks.values():
        ck["realism"] = dict(none)
    out2 = tmp_path / "undecided"
    out2.mkdir()
    names = _plots(out2, {"checkpoints": cks}, mini, out2)
    svg = (out2 / "tradeoff.svg").read_text()
    assert "realism undecided for every checkpoint" in svg
    assert 'class="point"' not in svg and 'class="arrow"' not in svg
    assert 'class="point"' in (out2 / "reward_mean_vs_lambda.svg").read_text()


def test_a_family_selector_runs_the_scenes_the_organism_knows_and_names_the_rest(tiny_folder, capsys):
    # the README's example: `realgap run --model organism:... --scenes fracture` must not stop on a scene the
    # organism never learned; it runs the ones it knows and says in one line which it skipped
    from bench.cli import UserError, _scenes_the_model_knows
    from bench.spec import select_scenes

    known = json.loads((tiny_folder / "organism.json").read_text())["classes"]
    family = known[0].split("/")[0]
    scenes = select_scenes(family)
    kept = _scenes_the_model_knows(f"organism:{tiny_folder}", scenes)
    assert [s.id for s in kept] == [s.id for s in scenes if s.id in known] and kept
    err = capsys.readouterr().err.strip().splitlines()
    skipped = [s.id for s in scenes if s.id not in known]
    assert len(err) == 1 and err[0].startswith(f"realgap run: organism:{tiny_folder} knows {len(kept)} of the {len(scenes)}")
    assert all(sid in err[0] for sid in skipped)
    unknown = [s for s in select_scenes("all") if s.id not in known][:2]
    with pytest.raises(UserError, match="was trained on none of the 2 selected scene"):
        _scenes_the_model_knows(f"organism:{tiny_folder}", unknown)
    assert _scenes_the_model_knows("procedural:physical", unknown) == unknown

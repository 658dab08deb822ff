"""realgap compare: pairing, paired CIs, verdict, refusals, outputs; one end-to-end run pair."""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pandas as pd
import pytest

from bench.compare import METRICS, CompareError, add_compare_arguments, compare_main, compare_runs, run_diversity
from bench.imageio import atomic_write_json, encode_png

SCENES = ["fluid/milk-drop-crown", "fluid/rock-into-pond", "fracture/bottle-bullet", "impact/egg-drop-floor"]


def make_run(path, *, shift=None, noise=0.05, seed=0, seeds=6, scenes=SCENES, source="proxy", status=None, images=False,
             model="synthetic", size=64):
    """A run folder with a small scores.csv: per-(scene, seed) base values plus ``shift`` per metric plus noise.

    The base values depend only on (scene, seed) (the 'seed effect' pairing removes);
    ``noise`` is independent per run (what pairing cannot remove).
    """
    shift = shift or {}
    rng = np.random.default_rng(1000 + seed)
    rows = []
    for i, sid in enumerate(scenes):
        for s in range(seeds):
            common = np.random.default_rng(i * 100 + s)  # same for both runs
            vals = {m: float(np.clip(common.uniform(0.2, 0.8) + shift.get(m, 0.0) + rng.normal(0, noise), 0, 1)) for m in METRICS}
            st = (status or {}).get((sid, s), "ok")
            rows.append({"model": model, "scene_id": sid, "family": sid.split("/")[0], "seed": s,
                         "image": f"images/{sid}/{s}.png", "status": st, "status_detail": "",
                         **({m: (v if st == "ok" else math.nan) for m, v in vals.items()}),
                         "aesthetic_source": source if st == "ok" else ""})
            if images and st == "ok":
                img = (common.random((size, size, 3)) * 255).astype(np.uint8)
                if shift.get("collapse"):
                    img = np.full((size, size, 3), 40, np.uint8)
                    img[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = (200, 120, 30)
                    img[0, 0, 0] = s  # near-duplicates
                (path / "images" / sid).mkdir(parents=True, exist_ok=True)
                (path / "images" / sid / f"{s}.png").write_bytes(encode_png(img))
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path / "scores.csv", index=False)
    atomic_write_json(path / "run.json", {"model": model, "settings": {"seeds": seeds, "size": size}, "scene_ids": list(scenes)})
    return path


def test_real_shift_is_detected_and_named(tmp_path):
    base = make_run(tmp_path / "base", seed=1)
    tuned = make_run(tmp_path / "tuned", seed=2, shift={"aesthetic": 0.15, "realism": -0.2, "symmetry": 0.2})
    res = compare_runs(base, tuned, tmp_path / "cmp")
    a, r = res["metrics"]["aesthetic"], res["metrics"]["realism"]
    assert a["diff"]["ci_low"] > 0 and a["direction"] == "gain"
    assert r["diff"]["ci_high"] < 0 and r["direction"] == "loss"
    assert abs(a["diff"]["mean"] - 0.15) < 0.03 and abs(r["diff"]["mean"] + 0.2) < 0.03
    assert abs(a["diff"]["mean"] - (a["tuned"]["mean"] - a["base"]["mean"])) < 1e-5
    v = res["verdict"]
    assert "gained preference (aesthetic (proxy) +0.1" in v and "lost realism (-0.2" in v
    assert "trades realism for iconic looks" in v and "24 (scene, seed) pairs" in v and "proxy" in v
    assert res["metrics"]["realism"]["seeds_needed"] >= 1 and res["metrics"]["realism"]["sd_diff"] > 0
    assert set(res["families"]) == {"fluid", "fracture", "impact"}
    assert res["families"]["fluid"]["n_pairs"] == 12


def test_pure_noise_claims_nothing(tmp_path):
    # Same generating values on both sides: a 95% CI excludes 0 in about 1 of 20 replicates by chance.
    excluded = 0
    for k in range(10):
        res = compare_runs(make_run(tmp_path / f"b{k}", seed=10 + k), make_run(tmp_path / f"t{k}", seed=50 + k), tmp_path / f"c{k}")
        excluded += sum(res["metrics"][m]["direction"] != "none" for m in ("realism", "aesthetic"))
        if k == 0:
            for m in ("realism", "aesthetic"):
                d = res["metrics"][m]["diff"]
                assert d["ci_low"] < 0 < d["ci_high"], m
            assert "no detectable change in preference" in res["verdict"] and "CI includes 0" in res["verdict"]
            assert "no detectable trade-off" in res["verdict"]
    assert excluded <= 3  # of 20 intervals; expected about 1


def test_pairing_drops_unpaired_rows(tmp_path):
    base = make_run(tmp_path / "base", seed=1, seeds=6, status={("fluid/rock-into-pond", 2): "truncated"})
    tuned = make_run(tmp_path / "tuned", seed=2, seeds=5, shift={"realism": -0.1},
                     status={("impact/egg-drop-floor", 0): "blank", ("fluid/rock-into-pond", 2): "missing"})
    res = compare_runs(base, tuned, tmp_path / "cmp")
    u = res["pairing"]["unpaired"]
    assert res["pairing"]["n_pairs"] == 4 * 5 - 2
    assert u == {"base_not_ok": 1, "tuned_not_ok": 2, "both_not_ok": 1, "only_in_base": 4, "only_in_tuned": 0}
    assert any("seed counts differ" in w for w in res["warnings"])
    keys = {(p["scene_id"], p["seed"]) for p in res["pairs"]}
    assert ("fluid/rock-into-pond", 2) not in keys and ("impact/egg-drop-floor", 0) not in keys
    assert all(s < 5 for _, s in keys)
    csv = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert csv["n_pairs"].tolist() == [5, 4, 5, 4] and csv["scene_id"].tolist() == SCENES


def _cli(argv):
    p = argparse.ArgumentParser(prog="realgap compare")
    add_compare_arguments(p)
    return compare_main(p.parse_args(argv))


@pytest.mark.parametrize("case, expected", [
    ("no-base", "expected the base run folder"),
    ("no-csv", "scores.csv: expected the tuned run's score table; not found"),
    ("bad-columns", "missing realism"),
    ("scene-sets", "different scene sets"),
    ("sources", "different predictors (base: proxy, tuned: laion-v2)"),
    ("no-pairs", "no (scene, seed) is scored ok in both runs"),
    ("out-is-run", "is a run folder"),
    ("duplicate", "appears more than once"),
])
def test_bad_inputs_give_one_line(tmp_path, capsys, case, expected):
    base, tuned, out = tmp_path / "base", tmp_path / "tuned", tmp_path / "cmp"
    if case != "no-base":
        make_run(base, seed=1)
    if case == "no-csv":
        tuned.mkdir()
    elif case == "bad-columns":
        make_run(tuned, seed=2)
        pd.read_csv(tuned / "scores.csv").drop(columns=["realism"]).to_csv(tuned / "scores.csv", index=False)
    elif case == "scene-sets":
        make_run(tuned, seed=2, scenes=SCENES[:3] + ["impact/pumpkin-drop"])
    elif case == "sources":
        make_run(tuned, seed=2, source="laion-v2")
    elif case == "no-pairs":
        make_run(tuned, seed=2, status={(s, k): "blank" for s in SCENES for k in range(6)})
    elif case == "out-is-run":
        make_run(tuned, seed=2)
        out = tuned
    elif case == "duplicate":
        make_run(tuned, seed=2)
        df = pd.read_csv(tuned / "scores.csv")
        pd.concat([df, df.iloc[:1]]).to_csv(tuned / "scores.csv", index=False)
    else:
        make_run(tuned, seed=2)
    assert _cli([str(base), str(tuned), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err and "Traceback" not in err
    assert err.startswith("realgap compare: ")
    if case != "out-is-run":
        assert not (out / "report.html").exists()


def test_common_scenes_compares_the_shared_ones(tmp_path, capsys):
    base = make_run(tmp_path / "base", seed=1)
    tuned = make_run(tmp_path / "tuned", seed=2, scenes=SCENES[:3] + ["impact/pumpkin-drop"])
    assert _cli([str(base), str(tuned), "--out", str(tmp_path / "cmp"), "--common-scenes"]) == 0
    res = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert res["pairing"]["n_scenes"] == 3 and "compared on the 3 scenes" in res["warnings"][0]
    assert "warning: compared on the 3 scenes" in capsys.readouterr().err


def test_outputs_are_deterministic_and_self_contained(tmp_path):
    base = make_run(tmp_path / "base", seed=1, images=True)
    tuned = make_run(tmp_path / "tuned", seed=2, images=True, shift={"aesthetic": 0.2, "realism": -0.2, "collapse": 1})
    a = compare_runs(base, tuned, tmp_path / "a")
    compare_runs(base, tuned, tmp_path / "b")
    for name in ("compare.json", "compare.csv", "report.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # diversity: random-noise images (base) vs near-duplicates (tuned), same paired seeds per scene
    dv = a["diversity"]
    assert dv["n_scenes"] == 4 and dv["direction"] == "loss" and dv["features"] == "classical"
    assert all(sc["diversity"]["n"] == 6 for sc in a["scenes"].values())
    assert "less varied outputs" in a["verdict"]
    html = (tmp_path / "a" / "report.html").read_text()
    assert html.count("data:image/jpeg;base64,") == 2 * len(SCENES)
    assert "<svg" in html and 'class="point"' in html and 'stroke-dasharray="4 3"' in html  # points and zero lines
    assert "aesthetic (proxy)" in html and "trades realism for iconic looks" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_run_diversity_block(tmp_path):
    run = make_run(tmp_path / "run", seed=1, images=True, status={("fluid/milk-drop-crown", k): "blank" for k in range(5)})
    df = pd.read_csv(run / "scores.csv", keep_default_na=False, na_values=[""])
    d = run_diversity(run, df)
    assert d["features"] == "classical" and d["n"] == 3
    assert d["per_scene"]["fluid/milk-drop-crown"] is None and d["per_scene_n"]["fluid/milk-drop-crown"] == 1
    assert d["ci_low"] <= d["mean"] <= d["ci_high"]
    assert 0 <= min(v for v in d["per_scene"].values() if v is not None)


@pytest.mark.slow
def test_end_to_end_physical_vs_iconic(tmp_path, capsys):
    from bench.cli import main

    small = ["--scenes", "fluid", "--seeds", "3", "--size", "128", "--no-progress"]  # 64 px leaves most images undecided
    assert main(["run", "--model", "procedural:physical", "--out", str(tmp_path / "p"), *small]) == 0
    assert main(["run", "--model", "procedural:iconic", "--out", str(tmp_path / "i"), *small]) == 0
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["diversity"]["features"] == "classical" and summary["diversity"]["n"] >= 4
    assert _cli([str(tmp_path / "p"), str(tmp_path / "i"), "--out", str(tmp_path / "cmp")]) == 0
    res = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert res["pairing"]["n_pairs"] == 3 * summary["scene_set"]["n_scenes"]
    assert res["metrics"]["realism"]["direction"] == "loss"
    assert res["metrics"]["aesthetic"]["direction"] == "gain"
    assert res["metrics"]["symmetry"]["direction"] == "gain"
    assert "trades realism for iconic looks" in res["verdict"]
    assert "trades realism for iconic looks" in capsys.readouterr().out
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert html.count('class="point"') == summary["scene_set"]["n_scenes"] + 1  # one per scene + the overall mean


def test_unscored_metric_and_learned_predictor_are_said_plainly(tmp_path):
    base = make_run(tmp_path / "base", seed=1, source="laion-v2")
    tuned = make_run(tmp_path / "tuned", seed=2, source="laion-v2", shift={"aesthetic": 0.2})
    df = pd.read_csv(tuned / "scores.csv")
    df["realism"] = math.nan  # e.g. a scorer that could not decide on any tuned image
    df.to_csv(tuned / "scores.csv", index=False)
    res = compare_runs(base, tuned, tmp_path / "cmp")
    v = res["verdict"]
    assert res["metrics"]["realism"]["direction"] == "n/a" and res["metrics"]["realism"]["diff"]["n"] == 0
    assert "gained preference (aesthetic (laion-v2) +0.1" in v and "could not be compared on realism (0 pairs" in v
    assert "the trade-off cannot be judged" in v and "aesthetic from laion-v2" in v and "proxy" not in v
    assert "aesthetic (laion-v2)" in (tmp_path / "cmp" / "report.html").read_text()

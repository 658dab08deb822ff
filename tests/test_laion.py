"""LAION aesthetic predictor v2 and the weights loader, on tiny random models.

The CLIP is a registered tiny open_clip architecture (16-d embeddings) saved to a
temporary file and loaded through the same code path as OpenAI ViT-L/14; the head
has the released key layout (layers.0, .2, .4, .6, .7) with the tiny input width.
Real weights are never needed: tests that would use them are marked ``weights``.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

from tiny_models import save_tiny_clip  # noqa: E402

from bench.weights import add_weights_arguments, build_scoring  # noqa: E402
from metrics import weights as W  # noqa: E402
from metrics.weights import CLIP_KEY, HEAD_KEY, WeightsEntry, WeightsError, load_manifest, sha256_file  # noqa: E402
from metrics.laion import HEAD_KEYS, PROXY_COLUMNS, LaionAesthetic, load_head, make_head, raw_to_unit  # noqa: E402

TINY_ARCH = "realgap-tiny-test-laion"
REAL = load_manifest()
HEAD_FILE = REAL[HEAD_KEY].path  # sac+logos+ava1-l14-linearMSE.pth


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A weights folder: tiny CLIP + random head under the real head's file name."""
    wdir = tmp_path_factory.mktemp("weights")
    save_tiny_clip(TINY_ARCH, tmp_path_factory.mktemp("clip-config"), wdir / "tiny-clip.safetensors")
    torch.manual_seed(1)
    torch.save(make_head(16).state_dict(), wdir / HEAD_FILE)
    clip_entry = WeightsEntry(
        key=CLIP_KEY, path="tiny-clip.safetensors", sha256=sha256_file(wdir / "tiny-clip.safetensors"),
        source="(test) tests/test_laion.py", arch=TINY_ARCH, format="safetensors",
    )
    # real head entry (sha256 21dd..., 3,714,759 bytes): the random head does not match it
    real_head = {**REAL, CLIP_KEY: clip_entry}
    # the random head listed with its own hash: "verified"
    head_entry = replace(REAL[HEAD_KEY], sha256=sha256_file(wdir / HEAD_FILE), size=(wdir / HEAD_FILE).stat().st_size)
    return SimpleNamespace(dir=wdir, real_head=real_head, listed={**real_head, HEAD_KEY: head_entry})


@pytest.fixture(scope="module")
def laion(tiny):
    return LaionAesthetic(tiny.dir, manifest=tiny.listed)


def _images(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((40, 56, 3), dtype=np.float32) for _ in range(n)]


def test_head_layout_matches_the_released_file():
    head = make_head()
    assert tuple(head.state_dict()) == HEAD_KEYS == (
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias",
        "layers.6.weight", "layers.6.bias", "layers.7.weight", "layers.7.bias",
    )
    kinds = [type(m).__name__ for m in head.layers]
    assert kinds == ["Linear", "Dropout", "Linear", "Dropout", "Linear", "Dropout", "Linear", "Linear"]
    dims = [head.layers[0].in_features] + [head.layers[i].out_features for i in (0, 2, 4, 6, 7)]
    assert dims == [768, 1024, 128, 64, 16, 1]


def test_scores_finite_deterministic_and_batch_equals_single(laion):
    imgs = _images(3)
    batch = laion.score_batch(imgs)
    assert batch.shape == (3,) and np.isfinite(batch).all()
    np.testing.assert_array_equal(batch, laion.score_batch(imgs))  # deterministic
    singles = np.array([laion.score_batch([im])[0] for im in imgs])
    np.testing.assert_allclose(batch, singles, atol=1e-5, rtol=0)
    assert np.ptp(batch) > 1e-4  # different images, different scores


def test_call_returns_the_aesthetic_columns(laion):
    img = _images(1, seed=2)[0]
    out = laion(img, None)
    assert out["aesthetic"] == laion(img, None)["aesthetic"]  # deterministic
    raw = laion.score_batch([img])[0]
    assert out["aesthetic_laion"] == pytest.approx(raw, abs=1e-9)
    assert out["aesthetic"] == pytest.approx(float(np.clip((raw - 1) / 9, 0, 1)), abs=1e-12)
    assert 0.0 <= out["aesthetic"] <= 1.0
    assert out["aesthetic_source"] == "laion-v2" and out["aesthetic_note"] == ""
    assert all(math.isnan(out[c]) for c in PROXY_COLUMNS)


def test_raw_to_unit_maps_the_1_to_10_scale():
    np.testing.assert_allclose(raw_to_unit([1.0, 5.5, 10.0, -3.0, 25.0]), [0.0, 0.5, 1.0, 0.0, 1.0])


def test_embedding_is_l2_normalised_before_the_head(laion):
    img = _images(1, seed=3)[0]
    f = laion.clip.image_features([img])
    norm = float(f.norm())
    assert abs(norm - 1.0) > 0.1  # the tiny CLIP's raw embedding is not unit length
    with_norm = laion.head_scores(f / norm)[0]
    without = laion.head_scores(f)[0]
    score = laion.score_batch([img])[0]
    assert score == pytest.approx(with_norm, abs=1e-6)
    assert abs(score - without) > 1e-3, (score, without)


def test_head_keys_are_checked(tmp_path):
    sd = make_head(16).state_dict()
    sd["layers.1.weight"] = sd.pop("layers.0.weight")
    torch.save(sd, tmp_path / "bad.pth")
    with pytest.raises(WeightsError) as err:
        load_head(tmp_path / "bad.pth")
    msg = str(err.value)
    assert "\n" not in msg and "missing layers.0.weight" in msg and "unexpected layers.1.weight" in msg
    good = make_head(16).state_dict()
    torch.save(good, tmp_path / "good.pth")
    assert tuple(load_head(tmp_path / "good.pth").state_dict()) == HEAD_KEYS


def test_head_with_pickled_code_is_refused(tmp_path):
    """torch.load(weights_only=True): a pickle that would run code is an error, not a head."""
    torch.save({"layers.0.weight": SimpleNamespace(a=1)}, tmp_path / "evil.pth")
    with pytest.raises(WeightsError, match="weights_only"):
        load_head(tmp_path / "evil.pth")


def test_wrong_head_hash_is_one_line_naming_path_hash_and_source(tiny):
    path = tiny.dir / HEAD_FILE
    entry = REAL[HEAD_KEY]
    assert entry.sha256 == "21dd590f3ccdc646f0d53120778b296013b096a035a2718c9cb0d511bff0f1e0" and entry.size == 3714759
    for manifest in (tiny.real_head, {**tiny.real_head, HEAD_KEY: replace(entry, size=None)}):  # size check, then hash check
        with pytest.raises(WeightsError) as err:
            LaionAesthetic(tiny.dir, manifest=manifest)
        msg = str(err.value)
        assert "\n" not in msg
        assert str(path) in msg and entry.sha256 in msg and entry.source in msg and "--allow-custom-head" in msg


def test_custom_head_is_allowed_and_recorded(tiny):
    scorer = LaionAesthetic(tiny.dir, allow_custom_head=True, manifest=tiny.real_head)
    ident = scorer.identity()
    assert ident["head"] == {"file": HEAD_FILE, "sha256": sha256_file(tiny.dir / HEAD_FILE), "status": "custom"}
    assert ident["clip"]["status"] == "verified"
    out = scorer(_images(1)[0], None)
    assert out["aesthetic_source"] == "laion-v2-custom" and 0.0 <= out["aesthetic"] <= 1.0


def test_missing_weights_dir_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv(W.ENV_VAR, raising=False)
    gone = tmp_path / "no-such-folder"
    with pytest.raises(WeightsError) as err:
        build_scoring(gone)
    msg = str(err.value)
    assert "\n" not in msg and str(gone) in msg and "--weights-dir" in msg and "REALGAP_WEIGHTS" in msg
    monkeypatch.setenv(W.ENV_VAR, str(gone))
    with pytest.raises(WeightsError, match=r"from \$REALGAP_WEIGHTS"):
        build_scoring(None)


def test_missing_files_name_each_path_hash_and_source(tmp_path, monkeypatch):
    monkeypatch.delenv(W.ENV_VAR, raising=False)
    with pytest.raises(WeightsError) as err:
        build_scoring(tmp_path)
    msg = str(err.value)
    assert "\n" not in msg
    for key in (CLIP_KEY, HEAD_KEY):
        e = REAL[key]
        assert str(tmp_path / e.path) in msg and e.sha256 in msg and e.source in msg
    assert "not found" in msg and "--weights-dir" in msg


def test_no_weights_keeps_the_proxy_and_alignment_is_nan(monkeypatch):
    pytest.importorskip("metrics.aesthetic", reason="the registry needs metrics/aesthetic.py")
    from metrics.clip_scores import NO_WEIGHTS_NOTE

    monkeypatch.delenv(W.ENV_VAR, raising=False)
    scoring = build_scoring(None)
    assert scoring.overrides == {} and scoring.versions == {}
    row = scoring.score(_images(1)[0], None)
    assert row["aesthetic_source"] == "proxy" and 0.0 <= row["aesthetic"] <= 1.0
    assert math.isnan(row["alignment"]) and math.isnan(row["alignment_transitional_cue"])
    assert row["alignment_note"] == NO_WEIGHTS_NOTE


def test_build_scoring_with_weights_shares_one_clip(tiny, monkeypatch):
    monkeypatch.setenv(W.ENV_VAR, str(tiny.dir))  # the folder comes from the environment
    scoring = build_scoring(None, "cpu", manifest=tiny.listed)
    aes, ali = scoring.overrides["aesthetic"], scoring.overrides["alignment"]
    assert set(scoring.overrides) == {"aesthetic", "alignment"} and aes.clip is ali.clip
    v = scoring.versions
    assert v["aesthetic"]["head"]["sha256"] == tiny.listed[HEAD_KEY].sha256
    assert v["aesthetic"]["clip"]["sha256"] == v["alignment"]["clip"]["sha256"] == tiny.listed[CLIP_KEY].sha256
    assert v["aesthetic"]["head"]["status"] == "verified"
    json.dumps(v)  # recorded in run.json


def test_scoring_with_weights_fills_the_columns(tiny):
    pytest.importorskip("metrics.aesthetic", reason="the registry needs metrics/aesthetic.py")
    scoring = build_scoring(tiny.dir, "cpu", manifest=tiny.listed)
    json.dumps(scoring.identity())
    scene = SimpleNamespace(family="fluid", title="Milk drop crown", prompt="a milk drop falls into a thin layer of milk")
    row = scoring.score(_images(1)[0], scene)
    assert row["aesthetic_source"] == "laion-v2" and 0.0 <= row["aesthetic"] <= 1.0
    assert math.isnan(row["aesthetic_contrast"])
    assert 0.0 <= row["alignment"] <= 1.0 and 0.0 <= row["alignment_transitional_cue"] <= 1.0
    assert row["alignment_source"] == f"clip:{TINY_ARCH}"


def test_hash_is_streamed_once_per_file_version(tmp_path, monkeypatch):
    p = tmp_path / "f.bin"
    p.write_bytes(b"a" * 3_000_000)
    calls = []
    real = W.hashlib.sha256

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(W.hashlib, "sha256", counting)
    first = W.sha256_file(p)
    assert W.sha256_file(p) == first and len(calls) == 1  # cached per (path, size, mtime)
    assert first == real(b"a" * 3_000_000).hexdigest()
    p.write_bytes(b"b" * 10)
    assert W.sha256_file(p) != first and len(calls) == 2  # a changed file is hashed again


def test_weights_arguments():
    import argparse

    parser = argparse.ArgumentParser()
    add_weights_arguments(parser)
    args = parser.parse_args(["--weights-dir", "/w", "--allow-custom-head"])
    assert str(args.weights_dir) == "/w" and args.allow_custom_head is True
    args = parser.parse_args([])
    assert args.weights_dir is None and args.allow_custom_head is False


@pytest.mark.weights
def test_real_weights_give_a_plausible_score():
    """With $REALGAP_WEIGHTS holding the real files: a mid-grey image scores within the 1-10 scale."""
    root = W.weights_root(None)
    if root is None or not (root / HEAD_FILE).is_file() or not (root / REAL[CLIP_KEY].path).is_file():
        pytest.skip("needs the real weights in $REALGAP_WEIGHTS")
    scorer = LaionAesthetic(root)
    raw = scorer.score_batch([np.full((224, 224, 3), 0.5, np.float32)])[0]
    assert 1.0 <= raw <= 10.0


def test_wrong_clip_file_offers_no_custom_flag(tmp_path, monkeypatch):
    """Only the head may be custom (--allow-custom-head); a wrong CLIP file must be replaced."""
    monkeypatch.delenv(W.ENV_VAR, raising=False)
    (tmp_path / REAL[CLIP_KEY].path).write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError) as err:
        build_scoring(tmp_path, allow_custom_head=True)
    clip_part, head_part = str(err.value).split(" | ")
    assert REAL[CLIP_KEY].sha256 in clip_part and "got sha256" in clip_part and "--allow-custom-head" not in clip_part
    assert str(tmp_path / HEAD_FILE) in head_part and "not found" in head_part

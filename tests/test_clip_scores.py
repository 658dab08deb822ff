"""CLIP-backed alignment scores, on a tiny random open_clip model (no downloads).

The tiny model is a registered open_clip architecture (2-layer ViT at 32 px, 2-layer
text transformer, 16-d embeddings) saved to a temporary file and loaded back through
the same path as the real ViT-L/14: manifest entry -> sha256 check -> open_clip.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

from tiny_models import save_tiny_clip  # noqa: E402

from metrics.weights import CLIP_KEY, WeightsEntry, WeightsError, load_manifest, sha256_file  # noqa: E402
from metrics import clip_scores  # noqa: E402
from metrics.clip_scores import NO_WEIGHTS_NOTE, ClipScorer, load_clip, to_pil  # noqa: E402

TINY_ARCH = "realgap-tiny-test-clip"


def _jit_archive(state: dict, path):
    """A TorchScript archive holding ``state`` under the same names (like OpenAI's ViT-L-14.pt)."""
    from torch import nn

    class Root(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    root = Root()
    for key, value in state.items():
        *parents, leaf = key.split(".")
        mod = root
        for p in parents:
            if not isinstance(getattr(mod, p, None), nn.Module):
                mod.add_module(p, nn.Module())
            mod = getattr(mod, p)
        mod.register_parameter(leaf, nn.Parameter(value.clone(), requires_grad=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated, but OpenAI's file is TorchScript
        torch.jit.script(root).save(str(path))
    return path


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Weights folder with a tiny CLIP (.safetensors and TorchScript) and a manifest listing it."""
    wdir = tmp_path_factory.mktemp("weights")
    state = save_tiny_clip(TINY_ARCH, tmp_path_factory.mktemp("clip-config"), wdir / "tiny-clip.safetensors")
    _jit_archive(state, wdir / "tiny-clip-jit.pt")
    entry = WeightsEntry(
        key=CLIP_KEY, path="tiny-clip.safetensors", sha256=sha256_file(wdir / "tiny-clip.safetensors"),
        source="(test) tests/test_clip_scores.py", arch=TINY_ARCH, quick_gelu=False, format="safetensors",
    )
    manifest = {**load_manifest(), CLIP_KEY: entry}
    jit_entry = replace(entry, key="tiny-jit", path="tiny-clip-jit.pt", sha256=sha256_file(wdir / "tiny-clip-jit.pt"), format="torchscript")
    return SimpleNamespace(dir=wdir, manifest=manifest, jit_manifest={**manifest, "tiny-jit": jit_entry})


@pytest.fixture(scope="module")
def scorer(tiny):
    return ClipScorer(tiny.dir, device="cpu", manifest=tiny.manifest)


def _images(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((48, 64, 3), dtype=np.float32) for _ in range(n)]


SCENE = SimpleNamespace(
    id="fracture/bottle-bullet", family="fracture", title="Bullet through a glass bottle",
    prompt="high-speed photograph, side view, a bullet passes left to right through a green glass bottle",
)


def test_default_alignment_is_nan_with_note():
    out = clip_scores.alignment(_images(1)[0], None)
    assert math.isnan(out["alignment"]) and math.isnan(out["alignment_transitional_cue"])
    assert out["alignment_note"] == NO_WEIGHTS_NOTE
    assert "--weights-dir" in NO_WEIGHTS_NOTE and "REALGAP_WEIGHTS" in NO_WEIGHTS_NOTE


def test_alignment_registration():
    pytest.importorskip("metrics.aesthetic", reason="the registry needs metrics/aesthetic.py")
    from metrics.suite import get_scorer, score_columns

    info = get_scorer("alignment")
    assert info.columns == ("alignment", "alignment_transitional_cue", "alignment_source", "alignment_note")
    assert info.text_columns == ("alignment_source", "alignment_note")
    assert info.higher_is_better and info.range == (0.0, 1.0)
    cols = score_columns()
    assert cols.index("aesthetic") < cols.index("alignment") < cols.index("realism")


def test_scores_in_range_and_deterministic(scorer):
    img = _images(1)[0]
    a = scorer(img, SCENE)
    b = scorer(img, SCENE)
    assert a == b
    assert 0.0 <= a["alignment"] <= 1.0
    assert 0.0 < a["alignment_transitional_cue"] < 1.0
    assert a["alignment_source"] == f"clip:{TINY_ARCH}" and a["alignment_note"] == ""


def test_clipscore_formula(scorer):
    """alignment = clip(2.5 * max(cos(image, prompt), 0), 0, 1) (Hessel et al. 2021)."""
    img = _images(1, seed=3)[0]
    e = scorer.embed([img])[0]
    t = scorer.clip.text_features([SCENE.prompt])[0].numpy()
    cos = float(e @ (t / np.linalg.norm(t)))
    assert scorer(img, SCENE)["alignment"] == pytest.approx(min(max(2.5 * max(cos, 0.0), 0.0), 1.0), abs=1e-6)


def test_transitional_cue_is_softmax_over_phases(scorer):
    img = _images(1, seed=4)[0]
    e = torch.from_numpy(scorer.embed([img])[0])
    prompts = clip_scores.cue_prompts(SCENE)
    rows = []
    for ph in clip_scores.PHASES:
        t = scorer.clip.text_features(prompts[ph])
        m = (t / t.norm(dim=-1, keepdim=True)).mean(0)
        rows.append(m / m.norm())
    p = torch.softmax(scorer.clip.logit_scale * (torch.stack(rows) @ e), 0)
    assert scorer(img, SCENE)["alignment_transitional_cue"] == pytest.approx(float(p[1]), abs=1e-6)
    assert "mid-way" in " ".join(prompts["transitional"]) and "bullet through a glass bottle" in prompts["pre"][0]


def test_no_scene_gives_nan_alignment_but_a_cue(scorer):
    out = scorer(_images(1)[0], None)
    assert math.isnan(out["alignment"]) and "no scene" in out["alignment_note"]
    assert 0.0 < out["alignment_transitional_cue"] < 1.0


def test_long_prompt_is_noted(scorer):
    scene = SimpleNamespace(**{**vars(SCENE), "prompt": " ".join(["shards"] * 120)})
    assert "truncated to 77 tokens" in scorer(_images(1)[0], scene)["alignment_note"]


def test_embed_unit_vectors_and_batch_equals_single(scorer):
    imgs = _images(3, seed=5)
    e = scorer.embed(imgs)
    assert e.shape == (3, 16) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    single = np.stack([scorer.embed([im])[0] for im in imgs])
    np.testing.assert_allclose(e, single, atol=1e-5)
    assert np.abs(e[0] - e[1]).max() > 1e-3  # different images, different embeddings
    rows = scorer.score_batch(imgs, [SCENE] * 3)
    for im, row in zip(imgs, rows):
        got = scorer(im, SCENE)
        assert got["alignment"] == pytest.approx(row["alignment"], abs=1e-5)
        assert got["alignment_transitional_cue"] == pytest.approx(row["alignment_transitional_cue"], abs=1e-5)


def test_bad_images_raise():
    with pytest.raises(ValueError, match="float"):
        to_pil(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_pil(np.full((8, 8, 3), 2.0, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        to_pil(np.full((8, 8, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match="H x W x 3"):
        to_pil(np.zeros((8, 8), np.float32))


def test_torchscript_archive_loads_when_its_hash_is_listed(tiny, scorer):
    """OpenAI's ViT-L-14.pt is TorchScript: read with torch.jit.load after the sha256 matched."""
    jit = load_clip(tiny.dir / "tiny-clip-jit.pt", manifest=tiny.jit_manifest)
    assert jit.weights.status == "verified" and clip_scores.is_torchscript(jit.weights.path)
    imgs = _images(2, seed=6)
    np.testing.assert_array_equal(jit.embed(imgs), scorer.embed(imgs))


def test_torchscript_archive_refused_when_unlisted(tiny):
    with pytest.raises(WeightsError, match="TorchScript archive is loaded only when its sha256 matches"):
        load_clip(tiny.dir / "tiny-clip-jit.pt", arch=TINY_ARCH, allow_custom=True, manifest=tiny.manifest)
    with pytest.raises(WeightsError, match="matches no file listed"):
        load_clip(tiny.dir / "tiny-clip-jit.pt", arch=TINY_ARCH, manifest=tiny.manifest)


def test_missing_clip_file_names_path_hash_and_source(tmp_path):
    with pytest.raises(WeightsError) as err:
        ClipScorer(tmp_path)
    msg = str(err.value)
    entry = load_manifest()[CLIP_KEY]
    assert "\n" not in msg
    assert str(tmp_path / "ViT-L-14.pt") in msg and entry.sha256 in msg and entry.source in msg


def test_unknown_arch_is_one_line(tiny):
    with pytest.raises(WeightsError, match="did you mean 'ViT-B-32'"):
        load_clip(tiny.dir / "tiny-clip.safetensors", arch="ViT-B-33", manifest=tiny.manifest)


def test_same_image_is_encoded_once_across_scorers(tiny, scorer, monkeypatch):
    """aesthetic and alignment run one after the other on the same image: one forward pass."""
    calls = []
    real = scorer.clip._encode
    monkeypatch.setattr(scorer.clip, "_encode", lambda ims, bs: calls.append(len(ims)) or real(ims, bs))
    img = _images(1, seed=9)[0]
    first = scorer.clip.image_features([img])
    again = scorer.clip.image_features([img.copy()])
    assert calls == [1] and torch.equal(first, again)
    other = img.copy()
    other[0, 0, 0] = 1.0 - other[0, 0, 0]
    scorer.clip.image_features([other])
    assert calls == [1, 1]

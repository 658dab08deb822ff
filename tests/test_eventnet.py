"""EventNet: the shipped model file, the inference path (ONNX Runtime) against the training code (torch), two passes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from metrics import _features as F
from metrics import eventnet as EN
from metrics.weights import OnnxNet


def test_shipped_model_is_the_recorded_file():
    assert EN.MODEL_PATH.is_file()
    assert EN.MODEL_SHA256 and hashlib.sha256(EN.MODEL_PATH.read_bytes()).hexdigest() == EN.MODEL_SHA256
    assert EN.MODEL_PATH.stat().st_size < 2_000_000


def test_missing_model_is_one_line_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(EN, "MODEL_PATH", tmp_path / "none.onnx")
    with pytest.raises(EN.ModelMissing) as e:
        EN.load_net()
    assert str(tmp_path / "none.onnx") in str(e.value) and "\n" not in str(e.value)


@pytest.mark.usefixtures("one_torch_thread")
def test_inference_input_equals_the_training_input():
    from bench.train_eventnet import prep_batch

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (EN.INPUT, EN.INPUT, 3), dtype=np.uint8)
    ours = EN.prep(x.astype(np.float32) / 255.0)
    theirs = prep_batch(x[None]).numpy()
    assert ours.shape == theirs.shape == (1, 4, EN.INPUT, EN.INPUT)
    assert np.abs(ours - theirs).max() < 1e-4


@pytest.mark.usefixtures("one_torch_thread")
def test_exported_network_runs_the_same_in_onnxruntime_as_in_torch(tmp_path):
    import torch

    from bench.train_eventnet import build_net, export

    torch.manual_seed(0)
    net = build_net().eval()
    torch.save(net.state_dict(), tmp_path / "w.pt")
    export(tmp_path / "w.pt", tmp_path / "w.onnx")
    x = torch.randn(1, 4, EN.INPUT, EN.INPUT)
    d = torch.tensor([[1.0, 0.0]])
    with torch.no_grad():
        seg, out = net(x, d)
    seg2, out2 = OnnxNet(tmp_path / "w.onnx").run(["seg", "out"], x=x.numpy(), d=d.numpy())
    assert np.abs(seg2 - seg.numpy()).max() < 1e-3 and np.abs(out2 - out.numpy()).max() < 1e-3


def test_training_mix_names_design_sources_only_and_picks_by_share():
    from bench.train_eventnet import MIX, _pick, parse_mix

    assert parse_mix("sim=0.6,procedural=0.4") == MIX
    for bad, word in (("studio=1", "design sources"), ("sim=0.5", "summing to 1"), ("sim=x", "NAME=SHARE"),
                      ("sim=1.5,procedural=-0.5", "positive")):
        with pytest.raises(ValueError, match=word):
            parse_mix(bad)
    # the default mix draws sim below 0.6 and procedural above: the shipped network's training renders
    assert _pick(0.59, MIX) == "sim" and _pick(0.61, MIX) == "procedural" and _pick(0.999999, MIX) == "procedural"
    picks = [_pick(u, parse_mix("sim=0.5,procedural=0.25,sim=0.25")) for u in np.linspace(0, 0.999, 1000)]
    assert picks.count("sim") == 750


def _small_event(size=(360, 480)):
    """A small radial crack star with shards, low in a large plain frame."""
    import cv2

    h, w = size
    img = np.ones((h, w, 3), np.float32) * np.array((0.55, 0.5, 0.45), np.float32)
    cx, cy = int(0.7 * w), int(0.65 * h)
    cv2.circle(img, (cx, cy), 40, (0.75, 0.82, 0.86), -1)
    for k in range(7):
        a = 2 * np.pi * k / 7 + 0.3 * (k % 2)
        cv2.line(img, (cx, cy), (int(cx + 38 * np.cos(a)), int(cy + 38 * np.sin(a))), (0.15, 0.15, 0.18), 1, cv2.LINE_AA)
    rng = np.random.default_rng(3)
    for _ in range(12):
        x, y = cx + rng.uniform(45, 70), cy + rng.uniform(-25, 25)
        cv2.circle(img, (int(x), int(y)), int(rng.integers(1, 4)), (0.9, 0.95, 1.0), -1)
    return img


@pytest.mark.xfail(strict=True, reason="known failure mode, still open (docs/scorers.md): EventNet does not find a "
                   "schematic crack star drawn on a plain frame, so the second pass is not taken")
def test_a_small_event_is_looked_at_again_in_its_own_box():
    img = _small_event()
    v = EN.view(img)
    x0, y0, x1, y1 = v.box
    assert v.two_pass
    assert (x1 - x0) * (y1 - y0) < 0.5 * img.shape[0] * img.shape[1]
    assert x0 <= 0.7 * img.shape[1] <= x1 and y0 <= 0.65 * img.shape[0] <= y1
    assert abs(sum(v.p_phase) - 1.0) < 1e-6 and all(0.0 <= p <= 1.0 for p in v.p_phase)
    assert v.structure.dtype == np.float32 and 0.0 <= float(v.structure.min()) and float(v.structure.max()) <= 1.0


def test_deterministic_and_remembered_by_content(shift):
    img = _small_event()
    a = EN.view(img)
    F._LAST.clear()
    b = EN.view(shift(img, 3))
    assert a.box == b.box and a.p_phase == b.p_phase and np.array_equal(a.structure, b.structure)
    assert EN.view(img) is EN.view(img.copy())  # the memo answers for equal content


def test_small_flying_shards_are_pieces_and_the_window_frame_is_not_structure():
    # issue 11: detect detached pieces in flight against any background; the scene's long edges are context
    import cv2

    import lab_scenes as L

    hits, frame_prob = [], []
    for k in range(3):
        img, centres = L.bottle_shards(np.random.default_rng(k), centres=True)
        v = EN.view(img)
        x0, y0, x1, y1 = v.box
        pieces = cv2.resize(v.pieces, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        for x, y in centres:
            xi, yi = int(round(x)) - x0, int(round(y)) - y0
            if 0 <= xi < pieces.shape[1] and 0 <= yi < pieces.shape[0]:
                hits.append(float(pieces[max(0, yi - 2):yi + 3, max(0, xi - 2):xi + 3].max()) > 0.3)
        full = cv2.resize(v.frame_structure, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
        frame_prob.append(float(full[int(0.06 * img.shape[0]):int(0.5 * img.shape[0]), :int(0.1 * img.shape[1])].mean()))
    assert np.mean(hits) > 0.5, np.mean(hits)  # measured: 0.59 of the shard centres
    assert max(frame_prob) < 0.2, frame_prob

"""The ``sim`` labelled image source (bench/sources/sim.py, docs/labels.md)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import cv2
import numpy as np
import pytest

from bench.sources import sim
from bench.spec import select_scenes

from source_checks import assert_nuisance_does_not_predict_labels

FAMILIES = ("fracture", "impact", "fluid")
COMBOS = [dict(symmetric=None, phase="pre", plausible=None)] + [
    dict(symmetric=s, phase=ph, plausible=p) for ph in ("transitional", "end") for s in (True, False) for p in (True, False)
]


def _scene(fam, k=0):
    scs = select_scenes(fam)
    return scs[k % len(scs)]


def test_module_interface_and_fast_import():
    assert sim.NAME == "sim" and sim.VERSION == 1
    code = "import sys, bench.sources.sim; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.mark.parametrize("fam", FAMILIES)
def test_deterministic_bit_identical(fam):
    sc = _scene(fam, 1)
    lb = dict(symmetric=False, phase="transitional", plausible=True)
    a, ta = sim.render(sc, 7, labels=lb, shape=(160, 208))
    b, tb = sim.render(sc, 7, labels=lb, shape=(160, 208))
    assert np.array_equal(a, b)
    assert json.dumps(ta, sort_keys=True) == json.dumps(tb, sort_keys=True)
    c, _ = sim.render(sc, 8, labels=lb, shape=(160, 208))
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("fam", FAMILIES)
def test_every_combination_renders(fam):
    for i, lb in enumerate(COMBOS):
        sc = _scene(fam, i)
        shape = ((192, 256), (240, 200), (224, 224))[i % 3]
        L = sim.render_layers(sc, 3 + i, labels=lb, shape=shape)
        img, tr = L["image"], L["truth"]
        assert img.shape == (*shape, 3) and img.dtype == np.uint8
        assert tr["labels"] == lb and tr["source"] == "sim" and tr["scene_id"] == sc.id
        json.dumps(tr)  # serialisable
        for k in ("structure", "object", "context"):
            assert L[k].shape == shape and L[k].dtype == np.float32
            assert 0.0 <= float(L[k].min()) and float(L[k].max()) <= 1.0
        assert L["pieces"].shape == shape and L["pieces"].dtype == np.int32
        if lb["phase"] == "pre":
            assert tr["n_pieces"] == 0 and tr["tau"] is None and tr["fold"] is None
            assert float(L["structure"].max()) == 0.0
        else:
            assert tr["n_pieces"] == len(tr["fragment_areas"]) > 0
            assert tr["in_flight"] == (lb["phase"] == "transitional")
            assert (tr["fold"] is not None) == lb["symmetric"]
            assert (tr["tau"] is not None) == lb["plausible"]
            assert tr["event_bbox"] is not None
            assert float(L["structure"].max()) > 0.5


def test_bad_labels_and_shape_rejected():
    sc = _scene("fracture")
    with pytest.raises(ValueError):
        sim.render(sc, 0, labels=dict(symmetric=True, phase="pre", plausible=None), shape=(64, 64))
    with pytest.raises(ValueError):
        sim.render(sc, 0, labels=dict(symmetric=True, phase="during", plausible=True), shape=(64, 64))
    with pytest.raises(ValueError):
        sim.render(sc, 0, labels=dict(symmetric=True, phase="end"), shape=(64, 64))


def tau_mle_truncated(areas):
    """Maximum-likelihood tau of n(A) ~ A^-tau truncated to [min, max] of the sample."""
    a = np.asarray(areas, float)
    lo, hi = a.min(), a.max()
    sl = np.log(a).sum()
    n = len(a)
    best, arg = -np.inf, None
    for t in np.arange(1.005, 3.5, 0.005):
        z = (lo ** (1 - t) - hi ** (1 - t)) / (t - 1)
        ll = -t * sl - n * math.log(z)
        if ll > best:
            best, arg = ll, t
    return float(arg)


@pytest.mark.parametrize("fam", FAMILIES)
def test_fragment_size_laws(fam):
    for k, sd in enumerate((11, 12, 13)):
        sc = _scene(fam, k)
        lo, hi = sc.physics.fragment_size_exponent or (1.3, 2.0)
        for ph in ("transitional", "end"):
            for sy in (False, True):
                _, tr = sim.render(sc, sd, labels=dict(symmetric=sy, phase=ph, plausible=True), shape=(224, 224))
                tau = tr["tau"]
                assert lo <= tau <= hi
                t_hat = tau_mle_truncated(tr["fragment_areas"])
                assert abs(t_hat - tau) < 0.3, (sc.id, tau, t_hat, len(tr["fragment_areas"]))
                assert lo - 0.3 <= t_hat <= hi + 0.3
                # heavy tailed: the largest piece is many times the smallest
                a = np.array(tr["fragment_areas"])
                assert a.max() / a.min() > 10
                _, tu = sim.render(sc, sd, labels=dict(symmetric=sy, phase=ph, plausible=False), shape=(224, 224))
                b = np.array(tu["fragment_areas"])
                assert tu["tau"] is None and b.std() / b.mean() < 0.1


def _mirror_iou(mask, p0, u):
    """IoU of a mask and its reflection about the line through p0 along u (where both are in frame)."""
    h, w = mask.shape
    ux, uy = u
    M = np.array([[2 * ux * ux - 1, 2 * ux * uy], [2 * ux * uy, 2 * uy * uy - 1]])
    t = np.array(p0) - M @ np.array(p0)
    A = np.hstack([M, t[:, None]]).astype(np.float32)
    ref = cv2.warpAffine(mask, A, (w, h), flags=cv2.INTER_LINEAR, borderValue=-1)
    valid = ref >= 0
    m1 = (mask > 0.5) & valid
    m2 = (ref > 0.5) & valid
    return (m1 & m2).sum() / max(1, (m1 | m2).sum())


@pytest.mark.parametrize("fam", FAMILIES)
def test_symmetric_structure_is_a_mirror_image(fam):
    sym_iou, irr_iou = [], []
    for k, sd in enumerate((21, 22, 23, 24)):
        sc = _scene(fam, k)
        for ph in ("transitional", "end"):
            L = sim.render_layers(sc, sd, labels=dict(symmetric=True, phase=ph, plausible=True), shape=(256, 256))
            tr = L["truth"]
            assert tr["fold"] == "mirror" and tr["axis"]["direction"] == tr["direction"]
            sym_iou.append(_mirror_iou(L["structure"], tr["impact_point_px"], tr["direction"]))
            Li = sim.render_layers(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=True), shape=(256, 256))
            irr_iou.append(_mirror_iou(Li["structure"], tr["impact_point_px"], tr["direction"]))
    assert min(sym_iou) > 0.8, sym_iou
    assert np.median(irr_iou) < np.median(sym_iou) - 0.15, (irr_iou, sym_iou)


@pytest.mark.parametrize("fam", FAMILIES)
def test_n_fold_replicas(fam):
    seen = 0
    for sd in range(30, 60):
        _, tr = sim.render(_scene(fam, sd), sd, labels=dict(symmetric=True, phase="end", plausible=False), shape=(160, 160))
        if isinstance(tr["fold"], int):
            n = tr["fold"]
            assert 3 <= n <= 24 and tr["n_pieces"] % (2 * n) == 0
            a = np.array(tr["fragment_areas"]).reshape(n, -1)
            assert np.allclose(a, a[0])  # identical repeated elements
            seen += 1
            if seen >= 2:
                break
    assert seen >= 1


@pytest.mark.parametrize("fam", FAMILIES)
def test_plausible_debris_goes_downrange(fam):
    checked = 0
    for k, sd in enumerate((41, 42)):
        sc = _scene(fam, k + 2)
        for ph in ("transitional", "end"):
            L = sim.render_layers(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=True), shape=(256, 256))
            tr = L["truth"]
            lab = L["pieces"]
            ids = np.unique(lab[lab > 0])
            assert len(ids) > 5
            ys, xs = np.nonzero(lab)
            cnt = np.bincount(lab[ys, xs])
            cx = np.bincount(lab[ys, xs], xs) / np.maximum(cnt, 1)
            cy = np.bincount(lab[ys, xs], ys) / np.maximum(cnt, 1)
            p0 = np.array(tr["impact_point_px"])
            u = np.array(tr["direction"])
            d = np.stack([cx[ids], cy[ids]], 1) - p0
            ang = np.degrees(np.arccos(np.clip((d @ u) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9), -1, 1)))
            r = np.hypot(d[:, 0], d[:, 1])
            far = r > max(6.0, 0.25 * r.max())  # centroids of pieces right at the impact point are too uncertain
            if far.sum() < 5:
                continue
            checked += 1
            assert np.mean(ang[far] <= tr["cone_half_angle_deg"] + 8) > 0.95, (sc.id, ph, np.sort(ang)[-5:])
            Lu = sim.render_layers(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=False), shape=(256, 256))
            assert Lu["truth"]["ejecta_direction"] in ("iso", "up")
    assert checked >= 2


def test_nuisance_features_do_not_predict_labels():
    print(f"worst nuisance AUROC {assert_nuisance_does_not_predict_labels(sim):.3f}")

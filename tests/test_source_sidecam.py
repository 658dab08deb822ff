"""The ``sidecam`` labelled image source (bench/sources/sidecam.py, docs/labels.md)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import cv2
import numpy as np
import pytest

from bench.sources import SOURCES, get_source, sidecam
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
    assert sidecam.NAME == "sidecam" and sidecam.VERSION == 1
    assert SOURCES["sidecam"].role == "design" and get_source("sidecam") is sidecam
    code = "import sys, bench.sources.sidecam; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.mark.parametrize("fam", FAMILIES)
def test_deterministic_bit_identical(fam):
    sc = _scene(fam, 1)
    lb = dict(symmetric=False, phase="transitional", plausible=True)
    a = sidecam.render_layers(sc, 7, labels=lb, shape=(160, 208))
    b = sidecam.render_layers(sc, 7, labels=lb, shape=(160, 208))
    assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["pieces"], b["pieces"])
    assert np.array_equal(a["structure"], b["structure"])
    assert json.dumps(a["truth"], sort_keys=True) == json.dumps(b["truth"], sort_keys=True)
    c, _ = sidecam.render(sc, 8, labels=lb, shape=(160, 208))
    assert not np.array_equal(a["image"], c)


def test_nuisance_is_shared_across_labels():
    """Paired design: the label combinations of one seed share one setting."""
    sc = _scene("impact", 2)
    nus = [sidecam.render(sc, 4, labels=lb, shape=(128, 160))[1]["nuisance"] for lb in COMBOS]
    assert all(json.dumps(x, sort_keys=True) == json.dumps(nus[0], sort_keys=True) for x in nus)


@pytest.mark.parametrize("fam", FAMILIES)
def test_every_combination_renders(fam):
    for i, lb in enumerate(COMBOS):
        sc = _scene(fam, i)
        shape = ((192, 256), (240, 200), (224, 224))[i % 3]
        L = sidecam.render_layers(sc, 3 + i, labels=lb, shape=shape)
        img, tr = L["image"], L["truth"]
        assert img.shape == (*shape, 3) and img.dtype == np.uint8
        assert tr["labels"] == lb and tr["source"] == "sidecam" and tr["scene_id"] == sc.id and tr["family"] == fam
        json.dumps(tr)  # serialisable
        for k in ("structure", "object", "context"):
            assert L[k].shape == shape and L[k].dtype == np.float32
            assert 0.0 <= float(L[k].min()) and float(L[k].max()) <= 1.0
        assert L["pieces"].shape == shape and L["pieces"].dtype == np.int32
        assert float(L["object"].max()) > 0.5  # the target is in the picture
        if lb["phase"] == "pre":
            assert tr["n_pieces"] == 0 and tr["tau"] is None and tr["fold"] is None
            assert float(L["structure"].max()) == 0.0 and int(L["pieces"].max()) == 0
            assert tr["event_bbox"] is None
        else:
            assert tr["n_pieces"] == len(tr["fragment_areas"]) > 0
            assert tr["in_flight"] == (lb["phase"] == "transitional")
            assert tr["n_in_flight"] == (tr["n_pieces"] if lb["phase"] == "transitional" else 0)
            assert (tr["fold"] is not None) == lb["symmetric"]
            assert (tr["size_law"] in ("power", "gamma")) == lb["plausible"]
            assert (tr["tau"] is not None) == (lb["plausible"] and fam != "fluid")
            assert tr["event_bbox"] is not None
            assert float(L["structure"].max()) > 0.5
            assert (L["structure"] > 0.5).sum() > 20
            n_lab = len(np.unique(L["pieces"][L["pieces"] > 0]))
            assert n_lab >= 0.6 * tr["n_pieces"]  # pieces present in the label image


def test_bad_labels_and_shape_rejected():
    sc = _scene("fracture")
    ok = dict(symmetric=True, phase="end", plausible=True)
    with pytest.raises(ValueError, match="symmetric"):
        sidecam.render(sc, 0, labels=dict(symmetric=True, phase="pre", plausible=None), shape=(64, 64))
    with pytest.raises(ValueError, match="phase"):
        sidecam.render(sc, 0, labels=dict(symmetric=True, phase="during", plausible=True), shape=(64, 64))
    with pytest.raises(ValueError, match="labels"):
        sidecam.render(sc, 0, labels=dict(symmetric=True, phase="end"), shape=(64, 64))
    with pytest.raises(ValueError, match="plausible"):
        sidecam.render(sc, 0, labels=dict(symmetric=True, phase="end", plausible="yes"), shape=(64, 64))
    for bad in ((8, 64), (64, 5000), (15, 15)):
        with pytest.raises(ValueError, match="shape"):
            sidecam.render(sc, 0, labels=ok, shape=bad)
    img, _ = sidecam.render(sc, 0, labels=ok, shape=(16, 16))  # the smallest legal size works
    assert img.shape == (16, 16, 3)


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


@pytest.mark.parametrize("fam", ("fracture", "impact"))
def test_fragment_size_power_law(fam):
    for k, sd in enumerate((11, 12, 13)):
        sc = _scene(fam, k)
        lo, hi = sc.physics.fragment_size_exponent or (1.3, 2.0)
        for ph in ("transitional", "end"):
            for sy in (False, True):
                _, tr = sidecam.render(sc, sd, labels=dict(symmetric=sy, phase=ph, plausible=True), shape=(224, 224))
                tau = tr["tau"]
                assert tr["size_law"] == "power" and lo <= tau <= hi
                t_hat = tau_mle_truncated(tr["fragment_areas"])
                assert abs(t_hat - tau) < 0.3, (sc.id, tau, t_hat, len(tr["fragment_areas"]))
                a = np.array(tr["fragment_areas"])
                assert a.max() / a.min() > 10  # heavy tailed: many small, few large
                _, tu = sidecam.render(sc, sd, labels=dict(symmetric=sy, phase=ph, plausible=False), shape=(224, 224))
                b = np.array(tu["fragment_areas"])
                assert tu["tau"] is None and tu["size_law"] == "equal" and b.std() / b.mean() < 0.05


def test_droplet_sizes_broad_gamma():
    cvs, k_ratio = [], []
    for k, sd in enumerate((11, 12, 13, 14)):
        sc = _scene("fluid", k)
        for ph in ("transitional", "end"):
            _, tr = sidecam.render(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=True), shape=(224, 224))
            a = np.array(tr["fragment_areas"])
            assert tr["size_law"] == "gamma" and 2.5 <= tr["gamma_shape"] <= 4.5
            cvs.append(a.std() / a.mean())
            d = np.sqrt(a)  # diameters ~ Gamma(k): moment estimate of k
            k_ratio.append((d.mean() ** 2 / d.var()) / tr["gamma_shape"])
            _, tu = sidecam.render(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=False), shape=(224, 224))
            b = np.array(tu["fragment_areas"])
            assert tu["size_law"] == "equal" and b.std() / b.mean() < 0.05
    assert min(cvs) > 0.5, cvs
    assert 0.5 < np.median(k_ratio) < 2.0, k_ratio


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
            for pl in (True, False):
                L = sidecam.render_layers(sc, sd, labels=dict(symmetric=True, phase=ph, plausible=pl), shape=(256, 256))
                tr = L["truth"]
                assert tr["fold"] == "mirror" and tr["axis"]["direction"] == tr["direction"]
                assert tr["axis"]["point_px"] == tr["impact_point_px"]
                sym_iou.append(_mirror_iou(L["structure"], tr["impact_point_px"], tr["direction"]))
                a = np.array(tr["fragment_areas"])  # every piece has a twin of the same size
                assert np.allclose(np.sort(a[: len(a) // 2]), np.sort(a[len(a) // 2 :]))
                Li = sidecam.render_layers(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=pl), shape=(256, 256))
                assert Li["truth"]["fold"] is None and Li["truth"]["axis"] is None
                irr_iou.append(_mirror_iou(Li["structure"], tr["impact_point_px"], tr["direction"]))
    assert min(sym_iou) > 0.8, sym_iou
    assert np.median(irr_iou) < min(0.6, np.median(sym_iou) - 0.25), (irr_iou, sym_iou)


def _piece_angles(L, near=0.2):
    """Angle (deg) between the impact direction and the direction from the impact point to each
    labelled piece's centroid, for pieces away from the impact point."""
    tr, lab = L["truth"], L["pieces"]
    ys, xs = np.nonzero(lab)
    cnt = np.bincount(lab[ys, xs])
    ids = np.flatnonzero(cnt)
    cx = np.bincount(lab[ys, xs], xs)[ids] / cnt[ids]
    cy = np.bincount(lab[ys, xs], ys)[ids] / cnt[ids]
    d = np.stack([cx, cy], 1) - np.array(tr["impact_point_px"])
    u = np.array(tr["direction"])
    r = np.hypot(d[:, 0], d[:, 1])
    ang = np.degrees(np.arccos(np.clip((d @ u) / np.maximum(r, 1e-9), -1, 1)))
    far = r > max(3.0, near * r.max())
    return ang[far], d[far]


@pytest.mark.parametrize("fam", FAMILIES)
def test_plausible_debris_goes_downrange(fam):
    checked, seen = 0, set()
    for k, sd in enumerate((41, 42, 43, 44)):
        sc = _scene(fam, k + 1)
        for ph in ("transitional", "end"):
            L = sidecam.render_layers(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=True), shape=(256, 256))
            ang, d = _piece_angles(L)
            assert L["truth"]["ejecta_direction"] == "down"
            if len(ang) < 5:
                continue
            checked += 1
            assert np.mean(ang <= 70.0) > 0.95, (sc.id, ph, np.sort(ang)[-5:])
            u = np.array(L["truth"]["direction"])
            c = d.mean(0)  # the debris centroid lies downrange
            assert math.degrees(math.acos(np.clip(c @ u / np.hypot(*c), -1, 1))) < 45
            Lu = sidecam.render_layers(sc, sd, labels=dict(symmetric=False, phase=ph, plausible=False), shape=(256, 256))
            assert Lu["truth"]["ejecta_direction"] in ("iso", "up")
            angu, _ = _piece_angles(Lu, near=0.0)
            inside, behind = np.mean(angu <= 70.0), np.mean(angu > 90.0)
            if Lu["truth"]["ejecta_direction"] == "up":  # thrown back against the impact direction
                assert len(angu) >= 5 and inside < 0.1 and behind > 0.8, (sc.id, ph, inside, behind)
            else:  # isotropic: a good share outside the downrange cone, some behind the impact point
                assert len(angu) >= 5 and inside < 0.7 and behind > 0.1, (sc.id, ph, inside, behind)
            seen.add(Lu["truth"]["ejecta_direction"])
    assert checked >= 6 and seen == {"up", "iso"}, (checked, seen)


def test_fracture_crack_junctions_follow_plausibility():
    for sd in (5, 6):
        for ph in ("transitional", "end"):
            _, tp = sidecam.render(_scene("fracture", sd), sd, labels=dict(symmetric=False, phase=ph, plausible=True), shape=(160, 160))
            _, tu = sidecam.render(_scene("fracture", sd), sd, labels=dict(symmetric=False, phase=ph, plausible=False), shape=(160, 160))
            assert tp["crack_junctions"] == "T" and tu["crack_junctions"] == "X"


def test_masks_are_disjoint_where_it_matters():
    """Context is occluded by what stands in front of it; pieces are structure."""
    for fam in FAMILIES:
        L = sidecam.render_layers(_scene(fam, 1), 9, labels=dict(symmetric=False, phase="end", plausible=True), shape=(224, 224))
        lab = L["pieces"] > 0
        assert (L["structure"][lab] > 0.2).mean() > 0.8
        assert (L["context"][L["structure"] > 0.9] > 0.5).mean() < 0.05


def test_nuisance_features_do_not_predict_labels():
    print(f"worst nuisance AUROC {assert_nuisance_does_not_predict_labels(sidecam):.3f}")

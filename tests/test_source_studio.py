"""The ``studio`` labelled image source (held out): contract, laws and balance.

docs/labels.md is the contract: render() returns a uint8 RGB image of the requested
shape and a JSON-serialisable truth; the labels are drawn as defined there; the
nuisance features must not predict any label.
"""

from __future__ import annotations

import itertools
import json
import math

import cv2
import numpy as np
import pytest

from bench.sources import SOURCES, get_source
from bench.spec import FAMILIES, select_scenes
from bench.validate import auroc, nuisance_features
from bench.imageio import to_float

studio = get_source("studio")

COMBOS = [dict(symmetric=s, phase=ph, plausible=p)
          for ph in ("transitional", "end") for s in (True, False) for p in (True, False)]
PRE = dict(symmetric=None, phase="pre", plausible=None)


@pytest.fixture(scope="module")
def scenes():
    return select_scenes(None)


@pytest.fixture(scope="module")
def one_per_family(scenes):
    return {f: [s for s in scenes if s.family == f][0] for f in FAMILIES}


def test_module_interface():
    assert studio.NAME == "studio" and studio.VERSION == 1
    assert SOURCES["studio"].role == "held-out"
    assert callable(studio.render) and callable(studio.render_layers)


def test_deterministic_bit_identical(one_per_family):
    sc = one_per_family["fracture"]
    lab = dict(symmetric=False, phase="transitional", plausible=True)
    a, ta = studio.render(sc, 7, labels=lab, shape=(200, 240))
    b, tb = studio.render(sc, 7, labels=dict(lab), shape=(200, 240))
    assert np.array_equal(a, b)
    assert json.dumps(ta, sort_keys=True) == json.dumps(tb, sort_keys=True)
    c, _ = studio.render(sc, 8, labels=lab, shape=(200, 240))
    assert not np.array_equal(a, c)
    layers = studio.render_layers(sc, 7, labels=lab, shape=(200, 240))
    assert np.array_equal(layers["image"], a)


def test_every_scene_phase_and_label_combination(scenes):
    """All 15 scenes x (pre + 8 label combinations): shape, dtype, labels echoed, JSON truth."""
    for i, sc in enumerate(scenes):
        shape = [(192, 256), (256, 192), (224, 224)][i % 3]
        for lab in [PRE] + COMBOS:
            img, tr = studio.render(sc, i, labels=lab, shape=shape)
            assert img.shape == shape + (3,) and img.dtype == np.uint8, (sc.id, lab)
            assert tr["labels"] == lab, (sc.id, lab)
            assert tr["source"] == "studio" and tr["scene_id"] == sc.id
            json.dumps(tr)
            assert img.std() > 2.0  # not blank
            if lab["phase"] == "pre":
                assert tr["n_pieces"] == 0 and tr["fragment_areas"] == []
            else:
                assert tr["n_pieces"] > 10
                assert tr["in_flight"] == (lab["phase"] == "transitional"), (sc.id, lab)
                assert (tr["symmetry"] is not None) == lab["symmetric"]
                assert (tr["tau"] is not None) == lab["plausible"]


def test_bad_labels_rejected(one_per_family):
    sc = one_per_family["fluid"]
    with pytest.raises(ValueError):
        studio.render(sc, 0, labels=dict(symmetric=True, phase="pre", plausible=None), shape=(192, 192))
    with pytest.raises(ValueError):
        studio.render(sc, 0, labels=dict(symmetric=True, phase="middle", plausible=True), shape=(192, 192))


def _tau_mle_truncated(A, a_min, a_max):
    """Maximum-likelihood tau of a power law n(A) ~ A^-tau truncated to [a_min, a_max]."""
    from scipy.optimize import minimize_scalar

    x = np.log(np.asarray(A) / a_min)
    r = a_max / a_min
    n = len(x)

    def nll(t):
        return t * x.sum() - n * math.log((t - 1) / (1 - r ** (1 - t)))
    return minimize_scalar(nll, bounds=(1.01, 3.5), method="bounded").x


def test_fragment_size_laws(scenes):
    """Plausible: a power law with tau inside the scene's range; implausible: equal sizes (CV < 0.1).

    tau is estimated by maximum likelihood for the truncated law (bounds in the truth);
    with 18-80 distinct pieces per image its standard error is about 0.15, so single
    images get a loose tolerance and the estimates must be unbiased on average."""
    diffs = []
    for i, sc in enumerate(scenes):
        lo, hi = sc.physics.fragment_size_exponent or (1.3, 2.0)
        for ph, sym in itertools.product(("transitional", "end"), (True, False)):
            _, tp = studio.render(sc, 100 + i, labels=dict(symmetric=sym, phase=ph, plausible=True), shape=(192, 192))
            A = np.asarray(tp["fragment_areas"])
            assert len(A) >= 30
            assert lo <= tp["tau"] <= hi
            a_min, a_max = tp["law_range_px"]
            assert A.min() >= a_min * 0.999 and A.max() <= a_max * 1.001
            tau_hat = _tau_mle_truncated(A, a_min, a_max)
            assert lo - 0.6 <= tau_hat <= hi + 0.6, (sc.id, ph, sym, tau_hat, tp["tau"])
            diffs.append(tau_hat - tp["tau"])
            # the plain MLE (no truncation) is biased upward by the cut-off, but stays heavy-tailed
            tau_simple = 1 + len(A) / np.sum(np.log(A / A.min()))
            assert 1.0 < tau_simple < 3.2
            assert A.std() / A.mean() > 0.6  # broad sizes
            _, ti = studio.render(sc, 100 + i, labels=dict(symmetric=sym, phase=ph, plausible=False), shape=(192, 192))
            B = np.asarray(ti["fragment_areas"])
            assert ti["tau"] is None and len(B) >= 30
            assert B.std() / B.mean() < 0.1, (sc.id, ph)
            # the same total ink: the total area has the same distribution in both (here: same order)
            assert 0.3 < B.sum() / A.sum() < 3.0
    diffs = np.asarray(diffs)
    assert abs(diffs.mean()) < 0.1 and np.percentile(np.abs(diffs), 90) < 0.35, diffs


def _mirror_error(mask, sym):
    h, w = mask.shape
    (cx, cy), (ex, ey) = sym["axis_point_px"], sym["axis_dir"]
    M = np.array([[2 * ex * ex - 1, 2 * ex * ey], [2 * ex * ey, 2 * ey * ey - 1]])
    c = np.array([cx, cy])
    A = np.hstack([M, (c - M @ c)[:, None]])
    m = mask.astype(np.float32)
    mm = cv2.warpAffine(m, A, (w, h), flags=cv2.INTER_LINEAR)
    valid = cv2.warpAffine(np.ones_like(m), A, (w, h), flags=cv2.INTER_NEAREST) > 0
    a = cv2.GaussianBlur(m, (0, 0), 1.0)
    b = cv2.GaussianBlur(mm, (0, 0), 1.0)
    den = 0.5 * (a[valid].sum() + b[valid].sum())
    return float(np.abs(a - b)[valid].sum() / max(den, 1e-6))


def test_symmetric_structure_is_a_mirror_image(scenes):
    """The structure mask of a symmetric event equals its mirror image about the truth axis;
    irregular events are clearly not mirror-symmetric about the same axis."""
    sym_err, irr_err = [], []
    for i, sc in enumerate(scenes):
        for k, ph in enumerate(("transitional", "end", "transitional")):
            pl = (i + k) % 2 == 0
            seed = 200 + i + 50 * k
            ls = studio.render_layers(sc, seed, labels=dict(symmetric=True, phase=ph, plausible=pl), shape=(224, 224))
            li = studio.render_layers(sc, seed, labels=dict(symmetric=False, phase=ph, plausible=pl), shape=(224, 224))
            axis = ls["truth"]["symmetry"]
            assert axis["kind"] == "mirror" and ls["truth"]["fold"] == 1
            if ls["structure"].sum() < 150:  # too few pixels to measure a shape
                continue
            e = _mirror_error(ls["structure"], axis)
            assert e < 0.2, (sc.id, ph, pl, e)
            sym_err.append(e)
            irr_err.append(_mirror_error(li["structure"], axis))
    assert len(sym_err) >= 25
    assert np.median(sym_err) < 0.06
    assert np.median(irr_err) > 0.3
    assert np.mean(np.asarray(irr_err) > np.asarray(sym_err) * 3) > 0.85


def test_layers(one_per_family):
    for fam, sc in one_per_family.items():
        lay = studio.render_layers(sc, 11, labels=dict(symmetric=False, phase="transitional", plausible=True), shape=(192, 240))
        for k in ("structure", "object", "context"):
            assert lay[k].shape == (192, 240) and lay[k].dtype == np.float32
            assert 0.0 <= lay[k].min() and lay[k].max() <= 1.0
        assert lay["pieces"].dtype == np.int32 and lay["pieces"].max() > 0
        assert lay["structure"].sum() > 20
        pre = studio.render_layers(sc, 11, labels=PRE, shape=(192, 240))
        assert pre["structure"].sum() == 0 and pre["pieces"].max() == 0


def test_ejecta_direction(scenes):
    """Pierced targets: plausible ejecta move downrange (within 70 degrees of the impact
    direction in the image); implausible ones are isotropic or thrown uprange."""
    through = [s for s in scenes if studio.render(s, 0, labels=PRE, shape=(192, 192))[1]["mode"] == "through"]
    assert len(through) >= 4
    for i, sc in enumerate(through):
        _, tp = studio.render(sc, 300 + i, labels=dict(symmetric=False, phase="transitional", plausible=True), shape=(192, 192))
        a = np.asarray(tp["ejecta_angle_deg"])
        assert len(a) > 10 and np.mean(a < 70) > 0.9, sc.id
        _, ti = studio.render(sc, 300 + i, labels=dict(symmetric=False, phase="transitional", plausible=False), shape=(192, 192))
        b = np.asarray(ti["ejecta_angle_deg"])
        assert ti["ejecta"] in ("isotropic", "uprange") and np.mean(b < 70) < 0.6, sc.id


def test_nuisance_balance():
    """3 families x 2 x 2 x 2 labels x 6 seeds: no nuisance feature predicts a label."""
    scenes = select_scenes(None)
    rows = []
    for fam in FAMILIES:
        fs = [s for s in scenes if s.family == fam]
        for seed in range(6):
            sc = fs[seed % len(fs)]
            for lab in COMBOS:
                img, tr = studio.render(sc, seed, labels=lab, shape=(192, 192))
                f = nuisance_features(to_float(img))
                f.update(symmetric=lab["symmetric"], transitional=lab["phase"] == "transitional", plausible=lab["plausible"])
                rows.append(f)
    assert len(rows) == 144
    worst = 0.5
    for lab in ("symmetric", "transitional", "plausible"):
        y = np.array([r[lab] for r in rows])
        for k in ("brightness", "contrast", "colourfulness", "centring"):
            a = auroc([r[k] for r in rows], y)
            assert 0.40 <= a <= 0.60, (lab, k, a)
            worst = a if abs(a - 0.5) > abs(worst - 0.5) else worst
    print(f"worst nuisance AUROC: {worst:.3f}")

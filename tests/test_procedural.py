"""The embedded procedural renderer (bench.generators.procedural).

Fast (small images), offline, deterministic: every random choice is seeded
inside the renderer from its arguments, so these tests see the same pixels on
every run and in any order.
"""

from __future__ import annotations

import itertools
import json
import math

import cv2
import numpy as np
import pytest

from bench.generators.procedural import ICONIC, LABELS, PHYSICAL, render, render_layers
from bench.spec import Physics, Scene

FAMILIES = ("fracture", "impact", "fluid")
COMBOS = [dict(zip(LABELS, c)) for c in itertools.product([False, True], repeat=4)]


def scene(family="fracture", name="test", direction=(1.0, 0.0), point=None, exponent=(1.3, 2.0)):
    return Scene(
        id=f"{family}/{name}",
        family=family,
        title="test",
        prompt="test",
        physics=Physics(phase="transitional", impact_direction=tuple(direction), expected=("test",),
                        impact_point=point, fragment_size_exponent=exponent),
        iconic_cues=("test",),
        references=("test",),
    )


# one scene per family and palette flavour, with axis-aligned and oblique directions
SCENES = [
    scene("fracture", "window-pane-ball", (1.0, 0.0), (0.45, 0.5), (1.1, 1.6)),
    scene("fracture", "ceramic-plate-drop", (0.0, 1.0), (0.5, 0.8), (1.3, 1.9)),
    scene("impact", "meteorite-sand", (0.707107, 0.707107), (0.45, 0.55), None),
    scene("impact", "hammer-ice-block", (0.0, 1.0), (0.5, 0.42), (1.4, 2.1)),
    scene("fluid", "milk-drop-crown", (0.0, 1.0), (0.5, 0.62), None),
    scene("fluid", "wave-hits-seawall", (1.0, 0.0), (0.7, 0.55), (1.3, 2.0)),
]
BY_FAMILY = {f: [s for s in SCENES if s.family == f] for f in FAMILIES}


def auroc(score, label) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U)."""
    x = np.asarray(score, np.float64)
    y = np.asarray(label, bool)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    xs = x[order]
    i = 0
    while i < len(x):  # average ranks over ties
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    n1, n0 = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def tau_clauset(areas, a_min) -> float:
    """Continuous power-law MLE with a lower cutoff (Clauset, Shalizi & Newman 2009, eq. 3.1)."""
    a = np.asarray(areas, np.float64)
    return 1.0 + len(a) / float(np.sum(np.log(a / a_min)))


def tau_truncated(areas, a_min, a_max) -> float:
    """MLE of tau for a power law truncated to [a_min, a_max] (grid search on the log-likelihood)."""
    a = np.asarray(areas, np.float64)
    n, s = len(a), float(np.sum(np.log(a)))
    taus = np.arange(1.005, 3.5, 0.0025)
    e = 1.0 - taus
    norm = (a_max**e - a_min**e) / e  # integral of A^-tau over [a_min, a_max]
    ll = -n * np.log(norm) - taus * s
    return float(taus[int(np.argmax(ll))])


def truncated_cdf(areas, tau, a_min, a_max) -> np.ndarray:
    """CDF of the power law n(A) ~ A^-tau truncated to [a_min, a_max]."""
    e = 1.0 - tau
    return (np.asarray(areas, np.float64) ** e - a_min**e) / (a_max**e - a_min**e)


def ks_uniform(u) -> float:
    """Kolmogorov-Smirnov distance of samples u from Uniform(0, 1)."""
    u = np.sort(np.asarray(u, np.float64))
    n = len(u)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - u), np.max(u - (i - 1) / n)))


def mirror_error(mask, truth) -> float:
    """|mask - its reflection about the recorded axis| relative to the mask's mass."""
    ax = truth["params"]["axis"]
    c = np.asarray(ax["point"], np.float64)
    d = np.asarray(ax["direction"], np.float64)
    refl = 2.0 * np.outer(d, d) - np.eye(2)
    A = np.hstack([refl, (c - refl @ c)[:, None]])
    r = cv2.warpAffine(mask, A, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_LINEAR)
    return float(np.abs(mask - r).sum() / max(float((mask + r).sum()), 1e-9))


def rotation_error(mask, truth, n) -> float:
    c = tuple(float(v) for v in truth["params"]["axis"]["point"])
    A = cv2.getRotationMatrix2D(c, 360.0 / n, 1.0)
    r = cv2.warpAffine(mask, A, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_LINEAR)
    return float(np.abs(mask - r).sum() / max(float((mask + r).sum()), 1e-9))


def plain_json(x) -> bool:
    """Only python dict/list/str/int/float/bool/None all the way down (no numpy scalars)."""
    if x is None or type(x) in (str, int, float, bool):
        return True
    if type(x) is list:
        return all(plain_json(v) for v in x)
    if type(x) is dict:
        return all(type(k) is str and plain_json(v) for k, v in x.items())
    return False


# ----------------------------------------------------------------------------- basics


def test_deterministic_and_seed_dependent():
    s = SCENES[0]
    a, ta = render(s, 3, size=96, iconic=0.3)
    b, tb = render(s, 3, size=96, iconic=0.3)
    assert a.tobytes() == b.tobytes() and ta == tb
    c, _ = render(s, 4, size=96, iconic=0.3)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 5.0
    lab = dict(PHYSICAL)
    d1, _ = render(s, 3, size=96, labels=lab)
    d2, _ = render(s, 3, size=96, labels={**lab, "symmetric": True})
    assert d1.tobytes() != d2.tobytes()


def test_dtype_shape_and_aspect():
    s = SCENES[2]
    img, truth = render(s, 0, size=80)
    assert img.dtype == np.uint8 and img.shape == (80, 80, 3)
    img, truth = render(s, 0, shape=(72, 128), iconic=1.0)
    assert img.shape == (72, 128, 3)
    assert truth["params"]["size"] == [72, 128]
    cx, cy = truth["params"]["centre_px"]
    assert 0.25 * 128 < cx < 0.75 * 128 and 0.25 * 72 < cy < 0.75 * 72
    # a real picture, not a flat fill
    assert img.reshape(-1, 3).std(0).mean() > 10


def test_bad_arguments():
    s = SCENES[0]
    with pytest.raises(ValueError):
        render(s, 0, size=64, iconic=1.5)
    with pytest.raises(ValueError):
        render(s, 0, size=64, labels={"symmetric": True})


@pytest.mark.parametrize("family", FAMILIES)
def test_every_label_combination_renders(family):
    for k, lab in enumerate(COMBOS):
        s = BY_FAMILY[family][k % 2]
        img, truth = render(s, k, size=96, labels=lab)
        assert img.shape == (96, 96, 3) and img.dtype == np.uint8
        assert {k2: truth[k2] for k2 in LABELS} == lab
        assert truth["renderer_version"] == 1
        assert plain_json(truth), "truth must hold only plain JSON types"
        json.dumps(truth)
        p = truth["params"]
        assert p["n_fragments"] == len(p["fragment_areas"]) > 0
        assert (p["sym_kind"] != "none") == lab["symmetric"]
        assert (p["streak_ratio"] is not None) == lab["transitional"] == p["in_flight"]
        assert (p["ejecta_mode"] == "downrange") == lab["plausible"]
        if lab["polished"]:  # centred, up to the framing shift along the impact direction
            expect = np.array([48.0, 48.0]) - p["framing_shift_px"] * np.asarray(p["direction"])
            assert np.allclose(p["centre_px"], expect, atol=1e-6)


def test_iconic_probability_draws_labels():
    s = SCENES[1]
    for seed in range(5):
        assert {k: render(s, seed, size=48, iconic=0.0)[1][k] for k in LABELS} == PHYSICAL
        assert {k: render(s, seed, size=48, iconic=1.0)[1][k] for k in LABELS} == ICONIC
    counts = dict.fromkeys(LABELS, 0)
    for seed in range(40):
        t = render(s, seed, size=48, iconic=0.5)[1]
        assert t["iconic"] == 0.5
        for k in LABELS:
            counts[k] += t[k] == ICONIC[k]
    print("iconic-side counts of 40 at iconic=0.5:", counts)
    assert all(10 <= v <= 30 for v in counts.values()), counts


def test_bundled_scenes_render():
    from bench.spec import SpecError, bundled_scenes

    try:
        scenes = bundled_scenes()
    except SpecError:
        pytest.skip("bundled scene files do not validate right now")
    assert scenes
    for s in scenes:
        for ic in (0.0, 1.0):
            img, truth = render(s, 0, size=64, iconic=ic)
            assert img.shape == (64, 64, 3)
            d = np.asarray(s.physics.impact_direction, float)
            assert np.allclose(truth["params"]["direction"], d / np.linalg.norm(d), atol=1e-6)


# ----------------------------------------------------------------------------- plausible


def test_plausible_areas_follow_the_drawn_power_law():
    errs_t, errs_c, pit = [], [], []
    for k in range(12):
        s = SCENES[k % len(SCENES)]
        lab = dict(symmetric=False, transitional=bool(k % 2), plausible=True, polished=bool(k % 3 == 0))
        p = render(s, 100 + k, size=128, labels=lab)[1]["params"]
        a = np.asarray(p["fragment_areas"])
        lo, hi = p["exponent_range"]
        assert lo <= p["tau"] <= hi
        assert a.min() >= p["a_min"] * 0.999 and a.max() <= p["a_max"] * 1.001
        assert len(a) >= 15
        errs_t.append(tau_truncated(a, p["a_min"], p["a_max"]) - p["tau"])
        errs_c.append(tau_clauset(a, p["a_min"]) - p["tau"])
        pit += list(truncated_cdf(a, p["tau"], p["a_min"], p["a_max"]))
        assert a.std() / a.mean() > 0.5  # heavy-tailed, far from equal
    errs_t, errs_c = np.asarray(errs_t), np.asarray(errs_c)
    d = ks_uniform(pit)
    print("truncated-MLE tau errors", np.round(errs_t, 3), "Clauset (untruncated) errors", np.round(errs_c, 3),
          f"pooled KS D={d:.3f} n={len(pit)}")
    # every area, mapped through the drawn law's CDF, is uniform: the sizes follow that law
    assert d < 1.63 / math.sqrt(len(pit))
    assert np.all(np.abs(errs_t) < 0.35), errs_t
    assert abs(errs_t.mean()) < 0.1 and np.abs(errs_t).mean() < 0.15
    # the plain Clauset estimate ignores the upper cap, so it reads steeper on average
    assert np.all(errs_c > -0.35) and np.all(errs_c < 0.5) and errs_c.mean() > errs_t.mean()


def test_symmetric_plausible_areas_still_power_law():
    errs, pit = [], []
    for k in range(12):
        s = SCENES[k % len(SCENES)]
        lab = dict(symmetric=True, transitional=bool(k % 2), plausible=True, polished=bool(k % 3 == 0))
        p = render(s, 200 + k, size=128, labels=lab)[1]["params"]
        a = np.unique(np.asarray(p["fragment_areas"]))  # mirror copies repeat an area
        errs.append(tau_truncated(a, p["a_min"], p["a_max"]) - p["tau"])
        pit += list(truncated_cdf(a, p["tau"], p["a_min"], p["a_max"]))
    d = ks_uniform(pit)
    print("symmetric truncated-MLE tau errors", np.round(errs, 3), f"pooled KS D={d:.3f} n={len(pit)}")
    assert d < 1.63 / math.sqrt(len(pit))
    # half as many independent areas per image, so single fits are noisier
    assert abs(float(np.mean(errs))) < 0.15 and np.median(np.abs(errs)) < 0.25 and np.all(np.abs(errs) < 1.0), errs


def test_implausible_areas_are_equal():
    for k in range(12):
        s = SCENES[k % len(SCENES)]
        lab = dict(symmetric=bool(k % 2), transitional=bool(k // 2 % 2), plausible=False, polished=False)
        p = render(s, 300 + k, size=96, labels=lab)[1]["params"]
        a = np.asarray(p["fragment_areas"])
        assert p["tau"] is None
        assert a.std() / a.mean() < 0.15
        assert a.max() / a.min() < 1.25


def test_ejecta_direction():
    """Plausible: pieces downrange of the impact point; otherwise isotropic or uprange."""
    for s in SCENES:
        d = np.asarray(s.physics.impact_direction, float)
        d /= np.linalg.norm(d)
        for k in range(4):
            for plaus in (True, False):
                lab = dict(symmetric=bool(k % 2), transitional=bool(k // 2), plausible=plaus, polished=False)
                p = render(s, 400 + k, size=128, labels=lab)[1]["params"]
                rel = np.asarray(p["fragment_centres"]) - np.asarray(p["centre_px"])
                proj = rel @ d / np.linalg.norm(rel, axis=1)
                # recorded velocities point away from the one apparent source
                u = np.asarray(p["fragment_directions"])
                assert np.all(np.sum(u * rel, 1) / np.linalg.norm(rel, axis=1) > 0.99)
                if plaus:
                    assert np.mean(proj > 0.2) > 0.9, (s.id, proj)
                elif p["ejecta_mode"] == "against":
                    assert np.mean(proj < -0.2) > 0.9
                else:
                    assert 0.2 < np.mean(proj > 0) < 0.8 and abs(proj.mean()) < 0.35


def test_crack_junctions():
    """Plausible cracks: concentric cracks end on radial ones staggered (T); otherwise rings cross (X)."""
    s = SCENES[0]
    for k in range(6):
        for plaus in (True, False):
            lab = dict(symmetric=bool(k % 2), transitional=bool(k // 2 % 2), plausible=plaus, polished=False)
            p = render(s, 500 + k, size=96, labels=lab)[1]["params"]
            assert p["junctions"] == ("T" if plaus else "X")
            if lab["transitional"]:
                assert p["open_tips"] > 0
            else:
                assert p["open_tips"] == 0


# ----------------------------------------------------------------------------- symmetric


@pytest.mark.parametrize("s", SCENES, ids=[s.id for s in SCENES])
def test_mirror_symmetry_of_the_structure(s):
    sym_e, asym_e = [], []
    for k in range(4):
        base = dict(transitional=bool(k % 2), plausible=bool(k // 2), polished=bool(k % 3 == 0))
        L = render_layers(s, 600 + k, size=128, labels={**base, "symmetric": True})
        sym_e.append(mirror_error(L["structure"], L["truth"]))
        L = render_layers(s, 600 + k, size=128, labels={**base, "symmetric": False})
        asym_e.append(mirror_error(L["structure"], L["truth"]))
    print(s.id, "mirror error sym", np.round(sym_e, 3), "asym", np.round(asym_e, 3))
    assert max(sym_e) < 0.1
    assert min(asym_e) > 0.2


def test_rotational_symmetry_when_n_fold():
    found = 0
    for s in BY_FAMILY["fracture"] + BY_FAMILY["impact"]:
        for seed in range(40):
            lab = dict(symmetric=True, transitional=True, plausible=False, polished=True)
            L = render_layers(s, seed, size=128, labels=lab)
            p = L["truth"]["params"]
            if p["sym_kind"] != "rot" or p["ejecta_mode"] != "isotropic":
                continue
            n = p["fold"]
            right = rotation_error(L["structure"], L["truth"], n)
            assert right < 0.12
            # a wrong fold fits far worse (the round crater body makes every fold fit a little)
            for m in (2 * n, n + 1, n - 1):
                assert rotation_error(L["structure"], L["truth"], m) > max(0.05, 3.0 * right)
            found += 1
            break
    assert found == 4


# ----------------------------------------------------------------------------- transitional


def test_transitional_means_soft_streaks_and_open_structure():
    """Motion streaks are soft (partial alpha) pixels; the at-rest state is crisp."""
    for fam in FAMILIES:
        soft = {True: [], False: []}
        for k, s in enumerate(BY_FAMILY[fam] * 3):
            for tr in (True, False):
                lab = dict(symmetric=bool(k % 2), transitional=tr, plausible=bool(k // 2 % 2), polished=False)
                m = render_layers(s, 700 + k, size=128, labels=lab)["structure"]
                soft[tr].append(float(((m > 0.04) & (m < 0.45)).mean() / max((m > 0.04).mean(), 1e-9)))
        assert min(soft[True]) > max(soft[False]) * 0.9 or np.mean(soft[True]) > 1.5 * np.mean(soft[False]), soft
        assert np.mean(soft[True]) > np.mean(soft[False])


# ----------------------------------------------------------------------------- nuisance balance


def test_nuisance_features_do_not_predict_the_labels():
    """Mean brightness and RMS contrast must not give away symmetric / transitional / plausible."""
    report = {}
    for fam in FAMILIES:
        feats, labs = [], []
        for k, lab in enumerate(COMBOS):
            for rep in range(3):
                s = BY_FAMILY[fam][(k + rep) % 2]
                img, truth = render(s, 1000 + 17 * k + rep, size=96, labels=lab)
                g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float64) / 255.0
                feats.append((g.mean(), g.std()))
                labs.append(lab)
        feats = np.asarray(feats)
        for j, fname in enumerate(("brightness", "rms_contrast")):
            for lab_name in ("symmetric", "transitional", "plausible"):
                v = auroc(feats[:, j], [l[lab_name] for l in labs])
                report[(fam, fname, lab_name)] = v
    for key, v in report.items():
        print("AUROC", *key, f"{v:.3f}")
    bad = {k: v for k, v in report.items() if not 0.3 <= v <= 0.7}
    assert not bad, bad


def test_polished_changes_the_global_look():
    """The only label allowed to move contrast and centring does move them."""
    rms = {True: [], False: []}
    off = []
    for k in range(12):
        s = SCENES[k % len(SCENES)]
        for pol in (True, False):
            lab = dict(symmetric=bool(k % 2), transitional=bool(k // 2 % 2), plausible=bool(k // 4 % 2), polished=pol)
            img, t = render(s, 800 + k, size=96, labels=lab)
            rms[pol].append(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).std())
            if not pol:
                p = t["params"]
                nominal = np.asarray(p["centre_px"]) + p["framing_shift_px"] * np.asarray(p["direction"])
                off.append(float(np.hypot(*(nominal - 48.0))))
    assert auroc(rms[True] + rms[False], [True] * 12 + [False] * 12) > 0.8
    assert np.mean(off) > 5.0 and min(off) > 2.0, off

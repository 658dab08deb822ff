"""Tests of the plausibility scorer: its physics measures on drawn images (tests/conftest.py), measured on the
whole picture; the scorer end to end on constructed lab scenes (tests/lab_scenes.py), where it measures them
inside EventNet's box."""


import math

import numpy as np
import pytest

from metrics import _features as F
from metrics.plausibility import (
    DEFAULT_EXPONENT,
    FRAGMENT_MIN,
    LEARNED_WEIGHT,
    WEIGHTS,
    direction,
    fit_power_law,
    junctions,
    largest_equal_share,
    plausibility,
    size_law,
    size_spread,
)
from metrics.suite import get_scorer

COLUMNS = (
    "plausibility",
    "plausibility_learned",
    "plausibility_size_law",
    "plausibility_size_tau",
    "plausibility_size_spread",
    "plausibility_direction",
    "plausibility_junctions",
    "plausibility_note",
)


def _sizes(img, exponent=DEFAULT_EXPONENT):
    lay = F.layout(img)
    areas = lay.piece_areas[lay.piece_areas >= FRAGMENT_MIN * lay.min_area]
    return size_law(areas, exponent)


def _spread(img):
    return size_spread(F.spots(F.layout(img).grey))[0]


def _direction(img, scene):
    return direction(F.layout(img), scene)[0]


def _junctions(img):
    return junctions(F.layout(img))[0]


def test_registered_with_exact_columns():
    info = get_scorer("plausibility")
    assert info.columns == COLUMNS
    assert info.fn is plausibility


def test_fit_recovers_a_known_exponent():
    # continuous power law above x_min = 10 by inverse CDF, tau = 1.6
    rng = np.random.default_rng(0)
    x = np.round(10.0 * rng.random(2000) ** (-1.0 / 0.6))
    tau, xmin, n_tail, ks = fit_power_law(x)
    assert abs(tau - 1.6) < 0.08
    assert n_tail > 500 and ks < 0.1


def test_fit_needs_enough_fragments():
    tau, _, n, _ = fit_power_law(np.array([5.0, 9.0, 30.0]))
    assert math.isnan(tau) and n == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_power_law_fragments_recover_tau(draw, seed):
    img, areas = draw.power_law_fragments(np.random.default_rng(seed), tau=1.6)
    score, tau, _ = _sizes(img)
    # measured: tau 1.37-1.73 over seeds 0-11 (mean 1.54); the discs are
    # truncated at 900 px, which the truncated fit accounts for
    assert abs(tau - 1.6) <= 0.3
    assert score > 0.7


@pytest.mark.parametrize("seed", [0, 1])
def test_uniform_fragments_fail_the_size_law(draw, seed):
    img, _ = draw.uniform_fragments(np.random.default_rng(seed))
    assert _sizes(img)[0] < 0.3


def test_largest_equal_share_counts_the_biggest_group():
    # identical areas: one group of everything; a factor 3 apart: each alone
    assert largest_equal_share(np.full(7, 50.0)) == pytest.approx(1.0)
    assert largest_equal_share(np.array([10.0, 30.0, 90.0, 270.0])) == pytest.approx(1 / 4, abs=1e-6)
    # five areas within +-10 % of 100 among eight: soft count, between 2/8 and 5/8
    share = largest_equal_share(np.array([95.0, 100.0, 104.0, 108.0, 92.0, 20.0, 300.0, 900.0]))
    assert 2 / 8 < share < 5 / 8
    # the soft count moves smoothly: a 1 % change of one area moves it by < 0.02
    a = np.array([100.0, 104.0, 109.0, 95.0, 40.0, 250.0])
    b = a.copy()
    b[2] *= 1.01
    assert abs(largest_equal_share(a) - largest_equal_share(b)) < 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_size_spread_separates_power_law_from_equal_pieces(draw, seed):
    heavy, _ = draw.power_law_fragments(np.random.default_rng(seed), tau=1.6)
    equal, _ = draw.uniform_fragments(np.random.default_rng(seed))
    s_heavy = _spread(heavy)
    s_equal = _spread(equal)
    assert s_heavy > 0.8
    assert s_equal < 0.2


def test_size_spread_sees_equal_drops_among_spray(draw):
    # equal drops with a mist of fine spray: still one group of equal pieces
    rng = np.random.default_rng(5)
    img, _ = draw.uniform_fragments(rng, n=25)
    h, w = img.shape[:2]
    for _ in range(40):
        x, y = (int(v) for v in rng.integers(8, w - 8, 2))
        img[y - 1 : y + 2, x - 1 : x + 2] = 1.0
    assert _spread(img) < 0.3


def test_scene_exponent_range_is_used(draw, scene_factory):
    img, _ = draw.power_law_fragments(np.random.default_rng(0), tau=1.6)
    inside = _sizes(img, (1.2, 2.2))[0]
    outside = _sizes(img, (2.6, 3.0))[0]
    assert inside > 0.7 and outside < 0.3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_direction_along_and_against_the_spec(draw, scene_factory, seed):
    img = draw.in_flight(np.random.default_rng(seed), direction=(1.0, 0.0))
    along = _direction(img, scene_factory((1.0, 0.0)))
    against = _direction(img, scene_factory((-1.0, 0.0)))
    across = _direction(img, scene_factory((0.0, 1.0)))
    # measured: along 0.94-0.96, against 0.04-0.06, across 0.38-0.42 (seeds 0-2)
    assert along > 0.7
    assert against < 0.3
    assert against < across < along


def test_direction_follows_the_debris(draw, scene_factory):
    d = (0.0, 1.0)
    img = draw.in_flight(np.random.default_rng(3), direction=d, source=(0.5, 0.3), start=0.32)
    assert _direction(img, scene_factory(d)) > 0.7
    assert _direction(img, scene_factory((0.0, -1.0))) < 0.3


def test_direction_needs_a_scene(draw):
    out = plausibility(draw.in_flight(np.random.default_rng(0)))
    assert math.isnan(out["plausibility_direction"])
    assert "no scene" in out["plausibility_note"]


def test_t_junctions_beat_x_crossings(draw):
    for k in range(3):
        t = _junctions(draw.t_network(np.random.default_rng(k)))
        x = _junctions(draw.x_grid(np.random.default_rng(k)))
        # measured: T-network 0.88-0.96, grid 0.09-0.27 (seeds 0-2)
        assert t > 0.7
        assert x < 0.3


def test_no_crack_network_is_nan(equal_star):
    score, note = junctions(F.layout(equal_star))
    assert math.isnan(score) and note == "no crack network"


@pytest.mark.parametrize("maker", ["t_network", "in_flight", "power_law_fragments"])
def test_main_score_is_weighted_mean_of_finite_parts(draw, scene_factory, maker):
    img = getattr(draw, maker)(np.random.default_rng(1))
    img = img[0] if isinstance(img, tuple) else img
    out = plausibility(img, scene_factory((1.0, 0.0)))
    cols = ("plausibility_learned", "plausibility_size_law", "plausibility_size_spread", "plausibility_direction",
            "plausibility_junctions")
    parts = [out[c] for c in cols]
    pairs = [(p, w) for p, w in zip(parts, (LEARNED_WEIGHT, *WEIGHTS)) if math.isfinite(p)]
    assert math.isfinite(out["plausibility_learned"]) and 0.0 <= out["plausibility_learned"] <= 1.0
    assert out["plausibility"] == pytest.approx(sum(p * w for p, w in pairs) / sum(w for _, w in pairs))


def _same(a, b):
    return all(a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_deterministic_whatever_the_memory_alignment(draw, scene_factory, shift):
    img, _ = draw.power_law_fragments(np.random.default_rng(4))
    s = scene_factory((1.0, 0.0))
    ref = plausibility(img, s)
    assert _same(ref, plausibility(img, s))
    for offset in (1, 3):
        assert _same(ref, plausibility(shift(img, offset), s))


def test_constant_image_is_nan_with_note(constant_image):
    out = plausibility(constant_image)
    assert set(out) == set(COLUMNS)
    assert all(math.isnan(out[c]) for c in COLUMNS[:-1])
    assert out["plausibility_note"] == "blank image"


def test_outputs_in_range(draw, equal_star, irregular_stars, noise_images, scene_factory):
    images = [draw.in_flight(np.random.default_rng(k)) for k in range(2)] + [equal_star, *irregular_stars, *noise_images]
    for im in images:
        out = plausibility(im, scene_factory((1.0, 0.0)))
        assert set(out) == set(COLUMNS)
        for c in ("plausibility", "plausibility_learned", "plausibility_size_law", "plausibility_direction",
                  "plausibility_junctions"):
            assert math.isnan(out[c]) or 0.0 <= out[c] <= 1.0


def test_small_pieces_in_a_busy_scene_power_law_beats_equal_sizes(scene_factory):
    # issue 11: once the pieces are small inside a scene with other objects, textures and lighting,
    # plausibility no longer separated power-law from uniform fragment sizes: power law won 2 of 4
    # seeds while size_spread counted (it read the equal shards as the more spread in seeds 0 and 3);
    # measured since it is not counted: 0.634 / 0.613, 0.623 / 0.708, 0.606 / 0.521, 0.583 / 0.486
    import lab_scenes as L

    scene = scene_factory(direction=(1.0, 0.0))
    wins = 0
    for k in range(4):
        pl = plausibility(L.bottle_shards(np.random.default_rng(k)), scene)["plausibility"]
        eq = plausibility(L.bottle_shards(np.random.default_rng(k), uniform=True), scene)["plausibility"]
        wins += pl > eq
    assert wins >= 3


def test_small_pieces_in_a_busy_scene_downrange_beats_uprange(scene_factory):
    # ... nor ejecta along from against the impact direction
    import lab_scenes as L

    scene = scene_factory(direction=(1.0, 0.0))
    wins = 0
    for k in range(4):
        along = plausibility(L.bottle_shards(np.random.default_rng(k), direction=(1.0, 0.0)), scene)["plausibility"]
        against = plausibility(L.bottle_shards(np.random.default_rng(k), direction=(-1.0, 0.0)), scene)["plausibility"]
        wins += along > against
    assert wins >= 3

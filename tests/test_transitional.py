"""Tests of the transitional scorer: drawn images (tests/conftest.py) and constructed lab scenes (tests/lab_scenes.py)."""

import math

import numpy as np
import pytest

import lab_scenes as L
from metrics.suite import get_scorer
from metrics.transitional import MAX_EDGE_BLUR, transitional

COLUMNS = ("transitional", "transitional_pre", "transitional_end", "transitional_blur", "transitional_eventnet",
           "transitional_photo", "transitional_photo_gate", "transitional_note")


def test_registered_with_exact_columns():
    info = get_scorer("transitional")
    assert info.columns == COLUMNS
    assert info.fn is transitional


def test_the_three_phases_are_probabilities(draw):
    for im in (draw.in_flight(np.random.default_rng(0)), L.intact_glass(np.random.default_rng(0))):
        out = transitional(im)
        assert set(out) == set(COLUMNS)
        total = out["transitional"] + out["transitional_pre"] + out["transitional_end"]
        assert abs(total - 1.0) < 1e-6 and out["transitional_note"] == ""


def test_long_straight_scene_edges_are_not_streaks():
    # issue 11: an intact glass before impact, long vertical reflections and a window frame behind it,
    # scored 0.97 when long scene edges read as motion streaks
    for k in range(3):
        glass = transitional(L.intact_glass(np.random.default_rng(k)))["transitional"]
        flying = transitional(L.bottle_shards(np.random.default_rng(k)))["transitional"]
        assert glass < 0.5, (k, glass)
        assert flying > glass, (k, glass, flying)


def test_small_crisp_shards_in_the_air_beat_the_same_shards_at_rest():
    # issue 11: a bottle with crisp shards flying off after a bullet scored 0.00; in the air they cast their
    # shadows far below them on the table, at rest they lie on it with contact shadows
    deltas = []
    for k in range(4):
        flying = transitional(L.bottle_shards(np.random.default_rng(k)))["transitional"]
        rest = transitional(L.bottle_shards(np.random.default_rng(k), at_rest=True))["transitional"]
        deltas.append(flying - rest)
    # measured: +0.17, +0.15, +0.01, -0.16 -- flying wins, but by a small margin (scorer card, failure modes)
    assert sum(d > 0 for d in deltas) >= 3 and float(np.mean(deltas)) > 0.0, deltas


def test_streaks_in_flight_beat_the_object_at_rest(draw):
    for k in range(3):
        rest = transitional(draw.in_flight(np.random.default_rng(k), pieces=False, streaks=False))
        moving = transitional(draw.in_flight(np.random.default_rng(k)))
        # measured with the shipped EventNet: +0.20, +0.22, +0.26 (the object at rest alone scores 0.59)
        assert moving["transitional"] - rest["transitional"] > 0.15


def test_a_blurred_image_is_nan_but_a_32px_image_enlarged_is_judged(draw):
    import cv2

    img = draw.in_flight(np.random.default_rng(0))
    h, w = img.shape[:2]
    soft = cv2.resize(cv2.resize(img, (32, 32), interpolation=cv2.INTER_AREA), (w, h), interpolation=cv2.INTER_CUBIC)
    out = transitional(np.clip(soft, 0, 1))
    assert math.isfinite(out["transitional"]) and out["transitional_blur"] < MAX_EDGE_BLUR
    smeared = transitional(cv2.GaussianBlur(img, (0, 0), 14.0))
    assert math.isnan(smeared["transitional"]) and "too blurred" in smeared["transitional_note"]
    assert smeared["transitional_blur"] > MAX_EDGE_BLUR


def test_deterministic_whatever_the_memory_alignment(draw, shift):
    from metrics import _features as F

    im = draw.in_flight(np.random.default_rng(5))
    ref = transitional(im)
    F._LAST.clear()
    assert ref == transitional(im)
    for offset in (1, 3):
        F._LAST.clear()
        assert transitional(shift(im, offset)) == ref


def test_constant_image_is_nan_with_note(constant_image):
    out = transitional(constant_image)
    assert set(out) == set(COLUMNS)
    assert all(math.isnan(out[c]) for c in COLUMNS[:-1])
    assert out["transitional_note"] == "blank image"


def test_outputs_in_range(draw, equal_star, irregular_stars, noise_images):
    images = [draw.in_flight(np.random.default_rng(k)) for k in range(2)] + [equal_star, *irregular_stars, *noise_images]
    for im in images:
        out = transitional(im)
        for c in COLUMNS[:3]:
            assert math.isnan(out[c]) or 0.0 <= out[c] <= 1.0
        assert isinstance(out["transitional_note"], str)


def test_edge_blur_recovers_a_known_gaussian_blur():
    import cv2

    from metrics._features import edge_blur

    # a sharp-edged checker of 16 px squares, blurred by known sigmas
    y, x = np.mgrid[0:256, 0:256]
    board = (((x // 16) + (y // 16)) % 2).astype(np.float32)
    assert edge_blur(board) < 0.8
    for s in (1.0, 2.0, 3.5):
        est = edge_blur(cv2.GaussianBlur(board, (0, 0), s))
        assert abs(est - s) < 0.35 * s, (s, est)


@pytest.mark.xfail(strict=True, reason="known failure mode, still open (docs/scorers.md): EventNet reads the foam "
                   "block's spray as an end state (spray 0.03 / 0.001 / 0.001 against the intact block 0.15 / 0.23 / 0.24)")
def test_a_foam_block_spraying_ejecta_beats_the_block_before_the_hit():
    # issue 11: a foam block spraying ejecta scored 0.08-0.28
    for k in range(3):
        spray = transitional(L.foam_block(np.random.default_rng(k)))["transitional"]
        intact = transitional(L.foam_block(np.random.default_rng(k), spraying=False))["transitional"]
        assert spray > intact, (k, spray, intact)

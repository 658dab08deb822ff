"""Tests of the transitional scorer on drawn images (tests/conftest.py)."""

import math

import numpy as np

from metrics.suite import get_scorer
from metrics.transitional import transitional

COLUMNS = (
    "transitional",
    "transitional_pieces",
    "transitional_streaks",
    "transitional_crack_tips",
    "transitional_note",
)


def test_registered_with_exact_columns():
    info = get_scorer("transitional")
    assert info.columns == COLUMNS
    assert info.fn is transitional


def test_pieces_and_streaks_in_flight_beat_the_object_at_rest(draw):
    for k in range(3):
        rest = transitional(draw.in_flight(np.random.default_rng(k), pieces=False, streaks=False))
        moving = transitional(draw.in_flight(np.random.default_rng(k)))
        assert set(moving) == set(COLUMNS)
        # measured: at rest 0.0, in flight 0.99-1.0 (seeds 0-2)
        assert rest["transitional"] < 0.2
        assert moving["transitional"] - rest["transitional"] > 0.3
        assert moving["transitional_streaks"] > 0.5


def test_streaks_alone_raise_it(draw):
    for k in range(3):
        rest = transitional(draw.in_flight(np.random.default_rng(k), pieces=False, streaks=False))
        streaks = transitional(draw.in_flight(np.random.default_rng(k), pieces=False, streaks=True))
        assert streaks["transitional_streaks"] > 0.4
        assert streaks["transitional"] - rest["transitional"] > 0.3


def test_crisp_pieces_are_counted_but_motion_tells(draw):
    # crisp detached pieces are reported; without motion blur they may be at rest
    pieces = transitional(draw.in_flight(np.random.default_rng(0), pieces=True, streaks=False))
    moving = transitional(draw.in_flight(np.random.default_rng(0), pieces=True, streaks=True))
    assert pieces["transitional_pieces"] > 0.5
    assert pieces["transitional_streaks"] < 0.2
    # measured: 0.01 against 1.0
    assert moving["transitional"] - pieces["transitional"] > 0.3


def test_clean_crack_patterns_are_not_mid_process(equal_star, draw):
    # an equal star and a finished T-network: no pieces, no streaks, no open tips
    for im in (equal_star, draw.t_network(np.random.default_rng(0))):
        assert transitional(im)["transitional"] < 0.2


def test_deterministic_whatever_the_memory_alignment(draw, shift):
    im = draw.in_flight(np.random.default_rng(5))
    ref = transitional(im)
    assert ref == transitional(im)
    for offset in (1, 3):
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
        for c in COLUMNS[:-1]:
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


def test_image_too_soft_for_streaks_is_nan_with_note(draw):
    import cv2

    img = draw.in_flight(np.random.default_rng(0))
    sharp = transitional(img)
    assert math.isfinite(sharp["transitional"]) and sharp["transitional"] > 0.5
    # the same picture at 32 px, enlarged back: streaks no longer resolvable
    h, w = img.shape[:2]
    soft = cv2.resize(cv2.resize(img, (32, 32), interpolation=cv2.INTER_AREA), (w, h), interpolation=cv2.INTER_CUBIC)
    out = transitional(np.clip(soft, 0, 1))
    assert math.isnan(out["transitional"]) and "too soft" in out["transitional_note"]
    # a 0.5x resize keeps it decidable
    half = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    assert math.isfinite(transitional(half)["transitional"])

"""The Vendi score (Friedman & Dieng 2023) and the classical features behind it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics.diversity import classical_features, normalised, vendi_from_features, vendi_score


def test_identical_images_have_vendi_one(draw):
    img = draw.star(np.random.default_rng(0), arms=7, equal=False)
    out = vendi_score([img] * 6)
    assert out["vendi"] == pytest.approx(1.0, abs=1e-9)
    assert out["diversity"] == pytest.approx(0.0, abs=1e-9)
    assert out["n"] == 6 and out["features"] == "classical"


def test_orthogonal_features_have_vendi_n():
    # Definition check (Friedman & Dieng 2023, sec. 3): mutually orthogonal unit vectors give VS = n.
    for n in (2, 5, 9):
        x = np.eye(n, 12) * 3.0  # scaled rows: the kernel normalises them
        assert vendi_from_features(x) == pytest.approx(n, rel=1e-12)
        assert normalised(vendi_from_features(x), n) == pytest.approx(1.0)


def test_two_groups_give_effective_number_two():
    # n/2 copies of each of two orthogonal vectors: eigenvalues (1/2, 1/2) -> VS = 2.
    x = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3)
    assert vendi_from_features(x) == pytest.approx(2.0, rel=1e-12)


def _varied(draw):
    r = np.random.default_rng
    return [
        draw.star(arms=8, equal=True), draw.splash(r(1)), draw.noise(r(2)), draw.in_flight(r(3)),
        draw.t_network(r(4)), draw.x_grid(r(5)), draw.clutter(r(6)), draw.power_law_fragments(r(7), size=192)[0],
    ]


def test_different_renders_score_higher_than_near_duplicates(draw):
    varied = _varied(draw)
    base = draw.splash(np.random.default_rng(1))
    rng = np.random.default_rng(11)
    dupes = [np.clip(base + rng.normal(0, 0.01, base.shape).astype(np.float32), 0, 1) for _ in range(8)]
    v, d = vendi_score(varied), vendi_score(dupes)
    assert v["vendi"] > 3.0 > 1.2 > d["vendi"]
    assert v["diversity"] > d["diversity"] + 0.25


def test_permutation_invariant_and_deterministic(draw):
    imgs = _varied(draw)
    a = vendi_score(imgs)
    b = vendi_score(imgs[::-1])
    c = vendi_score([imgs[i] for i in (3, 0, 7, 5, 1, 6, 2, 4)])
    assert a == b == c  # bit-identical (rows are put in a canonical order)
    assert vendi_score(imgs) == a


def test_features_are_not_blind_to_mirroring_or_colour(draw):
    img = draw.in_flight(np.random.default_rng(3))
    f = classical_features(img)
    assert f.shape == (16 * 16 + 8 * 8 * 9 + 64,)
    assert np.linalg.norm(f) == pytest.approx(1.0)
    assert float(f @ classical_features(img[:, ::-1])) < 0.9  # a mirrored picture is a different picture
    assert float(f @ classical_features(img[..., ::-1].copy())) < 0.99  # so is a recoloured one
    big = np.repeat(np.repeat(img, 2, axis=0), 2, axis=1)
    assert float(f @ classical_features(big)) > 0.98  # but the resolution barely matters


def test_embedder_hook():
    imgs = [np.full((20, 20, 3), v, np.float32) for v in (0.1, 0.5, 0.9)]

    def embed(images):
        return np.eye(len(images), 4)

    out = vendi_score(imgs, features="clip", embedder=embed)
    assert out["vendi"] == pytest.approx(3.0) and out["features"] == "clip"
    with pytest.raises(ValueError, match="embedder"):
        vendi_score(imgs, features="clip")
    with pytest.raises(ValueError, match=r"\(n, d\)"):
        vendi_score(imgs, features="clip", embedder=lambda ims: np.ones(5))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="at least one image"):
        vendi_score([])
    with pytest.raises(ValueError, match="float image"):
        vendi_score([np.zeros((8, 8, 3), np.uint8)])
    with pytest.raises(ValueError, match="non-zero"):
        vendi_from_features(np.zeros((2, 3)))
    assert math.isnan(normalised(1.0, 1))

"""The shared analysis helpers remember their last result by content, never by identity."""

import numpy as np

from metrics import _features as F
from metrics.plausibility import plausibility
from metrics.transitional import transitional


def test_layout_memo_is_keyed_by_content(draw):
    img = draw.in_flight(np.random.default_rng(0))
    a = F.layout(img)
    assert F.layout(img.copy()) is a  # same content, another array: the remembered result
    changed = img.copy()
    changed[10:40, 10:40] = 1.0 - changed[10:40, 10:40]
    b = F.layout(changed)
    assert b is not a and not np.array_equal(a.smask, b.smask)
    # parameters are part of the key
    assert F.layout(img, cracks=False) is not F.layout(img)


def test_scores_do_not_depend_on_what_was_scored_before(draw):
    one = draw.in_flight(np.random.default_rng(1))
    two = draw.power_law_fragments(np.random.default_rng(2))[0]
    fresh = {**transitional(two), **plausibility(two)}
    transitional(one), plausibility(one)
    again = {**transitional(two), **plausibility(two)}
    same = [k for k in fresh if fresh[k] == again[k] or (fresh[k] != fresh[k] and again[k] != again[k])]
    assert same == list(fresh)


def test_held_inputs_digest_once_and_only_inside_the_block(draw):
    # score_image digests each image once for all scorers; outside its block an
    # array changed in place is seen as new content
    img = draw.in_flight(np.random.default_rng(3))
    k0 = F._content_key(img)
    img[5:60, 5:60] = 1.0 - img[5:60, 5:60]
    k1 = F._content_key(img)
    assert k1 != k0
    calls = []
    real = F._digest
    try:
        F._digest = lambda a: calls.append(a.shape) or real(a)
        with F.held_inputs():
            assert F._content_key(img) == F._content_key(img) == k1
            assert F._content_key(img.copy()) == k1
            with F.held_inputs():  # nested blocks share the outer memo
                F._content_key(img)
        F._content_key(img)
    finally:
        F._digest = real
    assert len(calls) == 3, calls  # img once, its copy once, then once after the block


def test_held_input_is_not_hashed_and_its_token_is_never_reused(draw):
    # score_image's input is known by a fresh token inside its block (no SHA-1 of a
    # 512 px image per score); the token cannot answer for another array or block
    img = draw.in_flight(np.random.default_rng(5))
    calls = []
    real = F._digest
    try:
        F._digest = lambda a: calls.append(a.shape) or real(a)
        with F.held_inputs(img):
            k_in = F._content_key(img)
            assert F._content_key(img) == k_in
            assert F._content_key(img.copy()) == (real(img), ())  # an equal copy is hashed as before
        assert calls == [img.shape]
        with F.held_inputs(img):
            k_again = F._content_key(img)
        assert k_again != k_in and k_in[0] != real(img)
    finally:
        F._digest = real


def test_score_image_does_not_hash_its_input_and_gives_the_same_scores(draw):
    from metrics.suite import list_scorers, score_image

    img = draw.in_flight(np.random.default_rng(6))
    hashed = []
    real = F._digest

    def counting(a):
        hashed.append(a.shape)
        return real(a)

    try:
        F._digest = counting
        row = score_image(img)
    finally:
        F._digest = real
    assert img.shape not in hashed and hashed  # derived arrays (the 256 px analysis copy) still are
    F._LAST.clear()
    alone = {}
    for info in list_scorers():
        if not info.derived:
            alone.update(info.fn(img, None))
    assert all(row[k] == v or (row[k] != row[k] and v != v) for k, v in alone.items() if not isinstance(v, str))


def test_score_image_is_the_same_as_the_scorers_one_by_one(draw):
    from metrics.suite import score_image

    img = draw.power_law_fragments(np.random.default_rng(4))[0]
    row = score_image(img)
    F._LAST.clear()
    alone = {**transitional(img), **plausibility(img)}
    assert all(row[k] == v or (row[k] != row[k] and v != v) for k, v in alone.items() if not isinstance(v, str))
    bad = img.copy()
    bad[0, 0, 0] = np.nan
    with F.held_inputs():
        F.check_image(img)
        try:
            F.check_image(bad)
        except ValueError as exc:
            assert "NaN" in str(exc)
        else:
            raise AssertionError("a NaN image passed check_image")

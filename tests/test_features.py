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

"""The scorers must not break on photographs.

Real-looking cases are built without downloads from scikit-image's bundled
sample photographs (``skimage.data``: only images shipped inside the wheel,
no pooch download) at a long side of 256 px, with known manipulations drawn
on top:

* ``mirrored``: the left half reflected onto the right (exact mirror image);
* ``spray``: 24 short dark (or light) streaks on rays from one source, all
  round it, each a quarter of its distance from the source long -- debris in
  flight in one exposure (PHYSICS.md, "Impact and ejecta");
* ``cracks``: a radial crack star from the scene's impact point, 7 wavy arms
  of unequal length at random angles, linked by concentric cracks that end
  on the arms (T-junctions, Bohn et al. 2005);
* ``downrange`` / ``uprange``: 16 streaks in a 120-degree cone along / against
  the scene's impact direction.

For every photo and variant each main score must be finite in [0, 1] or NaN
with a note, and deterministic.  The directions pinned below were measured
first (numbers in docs/scorers.md, "Real photographs"); each test prints its
table (``pytest -s``).  What does NOT hold on these photographs is documented
there and not asserted: they show no event at all, and EventNet's
``transitional`` on them is arbitrary (0.26-0.94 unmanipulated); a spray of
streaks drawn on top does not reliably raise it.  Real photographs of events
are measured by ``realgap validate --real`` (validate/real/).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
skdata = pytest.importorskip("skimage.data")

from bench.spec import select_scenes  # noqa: E402
from metrics.suite import score_image  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins")
MAIN = ("symmetry", "transitional", "plausibility", "aesthetic", "realism")
SIDE = 256


def _load(name: str) -> np.ndarray | None:
    """A bundled sample photo as float32 H x W x 3 in [0, 1], long side 256; None if not offline."""
    try:
        im = getattr(skdata, name)()
    except Exception:  # needs a pooch download, or not in this scikit-image
        return None
    im = np.asarray(im)
    if im.ndim == 2:
        im = np.stack([im] * 3, axis=-1)
    im = im[..., :3]
    h, w = im.shape[:2]
    s = SIDE / max(h, w)
    im = cv2.resize(im, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return (im.astype(np.float32) / 255.0).astype(np.float32)


# ------------------------------------------------------------------ manipulations
def mirrored(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    w = img.shape[1]
    half = w // 2
    out[:, w - half :] = img[:, :half][:, ::-1]
    return out


def _tone(img: np.ndarray) -> float:
    return 1.0 if float(img.mean()) < 0.5 else 0.0


def streaks(img, *, seed=0, source=(0.45, 0.5), n=24, centre=0.0, half_cone=math.pi, thickness=2):
    """``n`` streaks on rays from ``source`` (fractions of width, height) within
    ``centre +- half_cone``, evenly spread with jitter, at 0.15-0.45 of the short
    side from it, each 0.25 of its distance long."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    s = min(h, w)
    sx, sy = source[0] * w, source[1] * h
    layer = np.zeros((h, w), np.float32)
    step = 2 * half_cone / n
    angles = centre + np.linspace(-half_cone, half_cone, n, endpoint=half_cone < math.pi) + rng.uniform(-0.5, 0.5, n) * step
    for a in angles:
        r = rng.uniform(0.15, 0.45) * s
        x0, y0 = sx + r * math.cos(a), sy + r * math.sin(a)
        length = 0.25 * r
        x1, y1 = x0 + length * math.cos(a), y0 + length * math.sin(a)
        cv2.line(layer, (round(x0), round(y0)), (round(x1), round(y1)), 1.0, thickness, cv2.LINE_AA)
    m = 0.9 * layer[..., None]
    return np.clip(img * (1 - m) + _tone(img) * m, 0, 1).astype(np.float32)


def cracks(img, *, seed=0, point=(0.45, 0.5), arms=7):
    """Thin dark radial cracks from ``point`` with concentric links ending on them (T-junctions)."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    s = min(h, w)
    cx, cy = point[0] * w, point[1] * h
    layer = np.zeros((h, w), np.uint8)
    lines = []
    for a in np.sort(rng.uniform(0, 2 * math.pi, arms)):
        length = rng.uniform(0.3, 0.7) * s
        pts = [(cx, cy)]
        x, y = cx, cy
        for _ in range(6):
            aa = a + rng.normal(0, 0.12)
            x += length / 6 * math.cos(aa)
            y += length / 6 * math.sin(aa)
            pts.append((x, y))
        lines.append(np.array(pts))
    for pts in lines:
        cv2.polylines(layer, [np.round(pts).astype(np.int32)], False, 255, 1, cv2.LINE_AA)
    for i in range(arms):
        a1, a2 = lines[i], lines[(i + 1) % arms]
        for j in (2, 4):
            if rng.random() < 0.7:
                p, q = a1[j], a2[j + int(rng.integers(-1, 2))]
                mid = (p + q) / 2 + rng.normal(0, 0.03 * s, 2)
                cv2.polylines(layer, [np.round(np.array([p, mid, q])).astype(np.int32)], False, 255, 1, cv2.LINE_AA)
    m = 0.85 * layer.astype(np.float32)[..., None] / 255.0
    return np.clip(img * (1 - m) + 0.05 * m, 0, 1).astype(np.float32)


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def scene():
    (sc,) = select_scenes("fracture/window-pane-ball")
    return sc


@pytest.fixture(scope="module")
def photos():
    out = {n: im for n in PHOTOS if (im := _load(n)) is not None}
    if len(out) < 5:
        pytest.skip(f"only {len(out)} bundled sample photos load offline")
    return out


@pytest.fixture(scope="module")
def variants(photos, scene):
    """{photo: {variant: image}} for the scene's impact point and direction."""
    point = scene.physics.impact_point
    d = scene.physics.impact_direction
    ang = math.atan2(d[1], d[0])
    return {
        name: {
            "base": img,
            "mirrored": mirrored(img),
            "spray": streaks(img, source=point),
            "cracks": cracks(img, point=point),
            "downrange": streaks(img, source=(0.5, 0.5), n=16, centre=ang, half_cone=math.pi / 3),
            "uprange": streaks(img, source=(0.5, 0.5), n=16, centre=ang + math.pi, half_cone=math.pi / 3),
        }
        for name, img in photos.items()
    }


@pytest.fixture(scope="module")
def scores(variants, scene):
    """{(photo, variant): score row} with the scene, computed once."""
    return {(p, v): score_image(img, scene) for p, vs in variants.items() for v, img in vs.items()}


def _table(scores, photos, variants, cols):
    lines = []
    for p in photos:
        cells = [f"{v}:" + "/".join(f"{scores[(p, v)][c]:.3f}" for c in cols) for v in variants]
        lines.append(f"{p:10s} " + "  ".join(cells))
    print("\n" + " ".join(cols) + "\n" + "\n".join(lines))


def _count(pairs, pred):
    return sum(1 for a, b in pairs if pred(a, b))


# ------------------------------------------------------------------ contract
def test_main_scores_in_range_or_nan_with_note(scores, variants, scene):
    rows = list(scores.items())
    # and without a scene (direction not judged), on the unmanipulated photos
    rows += [((p, "base/no-scene"), score_image(vs["base"], None)) for p, vs in variants.items()]
    for (photo, variant), row in rows:
        for k in MAIN:
            v = row[k]
            assert isinstance(v, float), (photo, variant, k, v)
            if math.isnan(v):
                assert row[f"{k}_note"], f"{photo}/{variant}: {k} is NaN without a note"
            else:
                assert 0.0 <= v <= 1.0, (photo, variant, k, v)
        assert row["aesthetic_source"] == "proxy"
        assert "proxy" in row["aesthetic_note"]
    _table(scores, list(variants), ("base",), MAIN)


def test_scores_are_deterministic(variants, scene, scores):
    for photo, vs in variants.items():
        for variant in ("base", "cracks"):
            again = score_image(vs[variant].copy(), scene)
            first = scores[(photo, variant)]
            for k, v in first.items():
                w = again[k]
                if isinstance(v, float) and math.isnan(v):
                    assert isinstance(w, float) and math.isnan(w), (photo, variant, k)
                else:
                    assert w == v, (photo, variant, k, v, w)


# ------------------------------------------------------------------ directions
def test_mirroring_raises_symmetry(scores, variants):
    _table(scores, list(variants), ("base", "mirrored"), ("symmetry", "symmetry_mirror", "realism"))
    pairs = [(scores[(p, "base")]["symmetry"], scores[(p, "mirrored")]["symmetry"]) for p in variants]
    # measured: 0.00 -> 1.00 on five photos, rocket 0.17 -> 1.00
    assert _count(pairs, lambda a, b: b >= a + 0.5) >= len(pairs) - 1, pairs
    assert _count(pairs, lambda a, b: b >= 0.9) >= len(pairs) - 1, pairs
    # realism uses 1 - symmetry: measured drops 0.03 (camera) to 0.54 (rocket)
    real = [(scores[(p, "base")]["realism"], scores[(p, "mirrored")]["realism"]) for p in variants]
    assert _count(real, lambda a, b: b <= a - 0.1) >= len(real) - 1, real
    assert _count(real, lambda a, b: b < a) == len(real), real


def test_crack_star_gives_a_three_way_network(scores, variants):
    cols = ("plausibility_junctions", "transitional", "plausibility")
    _table(scores, list(variants), ("base", "cracks"), cols)
    junc = [scores[(p, "cracks")]["plausibility_junctions"] for p in variants]
    # measured: 0.64-0.83 on all six (T-junctions dominate, as drawn); note the
    # unmanipulated astronaut, rocket, camera and coins already have a "network"
    assert sum(1 for j in junc if math.isfinite(j)) == len(junc), junc
    assert sum(1 for j in junc if j > 0.55) >= len(junc) - 1, junc
    # Not pinned: open crack tips.  Measured, they rise on coffee, rocket and
    # coins only; astronaut (0.63 -> 0.49), chelsea (0 -> 0) and camera (0.49 ->
    # 0.49) do not, and the unmanipulated astronaut, rocket and camera already
    # score 0.49-0.63 (edges of the photo read as crack tips).


def test_debris_downrange_scores_higher_direction_than_uprange(scores, variants):
    _table(scores, list(variants), ("downrange", "uprange"), ("plausibility_direction",))
    pairs = [
        (scores[(p, "uprange")]["plausibility_direction"], scores[(p, "downrange")]["plausibility_direction"])
        for p in variants
    ]
    assert all(math.isfinite(a) and math.isfinite(b) for a, b in pairs), pairs
    # measured: clearly higher on chelsea, rocket, camera (+0.15 to +0.22), weakly on
    # astronaut; coffee and coins do not separate.  Only the weak claim is pinned.
    assert _count(pairs, lambda a, b: b > a) >= len(pairs) - 2, pairs
    assert _count(pairs, lambda a, b: b > a + 0.1) >= len(pairs) // 2, pairs

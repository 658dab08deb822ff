"""Synthetic images for the classical scorers, drawn with numpy and OpenCV.

Every image is float32 H x W x 3 in [0, 1].  Random images are seeded inside
the fixture (``np.random.default_rng(k)``), never at module level, so each
test sees the same pixels however the tests are ordered or selected.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

SIZE = 192


def _canvas(size=SIZE, value=(0.85, 0.87, 0.9), h=None):
    return np.ones((h or size, size, 3), np.float32) * np.array(value, np.float32)


def _pt(x, y):
    return (int(round(x)), int(round(y)))


def star(rng=None, *, arms=8, size=SIZE, equal=True, ring=False, thickness=2, centre=None):
    """Dark radial cracks on a light pane; ``equal``: same angle steps and lengths."""
    img = _canvas(size)
    cx, cy = centre or (size / 2, size / 2)
    if equal:
        angles = np.arange(arms) * 2 * math.pi / arms + 0.3
        lengths = np.full(arms, 0.4 * size)
    else:
        angles = np.sort(rng.uniform(0, 2 * math.pi, arms))
        lengths = rng.uniform(0.12, 0.45, arms) * size
    for a, L in zip(angles, lengths):
        cv2.line(img, _pt(cx, cy), _pt(cx + L * math.cos(a), cy + L * math.sin(a)), (0.1, 0.1, 0.12), thickness, cv2.LINE_AA)
    if ring:
        cv2.circle(img, _pt(cx, cy), int(0.22 * size), (0.1, 0.1, 0.12), thickness, cv2.LINE_AA)
    return img


def splash(rng, *, size=SIZE, mirrored=True):
    """A crown-like silhouette (side view) on a dark background.

    ``mirrored``: the right half is the reflection of the left; otherwise the
    right half gets its own random fingers (the asymmetric twin).
    """
    img = _canvas(size, (0.05, 0.06, 0.1))
    cx, base = size / 2, 0.7 * size

    def half(r):
        xs = np.linspace(0.05, 0.45, 6) * size
        tops = base - r.uniform(0.15, 0.45, 6) * size
        return xs, tops

    lx, lt = half(rng)
    if mirrored:
        rx, rt = lx, lt
    else:
        rx, rt = half(np.random.default_rng(int(rng.integers(1 << 30))))
    pts = [(cx - 0.45 * size, base)]
    for x, t in zip(lx[::-1], lt[::-1]):
        pts += [(cx - x - 0.02 * size, base - 0.05 * size), (cx - x, t), (cx - x + 0.02 * size, base - 0.05 * size)]
    for x, t in zip(rx, rt):
        pts += [(cx + x - 0.02 * size, base - 0.05 * size), (cx + x, t), (cx + x + 0.02 * size, base - 0.05 * size)]
    pts += [(cx + 0.45 * size, base), (cx + 0.45 * size, base + 0.08 * size), (cx - 0.45 * size, base + 0.08 * size)]
    poly = np.array([_pt(x, y) for x, y in pts], np.int32)
    cv2.fillPoly(img, [poly], (0.95, 0.95, 0.92), cv2.LINE_AA)
    return img


def noise(rng, size=SIZE):
    """Smoothed colour noise (a texture with no main structure)."""
    n = rng.random((size, size, 3)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(n, (0, 0), 1.5) * 1.6 - 0.3, 0, 1)


def body(img, *, size=SIZE, cx=None, cy=None, colour=(0.2, 0.45, 0.25)):
    """A bottle-like object: a rounded rectangle."""
    cx = size * 0.35 if cx is None else cx
    cy = size * 0.5 if cy is None else cy
    cv2.rectangle(img, _pt(cx - 0.08 * size, cy - 0.25 * size), _pt(cx + 0.08 * size, cy + 0.25 * size), colour, -1, cv2.LINE_AA)
    cv2.circle(img, _pt(cx, cy - 0.25 * size), int(0.08 * size), colour, -1, cv2.LINE_AA)
    return img


def in_flight(rng, *, size=SIZE, pieces=True, streaks=True, direction=(1.0, 0.0), n=25, source=(0.35, 0.5), start=0.15):
    """The bottle on a dark background with debris downrange.

    ``pieces``: crisp discs (fragments or droplets).  ``streaks``: motion
    streaks; with pieces, each piece gets a fading tail pointing back to the
    source (length proportional to its distance, as in one exposure), without
    pieces the streaks are thin lines on their own.
    """
    img = body(_canvas(size, (0.05, 0.05, 0.07)), size=size, cx=source[0] * size, cy=source[1] * size)
    dx, dy = direction
    src = np.array([source[0] * size, source[1] * size])
    d = np.array([dx, dy])
    perp = np.array([-dy, dx])
    kappa = 0.25
    if pieces:
        for _ in range(n):
            p = src + d * rng.uniform(start, start + 0.4) * size + perp * rng.normal(0, 0.12) * size
            r = min(max(1.0, rng.pareto(1.2) + 1.0), 6.0)
            if streaks:
                v = p - src
                for k, alpha in ((0.0, 0.45), (0.35, 0.3), (0.7, 0.15)):
                    q0 = p - k * kappa * v
                    q1 = p - min(1.0, k + 0.35) * kappa * v
                    layer = img.copy()
                    cv2.line(layer, _pt(*q0), _pt(*q1), (0.3, 0.6, 0.35), max(1, int(round(1.6 * r))), cv2.LINE_AA)
                    img = (1 - alpha) * img + alpha * layer
            cv2.circle(img, _pt(*p), int(r), (0.3, 0.6, 0.35), -1, cv2.LINE_AA)
    elif streaks:
        for _ in range(n // 2):
            p = src + d * rng.uniform(start, start + 0.3) * size + perp * rng.normal(0, 0.1) * size
            L = rng.uniform(0.06, 0.14) * size
            q = p + d * L
            cv2.line(img, _pt(*p), _pt(*q), (0.55, 0.7, 0.6), 1, cv2.LINE_AA)
    return np.clip(img, 0, 1).astype(np.float32)


def _place_discs(rng, areas, size, bg=(0.08, 0.08, 0.1), fg=(0.85, 0.85, 0.8)):
    """Draw non-overlapping discs with the given areas (px^2), largest first."""
    img = _canvas(size, bg)
    occupied = np.zeros((size, size), np.uint8)
    drawn = []
    for a in sorted(areas, reverse=True):
        r = math.sqrt(a / math.pi)
        for _ in range(400):
            x, y = rng.uniform(r + 2, size - r - 2, 2)
            ri = int(math.ceil(r)) + 2
            y0, y1, x0, x1 = int(y) - ri, int(y) + ri + 1, int(x) - ri, int(x) + ri + 1
            if y0 < 0 or x0 < 0 or y1 > size or x1 > size or occupied[y0:y1, x0:x1].any():
                continue
            cv2.circle(occupied, _pt(x, y), int(math.ceil(r)) + 2, 1, -1)
            # exact area: fill the pixels within r of the centre
            yy, xx = np.mgrid[y0:y1, x0:x1]
            m = (xx - x) ** 2 + (yy - y) ** 2 <= r * r
            img[y0:y1, x0:x1][m] = fg
            drawn.append(int(m.sum()))
            break
    return img, np.array(drawn)


def power_law_fragments(rng, *, tau=1.6, n=220, a_min=6.0, a_max=900.0, size=256):
    """Discs whose areas follow n(A) ~ A^-tau on [a_min, a_max] (inverse CDF)."""
    u = rng.random(n)
    e = 1.0 - tau
    areas = (a_min**e + u * (a_max**e - a_min**e)) ** (1.0 / e)
    return _place_discs(rng, areas, size)


def uniform_fragments(rng, *, n=60, area=90.0, size=256):
    """Discs of (nearly) one size: the iconic 'ring of identical beads'."""
    areas = area * rng.uniform(0.95, 1.05, n)
    return _place_discs(rng, areas, size)


def t_network(rng, *, size=SIZE, n=26):
    """Cracks that stop where they meet an earlier crack (T-junctions), dark on light."""
    img = _canvas(size)
    mask = np.zeros((size, size), np.uint8)
    cv2.rectangle(mask, (0, 0), (size - 1, size - 1), 1, 1)
    m = int(0.06 * size)
    cv2.rectangle(img, (m, m), (size - 1 - m, size - 1 - m), (0.1, 0.1, 0.12), 2)
    cv2.rectangle(mask, (m, m), (size - 1 - m, size - 1 - m), 1, 2)
    for _ in range(n):
        for _ in range(50):
            x, y = rng.uniform(m + 6, size - m - 6, 2)
            if mask[int(y) - 3:int(y) + 4, int(x) - 3:int(x) + 4].any():
                continue
            break
        vertical = rng.random() < 0.5
        ends = []
        for sgn in (-1, 1):
            px, py = x, y
            while True:
                nx, ny = (px, py + sgn) if vertical else (px + sgn, py)
                if mask[int(ny), int(nx)]:
                    ends.append((nx, ny))
                    break
                px, py = nx, ny
        cv2.line(img, _pt(*ends[0]), _pt(*ends[1]), (0.1, 0.1, 0.12), 2)
        cv2.line(mask, _pt(*ends[0]), _pt(*ends[1]), 1, 2)
    return img


def x_grid(rng, *, size=SIZE, n=5):
    """Straight cracks crossing each other (X-junctions), dark on light."""
    img = _canvas(size)
    m = int(0.06 * size)
    xs = np.linspace(m, size - 1 - m, n + 2)[1:-1] + rng.uniform(-4, 4, n)
    ys = np.linspace(m, size - 1 - m, n + 2)[1:-1] + rng.uniform(-4, 4, n)
    for x in xs:
        cv2.line(img, _pt(x, m // 2), _pt(x, size - 1 - m // 2), (0.1, 0.1, 0.12), 2)
    for y in ys:
        cv2.line(img, _pt(m // 2, y), _pt(size - 1 - m // 2, y), (0.1, 0.1, 0.12), 2)
    return img


def clutter(rng, size=SIZE):
    """A busy background: random coloured rectangles and lines."""
    img = _canvas(size, (0.5, 0.5, 0.5))
    for _ in range(60):
        c = tuple(float(v) for v in rng.uniform(0.2, 0.8, 3))
        x, y = rng.integers(0, size, 2)
        w, h = rng.integers(4, 30, 2)
        cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), c, -1)
    return img


def subject(img, *, size=SIZE, centre=(0.5, 0.5), colour=(0.95, 0.4, 0.1), radius=0.18):
    """An orange ball with a crack: the 'main subject' of an aesthetic test."""
    cx, cy = centre[0] * size, centre[1] * size
    cv2.circle(img, _pt(cx, cy), int(radius * size), colour, -1, cv2.LINE_AA)
    return img


@pytest.fixture
def draw():
    """The drawing functions above, for tests that need variants."""
    return SimpleNamespace(
        star=star,
        splash=splash,
        noise=noise,
        in_flight=in_flight,
        power_law_fragments=power_law_fragments,
        uniform_fragments=uniform_fragments,
        t_network=t_network,
        x_grid=x_grid,
        clutter=clutter,
        subject=subject,
        body=body,
        canvas=_canvas,
    )


@pytest.fixture
def equal_star():
    return star(arms=8, equal=True)


@pytest.fixture
def irregular_stars():
    return [star(np.random.default_rng(k), arms=8, equal=False) for k in range(4)]


@pytest.fixture
def noise_images():
    return [noise(np.random.default_rng(10 + k)) for k in range(3)]


@pytest.fixture
def constant_image():
    return np.full((96, 128, 3), 0.4, np.float32)


def misaligned(im, offset):
    """A copy of ``im`` at a different memory alignment (to test bit-identical output)."""
    buf = np.empty(im.size + 64, im.dtype)
    out = buf[offset:offset + im.size].reshape(im.shape)
    out[...] = im
    return out


@pytest.fixture
def shift():
    return misaligned


def make_scene(direction=(1.0, 0.0), *, impact_point=None, exponent=None, family="fracture", phase="transitional"):
    """A bench.spec.Scene with the given physics (built directly, no YAML)."""
    from bench.spec import Physics, Scene

    return Scene(
        id=f"{family}/test",
        family=family,
        title="test",
        prompt="test",
        physics=Physics(
            phase=phase,
            impact_direction=tuple(direction),
            expected=("test",),
            impact_point=impact_point,
            fragment_size_exponent=exponent,
        ),
        iconic_cues=("test",),
        references=("test",),
    )


@pytest.fixture
def scene_factory():
    return make_scene


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module: on 2 shared cores, two spinning OpenMP
    threads per job slow tiny models 10-40x.  Restores the setting afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

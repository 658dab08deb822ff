"""``realgap validate``: evidence that each scorer measures what it claims.

For each labelled *source* (docs/labels.md: ``procedural``, the renderer the
scorers were first designed on; ``sim`` and ``sidecam``, design sources;
``studio``, held out) it renders a validation set in a full factorial design over three
independent labels (symmetric, transitional, plausible), every combination
equally often within each family, plus ``pre``-state images where the source
draws them, with nuisance factors (image size and aspect, brightness, noise,
blur, JPEG quality, and each source's own background / colour / scale /
position variation) assigned by a balanced rotation so that no nuisance
setting goes with any label.  The real-photograph recipe is measured by
:mod:`bench.validate_real`.  For each source it reports, with bootstrap 95% CIs:

* AUROC of each scorer against its own label (per family and overall);
* shortcut AUROCs: each scorer against the two labels it should ignore, and
  simple nuisance features (brightness, contrast, colourfulness, centring)
  against each label;
* invariance: median |change| of each score under JPEG quality 70, 0.5x
  resize, +-20% brightness and a small crop;
* sensitivity: the change when an image is made mirror-symmetric, when motion
  streaks are added, and when fragment sizes are made uniform.

It exits non-zero when a target is missed.  Targets depend on the source's
role: the own renderer keeps its original targets, the design and held-out
sources (and the real photographs' report half) have those of issue 11.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.imageio import atomic_write_text, dumps_json
from bench.stats import BOOT_SEED

SCORER_LABEL = {"symmetry": "symmetric", "transitional": "transitional", "plausibility": "plausible"}
LABELS = ("symmetric", "transitional", "plausible")
NUISANCE = ("brightness", "contrast", "colourfulness", "centring")
TARGETS = {
    "auroc_overall": 0.95,
    "auroc_family": 0.90,
    "shortcut_low": 0.40,
    "shortcut_high": 0.60,
    "invariance_median": 0.05,
}
"""Targets on the own renderer (``procedural``)."""
TARGETS_INDEPENDENT = {
    "auroc_overall": {"symmetry": 0.85, "transitional": 0.85, "plausibility": 0.80},
    "shortcut_low": 0.40,
    "shortcut_high": 0.60,
    "invariance_median": 0.05,
}
"""Targets on sources the scorers were not first designed on (issue 11)."""
SHAPES = ((256, 256), (224, 288), (288, 224), (320, 320), (192, 192), (240, 320))
JPEG = (None, 90, 75)
NOISE = (0.0, 0.01, 0.02)
BLUR = (0.0, 0.6)
GAIN = (1.0, 0.85, 1.15)


@dataclass(frozen=True)
class Item:
    index: int
    source: str
    scene_id: str
    family: str
    seed: int
    labels: dict
    shape: tuple[int, int]
    jpeg: int | None
    noise: float
    blur: float
    gain: float


# ------------------------------------------------------------------ statistics
def _known(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """Scores and labels where the score is finite and the label is known (not None)."""
    s = np.asarray(scores, dtype=float)
    known = np.array([v is not None for v in labels], dtype=bool)
    y = np.array([bool(v) if v is not None else False for v in labels], dtype=bool)
    ok = np.isfinite(s) & known
    return s[ok], y[ok]


def auroc(scores, labels) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (Mann-Whitney
    U / (n1 n0), ties counted half).  NaN scores and None labels are dropped."""
    from scipy.stats import rankdata

    s, y = _known(scores, labels)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    r = rankdata(s)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auroc_ci(scores, labels, *, n_boot: int = 500, seed: int = BOOT_SEED) -> dict:
    """AUROC with a stratified percentile bootstrap 95% CI (NaN scores and None labels dropped)."""
    s, y = _known(scores, labels)
    est = auroc(s, y)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    if not math.isfinite(est) or len(pos) < 2 or len(neg) < 2:
        return {"auroc": _r(est), "ci_low": None, "ci_high": None, "n": int(len(s))}
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        boots.append(auroc(s[idx], y[idx]))
    lo, hi = np.quantile(boots, [0.025, 0.975])
    return {"auroc": _r(est), "ci_low": _r(lo), "ci_high": _r(hi), "n": int(len(s))}


def auroc_within(scores, labels, strata) -> float:
    """AUROC of ``scores`` for ``labels`` counting only pairs that share a stratum: the sum over
    strata of Mann-Whitney U over the sum of n1 n0.  Where the labels go together with the
    strata (real crowns are mostly symmetric *and* in flight), this is the shortcut a score
    takes beyond what the labels' own association gives.  Rows with a None stratum are dropped."""
    s = np.asarray(scores, dtype=float)
    st = np.array(["" if v is None else str(v) for v in strata], dtype=object)
    keep = np.array([v is not None for v in strata], dtype=bool)
    lab = list(labels)
    u = pairs = 0.0
    for k in sorted(set(st[keep])):
        idx = np.flatnonzero(keep & (st == k))
        ss, yy = _known(s[idx], [lab[i] for i in idx])
        n = float(yy.sum()) * float((~yy).sum())
        if n:
            u += auroc(ss, yy) * n
            pairs += n
    return u / pairs if pairs else math.nan


def auroc_within_ci(scores, labels, strata, *, n_boot: int = 500, seed: int = BOOT_SEED) -> dict:
    """:func:`auroc_within` with a percentile bootstrap 95% CI, resampling inside every
    (stratum, label) cell; ``n`` counts the rows that enter a pair."""
    s = np.asarray(scores, dtype=float)
    lab = [None if v is None else bool(v) for v in labels]
    ok = [i for i in range(len(s)) if math.isfinite(s[i]) and lab[i] is not None and strata[i] is not None]
    cells: dict = {}
    for i in ok:
        cells.setdefault((str(strata[i]), lab[i]), []).append(i)
    est = auroc_within(s, lab, strata)
    if not math.isfinite(est):
        return {"auroc": None, "ci_low": None, "ci_high": None, "n": 0}
    n = sum(len(v) for (k, y), v in cells.items() if (k, not y) in cells)
    rng = np.random.default_rng(seed)
    groups = [np.asarray(v) for v in cells.values()]
    boots = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(g, len(g)) for g in groups])
        boots.append(auroc_within(s[idx], [lab[i] for i in idx], [strata[i] for i in idx]))
    lo, hi = np.nanquantile(boots, [0.025, 0.975])
    return {"auroc": _r(est), "ci_low": _r(lo), "ci_high": _r(hi), "n": int(n)}


def _r(x) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


# ------------------------------------------------------------------ nuisance
def nuisance_features(image: np.ndarray) -> dict[str, float]:
    """Simple global features a shortcut could use: mean brightness, RMS contrast,
    colourfulness (Hasler & Suesstrunk 2003) and centring (distance from the image
    centre of the centroid of the picture's departure from its median grey level -
    where the subject sits - as a fraction of the half-diagonal)."""
    grey = image.mean(axis=2)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    colourful = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    mag = np.abs(grey - np.median(grey))
    h, w = grey.shape
    total = float(mag.sum()) or 1.0
    cy = float((mag.sum(axis=1) * np.arange(h)).sum() / total)
    cx = float((mag.sum(axis=0) * np.arange(w)).sum() / total)
    centring = 1.0 - math.hypot(cx - w / 2, cy - h / 2) / math.hypot(w / 2, h / 2)
    return {"brightness": float(grey.mean()), "contrast": float(grey.std()), "colourfulness": float(colourful), "centring": centring}


def degrade(image_u8: np.ndarray, item: Item) -> np.ndarray:
    """Apply the item's nuisance settings (gain, blur, noise, JPEG) to a rendered image."""
    import cv2

    img = image_u8.astype(np.float32)
    if item.gain != 1.0:
        img = img * item.gain
    if item.blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), item.blur)
    if item.noise > 0:
        rng = np.random.default_rng(10_000 + item.index)
        img = img + rng.normal(0, item.noise * 255, img.shape).astype(np.float32)
    out = np.clip(img, 0, 255).round().astype(np.uint8)
    if item.jpeg is not None:
        out = jpeg(out, item.jpeg)
    return out


def jpeg(image_u8: np.ndarray, quality: int) -> np.ndarray:
    import cv2

    ok, buf = cv2.imencode(".jpg", image_u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


# ------------------------------------------------------------------ design
def design(n: int, source: str = "procedural") -> list[Item]:
    """Full factorial: per family, the 8 label combinations (symmetric x
    transitional / end x plausible) each ``n // 24`` times (at least 2),
    nuisance by rotation; plus, where the source draws them, ``n // 24``
    ``pre``-state images per family.  On the procedural source, ``polished`` is
    balanced within each cell (its nuisance "iconic look")."""
    from bench.sources import SOURCES
    from bench.spec import FAMILIES, bundled_scenes

    scenes = bundled_scenes()
    reps = max(2, n // (len(FAMILIES) * 8))
    with_pre = "pre" in SOURCES[source].phases
    items: list[Item] = []
    for fam in FAMILIES:
        fam_scenes = [s for s in scenes if s.family == fam]
        combos = list(itertools.product((False, True), repeat=3)) + ([None] if with_pre else [])
        for combo_i, combo in enumerate(combos):
            for r in range(reps):
                if combo is None:
                    labels = {"symmetric": None, "transitional": False, "plausible": None, "phase": "pre"}
                else:
                    labels = dict(zip(LABELS, combo))
                    labels["phase"] = "transitional" if labels["transitional"] else "end"
                if source == "procedural":
                    labels["polished"] = bool(r % 2)
                k = len(items)
                scene = fam_scenes[(r + combo_i) % len(fam_scenes)]
                items.append(
                    Item(
                        index=k,
                        source=source,
                        scene_id=scene.id,
                        family=fam,
                        seed=1000 + r,
                        labels=labels,
                        # rotation by replicate index: the same settings appear in every cell
                        shape=SHAPES[r % len(SHAPES)],
                        jpeg=JPEG[(r // 2) % len(JPEG)],
                        noise=NOISE[(r // 3) % len(NOISE)],
                        blur=BLUR[(r // 2) % len(BLUR)],
                        gain=GAIN[(r // 4) % len(GAIN)],
                    )
                )
    return items


def _scene(scene_id: str):
    from bench.spec import select_scenes

    return select_scenes(scene_id)[0]


def _source_labels(labels: dict) -> dict:
    return {"symmetric": labels["symmetric"], "phase": labels["phase"], "plausible": labels["plausible"]}


def _render_labels(item: Item, labels: dict) -> np.ndarray:
    from bench.sources import get_source

    extra = {"polished": labels["polished"]} if item.source == "procedural" else {}
    img, _ = get_source(item.source).render(_scene(item.scene_id), item.seed, labels=_source_labels(labels),
                                            shape=item.shape, **extra)
    return degrade(img, item)


def _render(item: Item) -> np.ndarray:
    return _render_labels(item, item.labels)


def _main_scores(image_u8: np.ndarray, scene) -> dict[str, float]:
    from bench.imageio import to_float
    from metrics.suite import score_image

    row = score_image(to_float(image_u8), scene)
    out = {k: row[k] for k in ("symmetry", "transitional", "plausibility", "aesthetic", "realism")}
    out["photo_gate"] = row["transitional_photo_gate"]
    return out


GATE_SHARE_LEVEL = 0.1


def gate_summary(values: list[float | None]) -> dict[str, float | None]:
    """How far the photo heads judged a set of images: the photo gate's mean
    (:mod:`metrics.photo`; 0 = judged as a render, 1 = as a photograph) and the
    share of images above :data:`GATE_SHARE_LEVEL`.  A renderer the gate takes
    partly for photographs gets the photo heads' reading, which is near chance
    on renders (docs/scorers.md, "A third renderer in the gate")."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], float)
    if not v.size:
        return {"mean": None, "share_above": None}
    return {"mean": _r(float(v.mean())), "share_above": _r(float((v > GATE_SHARE_LEVEL).mean()))}


def gate_markdown(g: dict | None) -> str:
    """One line about :func:`gate_summary`'s numbers ('' when there are none)."""
    if not g or g.get("mean") is None:
        return ""
    return (f"Photo gate (how far the photo heads judged these images instead of EventNet and the mirror measure): "
            f"mean {g['mean']:.3f}; above {GATE_SHARE_LEVEL} on {100 * g['share_above']:.0f} % of images.")


# ------------------------------------------------------------------ manipulations
def mirror_symmetric(image_u8: np.ndarray) -> np.ndarray:
    """Left half reflected onto the right: an exactly mirror-symmetric image."""
    h, w = image_u8.shape[:2]
    out = image_u8.copy()
    half = w // 2
    out[:, w - half :] = image_u8[:, :half][:, ::-1]
    return out


N_STREAKS = 20


def add_streaks(image_u8: np.ndarray, direction, seed: int, source=(0.5, 0.5)) -> np.ndarray:
    """Pieces in flight: short streaks on rays from one apparent source (``source``,
    fractions of width and height), inside a 90-degree cone around ``direction``,
    each as long as a fixed fraction of its distance from the source - ballistic
    debris in one exposure (PHYSICS.md, "Impact and ejecta")."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = image_u8.shape[:2]
    s = min(h, w)
    sx, sy = source[0] * w, source[1] * h
    base_angle = math.atan2(direction[1], direction[0])
    layer = np.zeros((h, w), np.float32)
    for _ in range(N_STREAKS):
        a = base_angle + rng.uniform(-math.pi / 4, math.pi / 4)
        r = rng.uniform(0.15, 0.48) * s
        x0, y0 = sx + r * math.cos(a), sy + r * math.sin(a)
        length = 0.18 * r
        x1, y1 = x0 + length * math.cos(a), y0 + length * math.sin(a)
        cv2.line(layer, (int(round(x0)), int(round(y0))), (int(round(x1)), int(round(y1))), 1.0, max(1, s // 128), cv2.LINE_AA)
    base = image_u8.astype(np.float32)
    tone = 255.0 if base.mean() < 128 else 0.0
    out = base * (1 - 0.85 * layer[..., None]) + tone * 0.85 * layer[..., None]
    return np.clip(out, 0, 255).round().astype(np.uint8)


def _invariance_variants(image_u8: np.ndarray) -> dict[str, np.ndarray]:
    import cv2

    h, w = image_u8.shape[:2]
    c = max(2, int(round(0.04 * min(h, w))))
    return {
        "jpeg70": jpeg(image_u8, 70),
        "resize0.5": cv2.resize(image_u8, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
        "brightness+20%": np.clip(image_u8.astype(np.float32) * 1.2, 0, 255).round().astype(np.uint8),
        "brightness-20%": np.clip(image_u8.astype(np.float32) * 0.8, 0, 255).round().astype(np.uint8),
        "crop4%": image_u8[c : h - c, c : w - c].copy(),
    }


def _evaluate(item: Item, with_checks: bool) -> dict[str, Any]:
    """Score one validation item (and, for a subset, its manipulated variants)."""
    import cv2

    cv2.setNumThreads(1)
    from bench.imageio import to_float

    scene = _scene(item.scene_id)
    img = _render(item)
    # the truth labels sit apart from the scores: "transitional" is both a label and a score
    row: dict[str, Any] = {"index": item.index, "source": item.source, "family": item.family, "scene_id": item.scene_id,
                           "labels": dict(item.labels)}
    row.update(_main_scores(img, scene))
    row.update(nuisance_features(to_float(img)))
    if with_checks:
        inv = {}
        for name, var in _invariance_variants(img).items():
            s = _main_scores(var, scene)
            inv[name] = {k: s[k] - row[k] for k in ("symmetry", "transitional", "plausibility")}
        row["invariance"] = inv
        sens = {}
        if item.labels["symmetric"] is False:
            sens["mirror->symmetry"] = _main_scores(mirror_symmetric(img), scene)["symmetry"] - row["symmetry"]
        if not item.labels["transitional"]:
            d = scene.physics.impact_direction
            src = scene.physics.impact_point or (0.5, 0.5)
            streaked = add_streaks(img, d, item.index, src)
            sens["streaks->transitional"] = _main_scores(streaked, scene)["transitional"] - row["transitional"]
        if item.labels["plausible"]:
            implausible = _render_labels(item, dict(item.labels, plausible=False))
            sens["implausible->plausibility"] = _main_scores(implausible, scene)["plausibility"] - row["plausibility"]
        row["sensitivity"] = sens
    return row


def _evaluate_star(args):
    return _evaluate(*args)


# ------------------------------------------------------------------ report
def analyse(rows: list[dict], role: str = "own") -> dict[str, Any]:
    """Turn per-image rows of one source into the validation numbers and target checks.

    ``role`` (:class:`bench.sources.SourceInfo`) picks the targets: ``own`` the
    original ones (:data:`TARGETS`), ``design`` and ``held-out`` those of
    :data:`TARGETS_INDEPENDENT`.
    """
    fams = sorted({r["family"] for r in rows})
    targets = TARGETS if role == "own" else TARGETS_INDEPENDENT
    out: dict[str, Any] = {"n_images": len(rows), "role": role, "targets": targets, "auroc": {}, "shortcuts": {},
                           "nuisance": {}, "phases": dict(sorted(Counter(r["labels"].get("phase", "?") for r in rows).items()))}
    for scorer, label in SCORER_LABEL.items():
        s = [r[scorer] for r in rows]
        y = [r["labels"][label] for r in rows]
        out["auroc"][scorer] = {"label": label, "overall": auroc_ci(s, y)}
        for fam in fams:
            sub = [r for r in rows if r["family"] == fam]
            out["auroc"][scorer][fam] = auroc_ci([r[scorer] for r in sub], [r["labels"][label] for r in sub])
        out["shortcuts"][scorer] = {
            other: auroc_ci(s, [r["labels"][other] for r in rows]) for other in LABELS if other != label
        }
    for feat in NUISANCE:
        out["nuisance"][feat] = {label: auroc_ci([r[feat] for r in rows], [r["labels"][label] for r in rows]) for label in LABELS}
    checked = [r for r in rows if "invariance" in r]
    inv: dict[str, dict[str, float]] = {}
    for r in checked:
        for name, deltas in r["invariance"].items():
            for k, v in deltas.items():
                inv.setdefault(k, {}).setdefault(name, []).append(abs(v))
    out["invariance"] = {k: {name: _r(float(np.nanmedian(v))) for name, v in d.items()} for k, d in inv.items()}
    sens: dict[str, list[float]] = {}
    for r in checked:
        for name, v in r.get("sensitivity", {}).items():
            sens.setdefault(name, []).append(v)
    out["sensitivity"] = {
        name: {"median_change": _r(float(np.nanmedian(v))), "share_in_expected_direction": _r(float(np.mean(
            [(x < 0) if name.startswith("implausible") else (x > 0) for x in v if math.isfinite(x)] or [math.nan]))), "n": len(v)}
        for name, v in sorted(sens.items())
    }
    out["photo_gate"] = gate_summary([r.get("photo_gate") for r in rows])
    out["failures"] = check_targets(out, fams)
    return out


def check_targets(res: dict, fams: list[str]) -> list[str]:
    """Every missed target as a line."""
    t = res["targets"]
    bad = []
    for scorer, d in res["auroc"].items():
        a = d["overall"]["auroc"]
        need = t["auroc_overall"][scorer] if isinstance(t["auroc_overall"], dict) else t["auroc_overall"]
        if a is None or a < need:
            bad.append(f"AUROC {scorer} vs {d['label']} overall {a} < {need}")
        for fam in fams if "auroc_family" in t else ():
            a = d[fam]["auroc"]
            if a is None or a < t["auroc_family"]:
                bad.append(f"AUROC {scorer} vs {d['label']} in {fam} {a} < {t['auroc_family']}")
    for scorer, d in res["shortcuts"].items():
        for other, st in d.items():
            a = st["auroc"]
            if a is None or not t["shortcut_low"] <= a <= t["shortcut_high"]:
                bad.append(f"shortcut: {scorer} vs {other} AUROC {a} outside [{t['shortcut_low']}, {t['shortcut_high']}]")
    for feat, d in res["nuisance"].items():
        for label, st in d.items():
            a = st["auroc"]
            if a is None or not t["shortcut_low"] <= a <= t["shortcut_high"]:
                bad.append(f"shortcut: nuisance {feat} vs {label} AUROC {a} outside [{t['shortcut_low']}, {t['shortcut_high']}]")
    for scorer, d in res["invariance"].items():
        for name, v in d.items():
            if v is None or v > t["invariance_median"]:
                bad.append(f"invariance: {scorer} under {name} median |change| {v} > {t['invariance_median']}")
    return bad


def fmt_auroc(st: dict | None, with_n: bool = False) -> str:
    """``0.912 [0.870, 0.950]`` (plus ``(n=...)`` when asked); ``n/a`` when undecidable."""
    if not st or st.get("auroc") is None:
        return "n/a"
    n = f" (n={st['n']})" if with_n else ""
    if st.get("ci_low") is None:
        return f"{st['auroc']:.3f}{n}"
    return f"{st['auroc']:.3f} [{st['ci_low']:.3f}, {st['ci_high']:.3f}]{n}"


_fmt = fmt_auroc  # the short name the tables below use


def source_markdown(res: dict, title: str) -> list[str]:
    """Markdown lines of one source's result (:func:`analyse`)."""
    fams = [k for k in next(iter(res["auroc"].values())) if k not in ("label", "overall")]
    phases = ", ".join(f"{k} {v}" for k, v in res.get("phases", {}).items())
    lines = [f"## {title}: {res['n_images']} labelled images ({phases})", ""]
    lines += ["### AUROC of each scorer against its own label (95% bootstrap CI)", ""]
    lines += ["| scorer | label | overall | " + " | ".join(fams) + " |", "|---|---|---|" + "---|" * len(fams)]
    for scorer, d in res["auroc"].items():
        lines.append(f"| {scorer} | {d['label']} | {_fmt(d['overall'])} | " + " | ".join(_fmt(d[f]) for f in fams) + " |")
    gate = gate_markdown(res.get("photo_gate"))
    lines += ["", gate] if gate else []
    lines += ["", "### Shortcuts (target: AUROC within 0.40-0.60)", "", "| score | against label | AUROC |", "|---|---|---|"]
    for scorer, d in res["shortcuts"].items():
        for other, st in d.items():
            lines.append(f"| {scorer} | {other} | {_fmt(st)} |")
    for feat, d in res["nuisance"].items():
        for label, st in d.items():
            lines.append(f"| nuisance: {feat} | {label} | {_fmt(st)} |")
    lines += ["", "### Invariance: median |change| of the score (target <= 0.05)", ""]
    names = sorted({n for d in res["invariance"].values() for n in d})
    lines += ["| score | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for scorer, d in res["invariance"].items():
        lines.append(f"| {scorer} | " + " | ".join(f"{d.get(n):.3f}" if d.get(n) is not None else "n/a" for n in names) + " |")
    lines += ["", "### Sensitivity: change when the property is manipulated", "",
              "| manipulation | median change | share in expected direction | n |", "|---|---|---|---|"]
    for name, d in res["sensitivity"].items():
        lines.append(f"| {name} | {d['median_change']} | {d['share_in_expected_direction']} | {d['n']} |")
    lines += [""]
    return lines


def evaluate_source(source: str, n: int, workers: int, checks: int, progress: bool) -> list[dict]:
    """Rows of one source's validation set (a subset also gets the invariance and sensitivity checks)."""
    from tqdm import tqdm

    items = design(n, source)
    step = max(1, len(items) // max(1, checks))
    tasks = [(it, it.index % step == 0) for it in items]
    bar = dict(total=len(tasks), desc=f"validate {source}", unit="img", disable=None if progress else True, file=sys.stderr)
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            return list(tqdm(pool.map(_evaluate_star, tasks, chunksize=4), **bar))
    return [_evaluate(*t) for t in tqdm(tasks, **bar)]

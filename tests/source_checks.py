"""Checks every labelled source must pass (docs/labels.md), shared by the sources' test files."""

from __future__ import annotations

from bench.spec import FAMILIES, select_scenes


def assert_nuisance_does_not_predict_labels(source) -> float:
    """Full factorial: 3 families x 2 x 2 x 2 x 6 seeds of ``source`` (a source module); every
    nuisance feature's AUROC against every label inside 0.40-0.60 (docs/labels.md, balance).
    Returns the AUROC furthest from 0.5."""
    from bench.imageio import to_float
    from bench.validate import auroc, nuisance_features

    rows = []
    for fam in FAMILIES:
        scs = select_scenes(fam)
        for sd in range(6):
            sc = scs[sd % len(scs)]
            for ph in ("transitional", "end"):
                for sy in (True, False):
                    for pl in (True, False):
                        img, _ = source.render(sc, 500 + sd, labels=dict(symmetric=sy, phase=ph, plausible=pl), shape=(192, 224))
                        rows.append((sy, ph == "transitional", pl, nuisance_features(to_float(img))))
    assert len(rows) == 144
    worst = 0.5
    for j, name in enumerate(("symmetric", "transitional", "plausible")):
        y = [r[j] for r in rows]
        for k in ("brightness", "contrast", "colourfulness", "centring"):
            a = auroc([r[3][k] for r in rows], y)
            worst = a if abs(a - 0.5) > abs(worst - 0.5) else worst
            assert 0.40 <= a <= 0.60, (name, k, a)
    return worst

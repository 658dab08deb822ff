"""Tiny, dependency-free SVG plots for self-contained reports and the static site.

Output is deterministic text (no timestamps, fixed number formatting) and every
label is escaped, so plots can hold user-supplied names safely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Sequence

FAMILY_COLOURS = {"fracture": "#1f77b4", "impact": "#d62728", "fluid": "#2ca02c"}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def colour_for(key: str, index: int = 0) -> str:
    return FAMILY_COLOURS.get(key, PALETTE[index % len(PALETTE)])


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    colour: str = "#1f77b4"
    title: str = ""
    """Hover text (escaped)."""
    xerr: tuple[float, float] | None = None
    """(low, high) of an interval along x, drawn as a whisker."""
    yerr: tuple[float, float] | None = None
    radius: float = 3.5


@dataclass(frozen=True)
class Arrow:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str = "#555"
    title: str = ""


def _f(v: float) -> str:
    return f"{v:.2f}"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 2.5, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [round(start + i * step, 10) for i in range(int((hi - start) / step + 1e-9) + 1)]


def scatter(
    points: Sequence[Point],
    *,
    xlabel: str,
    ylabel: str,
    title: str = "",
    arrows: Sequence[Arrow] = (),
    legend: Sequence[tuple[str, str]] = (),
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    zero_lines: bool = False,
    width: int = 520,
    height: int = 380,
) -> str:
    """An SVG scatter plot; points outside the limits are clipped to the frame."""
    xs = [p.x for p in points if math.isfinite(p.x)] + [a.x0 for a in arrows] + [a.x1 for a in arrows]
    ys = [p.y for p in points if math.isfinite(p.y)] + [a.y0 for a in arrows] + [a.y1 for a in arrows]
    for p in points:
        if p.xerr:
            xs += [v for v in p.xerr if v is not None and math.isfinite(v)]
        if p.yerr:
            ys += [v for v in p.yerr if v is not None and math.isfinite(v)]

    def lims(vals, given):
        if given:
            return given
        if not vals:
            return (0.0, 1.0)
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or 0.05
        return (lo - pad, hi + pad)

    x0, x1 = lims(xs, xlim)
    y0, y1 = lims(ys, ylim)
    ml, mr, mt, mb = 56, 16, 30 if title else 12, 44
    pw, ph = width - ml - mr, height - mt - mb

    def sx(v):
        return ml + (min(max(v, x0), x1) - x0) / (x1 - x0) * pw

    def sy(v):
        return mt + ph - (min(max(v, y0), y1) - y0) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or ylabel + " vs " + xlabel)}">',
        '<defs><marker id="arrowhead" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
        f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>',
    ]
    if title:
        out.append(f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{escape(title)}</text>')
    for t in _ticks(x0, x1):
        out.append(f'<line x1="{_f(sx(t))}" y1="{mt + ph}" x2="{_f(sx(t))}" y2="{mt + ph + 4}" stroke="#666"/>')
        out.append(f'<text x="{_f(sx(t))}" y="{mt + ph + 16}" text-anchor="middle" font-size="11">{t:g}</text>')
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{ml - 4}" y1="{_f(sy(t))}" x2="{ml}" y2="{_f(sy(t))}" stroke="#666"/>')
        out.append(f'<text x="{ml - 6}" y="{_f(sy(t) + 4)}" text-anchor="end" font-size="11">{t:g}</text>')
    if zero_lines:
        if x0 < 0 < x1:
            out.append(f'<line x1="{_f(sx(0))}" y1="{mt}" x2="{_f(sx(0))}" y2="{mt + ph}" stroke="#bbb" stroke-dasharray="4 3"/>')
        if y0 < 0 < y1:
            out.append(f'<line x1="{ml}" y1="{_f(sy(0))}" x2="{ml + pw}" y2="{_f(sy(0))}" stroke="#bbb" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{ml + pw / 2:.0f}" y="{height - 8}" text-anchor="middle" font-size="12">{escape(xlabel)}</text>')
    out.append(
        f'<text x="14" y="{mt + ph / 2:.0f}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {mt + ph / 2:.0f})">{escape(ylabel)}</text>'
    )
    for a in arrows:
        out.append(
            f'<line class="arrow" x1="{_f(sx(a.x0))}" y1="{_f(sy(a.y0))}" x2="{_f(sx(a.x1))}" y2="{_f(sy(a.y1))}" '
            f'stroke="{a.colour}" stroke-width="1.5" marker-end="url(#arrowhead)"><title>{escape(a.title)}</title></line>'
        )
    for p in points:
        if not (math.isfinite(p.x) and math.isfinite(p.y)):
            continue
        if p.xerr and all(v is not None for v in p.xerr):
            out.append(f'<line x1="{_f(sx(p.xerr[0]))}" y1="{_f(sy(p.y))}" x2="{_f(sx(p.xerr[1]))}" y2="{_f(sy(p.y))}" stroke="{p.colour}" opacity="0.6"/>')
        if p.yerr and all(v is not None for v in p.yerr):
            out.append(f'<line x1="{_f(sx(p.x))}" y1="{_f(sy(p.yerr[0]))}" x2="{_f(sx(p.x))}" y2="{_f(sy(p.yerr[1]))}" stroke="{p.colour}" opacity="0.6"/>')
        out.append(
            f'<circle class="point" cx="{_f(sx(p.x))}" cy="{_f(sy(p.y))}" r="{p.radius}" fill="{p.colour}" '
            f'fill-opacity="0.75" stroke="#222" stroke-width="0.5"><title>{escape(p.title)}</title></circle>'
        )
    for i, (label, colour) in enumerate(legend):
        y = mt + 14 + i * 16
        out.append(f'<circle cx="{ml + 12}" cy="{y - 4}" r="4" fill="{colour}"/>')
        out.append(f'<text x="{ml + 20}" y="{y}" font-size="11">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)

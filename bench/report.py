"""Self-contained HTML report of one run (no CDN, images inlined, SVG plots)."""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path
from typing import Any

from bench.imageio import atomic_write_text
from bench.spec import STRESS, scene_track
from bench.svgplot import FAMILY_COLOURS, Point, scatter
from bench.tracks import KIND_TITLES, SET_TITLES, STRESS_NOTE

THUMB_PX = 112
STRESS_STYLE = "background:#f3ecfa;border-left:4px solid #6b3fa0;padding:6px 10px"
"""The stress-track notice (inline, so a main-set report's stylesheet stays as it was)."""
MAX_THUMBS_PER_SCENE = 4

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 12px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0;font-size:13px} th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4} td.l,th.l{text-align:left} .muted{color:#777;font-size:12px}
.grid{display:flex;flex-wrap:wrap;gap:10px} figure{margin:0;width:%dpx;font-size:11px}
figure img{width:%dpx;height:%dpx;object-fit:cover;border:1px solid #ccc;display:block}
.scene{margin:10px 0} .bad{color:#b00} .proxy{background:#fff3cd;padding:0 4px;border-radius:3px}
""" % (THUMB_PX, THUMB_PX, THUMB_PX)

LABELS = {
    "realism": "realism",
    "aesthetic": "aesthetic",
    "symmetry": "symmetry",
    "transitional": "transitional",
    "plausibility": "plausibility",
    "diversity": "diversity",
}


def metric_label(metric: str, aesthetic_source: str) -> str:
    """Column label; the aesthetic column says when it is a proxy, everywhere it is shown."""
    if metric == "aesthetic":
        return "aesthetic (proxy)" if "proxy" in aesthetic_source else f"aesthetic ({aesthetic_source})"
    return LABELS.get(metric, metric)


def fmt_ci(stat: dict | None, digits: int = 3) -> str:
    if not stat or stat.get("mean") is None:
        return "n/a"
    m = f"{stat['mean']:.{digits}f}"
    if stat.get("ci_low") is None:
        return m
    return f"{m} [{stat['ci_low']:.{digits}f}, {stat['ci_high']:.{digits}f}]"


def thumbnail_data_uri(path: Path, px: int = THUMB_PX) -> str | None:
    """A small JPEG of an image as a data: URI (deterministic bytes)."""
    import cv2
    import numpy as np

    data = np.fromfile(str(path), dtype=np.uint8) if path.exists() else None
    if data is None or data.size == 0:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        return None
    h, w = img.shape[:2]
    s = px / max(h, w)
    if s < 1:
        img = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 82])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode() if ok else None


def _num(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return escape(str(v))
    return "" if not math.isfinite(f) else f"{f:.3f}"


def _set_words(scene_set: dict) -> str:
    """``''`` for the main set, else ``', stress track (edge cases)'`` or ``', custom'``."""
    track = scene_set.get("track") or ("bundled" if scene_set.get("bundled") else "custom")
    return {"bundled": "", "stress": ", " + SET_TITLES["stress"]}.get(track, ", custom")


def summary_table(summary: dict, metrics: list[str]) -> str:
    src = summary.get("aesthetic_source", "")
    head = "".join(f"<th>{escape(metric_label(m, src))}</th>" for m in metrics)
    rows = [f'<tr><th class="l">all ({summary["n_ok"]} images)</th>'
            + "".join(f"<td>{escape(fmt_ci(summary['metrics'].get(m)))}</td>" for m in metrics) + "</tr>"]
    for fam, stats in summary.get("families", {}).items():
        rows.append(f'<tr><th class="l">{escape(fam)} ({stats.get("n_images", 0)})</th>'
                    + "".join(f"<td>{escape(fmt_ci(stats.get(m)))}</td>" for m in metrics) + "</tr>")
    return f'<table><tr><th class="l">mean [95% bootstrap CI]</th>{head}</tr>{"".join(rows)}</table>'


def realism_aesthetic_plot(df, summary: dict) -> str:
    ok = df[df["status"] == "ok"]
    pts = [
        Point(float(r.aesthetic), float(r.realism), FAMILY_COLOURS.get(r.family, "#777"),
              f"{r.scene_id} seed {r.seed}: aesthetic {float(r.aesthetic):.3f}, realism {float(r.realism):.3f}")
        for r in ok.itertuples()
    ]
    legend = [(f, c) for f, c in FAMILY_COLOURS.items() if f in set(ok["family"])]
    return scatter(
        pts,
        xlabel=metric_label("aesthetic", summary.get("aesthetic_source", "")),
        ylabel="realism index",
        title="Realism vs aesthetic, one point per image",
        legend=legend,
        xlim=(0, 1),
        ylim=(0, 1),
    )


def write_report(out: Path, df, summary: dict, phases: dict[str, str] | None = None) -> None:
    """Write RUN_DIR/report.html from the scores table and the summary.

    ``phases`` maps scene ids to the phase their spec asks for (coverage ledger)."""
    from bench.audit import audit_sections

    metrics = ["realism", "aesthetic", "symmetry", "transitional", "plausibility"]
    src = summary.get("aesthetic_source", "")
    s = summary["settings"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>realgap report: {escape(summary['model'])}</title><style>{CSS}</style></head><body>",
        f"<h1>realgap report: {escape(summary['model'])}</h1>",
        f"<p class='muted'>realgap {escape(summary['realgap_version'])} &middot; scene set {escape(summary['scene_set']['hash'])}"
        f" ({summary['scene_set']['n_scenes']} scenes{_set_words(summary['scene_set'])})"
        f" &middot; {s.get('seeds')} seeds &middot; {s.get('size')} px &middot; {summary['n_images']} images, {summary['n_ok']} scored</p>",
    ]
    stress_ids = [i for i in summary["scene_set"].get("ids", []) if scene_track(i) == STRESS]
    if stress_ids:
        parts.append(f"<p class='stress' style='{STRESS_STYLE}'><b>Stress track</b> ({len(stress_ids)} of {summary['scene_set']['n_scenes']} scenes). "
                     f"{escape(STRESS_NOTE)}</p>")
    if "proxy" in src:
        parts.append(
            "<p><span class='proxy'>aesthetic (proxy)</span> is a hand-made proxy for human preference "
            "(contrast, colourfulness, sharpness, centring, simplicity), not a learned predictor. "
            "Give LAION aesthetic predictor weights to replace it.</p>"
        )
    parts.append("<h2>Summary</h2>")
    parts.append(summary_table(summary, metrics))
    if summary.get("tracks"):
        parts.append("<h2>Per track</h2><p class='muted'>The summary above mixes the tracks; each one alone:</p>")
        for kind, block in summary["tracks"].items():
            parts.append(f"<h3>{escape(KIND_TITLES.get(kind, kind))} ({block['n_scenes']} scenes)</h3>")
            parts.append(summary_table({**block, "aesthetic_source": src}, metrics))
    parts.append("<p class='muted'>realism = mean(transitional, plausibility, 1 - symmetry). Higher symmetry is the iconic look.</p>")
    div = summary.get("diversity")
    if div:
        parts.append("<h2>Diversity</h2>")
        parts.append(
            f"<p>Mean per-scene diversity ({escape(str(div.get('features', '')))} Vendi score, normalised to 0..1): "
            f"<b>{escape(fmt_ci(div))}</b> over {div.get('n', 0)} scenes. 0 = a scene's seeds give the same picture, "
            "1 = every seed a different one (Friedman &amp; Dieng 2023; preference tuning tends to lower it).</p>"
        )
    bad = df[df["status"] != "ok"]
    if len(bad):
        parts.append(f"<h2 class='bad'>Images not scored ({len(bad)})</h2><table><tr><th class='l'>image</th><th class='l'>status</th><th class='l'>detail</th></tr>")
        for r in bad.itertuples():
            parts.append(f"<tr><td class='l'>{escape(str(r.image))}</td><td class='l'>{escape(str(r.status))}</td><td class='l'>{escape(str(r.status_detail))}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Realism vs aesthetic</h2>")
    parts.append(realism_aesthetic_plot(df, summary))
    parts.extend(audit_sections(Path(out), df, summary, phases or {}, thumbnail_data_uri))
    parts.append("<h2>Images</h2>")
    shown_kind = None
    for sid, sub in df.groupby("scene_id", sort=True):
        kind = scene_track(str(sid))
        if stress_ids and kind != shown_kind:  # the tracks apart (stress ids sort after the main set's)
            parts.append(f"<h3>{escape(KIND_TITLES.get(kind, kind))}</h3>")
            shown_kind = kind
        parts.append(f"<div class='scene'><b>{escape(str(sid))}</b><div class='grid'>")
        for r in list(sub.itertuples())[:MAX_THUMBS_PER_SCENE]:
            uri = thumbnail_data_uri(out / str(r.image)) if r.status == "ok" else None
            img = f"<img src='{uri}' alt='{escape(str(r.image))}'>" if uri else f"<div class='bad'>{escape(str(r.status))}</div>"
            caption = (f"seed {r.seed}<br>realism {_num(r.realism)} &middot; aes {_num(r.aesthetic)}"
                       f"<br>sym {_num(r.symmetry)} &middot; tra {_num(r.transitional)} &middot; pla {_num(r.plausibility)}")
            parts.append(f"<figure>{img}<figcaption>{caption}</figcaption></figure>")
        parts.append("</div></div>")
    parts.append("</body></html>\n")
    atomic_write_text(Path(out) / "report.html", "\n".join(parts))

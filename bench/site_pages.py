"""The HTML of the leaderboard site: the index page's table, scatter and data block, and the entry pages.

Pure functions of checked submission documents (:mod:`bench.submission`);
:mod:`bench.site` checks the files, writes the folder and owns the command.
Every submitted string goes through :func:`e` (``html.escape``, quote=True)
and links become links only for http(s) URLs (see :mod:`bench.site`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from typing import Any

import bench
from bench.submission import METRICS, is_http_url

TABLE_METRICS = ("realism", "aesthetic", "symmetry", "transitional", "plausibility")
METRIC_HELP = {
    "realism": "realism index, mean(transitional, plausibility, 1 - symmetry): higher is more physically realistic",
    "aesthetic": "predicted human preference (aesthetic_source says which predictor): the signal preference tuning optimises",
    "symmetry": "mirror / rotational symmetry of the main structure: higher is more iconic",
    "transitional": "evidence of a mid-process instant (pieces in flight, streaks, spray): higher is more realistic",
    "plausibility": "consistency with physics (fragment size law, ejecta direction, crack and splash structure)",
    "diversity": "how different the images of one scene are across seeds",
}


def e(x: Any) -> str:
    """Escape any value for HTML text or a double- or single-quoted attribute."""
    return html.escape("" if x is None else str(x), quote=True)


def fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else "\u2013"


def ci_text(s: dict | None) -> str:
    if not s or s.get("ci_low") is None or s.get("ci_high") is None:
        return ""
    return f"[{fmt(s['ci_low'])}, {fmt(s['ci_high'])}]"


def script_json(obj: Any) -> str:
    """JSON safe to place inside <script type="application/json">."""
    text = json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def csp(script: str | None, style: str) -> str:
    def h(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"

    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {h(script)}" if script is not None else "script-src 'none'",
            f"style-src {h(style)}",
            "img-src 'self' file:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def link_html(url: Any) -> str:
    """A link for http(s) URLs; anything else (javascript:, data:, ...) is shown as plain text."""
    if is_http_url(url):
        return f'<a href="{e(url)}" rel="nofollow noopener noreferrer">{e(url)}</a>'
    return f'<span class="not-a-link">{e(url)}</span>'


def _badges(doc: dict, current_hash: str | None, stress_hash: str | None = None) -> str:
    out = ' <span class="badge reference">reference</span>' if doc["reference"] else ""
    if doc["track"] == "custom":
        out += ' <span class="badge custom">custom scenes</span>'
    elif doc["track"] == "stress":
        out += ' <span class="badge custom">stress track</span>'
        if doc["scene_set"]["hash"] != stress_hash:
            out += ' <span class="badge custom">older scene set</span>'
    elif doc["scene_set"]["hash"] != current_hash:
        out += ' <span class="badge custom">older scene set</span>'
    return out


def _cell(s: dict | None, extra: str = "") -> str:
    return f'<td{extra}><span class="mean">{fmt(s and s.get("mean"))}</span><span class="ci">{ci_text(s)}</span></td>'


# ---------------------------------------------------------------- index page


def board_table(docs: list[dict], families: list[str], table_id: str, current_hash: str | None,
                stress_hash: str | None = None) -> str:
    if not docs:
        return '<p class="note">No submissions yet.</p>'
    head = ['<th class="text" data-key="name" data-type="text" aria-sort="none"><button type="button">Entry</button></th>',
            '<th class="text" data-key="tuning" data-type="text" aria-sort="none"><button type="button">Tuning</button></th>']
    for m in TABLE_METRICS + ("diversity",):
        sort = "descending" if m == "realism" else "none"
        head.append(f'<th data-key="{m}" data-type="num" aria-sort="{sort}" title="{e(METRIC_HELP[m])}"><button type="button">{m.capitalize()}</button></th>')
    for f in families:
        head.append(f'<th data-key="family:{e(f)}" data-type="num" data-family="{e(f)}" aria-sort="none"><button type="button">{e(f)}</button><span class="dir">realism</span></th>')
    head.append('<th data-key="n_ok" data-type="num" aria-sort="none"><button type="button">Images</button></th>')
    rows = []
    for d in docs:
        cls = ' class="reference"' if d["reference"] else ""
        cells = [f'<td class="text name"><a href="s/{d["slug"]}.html">{e(d["name"])}</a>{_badges(d, current_hash, stress_hash)}</td>',
                 f'<td class="text">{e(d["tuning"])}</td>']
        cells += [_cell(d["metrics"][m]) for m in TABLE_METRICS]
        cells.append(_cell(d["diversity"]))
        for f in families:
            cells.append(_cell(d["families"].get(f, {}).get("realism"), f' data-family="{e(f)}"'))
        cells.append(f'<td>{d["n_ok"]}<span class="ci">of {d["n_images"]}</span></td>')
        rows.append(f'<tr data-slug="{d["slug"]}"{cls}>{"".join(cells)}</tr>')
    return (f'<table class="board" id="{table_id}" data-sort="realism:desc"><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def scatter_svg(docs: list[dict]) -> str:
    pts = [d for d in docs if d["metrics"]["aesthetic"]["mean"] is not None and d["metrics"]["realism"]["mean"] is not None]
    W, H, ml, mr, mt, mb = 640, 460, 60, 24, 16, 50
    if not pts:
        return f'<svg class="scatter" id="scatter" viewBox="0 0 {W} {H}" role="img" aria-label="no entries yet"><text x="{W / 2}" y="{H / 2}" text-anchor="middle">No entries with both scores yet</text></svg>'

    def domain(metric: str) -> tuple[float, float]:
        vals = [v for d in pts for k in ("mean", "ci_low", "ci_high") if (v := d["metrics"][metric][k]) is not None]
        lo, hi = max(0.0, min(vals) - 0.05), min(1.0, max(vals) + 0.05)
        if hi - lo < 0.2:
            mid = min(max((lo + hi) / 2, 0.1), 0.9)
            lo, hi = mid - 0.1, mid + 0.1
        return math.floor(lo * 20) / 20, math.ceil(hi * 20) / 20

    (x0, x1), (y0, y1) = domain("aesthetic"), domain("realism")

    def X(v: float) -> float:
        return round(ml + (v - x0) / (x1 - x0) * (W - ml - mr), 2)

    def Y(v: float) -> float:
        return round(H - mb - (v - y0) / (y1 - y0) * (H - mt - mb), 2)

    out = [f'<svg class="scatter" id="scatter" viewBox="0 0 {W} {H}" role="img" aria-label="realism versus aesthetic, one point per checkpoint">',
           '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
           '<g class="grid">']
    step = 0.05 if max(x1 - x0, y1 - y0) <= 0.4 else 0.1
    ticks_x = [round(x0 + i * step, 4) for i in range(int(round((x1 - x0) / step)) + 1)]
    ticks_y = [round(y0 + i * step, 4) for i in range(int(round((y1 - y0) / step)) + 1)]
    out += [f'<line x1="{X(t)}" y1="{mt}" x2="{X(t)}" y2="{H - mb}"/>' for t in ticks_x]
    out += [f'<line x1="{ml}" y1="{Y(t)}" x2="{W - mr}" y2="{Y(t)}"/>' for t in ticks_y]
    out.append('</g><g class="axis">')
    out.append(f'<line x1="{ml}" y1="{H - mb}" x2="{W - mr}" y2="{H - mb}"/><line x1="{ml}" y1="{mt}" x2="{ml}" y2="{H - mb}"/>')
    out += [f'<text x="{X(t)}" y="{H - mb + 16}" text-anchor="middle">{t:.2f}</text>' for t in ticks_x]
    out += [f'<text x="{ml - 6}" y="{Y(t) + 4}" text-anchor="end">{t:.2f}</text>' for t in ticks_y]
    out.append(f'<text class="axis-title" x="{(ml + W - mr) / 2}" y="{H - 10}" text-anchor="middle">aesthetic (predicted preference) &rarr;</text>')
    out.append(f'<text class="axis-title" transform="translate(16 {(mt + H - mb) / 2}) rotate(-90)" text-anchor="middle">realism index &rarr;</text></g>')
    pos = {d["slug"]: (X(d["metrics"]["aesthetic"]["mean"]), Y(d["metrics"]["realism"]["mean"])) for d in pts}
    out.append('<g class="arrows">')
    for d in pts:
        base = d["base_submission"]
        if base in pos:
            (ax, ay), (bx, by) = pos[base], pos[d["slug"]]
            dist = math.hypot(bx - ax, by - ay)
            if dist > 18:
                ux, uy = (bx - ax) / dist, (by - ay) / dist
                out.append(f'<line class="arrow" data-from="{base}" data-to="{d["slug"]}" x1="{ax + 8 * ux:.2f}" y1="{ay + 8 * uy:.2f}" '
                           f'x2="{bx - 9 * ux:.2f}" y2="{by - 9 * uy:.2f}" marker-end="url(#arrowhead)"/>')
    out.append("</g>")
    placed: list[tuple[float, float]] = []
    for d in pts:
        a, r = d["metrics"]["aesthetic"], d["metrics"]["realism"]
        px, py = pos[d["slug"]]
        cls = "entry reference" if d["reference"] else "entry"
        out.append(f'<g class="{cls}" data-slug="{d["slug"]}"><g class="ci">')
        if a["ci_low"] is not None and a["ci_high"] is not None:
            out.append(f'<line x1="{X(a["ci_low"])}" y1="{py}" x2="{X(a["ci_high"])}" y2="{py}"/>')
        if r["ci_low"] is not None and r["ci_high"] is not None:
            out.append(f'<line x1="{px}" y1="{Y(r["ci_low"])}" x2="{px}" y2="{Y(r["ci_high"])}"/>')
        tip = f'{d["name"]}: aesthetic {fmt(a["mean"])} {ci_text(a)}, realism {fmt(r["mean"])} {ci_text(r)}'
        label = d["name"] if len(d["name"]) <= 28 else d["name"][:27] + "\u2026"
        lx, ly = px + 9, py - 7
        while any(abs(ly - y) < 12 and abs(lx - x) < 150 for x, y in placed):  # stack labels of nearby points
            ly += 13
        placed.append((lx, ly))
        out.append(f'</g><a href="s/{d["slug"]}.html"><circle class="point" cx="{px}" cy="{py}" r="6"/><title>{e(tip)}</title></a>'
                   f'<text class="label" x="{lx}" y="{round(ly, 2)}">{e(label)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def board_data(docs: list[dict]) -> dict:
    def stat(s):
        return None if s is None else {k: s[k] for k in ("mean", "ci_low", "ci_high")}

    entries = []
    for d in docs:
        values = {m: stat(d["metrics"][m]) for m in METRICS}
        values["diversity"] = stat(d["diversity"])
        values["n_ok"] = {"mean": d["n_ok"], "ci_low": None, "ci_high": None}
        fams = {f: {m: stat(v[m]) for m in METRICS} for f, v in d["families"].items()}
        entries.append({"slug": d["slug"], "name": d["name"], "tuning": d["tuning"], "reference": d["reference"],
                        "track": d["track"], "base_submission": d["base_submission"], "values": values, "families": fams})
    return {"metrics": list(METRICS), "entries": entries}


# ---------------------------------------------------------------- entry pages


def _dl(items: list[tuple[str, str]]) -> str:
    """``items`` are (label, already-escaped HTML) pairs."""
    return "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items)


def _scene_table(d: dict) -> str:
    rows = {}
    for sid, _seed, status, *vals in d["scores"]["rows"]:
        r = rows.setdefault(sid, {"n": 0, "ok": 0, "vals": {m: [] for m in METRICS}})
        r["n"] += 1
        r["ok"] += status == "ok"
        for m, v in zip(METRICS, vals):
            if status == "ok" and v is not None:
                r["vals"][m].append(v)
    div = (d["diversity"] or {}).get("per_scene", {})
    head = "".join(f"<th>{m}</th>" for m in TABLE_METRICS) + ("<th>diversity</th>" if d["diversity"] else "")
    body = []
    for sid in sorted(rows):
        r = rows[sid]
        cells = "".join(f'<td>{fmt(sum(r["vals"][m]) / len(r["vals"][m]) if r["vals"][m] else None)}</td>' for m in TABLE_METRICS)
        if d["diversity"]:
            cells += f"<td>{fmt(div.get(sid))}</td>"
        body.append(f'<tr><td class="text">{e(sid)}</td><td>{r["ok"]} / {r["n"]}</td>{cells}</tr>')
    return f'<table class="scenes"><thead><tr><th class="text">scene</th><th>images ok</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def entry_page(d: dict, by_slug: dict[str, dict], children: list[dict], n_samples: int, ctx: dict) -> str:
    base = by_slug.get(d["base_submission"])
    facts = [("Model", f"<code>{e(d['model'])}</code>"), ("Base model", e(d["base_model"] or "\u2013")), ("Tuning", e(d["tuning"]))]
    if base:
        facts.append(("Tuned from", f'<a href="{base["slug"]}.html">{e(base["name"])}</a>'))
    if children:
        facts.append(("Tuned versions", ", ".join(f'<a href="{c["slug"]}.html">{e(c["name"])}</a>' for c in children)))
    facts.append(("Scene set", f"{e(d['track'])} &middot; <code>{e(d['scene_set']['hash'])}</code> &middot; {d['scene_set']['n_scenes']} scenes"))
    if d["links"]:
        facts.append(("Links", "<br>".join(link_html(u) for u in d["links"])))
    facts += [("Submitted", e(d["submitted_at"])), ("realgap version", e(d["realgap_version"]))]
    if d["reference"]:
        facts.append(("Reference entry", "shipped with realgap to calibrate the scale; not a competitor"))
    notes = f'<div class="notes" id="entry-notes">{e(d["notes"])}</div>' if d["notes"] else ""
    mrows = "".join(f'<tr><td class="text">{m}</td><td>{fmt(s["mean"])}</td><td>{ci_text(s)}</td><td>{s["n"]}</td><td class="text name">{e(METRIC_HELP[m])}</td></tr>'
                    for m in TABLE_METRICS for s in [d["metrics"][m]])
    metrics_table = f'<table><thead><tr><th class="text">metric</th><th>mean</th><th>95% CI</th><th>n</th><th class="text">meaning</th></tr></thead><tbody>{mrows}</tbody></table>'
    frows = "".join(f'<tr><td class="text">{e(f)}</td><td>{v["n_images"]}</td>{"".join(_cell(v[m]) for m in TABLE_METRICS)}</tr>' for f, v in d["families"].items())
    family_table = f'<table><thead><tr><th class="text">family</th><th>images</th>{"".join(f"<th>{m}</th>" for m in TABLE_METRICS)}</tr></thead><tbody>{frows}</tbody></table>'
    div = d["diversity"]
    diversity = (f'<h3>Diversity</h3><p>{fmt(div["mean"])} {ci_text(div)} (features: {e(div["features"])}; {e(METRIC_HELP["diversity"])})</p>' if div else "")
    samples = "".join(f'<figure><img src="{d["slug"]}/{i}.jpg" alt="{e(s["scene_id"])} seed {s["seed"]}" width="128" height="128">'
                      f'<figcaption>{e(s["scene_id"])} &middot; seed {s["seed"]}</figcaption></figure>' for i, s in enumerate(d["samples"][:n_samples]))
    st = d["settings"]
    run_facts = [(k, e("\u2013" if st[k] is None else st[k])) for k in st]
    run_facts += [("images", f"{d['n_ok']} ok of {d['n_images']}"),
                  ("status counts", e(", ".join(f"{k}: {v}" for k, v in d["status_counts"].items()))),
                  ("aesthetic source", e(d["aesthetic_source"] or "\u2013"))]
    versions = [(f"scorer {k}", e(f"version {v.get('version')}" + ("" if v.get("higher_is_better", True) else ", lower is better"))) for k, v in d["scorers"].items()]
    versions += [(k, e(v)) for k, v in d["versions"].items()]
    return ctx["entry"].substitute(
        csp=csp(None, ctx["css"]), css=ctx["css"], title=e(d["name"]), name=e(d["name"]), badges=_badges(d, ctx["hash"], ctx.get("stress_hash")),
        facts=_dl(facts), notes=notes, n_ok=d["n_ok"], metrics_table=metrics_table, family_table=family_table,
        diversity=diversity, scene_table=_scene_table(d), samples=samples or '<p class="note">No sample images.</p>',
        run_facts=_dl(run_facts), versions=_dl(versions) or "<dt>\u2013</dt><dd></dd>", n_images=d["n_images"],
        sha256=e(d["scores"]["sha256"]), slug=d["slug"], version=e(bench.__version__))

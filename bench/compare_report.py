"""What ``realgap compare`` writes: the verdict in words, compare.csv and the self-contained report.html.

Pure functions of the comparison result (the content of compare.json, made by
:func:`bench.compare.compare_runs`) and, for the thumbnails, the two run folders.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.compare_pairs import METRICS, RunData
from bench.imageio import atomic_write_text, dumps_json
from bench.report import STRESS_STYLE
from bench.spec import scene_track
from bench.tracks import KIND_TITLES, STRESS_NOTE

MAX_THUMB_SCENES = 12
CHANGE_WORDS = {"gain": "higher", "loss": "lower", "none": "no detectable change", "n/a": "n/a (fewer than 2)"}


# --------------------------------------------------------------------------- words
def _num(v: Any) -> str:
    f = float(v) if v is not None else math.nan
    return f"{f:.3f}" if math.isfinite(f) else "n/a"


def _signed(ci: dict) -> str:
    if ci.get("mean") is None:
        return "n/a"
    s = f"{ci['mean']:+.3f}"
    return s if ci.get("ci_low") is None else f"{s} [{ci['ci_low']:.3f}, {ci['ci_high']:.3f}]"


def aesthetic_label(source: str) -> str:
    from bench.report import metric_label

    return metric_label("aesthetic", source)


def verdict(result: dict) -> str:
    """The comparison in words; a gain or loss is claimed only where the CI excludes 0."""
    m = result["metrics"]
    alab = aesthetic_label(result["aesthetic_source"])
    a, r = m["aesthetic"], m["realism"]
    da, dr = a["direction"], r["direction"]
    na = "could not be compared on {} ({} pairs scored on both sides; a CI needs 2)"
    pa = {"gain": f"gained preference ({alab} {_signed(a['diff'])})", "n/a": na.format(alab, a["diff"]["n"]),
          "loss": f"lost preference ({alab} {_signed(a['diff'])})",
          "none": f"showed no detectable change in preference ({alab} {_signed(a['diff'])}; CI includes 0)"}[da]
    pr = {"gain": f"gained realism ({_signed(r['diff'])})", "loss": f"lost realism ({_signed(r['diff'])})", "n/a": na.format("realism", r["diff"]["n"]),
          "none": f"showed no detectable change in realism ({_signed(r['diff'])}; CI includes 0)"}[dr]
    conclusion = {
        ("gain", "loss"): "it trades realism for iconic looks",
        ("gain", "gain"): "it improved on both axes; no trade-off detected",
        ("gain", "none"): "no realism cost detected at this sample size",
        ("none", "loss"): "it lost realism without a detectable preference gain",
        ("none", "gain"): "it gained realism without a detectable change in preference",
        ("none", "none"): "no detectable trade-off at this sample size",
        ("loss", "gain"): "it moved away from the iconic look (the opposite of the preference-tuning drift)",
        ("loss", "loss"): "it got worse on both axes",
        ("loss", "none"): "it lost preference with no detectable change in realism",
    }.get((da, dr), "the trade-off cannot be judged from these scores")
    text = f"The tuned checkpoint {pa} and {pr}: {conclusion}."
    drivers = [f"{k} {_signed(m[k]['diff'])}" for k in ("symmetry", "transitional", "plausibility") if m[k]["direction"] in ("gain", "loss")]
    if drivers:
        text += " Components whose CI excludes 0: " + ", ".join(drivers) + "."
    dv = result["diversity"]
    if dv["diff"].get("mean") is not None:
        word = {"gain": "higher (more varied outputs)", "loss": "lower (less varied outputs, a sign of mode collapse)",
                "none": "no detectable change (CI includes 0)", "n/a": "too few scenes for a CI"}[dv["direction"]]
        text += f" Per-scene diversity ({dv['features']} Vendi): {word}, {_signed(dv['diff'])} over {dv['n_scenes']} scenes."
    p = result["pairing"]
    src = result["aesthetic_source"]
    proxy = ("the aesthetic score is a hand-made proxy for preference, not a learned predictor" if "proxy" in src
             else f"aesthetic from {src}")
    partial = [f"{k} in {m[k]['diff']['n']}" for k in ("aesthetic", "realism") if m[k]["diff"]["n"] < p["n_pairs"]]
    scored = f" (scored on both sides: {', '.join(partial)})" if partial else ""
    text += (f" Based on {p['n_pairs']} (scene, seed) pairs over {p['n_scenes']} scenes{scored}, 95% paired bootstrap CIs; {proxy}.")
    return text


# --------------------------------------------------------------------------- outputs
def _csv_text(result: dict) -> str:
    """Per-scene paired differences (one row per scene), fixed float format."""
    import pandas as pd

    rows = []
    with_track = bool(result.get("tracks"))
    for sid, sc in result["scenes"].items():
        track = {"track": scene_track(sid)} if with_track else {}  # only when stress-track scenes are compared
        row: dict[str, Any] = {"scene_id": sid, **track, "family": sc["family"], "n_pairs": sc["n_pairs"]}
        for m in METRICS:
            st = sc["metrics"][m]
            row.update({f"{m}_base": st["base"], f"{m}_tuned": st["tuned"], f"{m}_diff": st["diff"]["mean"],
                        f"{m}_diff_ci_low": st["diff"]["ci_low"], f"{m}_diff_ci_high": st["diff"]["ci_high"]})
        dv = sc["diversity"] or {}
        row.update({"diversity_base": dv.get("base"), "diversity_tuned": dv.get("tuned"), "diversity_diff": dv.get("diff"),
                    "diversity_n": dv.get("n")})
        rows.append(row)
    df = pd.DataFrame(rows).astype({"diversity_n": "Int64"})
    return df.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def write_outputs(out: Path, result: dict, base: RunData, tuned: RunData, pairs) -> None:
    """OUT/compare.json, OUT/compare.csv and OUT/report.html (atomic writes, deterministic bytes)."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "compare.json", dumps_json(result))
    atomic_write_text(out / "compare.csv", _csv_text(result))
    atomic_write_text(out / "report.html", _html(result, base, tuned, pairs))


def tradeoff_plot(result: dict) -> str:
    """Change in aesthetic (x) vs change in realism (y): one point per scene, CI whiskers, zero lines."""
    from bench.svgplot import FAMILY_COLOURS, Point, scatter

    pts = []
    for sid, sc in result["scenes"].items():
        a, r = sc["metrics"]["aesthetic"]["diff"], sc["metrics"]["realism"]["diff"]
        if a["mean"] is None or r["mean"] is None:
            continue
        pts.append(Point(a["mean"], r["mean"], FAMILY_COLOURS.get(sc["family"], "#777"),
                         f"{sid} ({sc['n_pairs']} pairs): \u0394aesthetic {_signed(a)}, \u0394realism {_signed(r)}",
                         xerr=(a["ci_low"], a["ci_high"]) if a["ci_low"] is not None else None,
                         yerr=(r["ci_low"], r["ci_high"]) if r["ci_low"] is not None else None))
    a, r = result["metrics"]["aesthetic"]["diff"], result["metrics"]["realism"]["diff"]
    if a["mean"] is not None and r["mean"] is not None:
        pts.append(Point(a["mean"], r["mean"], "#000", f"all scenes: \u0394aesthetic {_signed(a)}, \u0394realism {_signed(r)}",
                         xerr=(a["ci_low"], a["ci_high"]) if a["ci_low"] is not None else None,
                         yerr=(r["ci_low"], r["ci_high"]) if r["ci_low"] is not None else None, radius=6))
    fams = sorted({sc["family"] for sc in result["scenes"].values()})
    xs = [0.0] + [v for q in pts for v in (q.x, *(q.xerr or ())) if v is not None]
    ys = [0.0] + [v for q in pts for v in (q.y, *(q.yerr or ())) if v is not None]

    def lims(vals):  # always include 0, so the zero lines show which quadrant each scene is in
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or 0.05
        return (lo - pad, hi + pad)

    legend = [(f, FAMILY_COLOURS.get(f, "#777")) for f in fams] + [("all scenes (mean)", "#000")]
    return scatter(pts, xlabel=f"\u0394 {aesthetic_label(result['aesthetic_source'])} (tuned - base)",
                   ylabel="\u0394 realism (tuned - base)", title="Trade-off per scene, 95% CI whiskers",
                   legend=legend, zero_lines=True, xlim=lims(xs), ylim=lims(ys), width=640, height=460)


def _html(result: dict, base: RunData, tuned: RunData, pairs) -> str:
    from html import escape

    from bench.report import CSS, fmt_ci, metric_label, thumbnail_data_uri

    src = result["aesthetic_source"]
    lab = {m: metric_label(m, src) for m in (*METRICS, "diversity")}
    e = escape
    p, u = result["pairing"], result["pairing"]["unpaired"]
    title = f"realgap compare: {result['base']['model']} (base) vs {result['tuned']['model']} (tuned)"
    h = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
         f"<title>{e(title)}</title><style>{CSS}.verdict{{font-size:15px;background:#f6f8fa;border-left:4px solid #555;padding:8px 12px}}"
         ".pair{display:flex;gap:4px} .warn{color:#8a5300}</style></head><body>",
         f"<h1>{e(title)}</h1>",
         f"<p class='muted'>base: {e(result['base']['run'])} &middot; tuned: {e(result['tuned']['run'])} &middot; realgap {e(result['realgap_version'])}</p>",
         f"<p class='verdict'>{e(result['verdict'])}</p>",
         f"<p>{p['n_pairs']} (scene, seed) pairs over {p['n_scenes']} scenes. Not paired: base not ok {u['base_not_ok']}, "
         f"tuned not ok {u['tuned_not_ok']}, only in base {u['only_in_base']}, only in tuned {u['only_in_tuned']}.</p>"]
    h += [f"<p class='warn'>warning: {e(w)}</p>" for w in result["warnings"]]
    if "proxy" in src:
        h.append("<p><span class='proxy'>aesthetic (proxy)</span> is a hand-made proxy for human preference, not a learned "
                 "predictor; a change in it is a change in contrast, colourfulness, sharpness, centring and simplicity.</p>")

    def table(blocks: dict, div: dict, unit: str) -> str:
        rows = ["<table><tr><th class='l'>metric</th><th>n</th><th>base</th><th>tuned</th><th>tuned - base [95% CI]</th><th>change</th>"
                f"<th>paired SD</th><th>{e(unit)} needed for &plusmn;{result['uncertainty']['delta']:g}</th></tr>"]
        for m, b in [*blocks.items(), ("diversity", div)]:
            need = b.get("seeds_needed", b.get("scenes_needed"))
            sd = "n/a" if b["sd_diff"] is None else f"{b['sd_diff']:.3f}"
            word = CHANGE_WORDS[b["direction"]]
            rows.append(f"<tr><td class='l'>{e(lab[m])}</td><td>{b['diff']['n']}{' scenes' if m == 'diversity' else ''}</td><td>{e(fmt_ci(b['base']))}</td><td>{e(fmt_ci(b['tuned']))}</td>"
                        f"<td>{e(_signed(b['diff']))}</td><td>{word}</td><td>{sd}</td>"
                        f"<td>{'n/a' if need is None else need}{' scenes' if m == 'diversity' else ''}</td></tr>")
        return "".join(rows) + "</table>"

    h.append("<h2>All scenes</h2>")
    h.append(table(result["metrics"], result["diversity"], "seeds per scene"))
    h.append("<h2>Trade-off plot</h2>")
    h.append(tradeoff_plot(result))
    h.append("<p class='muted'>One point per scene: mean paired change in the aesthetic score (x) and in the realism index (y), "
             "whiskers = 95% bootstrap CI over that scene's seeds; black = all scenes. Lower right = more preferred, less real "
             "(the iconic drift).</p>")
    tracks = result.get("tracks") or {}
    if tracks:
        h.append("<h2>Per track</h2>")
        h.append(f"<p class='stress' style='{STRESS_STYLE}'>{e(STRESS_NOTE)}"
                 + (" &lsquo;All scenes&rsquo; above mixes the tracks." if len(tracks) > 1 else "") + "</p>")
        for kind, tb in tracks.items():
            h.append(f"<h3>{e(KIND_TITLES.get(kind, kind))} ({tb['n_pairs']} pairs, {tb['n_scenes']} scenes)</h3>")
            h.append(table(tb["metrics"], tb["diversity"], "seeds per scene"))
    h.append("<h2>Per family</h2>")
    for fam, fb in result["families"].items():
        h.append(f"<h3>{e(fam)} ({fb['n_pairs']} pairs, {fb['n_scenes']} scenes)</h3>")
        h.append(table(fb["metrics"], fb["diversity"], "seeds per scene"))
    track_head = "<th class='l'>track</th>" if tracks else ""
    h.append("<h2>Per scene: mean paired change tuned - base [95% CI over seeds]</h2><table><tr><th class='l'>scene</th>"
             + track_head + "<th>pairs</th>"
             + "".join(f"<th>&Delta; {e(lab[m])}</th>" for m in METRICS) + f"<th>{e(lab['diversity'])} base &rarr; tuned</th></tr>")
    for sid, sc in result["scenes"].items():
        dv = sc["diversity"]
        dtxt = "n/a" if not dv else f"{dv['base']:.3f} &rarr; {dv['tuned']:.3f} ({dv['diff']:+.3f})"
        track_cell = f"<td class='l'>{e(KIND_TITLES.get(scene_track(sid), ''))}</td>" if tracks else ""
        h.append(f"<tr><td class='l'>{e(sid)}</td>{track_cell}<td>{sc['n_pairs']}</td>"
                 + "".join(f"<td>{e(_signed(sc['metrics'][m]['diff']))}</td>" for m in METRICS) + f"<td>{dtxt}</td></tr>")
    h.append("</table>")
    unc = result["uncertainty"]
    h.append("<h2>Uncertainty</h2><p>CIs are percentile bootstraps (2000 resamples, fixed seed) of the mean paired difference "
             f"over (scene, seed) pairs, i.e. for this scene set; diversity has one value per scene, so its CI is over scenes. "
             f"A change is claimed only where the CI excludes 0. To detect a difference of {unc['delta']:g} with 80% power at the "
             "5% level a comparison needs (1.96 + 0.84)&sup2; &times; SD&sup2; / delta&sup2; pairs:</p><ul>")
    for m, b in result["metrics"].items():
        if b["sd_diff"] is not None:
            h.append(f"<li>{e(lab[m])}: paired SD {b['sd_diff']:.3f} &rarr; {b['pairs_needed']} pairs, i.e. {b['seeds_needed']} "
                     f"seed{'' if b['seeds_needed'] == 1 else 's'} per scene over {p['n_scenes']} scenes</li>")
    dv = result["diversity"]
    if dv["sd_diff"] is not None:
        h.append(f"<li>diversity: SD of the per-scene change {dv['sd_diff']:.3f} &rarr; {dv['scenes_needed']} scenes</li>")
    h.append("</ul>")
    groups = list(pairs.groupby("scene_id", sort=True))
    shown = f" (first {MAX_THUMB_SCENES} of {len(groups)} scenes)" if len(groups) > MAX_THUMB_SCENES else ""
    h.append(f"<h2>Same scene, same seed: base | tuned{shown}</h2><div class='grid'>")
    for sid, sub in groups[:MAX_THUMB_SCENES]:
        scored = sub[sub[["realism_base", "realism_tuned", "aesthetic_base", "aesthetic_tuned"]].notna().all(axis=1)]
        r = (scored if len(scored) else sub).iloc[0]  # the first seed with both scores on both sides
        imgs = []
        for run, col in ((base, "image_base"), (tuned, "image_tuned")):
            uri = thumbnail_data_uri(run.path / str(r[col]))
            imgs.append(f"<img src='{uri}' alt='{e(str(r[col]))}'>" if uri else "<div class='bad'>missing</div>")
        cap = (f"{e(sid)} seed {int(r['seed'])}<br>realism {_num(r['realism_base'])} &rarr; {_num(r['realism_tuned'])}"
               f"<br>aes {_num(r['aesthetic_base'])} &rarr; {_num(r['aesthetic_tuned'])}")
        h.append(f"<figure style='width:auto'><div class='pair'>{''.join(imgs)}</div><figcaption>{cap}</figcaption></figure>")
    h.append("</div></body></html>\n")
    return "\n".join(h)


__all__ = ["CHANGE_WORDS", "MAX_THUMB_SCENES", "aesthetic_label", "tradeoff_plot", "verdict", "write_outputs"]

"""The static leaderboard site, built from ``leaderboard/submissions/*.json`` only.

``realgap leaderboard build --out DIR`` writes plain files that work from
``file://`` and on any static host: ``index.html`` (sortable table with CIs,
realism-versus-aesthetic scatter as inline SVG with arrows from each base
checkpoint to its tuned versions), ``s/<slug>.html`` (one page per entry with
its report and downsized sample images), ``submissions/*.json`` and
``leaderboard.json``.

Safety: every submitted string goes through :func:`html.escape` (quote=True);
data for the script sits in ``<script type="application/json">`` with ``<``,
``>`` and ``&`` written as ``\\u003c`` etc.; the script only moves rows and
sets ``textContent``; links are rendered as links only for http(s) URLs; and
each page carries a Content-Security-Policy that allows no script but the one
inline script (by hash) and no network requests.

The HTML is made by :mod:`bench.site_pages`; the checks of each file are
:func:`bench.submission.check_document`, the same that ``realgap submit`` runs.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import string
import tempfile
from pathlib import Path

import bench
from bench import submission as S
from bench.site_pages import (  # re-exported: see __all__
    METRIC_HELP,
    TABLE_METRICS,
    _dl,
    board_data,
    board_table,
    csp,
    e,
    entry_page,
    scatter_svg,
    script_json,
)
from bench.submission import (  # re-exported: see __all__
    SubmissionError,
    _norm_name,
    check_document,
    load_schema,
    read_json_strict,
)
from bench.tracks import STRESS_NOTE

MARKER = ".realgap-site"


class BuildError(ValueError):
    def __init__(self, lines):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


def load_submissions(folder: Path) -> tuple[list[dict], list[str]]:
    """All ``submissions/*.json`` of a leaderboard folder, checked; (documents, problem lines)."""
    sub = Path(folder) / "submissions"
    files = sorted(sub.glob("*.json")) if sub.is_dir() else []
    docs, errors = [], []
    for path in files:
        try:
            doc = read_json_strict(path)
        except SubmissionError as exc:
            errors.append(str(exc))
            continue
        docs.append((path, doc))
    slugs = [d.get("slug") for _, d in docs if isinstance(d, dict)]
    good = []
    for path, doc in docs:
        problems = check_document(doc, path, slugs, leaderboard=folder)
        errors.extend(problems)
        if not problems:
            good.append(doc)
    names = {}
    for doc in good:
        other = names.setdefault(_norm_name(doc["name"]), doc["slug"])
        if other != doc["slug"]:
            errors.append(f"{sub / (doc['slug'] + '.json')}: name: expected a name no other entry has; {other}.json has it too")
    return good, errors


# ---------------------------------------------------------------- build


def _thumbnail(b64: str, where: str) -> bytes:
    """Decode a submitted JPEG and re-encode it (drops metadata, proves it is an image)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(base64.b64decode(b64, validate=True))) as im:
            if im.format != "JPEG" or max(im.size) > 256:
                raise ValueError(f"a JPEG of at most 256 px; got {im.format} {im.size[0]}x{im.size[1]}")
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "JPEG", quality=85)
            return buf.getvalue()
    except Exception as exc:
        raise BuildError([f"{where}: expected {exc}" if isinstance(exc, ValueError) and "JPEG" in str(exc) else f"{where}: expected a JPEG image; {str(exc)[:120]}"]) from None


def _order(docs: list[dict]) -> list[dict]:
    def key(d):
        m = d["metrics"]["realism"]["mean"]
        return (m is None, -(m or 0.0), d["name"].casefold())

    return sorted(docs, key=key)


def build_site(leaderboard: Path, out: Path) -> int:
    """Check every submission and write the site to ``out``; returns the number of entries."""
    docs, errors = load_submissions(leaderboard)
    if errors:
        raise BuildError(errors)
    tpl_dir = S.leaderboard_file("site", leaderboard)
    try:
        css, js = (tpl_dir / "style.css").read_text(encoding="utf-8"), (tpl_dir / "app.js").read_text(encoding="utf-8")
        index_t = string.Template((tpl_dir / "index.html").read_text(encoding="utf-8"))
        entry_t = string.Template((tpl_dir / "entry.html").read_text(encoding="utf-8"))
    except OSError as exc:
        raise BuildError([f"{tpl_dir}: (site template): expected the template files of this realgap checkout; {exc}"]) from None
    try:
        current_hash = S.bundled_scene_set()[0]
    except Exception:  # no bundled scenes: every entry is listed apart
        current_hash = None
    try:
        stress_hash = S.stress_scene_set()[0]
    except Exception:  # no stress track: stress entries are listed apart
        stress_hash = None
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise BuildError([f"{out}: --out: expected a new or empty folder, or a site built before by realgap (no {MARKER} file there); not touching it"])
    docs = _order(docs)
    by_slug = {d["slug"]: d for d in docs}
    main = [d for d in docs if d["track"] == "bundled" and d["scene_set"]["hash"] == current_hash]
    stress = [d for d in docs if d["track"] == "stress" and d["scene_set"]["hash"] == stress_hash]
    other = [d for d in docs if d not in main and d not in stress]
    fams = lambda ds: sorted({f for d in ds for f in d["families"]})  # noqa: E731
    ctx = {"css": css, "entry": entry_t, "hash": current_hash, "stress_hash": stress_hash}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a published site is world-readable
    try:
        (tmp / "s").mkdir()
        (tmp / "submissions").mkdir()
        for d in docs:
            where = f"{Path(leaderboard) / 'submissions' / (d['slug'] + '.json')}: samples"
            (tmp / "s" / d["slug"]).mkdir()
            for i, s in enumerate(d["samples"]):
                (tmp / "s" / d["slug"] / f"{i}.jpg").write_bytes(_thumbnail(s["jpeg_base64"], f"{where}.{i}"))
            children = [c for c in docs if c["base_submission"] == d["slug"]]
            (tmp / "s" / f"{d['slug']}.html").write_text(entry_page(d, by_slug, children, len(d["samples"]), ctx), encoding="utf-8")
            shutil.copyfile(Path(leaderboard) / "submissions" / f"{d['slug']}.json", tmp / "submissions" / f"{d['slug']}.json")
        custom = ""
        if stress:
            custom += ('<section id="stress-board"><h2>Stress track: edge cases <span class="muted">(scene set '
                       f'{e(stress_hash)})</span></h2><p class="note">{e(STRESS_NOTE)} Runs of <code>realgap run --scenes stress</code>; '
                       'ranked on their own, apart from the table above.</p><div class="table-wrap">'
                       f'{board_table(stress, fams(stress), "board-stress", current_hash, stress_hash)}</div></section>')
        if other:
            custom += ('<section id="other-board"><h2>Other scene sets</h2><p class="note">Custom scene sets and earlier versions of the bundled set: '
                       f'not comparable with the {"tables" if stress else "table"} above.</p><div class="table-wrap">{board_table(other, fams(other), "board-other", current_hash, stress_hash)}</div></section>')
        options = "".join(f'<option value="{m}"{" selected" if m == "realism" else ""}>{m}</option>' for m in TABLE_METRICS)
        index = index_t.substitute(
            csp=csp(js, css), css=css, js=js, scene_hash=e(current_hash or "unknown"), family_options=options,
            main_table=board_table(main, fams(main), "board", current_hash), scatter=scatter_svg(main), custom_section=custom,
            metric_help=_dl([(m, e(METRIC_HELP[m])) for m in METRIC_HELP]), version=e(bench.__version__), n_entries=len(docs),
            data=script_json(board_data(docs)))
        (tmp / "index.html").write_text(index, encoding="utf-8")
        summary = {"realgap_version": bench.__version__, "bundled_scene_set": current_hash, "stress_scene_set": stress_hash,
                   "entries": [{k: v for k, v in d.items() if k not in ("samples", "scores")} | {"scores_sha256": d["scores"]["sha256"]} for d in docs]}
        (tmp / "leaderboard.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        (tmp / MARKER).write_text("built by `realgap leaderboard build`; the whole folder is replaced on the next build\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return len(docs)


def add_build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("site"), metavar="DIR", help="folder to write the site to (default: %(default)s; replaced on each build)")
    p.add_argument("--leaderboard", type=Path, default=None, metavar="DIR",
                   help="leaderboard folder holding submissions/, i.e. the leaderboard/ folder of a realgap clone "
                   "(default: ./leaderboard in the working directory)")


def build_main(args) -> int:
    try:
        leaderboard = args.leaderboard if args.leaderboard is not None else S.default_leaderboard_dir()
        n = build_site(leaderboard, args.out)
    except (BuildError, SubmissionError) as exc:
        for line in getattr(exc, "lines", [str(exc)]):
            print(f"realgap leaderboard build: {line}")
        return 2
    except OSError as exc:
        print(f"realgap leaderboard build: {args.out}: --out: expected a folder it can write; {exc}")
        return 2
    print(f"realgap leaderboard build: wrote {Path(args.out) / 'index.html'} ({n} entries); open it from disk or copy the folder to any static host")
    return 0


__all__ = [
    "MARKER", "METRIC_HELP", "TABLE_METRICS", "BuildError", "add_build_arguments", "board_data", "board_table", "build_main",
    "build_site", "check_document", "entry_page", "load_schema", "load_submissions", "scatter_svg",
]

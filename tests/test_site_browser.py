"""The built leaderboard site in headless Chromium (Debian's /usr/bin/chromium).

Two procedural runs are submitted (iconic as the tuned version of physical),
plus entries whose every free-text field is a script payload; the site is
built and opened from file:// with no network.  Checks: the page renders
(screenshot not blank), the script runs and clicking a column heading reorders
the rows (a real click through chromedriver's W3C WebDriver API, spoken over
HTTP with the standard library), the scatter and its arrow are there, entry
pages show their samples, and no payload runs: the title stays, no alert opens,
no element carries an event-handler attribute, and the payloads show as text.

In CI (CI=true) a missing browser fails the test; locally it skips.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import bench.leaderboard as lb
import bench.site as site_mod

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("REALGAP_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("REALGAP_CHROMEDRIVER", "/usr/bin/chromedriver"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
PAYLOADS = [
    "<script>alert(1)</script>",
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned';window.pwned=1\">",
    "\" onmouseover=\"document.title='pwned';window.pwned=1\" x=\"",
    "' onmouseover='document.title=1' x='",
    "</script><script>window.pwned=1</script>",
    "<svg onload=\"window.pwned=1\"><a href=javascript:alert(1)>x</a>",
]
JS_LINKS = ["javascript:document.title='pwned'", "data:text/html,<script>alert(1)</script>", "JaVaScRiPt:alert(1)"]


def _helpers():
    """tests/test_leaderboard.py, loaded by path (it holds make_run, submit and build)."""
    spec = importlib.util.spec_from_file_location("_realgap_test_leaderboard", Path(__file__).with_name("test_leaderboard.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def need(path: Path) -> None:
    if path.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{path} not found: CI must install Debian's browser (apt-get install -y chromium chromium-driver)")
    pytest.skip(f"{path} not found (apt-get install -y chromium chromium-driver)")


def with_model(run: Path, dest: Path, model: str) -> Path:
    """A copy of a run folder whose model string is ``model`` (a payload), consistently everywhere."""
    import pandas as pd

    shutil.copytree(run, dest)
    for name in ("run.json", "summary.json"):
        doc = json.loads((dest / name).read_text())
        doc["model"] = model
        (dest / name).write_text(json.dumps(doc))
    df = pd.read_csv(dest / "scores.csv", keep_default_na=False, na_values=[""])
    df["model"] = model
    df.to_csv(dest / "scores.csv", index=False)
    return dest


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Real `realgap run`s of the two procedural renderers on the bundled scenes, submitted
    (iconic as the tuned version of physical) with entries whose every free-text field is a
    script payload, and the site built from them."""
    need(CHROMIUM)
    h = _helpers()
    root = tmp_path_factory.mktemp("browser")
    runs = h.real_runs(root / "runs")
    board = root / "board"
    assert h.submit(runs["physical"], "Procedural physical", board, "--reference")[0] == 0
    assert h.submit(runs["iconic"], "Procedural iconic", board, "--base-of", "procedural physical", "--tuning", "other", "--reference")[0] == 0
    evil = with_model(runs["iconic"], root / "evil", "images:<script>window.pwned=1</script>")
    for i, payload in enumerate(PAYLOADS):
        rc, out = h.submit(evil, f"{payload} {i}", board, "--base-of", "procedural-physical", "--base-model", payload, "--notes", payload,
                           "--link", "https://example.org/?a=1&b=2")
        assert rc == 0, out
    first = board / "submissions" / f"{lb.slugify(PAYLOADS[0] + ' 0')}.json"
    doc = json.loads(first.read_text())
    doc["links"] = JS_LINKS  # past submit's check: the site must still show them as text
    first.write_text(json.dumps(doc))
    rc, out = h.build(board, root / "site")
    assert rc == 0, out
    docs = {d["slug"]: d for d in site_mod.load_submissions(board)[0]}
    return {"dir": root / "site", "docs": docs, "profile": root}


def chromium(site, *args: str, url: str) -> subprocess.CompletedProcess:
    need(CHROMIUM)
    profile = site["profile"] / f"profile-{time.monotonic_ns()}"
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=120, check=False)


def order(docs: dict, key: str, reverse: bool) -> list[str]:
    main = [d for d in docs.values()]
    vals = {d["slug"]: d["metrics"][key]["mean"] for d in main}
    return sorted(vals, key=lambda s: ((-1 if reverse else 1) * vals[s], docs[s]["name"].lower()))


def rows_in(dom: str) -> list[str]:
    import re

    return re.findall(r'<tr data-slug="([a-z0-9-]+)"', dom)


def test_index_renders_non_blank(site):
    shot = site["profile"] / "index.png"
    res = chromium(site, f"--screenshot={shot}", url=(site["dir"] / "index.html").as_uri())
    assert shot.is_file(), res.stderr[-2000:]
    from PIL import Image

    px = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert px.shape[0] >= 500 and px.std() > 20
    assert (px < 128).mean() > 0.02  # text, the header band and the table are drawn


def test_dump_dom_after_script_sorted_by_query(site):
    uri = (site["dir"] / "index.html").as_uri()
    dom = chromium(site, "--virtual-time-budget=2000", "--dump-dom", url=uri).stdout
    assert 'data-ready="1"' in dom  # our script ran under the page's CSP
    assert rows_in(dom) == order(site["docs"], "realism", reverse=True)
    assert "<title>realgap leaderboard</title>" in dom and "pwned" not in dom.split("</title>")[0]
    dom = chromium(site, "--virtual-time-budget=2000", "--dump-dom", url=uri + "?sort=aesthetic&dir=asc").stdout
    assert rows_in(dom) == order(site["docs"], "aesthetic", reverse=False)
    assert 'aria-sort="ascending"' in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 0" in dom  # payload shown as text


class WebDriverError(RuntimeError):
    pass


class WebDriver:
    """The few W3C WebDriver commands the test needs, over HTTP to chromedriver."""

    def __init__(self, profile: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.sid = None
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.call("GET", "/status").get("ready"):
                    break
            except (OSError, WebDriverError):
                pass
            if time.monotonic() > deadline:
                self.quit()
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": str(CHROMIUM), "args": [*FLAGS, f"--user-data-dir={profile}"]}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(req, timeout=120) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as exc:
            value = json.loads(exc.read() or b"{}").get("value") or {}
            raise WebDriverError(f"{value.get('error')}: {str(value.get('message'))[:300]}") from None

    def session(self, method: str, path: str, body: dict | None = None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def get(self, url: str) -> None:
        self.session("POST", "/url", {"url": url})

    def js(self, script: str, *args):
        return self.session("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        return self.session("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, el: str) -> None:
        self.session("POST", f"/element/{el}/click", {})

    def hover(self, el: str) -> None:
        move = {"type": "pointerMove", "duration": 50, "origin": {ELEMENT: el}, "x": 0, "y": 0}
        self.session("POST", "/actions", {"actions": [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [move]}]})

    def alert_open(self) -> bool:
        try:
            self.session("GET", "/alert/text")
            return True
        except WebDriverError as exc:
            if "no such alert" in str(exc):
                return False
            raise

    def quit(self) -> None:
        with contextlib.suppress(Exception):
            if self.sid:
                self.call("DELETE", f"/session/{self.sid}")
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def browser(site):
    need(CHROMIUM)
    need(CHROMEDRIVER)
    wd = WebDriver(site["profile"] / "webdriver-profile")
    yield wd
    wd.quit()


NO_SCRIPT_RAN = """
var bad = [];
document.querySelectorAll('*').forEach(function (el) {
  Array.prototype.forEach.call(el.attributes, function (a) {
    if (/^on/i.test(a.name)) { bad.push(el.tagName + ' ' + a.name); }
  });
});
document.querySelectorAll('a[href]').forEach(function (a) {  // HTML and SVG links
  var url = new URL(a.getAttribute('href'), document.baseURI);
  if (!/^(https?|file):$/.test(url.protocol)) { bad.push('link ' + url.href); }
});
if (window.pwned) { bad.push('window.pwned'); }
if (document.title === 'pwned' || document.title === '1') { bad.push('title ' + document.title); }
return bad;
"""


def test_click_sorts_scatter_present_and_no_payload_runs(site, browser):
    wd, docs = browser, site["docs"]
    wd.get((site["dir"] / "index.html").as_uri())
    rows = "return Array.prototype.map.call(document.querySelectorAll('#board tbody tr'), function (r) { return r.getAttribute('data-slug'); });"
    assert wd.js("return document.documentElement.getAttribute('data-ready');") == "1"
    assert wd.js(rows) == order(docs, "realism", reverse=True)
    aesthetic = wd.find('#board th[data-key="aesthetic"] button')
    wd.click(aesthetic)
    assert wd.js(rows) == order(docs, "aesthetic", reverse=True)
    wd.click(aesthetic)
    assert wd.js(rows) == order(docs, "aesthetic", reverse=False)
    assert wd.js("return document.querySelector('#board th[data-key=\"aesthetic\"]').getAttribute('aria-sort');") == "ascending"
    wd.click(wd.find('#board th[data-key="name"] button'))
    assert wd.js(rows) == sorted(docs, key=lambda s: (docs[s]["name"].lower(), s))
    # the family columns follow the selector
    wd.js("var s = document.getElementById('family-metric'); s.value = 'symmetry'; s.dispatchEvent(new Event('change'));")
    cell = wd.js("return document.querySelector('#board tr[data-slug=\"procedural-iconic\"] td[data-family=\"fracture\"] .mean').textContent;")
    assert cell == f"{docs['procedural-iconic']['families']['fracture']['symmetry']['mean']:.3f}"
    # the scatter: one point per entry and an arrow from the base to each tuned entry
    assert wd.js("return document.querySelectorAll('#scatter circle.point').length;") == len(docs)
    arrows = wd.js("return Array.prototype.map.call(document.querySelectorAll('#scatter line.arrow'), function (l) { return l.getAttribute('data-from') + '>' + l.getAttribute('data-to'); });")
    assert "procedural-physical>procedural-iconic" in arrows
    assert wd.js("var b = document.getElementById('scatter').getBoundingClientRect(); return b.width > 300 && b.height > 200;")
    # payloads: shown as text, nothing ran, even on hover
    names = wd.js("return Array.prototype.map.call(document.querySelectorAll('#board td.name a'), function (a) { return a.textContent; });")
    for i, payload in enumerate(PAYLOADS):
        assert f"{payload} {i}" in names
    for i in (2, 3, 4):
        wd.hover(wd.find(f'#board tr[data-slug="{lb.slugify(f"{PAYLOADS[i]} {i}")}"] td.name a'))
    assert not wd.alert_open()
    assert wd.js(NO_SCRIPT_RAN) == []
    assert wd.js("return document.title;") == "realgap leaderboard"


def test_entry_pages_show_payloads_as_text_and_their_samples(site, browser):
    wd, docs = browser, site["docs"]
    for slug, doc in docs.items():
        wd.get((site["dir"] / "s" / f"{slug}.html").as_uri())
        assert not wd.alert_open(), slug
        assert wd.js(NO_SCRIPT_RAN) == [], slug
        assert wd.js("return document.getElementById('entry-name').textContent;") == doc["name"]
        assert wd.js("return document.title;") == f"{doc['name']} \u00b7 realgap leaderboard"
        if doc["notes"]:
            assert wd.js("return document.getElementById('entry-notes').textContent;") == doc["notes"]
        loaded = wd.js("return Array.prototype.map.call(document.querySelectorAll('.samples img'), function (i) { return i.complete && i.naturalWidth > 0; });")
        assert loaded == [True] * len(doc["samples"]) and loaded, slug
    slug = lb.slugify(PAYLOADS[0] + " 0")
    wd.get((site["dir"] / "s" / f"{slug}.html").as_uri())
    shown = wd.js("return Array.prototype.map.call(document.querySelectorAll('.not-a-link'), function (s) { return s.textContent; });")
    assert shown == JS_LINKS
    assert wd.js("return document.querySelectorAll('a[href^=\"javascript\"], a[href^=\"data\"]').length;") == 0
    hrefs = wd.js("return Array.prototype.map.call(document.querySelectorAll('a[href]'), function (a) { return a.getAttribute('href'); });")
    assert "../index.html" in hrefs and "procedural-physical.html" in hrefs

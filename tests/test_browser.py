"""Open every page of the built book in headless Chromium with the network cut off.

Fails on console errors, failed requests, any request leaving 127.0.0.1, figures that do not draw,
untypeset math and internal links or anchors that do not resolve. Saves a full-page screenshot of
every page under ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from conftest import BUILD

pytestmark = [pytest.mark.browser, pytest.mark.book]
HTML = BUILD / "html"
SHOTS = BUILD / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP_PAGES = {"genindex.html", "search.html"}


def _pages() -> list[str]:
    if not HTML.exists():
        return []
    return sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
                  if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts) and p.name not in SKIP_PAGES)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first (make test does)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI must install Debian's chromium; see README)")
        pytest.skip("headless Chromium not found: install Debian's `chromium` package to run the browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-quic"])
        yield b
        b.close()


def _anchor_exists(path: Path, anchor: str) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return re.search(r'\b(id|name)="' + re.escape(anchor) + '"', text) is not None


WAIT_FIGURES = """async () => {
  const figs = Array.from(document.querySelectorAll('.cc-figure'));
  for (let i = 0; i < 100; i++) {
    if (figs.every(f => f.querySelector('svg, canvas'))) break;
    await new Promise(r => setTimeout(r, 100));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  return figs.map(f => {
    const svg = f.querySelector('svg');
    const marks = svg ? svg.querySelectorAll('path, rect, circle, line, text').length : 0;
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {id: f.id, marks: marks, width: box.width, height: box.height, text: f.textContent.slice(0, 80)};
  });
}"""

RAW_MATH = """() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, .highlight, script, style, .cc-figure, mjx-container, .cell_output').forEach(e => e.remove());
  const text = clone.innerText;
  const raw = [];
  for (const pat of ['$$', '\\\\(', '\\\\[', '\\\\frac', '\\\\alpha']) { if (text.includes(pat)) raw.push(pat); }
  const untypeset = Array.from(document.querySelectorAll('.math')).filter(m => !m.querySelector('mjx-container') && !m.closest('mjx-container')).length;
  return {raw: raw, untypeset: untypeset, mjx: document.querySelectorAll('mjx-container').length};
}"""


@pytest.mark.parametrize("page_path", _pages() or ["index.html"])
def test_page(server, browser, page_path):
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(r):
        if urlparse(r.request.url).hostname != "127.0.0.1" and not r.request.url.startswith(("data:", "blob:", "about:")):
            problems.append(f"request leaving 127.0.0.1: {r.request.url}")
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    url = urljoin(server, page_path)
    page.goto(url, wait_until="load")
    if 'http-equiv="Refresh"' in (HTML / page_path).read_text(errors="replace"):  # Jupyter Book's redirect page
        page.wait_for_url(lambda u: u != url, timeout=10_000)
        page.wait_for_load_state("load")
        url = page.url
    figs = page.evaluate(WAIT_FIGURES)
    for f in figs:
        if f["marks"] < 3 or f["width"] < 50 or f["height"] < 30:
            problems.append(f"figure {f['id']} did not draw ({f})")
    math = page.evaluate(RAW_MATH)
    if math["raw"]:
        problems.append(f"untypeset math markers in text: {math['raw']}")
    if math["untypeset"]:
        problems.append(f"{math['untypeset']} math element(s) not typeset by MathJax")
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        target = urljoin(url, href)
        parsed = urlparse(target)
        if parsed.scheme not in ("http", "https") or parsed.hostname != "127.0.0.1":
            continue
        rel = unquote(parsed.path).lstrip("/") or "index.html"
        file = HTML / rel
        if file.is_dir():
            file = file / "index.html"
        if not file.exists():
            problems.append(f"broken link {href!r} -> {rel}")
        elif parsed.fragment and file.suffix == ".html" and not _anchor_exists(file, parsed.fragment):
            problems.append(f"missing anchor {href!r}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (page_path.replace("/", "__").removesuffix(".html") + ".png")), full_page=True)
    context.close()
    assert not problems, f"{page_path}:\n  " + "\n  ".join(dict.fromkeys(problems))

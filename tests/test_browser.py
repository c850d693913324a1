"""Open every page of the built book in headless Chromium with the network cut off.

Fails on console errors, failed requests, any request leaving 127.0.0.1, figures that do not draw
or have no text alternative, untypeset math (including single-dollar math left in generated prose),
internal links or anchors that do not resolve, horizontal overflow of the text column, and any
serious or critical accessibility violation that axe-core finds (light and dark mode). In the same
pass over each page it saves a full-page screenshot under ``_build/screenshots/`` in light mode
(``<page>.png``) and in the theme's dark mode (``<page>.dark.png``) — an artefact to look at, not a
second pass — and element screenshots of the reader's features (the filtered claims dashboard, a
claim card, folded code, a chapter summary box, a wide table).

One test per page (``test_page[<page>]``): `make test` runs pytest-xdist with ``--dist loadscope``
and the scopes of ``conftest.scope_of``,
which hands the pages out one by one to whichever worker is free, so both cores share them. The
local server, the browser and its context (whose HTTP cache the pages share) are session fixtures:
one of each per worker, started once; each page opens in a new tab of that context.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from conftest import BUILD
from costcorrect.machinery.pdf import CHROMIUM_ARGS, WAIT_FIGURES, serve

pytestmark = [pytest.mark.browser, pytest.mark.book]
HTML = BUILD / "html"
SHOTS = BUILD / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP_PAGES = {"genindex.html", "search.html"}


def _pages() -> list[str]:
    if not HTML.exists():
        return []
    return sorted(
        str(p.relative_to(HTML))
        for p in HTML.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts)
        and p.name not in SKIP_PAGES
    )


# Session fixtures: under pytest-xdist every worker is its own session, so each worker starts one
# server and one browser and keeps them while the pages it is handed arrive, whatever module the
# tests in between come from.
@pytest.fixture(scope="session")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first (make test does)")
    with serve(HTML) as base:
        yield base


ID_ATTR = re.compile(r'\b(?:id|name)="([^"]*)"')


@pytest.fixture(scope="session")
def anchors() -> dict[str, set[str]]:
    """Every HTML file of the book (path under ``_build/html``) -> the ids and names it defines,
    read once per worker: link targets are looked up here, not re-read per anchor."""
    if not HTML.exists():
        return {}
    return {
        p.relative_to(HTML).as_posix(): set(
            ID_ATTR.findall(p.read_text(encoding="utf-8", errors="replace"))
        )
        for p in HTML.rglob("*.html")
    }


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI must install Debian's chromium; see README)")
        pytest.skip(
            "headless Chromium not found: install Debian's `chromium` package to run the browser test"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, "--disable-quic"],
            # the network cut off: every request not for 127.0.0.1 goes to a proxy that is not
            # there and fails at once (test_page also reports each such request as a problem)
            proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"},
        )
        yield b
        b.close()


# the theme's default (light) mode on every page load: the browser test leaves a page in dark mode,
# which the theme would remember (localStorage) for the next page of the same context
FORGET_MODE = "localStorage.removeItem('mode'); localStorage.removeItem('theme');"


@pytest.fixture(scope="session")
def context(browser):
    """One browser context per worker for test_page: the pages share its HTTP cache, so the theme's
    scripts, styles and fonts are read and compiled once, not once per page."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_init_script(FORGET_MODE)
    yield ctx
    ctx.close()


@pytest.fixture
def tab(context):
    """A new page (tab) of the shared context, closed after the test whatever its outcome."""
    page = context.new_page()
    yield page
    page.close()


RAW_MATH = """() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  // code, figures and typeset math are not prose; Markdown cell outputs (glued and generated prose) are
  clone.querySelectorAll('pre, code, .highlight, script, style, .cc-figure, mjx-container, '
                         + '.output.text_plain, .output.stream').forEach(e => e.remove());
  const text = clone.textContent;
  const raw = [];
  for (const pat of ['$$', '\\\\(', '\\\\[', '\\\\frac', '\\\\alpha']) {
    if (text.includes(pat)) raw.push(pat);
  }
  // single-dollar math: $…$ with no space inside either dollar (MyST's rule) whose content looks like
  // TeX (a backslash command, ^, _ or braces) or is a single symbol ($p$, $d$). Prices such as
  // "$1.36–$45.4" or "$2 and $3" are text and pass.
  const inline = /\\$(?=\\S)([^$\\n]{1,120}?)(?<=\\S)\\$/g;
  for (const m of text.matchAll(inline)) {
    const body = m[1];
    if (/\\\\[A-Za-z]|[\\^_{}]/.test(body) || /^[A-Za-z]'?$/.test(body)) raw.push(m[0]);
  }
  const untypeset = Array.from(document.querySelectorAll('.math'))
    .filter(m => !m.querySelector('mjx-container') && !m.closest('mjx-container')).length;
  return {raw: raw, untypeset: untypeset, mjx: document.querySelectorAll('mjx-container').length};
}"""

FIGURE_TEXT = """() => Array.from(document.querySelectorAll('.cc-figure')).map(f => {
  const box = f.closest('figure');
  const ref = box ? box.getAttribute('aria-labelledby') : null;
  const cap = ref ? document.getElementById(ref) : null;
  const svg = f.querySelector('svg');
  return {id: f.id, caption: cap ? cap.textContent.trim() : '',
          svgLabel: svg ? (svg.getAttribute('aria-label') || '') : ''};
})"""

# The text column must not scroll sideways: any element wider than the column must sit inside a box
# that scrolls (or clips) on its own, such as a wide table's wrapper.
OVERFLOW = """() => {
  const col = document.querySelector('article.bd-article') || document.querySelector('main, article');
  if (!col) return {overflow: false, offenders: []};
  const own = (el) => { for (let p = el.parentElement; p && p !== col; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o !== 'visible') return true; } return false; };
  const right = col.getBoundingClientRect().right + 1;
  // an element overflows when its box or its content (scrollWidth: long words, nowrap text) reaches
  // past the column's right edge and no ancestor inside the column scrolls or clips it
  // (the ancestors are walked only for an element that reaches past the edge: cheap on long pages)
  const wide = Array.from(col.querySelectorAll('*')).filter(el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0) return false;
    const visible = getComputedStyle(el).overflowX === 'visible';
    const reach = visible ? Math.max(r.right, r.left + el.scrollWidth) : r.right;
    return reach > right && !own(el);
  });
  const offenders = wide.filter(el => !wide.some(o => o !== el && el.contains(o))).slice(0, 5).map(el => {
    const c = typeof el.className === 'string' ? el.className.trim() : '';
    const cls = c ? '.' + c.split(/\\s+/).join('.') : '';
    const r = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls;
    return name + ' (' + Math.round(Math.max(r.right, r.left + el.scrollWidth) - right) + 'px too wide)';
  });
  const doc = document.documentElement;
  const overflow = col.scrollWidth > col.clientWidth + 1 || doc.scrollWidth > doc.clientWidth + 1;
  return {overflow: overflow, offenders: offenders};
}"""

# Search entry points a reader can see: the theme's header search button, its sidebar search field,
# and any visible search input (the theme's pop-up search form stays hidden until one is pressed).
SEARCH_ENTRIES = """() => Array.from(document.querySelectorAll(
    'button.search-button, .search-button-field, input[type="search"], form.bd-search input'))
  .filter(el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && !el.closest('.search-button__wrapper:not(.show)'); })
  .filter((el, _, all) => !all.some(o => o !== el && o.contains(el)))
  .map(el => el.tagName.toLowerCase()
       + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''))"""

# axe-core (bundled by axe-playwright-python; runs in the page, no network). Rules excluded on one
# exact selector, with the reason; everything else at impact serious or critical fails the test.
AXE_EXCLUDE: list[tuple[str, str, str]] = [
    # (rule id, selector, why)
]
AXE_OPTIONS = {"resultTypes": ["violations"], "preload": False}  # preload would fetch CSS @imports


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    out = []
    for v in found:
        if v["impact"] not in ("serious", "critical"):
            continue
        nodes = [
            n
            for n in v["nodes"]
            if not any(v["id"] == rule and sel in n["target"] for rule, sel, _ in AXE_EXCLUDE)
        ]
        if nodes:
            out.append(
                f"axe {v['impact']} {v['id']} ({v['help']}) on {len(nodes)} element(s): "
                + "; ".join(" ".join(map(str, n["target"])) for n in nodes[:3])
            )
    return out


# the theme's dark mode, switched in place with colour transitions off (so axe and the screenshot see
# the final colours); returns the page's light background, which the caller waits to see replaced
DARK = """() => { const html = document.documentElement;
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.appendChild(style);
  const light = getComputedStyle(document.body).backgroundColor;
  html.dataset.theme = 'dark'; html.dataset.mode = 'dark';
  localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');
  return light; }"""
DARK_APPLIED = "(light) => getComputedStyle(document.body).backgroundColor !== light"


def _go_dark(page) -> None:
    """Switch ``page`` to the theme's dark mode and wait until its background has changed colour
    (a concrete condition, no fixed sleep; fails if the dark theme does not apply)."""
    light = page.evaluate(DARK)
    page.wait_for_function(DARK_APPLIED, arg=light, timeout=10_000)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"


def _full_page_shot(page, path) -> None:
    """A full-page PNG screenshot of ``page`` saved at ``path``: what Playwright's
    ``page.screenshot(full_page=True)`` asks Chromium for (``captureBeyondViewport``), plus Chromium's
    ``optimizeForSpeed`` PNG encoding (faster, a somewhat larger file): the longest pages are some
    100,000 pixels tall, and encoding them was a large share of the browser test's time."""
    cdp = page.context.new_cdp_session(page)
    size = cdp.send("Page.getLayoutMetrics")["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = cdp.send(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "optimizeForSpeed": True, "clip": clip},
    )
    cdp.detach()
    Path(path).write_bytes(base64.b64decode(shot["data"]))


INLINE_MATH = re.compile(r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>', re.S)


def prose_as_math(html: str) -> list[str]:
    """Inline math that is really prose: dollar amounts read as math delimiters ("$30/$60 per
    million" → ``\\(60 per million …\\)``). Two plain words in a row outside a TeX command's braces."""
    out = []
    for m in INLINE_MATH.finditer(html):
        tex = re.sub(r"\\[A-Za-z]+\{[^{}]*\}", "", m.group(1))
        if (
            m.group(1) != m.group(1).strip()
            or re.search(r"\b[a-z]{3,} [a-z]{3,}\b", tex)
            or re.match(r"\s*[0-9][0-9.,]*\s*[/–-]\s*$", tex)
        ):
            out.append(m.group(1)[:60])
    return out


def test_prose_as_math():
    assert prose_as_math(
        '<span class="math notranslate nohighlight">\\(60 per million and math \\)</span>'
    )
    assert prose_as_math('<span class="math notranslate nohighlight">\\(30/\\)</span>')
    ok = r'<span class="math notranslate nohighlight">\(\text{Cost}_\text{correct} = p \ge 1\)</span>'
    assert prose_as_math(ok) == []
    assert prose_as_math('<span class="math notranslate nohighlight">\\(2\\)</span>') == []


def test_raw_math_check_catches_single_dollar_math(browser):
    page = browser.new_page()
    page.set_content(
        "<main><p>Prices from $1.36–$45.4 per M tokens, or $2 and $3.</p>"
        "<pre>$x_1$ in code is fine</pre></main>"
    )
    assert page.evaluate(RAW_MATH)["raw"] == []
    for raw in [
        "the optimum $d^* \\approx 13.2$ here",
        "with $p$ the error rate",
        "a $\\frac{1}{2}$ share",
        "$C_{\\rm ok}$",
        "$$x$$",
    ]:
        page.set_content(f"<main><p>{raw}</p></main>")
        assert page.evaluate(RAW_MATH)["raw"], raw
    page.close()


def test_overflow_check_sees_a_wide_element_unless_it_scrolls_in_its_own_box(browser):
    page = browser.new_page(viewport={"width": 800, "height": 600})
    wide = '<div style="width:2000px">wide</div>'
    page.set_content(f'<article class="bd-article" style="width:500px">{wide}</article>')
    assert page.evaluate(OVERFLOW)["offenders"]
    page.set_content(
        f'<article class="bd-article" style="width:500px"><div style="overflow-x:auto">{wide}</div></article>'
    )
    assert page.evaluate(OVERFLOW) == {"overflow": False, "offenders": []}
    long_line = '<p style="white-space:nowrap">' + "cost-correct " * 200 + "</p>"
    page.set_content(f'<article class="bd-article" style="width:500px">{long_line}</article>')
    assert page.evaluate(OVERFLOW)["offenders"][0].startswith("p (")
    page.close()


@pytest.mark.parametrize("page_path", _pages() or ["index.html"])
def test_page(server, tab, anchors, page_path):
    problems: list[str] = []
    page = tab

    # reported, not intercepted: Playwright turns the HTTP cache off for a page with a route
    # (the browser fixture's proxy makes such a request fail)
    def request(r):
        if urlparse(r.url).hostname != "127.0.0.1" and not r.url.startswith(
            ("data:", "blob:", "about:")
        ):
            problems.append(f"request leaving 127.0.0.1: {r.url}")

    page.on("request", request)

    def console(m):
        # Chromium's own request for /favicon.ico (the book has none; no page asks for it) is
        # logged as a 404 without a route, as it was not while test_page routed every request
        if m.type == "error" and urlparse(m.location.get("url", "")).path != "/favicon.ico":
            problems.append(f"console error: {m.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    url = urljoin(server, page_path)
    page.goto(url, wait_until="load")
    if 'http-equiv="Refresh"' in (HTML / page_path).read_text(
        errors="replace"
    ):  # Jupyter Book's redirect page
        page.wait_for_url(lambda u: u != url, timeout=10_000)
        page.wait_for_load_state("load")
        url = page.url
    figs = page.evaluate(WAIT_FIGURES)
    for f in figs:
        if f["marks"] < 3 or f["width"] < 50 or f["height"] < 30:
            problems.append(f"figure {f['id']} did not draw ({f})")
    prose = prose_as_math((HTML / page_path).read_text(encoding="utf-8", errors="replace"))
    if prose:
        problems.append(f"prose typeset as math (dollar amounts read as $…$?): {prose[:3]}")
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
        elif (
            parsed.fragment
            and file.suffix == ".html"
            and parsed.fragment not in anchors.get(file.relative_to(HTML).as_posix(), ())
        ):
            problems.append(f"missing anchor {href!r}")
    for f in page.evaluate(FIGURE_TEXT):
        if len(f["caption"]) < 10 or len(f["svgLabel"]) < 10:
            problems.append(f"figure {f['id']} has no text alternative for screen readers ({f})")
    over = page.evaluate(OVERFLOW)
    if over["overflow"] or over["offenders"]:
        problems.append(
            f"the text column overflows horizontally: {over['offenders'] or 'scrollWidth > clientWidth'}"
        )
    search = page.evaluate(SEARCH_ENTRIES)
    if len(search) != 1:
        problems.append(
            f"expected exactly one visible search entry point, found {len(search)}: {search}"
        )
    problems += _axe(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = page_path.replace("/", "__").removesuffix(".html")
    _full_page_shot(page, SHOTS / f"{name}.png")
    _go_dark(page)
    problems += [p.replace("axe ", "axe (dark mode) ", 1) for p in _axe(page)]
    _full_page_shot(page, SHOTS / f"{name}.dark.png")
    assert not problems, f"{page_path}:\n  " + "\n  ".join(dict.fromkeys(problems))


# --------------------------------------------------------------------------------------------------
# Screenshots of the reader's features, light and dark: element shots under _build/screenshots/

FEATURES_PAGE = "notebooks/serving-frontier.html"  # claim cards, folded code, summary, wide tables

DASHBOARD_ROWS = """(dash) => {
  const rows = Array.from(document.querySelectorAll(dash + ' table.cc-claims tbody tr'));
  const shown = document.querySelector(dash + ' .cc-shown');
  return {total: rows.length, visible: rows.filter(r => !r.hidden && r.getClientRects().length).length,
          shown: shown ? shown.textContent.trim() : '',
          rows: rows.map(r => ({chapter: r.dataset.chapter, status: r.dataset.status}))};
}"""

# the table box whose content is widest beyond its own width, and where it ends against the column
WIDEST_TABLE = """() => {
  const col = document.querySelector('article.bd-article') || document.querySelector('main');
  const boxes = Array.from(document.querySelectorAll('.cc-table'));
  const ranked = boxes.map((b, i) => ({index: i, extra: b.scrollWidth - b.clientWidth,
                                       right: b.getBoundingClientRect().right}))
    .sort((a, b) => b.extra - a.extra);
  return ranked.length ? Object.assign(ranked[0], {column: col.getBoundingClientRect().right}) : null;
}"""

# the first code cell folded behind a hide-input toggle that fits on a screen (its code hidden)
FOLDED_CELL = """() => {
  const cells = Array.from(document.querySelectorAll('.cell.tag_hide-input'));
  const i = cells.findIndex(c => c.getBoundingClientRect().height < 600);
  if (i < 0) return null;
  const d = cells[i].querySelector('details');
  const code = cells[i].querySelector('.cell_input pre, .highlight pre');
  // a closed <details> keeps its content laid out but hidden (content-visibility): ask the browser
  return {index: i, folded: !!d && !d.open, codeVisible: !!code && code.checkVisibility()};
}"""


def _local_only(page) -> None:
    def route(r):
        if urlparse(r.request.url).hostname == "127.0.0.1" or r.request.url.startswith("data:"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)


def _light_page(browser, url: str):
    """``url`` in a new browser context (dark mode is remembered per context), in light mode."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _local_only(page)
    page.goto(url, wait_until="load")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    return page


def test_screenshots_of_the_reader_features(server, browser):
    """Element screenshots in light (``<name>.png``) and dark (``<name>.dark.png``) mode: the claims
    registers and the ledger's dashboard, each with a chapter and a status filter in use
    (``register-filtered``, ``dashboard-filtered``), a claim card
    (``claim-card``), a code cell folded behind its hide-input toggle (``folded-code``), a chapter's
    summary box (``chapter-summary``) and a wide table fitted in its own scrolling box
    (``wide-table``). Fails if the filters do not reduce the rows shown, or a feature is missing."""
    from collections import Counter

    SHOTS.mkdir(parents=True, exist_ok=True)
    # the claims page holds two filterable tables: the papers' claims registers and the ledger
    for noun, name in (("register rows", "register-filtered"), ("records", "dashboard-filtered")):
        dash = f'.cc-dashboard[data-noun="{noun}"]'
        page = _light_page(browser, urljoin(server, "claims.html"))
        before = page.evaluate(DASHBOARD_ROWS, dash)
        assert before["total"] > 1 and before["visible"] == before["total"], before["shown"]
        chapter = Counter(r["chapter"] for r in before["rows"]).most_common(1)[0][0]
        statuses = Counter(r["status"] for r in before["rows"] if r["chapter"] == chapter)
        status = statuses.most_common()[-1][0]  # its rarest status: a short table to look at
        page.select_option(f'{dash} select[data-filter="chapter"]', chapter)
        page.select_option(f'{dash} select[data-filter="status"]', status)
        after = page.evaluate(DASHBOARD_ROWS, dash)
        expected = sum(r == {"chapter": chapter, "status": status} for r in before["rows"])
        assert 0 < after["visible"] == expected < before["total"], (chapter, status, after["shown"])
        assert after["shown"] == f"{expected} of {before['total']} {noun} shown"
        dashboard = page.locator(dash)
        dashboard.screenshot(path=str(SHOTS / f"{name}.png"))
        _go_dark(page)
        assert page.evaluate(DASHBOARD_ROWS, dash)["visible"] == expected  # still filtered
        dashboard.screenshot(path=str(SHOTS / f"{name}.dark.png"))
        page.context.close()

    page = _light_page(browser, urljoin(server, FEATURES_PAGE))
    page.evaluate(WAIT_FIGURES)
    folded = page.evaluate(FOLDED_CELL)
    assert folded and folded["folded"] and not folded["codeVisible"], folded
    wide = page.evaluate(WIDEST_TABLE)
    assert wide and wide["extra"] > 0, f"{FEATURES_PAGE} has no table wider than its box: {wide}"
    assert wide["right"] <= wide["column"] + 1, (
        f"the wide table is not fitted to the column: {wide}"
    )
    shots = {
        "claim-card": page.locator(".cc-card").first,
        "folded-code": page.locator(".cell.tag_hide-input").nth(folded["index"]),
        "chapter-summary": page.locator(".cc-summary").first,
        "wide-table": page.locator(".cc-table").nth(wide["index"]),
    }
    for mode in ("", ".dark"):
        if mode:
            _go_dark(page)
        for name, element in shots.items():
            assert element.count(), f"{FEATURES_PAGE}: no element for the {name} screenshot"
            element.screenshot(path=str(SHOTS / f"{name}{mode}.png"))
    page.context.close()

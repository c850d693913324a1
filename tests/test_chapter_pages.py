"""Every chapter page reads as an argument: its verdicts first, its set-up out of sight (issue #26).

On each chapter page of the built book (``_build/html/notebooks/<slug>.html``):

* the verdict table (``table.cc-verdicts``) comes before the first code cell the page shows;
* no code cell on the page (shown, or folded behind a toggle one click away) holds an ``import``
  line: the set-up cell is tagged ``remove-cell`` (it stays in the notebook and the download);
* every claim card is compact: its details folded in a closed ``<details>``.

A failure names the chapter and the cell (``notebooks/<slug>.md: code cell N``, counted as the
chapter linter and the pipeline count them). In the browser (light and dark mode) one verdict table
and one compact claim card are checked with axe-core, opened from the keyboard and shown open in
print (as is the summary box's folded bookkeeping), and saved as element screenshots under
``_build/screenshots/`` (``verdict-table[.dark].png``, ``claim-card-compact[.dark].png``,
``claim-card-open.dark.png``), an artefact to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import ROOT
from costcorrect.machinery.lint import cells as code_cells
from costcorrect.machinery.pipeline import toc_chapters

# the browser test's local server fixture and helpers, reused (its Chromium is not: see below)
from test_browser import CHROMIUM, HTML, SHOTS, _go_dark, _light_page, server  # noqa: F401

pytestmark = pytest.mark.book
IMPORT = re.compile(r"^[ \t]*(?:import[ \t]+\w|from[ \t]+[\w.]+[ \t]+import[ \t]).*$", re.M)
CHAPTERS = toc_chapters(ROOT)


def _norm(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def page_order(text: str) -> list[dict]:
    """The verdict table and the code cells of a chapter page, in page order: ``{"what": "verdicts"}``
    or ``{"what": "code", "source": ..., "folded": bool}`` (folded: behind a hide-input or hide-cell
    toggle)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    main = soup.find("main") or soup
    out = []
    for el in main.find_all(["table", "div"]):
        classes = el.get("class") or []
        if el.name == "table" and "cc-verdicts" in classes:
            out.append({"what": "verdicts"})
        elif el.name == "div" and "cell_input" in classes:
            cell = el.find_parent("div", class_="cell")
            tags = set(cell.get("class") or []) if cell else set()
            pre = el.find("pre")
            out.append(
                {
                    "what": "code",
                    "source": pre.get_text() if pre else el.get_text(),
                    "folded": bool({"tag_hide-input", "tag_hide-cell"} & tags)
                    or el.find_parent("details") is not None,
                }
            )
    return out


def cell_name(slug: str, source: str, shown_no: int) -> str:
    """``notebooks/<slug>.md: code cell N`` for the notebook cell whose code is ``source`` (else the
    page's own count and the cell's first line: the page was built from an older notebook)."""
    md = ROOT / "notebooks" / f"{slug}.md"
    want = _norm(source)
    for c in code_cells(md.read_text(encoding="utf-8")) if md.exists() else []:
        if _norm(c.body) == want:
            return f"notebooks/{slug}.md: code cell {c.number}"
    first = next((line for line in want.splitlines() if line.strip()), "")
    return f"notebooks/{slug}.md: the page's code cell {shown_no} (`{first[:60]}`)"


def chapter_problems(slug: str, text: str) -> list[str]:
    """What keeps a chapter page from leading with its verdicts and hiding its set-up."""
    items = page_order(text)
    problems = []
    verdicts = next((i for i, x in enumerate(items) if x["what"] == "verdicts"), None)
    code = [(i, x) for i, x in enumerate(items) if x["what"] == "code"]
    if verdicts is None:
        problems.append(f"notebooks/{slug}.html has no verdict table (table.cc-verdicts)")
    shown = [(i, x) for i, x in code if not x["folded"]]
    if verdicts is not None and shown and shown[0][0] < verdicts:
        problems.append(
            f"{cell_name(slug, shown[0][1]['source'], 1)} is shown before the verdict table"
        )
    for n, (_, x) in enumerate(code, 1):
        m = IMPORT.search(x["source"])
        if m:
            where = "folded" if x["folded"] else "shown"
            problems.append(
                f"{cell_name(slug, x['source'], n)} ({where} on the page) imports: "
                f"`{m.group(0).strip()}` — tag the set-up cell `remove-cell`"
            )
    for card in re.findall(r'<div class="cc-card [^"]*" id="card-([^"]+)"', text):
        if not re.search(
            rf'id="card-{re.escape(card)}"[^>]*>(?:(?!<div class="cc-card ).)*?'
            r'<details class="cc-card-more">',
            text,
            re.S,
        ):
            problems.append(f"notebooks/{slug}.html: claim card {card} is not compact")
    return problems


def test_the_check_sees_order_imports_and_names_the_cell():
    verdicts = '<table class="cc-verdicts"><tr><td>x</td></tr></table>'
    shown = '<div class="cell docutils container"><div class="cell_input"><pre>{}</pre></div></div>'
    folded = (
        '<div class="cell tag_hide-input docutils container"><details><summary>Show code</summary>'
        '<div class="cell_input"><pre>{}</pre></div></details></div>'
    )
    page = "<main>{}</main>"
    ok = page.format(verdicts + folded.format("C.decide(1)") + shown.format("x = 1"))
    assert chapter_problems("none", ok) == []
    early = page.format(shown.format("x = 1") + verdicts)
    assert (
        "code cell 1 (`x = 1`) is shown before the verdict table"
        in chapter_problems("none", early)[0]
    )
    imports = page.format(verdicts + folded.format("x = 1\nfrom costcorrect import claims"))
    (p,) = chapter_problems("none", imports)
    assert "(folded on the page) imports: `from costcorrect import claims`" in p
    assert chapter_problems("none", page.format(shown.format("y = 2")))[0].endswith(
        "has no verdict table (table.cc-verdicts)"
    )
    card = '<div class="cc-card cc-card-diverges" id="card-a.b" role="group"><p>old</p></div>'
    assert "claim card a.b is not compact" in chapter_problems("none", ok + card)[0]
    # a cell of a real chapter is named by its number in the notebook
    slug = CHAPTERS[0]
    first = code_cells((ROOT / "notebooks" / f"{slug}.md").read_text(encoding="utf-8"))[0]
    assert cell_name(slug, first.body, 9) == f"notebooks/{slug}.md: code cell {first.number}"


def _page(slug: str) -> Path:
    page = HTML / "notebooks" / f"{slug}.html"
    if not page.exists():
        pytest.fail(f"{page.relative_to(ROOT)} is missing: run `make book` first (make test does)")
    return page


@pytest.mark.parametrize("slug", CHAPTERS)
def test_chapter_leads_with_verdicts_and_hides_its_setup(slug):
    problems = chapter_problems(slug, _page(slug).read_text(encoding="utf-8"))
    assert not problems, "\n  ".join([f"{slug}:", *problems])


def test_buttons_follow_where_the_book_is_built():
    """Launch buttons only in the published book (the workflow sets the repository URL for the build
    and the tests alike); the download menu offers the executed notebook and the MyST source."""
    import os

    from costcorrect.machinery.reader import REPOSITORY_ENV

    published = bool(os.environ.get(REPOSITORY_ENV))
    for slug in CHAPTERS:
        text = _page(slug).read_text(encoding="utf-8")
        assert ("btn-source-repository-button" in text) == published, slug
        assert ("mybinder.org/v2/gh/" in text) == published, slug
        assert f'href="../_sources/notebooks/{slug}.ipynb"' in text, slug
        assert f'href="{slug}.md"' in text and (HTML / "notebooks" / f"{slug}.md").exists(), slug


# --------------------------------------------------------------------------------------------------
# In the browser: one verdict table and one compact claim card, light and dark

SHOWN = "(el) => el.checkVisibility()"


def _axe_on(page, selector: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(
        page, context=selector, options={"resultTypes": ["violations"], "preload": False}
    )
    return [
        f"axe {v['impact']} {v['id']} on {selector}: {v['help']}"
        for v in found.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


UNSTICK = """() => document.querySelectorAll('.bd-header, .bd-header-article, .skip-link')
  .forEach(el => { el.style.setProperty('position', 'static', 'important'); })"""


def _shot(page, element, name: str) -> None:
    """An element screenshot without the theme's sticky header over it (a tall element scrolled
    into view would have it across its top)."""
    page.evaluate(UNSTICK)
    element.screenshot(path=str(SHOTS / name))


def _in_own_thread(fn, *args) -> None:
    """Run ``fn(*args)`` in a thread of its own and re-raise what it raised: Playwright's sync API
    refuses to start while the browser test's session Chromium (same worker) runs its event loop in
    this thread, and a thread of its own has none."""
    import threading

    failure: list[BaseException] = []

    def run() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


@pytest.mark.browser
@pytest.mark.slow  # its own Chromium: started early in `make test`, not last
def test_verdict_table_and_compact_card_in_light_and_dark_mode(server):  # noqa: F811
    """Screenshots (artefacts) of a verdict table and a compact claim card, light and dark; the card's
    details are closed, open from the keyboard, and print open; axe finds nothing serious."""
    import os

    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI must install Debian's chromium; see README)")
        pytest.skip("headless Chromium not found: install Debian's `chromium` package")
    _in_own_thread(_check_table_and_card, server)


def _check_table_and_card(base: str) -> None:
    from playwright.sync_api import sync_playwright

    from costcorrect.machinery.pdf import CHROMIUM_ARGS

    slug = next(
        (s for s in CHAPTERS if "cc-card-more" in _page(s).read_text(encoding="utf-8")), None
    )
    assert slug, "no chapter page has a compact claim card"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, "--disable-quic"]
        )
        try:
            _table_and_card(_light_page(browser, urljoin(base, f"notebooks/{slug}.html")), slug)
        finally:
            browser.close()


def _table_and_card(page, slug: str) -> None:
    table = page.locator("table.cc-verdicts").first
    # a conditional verdict's card when the page has one (a number each side and a region folded)
    card = page.locator(".cc-card-conditional:has(details.cc-card-more)").first
    if not card.count():
        card = page.locator(".cc-card:has(details.cc-card-more)").first
    details = card.locator("details.cc-card-more > dl")
    assert table.count() and card.count(), slug
    assert not details.evaluate(SHOWN), f"{slug}: the first card's details are open by default"
    extra = table.evaluate(
        "t => { const s = t.closest('.cc-scroll'); return s.scrollWidth - s.clientWidth; }"
    )
    assert extra <= 1, f"{slug}: the verdict table is {extra}px wider than the column"
    problems = []
    for mode in ("", ".dark"):
        if mode:
            _go_dark(page)
        problems += [p + f" ({mode or 'light'})" for p in _axe_on(page, "table.cc-verdicts")]
        problems += [p + f" ({mode or 'light'})" for p in _axe_on(page, ".cc-card")]
        _shot(page, table, f"verdict-table{mode}.png")
        _shot(page, card, f"claim-card-compact{mode}.png")
    assert not problems, "\n".join(problems)
    # keyboard: focus the summary and press Enter; print: the details show without a click
    card.locator("summary").focus()
    page.keyboard.press("Enter")
    assert details.evaluate(SHOWN), f"{slug}: Enter on the card's summary does not open it"
    _shot(page, card, "claim-card-open.dark.png")
    page.keyboard.press("Enter")
    assert not details.evaluate(SHOWN)
    bookkeeping = page.locator(".cc-summary details.cc-summary-more > p").first
    assert not bookkeeping.evaluate(SHOWN), f"{slug}: the summary's bookkeeping is not folded"
    page.emulate_media(media="print")
    assert details.evaluate(SHOWN), f"{slug}: a card's details do not print"
    assert bookkeeping.evaluate(SHOWN), f"{slug}: the summary's bookkeeping does not print"
    page.context.close()

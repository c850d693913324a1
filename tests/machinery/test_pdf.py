"""The PDF edition (`make pdf`): one file with every chapter, figures drawn, math typeset.

The module fixture prints the PDF as `make pdf` does (kept when it is up to date): `make test` runs it
on one worker while the other runs other tests, and the browser test's pages that link the PDF run
after it on the same worker (``conftest.scope_of``). ``costcorrect pdf`` fails by itself when a figure
does not draw or math is left untypeset in the single page it prints; these tests read the PDF it
wrote (pypdfium2: PDFium's text extraction, seconds for the whole book) and the manifest beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD
from costcorrect.machinery import pdf

# one worker prints and reads the PDF once for all of these tests (conftest.scope_of)
pytestmark = [pytest.mark.browser, pytest.mark.book]
PDF = BUILD / "pdf" / pdf.PDF_NAME
MANIFEST = BUILD / "pdf" / "manifest.json"


@pytest.fixture(scope="module")
def reader():
    """The PDF edition, printed (or found up to date) by ``costcorrect pdf``, read once."""
    if (
        not (shutil.which("chromium") or shutil.which("chromium-browser"))
        and os.environ.get("CI") != "true"
    ):
        pytest.skip("headless Chromium not found: no PDF edition (install Debian's `chromium`)")
    # a process of its own: this worker's browser test may hold Playwright's sync API already, and
    # it prints into the book's _build (not nbval's scratch folder)
    env = dict(os.environ, COSTCORRECT_BUILD=str(BUILD))
    cmd = [sys.executable, "-m", "costcorrect", "pdf"]
    made = subprocess.run(cmd, env=env, cwd=BUILD.parent, capture_output=True, text=True)
    assert made.returncode == 0, (
        f"`costcorrect pdf` failed:\n{made.stdout[-3000:]}{made.stderr[-3000:]}"
    )
    import pypdfium2

    return pypdfium2.PdfDocument(PDF)


@pytest.fixture(scope="module")
def text(reader) -> str:
    return "\n".join(page.get_textpage().get_text_bounded() for page in reader)


def _norm(s: str) -> str:
    # PDF text extraction turns ligatures into single glyphs and may break lines inside a title
    s = s.replace("ﬁ", "fi").replace("ﬂ", "fl").replace("ﬀ", "ff").replace("ﬃ", "ffi")
    return " ".join(s.split()).casefold()


def test_every_chapter_title_is_in_the_pdf(text):
    titles = pdf.chapter_titles(BUILD / "html")
    assert titles, "no chapter pages in _build/html"
    body = _norm(text)
    missing = [t for t in titles.values() if _norm(t) not in body]
    assert not missing, f"chapters missing from the PDF: {missing}"


def test_no_raw_tex_in_the_pdf(text):
    # the PDF's text includes the code cells, so single-dollar math is judged on the printed page's
    # prose (recorded by `costcorrect pdf` in the manifest); TeX commands must be nowhere
    raw = [pat for pat in ("$$", "\\frac", "\\alpha", "\\begin{") if pat in text]
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert not raw and not manifest["raw_math"], (
        f"untypeset TeX in the PDF: {raw + manifest['raw_math'][:5]}"
    )


def test_every_figure_is_drawn_in_the_pdf(reader):
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    expected = pdf.figures_in_html(BUILD / "html")
    assert expected > 0
    assert manifest["figures_in_html"] == expected, (
        "the PDF is older than the HTML book: run `make pdf`"
    )
    assert manifest["figures"] == manifest["figures_drawn"] == expected
    assert len(reader) == manifest["pages"] > 1


def test_the_pdf_is_published_beside_the_html(reader):
    copy = BUILD / "html" / pdf.PDF_NAME
    assert copy.exists() and copy.read_bytes() == PDF.read_bytes()


def test_every_chapter_has_a_bookmark(reader):
    # Chromium builds a bookmark from the printed heading and drops the space where a long title
    # wraps ("frontierunder"): compare titles without their spaces
    marks = ["".join(_norm(item.get_title()).split()) for item in reader.get_toc()]
    missing = [
        t
        for t in pdf.chapter_titles(BUILD / "html").values()
        if "".join(_norm(t).split()) not in marks
    ]
    assert not missing, f"chapters without a bookmark in the PDF: {missing}"


def test_the_pdf_reuses_the_html_build(reader):
    """`make pdf` assembles its single page from the HTML build's environment (_build/.doctrees),
    not from a second full Sphinx build of every chapter."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["reused_html_doctrees"] is True, manifest

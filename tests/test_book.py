"""The built book (`_build/html`): complete, offline, figures interactive from one local Vega bundle."""

import json
import re

import pytest

from conftest import BUILD, ROOT, require_build
from costcorrect import claims
from costcorrect.machinery import pipeline

pytestmark = pytest.mark.book
HTML = BUILD / "html"


@pytest.fixture(scope="module", autouse=True)
def built():
    require_build(HTML / "index.html")


def test_every_chapter_and_page_is_built():
    for slug in pipeline.toc_chapters(ROOT):
        assert (HTML / "notebooks" / f"{slug}.html").exists(), slug
    for page in ["intro", "claims", "methods", "reproducibility", "cite", "references"]:
        assert (HTML / f"{page}.html").exists(), page


def test_no_cdn_in_any_page():
    for page in HTML.rglob("*.html"):
        text = page.read_text(errors="replace")
        for tag in re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"(https?://[^\"]+)\"", text):
            raise AssertionError(f"{page.relative_to(HTML)} loads {tag}")


def test_mathjax_and_vega_are_local_and_served_once():
    assert (HTML / "_static" / "mathjax" / "tex-chtml.js").exists()
    bundle = HTML / "_static" / "vega" / "vega-bundle.js"
    assert bundle.stat().st_size > 100_000
    marker = bundle.read_text()[:200]
    for page in (HTML / "notebooks").glob("*.html"):
        text = page.read_text(errors="replace")
        assert marker not in text, f"{page.name} inlines the Vega bundle"
        if "cc-figure" in text:
            assert text.count("_static/vega/vega-bundle.js") == 1, page.name
    assert (
        "vega-bundle" not in (HTML / "methods.html").read_text()
    )  # only pages with figures load it


def test_static_svg_written_for_every_figure():
    for page in (HTML / "notebooks").glob("*.html"):
        for fig in set(re.findall(r'data-figure="([^"]+)"', page.read_text(errors="replace"))):
            slug, name = fig.split(".", 1)
            svg = BUILD / "figures" / slug / f"{name}.svg"
            assert svg.exists() and "<svg" in svg.read_text()[:500], fig


def test_dashboard_lists_every_claim_with_status():
    ledger = json.loads((BUILD / "claims.json").read_text())
    dash = (HTML / "claims.html").read_text()
    for r in ledger:
        assert r["id"] in dash, r["id"]
    for status in {r["status"] for r in ledger}:
        assert f">{status}</span>" in dash


def test_landing_page_shows_live_counts():
    ledger = json.loads((BUILD / "claims.json").read_text())
    intro = (HTML / "intro.html").read_text()
    t = claims.tally(ledger)
    assert (
        f"<strong>{t['reproduced']} of {t['paper']} paper-claim records reproduced</strong>"
        in intro
    )
    assert f"({t['independent']} independently)" in intro
    assert f"<strong>{t['conditional']}</strong> are conditional" in intro
    regs = {c: claims.register(c) for c in pipeline.toc_chapters(ROOT)}
    r = claims.register_tally(claims.coverage(ledger, regs))
    assert f"<strong>{r['decided']} of {r['rows']} claims decided</strong>" in intro
    assert (
        f"<strong>{r['reproduced']}</strong> reproduced over their whole declared range "
        f"({r['independent']} independently)" in intro
    )


def test_no_stderr_or_errors_in_executed_chapters():
    import nbformat

    for nb_path in (BUILD / "executed").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                assert out.get("output_type") != "error", (
                    f"{nb_path.name} cell {i} has an error output"
                )

from conftest import ROOT
from costcorrect import pages

RECS = [
    {"chapter": "a", "id": "a.x", "statement": "s <b>", "kind": "numeric", "published": 3.0, "source": "https://e.org",
     "recomputed": 2.0, "tolerance": 0.1, "status": "diverges", "note": "off"},
    {"chapter": "a", "id": "a.y", "statement": "t", "kind": "symbolic", "published": "x", "source": "https://e.org",
     "recomputed": "proven", "tolerance": None, "status": "reproduced", "note": ""},
]


def test_counts():
    text = pages.counts_markdown(RECS)
    assert "**2** claims from **1** chapters" in text and "**1** diverges" in text and "**0** unverifiable" in text


def test_dashboard_escapes_and_links():
    html = pages.dashboard_html(RECS, ["a"], {"a": "Chapter A"})
    assert 'href="notebooks/a.html"' in html and "s &lt;b&gt;" in html
    assert 'cc-bad">diverges' in html and 'cc-ok">reproduced' in html and "off" in html


def test_lock_versions_reads_pins():
    pins = dict(pages.lock_versions(ROOT, ["sympy"]))
    assert set(pins) == {"sympy"} and pins["sympy"][0].isdigit()


def test_status_chart_is_a_local_vega_figure():
    html = pages.status_chart_html(RECS, ["a"], {"a": "Chapter A"})
    assert 'class="cc-figure"' in html and "vegaEmbed" in html and "Chapter A" in html
    assert "<p>No claims" in pages.status_chart_html([], [], {})

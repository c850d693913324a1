from conftest import ROOT
from costcorrect.build import pages


def _rec(
    id, status, origin="paper", evidence="independent", verdict="robust", note="", kind="numeric"
):
    return {
        "chapter": id.split(".")[0],
        "id": id,
        "statement": "s <b>",
        "kind": kind,
        "origin": origin,
        "evidence": evidence if origin == "paper" else None,
        "published": 3.0,
        "unit": "x",
        "source": "https://e.org",
        "locator": "abstract",
        "recomputed": 2.0,
        "condition": "within 10% of 3",
        "rule": {"bound": "=", "tolerance": 0.1, "absolute": False},
        "robustness": {
            "verdict": verdict,
            "method": "exact",
            "inputs": {},
            "points": [],
            "flips": "diverges at slack=1" if verdict == "fragile" else "",
            "reason": "",
        },
        "status": status,
        "note": note,
    }


RECS = [
    _rec("a.x", "diverges", note="off"),
    _rec("a.y", "reproduced", evidence="consistency", verdict="fragile"),
    _rec("a.z", "reproduced"),
    _rec("a.w", "reproduced", origin="book"),
]


def test_counts_separate_paper_claims_from_book_results():
    text = pages.counts_markdown(RECS)
    assert "**2 of 3 paper-claim records reproduced** (1 independently, 1 robust)" in text
    assert "**1** diverge" in text and "**1** results of this book" in text


def test_dashboard_escapes_filters_and_links():
    html = pages.dashboard_html(RECS, ["a"], {"a": "Chapter A"})
    assert 'href="notebooks/a.html"' in html and "s &lt;b&gt;" in html
    assert 'cc-bad">diverges' in html and 'cc-ok">reproduced' in html and "off" in html
    for f in pages.FILTERS:
        assert f'data-filter="{f}"' in html
    assert 'data-origin="book"' in html and "flips: diverges at slack=1" in html
    assert 'id="claim-a.x"' in html


def test_lock_versions_reads_pins():
    pins = dict(pages.lock_versions(ROOT, ["sympy"]))
    assert set(pins) == {"sympy"} and pins["sympy"][0].isdigit()


def test_status_chart_is_a_local_vega_figure():
    html = pages.status_chart_html(RECS, ["a"], {"a": "Chapter A"})
    assert 'class="cc-figure"' in html and "vegaEmbed" in html and "Chapter A" in html
    assert "<p>No claims" in pages.status_chart_html([], [], {})


ROW = {
    "claim": "c <i>",
    "kind": "number",
    "value": "3",
    "unit": "x",
    "source": "S",
    "url": "https://e.org",
    "locator": "abstract",
    "read_in": "abstract",
}
REGISTER = {"a": {"x": ROW, "y": ROW, "p": ROW, "none": ROW}}


def _with_rows():
    recs = [
        dict(r, rows=[r["id"].split(".")[1]] if r["origin"] == "paper" else [], partial="")
        for r in RECS
    ]
    recs.append(dict(_rec("a.q", "reproduced"), rows=["p"], partial="checks a weaker statement"))
    return recs


def test_register_coverage_counts_and_names_undecided_rows():
    from costcorrect import claims

    rows = claims.coverage(_with_rows(), REGISTER)
    text = pages.counts_markdown(_with_rows(), rows)
    assert text.startswith("**3 of 4 claims decided** in the claims registers of 1 papers")
    assert "**1** only partly checked" in text and "`a/none`" in text
    table = pages.register_coverage_markdown(rows, {"a": "Chapter A"})
    assert "| [Chapter A](notebooks/a) | 4 | 3 | 1 | 1 | 0 | 1 | 1 |" in table
    html = pages.register_html(rows, {"a": "Chapter A"}, _with_rows())
    assert 'id="row-a-p"' in html and "(reproduced, partial)" in html and "c &lt;i&gt;" in html
    assert "(diverges)" in html
    assert 'cc-part">partial' in html and 'cc-none">undecided' in html
    box = pages.chapter_summary_html("a", _with_rows(), None, [], [], [], rows)
    assert "3 of 4 of the paper" in box and "Not decided" in box and "row-a-none" in box

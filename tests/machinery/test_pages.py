from conftest import ROOT
from costcorrect.machinery import pages


def _rec(
    id, status, origin="paper", evidence="independent", region="", note="", kind="numeric", why=""
):
    return {
        "chapter": id.split(".")[0],
        "id": id,
        "statement": "s <b>",
        "kind": kind,
        "origin": origin,
        "evidence": evidence if origin != "book" else None,
        "stated": "about 3",
        "published": 3.0,
        "unit": "x",
        "source": "https://e.org",
        "locator": "abstract",
        "reading": "",
        "recomputed": 2.0,
        "condition": "within 10% of 3",
        "rule": {"bound": "=", "tolerance": 0.1, "absolute": False},
        "robustness": {
            "verdict": "robust",
            "method": "sweep",
            "inputs": {"slack": [1, 2]},
            "points": [],
            "region": region,
            "reason": "",
        },
        "probe": {"verdict": "can fail", "method": "scale", "counterfactuals": [], "text": "x"},
        "status": status,
        "why": why,
        "note": note,
        "auto_note": False,
    }


RECS = [
    _rec("a.x", "diverges", note="off"),
    _rec("a.c", "conditional", region="holds at 1 of 2 declared points: slack=2", note="mid"),
    _rec("a.y", "reproduced", evidence="consistency"),
    _rec("a.v", "reproduced", evidence="vacuous"),
    _rec("a.z", "reproduced"),
    _rec("a.w", "reproduced", origin="book"),
]


def test_counts_separate_paper_claims_from_book_results():
    text = pages.counts_markdown(RECS)
    assert "**2 of 5 paper-claim records reproduced** over their whole declared range" in text
    assert "(1 independently)" in text and "**1** are conditional" in text
    assert "**1** diverge" in text and "**1** results of this book" in text
    assert "**1** hold only by a check the falsifiability probe shows cannot fail" in text


def test_dashboard_escapes_filters_and_links():
    html = pages.dashboard_html(RECS, ["a"], {"a": "Chapter A"})
    assert 'href="notebooks/a.html"' in html and "s &lt;b&gt;" in html
    assert 'cc-bad">diverges' in html and 'cc-ok">reproduced' in html and "off" in html
    assert 'cc-cond">conditional' in html and "holds at 1 of 2 declared points" in html
    for f in pages.FILTERS:
        assert f'data-filter="{f}"' in html
    assert 'data-origin="book"' in html and 'data-probe="can fail"' in html
    assert 'id="claim-a.x"' in html and ">about 3<" in html


def test_lock_versions_reads_pins():
    pins = dict(pages.lock_versions(ROOT))
    assert len(pins) > 100 and pins["sympy"][0].isdigit() and "jupyter-book" in pins


def test_status_chart_is_a_local_vega_figure():
    html = pages.status_chart_html(RECS, ["a"], {"a": "Chapter A"})
    assert 'class="cc-figure"' in html and "vegaEmbed" in html and "Chapter A" in html
    assert "<p>No claims" in pages.status_chart_html([], [], {})


ROW = {
    "claim": "c <i>",
    "kind": "number",
    "origin": "paper",
    "value": "3",
    "unit": "x",
    "source": "S",
    "url": "https://e.org",
    "locator": "abstract",
    "read_in": "abstract",
}
REGISTER = {
    "a": {"x": ROW, "y": ROW, "p": ROW, "u": ROW, "none": ROW, "k": dict(ROW, origin="cited")}
}


def _with_rows():
    recs = [
        dict(r, rows=[r["id"].split(".")[1]] if r["origin"] == "paper" else [], partial="")
        for r in RECS
        if r["id"] in ("a.x", "a.y", "a.w")
    ]
    recs.append(dict(_rec("a.q", "reproduced"), rows=["p"], partial="checks a weaker statement"))
    recs.append(
        dict(
            _rec("a.u", "unverifiable", evidence="none", why="not retrieved", note="Table 3"),
            rows=["u"],
            partial="",
        )
    )
    recs.append(dict(_rec("a.k", "reproduced", origin="cited"), rows=["k"], partial=""))
    return recs


def test_register_coverage_counts_and_names_undecided_rows():
    from costcorrect import claims

    rows = claims.coverage(_with_rows(), REGISTER)
    text = pages.counts_markdown(_with_rows(), rows)
    assert text.startswith("**4 of 5 claims decided** in the claims registers of 1 papers")
    assert "**1** unverifiable (0 private data, 1 not retrieved, 0 not empirical)" in text
    assert "(and 1 figures quoted from cited sources, checked as inputs)" in text
    assert "**1** only partly checked" in text and "`a/none`" in text
    table = pages.register_coverage_markdown(rows, {"a": "Chapter A"})
    assert "| [Chapter A](notebooks/a) | 5 | 4 | 1 | 0 | 1 | 1 | 1 | 1 |" in table
    html = pages.register_html(rows, {"a": "Chapter A"}, _with_rows())
    assert 'id="row-a-p"' in html and "(reproduced, partial)" in html and "c &lt;i&gt;" in html
    assert (
        "(diverges)" in html
        and 'data-why="not retrieved"' in html
        and 'data-origin="cited"' in html
    )
    assert 'cc-part">partial' in html and 'cc-none">undecided' in html
    box = pages.chapter_summary_html("a", _with_rows(), None, [], [], [], rows)
    assert "4 of 5 of the paper" in box and "Not decided" in box and "row-a-none" in box
    assert "(unverifiable: 1 not retrieved)" in box
    wanted = pages.help_wanted_markdown(rows, {"a": "Chapter A"}, _with_rows())
    assert "`u`: c <i> | Table 3 |" in wanted and "**1 claims**" in wanted


def test_verdict_table_leads_with_each_claim_and_links_its_card():
    table = pages.verdict_table_html(RECS)
    assert table.count("<tr><td>") == 5  # the paper records; the book result is left to the text
    assert 'href="#card-a.c"' in table and "holds at 1 of 2 declared points<" in table
    assert "the check cannot fail" in table and 'cc-cond">conditional' in table
    assert "<caption>" in table and pages.verdict_table_html([RECS[-1]]) == ""
    box = pages.chapter_summary_html("a", RECS, None, [], [], [])
    assert box.index("</aside>") < box.index("cc-verdicts")

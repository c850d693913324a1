"""The test suite's own scheduling (tests/conftest.py): scopes, longest-first order, nbval records."""

import conftest
from conftest import PDF_SCOPE, expected_seconds, scope_of


def test_scopes_keep_a_notebook_and_the_pdf_together_and_spread_the_rest():
    assert scope_of("_build/executed/coral.ipynb::Cell 3") == "_build/executed/coral.ipynb"
    assert (
        scope_of("tests/machinery/test_pdf.py::test_every_chapter_title_is_in_the_pdf") == PDF_SCOPE
    )
    page = "tests/test_browser.py::test_page[methods.html]"
    assert scope_of(page) == page
    assert scope_of("tests/test_data.py::test_x") == "tests/test_data.py::test_x"


def test_pages_that_link_the_pdf_run_in_its_scope(monkeypatch, tmp_path):
    html = tmp_path / "html"
    html.mkdir()
    (html / "a.html").write_text('<a href="costcorrect-book.pdf">PDF</a>')
    (html / "b.html").write_text('<meta http-equiv="Refresh" content="0; url=a.html" />')
    (html / "c.html").write_text("<p>no PDF here</p>")
    monkeypatch.setattr(conftest, "BUILD", tmp_path)
    conftest.links_the_pdf.cache_clear()
    try:
        scopes = {
            p: scope_of(f"tests/test_browser.py::test_page[{p}]")
            for p in ("a.html", "b.html", "c.html")
        }
    finally:
        conftest.links_the_pdf.cache_clear()
    assert scopes == {
        "a.html": PDF_SCOPE,
        "b.html": PDF_SCOPE,
        "c.html": "tests/test_browser.py::test_page[c.html]",
    }


def test_expected_seconds_prefer_the_last_run_then_the_chapter_time():
    nb = "_build/executed/coral.ipynb"
    assert expected_seconds(nb, {nb: 7.0}, {"coral": 50.0}) == 7.0
    assert expected_seconds(nb, {}, {"coral": 50.0}) == 50.0
    assert expected_seconds(nb, {}, {"coral": None}) == 60.0  # never timed
    assert (
        expected_seconds(PDF_SCOPE, {}, {})
        > expected_seconds("tests/test_browser.py::test_page[x]", {}, {})
        > 0
    )
    assert expected_seconds("tests/test_data.py::test_x", {}, {}) == 0.0
    assert expected_seconds("tests/test_data.py::test_x", {}, {}, slow=True) > 0.0


def test_a_page_never_timed_is_expected_to_take_time_by_its_markup(monkeypatch, tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "long.html").write_text("<p>claim</p>" * 20_000)
    (tmp_path / "html" / "short.html").write_text(
        "<p>claim</p>" + "<svg>" + "<g/>" * 50_000 + "</svg>"
    )
    monkeypatch.setattr(conftest, "BUILD", tmp_path)
    conftest.page_seconds.cache_clear()
    try:
        long, short = (
            expected_seconds(f"tests/test_browser.py::test_page[{p}]", {}, {})
            for p in ("long.html", "short.html")
        )
    finally:
        conftest.page_seconds.cache_clear()
    assert long > 5 * short > 0  # a drawn figure's markup is not the page's


def test_an_nbval_record_holds_only_for_the_same_execution(tmp_path):
    executed = conftest.BUILD / "executed" / "cost-correct.ipynb"
    conftest.require_build(executed)
    copy = tmp_path / executed.name
    copy.write_bytes(executed.read_bytes())
    assert conftest.nbval_key(copy) == conftest.nbval_key(executed)
    copy.write_bytes(executed.read_bytes().replace(b'"execution"', b'"execution" ', 1))
    assert conftest.nbval_key(copy) != conftest.nbval_key(executed)  # another execution's bytes


def test_pages_linking_the_pdf_are_ordered_after_the_pdf_test(monkeypatch, tmp_path):
    from types import SimpleNamespace

    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "a.html").write_text('<a href="costcorrect-book.pdf">PDF</a>')
    monkeypatch.setattr(conftest, "BUILD", tmp_path)
    conftest.links_the_pdf.cache_clear()
    ids = [
        "tests/test_browser.py::test_page[a.html]",  # collected first, as pytest does
        "tests/test_browser.py::test_page[b.html]",
        "tests/machinery/test_pdf.py::test_the_pdf_reuses_the_html_build",
        "tests/test_data.py::test_x",
    ]
    items = [SimpleNamespace(nodeid=i) for i in ids]
    try:
        conftest.pytest_collection_modifyitems(SimpleNamespace(cache=None), items)
    finally:
        conftest.links_the_pdf.cache_clear()
    assert [i.nodeid for i in items] == [ids[2], ids[0], ids[1], ids[3]]

"""The patches of third-party internals: each does its job, and any change to what they patch fails."""

from types import SimpleNamespace

from costcorrect.machinery import patches


def test_patched_internals_are_those_the_patches_were_checked_against():
    assert patches.internals_changed() == []


def test_a_version_other_than_the_checked_one_is_reported(monkeypatch):
    monkeypatch.setitem(patches.CHECKED, "nbval", "0.0.1")
    assert patches.internals_changed() == ["nbval is 0.11.0, patches checked on 0.0.1"]


def test_drop_thebe_keeps_other_scripts_in_place():
    scripts = [
        SimpleNamespace(filename="_static/doctools.js", attributes={}),
        SimpleNamespace(filename=None, attributes={"body": 'const THEBE_JS_URL = "x"'}),
        SimpleNamespace(filename="_static/sphinx-thebe.js", attributes={}),
    ]
    ctx = {"script_files": scripts}
    same = ctx["script_files"]
    patches.drop_thebe(ctx)
    assert [s.filename for s in ctx["script_files"]] == ["_static/doctools.js"]
    assert ctx["script_files"] is same


def test_fix_accessibility_names_toggles_and_bibliography_items():
    side = (
        '<a class="reference internal" href="x.html">Part I — <em>Foundations</em> &amp; more</a>'
        '<details open="open"><summary><span class="toctree-toggle" role="presentation"></span></summary>'
    )
    out = patches.fix_accessibility(side)
    assert '<summary aria-label="Sections of Part I — Foundations &amp; more">' in out
    bib = '<div role="list" class="citation-list"><div class="citation" id="a" role="doc-biblioentry">'
    fixed = patches.fix_accessibility(bib)
    assert 'role="listitem"' in fixed and "doc-biblioentry" not in fixed
    assert patches.fix_accessibility("<p>plain</p>") == "<p>plain</p>"


def test_stale_viewcode_pages_are_dropped(tmp_path):
    out, doctrees = tmp_path / "html", tmp_path / "doctrees"
    pages = out / "_modules" / "pkg"
    pages.mkdir(parents=True)
    doctrees.mkdir()

    def write(*names):
        for name in names:
            (pages / f"{name}.html").write_text("x")

    def entry(page):  # viewcode's (code, tags, used: {fullname: docname}, refname)
        return ("code", {}, {"f": page}, "")

    app = SimpleNamespace(outdir=str(out), doctreedir=str(doctrees))
    unused = ("code", {}, {}, "")  # a module no page documents (left by a parallel read)
    modules = {"pkg.kept": entry("a"), "pkg.moved": entry("a"), "functools": unused}
    app.env = SimpleNamespace(_viewcode_modules=modules)
    write("kept", "moved")
    assert patches.stale_source_pages(app) == []  # no record of a last build: all written afresh
    assert list(pages.iterdir()) == []
    assert sorted(modules) == ["pkg.kept", "pkg.moved"]  # viewcode writes no page for functools
    write("kept", "moved", "gone")
    patches.stale_source_pages(app)
    assert sorted(p.stem for p in pages.iterdir()) == ["kept", "moved"]  # gone: not documented
    app.env._viewcode_modules["pkg.moved"] = entry("b")  # its documentation moved to page b
    patches.stale_source_pages(app)
    assert sorted(p.stem for p in pages.iterdir()) == ["kept"]


def test_nbval_compares_text_only():
    class IPyNbCell:  # the class name is what nbval's cells are recognised by
        def __init__(self, parent):
            self.parent = parent

    parent = SimpleNamespace(skip_compare=("metadata",))
    patches.nbval_compare_text_only([IPyNbCell(parent), IPyNbCell(parent)])
    assert parent.skip_compare == ("metadata", *patches.RICH_OUTPUTS)

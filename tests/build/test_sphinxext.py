from types import SimpleNamespace

from costcorrect.build import sphinxext


def test_drop_thebe_keeps_other_scripts_in_place():
    scripts = [
        SimpleNamespace(filename="_static/doctools.js", attributes={}),
        SimpleNamespace(filename=None, attributes={"body": 'const THEBE_JS_URL = "x"'}),
        SimpleNamespace(filename="_static/sphinx-thebe.js", attributes={}),
    ]
    ctx = {"script_files": scripts}
    same = ctx["script_files"]
    sphinxext._drop_thebe(ctx)
    assert [s.filename for s in ctx["script_files"]] == ["_static/doctools.js"]
    assert ctx["script_files"] is same


def test_assets_are_local(tmp_path):
    out = sphinxext.prepare_assets(tmp_path)
    assert (out / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert any((out / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert (out / "vega" / "vega-bundle.js").exists()


def test_fix_accessibility_names_toggles_and_bibliography_items():
    from costcorrect.build.sphinxext import fix_accessibility

    side = (
        '<a class="reference internal" href="x.html">Part I — <em>Foundations</em> &amp; more</a>'
        '<details open="open"><summary><span class="toctree-toggle" role="presentation"></span></summary>'
    )
    out = fix_accessibility(side)
    assert '<summary aria-label="Sections of Part I — Foundations &amp; more">' in out
    bib = '<div role="list" class="citation-list"><div class="citation" id="a" role="doc-biblioentry">'
    assert 'role="listitem"' in fix_accessibility(
        bib
    ) and "doc-biblioentry" not in fix_accessibility(bib)
    assert fix_accessibility("<p>plain</p>") == "<p>plain</p>"


def test_sync_static_copies_changed_book_static_files(tmp_path):
    from types import SimpleNamespace

    (tmp_path / "src" / "static").mkdir(parents=True)
    (tmp_path / "src" / "static" / "a.css").write_text("new")
    (tmp_path / "out" / "_static").mkdir(parents=True)
    (tmp_path / "out" / "_static" / "a.css").write_text("old")
    sphinxext._sync_static(
        SimpleNamespace(confdir=str(tmp_path / "src"), outdir=str(tmp_path / "out"))
    )
    assert (tmp_path / "out" / "_static" / "a.css").read_text() == "new"


def test_numfig_gets_the_value_of_config_yml_back():
    # sphinx-jupyterbook-latex forces numfig on at config-inited; _config.yml's value wins after it
    config = SimpleNamespace(overrides={"numfig": False}, numfig=True)
    sphinxext._numfig_from_config(None, config)
    assert config.numfig is False
    untouched = SimpleNamespace(overrides={}, numfig=True)
    sphinxext._numfig_from_config(None, untouched)
    assert untouched.numfig is True


def test_vega_bundle_is_written_once(tmp_path, monkeypatch):
    calls = []

    def fake_bundle(path):
        calls.append(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("bundle")
        return path

    monkeypatch.setattr(sphinxext, "vega_bundle", fake_bundle)
    target = tmp_path / "vega" / "vega-bundle.js"
    sphinxext._vega_bundle_once(target)
    sphinxext._vega_bundle_once(target)
    assert len(calls) == 1
    assert [p.name for p in target.parent.iterdir() if not p.name.startswith(".")] == [
        "vega-bundle.js"
    ]  # the version stamp is a dot file, which Sphinx does not publish
    (target.parent / ".vega-bundle.js.version").write_text("another version\n")
    sphinxext._vega_bundle_once(target)
    assert len(calls) == 2

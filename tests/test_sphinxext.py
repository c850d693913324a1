from types import SimpleNamespace

from costcorrect import sphinxext


def test_drop_thebe_keeps_other_scripts_in_place():
    scripts = [SimpleNamespace(filename="_static/doctools.js", attributes={}),
               SimpleNamespace(filename=None, attributes={"body": 'const THEBE_JS_URL = "x"'}),
               SimpleNamespace(filename="_static/sphinx-thebe.js", attributes={})]
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

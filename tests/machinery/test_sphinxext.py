from types import SimpleNamespace

from costcorrect.machinery import sphinxext


def test_assets_are_local(tmp_path):
    out = sphinxext.prepare_assets(tmp_path)
    assert (out / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert any((out / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert (out / "vega" / "vega-bundle.js").exists()


def test_sync_static_copies_changed_book_static_files(tmp_path):

    (tmp_path / "src" / "static").mkdir(parents=True)
    (tmp_path / "src" / "static" / "a.css").write_text("new")
    (tmp_path / "out" / "_static").mkdir(parents=True)
    (tmp_path / "out" / "_static" / "a.css").write_text("old")
    sphinxext._sync_static(
        SimpleNamespace(confdir=str(tmp_path / "src"), outdir=str(tmp_path / "out"))
    )
    assert (tmp_path / "out" / "_static" / "a.css").read_text() == "new"


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

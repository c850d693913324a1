"""Sphinx extension of the book: local MathJax and Vega, no CDN.

* copies MathJax 3 (from the ``django-static-mathjax`` wheel) and the Vega bundle (from
  ``vl-convert``) into ``_build/assets`` and adds that folder to ``html_static_path``;
* points ``mathjax_path`` at the local copy;
* adds the Vega bundle (an ES module) only to pages that hold a figure;
* applies the patches of :mod:`costcorrect.machinery.patches` (parallel reading, viewcode, thebe,
  accessibility);
* puts a summary box under every chapter's title (claims by status, execution time, tables, model
  modules, how to rerun it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from costcorrect.figures import VEGA_BUNDLE, vega_bundle
from costcorrect.machinery import patches
from costcorrect.paths import build_dir

MATHJAX_FILES = ("tex-chtml.js",)


def mathjax_source() -> Path:
    """The MathJax ``es5`` folder shipped by the ``django-static-mathjax`` wheel."""
    import mathjax  # provided by django-static-mathjax

    base = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    if not (base / "tex-chtml.js").exists():
        raise RuntimeError(f"MathJax not found under {base}; reinstall django-static-mathjax")
    return base


def prepare_assets(dest: Path) -> Path:
    """Write the local MathJax and Vega files under ``dest`` (idempotent)."""
    mj = mathjax_source()
    out = dest / "mathjax"
    for name in MATHJAX_FILES:
        target = out / name
        if not target.exists() or target.stat().st_size != (mj / name).stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(mj / name, target)
    fonts = mj / "output" / "chtml" / "fonts"
    if not (out / "output" / "chtml" / "fonts").exists():
        shutil.copytree(fonts, out / "output" / "chtml" / "fonts")
    _vega_bundle_once(dest / VEGA_BUNDLE)
    return dest


def _vega_bundle_once(path: Path) -> None:
    """Write the Vega bundle only when it is missing or ``vl-convert``/Altair changed: generating it
    takes about two seconds, on every incremental build otherwise."""
    import altair as alt
    import vl_convert

    stamp = path.with_name(f".{path.name}.version")  # a dot file: Sphinx does not publish it
    version = f"vl-convert {vl_convert.__version__}, Vega-Lite {alt.SCHEMA_VERSION}\n"
    if path.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == version:
        return
    vega_bundle(path)
    stamp.write_text(version, encoding="utf-8")


def _config_inited(app, config) -> None:
    assets = prepare_assets(build_dir() / "assets")
    config.html_static_path = list(config.html_static_path) + [str(assets)]
    config.mathjax_path = "mathjax/tex-chtml.js"


def _page_context(app, pagename, templatename, context, doctree) -> None:
    patches.drop_thebe(context)
    body = context.get("body", "")
    if "cc-figure" in body:
        app.add_js_file(VEGA_BUNDLE, type="module")


def _chapter_summary(app, doctree) -> None:
    """Insert the generated summary box after the title of a chapter page (``notebooks/<slug>``)."""
    import json

    from docutils import nodes

    docname = app.env.docname
    section = next(iter(doctree.findall(nodes.section)), None)
    if not docname.startswith("notebooks/") or section is None:
        return
    from costcorrect import claims
    from costcorrect.data import DataError, dependencies_file
    from costcorrect.machinery import pages, pipeline

    slug = docname.split("/", 1)[1]
    joined = build_dir() / "claims.json"  # none while Jupyter Book executes (make bench)
    records = [r for r in claims.load() if r["chapter"] == slug] if joined.exists() else []
    entry = pipeline.cache_entry(slug)
    deps = dependencies_file(slug)
    tables = sorted(json.loads(deps.read_text())) if deps.exists() else []
    modules = pipeline.model_modules(slug)  # the Models page documents exactly these
    try:
        rows = claims.coverage(records, {slug: claims.register(slug)}) if records else []
    except DataError:  # no register yet: the coverage test names the chapter
        rows = []
    params = entry.get("parameter_names", [])
    html = pages.chapter_summary_html(
        slug, records, entry.get("seconds"), tables, modules, params, rows
    )
    title = next(iter(section.findall(nodes.title)), None)
    box = nodes.raw("", html, format="html")
    section.insert(section.index(title) + 1 if title is not None else 0, box)


def _sync_static(app) -> None:
    """Copy the book's own static files (``static/``) into ``_static`` when they changed.

    Sphinx copies static files only when some page is rebuilt, so an edit to the CSS or JavaScript
    alone (e.g. a contrast fix) would otherwise never reach an incrementally built book.
    """
    src = Path(app.confdir) / "static"
    if not src.is_dir():
        return
    for f in src.rglob("*"):
        dest = Path(app.outdir) / "_static" / f.relative_to(src)
        if f.is_file() and (not dest.exists() or dest.read_bytes() != f.read_bytes()):
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)


def _fix_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    _sync_static(app)
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = patches.fix_accessibility(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    # before sphinx.ext.viewcode's own html-collect-pages handler (priority 500)
    app.connect("html-collect-pages", patches.stale_source_pages, priority=400)
    app.connect("build-finished", _fix_pages)
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", patches.multitoc_parallel_safe)
    app.connect("doctree-read", _chapter_summary)
    app.connect("html-page-context", _page_context)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

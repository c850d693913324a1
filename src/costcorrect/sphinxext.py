"""Sphinx extension of the book: local MathJax and Vega, no CDN.

* copies MathJax 3 (from the ``django-static-mathjax`` wheel) and the Vega bundle (from
  ``vl-convert``) into ``_build/assets`` and adds that folder to ``html_static_path``;
* points ``mathjax_path`` at the local copy;
* adds the Vega bundle (an ES module) only to pages that hold a figure.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .figures import VEGA_BUNDLE, vega_bundle
from .paths import build_dir

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
    vega_bundle(dest / VEGA_BUNDLE)
    return dest


def _config_inited(app, config) -> None:
    assets = prepare_assets(build_dir() / "assets")
    config.html_static_path = list(config.html_static_path) + [str(assets)]
    config.mathjax_path = "mathjax/tex-chtml.js"


def _drop_thebe(context: dict) -> None:
    """Remove sphinx-thebe's scripts: Jupyter Book 1 adds them twice (a redeclared const breaks the page)
    and they point at a CDN; live kernels are not part of this offline book."""
    kept = []
    for js in context.get("script_files", []):
        name = str(getattr(js, "filename", js) or "")
        body = str(getattr(js, "attributes", {}).get("body", "")) if hasattr(js, "attributes") else ""
        if "thebe" in name or "THEBE_JS_URL" in body:
            continue
        kept.append(js)
    context["script_files"][:] = kept  # in place: Sphinx appends page scripts to this same list


def _page_context(app, pagename, templatename, context, doctree) -> None:
    _drop_thebe(context)
    body = context.get("body", "")
    if "cc-figure" in body:
        app.add_js_file(VEGA_BUNDLE, type="module")


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

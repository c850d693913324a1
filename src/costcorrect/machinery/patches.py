"""Every patch of a third-party internal, in one place (and nowhere else).

Each patch names the private behaviour it relies on. :data:`CHECKED` pins the versions they were
written against and :func:`internals_changed` re-checks each internal; ``tests/machinery/test_patches.py``
fails on any difference, so an upgrade makes us look at each patch again before it silently breaks.
"""

from __future__ import annotations

import html
import inspect
import json
import re
from importlib.metadata import version
from pathlib import Path

CHECKED = {  # distribution -> the version whose internals the patches below were checked against
    "sphinx": "7.4.7",
    "sphinx-thebe": "0.3.1",
    "sphinx-book-theme": "1.3.0",
    "sphinx-external-toc": "1.1.0",
    "sphinx-multitoc-numbering": "0.1.3",
    "nbval": "0.11.0",
    "pytest-xdist": "3.8.0",
    "jupyter-client": "8.10.0",
}


def internals_changed() -> list[str]:
    """What no longer matches: a version other than :data:`CHECKED`, or a patched internal gone."""
    import nbval.plugin
    import sphinx.ext.viewcode
    import sphinx_external_toc
    import sphinx_multitoc_numbering
    import sphinx_thebe
    from jupyter_client.manager import KernelManager
    from xdist.scheduler import LoadScopeScheduling

    out = [
        f"{d} is {version(d)}, patches checked on {v}"
        for d, v in CHECKED.items()
        if version(d) != v
    ]
    src = inspect.getsource
    expect = {
        "viewcode keeps env._viewcode_modules": "env._viewcode_modules" in src(sphinx.ext.viewcode),
        "viewcode collects pages at the default priority": "'html-collect-pages', collect_pages)"
        in src(sphinx.ext.viewcode.setup),
        "sphinx-external-toc loads sphinx-multitoc-numbering, which declares no parallel safety": (
            'setup_extension("sphinx_multitoc_numbering")' in src(sphinx_external_toc.setup)
            and "parallel" not in src(sphinx_multitoc_numbering)
        ),
        "sphinx-thebe declares THEBE_JS_URL": "const THEBE_JS_URL" in src(sphinx_thebe),
        "nbval's cells read parent.skip_compare": "self.parent.skip_compare" in src(nbval.plugin),
        "xdist's LoadScopeScheduling has _split_scope": hasattr(
            LoadScopeScheduling, "_split_scope"
        ),
        "KernelManager has transport_encryption": "transport_encryption" in dir(KernelManager),
    }
    return out + [f"changed: {what}" for what, ok in expect.items() if not ok]


# --------------------------------------------------------------------------- jupyter_client
def kernel_manager_class() -> type:
    """A kernel manager that encrypts kernel traffic when ZeroMQ supports it (silences ipykernel's
    'running over TCP without encryption' warning on every chapter)."""
    import zmq
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class EncryptedKernelManager(KernelManager):
        @default("transport_encryption")
        def _default_encryption(self) -> str:
            return "auto" if zmq.has("curve") else "disabled"

    return EncryptedKernelManager


# --------------------------------------------------------------------------- Sphinx / Jupyter Book
def multitoc_parallel_safe(app) -> None:
    """Declare sphinx-multitoc-numbering safe for parallel reading (connect at ``builder-inited``).

    sphinx-external-toc always loads it and it declares nothing, so Sphinx reads serially and warns
    (an error under ``-W``). It is safe: at set-up it replaces the toctree collector's section
    numbering, which runs in the main process after the parallel read (and the book numbers no
    sections). Sets the private ``parallel_read_safe`` of its entry in ``app.extensions``."""
    ext = app.extensions.get("sphinx_multitoc_numbering")
    if ext is not None and ext.parallel_read_safe is None:
        ext.parallel_read_safe = True


def drop_thebe(context: dict) -> None:
    """Remove sphinx-thebe's scripts: Jupyter Book 1 adds them twice (a redeclared const breaks the page)
    and they point at a CDN; live kernels are not part of this offline book."""
    kept = []
    for js in context.get("script_files", []):
        name = str(getattr(js, "filename", js) or "")
        body = str(getattr(js, "attributes", {}).get("body", ""))
        if "thebe" not in name and "THEBE_JS_URL" not in body:
            kept.append(js)
    context["script_files"][:] = kept  # in place: Sphinx appends page scripts to this same list


def stale_source_pages(app) -> list:
    """Drop the viewcode source pages an incremental or parallel build would get wrong (connect
    before viewcode's own ``html-collect-pages`` handler, priority 400 < 500).

    ``sphinx.ext.viewcode`` re-renders ``_modules/<module>.html`` only when the module's file is newer
    than the page, so a page keeps its back-links after the module's documentation moves, and the
    page of a module no longer documented stays behind. Using viewcode's private
    ``env._viewcode_modules``, delete the pages whose documenting pages changed since the last build
    (recorded in the doctree folder) and those of modules no longer documented; viewcode then writes
    them afresh. A parallel read also keeps the entries of modules that no page documents (a serial
    read purges them, e.g. ``functools`` of an imported decorator): they are removed, so no empty
    page is written for them. Returns no pages of its own."""
    modules = getattr(app.env, "_viewcode_modules", {}) or {}
    for module, entry in list(modules.items()):
        if entry and not entry[2]:
            del modules[module]
    now = {m: sorted(set(entry[2].values())) for m, entry in modules.items() if entry}
    record = Path(app.doctreedir) / "costcorrect-viewcode.json"
    before = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    pages = Path(app.outdir) / "_modules"
    for page in pages.rglob("*.html") if pages.is_dir() else []:
        module = ".".join(page.relative_to(pages).with_suffix("").parts)
        if module != "index" and (module not in now or before.get(module) != now[module]):
            page.unlink()
    record.write_text(json.dumps(now, sort_keys=True), encoding="utf-8")
    return []


_TOGGLE = re.compile(r"(<a [^>]*>(.*?)</a>\s*<details[^>]*>\s*)<summary>")


def fix_accessibility(text: str) -> str:
    """Repair two faults axe-core reports as serious/critical in the HTML Sphinx and the theme write.

    * the sidebar's section toggles are ``<summary>`` elements holding only an icon (no accessible
      name): each gets ``aria-label="Sections of <chapter title>"``;
    * docutils writes the bibliography as ``role="list"`` whose children have the deprecated
      ``role="doc-biblioentry"`` (so the list has no list items): they become ``role="listitem"``.
    """

    def label(m: re.Match) -> str:
        name = html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()
        return m.group(1) + f'<summary aria-label="{html.escape("Sections of " + name)}">'

    return _TOGGLE.sub(label, text).replace('role="doc-biblioentry"', 'role="listitem"')


# --------------------------------------------------------------------------- pytest plugins
RICH_OUTPUTS = ("text/html", "image/svg+xml", "application/javascript", "text/latex")


def nbval_compare_text_only(items: list) -> None:
    """nbval compares rich outputs unless told otherwise; only the claim cells' text matters: add the
    rich MIME types to each notebook's (nbval-internal) ``skip_compare``."""
    for item in items:
        if item.__class__.__name__ == "IPyNbCell":
            parent = item.parent
            if not set(RICH_OUTPUTS) <= set(parent.skip_compare):
                parent.skip_compare = tuple(parent.skip_compare) + RICH_OUTPUTS


def scope_scheduler(config, log, scope_of):
    """pytest-xdist's ``--dist loadscope`` with our own scopes, through its private ``_split_scope``
    (``--dist loadgroup`` would do it from marks, but pytest-xdist 3.8 cannot rename the tests of a
    group under pytest 9, so its groups are silently ignored)."""
    from xdist.scheduler import LoadScopeScheduling

    class BookScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return BookScopes(config, log)

"""The PDF edition: the whole book in one file, ``_build/pdf/costcorrect-book.pdf``.

Jupyter Book builds the staged sources (``_build/src``, see :func:`costcorrect.machinery.pipeline.stage`) as
one single HTML page (Sphinx's ``singlehtml`` builder, into ``_build/pdf/work``), starting from a copy
of the HTML build's environment (``_build/.doctrees``): Sphinx reads no source again and only
assembles the page from the doctrees `make book` already wrote (seconds, not a second full build;
a source changed since is re-read as usual); the same headless
Chromium the browser test uses opens it from a local server (no network), waits until every Vega
figure is drawn and MathJax has typeset the math, and prints it (``page.pdf``). The PDF is then
copied into ``_build/html`` so the published book links it (``costcorrect-book.pdf``).

``_build/pdf/manifest.json`` records what was printed: chapter titles, figures expected (the
``.cc-figure`` elements of the pages in ``_build/html``) and drawn, pages and size; the test
(``tests/machinery/test_pdf.py``) checks the PDF against it.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from costcorrect.paths import build_dir, repo_root

PDF_NAME = "costcorrect-book.pdf"

# the page scripts and the print layout (``print/``): wait-figures.js waits until every figure is
# drawn and MathJax has finished and returns one record per figure (the browser test uses it too);
# math-state.js then finds math left untypeset and TeX left in the prose; print.css (print media
# only) lays out the PDF
ASSETS = Path(__file__).with_name("print")
WAIT_FIGURES = (ASSETS / "wait-figures.js").read_text(encoding="utf-8")
MATH_STATE = (ASSETS / "math-state.js").read_text(encoding="utf-8")
PRINT_CSS = (ASSETS / "print.css").read_text(encoding="utf-8")


def chapter_titles(html_dir: Path | None = None) -> dict[str, str]:
    """``{slug: title}`` of every chapter page in the built HTML book (book order)."""
    from costcorrect.machinery.pipeline import toc_chapters

    html_dir = html_dir or build_dir() / "html"
    out = {}
    for slug in toc_chapters():
        page = html_dir / "notebooks" / f"{slug}.html"
        if not page.exists():
            continue
        m = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), flags=re.S)
        if m:
            import html

            out[slug] = " ".join(
                html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).replace("#", "").split()
            )
    return out


def figures_in_html(html_dir: Path | None = None) -> int:
    """How many figures (``class="cc-figure"`` elements) the pages of the HTML book hold."""
    html_dir = html_dir or build_dir() / "html"
    pages = [
        p
        for p in html_dir.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(html_dir).parts)
    ]
    return sum(p.read_text(encoding="utf-8").count('class="cc-figure"') for p in pages)


def _singlehtml(src: Path, echo=print) -> tuple[Path, bool]:
    """Build the staged sources as one HTML page under ``_build/pdf/work``; returns the page and
    whether the HTML build's environment was reused."""
    work = build_dir() / "pdf" / "work"
    # the HTML build (jupyter-book --path-output <root>) keeps its environment in _build/.doctrees;
    # a copy of it lets Sphinx skip reading: same sources, same configuration, nothing outdated
    html_doctrees = build_dir() / ".doctrees"
    doctrees = work / "_build" / ".doctrees"
    reused = (html_doctrees / "environment.pickle").is_file()
    shutil.rmtree(doctrees, ignore_errors=True)
    if reused:
        shutil.copytree(html_doctrees, doctrees)
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(src),
        "--builder",
        "singlehtml",
        "--path-output",
        str(work),
        "--keep-going",
        "--quiet",
    ]
    # no -W: the HTML build (`make book`) already holds these sources to zero warnings; the PDF is
    # checked for what it must contain (tests/test_pdf.py), not failed on a singlehtml-only warning
    env = dict(os.environ, COSTCORRECT_ROOT=str(repo_root()), COSTCORRECT_BUILD=str(build_dir()))
    echo(
        "building the single-page HTML (jupyter-book build --builder singlehtml"
        + (", from the HTML build's doctrees)" if reused else ", cold: no HTML build to reuse)")
    )
    proc = subprocess.run(cmd, env=env, cwd=repo_root())
    if proc.returncode != 0:
        raise SystemExit("error: the single-page HTML build failed (see the warnings above)")
    out = work / "_build" / "singlehtml"
    page = max(
        (p for p in out.glob("*.html")), key=lambda p: p.stat().st_size
    )  # index.html only redirects
    return page, reused


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` quietly on 127.0.0.1 at a free port; yields its base URL (``…/``).
    The PDF printer and the browser test read the book through it."""
    handler = functools.partial(_Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


# headless Chromium without the network services it starts by default (the book is offline)
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SystemExit(
            "error: headless Chromium not found: install Debian's `chromium` (apt-get install chromium)"
        )
    return found


def print_pdf(page_file: Path, dest: Path) -> dict:
    """Open ``page_file`` from a local server in headless Chromium (network cut off) and print it."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with serve(page_file.parent) as base, sync_playwright() as p:
        url = base + page_file.name
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
        )
        page = browser.new_page(viewport={"width": 1100, "height": 1400})

        def route(r):
            if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
                r.continue_()
            else:
                errors.append(f"request leaving 127.0.0.1 refused: {r.request.url}")
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.goto(url, wait_until="load")
        figures = page.evaluate(WAIT_FIGURES)
        state = page.evaluate(MATH_STATE)
        state.update(figures=len(figures), drawn=sum(f["marks"] >= 3 for f in figures))
        page.add_style_tag(content=PRINT_CSS)  # @media print: no relayout before page.pdf
        dest.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(
            path=str(dest),
            format="A4",
            print_background=True,
            prefer_css_page_size=True,
            outline=True,
            tagged=True,  # bookmarks per heading; a tagged (accessible) PDF
            display_header_footer=True,
            header_template="<span></span>",
            footer_template='<div style="font-size:8px;width:100%;text-align:center;color:#666">'
            'Cost-correct — <span class="pageNumber"></span> / <span class="totalPages"></span></div>',
        )
        browser.close()
    state["errors"] = errors
    return state


def source_key(src: Path) -> str:
    """Hash of the staged sources, the print code (and ``print/``) and the ledger: the PDF is rebuilt
    only when one of them changed."""
    import hashlib

    h = hashlib.sha256(Path(__file__).read_bytes())
    for p in sorted(ASSETS.iterdir()):
        h.update(p.read_bytes())
    for p in sorted(q for q in src.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(src)).encode() + b"\0" + p.read_bytes() + b"\0")
    for name in ("claims.json", "timings.json"):
        f = build_dir() / name
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()


def _publish(dest: Path) -> None:
    """Copy the PDF beside the HTML book (``_build/html/costcorrect-book.pdf``): intro and cite link it."""
    html = build_dir() / "html"
    if html.is_dir() and (
        not (html / PDF_NAME).exists() or (html / PDF_NAME).read_bytes() != dest.read_bytes()
    ):
        shutil.copy2(dest, html / PDF_NAME)


def build_pdf(echo=print) -> int:
    """``make pdf``: single-page HTML → PDF; writes the PDF, its manifest and a copy in ``_build/html``."""
    from costcorrect.machinery.pipeline import stage

    start = time.perf_counter()
    src, _ = stage()
    dest = build_dir() / "pdf" / PDF_NAME
    manifest_file = dest.parent / "manifest.json"
    key = source_key(src)
    recorded = (
        json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else {}
    )
    if dest.exists() and recorded.get("source_key") == key:
        _publish(dest)
        echo(f"the PDF edition is up to date ({dest.relative_to(build_dir().parent)})")
        return 0
    page, reused = _singlehtml(src, echo)
    single_seconds = round(time.perf_counter() - start, 1)
    echo(f"printing {page.relative_to(build_dir())} with headless Chromium")
    tmp = dest.with_suffix(".partial.pdf")
    state = print_pdf(page, tmp)
    problems = list(state["errors"])
    if state["drawn"] != state["figures"]:
        problems.append(
            f"{state['figures'] - state['drawn']} of {state['figures']} figure(s) did not draw"
        )
    if state["untypeset"]:
        problems.append(f"{state['untypeset']} math element(s) not typeset")
    expected = figures_in_html()
    if (build_dir() / "html" / "index.html").exists() and expected != state["figures"]:
        problems.append(
            f"the single page holds {state['figures']} figure(s), the HTML book {expected}"
        )
    if problems:
        tmp.unlink(missing_ok=True)
        for p in problems:
            echo(f"error: {p}")
        return 1
    tmp.replace(dest)
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(dest))
    manifest = {
        "pdf": PDF_NAME,
        "pages": pages,
        "bytes": dest.stat().st_size,
        "figures": state["figures"],
        "figures_drawn": state["drawn"],
        "figures_in_html": expected,
        "raw_math": state["raw_math"],
        "chapters": chapter_titles(),
        "seconds": round(time.perf_counter() - start, 1),
        "singlehtml_seconds": single_seconds,
        "reused_html_doctrees": reused,
        "source_key": key,
    }
    manifest_file.write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    _publish(dest)
    echo(
        f"wrote {dest.relative_to(repo_root()) if dest.is_relative_to(repo_root()) else dest}: "
        f"{pages} pages, {dest.stat().st_size / 1e6:.1f} MB, {state['figures']} figures "
        f"({manifest['seconds']} s)"
    )
    return 0

"""What a reader of the HTML book sees around the chapters' text (a Sphinx extension).

* **Claim cards from the ledger.** Each card a chapter's cell displayed is drawn again from the
  chapter's ledger (``_build/claims/<slug>.json``) with :func:`costcorrect.claims.card_html`, so
  the cards follow the card layout of this checkout without re-executing the chapter (the executed
  notebook, offered for download, keeps the card its run displayed).
* **Launch buttons where the book is published.** When ``$COSTCORRECT_REPOSITORY_URL`` is set (the
  Pages workflow sets it from ``github.server_url``/``github.repository``), the header gets the
  repository, issues and Binder buttons (Binder builds ``environment.yml`` and opens the chapter's
  MyST source); a local build has none.
* **Downloads.** A chapter's download menu offers the executed notebook (``.ipynb``) and the
  chapter's MyST source (``.md``); both are copied beside the page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from costcorrect.paths import build_dir, repo_root

REPOSITORY_ENV = "COSTCORRECT_REPOSITORY_URL"
BINDER = "https://mybinder.org"
CARD_ID = re.compile(r'<div class="cc-card [^"]*" id="card-([^"]+)"')


def launch_options(repository_url: str | None) -> dict[str, Any]:
    """The theme options that add the repository, issues and Binder buttons for ``repository_url``
    (none when it is empty: a local build)."""
    url = (repository_url or "").strip().rstrip("/")
    if not url:
        return {
            "use_repository_button": False,
            "use_issues_button": False,
            "launch_buttons": {"binderhub_url": ""},
        }
    return {
        "repository_url": url,
        "repository_provider": "github",  # the Pages workflow runs on GitHub (also GitHub Enterprise)
        "repository_branch": "main",
        "path_to_docs": "",  # the staged book's notebooks/ is the repository's notebooks/
        "use_repository_button": True,
        "use_issues_button": True,
        "launch_buttons": {"binderhub_url": BINDER, "notebook_interface": "classic"},
    }


def _config_inited(app: Any, config: Any) -> None:
    opts = dict(config.html_theme_options or {})
    new = launch_options(os.environ.get(REPOSITORY_ENV))
    opts["launch_buttons"] = {**dict(opts.get("launch_buttons") or {}), **new.pop("launch_buttons")}
    opts.update(new)
    config.html_theme_options = opts


def _ledger(slug: str) -> dict[str, dict]:
    """The chapter's ledger records by id: its own ledger file (written by the run that wrote the
    executed notebook), else its records in the joined ``_build/claims.json``."""
    from costcorrect.claims import chapter_file

    path = chapter_file(slug)
    if path.exists():
        records = json.loads(path.read_text(encoding="utf-8"))
    else:
        joined = build_dir() / "claims.json"
        records = json.loads(joined.read_text(encoding="utf-8")) if joined.exists() else []
    return {r["id"]: r for r in records if r.get("chapter") == slug}


def redraw_card(html_text: str, records: dict[str, dict]) -> str:
    """``html_text`` (a cell output) with its claim card drawn again from the ledger record of the
    same id; unchanged when it holds no card or the ledger has no such record."""
    from costcorrect.claims import card_html

    m = CARD_ID.match(html_text.strip())
    return card_html(records[m.group(1)]) if m and m.group(1) in records else html_text


def _redraw_cards(app: Any, doctree: Any) -> None:
    """Replace each claim card of a chapter page by the ledger's current card (``doctree-read``)."""
    from docutils import nodes

    if not app.env.docname.startswith("notebooks/"):
        return
    records = _ledger(app.env.docname.split("/", 1)[1])
    for node in list(doctree.findall(nodes.raw)):
        if node.get("format") == "html" and 'class="cc-card ' in node.astext():
            text = redraw_card(node.astext(), records)
            node.replace_self(nodes.raw("", text, format="html"))


def _buttons(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """On a chapter page: name the notebook download, add the MyST source, and point Binder at the
    MyST source (the staged page comes from the executed ``.ipynb``; the repository holds ``.md``)."""
    if not pagename.startswith("notebooks/"):
        return
    for group in context.get("header_buttons", []):
        buttons = group.get("buttons", [])
        if group.get("label") == "download-buttons":
            for b in buttons:
                if b.get("label") == "download-source-button":
                    b["text"] = ".ipynb"
                    b["tooltip"] = "Download the executed notebook"
            buttons.insert(
                1,
                {
                    "type": "link",
                    "url": context["pathto"](f"{pagename}.md", 1),
                    "text": ".md",
                    "tooltip": "Download the chapter's MyST source",
                    "icon": "fas fa-file-lines",
                    "label": "download-myst-button",
                },
            )
        for b in buttons:
            if b.get("text") == "Binder":
                b["url"] = b["url"].replace(f"{pagename}.ipynb", f"{pagename}.md")


def _publish_sources(app: Any, exception: Exception | None) -> None:
    """Copy each chapter's MyST source and executed notebook beside its page
    (``notebooks/<slug>.md`` and ``.ipynb``) for download."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "notebooks"
    md = (repo_root() / "notebooks").glob("*.md")
    for path in sorted([*md, *(build_dir() / "executed").glob("*.ipynb")]):
        if (out / f"{path.stem}.html").exists():
            shutil.copy2(path, out / path.name)


def setup(app: Any) -> dict[str, Any]:
    """Register the hooks (Sphinx extension entry point)."""
    app.connect("config-inited", _config_inited)
    app.connect("doctree-read", _redraw_cards)
    # after the theme's own header buttons (priority 501)
    app.connect("html-page-context", _buttons, priority=600)
    app.connect("build-finished", _publish_sources)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

"""The reader-facing extension (costcorrect.machinery.reader) in a real, one-page Sphinx build with the
book's theme: launch buttons only when the repository URL is given, the MyST source and the executed
notebook in the download menu, claim cards drawn again from the chapter's ledger."""

from __future__ import annotations

import json

import nbformat
import pytest

from conftest import ROOT, claim_record
from costcorrect import claims
from costcorrect.machinery import reader

SLUG = "rose"  # a real chapter: its MyST source is what the download menu offers
OLD_CARD = (
    f'<div class="cc-card cc-card-diverges" id="card-{SLUG}.demo" role="group">old card</div>'
)


def _record() -> dict:
    """A decided record of the demo chapter, whose old card the build must replace."""
    return claim_record(chapter=SLUG, id=f"{SLUG}.demo")


def _build(tmp_path, monkeypatch, repository: str | None) -> str:
    """Build one chapter page with the book's theme; return its HTML."""
    from sphinx.application import Sphinx

    build = tmp_path / "_build"
    (build / "claims").mkdir(parents=True)
    (build / "claims" / f"{SLUG}.json").write_text(json.dumps([_record()]), encoding="utf-8")
    monkeypatch.setenv("COSTCORRECT_BUILD", str(build))
    if repository is None:
        monkeypatch.delenv(reader.REPOSITORY_ENV, raising=False)
    else:
        monkeypatch.setenv(reader.REPOSITORY_ENV, repository)
    src = tmp_path / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "index.md").write_text("# Book\n\n```{toctree}\nnotebooks/rose\n```\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        }
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A chapter"),
        nbformat.v4.new_code_cell(
            "C.decide('demo', 1)",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"text/html": OLD_CARD, "text/plain": "demo"}
                )
            ],
        ),
    ]
    nbformat.write(nb, src / "notebooks" / f"{SLUG}.ipynb")
    (src / "conf.py").write_text(
        "extensions = ['myst_nb', 'sphinx_book_theme', 'costcorrect.machinery.reader']\n"
        "html_theme = 'sphinx_book_theme'\n"
        "nb_execution_mode = 'off'\n"
        "html_theme_options = {'use_download_button': True, 'launch_buttons': {}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    app = Sphinx(
        str(src), str(src), str(out), str(tmp_path / "doctrees"), "html", status=None, warning=None
    )
    app.build()
    return (out / "notebooks" / f"{SLUG}.html").read_text(encoding="utf-8"), out


@pytest.mark.slow
def test_a_local_build_has_no_launch_buttons(tmp_path, monkeypatch):
    page, out = _build(tmp_path, monkeypatch, None)
    assert "btn-source-repository-button" not in page and "btn-source-issues-button" not in page
    assert "mybinder.org" not in page and "Launch on" not in page
    # the download menu: the executed notebook and the chapter's MyST source, which is published
    assert f'href="../_sources/notebooks/{SLUG}.ipynb"' in page
    assert "Download the executed notebook" in page
    assert f'href="{SLUG}.md"' in page and "Download the chapter's MyST source" in page
    assert (out / "notebooks" / f"{SLUG}.md").read_bytes() == (
        ROOT / "notebooks" / f"{SLUG}.md"
    ).read_bytes()
    # the card is drawn again from the chapter's ledger: compact, numbers for people
    assert "old card" not in page and claims.card_html(_record()) in page


@pytest.mark.slow
def test_the_published_book_has_repository_issues_and_binder_buttons(tmp_path, monkeypatch):
    page, _ = _build(tmp_path, monkeypatch, "https://github.com/someone/costcorrect-book")
    assert "btn-source-repository-button" in page and "btn-source-issues-button" in page
    assert 'href="https://github.com/someone/costcorrect-book"' in page
    assert 'href="https://github.com/someone/costcorrect-book/issues/new?title=' in page
    binder = (
        f"https://mybinder.org/v2/gh/someone/costcorrect-book/main?urlpath=tree/notebooks/{SLUG}.md"
    )
    assert f'href="{binder}"' in page  # Binder opens the MyST source (Jupytext), not an .ipynb


def test_the_pages_workflow_sets_the_repository_url():
    import yaml

    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8"))
    env = flow["jobs"]["build"]["env"]
    assert env[reader.REPOSITORY_ENV] == "${{ github.server_url }}/${{ github.repository }}"

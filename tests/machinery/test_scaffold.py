"""`make new-paper`: refusals write nothing; a scaffolded chapter builds and records its claim."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from costcorrect.machinery import scaffold


def _snapshot(root):
    return {
        p: p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "_build" not in p.parts and ".git" not in p.parts
    }


@pytest.fixture
def mini(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    for d in ("data", "book", "notebooks"):
        (tmp_path / d).mkdir()
    (tmp_path / "data" / "datapackage.json").write_text(json.dumps({"resources": []}))
    shutil.copy(ROOT / "book" / "_toc.yml", tmp_path / "book" / "_toc.yml")
    (tmp_path / "book" / "references.bib").write_text("@misc{existing,\n  title = {x}}\n")
    (tmp_path / "notebooks" / "taken.md").write_text("x")
    monkeypatch.setenv("COSTCORRECT_ROOT", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    "slug, title, url, match",
    [
        ("taken", "T", "https://e.org", "already exists"),
        ("existing", "T", "https://e.org", "already exists"),
        ("Bad_Slug", "T", "https://e.org", "malformed"),
        ("a--b", "T", "https://e.org", "malformed"),
        ("ok-slug", "  ", "https://e.org", "TITLE"),
        ("ok-slug", "T", "ftp://e.org", "URL"),
    ],
)
def test_refusals_write_nothing(mini, slug, title, url, match):
    before = _snapshot(mini)
    with pytest.raises(scaffold.ScaffoldError, match=match):
        scaffold.new_paper(slug, title, url, root=mini)
    assert _snapshot(mini) == before


def test_scaffold_writes_all_pieces(mini):
    written = scaffold.new_paper(
        "alpha-asymmetry", "The α Asymmetry, revisited", "https://example.org/a", root=mini
    )
    assert "notebooks/alpha-asymmetry.md" in written
    toc = (mini / "book" / "_toc.yml").read_text()
    assert "caption: Contributed chapters" in toc and "notebooks/alpha-asymmetry" in toc
    assert toc.index("Contributed chapters") < toc.index("The ledger")
    scaffold.new_paper("second-paper", "Second", "https://example.org/b", root=mini)
    toc = (mini / "book" / "_toc.yml").read_text()
    assert toc.count("Contributed chapters") == 1
    assert (
        toc.index("notebooks/alpha-asymmetry")
        < toc.index("notebooks/second-paper")
        < toc.index("The ledger")
    )
    assert "@misc{alpha-asymmetry," in (mini / "book" / "references.bib").read_text()
    pkg = json.loads((mini / "data" / "datapackage.json").read_text())
    assert [r["name"] for r in pkg["resources"]] == [
        "alpha-asymmetry/example",
        "alpha-asymmetry/register",
        "second-paper/example",
        "second-paper/register",
    ]
    assert not (mini / "data" / "alpha-asymmetry" / "published.csv").exists()
    assert (
        (mini / "data" / "alpha-asymmetry" / "register.csv")
        .read_text()
        .startswith("id,claim,kind,origin,value,")
    )


MINI_TOC = """format: jb-book
root: intro
parts:
  - caption: The ledger
    chapters:
      - file: claims
      - file: help-wanted
      - file: methods
      - file: references
"""


def mini_book(dest):
    """A one-chapter book to scaffold into: the book's configuration, static files, bibliography and
    the ledger's pages (claims, help wanted, methods, references) with a table of contents of only
    those, an empty data package, the lock file and pyproject.toml — what a build needs, and no chapter."""
    dest.mkdir()
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, dest / name)
    (dest / "notebooks").mkdir()
    (dest / "data").mkdir()
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    (dest / "data" / "datapackage.json").write_text(json.dumps(dict(package, resources=[])))
    book = dest / "book"
    book.mkdir()
    shutil.copytree(ROOT / "book" / "static", book / "static")
    for name in (
        "_config.yml",
        "references.bib",
        "claims.md",
        "help-wanted.md",
        "methods.md",
        "references.md",
    ):
        shutil.copy(ROOT / "book" / name, book / name)
    (book / "intro.md").write_text("(intro)=\n# A one-chapter book\n\nSee {doc}`claims`.\n")
    (book / "_toc.yml").write_text(MINI_TOC)
    return dest


@pytest.mark.slow
def test_scaffolded_chapter_builds_in_a_mini_book(tmp_path):
    """Scaffold `alpha-asymmetry` into a one-chapter mini-book (:func:`mini_book`) and build it cold:
    the new chapter executes, records its claim, appears on the claims page and in the table of
    contents, and passes nbval."""
    copy = mini_book(tmp_path / "repo")
    env = {
        **__import__("os").environ,
        "COSTCORRECT_ROOT": str(copy),
        "COSTCORRECT_BUILD": str(copy / "_build"),
    }

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "costcorrect", *args],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
        )

    made = run(
        "new-paper",
        "--slug",
        "alpha-asymmetry",
        "--title",
        "The alpha asymmetry",
        "--url",
        "https://example.org/alpha",
    )
    assert made.returncode == 0, made.stderr
    again = run(
        "new-paper",
        "--slug",
        "alpha-asymmetry",
        "--title",
        "x",
        "--url",
        "https://example.org/alpha",
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    built = run("book")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "executing 1 chapter(s)" in built.stdout  # the only chapter: the new one
    ledger = json.loads((copy / "_build" / "claims.json").read_text())
    mine = [r for r in ledger if r["chapter"] == "alpha-asymmetry"]
    assert [(r["id"], r["status"]) for r in mine] == [
        ("alpha-asymmetry.example-ratio", "reproduced")
    ]
    html = copy / "_build" / "html"
    assert "alpha-asymmetry.example-ratio" in (html / "claims.html").read_text()
    assert (
        'href="notebooks/alpha-asymmetry.html"' in (html / "intro.html").read_text()
        or "alpha-asymmetry.html" in (html / "intro.html").read_text()
    )
    nbval = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            str(copy / "_build" / "executed" / "alpha-asymmetry.ipynb"),
        ],
        cwd=copy,
        env={**env, "COSTCORRECT_BUILD": str(copy / "_build" / "nbval")},
        capture_output=True,
        text=True,
    )
    assert nbval.returncode == 0, nbval.stdout[-2000:]

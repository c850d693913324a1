"""Prose that names a file or a function names one that exists (issue #26, item 4).

Read: the chapters' prose (the Markdown cells of ``notebooks/*.md``, not their code cells), the
book's own pages (``book/**/*.md``), ``README.md`` and ``CONTRIBUTING.md``. Checked:

* every path under ``src/``, ``tests/``, ``data/``, ``notebooks/`` or ``book/`` exists. A path with
  a placeholder (``data/<slug>/register.csv``, ``data/<slug>/*.csv``, ``src/costcorrect/{a,b}``)
  must match at least one file or folder; a page link without its suffix (``notebooks/rose``) may
  name the page's source (``.md``); the example slug the README and CONTRIBUTING scaffold
  (:data:`EXAMPLE_SLUGS`) counts as a placeholder, and a file the scaffold writes for a new chapter
  (:data:`SCAFFOLDED`) is taken as named; ``owner/repo:path`` names another repository's file;
* every dotted name ``costcorrect.<module>[.<attribute>…]`` (and ``models.<part>.<module>…`` in
  backticks, which the prose writes for ``costcorrect.models…``) imports, and its attributes exist.

A failure lists each stale reference with its file and line.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from conftest import ROOT

# slugs the contributor guides invent for their `make new-paper` examples
EXAMPLE_SLUGS = ("my-paper", "alpha-asymmetry")
# "owner/repo:path" names a file of another repository (a data source), not of this one
PATH = re.compile(r"(?<![\w/.<>:-])((?:src|tests|data|notebooks|book)/[\w./<>*{},…-]*[\w/>*}])")
# what `make new-paper` writes for a new chapter, named by the guides before it exists
SCAFFOLDED = ("data/<slug>/example.csv",)
DOTTED = re.compile(r"(?<![\w.])(costcorrect(?:\.[A-Za-z_]\w*)+)")
MODELS = re.compile(r"`(models(?:\.[A-Za-z_]\w*)+)")
CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```[ \t]*$", re.M | re.S)


def prose(path: Path) -> str:
    """The text of ``path`` a reader reads as prose: a chapter without its code cells (blanked
    line for line, so line numbers stay), any other page whole."""
    text = path.read_text(encoding="utf-8")
    if path.parent.name == "notebooks":
        text = CODE_CELL.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return text


def _expand(path: str) -> list[str]:
    """``a/{b,c}/d`` -> ``["a/b/d", "a/c/d"]`` (brace lists, as a shell writes them)."""
    m = re.search(r"\{([^{}]*)\}", path)
    if not m:
        return [path]
    return [
        x
        for alt in m.group(1).split(",")
        for x in _expand(path[: m.start()] + alt + path[m.end() :])
    ]


def path_exists(ref: str, base: Path = ROOT) -> bool:
    """Whether the repository holds ``ref`` (placeholders matched as wildcards; each
    alternative of a brace list; a module or page named without its ``.py`` or ``.md``)."""
    ref = ref.rstrip(".,;:").replace("…", "*")
    for slug in EXAMPLE_SLUGS:
        ref = ref.replace(slug, "<slug>")
    if ref in SCAFFOLDED:
        return True

    def found(alt: str) -> bool:
        pattern = re.sub(r"<[^<>/]*>", "*", alt).rstrip("/")
        return any(
            any(where.glob(pattern + suffix))
            for where in (base, base / "book")
            for suffix in ("", ".md", ".py")
        )

    return all(found(alt) for alt in _expand(ref))


def name_exists(dotted: str) -> bool:
    """Whether ``dotted`` imports as a module, or as a module and attributes of it."""
    parts = dotted.rstrip(".").split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def stale_references(path: Path) -> list[str]:
    """Each path or dotted name in the prose of ``path`` that does not exist, as ``file:line: ref``."""
    out = []
    rel = path.relative_to(ROOT)
    for n, line in enumerate(prose(path).splitlines(), 1):
        for ref in PATH.findall(line):
            if not path_exists(ref):
                out.append(f"{rel}:{n}: path {ref}")
        names = DOTTED.findall(line) + ["costcorrect." + m for m in MODELS.findall(line)]
        for ref in names:
            if not name_exists(ref):
                out.append(f"{rel}:{n}: name {ref}")
    return out


def test_scaffolded_paths_are_what_the_scaffold_writes():
    source = (ROOT / "src" / "costcorrect" / "machinery" / "scaffold.py").read_text(
        encoding="utf-8"
    )
    for ref in SCAFFOLDED:
        assert ref.replace("data/<slug>/", "{slug}/") in source, ref


def test_the_check_finds_stale_paths_and_names(tmp_path):
    assert path_exists("data/<slug>/register.csv") and path_exists("src/costcorrect/claims.py")
    assert path_exists("src/costcorrect/{claims,data,figures,paths}") and path_exists("notebooks/")
    assert path_exists("data/my-paper/example.csv") and path_exists("tests/__snapshots__/")
    assert not path_exists("tests/test_nothing_here.py")
    assert not path_exists("src/costcorrect/{claims,nowhere}.py")  # each of the list must exist
    assert name_exists("costcorrect.numbers.fmt") and name_exists("costcorrect.models.serving")
    assert not name_exists("costcorrect.numbers.nothing") and not name_exists("costcorrect.nothing")
    page = tmp_path / "notebooks" / "x.md"
    page.parent.mkdir()
    page.write_text(
        "See `src/costcorrect/nowhere.py` and costcorrect.claims.nothing().\n"
        "```{code-cell} ipython3\nimport tests/not/prose\n```\n"
        "And `models.serving.hardware` or `models.serving.nowhere`.\n",
        encoding="utf-8",
    )
    text = prose(page)
    assert "tests/not/prose" not in text and text.count("\n") == 5
    found = [
        r
        for line in text.splitlines()
        for r in PATH.findall(line) + DOTTED.findall(line) + MODELS.findall(line)
    ]
    assert found == [
        "src/costcorrect/nowhere.py",
        "costcorrect.claims.nothing",
        "models.serving.hardware",
        "models.serving.nowhere",
    ]


PAGES = sorted(
    [*(ROOT / "notebooks").glob("*.md"), *(ROOT / "book").rglob("*.md")]
    + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_prose_names_only_files_and_functions_that_exist(page):
    stale = stale_references(page)
    assert not stale, "stale references in the prose:\n  " + "\n  ".join(stale)

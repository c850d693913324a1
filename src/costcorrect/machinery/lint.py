"""Hold the chapters' code to the package's standard: ruff (lint and format) and short cells.

``python -m costcorrect.machinery.lint [--fix] [slug ...]`` checks every code cell of
``notebooks/<slug>.md`` (a Jupytext MyST notebook) with the repository's ruff configuration (the
notebook rules are the ``notebooks/**`` per-file ignores in ``pyproject.toml``), checks that no cell
is longer than :data:`MAX_CELL_LINES` non-blank lines, and names each problem by notebook, cell
number (counting code cells from 1) and line in the cell. ruff reads the code cells as a Jupyter
notebook (its own notebook support: one program, diagnostics by cell and line; formatting cell by
cell). ``--fix`` writes the ``ruff format``-ed cells back in place and leaves the prose untouched.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from costcorrect.paths import repo_root

MAX_CELL_LINES = 40
_CELL = re.compile(
    r"^```\{code-cell\}[^\n]*\n(?P<options>(?::[^\n]*\n)*)(?P<body>.*?)^```[ \t]*$", re.M | re.S
)


@dataclass(frozen=True)
class Cell:
    """One code cell: its number among the code cells, its body, and where the body sits in the file."""

    number: int
    body: str
    start: int
    end: int
    first_line: int


def cells(text: str) -> list[Cell]:
    """The code cells of a MyST notebook's text, in order."""
    found = []
    for i, m in enumerate(_CELL.finditer(text), start=1):
        line = text.count("\n", 0, m.start("body")) + 1
        found.append(Cell(i, m.group("body"), m.start("body"), m.end("body"), line))
    return found


def _ruff(args: list[str], found: list[Cell], slug: str) -> subprocess.CompletedProcess[str]:
    """``ruff <args>`` on the code cells as a notebook of only them (so ruff's cell N is code cell N)."""
    code = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {
        "cells": [dict(code, source=c.body.removesuffix("\n")) for c in found],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", f"notebooks/{slug}.ipynb", "-"],
        input=json.dumps(notebook),
        capture_output=True,
        text=True,
        cwd=repo_root(),
        check=False,
    )


def formatted(found: list[Cell], slug: str) -> list[str]:
    """Each code cell's body as ``ruff format`` writes it (all unchanged when a cell does not parse:
    ``ruff check`` names that cell and line)."""
    proc = _ruff(["format"], found, slug)
    if proc.returncode != 0:
        return [c.body for c in found]
    return [
        "".join(c["source"]) + "\n" if c["source"] else "" for c in json.loads(proc.stdout)["cells"]
    ]


def problems(slug: str, root: Path | None = None) -> list[str]:
    """Every lint, format and cell-length problem of ``notebooks/<slug>.md``, each one line."""
    path = (root or repo_root()) / "notebooks" / f"{slug}.md"
    found = cells(path.read_text(encoding="utf-8"))
    out: list[str] = []
    checked = _ruff(["check", "--output-format", "json", "--no-fix"], found, slug)
    for d in json.loads(checked.stdout or "[]"):
        where = f"cell {d['cell']}, line {d['location']['row']}"
        out.append(f"{path.name}: {where}: {d['code']} {d['message']}")
    for c, body in zip(found, formatted(found, slug)):
        if body != c.body:
            out.append(
                f"{path.name}: cell {c.number} (file line {c.first_line}): not ruff-formatted"
            )
        n = sum(1 for line in c.body.splitlines() if line.strip())
        if n > MAX_CELL_LINES:
            out.append(
                f"{path.name}: cell {c.number} (file line {c.first_line}): {n} non-blank lines "
                f"(at most {MAX_CELL_LINES}; move logic to src/)"
            )
    return out


def fix(slug: str, root: Path | None = None) -> bool:
    """``ruff format`` every code cell of ``notebooks/<slug>.md`` in place; True if the file changed."""
    path = (root or repo_root()) / "notebooks" / f"{slug}.md"
    text = path.read_text(encoding="utf-8")
    found = cells(text)
    parts, last = [], 0
    for c, body in zip(found, formatted(found, slug)):
        parts += [text[last : c.start], body]
        last = c.end
    new = "".join(parts) + text[last:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    """Command line: check (or ``--fix``) the named chapters, or all of them."""
    args = list(sys.argv[1:] if argv is None else argv)
    do_fix = "--fix" in args
    slugs = [a for a in args if a != "--fix"] or sorted(
        p.stem for p in (repo_root() / "notebooks").glob("*.md")
    )
    bad = 0
    for slug in slugs:
        if do_fix and fix(slug):
            print(f"formatted notebooks/{slug}.md")
        for p in problems(slug):
            bad += 1
            print(p)
    print(f"{bad} problem(s) in {len(slugs)} chapter(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

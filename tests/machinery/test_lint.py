"""costcorrect.machinery.lint: the chapters' code cells held to ruff and to short cells."""

from pathlib import Path

import pytest

from costcorrect.machinery import lint
from costcorrect.paths import repo_root

NB = """---
jupytext: {}
---
# A chapter

```{code-cell} ipython3
:tags: [parameters]
seed = 1
```

Some prose with `code` and a fence-free paragraph.

```{code-cell} ipython3
import os
x = [1,2,   3]
```
"""


def _chapter(tmp_path: Path, text: str) -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text((repo_root() / "pyproject.toml").read_text())
    (tmp_path / "notebooks" / "demo.md").write_text(text)
    return tmp_path


def test_cells_are_found_with_their_options_left_out():
    found = lint.cells(NB)
    assert [c.number for c in found] == [1, 2]
    assert found[0].body == "seed = 1\n" and found[1].body.startswith("import os\n")


def test_problems_name_notebook_cell_and_line(tmp_path):
    root = _chapter(tmp_path, NB)
    probs = lint.problems("demo", root)
    assert any(p.startswith("demo.md: cell 2, line 1: F401") for p in probs), probs
    assert any("cell 2" in p and "not ruff-formatted" in p for p in probs), probs


def test_fix_formats_cells_and_keeps_prose(tmp_path):
    root = _chapter(tmp_path, NB)
    assert lint.fix("demo", root)
    text = (root / "notebooks" / "demo.md").read_text()
    assert (
        "x = [1, 2, 3]\n" in text and "Some prose with `code` and a fence-free paragraph." in text
    )
    assert ":tags: [parameters]" in text
    assert not any("not ruff-formatted" in p for p in lint.problems("demo", root))


def test_a_long_cell_is_refused(tmp_path):
    body = "".join(f"a{i} = {i}\n" for i in range(lint.MAX_CELL_LINES + 1))
    root = _chapter(tmp_path, NB.replace("seed = 1\n", body))
    assert any(
        f"{lint.MAX_CELL_LINES + 1} non-blank lines" in p for p in lint.problems("demo", root)
    )


@pytest.mark.parametrize("slug", sorted(p.stem for p in (repo_root() / "notebooks").glob("*.md")))
def test_every_chapter_is_ruff_clean_with_short_cells(slug):
    probs = lint.problems(slug)
    assert not probs, "\n".join(probs)

"""Execution pipeline: cache keys, failure reports, no half-built results."""

import json
import os
import subprocess
import sys

import pytest

from costcorrect.machinery import pipeline

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(chapter-{slug})=
# Demo {slug}

```{{code-cell}} ipython3
:tags: [parameters]
x = 1
```
"""
GOOD_CELL = """
```{code-cell} ipython3
from costcorrect import claims
claims.chapter("%s").result("one", "x is one", float(x), expect=("=", 1.0),
                            over=claims.exact("x is the chapter's only input"),
                            note="a demonstration: x = 1 unless a parameter changes it")
```
"""
BAD_CELL = """
```{code-cell} ipython3
values = {"a": 1}
values["missing"]
```
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datapackage.json").write_text(json.dumps({"resources": []}))
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/good\n  - file: notebooks/bad\n"
    )
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "good.md").write_text(HEADER.format(slug="good") + GOOD_CELL % "good")
    (tmp_path / "notebooks" / "bad.md").write_text(
        HEADER.format(slug="bad") + GOOD_CELL % "bad" + BAD_CELL
    )
    (tmp_path / "requirements.lock").write_text("a==1\n")
    monkeypatch.setenv("COSTCORRECT_ROOT", str(tmp_path))
    monkeypatch.setenv("COSTCORRECT_BUILD", str(tmp_path / "_build"))
    return tmp_path


def test_toc_order(repo):
    assert pipeline.toc_chapters(repo) == ["good", "bad"]
    assert pipeline.notebook_slugs(repo) == ["good", "bad"]


def test_chapters_start_longest_first_also_in_a_cold_build(repo):
    assert pipeline.longest_first(["good", "bad"], repo) == ["good", "bad"]  # unknown: in order
    (repo / pipeline.EXPECTED_SECONDS).write_text('{"good": 1.0, "bad": 5.0}')
    assert pipeline.longest_first(["good", "bad"], repo) == ["bad", "good"]
    (repo / "_build" / "cache").mkdir(parents=True)
    (repo / "_build" / "cache" / "good.json").write_text('{"seconds": 9.0}')  # the last run wins
    assert pipeline.longest_first(["good", "bad"], repo) == ["good", "bad"]


def test_cache_key_tracks_notebook_data_lock_and_parameters(repo):
    k0 = pipeline.cache_key("good", root=repo)
    assert pipeline.cache_key("good", root=repo) == k0
    assert pipeline.cache_key("good", {"x": 2}, root=repo) != k0
    (repo / "requirements.lock").write_text("a==2\n")
    k1 = pipeline.cache_key("good", root=repo)
    assert k1 != k0
    (repo / "data" / "good").mkdir()
    (repo / "data" / "good" / "t.csv").write_text("a\n1\n")
    k2 = pipeline.cache_key("good", root=repo)
    assert k2 != k1
    assert pipeline.cache_key("bad", root=repo) != k2
    # another chapter's data does not invalidate this one
    (repo / "data" / "bad").mkdir()
    (repo / "data" / "bad" / "t.csv").write_text("a\n1\n")
    assert pipeline.cache_key("good", root=repo) == k2


def test_failure_names_notebook_cell_and_exception_and_leaves_nothing(repo):
    results = pipeline.execute(jobs=2, echo=lambda *_: None)
    by = {r.slug: r for r in results}
    assert by["good"].ok and not by["bad"].ok
    err = by["bad"].error
    assert (
        "notebooks/bad.md" in err
        and "code cell 3" in err
        and "KeyError" in err
        and "missing" in err
    )
    build = repo / "_build"
    assert (build / "executed" / "good.ipynb").exists()
    assert not (build / "executed" / "bad.ipynb").exists()
    assert not (build / "claims" / "bad.json").exists()  # no half-recorded ledger
    assert not (build / "cache" / "bad.json").exists()
    assert (build / "failed" / "bad.ipynb").exists()
    # the run records the parameters papermill sees (the summary box lists them)
    assert pipeline.cache_entry("good")["parameter_names"] == ["x"]
    assert pipeline.cache_entry("bad") == {}
    ledger = json.loads((build / "claims.json").read_text())
    assert [r["id"] for r in ledger] == ["good.one"]
    # second run: the good chapter is cached, the bad one is retried and fails again
    again = {r.slug: r for r in pipeline.execute(echo=lambda *_: None)}
    assert again["good"].cached and not again["bad"].ok


def test_cli_exits_nonzero_and_names_the_cell(repo):
    proc = subprocess.run(
        [sys.executable, "-m", "costcorrect", "execute", "bad"],
        capture_output=True,
        text=True,
        cwd=repo,
    )
    assert proc.returncode == 1
    assert "notebooks/bad.md: code cell 3" in proc.stderr and "KeyError" in proc.stderr


def test_parameters_reach_the_notebook(repo):
    (repo / "notebooks" / "bad.md").unlink()
    r = pipeline.execute(["good"], parameters={"x": 2}, echo=lambda *_: None)[0]
    assert r.ok
    rec = json.loads((repo / "_build" / "claims.json").read_text())[0]
    assert rec["recomputed"] == 2.0 and rec["status"] == "diverges"


def _other_table(repo, csv_text: str) -> None:
    """Write and register the table ``other/t`` (another chapter's table) with ``csv_text``."""
    from costcorrect import data

    (repo / "data" / "other").mkdir()
    (repo / "data" / "other" / "t.csv").write_text(csv_text)
    data.register(
        {
            "name": "other/t",
            "path": "other/t.csv",
            "format": "csv",
            "title": "t",
            "description": "d",
            "sources": [{"title": "P", "path": "https://e.org"}],
            "schema": {
                "fields": [
                    {"name": n, "type": t, "description": n}
                    for n, t in [
                        ("quantity", "string"),
                        ("value", "number"),
                        ("source", "string"),
                        ("url", "string"),
                        ("locator", "string"),
                    ]
                ]
            },
        }
    )


def test_tables_read_from_other_chapters_invalidate_the_cache(repo):

    _other_table(repo, "quantity,value,source,url,locator\nx,1.0,P,https://e.org,T1\n")
    (repo / "notebooks" / "bad.md").unlink()
    reader = (
        GOOD_CELL % "good"
        + """
```{code-cell} ipython3
from costcorrect import data
data.load("other/t")
```
"""
    )
    (repo / "notebooks" / "good.md").write_text(HEADER.format(slug="good") + reader)
    assert pipeline.execute(["good"], echo=lambda *_: None)[0].ok
    assert json.loads((repo / "_build" / "deps" / "good.json").read_text()) == ["other/t"]
    assert pipeline.execute(["good"], echo=lambda *_: None)[0].cached
    (repo / "data" / "other" / "t.csv").write_text(
        "quantity,value,source,url,locator\nx,2.0,P,https://e.org,T1\n"
    )
    again = pipeline.execute(["good"], echo=lambda *_: None)[0]
    assert again.ok and not again.cached


def test_code_imports_finds_every_form_of_import():
    cell = (
        "%matplotlib inline\nimport costcorrect.models.qec.surface_code as sc\n"
        "from costcorrect import claims, data\nfrom costcorrect.models.serving.hardware import gpu\n"
        "import numpy, costcorrect\nfrom . import local\n"
        "def f():\n    from costcorrect.paths import build_dir\n"
    )
    assert pipeline.code_imports(cell) == {
        "costcorrect",
        "costcorrect.models.qec.surface_code",
        "costcorrect.claims",
        "costcorrect.data",
        "costcorrect.models.serving.hardware",
        "costcorrect.models.serving.hardware.gpu",
        "costcorrect.paths",
        "costcorrect.paths.build_dir",
    }


@pytest.fixture
def fake_package(repo, monkeypatch):
    """A package ``ccfake`` (standing in for costcorrect) that chapter ``good`` imports from."""
    pkg = repo / "src" / "ccfake"
    (pkg / "models").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "__init__.py").write_text("from ccfake import paths\n")
    (pkg / "paths.py").write_text("P = 1\n")
    (pkg / "helper.py").write_text("H = 1\n")
    (pkg / "models" / "used.py").write_text("def f():\n    from ccfake import helper\n")
    (pkg / "models" / "other.py").write_text("Y = 1\n")
    cell = "\n```{code-cell} ipython3\nfrom ccfake.models import used\n```\n"
    (repo / "notebooks" / "good.md").write_text(HEADER.format(slug="good") + cell)
    monkeypatch.syspath_prepend(str(repo / "src"))
    monkeypatch.setattr(pipeline, "PACKAGE", "ccfake")
    pipeline.import_graph.cache_clear()
    yield pkg
    pipeline.import_graph.cache_clear()


def test_chapter_modules_follow_the_imports_statically(repo, fake_package):
    # used imports helper inside a function; importing ccfake.models runs its __init__ (paths)
    assert pipeline.chapter_modules("good", repo) == [
        "ccfake",
        "ccfake.helper",
        "ccfake.models",
        "ccfake.models.used",
        "ccfake.paths",
    ]
    assert pipeline.module_files(["ccfake", "ccfake.models.used"]) == [
        fake_package / "__init__.py",
        fake_package / "models" / "used.py",
    ]
    assert pipeline.chapter_modules("bad", repo) == []


def test_cache_key_covers_only_the_modules_the_chapter_imports(repo, fake_package):
    k0, kb = pipeline.cache_key("good", root=repo), pipeline.cache_key("bad", root=repo)
    (fake_package / "models" / "other.py").write_text("Y = 2  # edited\n")
    assert pipeline.cache_key("good", root=repo) == k0  # a module it does not import
    for edited in ("helper.py", "paths.py", "models/used.py"):
        (fake_package / edited).write_text((fake_package / edited).read_text() + "# edited\n")
        k1 = pipeline.cache_key("good", root=repo)
        assert k1 != k0, edited
        k0 = k1
    assert pipeline.cache_key("bad", root=repo) == kb  # bad imports nothing of ccfake


def test_parameterised_reruns_go_apart_and_unknown_names_are_refused(repo):
    (repo / "notebooks" / "bad.md").unlink()
    assert pipeline.execute(["good"], echo=lambda *_: None)[0].ok
    canonical = (repo / "_build" / "claims.json").read_bytes()
    env = dict(os.environ, COSTCORRECT_ROOT=str(repo), COSTCORRECT_BUILD=str(repo / "_build"))
    cli = [sys.executable, "-m", "costcorrect", "execute", "good"]
    proc = subprocess.run(cli + ["-p", "x", "2"], capture_output=True, text=True, cwd=repo, env=env)
    assert proc.returncode == 0, proc.stderr
    run = pipeline.run_dir("good", {"x": 2}).relative_to(repo / "_build")
    assert f"{run}/" in proc.stdout.replace(str(repo / "_build") + "/", "")
    rec = json.loads((repo / "_build" / run / "claims.json").read_text())[0]
    assert rec["recomputed"] == 2.0
    assert (repo / "_build" / "claims.json").read_bytes() == canonical  # the book is untouched
    bad = subprocess.run(cli + ["-p", "y", "2"], capture_output=True, text=True, cwd=repo, env=env)
    assert bad.returncode == 2 and "no parameter 'y'" in bad.stderr and "x" in bad.stderr


def test_every_parameters_cell_parses_cleanly_in_papermill():
    from conftest import ROOT

    problems = [
        p
        for slug in pipeline.notebook_slugs(ROOT)
        for p in pipeline.notebook_parameters(slug, ROOT)[1]
    ]
    assert not problems, "\n".join(problems)


def test_invalid_data_stops_the_build_before_any_chapter(repo):
    _other_table(repo, "quantity,value,source,url,locator\n")  # header only
    proc = subprocess.run(
        [sys.executable, "-m", "costcorrect", "execute", "good"],
        capture_output=True,
        text=True,
        cwd=repo,
        env=dict(os.environ, COSTCORRECT_ROOT=str(repo), COSTCORRECT_BUILD=str(repo / "_build")),
    )
    assert proc.returncode == 1
    assert "data/other/t.csv: the table has no rows (rule: non-empty" in proc.stderr
    assert not (repo / "_build" / "executed" / "good.ipynb").exists()


def test_data_is_validated_again_only_when_it_changes(repo, monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline.data, "validate_package", lambda: calls.append(1))
    pipeline._validate_data(repo)
    pipeline._validate_data(repo)
    assert len(calls) == 1
    (repo / "data" / "datapackage.json").write_text(json.dumps({"resources": [], "x": 1}))
    pipeline._validate_data(repo)
    assert len(calls) == 2


def test_failed_validation_is_not_remembered(repo, monkeypatch):
    def fail():
        raise pipeline.data.DataError("bad row")

    monkeypatch.setattr(pipeline.data, "validate_package", fail)
    for _ in range(2):
        with pytest.raises(pipeline.data.DataError):
            pipeline._validate_data(repo)

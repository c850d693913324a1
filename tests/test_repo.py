"""Repository conventions: notebooks, citation, environments, layout."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from conftest import ROOT
from costcorrect.build import pages, pipeline

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))


def test_layout():
    for path in [
        "book/_config.yml",
        "book/_toc.yml",
        "book/references.bib",
        "data/datapackage.json",
        "environment.yml",
        "Makefile",
        "CITATION.cff",
        "pyproject.toml",
        "requirements.lock",
        "README.md",
        "CONTRIBUTING.md",
        ".ci/run",
        "jupytext.toml",
        "src/costcorrect/__init__.py",
    ]:
        assert (ROOT / path).exists(), path


def test_no_notebook_ipynb_tracked():
    out = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert out.strip() == ""


def test_every_notebook_has_header_label_parameters_and_claims():
    assert NOTEBOOKS
    for nb in NOTEBOOKS:
        text = nb.read_text()
        assert text.startswith("---\njupytext:"), f"{nb.name}: missing jupytext header"
        assert "format_name: myst" in text and "kernelspec:" in text, nb.name
        assert f"(chapter-{nb.stem})=" in text, f"{nb.name}: missing label (chapter-{nb.stem})="
        assert re.search(r":tags: \[parameters\]", text), f"{nb.name}: no parameters cell"
        assert re.search(r"\.(decide|unverifiable|result)\(", text), f"{nb.name}: records no claim"
        assert "cdn.jsdelivr" not in text and "unpkg.com" not in text, f"{nb.name}: CDN reference"


def test_toc_lists_every_notebook_once():
    toc = pipeline.toc_chapters(ROOT)
    assert sorted(toc) == sorted(p.stem for p in NOTEBOOKS)
    assert len(toc) == len(set(toc))


def test_citation_cff_is_valid():
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("cffconvert")),
            "--validate",
            "-i",
            str(ROOT / "CITATION.cff"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _name(req: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", req.strip())[0].lower())


def test_environment_yml_matches_pyproject_and_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + [
        d for extra in project["optional-dependencies"].values() for d in extra
    ]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = {_name(p): p.split("==", 1)[1] for p in pip if "==" in p}
    lock = {_name(n): v for n, v in pages.lock_versions(ROOT)}
    assert {_name(d) for d in deps} == set(pinned), (
        "environment.yml and pyproject.toml list different packages"
    )
    for name, version in pinned.items():
        assert lock.get(name) == version, (
            f"{name}: environment.yml pins {version}, lock has {lock.get(name)}"
        )
    assert "-r requirements.lock" in pip
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert py.split("=")[-1] == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_lock_is_fully_pinned():
    lines = [
        l
        for l in (ROOT / "requirements.lock").read_text().splitlines()
        if l.strip() and not l.startswith("#")
    ]
    assert lines and all("==" in l for l in lines), [l for l in lines if "==" not in l]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make book" in readme
    assert "set -euo pipefail" in ci


def test_make_help_lists_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in ["book", "test", "new-paper", "bench", "setup", "clean"]:
        assert f"make {target}" in out

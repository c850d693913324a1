"""GitHub Actions workflows parse, pass the zizmor linter, and call make targets that exist; the
drift workflow runs the README's commands."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"book.yml", "drift.yml"}


def test_workflows_parse_and_use_existing_targets():
    targets = _targets()
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text())
        assert doc.get("jobs"), wf.name
        trigger = doc.get(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
        assert trigger, f"{wf.name}: no trigger"
        runs = [
            s["run"] for job in doc["jobs"].values() for s in job.get("steps", []) if "run" in s
        ]
        for run in runs:
            for target in re.findall(r"\bmake ([a-z][\w-]*)", run):
                assert target in targets, (
                    f"{wf.name} calls `make {target}`, which the Makefile lacks"
                )


def test_pages_workflow_publishes_the_html_and_drift_is_scheduled():
    book = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = [s for job in book["jobs"].values() for s in job.get("steps", [])]
    assert any(s.get("with", {}).get("path") == "_build/html" for s in steps)
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in steps)
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    assert "schedule" in drift[True]


def test_pages_workflow_caches_what_freshness_needs_and_keeps_failures():
    book = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = [s for job in book["jobs"].values() for s in job.get("steps", [])]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    paths = set(cache["with"]["path"].split())
    # pipeline.is_fresh needs the cache entry, the executed notebook, the chapter ledger and the
    # recorded module list; the book and its tests also need the figures and timings
    assert {
        "_build/cache",
        "_build/executed",
        "_build/claims",
        "_build/deps",
        "_build/figures",
    } <= paths
    failed = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert (
        failed
        and failed[0]["with"]["path"].startswith("_build/failed")
        and failed[0]["if"] == "failure()"
    )


def test_pages_workflow_publishes_the_pdf_beside_the_html():
    book = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = [s for job in book["jobs"].values() for s in job.get("steps", [])]
    names = [s.get("name", s.get("uses", "")) for s in steps]
    pdf = next(i for i, s in enumerate(steps) if "make pdf" in s.get("run", ""))
    assert "_build/html/costcorrect-book.pdf" in steps[pdf]["run"]
    upload = next(i for i, n in enumerate(names) if n.startswith("actions/upload-pages-artifact"))
    assert pdf < upload, "the PDF must be in _build/html before the Pages artifact is uploaded"
    assert "pdf:" in (ROOT / "Makefile").read_text()
    for page in ("intro.md", "cite.md"):
        assert 'href="costcorrect-book.pdf"' in (ROOT / "book" / page).read_text(), page


def _zizmor(*files: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("zizmor")
    if not exe.exists():
        pytest.fail("zizmor is not installed: run `make setup` (it is pinned in requirements.lock)")
    # --offline: only the audits that need no GitHub API (syntax, permissions, template injection,
    # credential persistence, unpinned actions per .github/zizmor.yml, ...); nothing is fetched
    return subprocess.run(
        [
            str(exe),
            "--offline",
            "--no-progress",
            "--config",
            str(ROOT / ".github" / "zizmor.yml"),
            *map(str, files),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_zizmor_finds_nothing_in_the_workflows():
    proc = _zizmor(*WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_reports_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: issues\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}"\n'
        "      - uses: someone/action@v1\n"
    )
    proc = _zizmor(bad)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "template-injection" in proc.stdout and "unpinned-uses" in proc.stdout, proc.stdout


def test_drift_runs_the_readme_commands():
    """The weekly drift build re-pins to the newest releases with `make lock`, then runs `make book`
    and `make test` (which create .venv from the lock themselves), never a hand-made environment."""
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    runs = [s["run"] for job in drift["jobs"].values() for s in job.get("steps", []) if "run" in s]
    script = "\n".join(runs)
    assert "pip install" not in script and ".venv" not in script, script
    made = re.findall(r"\bmake ([a-z][\w-]*)", script)
    assert [t for t in made if t in ("lock", "book", "test")] == ["lock", "book", "test"], made
    assert "chromium" in script  # make test runs the browser test and prints the PDF
    for path, name in re.findall(r"--deselect (tests/[\w/]+\.py)::(\w+)", script):
        assert f"def {name}(" in (ROOT / path).read_text(), f"drift deselects a missing test {name}"
